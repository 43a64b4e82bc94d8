//! What a review looks for: the filters `margin review` and the review screen share, parsed from the
//! `key=value` words people type (`label=spam person=ann since=2026-11-01 disagrees`), and the words of a
//! full-text search made safe for SQLite's FTS5. Pure: text in, a filter or a message naming the fix out.

use std::collections::HashSet;
use std::fmt;

use super::{Decision, DecisionAction, ItemOutcome, outcome};

/// An item's status as a review filters it (the item's outcome; `pending` is an item whose decisions were
/// only skips or were all taken back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Decided,
    Disputed,
    Escalated,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 4] =
        [ReviewStatus::Pending, ReviewStatus::Decided, ReviewStatus::Disputed, ReviewStatus::Escalated];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Decided => "decided",
            ReviewStatus::Disputed => "disputed",
            ReviewStatus::Escalated => "escalated",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewStatus> {
        ReviewStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Which decided items a review shows. Every part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewFilter {
    /// The item is settled with this label (each one given must be among its labels).
    pub labels: Vec<String>,
    /// This person decided the item (labelled, skipped or escalated it).
    pub person: Option<String>,
    pub status: Option<ReviewStatus>,
    /// The item's latest decision was made at or after this time (ms since the epoch, UTC).
    pub since_ms: Option<i64>,
    /// ... and before this time.
    pub until_ms: Option<i64>,
    pub gold: Option<bool>,
    /// The item was escalated at some point.
    pub escalated: Option<bool>,
    /// The latest labelling decision differs from what the model predicted when it was made.
    pub disagrees: Option<bool>,
    /// The model's confidence then lies in this range (inclusive).
    pub confidence: Option<(f64, f64)>,
    /// Metadata fields and the value each must have (compared as text).
    pub meta: Vec<(String, String)>,
    /// Words the text must hold (full-text search); see [`fts_query`].
    pub search: Option<String>,
}

/// A filter word that could not be understood, with what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter `{term}`: {problem}")]
pub struct FilterError {
    pub term: String,
    pub problem: String,
}

/// The keys a filter word may have, for messages and help.
pub const FILTER_KEYS: &str = "label=L, person=NAME, status=pending|decided|disputed|escalated, since=YYYY-MM-DD, \
     until=YYYY-MM-DD, gold[=no], escalated[=no], disagrees[=no], confidence=LOW-HIGH, meta.FIELD=VALUE, text=WORDS";

const DAY_MS: i64 = 86_400_000;

impl ReviewFilter {
    /// Parses filter words separated by spaces; a value with spaces goes in double quotes
    /// (`meta.city="New York"`). Later words add to (or, for single-valued keys, replace) earlier ones.
    pub fn parse(text: &str) -> Result<ReviewFilter, FilterError> {
        let mut filter = ReviewFilter::default();
        filter.add(text)?;
        Ok(filter)
    }

    /// Adds the filter words in `text` to this filter.
    pub fn add(&mut self, text: &str) -> Result<(), FilterError> {
        for term in split_words(text).map_err(|problem| FilterError { term: text.trim().to_string(), problem })? {
            self.add_term(&term)?;
        }
        Ok(())
    }

    fn add_term(&mut self, term: &str) -> Result<(), FilterError> {
        let fail = |problem: String| FilterError { term: term.to_string(), problem };
        let (key, value) = match term.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (term.trim(), None),
        };
        let needs = |what: &str| -> Result<&str, FilterError> {
            value.filter(|v| !v.is_empty()).ok_or_else(|| fail(format!("give a value: {key}={what}")))
        };
        match key {
            "label" => self.labels.push(needs("LABEL")?.to_string()),
            "person" | "by" => self.person = Some(needs("NAME")?.to_string()),
            "status" => {
                let v = needs("STATUS")?;
                self.status = Some(
                    ReviewStatus::parse(v)
                        .ok_or_else(|| fail("the status is one of pending, decided, disputed, escalated".into()))?,
                );
            }
            "since" => self.since_ms = Some(day_start_ms(needs("YYYY-MM-DD")?).map_err(fail)?),
            "until" => self.until_ms = Some(day_start_ms(needs("YYYY-MM-DD")?).map_err(fail)? + DAY_MS),
            "gold" => self.gold = Some(yes_no(value).map_err(fail)?),
            "escalated" => self.escalated = Some(yes_no(value).map_err(fail)?),
            "disagrees" => self.disagrees = Some(yes_no(value).map_err(fail)?),
            "confidence" => self.confidence = Some(band(needs("LOW-HIGH")?).map_err(fail)?),
            "text" => self.search = Some(needs("WORDS")?.to_string()),
            _ => match key.strip_prefix("meta.") {
                Some(field) if !field.is_empty() => self.meta.push((field.to_string(), needs("VALUE")?.to_string())),
                _ => return Err(fail(format!("unknown filter; use {FILTER_KEYS}"))),
            },
        }
        Ok(())
    }

    /// Whether nothing narrows the review: every decided item shows.
    pub fn is_empty(&self) -> bool {
        *self == ReviewFilter::default()
    }

    /// The filter as words [`ReviewFilter::parse`] reads back, for titles and messages.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ReviewFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<String> = Vec::new();
        let quote = |v: &str| if v.contains(char::is_whitespace) { format!("\"{v}\"") } else { v.to_string() };
        words.extend(self.labels.iter().map(|l| format!("label={}", quote(l))));
        words.extend(self.person.iter().map(|p| format!("person={}", quote(p))));
        words.extend(self.status.iter().map(|s| format!("status={}", s.as_str())));
        words.extend(self.since_ms.iter().map(|ms| format!("since={}", day_of(*ms))));
        words.extend(self.until_ms.iter().map(|ms| format!("until={}", day_of(*ms - DAY_MS))));
        let flag = |name: &str, v: bool| if v { name.to_string() } else { format!("{name}=no") };
        words.extend(self.gold.map(|v| flag("gold", v)));
        words.extend(self.escalated.map(|v| flag("escalated", v)));
        words.extend(self.disagrees.map(|v| flag("disagrees", v)));
        words.extend(self.confidence.map(|(lo, hi)| format!("confidence={lo}-{hi}")));
        words.extend(self.meta.iter().map(|(k, v)| format!("meta.{k}={}", quote(v))));
        words.extend(self.search.iter().map(|s| format!("text={}", quote(s))));
        f.write_str(&words.join(" "))
    }
}

/// Splits on whitespace, keeping double-quoted stretches together (without their quotes).
fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err("a double quote is not closed".into());
    }
    if !word.is_empty() {
        words.push(word);
    }
    Ok(words)
}

fn yes_no(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("yes" | "true" | "1") => Ok(true),
        Some("no" | "false" | "0") => Ok(false),
        Some(other) => Err(format!("`{other}` is not yes or no")),
    }
}

/// `0.5-0.8`, `0.9-1`, or one number for "at least".
fn band(text: &str) -> Result<(f64, f64), String> {
    let number = |s: &str| -> Result<f64, String> {
        let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number; write LOW-HIGH, e.g. 0.5-0.8"))?;
        if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("{v} is outside 0-1; write LOW-HIGH, e.g. 0.5-0.8")) }
    };
    let (lo, hi) = match text.split_once('-') {
        Some((lo, hi)) => (number(lo)?, number(hi)?),
        None => (number(text)?, 1.0),
    };
    if lo > hi {
        return Err(format!("{lo} is above {hi}; write the lower bound first"));
    }
    Ok((lo, hi))
}

/// The start of a day given as `YYYY-MM-DD`, in ms since the epoch (UTC).
fn day_start_ms(text: &str) -> Result<i64, String> {
    let fail = || format!("`{text}` is not a date; write YYYY-MM-DD, e.g. 2026-11-30");
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(fail()) };
    let (y, m, d): (i64, i64, i64) =
        (y.parse().map_err(|_| fail())?, m.parse().map_err(|_| fail())?, d.parse().map_err(|_| fail())?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(fail());
    }
    Ok(days_from_civil(y, m, d) * DAY_MS)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (`YYYY-MM-DD`, UTC) of a time in ms since the epoch.
pub fn day_of(ms: i64) -> String {
    let z = ms.div_euclid(DAY_MS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A full-text search as an FTS5 query that cannot be a syntax error: each word becomes a quoted phrase
/// (all must occur), and a word ending in `*` matches as a prefix. `None` when no word is left.
pub fn fts_query(words: &str) -> Option<String> {
    let phrases: Vec<String> = words
        .split_whitespace()
        .filter_map(|w| {
            let (stem, prefix) = match w.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (w, false),
            };
            let stem: String = stem.chars().filter(|c| !c.is_control()).collect();
            let stem = stem.trim_matches('"');
            if stem.is_empty() {
                return None;
            }
            let quoted = format!("\"{}\"", stem.replace('"', "\"\""));
            Some(if prefix { format!("{quoted}*") } else { quoted })
        })
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" "))
}

/// One item as the review lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewRow {
    #[serde(skip)]
    pub item_id: i64,
    /// The id people use (the source's, or derived from the text).
    pub id: String,
    pub text: String,
    pub status: ReviewStatus,
    pub labels: Option<Vec<String>>,
    pub last_by: String,
    pub last_at_ms: i64,
    pub predicted: Option<Vec<String>>,
    pub confidence: Option<f64>,
    pub disagrees: bool,
    pub gold: bool,
    pub escalated: bool,
    /// The row's latest decision: with `last_at_ms`, where the next page starts.
    #[serde(skip)]
    pub last_id: i64,
}

impl ReviewRow {
    /// The row's place in the review's order (newest decision first): the next page starts after it.
    pub fn cursor(&self) -> (i64, i64) {
        (self.last_at_ms, self.last_id)
    }
}

/// One line of an item's history: `#12 2026-12-02 ann correct spam (model 3 said ham 82%); reason: ...`,
/// with the decision that took it back, if one did.
pub fn history_line(d: &Decision, undone_by: Option<i64>) -> String {
    let mut line = format!("#{} {} {} {}", d.id, day_of(d.at_ms), d.annotator, d.action.as_str());
    if let Some(labels) = &d.labels {
        line.push_str(&format!(" {}", labels.join("+")));
    }
    if let Some(target) = d.undoes {
        line.push_str(&format!(" #{target}"));
    }
    if let Some(m) = &d.model {
        line.push_str(&format!(" (model {} said {} {:.0}%)", m.version, m.predicted.join("+"), m.confidence * 100.0));
    }
    if let Some(reason) = &d.reason {
        line.push_str(&format!("; reason: {reason}"));
    }
    if let Some(note) = &d.note {
        line.push_str(&format!("; note: {note}"));
    }
    if let Some(by) = undone_by {
        line.push_str(&format!(" [taken back by #{by}]"));
    }
    line
}

/// Every decision about an item as lines of its history, oldest first.
pub fn history_lines(decisions: &[Decision]) -> Vec<String> {
    decisions.iter().map(|d| history_line(d, decisions.iter().find(|u| u.undoes == Some(d.id)).map(|u| u.id))).collect()
}

/// What the review keeps about an item that has decisions: its outcome and its latest decision, so that
/// filters need not work the outcome out again for every item.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewState {
    pub status: ReviewStatus,
    /// The settled labels, when decided.
    pub labels: Option<Vec<String>>,
    /// The latest decision that stands (or, when every one was taken back, the latest undo).
    pub last_id: i64,
    pub last_at_ms: i64,
    pub last_by: String,
    /// What the model predicted, and how confidently, when the latest standing labelling decision was made.
    pub predicted: Option<Vec<String>>,
    pub confidence: Option<f64>,
    /// That decision's labels differ from that prediction.
    pub disagrees: bool,
    /// Someone escalated the item at some point.
    pub escalated: bool,
}

/// The review state of an item from its decisions (oldest first) and whether an escalation is open;
/// `None` for an item without decisions.
pub fn review_state(decisions: &[Decision], escalation_open: bool) -> Option<ReviewState> {
    let latest = decisions.last()?;
    let undone: HashSet<i64> = decisions.iter().filter_map(|d| d.undoes).collect();
    let standing: Vec<&Decision> =
        decisions.iter().filter(|d| d.action != DecisionAction::Undo && !undone.contains(&d.id)).collect();
    let last = standing.last().copied().unwrap_or(latest);
    let labelling = standing.iter().rev().find(|d| d.action.assigns_labels());
    let model = labelling.and_then(|d| d.model.as_ref());
    let sorted = |labels: &[String]| {
        let mut v = labels.to_vec();
        v.sort();
        v
    };
    let disagrees = match (labelling.and_then(|d| d.labels.as_deref()), model) {
        (Some(given), Some(m)) => sorted(given) != sorted(&m.predicted),
        _ => false,
    };
    let (status, labels) = match outcome(decisions, escalation_open) {
        ItemOutcome::Pending => (ReviewStatus::Pending, None),
        ItemOutcome::Escalated => (ReviewStatus::Escalated, None),
        ItemOutcome::Disputed => (ReviewStatus::Disputed, None),
        ItemOutcome::Decided { labels } => (ReviewStatus::Decided, Some(labels)),
    };
    Some(ReviewState {
        status,
        labels,
        last_id: last.id,
        last_at_ms: last.at_ms,
        last_by: last.annotator.clone(),
        predicted: model.map(|m| m.predicted.clone()),
        confidence: model.map(|m| m.confidence),
        disagrees,
        escalated: decisions.iter().any(|d| d.action == DecisionAction::Escalate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_and_reads_back_what_it_printed() {
        let text = "label=spam label=\"not spam\" person=ann status=decided since=2026-11-01 until=2026-11-30 \
                    gold escalated=no disagrees confidence=0.5-0.8 meta.source=web meta.city=\"New York\" text=free";
        let f = ReviewFilter::parse(text).unwrap();
        assert_eq!(f.labels, vec!["spam", "not spam"]);
        assert_eq!(f.person.as_deref(), Some("ann"));
        assert_eq!(f.status, Some(ReviewStatus::Decided));
        assert_eq!(f.since_ms, Some(1_793_491_200_000));
        assert_eq!(day_of(f.since_ms.unwrap()), "2026-11-01");
        assert_eq!(day_of(f.until_ms.unwrap()), "2026-12-01", "until is inclusive: up to the next day's start");
        assert_eq!((f.gold, f.escalated, f.disagrees), (Some(true), Some(false), Some(true)));
        assert_eq!(f.confidence, Some((0.5, 0.8)));
        assert_eq!(f.meta, vec![("source".into(), "web".into()), ("city".into(), "New York".into())]);
        assert_eq!(f.search.as_deref(), Some("free"));
        assert_eq!(ReviewFilter::parse(&f.describe()).unwrap(), f);
    }

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        for day in ["1970-01-01", "2000-02-29", "2026-12-31", "2100-03-01"] {
            assert_eq!(day_of(day_start_ms(day).unwrap()), day);
        }
        for bad in ["2026-02-29", "2026-13-01", "26-1-1", "yesterday", "2026-11-31"] {
            assert!(day_start_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_words_name_the_fix() {
        let e = ReviewFilter::parse("colour=red").unwrap_err();
        assert!(e.to_string().contains("unknown filter") && e.to_string().contains("label=L"), "{e}");
        let e = ReviewFilter::parse("confidence=0.9-0.2").unwrap_err();
        assert!(e.to_string().contains("lower bound first"), "{e}");
        let e = ReviewFilter::parse("status=done").unwrap_err();
        assert!(e.to_string().contains("pending, decided"), "{e}");
        assert!(ReviewFilter::parse("label=").unwrap_err().to_string().contains("give a value"));
        assert!(ReviewFilter::parse("meta.x=\"open").unwrap_err().to_string().contains("not closed"));
        assert!(ReviewFilter::parse("gold=maybe").is_err());
        assert!(ReviewFilter::parse("").unwrap().is_empty());
    }

    /// A decision made when the model said ham at 70%.
    fn decision(id: i64, who: &str, action: DecisionAction, labels: Option<&[&str]>) -> Decision {
        Decision {
            model: Some(super::super::ModelSnapshot { version: 1, predicted: vec!["ham".into()], confidence: 0.7 }),
            at_ms: id * 1000,
            ..super::super::decision::tests::decision(id, who, action, labels)
        }
    }

    #[test]
    fn state_follows_the_standing_decisions() {
        assert_eq!(review_state(&[], false), None);
        let accept = decision(1, "ann", DecisionAction::Accept, Some(&["ham"]));
        let s = review_state(std::slice::from_ref(&accept), false).unwrap();
        assert_eq!((s.status, s.labels.clone(), s.disagrees), (ReviewStatus::Decided, Some(vec!["ham".into()]), false));
        let correct = decision(2, "bob", DecisionAction::Correct, Some(&["spam"]));
        let s = review_state(&[accept.clone(), correct.clone()], false).unwrap();
        assert_eq!((s.status, s.last_by.as_str(), s.disagrees), (ReviewStatus::Disputed, "bob", true));
        let undo = Decision { undoes: Some(2), model: None, ..decision(3, "bob", DecisionAction::Undo, None) };
        let s = review_state(&[accept.clone(), correct, undo], false).unwrap();
        assert_eq!(
            (s.status, s.last_id, s.disagrees),
            (ReviewStatus::Decided, 1, false),
            "the undo takes bob's label back"
        );
        let escalate = decision(4, "cy", DecisionAction::Escalate, None);
        let s = review_state(&[accept, escalate], true).unwrap();
        assert_eq!((s.status, s.escalated, s.confidence), (ReviewStatus::Escalated, true, Some(0.7)));
    }

    #[test]
    fn fts_queries_quote_every_word() {
        assert_eq!(fts_query("free prize").as_deref(), Some("\"free\" \"prize\""));
        assert_eq!(fts_query("win*").as_deref(), Some("\"win\"*"));
        assert_eq!(fts_query("a\"b OR NEAR(").as_deref(), Some("\"a\"\"b\" \"OR\" \"NEAR(\""));
        assert_eq!(fts_query("  \"  * "), None);
    }
}
