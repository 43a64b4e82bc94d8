//! The grammar of phone numbers for PII masking: which runs of digits, spaces, dashes, dots, slashes and
//! parentheses are phone numbers. Pure; it uses only its parent's text helpers.
//!
//! A run is a phone number when it is one of:
//! - international: `+` and 8–15 digits in any grouping (`+49 30 1234567`, `+44 (0)20 7946 0958`), exactly 11
//!   after `+1` (`+15551234567`), or `00` and a country code with 10–15 digits after the `00`
//!   (`0044 20 7946 0958`);
//! - North American: 3-3-4 with the same separator or `-`/`.` after the first (`415-555.0126`,
//!   `212 555-0191`), or `(555) 123-4567`, optionally after `1`, area code 2–9;
//! - national with a trunk `0`: 10–11 digits, or 9 in three or more groups (`020 7946 0958`, `07700 900123`,
//!   `06 12 34 56 78`, `06.12.34.56.78`, `030/1234567`, `089 / 1234567`, `(02) 9876 5432`, `01 234 5678`);
//! - a parenthesised area code and 10–11 digits in all (`(11) 91234-5678`);
//! - any 7–15 digits in plain groups when a phone word labels it (`Phone: 2025550143`, `call me on 555-0199`,
//!   `Tel. 612 345 678`).
//!
//! One run of groups may hold several numbers, or a number after other digits (`IL 62701 (217) 555-0134`,
//! `212-555-0177 212-555-0178`). Besides at the run's start, a number may start at a group after a space when
//! it follows a number, follows a lone ZIP code (`62701`, `80202-1234`), or is punctuated as only phones are
//! (brackets, dashes or dots: `(217) 555-0134`, `415-555-0198`); so spaced groups inside a longer spaced run
//! (`1234 567 890 1234`) are not one. A run after an identifier label or sign (`Account`, `#`, `$`) holds
//! none. Digits and letters after a number (`1-800-555-0142 24hrs.`, `24/7`) are not part of it, and after a
//! phone word a number of a known shape wins over a longer plain one.
//!
//! Without a label these are not phones, as they are as often something else: unbroken digit runs without `+`
//! or a trunk `0` (order, tracking and account numbers), seven-digit local numbers (`555-0199`, a part
//! number), national formats without a trunk `0` (Spain's `612 345 678` reads as an amount). Never phones:
//! a number after `#`, a currency sign, `@`, or an identifier label (`Order no. 0012345678`, `Customer ID`,
//! `ISBN`), or before `%` or a currency sign. Lottery-like pairs starting with 0 (`07 14 21 28 35`) read
//! exactly like French numbers and are taken as phones.

use super::{CODE_WORDS, char_after, char_before, in_list, is_glued_after, is_glued_before, words_before};

/// Words that label the number after them as a phone number.
const PHONE_WORDS: &str = "phone ph telephone tel mobile mob cell fax call ring text sms whatsapp landline hotline \
    helpline contact telefon telefono teléfono téléphone tél tlf handy móvil celular";
/// Words that may stand between a label and its number: `call me on`, `phone number`.
const FILLER_WORDS: &str = "me us him her them at on number no nr is my our";
/// Words that label the number after them as an identifier, not a phone number: `Order no. 0012345678`.
const ID_WORDS: &str = "no nr number id ref reference order invoice account acct customer client member ticket case \
    delivery shipment parcel package consignment tracking booking policy receipt transaction serial sku code item \
    batch po";

/// The phone numbers in the run of digit groups from `start` to `end`, in order: one at the run's start (see
/// [`phone_in`]), then any that start at a later group after a space, as the module doc says.
pub(super) fn phones_in(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = phone_in(text, start, end).map(|e| (start, e)).into_iter().collect();
    let mut cursor = spans.last().map_or(start, |&(_, e)| e);
    // Most runs hold one group or one number: read the words before the run only when there is more.
    if next_group_start(text, cursor, end).is_none() || marked_as_other(text, start, &words_before(text, start)) {
        return spans;
    }
    while let Some(from) = next_group_start(text, cursor, end) {
        cursor = from;
        let Some(number_end) = phone_in(text, from, end) else { continue };
        let after_number = spans.last().is_some_and(|&(_, e)| text[e..from].trim().is_empty());
        let after_zip = spans.is_empty() && is_zip_code(text[start..from].trim_end());
        // Spaced digits are as often the rest of a longer number; brackets, dashes and dots are not.
        let punctuated = text[from..number_end].contains(['(', '-', '.']);
        if after_number || after_zip || punctuated {
            spans.push((from, number_end));
            cursor = number_end;
        }
    }
    spans
}

/// The first group after `cursor` and before `end` that follows a space.
fn next_group_start(text: &str, cursor: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (cursor + 1..end).find(|&i| bytes[i - 1] == b' ' && (bytes[i].is_ascii_digit() || bytes[i] == b'('))
}

/// `62701` or `80202-1234`, a US ZIP code.
fn is_zip_code(digits: &str) -> bool {
    let (five, four) = digits.split_once('-').unwrap_or((digits, "0000"));
    five.len() == 5 && four.len() == 4 && five.chars().chain(four.chars()).all(|c| c.is_ascii_digit())
}

/// Whether a sign or the words before `start` mark the digits there as an amount or identifier, not a phone:
/// `#`, `$`, `@`, `Order no.`, `ISBN` (a phone word before them wins: `Tel. 612 345 678`).
fn marked_as_other(text: &str, start: usize, words: &[String]) -> bool {
    char_before(text, start).is_some_and(|c| "#$€£¥@№".contains(c))
        || (!labels_phone(words) && (labels_identifier(words) || words.first().is_some_and(|w| in_list(CODE_WORDS, w))))
}

/// The end of the phone number that starts at `start` and ends at `end` or earlier (at a space or slash:
/// `555-123-4567 24/7`, `020 7946 0958/9`), if the digits there are one. Digits glued to letters at `end`
/// (`24hrs`) are not part of it.
fn phone_in(text: &str, start: usize, end: usize) -> Option<usize> {
    let symbol_after = char_after(text, end).is_some_and(|c| "%$€£¥".contains(c));
    if symbol_after || is_glued_before(text, start, "-/_", ".,:") {
        return None;
    }
    let run = &text[start..end];
    let whole = (!is_glued_after(text, end, "-/_", ".,:")).then_some(run.len());
    let ends: Vec<usize> = whole
        .into_iter()
        .chain(run.rmatch_indices([' ', '/']).map(|(i, _)| i))
        .filter(|&len| run[..len].ends_with(|c: char| c.is_ascii_digit() || c == ')'))
        .collect();
    // Times, versions and other glued tokens end here, before the words before them are read.
    if ends.is_empty() {
        return None;
    }
    let words = words_before(text, start);
    if marked_as_other(text, start, &words) {
        return None;
    }
    let labelled = labels_phone(&words);
    let longest = |plain: bool| {
        ends.iter().copied().find(|&len| {
            parse_number_run(&run[..len]).is_some_and(|n| if plain { n.is_plain_number() } else { n.is_phone() })
        })
    };
    // A number of a known shape wins over a longer plain one: `Call 1-888-555-0193 24/7`.
    longest(false).or_else(|| if labelled { longest(true) } else { None }).map(|len| start + len)
}

/// Whether the words before a number label it as a phone: `Tel.:`, `call me on`, `phone number`.
fn labels_phone(words: &[String]) -> bool {
    let label = words.iter().find(|w| !in_list(FILLER_WORDS, w));
    label.is_some_and(|w| in_list(PHONE_WORDS, w))
}

/// Whether the words before a number label it as an identifier: `no.`, `ID`, `order`, `invoice number`.
fn labels_identifier(words: &[String]) -> bool {
    let label = words.iter().find(|w| !in_list(FILLER_WORDS, w));
    words.first().into_iter().chain(label).any(|w| in_list(ID_WORDS, w))
}

/// A number as written: an optional `+`, digit groups (some in parentheses) and the separator before each
/// group after the first (`' '`, `'-'`, `'.'`, `'/'`, or `'\0'` for none).
struct NumberRun<'a> {
    plus: bool,
    groups: Vec<&'a str>,
    parenthesised: Vec<bool>,
    separators: Vec<char>,
}

fn parse_number_run(run: &str) -> Option<NumberRun<'_>> {
    let mut number = NumberRun { plus: false, groups: vec![], parenthesised: vec![], separators: vec![] };
    let mut rest = run;
    if let Some(after_plus) = rest.strip_prefix('+') {
        number.plus = true;
        rest = after_plus;
    }
    let mut separator = '\0';
    while let Some(c) = rest.chars().next() {
        let (group, parenthesised, len) = if c == '(' {
            let close = rest.find(')')?;
            (rest[1..close].trim_start_matches('+'), true, close + 1)
        } else if c.is_ascii_digit() {
            let len = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            (&rest[..len], false, len)
        } else {
            // In ` / ` the slash is the separator.
            if c != ' ' || separator == '\0' {
                separator = c;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        };
        if !number.groups.is_empty() {
            number.separators.push(separator);
        }
        number.groups.push(group);
        number.parenthesised.push(parenthesised);
        separator = '\0';
        rest = &rest[len..];
    }
    (!number.groups.is_empty()).then_some(number)
}

impl NumberRun<'_> {
    fn digits(&self) -> usize {
        self.groups.iter().map(|g| g.len()).sum()
    }

    /// 7–15 digits in plain groups (spaces, dashes or dots; a leading group may be in parentheses): a phone
    /// number when a phone word labels it.
    fn is_plain_number(&self) -> bool {
        let separators_fit = self.separators.iter().all(|s| matches!(s, ' ' | '-' | '.' | '\0'));
        separators_fit && !self.parenthesised[1..].contains(&true) && (7..=15).contains(&self.digits())
    }

    fn is_phone(&self) -> bool {
        if self.separators.contains(&'/') && !self.is_trunk_national() {
            return false;
        }
        let first = self.groups[0];
        if self.plus {
            // Every country code starting with 1 is the North American plan's: 1 and ten digits, so
            // `+1 415 555 0107 415 555 0108` is two numbers.
            let north_american = first.starts_with('1');
            return if north_american { self.digits() == 11 } else { (8..=15).contains(&self.digits()) };
        }
        // Not `0011.2233.4455`, a MAC address as Cisco writes it.
        let no_dots = !self.separators.contains(&'.');
        if first.starts_with("00") && !self.parenthesised[0] && no_dots {
            let after_prefix = self.groups.concat();
            return after_prefix[2..].starts_with(|c: char| c != '0') && (10..=15).contains(&(self.digits() - 2));
        }
        self.is_north_american() || self.is_trunk_national() || self.is_area_code_first()
    }

    /// A parenthesised area code, then two or three groups: `(11) 91234-5678`, `(212) 555 0143`.
    fn is_area_code_first(&self) -> bool {
        let groups_fit = (3..=4).contains(&self.groups.len())
            && self.parenthesised[0]
            && (2..=4).contains(&self.groups[0].len())
            && !self.parenthesised[1..].contains(&true)
            && self.groups[1..].iter().all(|g| g.len() >= 3);
        groups_fit
            && self.separators[0] == ' '
            && self.separators[1..].iter().all(|s| matches!(s, ' ' | '-'))
            && (10..=11).contains(&self.digits())
    }

    /// `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `555 123 4567`, optionally after `1`.
    fn is_north_american(&self) -> bool {
        let skip = usize::from(self.groups.len() == 4 && self.groups[0] == "1" && !self.parenthesised[0]);
        let groups = &self.groups[skip..];
        let parenthesised = &self.parenthesised[skip..];
        let separators = &self.separators[skip..];
        if groups.len() != 3 || parenthesised[1] || parenthesised[2] {
            return false;
        }
        let lengths_fit = groups[0].len() == 3 && groups[1].len() == 3 && groups[2].len() == 4;
        let area_code_fits = groups[0].starts_with(|c: char| ('2'..='9').contains(&c));
        // Ads and signatures mix separators (`415-555.0126`, `212 555-0191`), but not `212-555 0191`.
        let separators_fit = if parenthesised[0] {
            matches!(separators[0], ' ' | '\0') && matches!(separators[1], ' ' | '-' | '.')
        } else {
            matches!(separators[0], ' ' | '-' | '.')
                && (separators[1] == separators[0] || matches!(separators[1], '-' | '.'))
        };
        let lead_fits = skip == 0 || matches!(self.separators[0], ' ' | '-' | '.');
        lengths_fit && area_code_fits && separators_fit && lead_fits
    }

    /// A national number with a trunk `0` and 10–11 digits (9 in three or more groups): `020 7946 0958`,
    /// `07700 900123`, `06 12 34 56 78`, `06.12.34.56.78`, `030/1234567`, `(02) 9876 5432`, `01 234 5678`.
    fn is_trunk_national(&self) -> bool {
        let first = self.groups[0];
        let has_trunk_zero = first.starts_with('0') && first[1..].starts_with(|c: char| ('1'..='9').contains(&c));
        let digits_fit = (10..=11).contains(&self.digits()) || (self.digits() == 9 && self.groups.len() >= 3);
        if !has_trunk_zero || !digits_fit {
            return false;
        }
        if self.groups.len() == 1 {
            return !self.parenthesised[0];
        }
        let shapes_fit = self.groups.len() <= 5
            && self.groups.iter().all(|g| g.len() >= 2)
            && !self.parenthesised[1..].contains(&true);
        let dotted_pairs = self.separators.iter().all(|&s| s == '.') && self.groups.iter().all(|g| g.len() == 2);
        let separators_fit = self.separators.iter().enumerate().all(|(i, &s)| match s {
            ' ' | '-' => true,
            '/' => i == 0,
            '\0' => i == 0 && self.parenthesised[0],
            _ => false,
        });
        shapes_fit && (dotted_pairs || separators_fit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Masker;

    fn phones(text: &str) -> Vec<&str> {
        let masker = Masker::new(&[]).unwrap();
        masker.find(text).into_iter().filter(|s| s.kind.name() == "phone").map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn finds_international_national_and_labelled_numbers() {
        for (text, expected) in [
            ("call (555) 123-4567 today", "(555) 123-4567"),
            ("555-123-4567.", "555-123-4567"),
            ("London 020 7946 0958", "020 7946 0958"),
            ("text 07700 900123", "07700 900123"),
            ("Berlin: +49 30 1234567", "+49 30 1234567"),
            ("+1-202-555-0143", "+1-202-555-0143"),
            ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
            ("Tel: 0044 (0)20 7946 0123", "0044 (0)20 7946 0123"),
            ("1-800-555-0199 24/7", "1-800-555-0199"),
            ("06 12 34 56 78", "06 12 34 56 78"),
            ("tel:+15551234567", "+15551234567"),
            ("Phone: 2025550143", "2025550143"),
            ("call me on 555-0199", "555-0199"),
            ("São Paulo (11) 91234-5678", "(11) 91234-5678"),
            ("Dublin 01 234 5678", "01 234 5678"),
            ("Telefon: 089 / 1234567", "089 / 1234567"),
            ("Showroom: 020 7946 0958/9", "020 7946 0958"),
        ] {
            assert_eq!(phones(text), vec![expected], "in {text:?}");
        }
        assert_eq!(phones("020 7946 0958 / 07700 900123"), vec!["020 7946 0958", "07700 900123"]);
    }

    // Issue 14, point 11: numbers masked on their own were missed in the contexts real mail puts them in.
    #[test]
    fn finds_a_number_right_after_a_postal_code() {
        assert_eq!(phones("Springfield, IL 62701 (217) 555-0134"), vec!["(217) 555-0134"]);
        assert_eq!(phones("Denver CO 80202-1234 303-555-0187"), vec!["303-555-0187"]);
        assert_eq!(phones("Miami FL 33131 305 555 0148"), vec!["305 555 0148"]);
    }

    #[test]
    fn finds_a_number_followed_by_a_url() {
        assert_eq!(phones("312-555.0147 http://www.example.com/offers"), vec!["312-555.0147"]);
        assert_eq!(phones("Questions? 415-555.0126 https://example.org"), vec!["415-555.0126"]);
    }

    #[test]
    fn finds_a_number_followed_by_digits_and_letters() {
        assert_eq!(phones("Toll Free: 1-800-555-0142 24hrs."), vec!["1-800-555-0142"]);
        assert_eq!(phones("Text 415-555-0188 2day"), vec!["415-555-0188"]);
        assert_eq!(phones("Call 1-888-555-0193 24/7"), vec!["1-888-555-0193"]);
    }

    #[test]
    fn finds_the_second_of_two_numbers_in_a_row() {
        assert_eq!(phones("212-555-0177 212-555-0178"), vec!["212-555-0177", "212-555-0178"]);
        assert_eq!(
            phones("Phones: 312-555-0140 312-555-0141 312-555-0142"),
            vec!["312-555-0140", "312-555-0141", "312-555-0142"]
        );
        assert_eq!(phones("212 555 0105 212 555 0106"), vec!["212 555 0105", "212 555 0106"]);
        assert_eq!(phones("+1 415 555 0107 415 555 0108"), vec!["+1 415 555 0107", "415 555 0108"]);
    }

    #[test]
    fn leaves_numbers_inside_longer_digit_runs() {
        for text in [
            "1234 567 890 1234",
            "Account 1234 567 890 1234",
            "Tracking 9400 312 555 0147 22",
            "zip 62701-1234 and 62702",
        ] {
            assert_eq!(phones(text), Vec::<&str>::new(), "in {text:?}");
        }
    }

    #[test]
    fn leaves_dates_amounts_versions_and_identifiers() {
        for text in [
            "on 2024-03-15 at 14:30",
            "15/03/2024 and 03.15.2024",
            "pi is 3.14159",
            "v2.3.1 and 10.2.3",
            "$1,234,567.89 or 1 234 567",
            "ISBN 0-306-40615-2 and ISBN 0306406152",
            "in 1999",
            "order #0123456789",
            "order 4839201756",
            "Order no. 0012345678 and Customer ID 0123456789",
            "ABC-555-123-4567",
            "zip 02134-1234",
            "part 555-0199",
            "Cisco MAC 0011.2233.4455",
            "card 4111 1111 1111 1111",
            "NL16 ABNA 0243 7269 18",
        ] {
            assert_eq!(phones(text), Vec::<&str>::new(), "in {text:?}");
        }
    }
}
