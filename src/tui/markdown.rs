//! Markdown as the terminal shows it: headings, emphasis, lists, quotes, code and rules turned into plain
//! lines (the markup gone) with the ranges to draw bold, italic, underlined or as code. Parsing is
//! pulldown-cmark's; drawing is the view's, which sanitises the text as it sanitises any data.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// What a line is, for its style as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Ordinary text (a paragraph, a list item, an empty line).
    Text,
    /// A heading of this level (1 for `#`).
    Heading(u8),
    /// A line of a code block.
    Code,
    /// A line of a block quote.
    Quote,
}

/// How part of a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Strong,
    Emphasis,
    Code,
    Link,
}

/// One rendered line: its text without markup, and the byte ranges of that text to mark.
#[derive(Debug, Clone, PartialEq)]
pub struct MdLine {
    pub kind: LineKind,
    pub text: String,
    pub marks: Vec<(Range<usize>, Mark)>,
}

impl MdLine {
    fn new(kind: LineKind, prefix: &str) -> MdLine {
        MdLine { kind, text: prefix.to_string(), marks: Vec::new() }
    }

    /// Nothing but a quote's bar, or nothing at all.
    pub fn is_blank(&self) -> bool {
        self.text.trim_matches(|c| c == '│' || c == ' ').is_empty()
    }

    /// The marks that cover byte `at` of the text.
    pub fn marks_at(&self, at: usize) -> impl Iterator<Item = Mark> + '_ {
        self.marks.iter().filter(move |(range, _)| range.contains(&at)).map(|(_, mark)| *mark)
    }
}

/// Builds lines from parser events.
struct Renderer {
    lines: Vec<MdLine>,
    line: Option<MdLine>,
    kind: LineKind,
    /// Open inline marks and where they started in the current line.
    open: Vec<(Mark, usize)>,
    /// Per open list: the next number (ordered) or `None` (bullets).
    lists: Vec<Option<u64>>,
    quote_depth: usize,
}

impl Renderer {
    fn prefix(&self) -> String {
        "│ ".repeat(self.quote_depth)
    }

    fn line(&mut self) -> &mut MdLine {
        if self.line.is_none() {
            let (kind, prefix) = (self.kind, self.prefix());
            self.line = Some(MdLine::new(kind, &prefix));
        }
        self.line.as_mut().expect("just set")
    }

    fn push_text(&mut self, text: &str, mark: Option<Mark>) {
        let line = self.line();
        let start = line.text.len();
        line.text.push_str(text);
        if let Some(mark) = mark {
            let end = line.text.len();
            line.marks.push((start..end, mark));
        }
    }

    /// Ends the current line, closing open marks at its end (they go on in the next line).
    fn end_line(&mut self) {
        if let Some(mut line) = self.line.take() {
            let end = line.text.len();
            for (mark, start) in &mut self.open {
                if *start < end {
                    line.marks.push((*start..end, *mark));
                }
                *start = 0;
            }
            self.lines.push(line);
        }
    }

    /// An empty line between blocks (never two in a row, never first).
    fn gap(&mut self) {
        self.end_line();
        if self.lists.is_empty() && self.lines.last().is_some_and(|l| !l.is_blank()) {
            let prefix = self.prefix();
            self.lines.push(MdLine::new(LineKind::Text, prefix.trim_end()));
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.end_line();
                self.kind = LineKind::Heading(heading_level(level));
            }
            Tag::BlockQuote(_) => {
                self.end_line();
                self.quote_depth += 1;
                self.kind = LineKind::Quote;
            }
            Tag::CodeBlock(_) => {
                self.end_line();
                self.kind = LineKind::Code;
            }
            Tag::List(start) => {
                self.end_line();
                self.lists.push(start);
            }
            Tag::Item => {
                self.end_line();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_string(),
                };
                let indent = "  ".repeat(depth);
                self.push_text(&format!("{indent}{marker}"), None);
            }
            Tag::Emphasis => self.open_mark(Mark::Emphasis),
            Tag::Strong => self.open_mark(Mark::Strong),
            Tag::Link { .. } => self.open_mark(Mark::Link),
            _ => {}
        }
    }

    fn open_mark(&mut self, mark: Mark) {
        let at = self.line().text.len();
        self.open.push((mark, at));
    }

    fn close_mark(&mut self) {
        if let Some((mark, start)) = self.open.pop() {
            let line = self.line();
            let end = line.text.len();
            if start < end {
                line.marks.push((start..end, mark));
            }
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::CodeBlock => {
                self.gap();
                self.kind = if self.quote_depth > 0 { LineKind::Quote } else { LineKind::Text };
            }
            TagEnd::BlockQuote(_) => {
                self.end_line();
                if self.lines.last().is_some_and(MdLine::is_blank) {
                    self.lines.pop();
                }
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.kind = if self.quote_depth > 0 { LineKind::Quote } else { LineKind::Text };
                self.gap();
            }
            TagEnd::Item => self.end_line(),
            TagEnd::List(_) => {
                self.end_line();
                self.lists.pop();
                self.gap();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link => self.close_mark(),
            _ => {}
        }
    }

    fn code_block_text(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.end_line();
            }
            if !line.is_empty() {
                self.push_text(&format!("    {line}"), None);
            }
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// `markdown` as lines for the terminal: one per heading, paragraph, list item and code line (paragraphs
/// are left for the screen to wrap), with an empty line between blocks.
pub fn render(markdown: &str) -> Vec<MdLine> {
    let mut r = Renderer {
        lines: Vec::new(),
        line: None,
        kind: LineKind::Text,
        open: Vec::new(),
        lists: Vec::new(),
        quote_depth: 0,
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => r.start(tag),
            Event::End(tag) => r.end(tag),
            Event::Text(text) if r.kind == LineKind::Code => r.code_block_text(&text),
            Event::Text(text) => r.push_text(&text, None),
            Event::Code(code) => r.push_text(&code, Some(Mark::Code)),
            Event::Html(html) | Event::InlineHtml(html) => r.push_text(html.trim_end_matches('\n'), None),
            Event::SoftBreak => r.push_text(" ", None),
            Event::HardBreak => r.end_line(),
            Event::Rule => {
                r.end_line();
                r.push_text("────────", None);
                r.gap();
            }
            Event::TaskListMarker(done) => r.push_text(if done { "[x] " } else { "[ ] " }, None),
            Event::FootnoteReference(name) => r.push_text(&format!("[{name}]"), None),
            Event::InlineMath(m) | Event::DisplayMath(m) => r.push_text(&m, Some(Mark::Code)),
        }
    }
    r.end_line();
    while r.lines.last().is_some_and(MdLine::is_blank) {
        r.lines.pop();
    }
    r.lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(line: &MdLine, mark: Mark) -> Vec<&str> {
        line.marks.iter().filter(|(_, m)| *m == mark).map(|(r, _)| &line.text[r.clone()]).collect()
    }

    #[test]
    fn headings_emphasis_and_code_lose_their_markup_and_keep_their_marks() {
        let lines = render("# Guide\n\nLabel the **topic**, not the *words*; see `fortune`.\n\n## food\n");
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Guide", "", "Label the topic, not the words; see fortune.", "", "food"]);
        assert_eq!(lines[0].kind, LineKind::Heading(1));
        assert_eq!(lines[4].kind, LineKind::Heading(2));
        assert_eq!(marked(&lines[2], Mark::Strong), ["topic"]);
        assert_eq!(marked(&lines[2], Mark::Emphasis), ["words"]);
        assert_eq!(marked(&lines[2], Mark::Code), ["fortune"]);
    }

    #[test]
    fn lists_are_bulleted_or_numbered_and_nested_lists_indented() {
        let lines = render("- one\n- two\n  - inner\n\n1. first\n2. second\n");
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["• one", "• two", "  • inner", "", "1. first", "2. second"]);
    }

    #[test]
    fn a_hard_wrapped_paragraph_is_one_line_and_code_blocks_keep_their_lines() {
        let lines = render("A paragraph\nwrapped by hand.\n\n```\nlet x = 1;\nlet y = 2;\n```\n\n> quoted\n");
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["A paragraph wrapped by hand.", "", "    let x = 1;", "    let y = 2;", "", "│ quoted"]);
        assert_eq!((lines[2].kind, lines[5].kind), (LineKind::Code, LineKind::Quote));
    }

    #[test]
    fn emphasis_across_a_hard_break_is_marked_on_both_lines() {
        let lines = render("**bold  \nstill bold** plain");
        assert_eq!(marked(&lines[0], Mark::Strong), ["bold"]);
        assert_eq!(marked(&lines[1], Mark::Strong), ["still bold"]);
    }
}
