//! The guidelines as a living document: a case an expert rules on can be added under its label's section
//! of the project's guidelines/*.md, with the text and the rationale.

/// One worked example for the guidelines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example<'a> {
    pub item: &'a str,
    pub text: &'a str,
    pub label: &'a str,
    pub rationale: &'a str,
    pub by: &'a str,
    /// The day, as `2026-11-29`.
    pub date: &'a str,
}

impl Example<'_> {
    /// The example as markdown: a quoted text (one line, at most 600 characters) and the ruling.
    pub fn markdown(&self) -> String {
        let flat: String = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let quoted: String = if flat.chars().count() > 600 {
            format!("{}...", flat.chars().take(600).collect::<String>())
        } else {
            flat
        };
        let rationale = self.rationale.split_whitespace().collect::<Vec<_>>().join(" ");
        format!(
            "**Example** (item `{}`, {} on {}): **{}**\n\n> {}\n\n{}\n",
            self.item.replace('`', "'"),
            self.by,
            self.date,
            self.label,
            quoted,
            if rationale.is_empty() { "(no rationale given)".to_string() } else { rationale }
        )
    }
}

/// `markdown` with `block` appended at the end of the section whose heading is one of `headings` (case
/// and surrounding space ignored); `None` when there is no such section.
pub fn insert_under(markdown: &str, headings: &[&str], block: &str) -> Option<String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let heading = |line: &str| -> Option<(usize, String)> {
        let level = line.chars().take_while(|c| *c == '#').count();
        (level > 0 && line[level..].starts_with(' ')).then(|| (level, line[level..].trim().to_lowercase()))
    };
    let wanted: Vec<String> = headings.iter().map(|h| h.trim().to_lowercase()).collect();
    let (start, level) = lines.iter().enumerate().find_map(|(i, line)| {
        let (level, title) = heading(line)?;
        wanted.contains(&title).then_some((i, level))
    })?;
    let end = lines[start + 1..]
        .iter()
        .position(|line| heading(line).is_some_and(|(l, _)| l <= level))
        .map_or(lines.len(), |p| start + 1 + p);
    // Drop the blank lines at the end of the section, then add the block and one blank line.
    let mut last = end;
    while last > start + 1 && lines[last - 1].trim().is_empty() {
        last -= 1;
    }
    let mut out: Vec<String> = lines[..last].iter().map(|l| l.to_string()).collect();
    out.push(String::new());
    out.extend(block.trim_end().lines().map(str::to_string));
    out.push(String::new());
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n").trim_end().to_string();
    text.push('\n');
    Some(text)
}

/// The section whose heading is one of `headings` (case and surrounding space ignored): its heading and
/// its text up to the next heading of the same or a higher level.
pub fn section(markdown: &str, headings: &[&str]) -> Option<(String, String)> {
    let wanted: Vec<String> = headings.iter().map(|h| h.trim().to_lowercase()).collect();
    let level_of = |line: &str| {
        let level = line.chars().take_while(|c| *c == '#').count();
        (level > 0 && line[level..].starts_with(' ')).then_some(level)
    };
    let lines: Vec<&str> = markdown.lines().collect();
    let (start, level) = lines.iter().enumerate().find_map(|(i, line)| {
        let level = level_of(line)?;
        wanted.contains(&line[level..].trim().to_lowercase()).then_some((i, level))
    })?;
    let end = lines[start + 1..]
        .iter()
        .position(|line| level_of(line).is_some_and(|l| l <= level))
        .map_or(lines.len(), |p| start + 1 + p);
    let heading = lines[start][level..].trim().to_string();
    Some((heading, lines[start + 1..end].join("\n").trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "# Guide\n\nIntro.\n\n## Spam\n\nAds.\n\n### Edge cases\n\nSome.\n\n## Ham\n\nThe rest.\n";

    #[test]
    fn an_example_goes_at_the_end_of_its_labels_section() {
        let out = insert_under(GUIDE, &["spam"], "EXAMPLE\n").unwrap();
        assert_eq!(
            out,
            "# Guide\n\nIntro.\n\n## Spam\n\nAds.\n\n### Edge cases\n\nSome.\n\nEXAMPLE\n\n## Ham\n\nThe rest.\n"
        );
        let last = insert_under(GUIDE, &["Ham"], "EXAMPLE").unwrap();
        assert!(last.ends_with("The rest.\n\nEXAMPLE\n"), "{last}");
        assert_eq!(insert_under(GUIDE, &["eggs"], "EXAMPLE"), None);
        // A display name works as well as the label.
        assert!(insert_under(GUIDE, &["junk", "spam"], "X").is_some());
    }

    #[test]
    fn a_section_is_read_up_to_the_next_heading_of_its_level() {
        assert_eq!(
            section(GUIDE, &["SPAM"]),
            Some(("Spam".to_string(), "Ads.\n\n### Edge cases\n\nSome.".to_string()))
        );
        assert_eq!(section(GUIDE, &["ham"]), Some(("Ham".to_string(), "The rest.".to_string())));
        assert_eq!(section(GUIDE, &["eggs"]), None);
    }

    #[test]
    fn the_example_reads_as_markdown_on_one_quoted_line() {
        let example = Example {
            item: "t`1",
            text: "Win\nmoney   now",
            label: "spam",
            rationale: "offers money",
            by: "bob",
            date: "2026-11-29",
        };
        assert_eq!(
            example.markdown(),
            "**Example** (item `t'1`, bob on 2026-11-29): **spam**\n\n> Win money now\n\noffers money\n"
        );
    }
}
