//! PII masking: finds e-mail addresses, phone numbers, card numbers, IBANs, IPv4 and IPv6 addresses and the
//! project's own patterns in a text, and replaces each with a typed placeholder such as `<email>` before the
//! text reaches an annotator's screen (the model still sees the original). Pure: no I/O, and it imports
//! nothing else from this crate. Checksums live in [`checks`], the grammar of phone numbers in [`phone`],
//! addresses written out in [`spelled`].
//!
//! A detector finds candidates with a regex built once in [`Masker::new`], then keeps those that pass a
//! checksum or grammar and stand alone: a candidate touching a letter or digit, or joined to one by `-`, `/`
//! or `_` (or to a digit by `.`, `,` or `:`), is part of a longer token (`ABC-555-123-4567`, `v1.2.3.4`) and
//! is left alone. Overlapping finds are settled by [`Masker::find`]: the longer span wins, then the project's
//! own patterns, then card, IBAN, e-mail, IPv6, IPv4, phone in that order.
//!
//! Rules for cases that could go either way (phones: see [`phone`]):
//! - E-mail: `local@domain.tld` with letters of any script, a letter-only TLD of two or more; an apostrophe
//!   or dot only inside the local part (`j.o'brien@…`). `icon@2x.png` is a file name; `user@host` without a
//!   TLD is left alone. Addresses written out (`first.last at company.com`, `jsmith [at] example [dot] org`)
//!   are e-mail addresses too, where they can be told from prose: see [`spelled`].
//! - Cards: 13–19 digits, unbroken or in groups of four (a last group of 1–3 allowed) or 4-6-4/4-6-5, joined
//!   by single spaces or dashes, with a valid Luhn digit and a known issuer prefix and length. So Luhn-valid
//!   IMEIs (15 digits, TAC 35…) and EAN-13 barcodes are not cards; neither are legacy 13-digit Visa numbers.
//!   A short group after a card (an expiry, a CVV) is not part of it, so a mistyped 19-digit number whose
//!   first 16 digits happen to pass is masked as a card; a fifth group of four makes it something else.
//! - IBANs: a country with IBANs, that country's length and a valid mod-97, compact or spaced every four,
//!   any case. An IBAN-shaped text whose check fails is a mistyped IBAN: not masked, and no phone or card is
//!   found among its digits.
//! - IPv4: four dotted decimals of 0–255 written without leading zeros (so `1.250.000.000 €` is an amount;
//!   zero-padded `010.001.002.003` is missed). A dotted quad after a version or numbering word (`version`,
//!   `v`, `release`, `build`, `firmware`, `section`, `chapter`…), glued to a name (`Chrome/120.0.0.0`) or after
//!   a currency sign is not an address.
//! - IPv6: anything `core::net::Ipv6Addr` parses, `::` and an IPv4 tail included, with at least one decimal
//!   digit (so `a::b` and a lone `::` are not addresses); not a slice index such as `x[1::2]`. A zone
//!   (`%eth0`), port or prefix length after it is not masked.

mod checks;
mod masked;
mod phone;
mod spelled;

pub use masked::Masked;

// core::net: the address types without the sockets (src/domain does no I/O, so no std::net).
use core::net::Ipv6Addr;

use regex::Regex;

/// What a found span is; each kind has its own placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PiiKind {
    Email,
    Phone,
    Card,
    Iban,
    Ipv4,
    Ipv6,
    /// A pattern from the project config, by its name.
    Custom(String),
}

impl PiiKind {
    /// `email`, `phone`, `card`, `iban`, `ipv4`, `ipv6`, or a custom pattern's name.
    pub fn name(&self) -> &str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Card => "card",
            PiiKind::Iban => "iban",
            PiiKind::Ipv4 => "ipv4",
            PiiKind::Ipv6 => "ipv6",
            PiiKind::Custom(name) => name,
        }
    }

    /// The text shown instead of the span: the name in angle brackets, e.g. `<email>`.
    pub fn placeholder(&self) -> String {
        format!("<{}>", self.name())
    }
}

/// One piece of PII: byte offsets into the text (on char boundaries) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiSpan {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

/// A custom pattern from the project config that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("PII pattern {name:?} is not a valid regex: {}", one_line_regex_error(source))]
    BadRegex { name: String, source: regex::Error },
    #[error(
        "PII pattern name {name:?} must be a word of letters, digits, `_` or `-` (it becomes the placeholder <{name}>)"
    )]
    BadName { name: String },
}

/// A regex error on one line: the regex crate draws a caret under the pattern over several lines; the
/// message after `error:` says what is wrong.
fn one_line_regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    match text.lines().rev().find_map(|l| l.trim().strip_prefix("error:")) {
        Some(what) => what.trim().to_string(),
        None => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Finds and masks PII. Build once with [`Masker::new`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Masker {
    email: Regex,
    phone_run: Regex,
    digit_run: Regex,
    iban_start: Regex,
    dotted_run: Regex,
    colon_run: Regex,
    spelled_email: spelled::SpelledEmails,
    custom: Vec<(PiiKind, Regex)>,
}

/// Byte ranges (start, end) found by one detector.
type Spans = Vec<(usize, usize)>;

/// Words after which a dotted quad is a version or section number, not an address.
const VERSION_WORDS: &str = "v ver version rev revision release build firmware fw patch section clause § chapter \
    paragraph article figure table step";
/// Words after which a number is an article or device code, never a phone or card.
const CODE_WORDS: &str = "isbn issn ean upc imei";

impl Masker {
    /// Built-in detectors plus custom (name, regex) pairs from the project config.
    pub fn new(custom: &[(String, String)]) -> Result<Masker, PiiError> {
        let custom = custom
            .iter()
            .map(|(name, pattern)| {
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                    return Err(PiiError::BadName { name: name.clone() });
                }
                let regex = Regex::new(pattern).map_err(|source| PiiError::BadRegex { name: name.clone(), source })?;
                Ok((PiiKind::Custom(name.clone()), regex))
            })
            .collect::<Result<_, _>>()?;
        // E-mail: local parts and domain labels in any script; a phone run: digit groups, some in parentheses.
        let local = r"[\p{L}\p{N}_%+\-]+";
        let label = r"[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?";
        let group = r"(?:\(\+?[0-9]{1,5}\)|[0-9]+)";
        Ok(Masker {
            email: built_in(&format!(r"{local}(?:['.]{local})*@(?:{label}\.)+\p{{L}}{{2,}}")),
            phone_run: built_in(&format!(r"\+?{group}(?:(?:[ .\-/]| / )?{group})*")),
            digit_run: built_in(r"[0-9]+(?:[ \-][0-9]+)*"),
            iban_start: built_in(r"[A-Za-z]{2}[0-9]{2}"),
            dotted_run: built_in(r"[0-9]+(?:\.[0-9]+)+"),
            colon_run: built_in(r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*"),
            spelled_email: spelled::SpelledEmails::new(),
            custom,
        })
    }

    /// Non-overlapping spans, sorted by start. Where finds overlap the longer one wins; on equal length the
    /// project's patterns (in config order) win, then card, IBAN, e-mail, IPv6, IPv4, phone.
    pub fn find(&self, text: &str) -> Vec<PiiSpan> {
        // (rank, start, end, kind): a lower rank wins a tie. Kind `None` marks a mistyped IBAN, found so that
        // no phone or card is found among its digits, and then dropped.
        let mut found: Vec<(usize, usize, usize, Option<PiiKind>)> = Vec::new();
        for (rank, (kind, regex)) in self.custom.iter().enumerate() {
            let matches = regex.find_iter(text).filter(|m| !m.is_empty());
            found.extend(matches.map(|m| (rank, m.start(), m.end(), Some(kind.clone()))));
        }
        let (ibans, mistyped_ibans) = self.ibans(text);
        let built_in = [
            (Some(PiiKind::Card), self.cards(text)),
            (Some(PiiKind::Iban), ibans),
            (None, mistyped_ibans),
            (Some(PiiKind::Email), self.emails(text)),
            (Some(PiiKind::Ipv6), self.ipv6s(text)),
            (Some(PiiKind::Ipv4), self.ipv4s(text)),
            (Some(PiiKind::Phone), self.phones(text)),
        ];
        for (i, (kind, spans)) in built_in.into_iter().enumerate() {
            found.extend(spans.into_iter().map(|(start, end)| (self.custom.len() + i, start, end, kind.clone())));
        }
        found.sort_by_key(|&(rank, start, end, _)| (std::cmp::Reverse(end - start), rank, start));
        let mut kept: Vec<(usize, usize, Option<PiiKind>)> = Vec::new();
        for (_, start, end, kind) in found {
            if kept.iter().all(|&(s, e, _)| end <= s || e <= start) {
                kept.push((start, end, kind));
            }
        }
        let mut spans: Vec<PiiSpan> =
            kept.into_iter().filter_map(|(start, end, kind)| Some(PiiSpan { start, end, kind: kind? })).collect();
        spans.sort_by_key(|span| span.start);
        spans
    }

    /// The text with every span replaced by its placeholder.
    pub fn mask(&self, text: &str) -> String {
        let mut masked = String::with_capacity(text.len());
        let mut copied = 0;
        for span in self.find(text) {
            masked.push_str(&text[copied..span.start]);
            masked.push_str(&span.kind.placeholder());
            copied = span.end;
        }
        masked.push_str(&text[copied..]);
        masked
    }

    /// Fast path: true when the text has no PII (used to avoid allocating).
    pub fn is_clean(&self, text: &str) -> bool {
        // Every built-in kind needs an ASCII digit or an `@`, but an address written out (`jane at example.com`).
        let may_hold_pii = text.bytes().any(|b| b.is_ascii_digit() || b == b'@') || spelled::may_hold(text);
        if self.custom.is_empty() && !may_hold_pii {
            return true;
        }
        self.find(text).is_empty()
    }

    fn emails(&self, text: &str) -> Spans {
        let mut spans = Vec::new();
        for m in self.email.find_iter(text) {
            let after = char_after(text, m.end());
            let domain = &m.as_str()[m.as_str().find('@').unwrap_or(0) + 1..];
            if after.is_some_and(|c| is_word(c) || c == '@' || c == '-') || is_retina_asset(domain) {
                continue;
            }
            spans.push((m.start(), m.end()));
        }
        spans.extend(self.spelled_email.find(text));
        spans
    }

    fn cards(&self, text: &str) -> Spans {
        let mut spans = Vec::new();
        for run in self.digit_run.find_iter(text) {
            let code_word = words_before(text, run.start()).first().is_some_and(|w| in_list(CODE_WORDS, w));
            if is_glued_before(text, run.start(), "-/_", ".,:") || code_word {
                continue;
            }
            // The longest leading groups that make a card; what follows may be a short group (an expiry,
            // a CVV) but not another group of four or more digits.
            let groups: Vec<(usize, &str)> = split_groups(run.as_str());
            for last in (0..groups.len()).rev() {
                let end = run.start() + groups[last].0 + groups[last].1.len();
                let digits: String = groups[..=last].iter().map(|(_, g)| *g).collect();
                let separators: Vec<u8> =
                    groups[1..=last].iter().map(|(offset, _)| run.as_str().as_bytes()[offset - 1]).collect();
                let next_is_long_group = groups.get(last + 1).is_some_and(|(_, g)| g.len() >= 4);
                if card_layout(&groups[..=last], &separators)
                    && !next_is_long_group
                    && !is_glued_after(text, end, "-/_", ".,:")
                    && checks::is_card_number(&digits)
                {
                    spans.push((run.start(), end));
                    break;
                }
            }
        }
        spans
    }

    /// IBANs, and IBAN-shaped texts (a country's length, spaced right) whose check fails.
    fn ibans(&self, text: &str) -> (Spans, Spans) {
        let (mut spans, mut mistyped) = (Vec::new(), Vec::new());
        for m in self.iban_start.find_iter(text) {
            let country = m.as_str()[..2].to_ascii_uppercase();
            let Some(length) = checks::iban_length(&country) else { continue };
            if char_before(text, m.start()).is_some_and(is_word) {
                continue;
            }
            // Read the rest compact, or spaced every four characters as printed.
            let spaced = text[m.end()..].starts_with(' ');
            let mut compact = m.as_str().to_ascii_uppercase();
            let mut end = m.end();
            let bytes = text.as_bytes();
            while compact.len() < length {
                if spaced && compact.len() % 4 == 0 {
                    if bytes.get(end) != Some(&b' ') {
                        break;
                    }
                    end += 1;
                }
                match bytes.get(end) {
                    Some(b) if b.is_ascii_alphanumeric() => compact.push(char::from(b.to_ascii_uppercase())),
                    _ => break,
                }
                end += 1;
            }
            if compact.len() == length && !char_after(text, end).is_some_and(is_word) {
                let valid = checks::iban_checksum_valid(&compact);
                if valid { &mut spans } else { &mut mistyped }.push((m.start(), end));
            }
        }
        (spans, mistyped)
    }

    fn ipv4s(&self, text: &str) -> Spans {
        let mut spans = Vec::new();
        for m in self.dotted_run.find_iter(text) {
            let octets: Vec<&str> = m.as_str().split('.').collect();
            // Octets as addresses are written: 0–255 without leading zeros (`1.250.000.000 €` is an amount).
            let is_octet = |o: &&str| o.parse::<u8>().is_ok() && (o.len() == 1 || !o.starts_with('0'));
            let is_address = octets.len() == 4 && octets.iter().all(is_octet);
            let mut before = text[..m.start()].chars().rev();
            let glued_to_name =
                matches!(before.next(), Some('/' | '-' | '_' | '.')) && before.next().is_some_and(char::is_alphabetic);
            if !is_address
                || glued_to_name
                || char_before(text, m.start()).is_some_and(|c| is_word(c) || "$€£¥".contains(c))
                || char_after(text, m.end()).is_some_and(is_word)
                || words_before(text, m.start()).first().is_some_and(|w| in_list(VERSION_WORDS, w))
            {
                continue;
            }
            spans.push((m.start(), m.end()));
        }
        spans
    }

    fn ipv6s(&self, text: &str) -> Spans {
        let mut spans = Vec::new();
        for m in self.colon_run.find_iter(text) {
            // A sentence's full stop and a label's colon are not part of the address.
            let (mut start, mut end) = (m.start(), m.end());
            while text[start..end].starts_with('.')
                || (text[start..end].starts_with(':') && !text[start..end].starts_with("::"))
            {
                start += 1;
            }
            while text[start..end].ends_with('.')
                || (text[start..end].ends_with(':') && !text[start..end].ends_with("::"))
            {
                end -= 1;
            }
            let candidate = &text[start..end];
            let mut before = text[..start].chars().rev();
            let slice_index =
                before.next() == Some('[') && before.next().is_some_and(|c| is_word(c) || c == ']' || c == ')');
            if candidate.matches(':').count() < 2
                || !candidate.bytes().any(|b| b.is_ascii_digit())
                || candidate.parse::<Ipv6Addr>().is_err()
                || slice_index
                || char_before(text, start).is_some_and(is_word)
                || char_after(text, end).is_some_and(is_word)
            {
                continue;
            }
            spans.push((start, end));
        }
        spans
    }

    fn phones(&self, text: &str) -> Spans {
        let mut spans = Vec::new();
        for m in self.phone_run.find_iter(text) {
            // `089 / 1234567` is one number; `020 7946 0958 / 07700 900123` is two.
            let whole = phone::phones_in(text, m.start(), m.end());
            if whole.last().is_some_and(|&(_, end)| end == m.end()) || !m.as_str().contains(" / ") {
                spans.extend(whole);
                continue;
            }
            let mut part_start = m.start();
            for part in m.as_str().split(" / ") {
                spans.extend(phone::phones_in(text, part_start, part_start + part.len()));
                part_start += part.len() + " / ".len();
            }
        }
        spans
    }
}

fn built_in(pattern: &str) -> Regex {
    // The built-in patterns are constants; a test builds every one of them.
    Regex::new(pattern).expect("built-in PII pattern")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_after(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// Whether the token starting at `start` continues one before it: a word character touches it, or one of
/// `word_joiners` sits between it and a word character, or one of `digit_joiners` between it and a digit.
fn is_glued_before(text: &str, start: usize, word_joiners: &str, digit_joiners: &str) -> bool {
    let mut before = text[..start].chars().rev();
    is_glued(before.next(), before.next(), word_joiners, digit_joiners)
}

/// [`is_glued_before`], looking after `end`.
fn is_glued_after(text: &str, end: usize, word_joiners: &str, digit_joiners: &str) -> bool {
    let mut after = text[end..].chars();
    is_glued(after.next(), after.next(), word_joiners, digit_joiners)
}

fn is_glued(next: Option<char>, beyond: Option<char>, word_joiners: &str, digit_joiners: &str) -> bool {
    let Some(next) = next else { return false };
    is_word(next)
        || (word_joiners.contains(next) && beyond.is_some_and(is_word))
        || (digit_joiners.contains(next) && beyond.is_some_and(|c| c.is_ascii_digit()))
}

/// Up to four words just before `start`, nearest first, lower-cased; only spaces and `:.#,(-` may stand
/// between them (a digit or other sign ends the list).
fn words_before(text: &str, start: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut before = &text[..start];
    while words.len() < 4 {
        before = before.trim_end_matches(|c: char| c.is_whitespace() || ":.#,(-".contains(c));
        let word = before.trim_end_matches(|c: char| c.is_alphabetic() || c == '§');
        if word.len() == before.len() {
            break;
        }
        words.push(before[word.len()..].to_lowercase());
        before = word;
    }
    words
}

/// Whether `word` is one of the whitespace-separated words of `list`.
fn in_list(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// `icon@2x.png`: an image file name with a pixel-density suffix, not an address.
fn is_retina_asset(domain: &str) -> bool {
    let rest = domain.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    rest.len() < domain.len() && rest.starts_with("x.")
}

/// The digit groups of a run of digits joined by single spaces or dashes, with their offsets in the run.
fn split_groups(run: &str) -> Vec<(usize, &str)> {
    let mut groups = Vec::new();
    let mut offset = 0;
    for group in run.split([' ', '-']) {
        groups.push((offset, group));
        offset += group.len() + 1;
    }
    groups
}

/// Whether digit groups are laid out as card numbers are printed: unbroken, in fours (the last group may be
/// shorter), or 4-6-4 / 4-6-5, with one kind of separator.
fn card_layout(groups: &[(usize, &str)], separators: &[u8]) -> bool {
    let lengths: Vec<usize> = groups.iter().map(|(_, g)| g.len()).collect();
    let digits: usize = lengths.iter().sum();
    let one_separator = separators.windows(2).all(|pair| pair[0] == pair[1]);
    let in_fours =
        lengths.len() >= 4 && lengths[..lengths.len() - 1].iter().all(|&n| n == 4) && lengths[lengths.len() - 1] <= 4;
    let amex_like = lengths.len() == 3 && lengths[0] == 4 && lengths[1] == 6 && (4..=5).contains(&lengths[2]);
    (13..=19).contains(&digits) && one_separator && (lengths.len() == 1 || in_fours || amex_like)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The found spans as (text, kind name) pairs.
    fn found(text: &str) -> Vec<(String, String)> {
        let masker = Masker::new(&[]).unwrap();
        masker.find(text).into_iter().map(|s| (text[s.start..s.end].to_string(), s.kind.name().to_string())).collect()
    }

    fn assert_finds(kind: &str, texts: &[(&str, &str)]) {
        for (text, expected) in texts {
            assert_eq!(found(text), vec![(expected.to_string(), kind.to_string())], "in {text:?}");
        }
    }

    fn assert_clean(texts: &[&str]) {
        let masker = Masker::new(&[]).unwrap();
        for text in texts {
            assert_eq!(found(text), vec![], "in {text:?}");
            assert!(masker.is_clean(text), "in {text:?}");
        }
    }

    #[test]
    fn emails() {
        assert_finds(
            "email",
            &[
                ("Write to jane.doe+tickets@example.co.uk.", "jane.doe+tickets@example.co.uk"),
                ("<ops@mail.example.org>", "ops@mail.example.org"),
                ("josé.garcía@correo.es, gracias", "josé.garcía@correo.es"),
                ("'j.o'brien@example.ie'", "j.o'brien@example.ie"),
            ],
        );
        assert_clean(&["ping @jane_doe", "user@ is empty", "icon@2x.png", "npm i lodash@4.17.21", "a@b"]);
    }

    #[test]
    fn cards() {
        assert_finds(
            "card",
            &[
                ("card 4111 1111 1111 1111 exp 12/26", "4111 1111 1111 1111"),
                ("4111111111111111 12/26", "4111111111111111"),
                ("Amex 3782-822463-10005.", "3782-822463-10005"),
                ("5555-5555-5555-4444", "5555-5555-5555-4444"),
            ],
        );
        assert_clean(&[
            "4111 1111 1111 1112",
            "IMEI 356938035643809",
            "EAN 4006381333931",
            "4111 1111 1111 1111 1111",
            "USPS 9400 1000 0000 0000 0000 00",
        ]);
    }

    #[test]
    fn ibans() {
        assert_finds(
            "iban",
            &[
                ("IBAN: DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00"),
                ("GB29NWBK60161331926819", "GB29NWBK60161331926819"),
                ("BE68 5390 0754 7034 Bank", "BE68 5390 0754 7034"),
            ],
        );
        assert_clean(&[
            "DE89 3704 0044 0532 0130 01",
            "NL16 ABNA 0243 7269 18",
            "VAT DE123456789",
            "BIC DEUTDEFF500",
            "US12 3456 7890",
        ]);
    }

    #[test]
    fn ipv4() {
        assert_finds(
            "ipv4",
            &[
                ("from 192.168.1.10:8080", "192.168.1.10"),
                ("route 10.0.0.0/8.", "10.0.0.0"),
                ("ssh admin@10.1.2.3", "10.1.2.3"),
            ],
        );
        assert_clean(&["256.1.2.3", "1.2.3", "1.3.6.1.4.1", "version 10.2.0.1", "v1.2.3.4", "Chrome/120.0.0.0"]);
    }

    #[test]
    fn ipv6() {
        assert_finds(
            "ipv6",
            &[
                ("[2001:db8::1]:443", "2001:db8::1"),
                ("src fe80::1%eth0", "fe80::1"),
                ("mapped ::ffff:192.0.2.1.", "::ffff:192.0.2.1"),
                ("addr: 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
            ],
        );
        assert_clean(&["00:1A:2B:3C:4D:5E", "12:30:45", "std::vec::Vec", "a::b", "x[1::2]", "2001:db8:::1"]);
    }

    #[test]
    fn custom_patterns_mask_and_bad_ones_are_named() {
        let masker = Masker::new(&[("employee".into(), r"EMP-\d{6}".into())]).unwrap();
        assert_eq!(masker.mask("EMP-123456 at 10.0.0.1"), "<employee> at <ipv4>");
        let err = Masker::new(&[("broken".into(), "(".into())]).unwrap_err();
        assert!(err.to_string().contains("\"broken\""), "{err}");
        assert!(matches!(Masker::new(&[("a b".into(), "x".into())]), Err(PiiError::BadName { .. })));
    }

    #[test]
    fn overlaps_keep_the_longest_and_offsets_stay_on_char_boundaries() {
        let masker = Masker::new(&[]).unwrap();
        let text = "Zoë — écrivez à zoë@exemple.fr ou au 06 12 34 56 78 ✓";
        assert_eq!(masker.mask(text), "Zoë — écrivez à <email> ou au <phone> ✓");
        assert!(masker.is_clean("Nothing to see — ünïcödé"));
        assert_eq!(found("::ffff:10.0.0.1"), vec![("::ffff:10.0.0.1".to_string(), "ipv6".to_string())]);
    }
}
