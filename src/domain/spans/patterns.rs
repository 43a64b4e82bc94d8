//! Patterns that pre-highlight spans before any model exists, in the JSONL format of Prodigy's patterns
//! and spaCy's entity ruler: one object per line with a `label` and a `pattern`, either a phrase (a
//! string, matched token by token, exactly) or a list of token descriptions, each matching one token by
//! `ORTH` / `TEXT` (exact), `LOWER` (lower-cased), `REGEX` (a regular expression over the token's text; a
//! dict `{"REGEX": ...}` under `TEXT`, `ORTH` or `LOWER` too), `IS_DIGIT`, `IS_PUNCT`, `IS_TITLE`,
//! `IS_UPPER`, `IS_LOWER`, `IS_ALPHA`, with `OP` `?` (optional), `+` (one or more), `*` (any number) or `!`
//! (must not match, takes no token back). Matches never overlap: the longest wins, then the earliest
//! pattern. Pure.

use regex::Regex;
use serde_json::Value;

use super::{Span, Token};

/// A loaded pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub label: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Step {
    tests: Vec<Test>,
    op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    One,
    Optional,
    OneOrMore,
    Any,
    Not,
}

#[derive(Debug, Clone)]
enum Test {
    Exact(String),
    Lower(String),
    Regex { regex: Regex, lower: bool },
    Flag(&'static str, bool),
}

/// What is wrong with a pattern line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct PatternError {
    pub line: u64,
    pub message: String,
}

const FLAGS: [&str; 6] = ["IS_DIGIT", "IS_PUNCT", "IS_TITLE", "IS_UPPER", "IS_LOWER", "IS_ALPHA"];

/// Reads a patterns file (blank lines passed over); each pattern's label must be among `labels`.
pub fn read_patterns(text: &str, labels: &[String]) -> Result<Vec<Pattern>, PatternError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |message: String| PatternError { line: i as u64 + 1, message };
        let value: Value = serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
        let label = value.get("label").and_then(Value::as_str).ok_or_else(|| fail("no \"label\" string".into()))?;
        if !labels.iter().any(|l| l == label) {
            return Err(fail(format!("label `{label}` is not one of the project's labels ({})", labels.join(", "))));
        }
        let steps = match value.get("pattern") {
            Some(Value::String(phrase)) => super::words(phrase, &super::tokens(phrase))
                .into_iter()
                .map(|w| Step { tests: vec![Test::Exact(w.to_string())], op: Op::One })
                .collect(),
            Some(Value::Array(list)) => list.iter().map(step).collect::<Result<Vec<_>, _>>().map_err(fail)?,
            _ => return Err(fail("\"pattern\" must be a phrase (a string) or a list of token descriptions".into())),
        };
        if !steps.iter().any(|s| matches!(s.op, Op::One | Op::OneOrMore)) {
            return Err(fail(
                "the pattern can match nothing at all: give it at least one token that must be there".into(),
            ));
        }
        out.push(Pattern { label: label.to_string(), steps });
    }
    Ok(out)
}

fn step(value: &Value) -> Result<Step, String> {
    let map = value.as_object().ok_or_else(|| format!("a token description is an object, not {value}"))?;
    let mut tests = Vec::new();
    let mut op = Op::One;
    for (key, v) in map {
        match key.as_str() {
            "OP" => {
                op = match v.as_str() {
                    Some("?") => Op::Optional,
                    Some("+") => Op::OneOrMore,
                    Some("*") => Op::Any,
                    Some("!") => Op::Not,
                    Some("1") => Op::One,
                    _ => return Err(format!("OP {v} is not one of ?, +, *, ! or 1")),
                }
            }
            "ORTH" | "TEXT" | "LOWER" => {
                let lower = key == "LOWER";
                tests.push(match v {
                    Value::String(s) if lower => Test::Lower(s.to_lowercase()),
                    Value::String(s) => Test::Exact(s.clone()),
                    Value::Object(o) => match o.get("REGEX").and_then(Value::as_str) {
                        Some(r) => Test::Regex { regex: regex(r)?, lower },
                        None => return Err(format!("{key}: only a string or {{\"REGEX\": ...}} is understood")),
                    },
                    _ => return Err(format!("{key} takes a string, not {v}")),
                });
            }
            "REGEX" => tests.push(Test::Regex {
                regex: regex(v.as_str().ok_or_else(|| format!("REGEX takes a string, not {v}"))?)?,
                lower: false,
            }),
            flag => match FLAGS.iter().find(|f| **f == flag) {
                Some(f) => tests.push(Test::Flag(f, v.as_bool().ok_or_else(|| format!("{flag} takes true or false"))?)),
                None => {
                    return Err(format!(
                        "`{flag}` is not understood (known: ORTH, TEXT, LOWER, REGEX, OP, {})",
                        FLAGS.join(", ")
                    ));
                }
            },
        }
    }
    Ok(Step { tests, op })
}

fn regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("REGEX {pattern:?}: {e}"))
}

impl Test {
    fn holds(&self, word: &str) -> bool {
        let chars = || word.chars();
        match self {
            Test::Exact(s) => word == s,
            Test::Lower(s) => word.to_lowercase() == *s,
            Test::Regex { regex, lower } => {
                if *lower {
                    regex.is_match(&word.to_lowercase())
                } else {
                    regex.is_match(word)
                }
            }
            Test::Flag(flag, want) => {
                let has = match *flag {
                    "IS_DIGIT" => chars().all(|c| c.is_ascii_digit()),
                    "IS_PUNCT" => chars().all(|c| !c.is_alphanumeric() && !c.is_whitespace()),
                    "IS_TITLE" => {
                        chars().next().is_some_and(char::is_uppercase) && chars().skip(1).all(|c| !c.is_uppercase())
                    }
                    "IS_UPPER" => chars().any(char::is_alphabetic) && chars().all(|c| !c.is_lowercase()),
                    "IS_LOWER" => chars().any(char::is_alphabetic) && chars().all(|c| !c.is_uppercase()),
                    _ => chars().all(char::is_alphabetic),
                };
                has == *want
            }
        }
    }
}

impl Step {
    fn holds(&self, word: &str) -> bool {
        self.tests.iter().all(|t| t.holds(word))
    }
}

impl Pattern {
    /// The ends (one past the last token) of every match that starts at token `at`.
    fn ends_from(&self, words: &[&str], at: usize) -> Vec<usize> {
        let mut positions = vec![at];
        for step in &self.steps {
            let mut next = Vec::new();
            for &p in &positions {
                match step.op {
                    Op::One => next.extend((p < words.len() && step.holds(words[p])).then_some(p + 1)),
                    Op::Not => next.extend((p >= words.len() || !step.holds(words[p])).then_some(p)),
                    Op::Optional => {
                        next.push(p);
                        next.extend((p < words.len() && step.holds(words[p])).then_some(p + 1));
                    }
                    Op::OneOrMore | Op::Any => {
                        if step.op == Op::Any {
                            next.push(p);
                        }
                        let mut q = p;
                        while q < words.len() && step.holds(words[q]) {
                            q += 1;
                            next.push(q);
                        }
                    }
                }
            }
            next.sort_unstable();
            next.dedup();
            positions = next;
        }
        positions.into_iter().filter(|&end| end > at).collect()
    }
}

/// The spans the patterns find in `text` (tokens `toks`), in order and never overlapping: at each token
/// the longest match wins (then the earliest pattern), and the search goes on after it.
pub fn find(patterns: &[Pattern], text: &str, toks: &[Token]) -> Vec<Span> {
    let words = super::words(text, toks);
    let mut spans = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let best = patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.ends_from(&words, at).into_iter().max().map(|end| (end, i)))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        match best {
            Some((end, i)) => {
                spans.push(Span { start: toks[at].start, end: toks[end - 1].end, label: patterns[i].label.clone() });
                at = end;
            }
            None => at += 1,
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::super::slice;
    use super::super::tokens;
    use super::*;

    fn labels() -> Vec<String> {
        ["ORG", "GPE", "MONEY", "PRODUCT"].iter().map(|s| s.to_string()).collect()
    }

    fn found(patterns: &str, text: &str) -> Vec<(String, String)> {
        let p = read_patterns(patterns, &labels()).unwrap();
        find(&p, text, &tokens(text)).into_iter().map(|s| (slice(text, s.start, s.end).to_string(), s.label)).collect()
    }

    #[test]
    fn phrases_and_token_patterns_find_their_spans_longest_first() {
        let patterns = r#"{"label": "ORG", "pattern": "Apple"}
{"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}]}
{"label": "ORG", "pattern": "Apple Store"}

{"label": "MONEY", "pattern": [{"ORTH": "$"}, {"IS_DIGIT": true}, {"ORTH": ".", "OP": "?"}, {"IS_DIGIT": true, "OP": "*"}]}
{"label": "PRODUCT", "pattern": [{"TEXT": {"REGEX": "^i(Phone|Pad)$"}}, {"IS_DIGIT": true, "OP": "?"}]}"#;
        let text = "The Apple Store in SAN Francisco sells the iPhone 15 for $799.99, and apple pie.";
        assert_eq!(
            found(patterns, text),
            [
                ("Apple Store".to_string(), "ORG".to_string()),
                ("SAN Francisco".into(), "GPE".into()),
                ("iPhone 15".into(), "PRODUCT".into()),
                ("$799.99".into(), "MONEY".into()),
            ]
        );
        let not = r#"{"label": "ORG", "pattern": [{"LOWER": "apple"}, {"LOWER": "pie", "OP": "!"}]}"#;
        assert_eq!(found(not, "apple pie, Apple juice"), [("Apple".to_string(), "ORG".to_string())]);
    }

    #[test]
    fn bad_patterns_name_the_line_and_the_fix() {
        let err = |text: &str| read_patterns(text, &labels()).unwrap_err();
        assert_eq!(err("\n{\"label\": \"PER\", \"pattern\": \"Bob\"}").line, 2);
        assert!(err(r#"{"label": "PER", "pattern": "Bob"}"#).message.contains("ORG, GPE"));
        assert!(err(r#"{"label": "ORG", "pattern": [{"SHAPE": "Xxx"}]}"#).message.contains("not understood"));
        assert!(err(r#"{"label": "ORG", "pattern": [{"TEXT": {"REGEX": "("}}]}"#).message.contains("REGEX"));
        assert!(err(r#"{"label": "ORG", "pattern": [{"LOWER": "a", "OP": "*"}]}"#).message.contains("match nothing"));
        assert!(err(r#"{"label": "ORG", "pattern": 3}"#).message.contains("phrase"));
        assert!(err("{").message.starts_with("not JSON"));
    }
}
