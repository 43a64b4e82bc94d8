//! E-mail addresses written out to keep them from harvesters, for PII masking: `first.last at company.com`,
//! `jsmith [at] example [dot] org`, `jane dot doe at example dot com`. Pure; it uses only its parent's text
//! helpers.
//!
//! An `at` in brackets (`[at]`, `(at)`, `{at}`, `<at>`, any case, spaces around it or not) between a local
//! part and a domain is an address. A bare ` at ` is everyday prose (`sign up at example.com`, `she works at
//! google.com`), so it makes an address only when the local part reads as one: it holds a dot or underscore,
//! or letters then digits (`first.last`, `mary_k`, `jdoe42`), or the domain's dots are written out and
//! neither the word before ` at ` nor the domain's first label is a common word (`jane at example dot com`,
//! not `look at me dot com` or `at the dot com`). A dot is `.`, ` dot `, or `dot` in brackets, in the local
//! part and the domain alike; the domain ends in a letter-only TLD of two or more.
//!
//! So a bare one-word local part with a plain domain (`hr at acme-corp.com`) is missed: it cannot be told
//! from `apply at careers.example.com`. A dotted name before ` at ` and a domain (`Node.js at example.com`)
//! is masked.

use regex::Regex;

use super::{built_in, in_list, is_word};

/// Words that stand before ` at ` in prose, or begin a phrase after it (`at the dot com boom`), rather than
/// being part of an address.
const PROSE_WORDS: &str = "a an the this that these those it its me us you him her them we they i my our your his \
    their is are was were be been am look looked looking looks see seen visit find found online available now \
    only live here there home out back point pointed aim aimed stare laugh good best great arrive arrived stay \
    stayed work works worked working shop sign signed log logged apply read go come stop meet met";

/// A dot as written: `.`, ` dot `, `[dot]`, `(dot)`, `{dot}`, `<dot>`.
const DOT: &str = r"(?:\.|\s*[\[({<][ \t]*(?i:dot)[ \t]*[\])}>]\s*|[ \t]+(?i:dot)[ \t]+)";

/// Finds written-out addresses. Built once with the masker.
#[derive(Debug, Clone)]
pub(super) struct SpelledEmails {
    at: Regex,
    dot_before: Regex,
    dot_after: Regex,
}

/// A local part or domain found by a scan: where it ends (or starts), and whether a dot in it is written out.
struct Part {
    edge: usize,
    spelled_dot: bool,
}

impl SpelledEmails {
    pub(super) fn new() -> SpelledEmails {
        // Local parts and domains are scanned by hand: regexes with `\p{L}` here tripled the masker's build time.
        SpelledEmails {
            // Inside brackets and beside a bare `at` only spaces and tabs, as [`may_hold`] looks for.
            at: built_in(r"\s*[\[({<][ \t]*(?i:at)[ \t]*[\])}>]\s*|[ \t]+(?i:at)[ \t]+"),
            dot_before: built_in(&format!("{DOT}$")),
            dot_after: built_in(&format!("^{DOT}")),
        }
    }

    /// Byte ranges (start, end) of the written-out addresses in `text`, from the local part's first character to
    /// the TLD's last.
    pub(super) fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for at in self.at.find_iter(text) {
            let bracketed = at.as_str().contains(['[', '(', '{', '<']);
            let (Some(local), Some(domain)) = (self.local_before(text, at.start()), self.domain_after(text, at.end()))
            else {
                continue;
            };
            let glued_before = text[..local.edge].chars().next_back().is_some_and(|c| is_word(c) || "@/.".contains(c));
            let glued_after = text[domain.edge..].chars().next().is_some_and(|c| is_word(c) || c == '@' || c == '-');
            if glued_before || glued_after || text[local.edge..].starts_with(|c: char| !c.is_alphanumeric()) {
                continue;
            }
            if bracketed || reads_as_address(&text[local.edge..at.start()], &local, &text[at.end()..], &domain) {
                spans.push((local.edge, domain.edge));
            }
        }
        spans
    }

    /// The local part ending at `end`: words of letters, digits and `_%+-` joined by dots as written. `edge` is
    /// its start.
    fn local_before(&self, text: &str, end: usize) -> Option<Part> {
        let mut part = Part { edge: end, spelled_dot: false };
        loop {
            part.edge = text[..part.edge].trim_end_matches(is_local_char).len();
            let Some(dot) = self.dot_before.find(&text[..part.edge]) else { break };
            if !text[..dot.start()].ends_with(is_local_char) {
                break;
            }
            part.spelled_dot |= dot.as_str() != ".";
            part.edge = dot.start();
        }
        (part.edge < end).then_some(part)
    }

    /// The domain starting at `start`: labels joined by dots as written, the last a TLD of two or more letters.
    /// `edge` is its end.
    fn domain_after(&self, text: &str, start: usize) -> Option<Part> {
        let (mut at, mut labels, mut spelled_dot) = (start, 0, false);
        let mut found = None;
        loop {
            let rest = &text[at..];
            let label = &rest[..rest.find(|c: char| !c.is_alphanumeric() && c != '-').unwrap_or(rest.len())];
            if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
                break;
            }
            at += label.len();
            labels += 1;
            if labels >= 2 && label.chars().nth(1).is_some() && label.chars().all(char::is_alphabetic) {
                found = Some(Part { edge: at, spelled_dot });
            }
            let Some(dot) = self.dot_after.find(&text[at..]) else { break };
            spelled_dot |= dot.as_str() != ".";
            at += dot.end();
        }
        found
    }
}

/// For a bare ` at `: whether the local part, or the written-out domain, says this is an address.
fn reads_as_address(local_text: &str, local: &Part, domain_text: &str, domain: &Part) -> bool {
    let letters_then_digit =
        local_text.starts_with(char::is_alphabetic) && local_text.contains(|c: char| c.is_ascii_digit());
    if local_text.contains(['.', '_']) || local.spelled_dot || letters_then_digit {
        return true;
    }
    let first_label = domain_text.split(|c: char| !c.is_alphanumeric() && c != '-').next().unwrap_or(domain_text);
    domain.spelled_dot
        && !in_list(PROSE_WORDS, &local_text.to_lowercase())
        && !in_list(PROSE_WORDS, &first_label.to_lowercase())
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "_%+-".contains(c)
}

/// Whether `text` may hold a written-out address: an `at` with a space or bracket on either side. A cheap
/// test for [`super::Masker::is_clean`].
pub(super) fn may_hold(text: &str) -> bool {
    let edge = |b: u8| b.is_ascii_whitespace() || b"[]({})<>".contains(&b);
    text.as_bytes().windows(4).any(|w| edge(w[0]) && w[1..3].eq_ignore_ascii_case(b"at") && edge(w[3]))
}

#[cfg(test)]
mod tests {
    use super::super::Masker;

    fn emails(text: &str) -> Vec<&str> {
        let masker = Masker::new(&[]).unwrap();
        masker.find(text).into_iter().filter(|s| s.kind.name() == "email").map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn finds_addresses_written_out() {
        for (text, expected) in [
            ("Contact: first.last at company.com", "first.last at company.com"),
            ("reach me: jsmith [at] example [dot] org", "jsmith [at] example [dot] org"),
            ("email bob(at)example.net for details", "bob(at)example.net"),
            ("My address is j.doe AT example DOT com.", "j.doe AT example DOT com"),
            ("jane at example dot com", "jane at example dot com"),
            ("jane dot doe at example dot com", "jane dot doe at example dot com"),
            ("send it to mary_k at gmail dot com please", "mary_k at gmail dot com"),
            ("jdoe42 at example.org", "jdoe42 at example.org"),
            ("tom{at}example{dot}co{dot}uk", "tom{at}example{dot}co{dot}uk"),
            ("escríbeme: josé.garcía at correo dot es", "josé.garcía at correo dot es"),
        ] {
            assert_eq!(emails(text), vec![expected], "in {text:?}");
            assert!(!Masker::new(&[]).unwrap().is_clean(text), "in {text:?}");
        }
    }

    #[test]
    fn leaves_prose_with_at_and_dot() {
        for text in [
            "Find us online at example.com or in store",
            "She works at google.com as an engineer",
            "Sign up at www.example.org/register",
            "Look at me dot com",
            "Visit us at example dot com",
            "Money was lost at the dot com crash",
            "Point at the dot and click",
            "Meet me at 5 at the cafe",
            "We arrived at noon. The dot on the map was wrong.",
            "Reach 10,000 readers at example.com",
            "http://example.com/first.last at example.com",
        ] {
            assert_eq!(emails(text), Vec::<&str>::new(), "in {text:?}");
        }
    }
}
