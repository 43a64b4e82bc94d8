use super::*;

fn drawn(lines: &[Line]) -> Vec<String> {
    lines.iter().map(|l| l.iter().map(|p| p.text.as_str()).collect()).collect()
}

#[test]
fn escape_sequences_and_invisible_characters_become_placeholders() {
    let lines = wrap("a\u{1b}[31mred\u{1b}[0m b\u{1b}]0;title\u{7}c\u{1b}Pq#0\u{1b}\\d", 80);
    assert_eq!(drawn(&lines), vec!["a⟨ESC[⟩red⟨ESC[⟩ b⟨ESC]⟩c⟨ESC P⟩d"]);
    let lines = wrap("x\u{202e}y\u{200b}z\u{7}w\u{9b}v", 80);
    assert_eq!(drawn(&lines), vec!["x⟨U+202E⟩y⟨U+200B⟩z⟨U+0007⟩w⟨U+009B⟩v"]);
    for line in &lines {
        for piece in line {
            assert!(!piece.text.chars().any(|c| c.is_control()), "{piece:?}");
        }
    }
}

#[test]
fn lines_wrap_at_spaces_and_keep_their_offsets() {
    let text = "the quick brown fox jumps";
    let lines = wrap(text, 10);
    assert_eq!(drawn(&lines), vec!["the quick ", "brown fox ", "jumps"]);
    let fox = lines[1].iter().find(|p| p.text == "f").unwrap();
    assert_eq!(&text[fox.at..fox.at + 3], "fox");
    assert_eq!(drawn(&wrap("abcdefghij", 4)), vec!["abcd", "efgh", "ij"], "a long word breaks hard");
    assert_eq!(drawn(&wrap("one\ntwo\r\nthree", 20)), vec!["one", "two", "three"]);
}

#[test]
fn wide_and_combining_characters_are_measured_right_and_tabs_expand() {
    let lines = wrap("漢字漢字漢", 4);
    assert_eq!(drawn(&lines), vec!["漢字", "漢字", "漢"]);
    let lines = wrap("e\u{301}e\u{301}", 2);
    assert_eq!(drawn(&lines), vec!["e\u{301}e\u{301}"], "a combining accent takes no column");
    assert_eq!(drawn(&wrap("a\tb", 20)), vec!["a   b"]);
    assert_eq!(drawn(&wrap("abcd\tb", 20)), vec!["abcd    b"]);
    for line in wrap("漢字 and\ttabs, e\u{301} and more words", 7) {
        let cols: usize = line.iter().map(|p| columns(&p.text)).sum();
        assert!(cols <= 7, "{line:?}");
    }
}

#[test]
fn one_line_cuts_with_an_ellipsis() {
    assert_eq!(one_line("short", 20), "short");
    assert_eq!(one_line("a much longer text than fits", 10), "a much lo…");
    assert_eq!(one_line("two\nlines", 20), "two lines");
    assert!(columns(&one_line("漢字漢字漢字漢字", 7)) <= 7);
}

#[test]
fn breaking_at_a_space_never_leaves_a_line_wider_than_the_width() {
    // Caught by the fuzz harness (fuzz/corpus/sanitiser/found-wide-line-wider-than-width): after the break
    // at the space, "漢漢" and the next "漢" made 6 columns in 5.
    assert_eq!(drawn(&wrap(" 漢漢漢", 5)), vec![" ", "漢漢", "漢"]);
}
