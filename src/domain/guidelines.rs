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
    /// The example as markdown: a quoted text (one line, at most 600 characters) and the ruling. People
    /// `cat` guideline files: every character from data that could steer a terminal is written as a
    /// visible escape.
    pub fn markdown(&self) -> String {
        let safe = |s: &str| super::text::visible(s).into_owned();
        let flat: String = safe(&self.text.split_whitespace().collect::<Vec<_>>().join(" "));
        let quoted: String = if flat.chars().count() > 600 {
            format!("{}...", flat.chars().take(600).collect::<String>())
        } else {
            flat
        };
        let rationale = safe(&self.rationale.split_whitespace().collect::<Vec<_>>().join(" "));
        format!(
            "**Example** (item `{}`, {} on {}): **{}**\n\n> {}\n\n{}\n",
            safe(&self.item.replace('`', "'")),
            safe(self.by),
            safe(self.date),
            safe(self.label),
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

/// `markdown` with each paragraph and list item on one line, so a fixed panel can wrap it to its own
/// width: the files are hard-wrapped for editors, and drawing their line breaks as they are leaves ragged
/// half-lines. Headings, blank lines, quotes, table rows (any line with a `|`), fenced and indented code
/// (four spaces or a tab), rules, and hard breaks (two trailing spaces or a backslash) stay as written.
pub fn reflow(markdown: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    // May the next line continue the last one written?
    let mut open = false;
    let mut fenced = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        let fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        let indented_code = (line.starts_with("    ") || line.starts_with('\t')) && !open;
        // A rule or a setext heading's underline: `---`, `===`, `***`.
        let rule = trimmed.len() >= 3 && trimmed.chars().all(|c| matches!(c, '-' | '=' | '*' | '_' | ' '));
        if fence || fenced || trimmed.is_empty() || trimmed.contains('|') || indented_code || rule {
            fenced ^= fence;
            out.push(line.to_string());
            open = false;
            continue;
        }
        // A backslash hard break is markup, not text.
        let text = trimmed.strip_suffix('\\').unwrap_or(trimmed).trim_end();
        match out.last_mut() {
            Some(last) if open && !starts_a_block(trimmed) => {
                last.push(' ');
                last.push_str(text);
            }
            _ => out.push(format!("{}{text}", &line[..line.len() - line.trim_start().len()])),
        }
        open = !trimmed.starts_with('#') && !line.ends_with("  ") && !trimmed.ends_with('\\');
    }
    let mut text = out.join("\n");
    if markdown.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Does this (trimmed, non-empty) line start a heading, list item or quote?
fn starts_a_block(trimmed: &str) -> bool {
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    let ordered = digits > 0 && (trimmed[digits..].starts_with(". ") || trimmed[digits..].starts_with(") "));
    trimmed.starts_with('#')
        || trimmed.starts_with('>')
        || ["- ", "* ", "+ "].iter().any(|m| trimmed.starts_with(m))
        || ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflow_joins_hard_wrapped_paragraphs_and_list_items_and_keeps_the_rest() {
        let source = "# Computers\n\nComputers, programming, and their\nculture (hackers, Unix).\n\n\
                      - *\"Bus error\"* -> computers: the joke\n  needs the error.\n- Near miss: work.\n\n\
                      > quoted\n> more\n\n| a | b |\n|---|---|\n\n```\ncode\nstays\n```\n\
                      line one  \nline two\\\nline three\n";
        let expected = "# Computers\n\nComputers, programming, and their culture (hackers, Unix).\n\n\
                        - *\"Bus error\"* -> computers: the joke needs the error.\n- Near miss: work.\n\n\
                        > quoted\n> more\n\n| a | b |\n|---|---|\n\n```\ncode\nstays\n```\n\
                        line one\nline two\nline three\n";
        assert_eq!(reflow(source), expected);
        assert_eq!(reflow("Title\n=====\nText\n---\nmore"), "Title\n=====\nText\n---\nmore");
        let table = "Label | Use\n--- | ---\nspam | ads\n";
        assert_eq!(reflow(table), table, "a table without outer pipes stays as it is");
        let code = "Run:\n\n\tfoo()\n\tbar()\n";
        assert_eq!(reflow(code), code, "tab-indented code stays as it is");
        let flowed = expected.split("line one").next().unwrap();
        assert_eq!(reflow(flowed), flowed, "reflowing flowed text changes nothing");
    }

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
