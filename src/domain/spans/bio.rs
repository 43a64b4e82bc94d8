//! Spans as one tag per token (BIO: `B-LABEL` begins a span, `I-LABEL` goes on with it, `O` is outside
//! every span) and back, and the constrained Viterbi decoding a token classifier's scores go through, so
//! that a decoded `I-LABEL` always follows a `B-` or `I-` of the same label. Pure.

use super::{Span, Token};

/// A token's tag; the numbers index the project's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    Outside,
    Begin(usize),
    Inside(usize),
}

impl Tag {
    /// The tag's place among a classifier's outputs: `O`, then `B-` and `I-` of each label in turn.
    pub fn index(self) -> usize {
        match self {
            Tag::Outside => 0,
            Tag::Begin(l) => 1 + 2 * l,
            Tag::Inside(l) => 2 + 2 * l,
        }
    }

    pub fn from_index(i: usize) -> Tag {
        match i {
            0 => Tag::Outside,
            i if i % 2 == 1 => Tag::Begin((i - 1) / 2),
            i => Tag::Inside((i - 2) / 2),
        }
    }

    /// The tag as written in CoNLL files (`O`, `B-PER`, `I-PER`).
    pub fn name(self, labels: &[String]) -> String {
        let label = |l: usize| labels.get(l).map_or("?", String::as_str);
        match self {
            Tag::Outside => "O".to_string(),
            Tag::Begin(l) => format!("B-{}", label(l)),
            Tag::Inside(l) => format!("I-{}", label(l)),
        }
    }

    /// Reads `O`, `B-LABEL` or `I-LABEL`; `None` for anything else or a label not in `labels`.
    pub fn parse(text: &str, labels: &[String]) -> Option<Tag> {
        if text == "O" {
            return Some(Tag::Outside);
        }
        let (kind, label) = text.split_once('-')?;
        let l = labels.iter().position(|x| x == label)?;
        match kind {
            "B" => Some(Tag::Begin(l)),
            "I" => Some(Tag::Inside(l)),
            _ => None,
        }
    }

    /// Whether this tag may follow `previous` (`None`: the first token) in well-formed BIO.
    pub fn may_follow(self, previous: Option<Tag>) -> bool {
        match self {
            Tag::Inside(l) => matches!(previous, Some(Tag::Begin(p) | Tag::Inside(p)) if p == l),
            _ => true,
        }
    }
}

/// How many outputs a classifier over `labels` labels has: `O`, and `B-`, `I-` per label.
pub fn tag_count(labels: usize) -> usize {
    1 + 2 * labels
}

/// The names of a classifier's outputs over `labels`, in [`Tag::index`] order.
pub fn tag_names(labels: &[String]) -> Vec<String> {
    (0..tag_count(labels.len())).map(|i| Tag::from_index(i).name(labels)).collect()
}

/// The tags of `tokens` for `spans` (on token edges, not overlapping; a span's label must be among
/// `labels`, others are left out).
pub fn tags_of(tokens: &[Token], spans: &[Span], labels: &[String]) -> Vec<Tag> {
    let mut tags = vec![Tag::Outside; tokens.len()];
    for s in spans {
        let Some(l) = labels.iter().position(|x| *x == s.label) else { continue };
        let inside: Vec<usize> =
            (0..tokens.len()).filter(|&i| tokens[i].start >= s.start && tokens[i].end <= s.end).collect();
        for (n, &i) in inside.iter().enumerate() {
            tags[i] = if n == 0 { Tag::Begin(l) } else { Tag::Inside(l) };
        }
    }
    tags
}

/// The spans `tags` mark on `tokens`. Lenient, so both IOB2 and the older IOB1 read right: an `I-` that
/// does not go on with a span of its label begins one.
pub fn spans_of(tokens: &[Token], tags: &[Tag], labels: &[String]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut open: Option<(usize, usize, usize)> = None; // (label, first token, last token)
    let close = |open: Option<(usize, usize, usize)>, spans: &mut Vec<Span>| {
        if let Some((l, first, last)) = open {
            let label = labels.get(l).cloned().unwrap_or_default();
            spans.push(Span { start: tokens[first].start, end: tokens[last].end, label });
        }
    };
    for (i, &tag) in tags.iter().enumerate().take(tokens.len()) {
        match tag {
            Tag::Outside => close(open.take(), &mut spans),
            Tag::Inside(l) if matches!(open, Some((o, _, _)) if o == l) => {
                if let Some(span) = open.as_mut() {
                    span.2 = i;
                }
            }
            Tag::Begin(l) | Tag::Inside(l) => {
                close(open.take(), &mut spans);
                open = Some((l, i, i));
            }
        }
    }
    close(open, &mut spans);
    spans
}

/// The best-scoring well-formed tag sequence: `scores[t][k]` is the log-probability of tag index `k` (see
/// [`Tag::index`]) at token `t`; an `I-` may only follow a `B-` or `I-` of its label.
pub fn viterbi(scores: &[Vec<f64>]) -> Vec<Tag> {
    let Some(first) = scores.first() else { return Vec::new() };
    let n = first.len();
    let allowed = |to: usize, from: Option<usize>| Tag::from_index(to).may_follow(from.map(Tag::from_index));
    let mut best: Vec<f64> = (0..n).map(|k| if allowed(k, None) { first[k] } else { f64::NEG_INFINITY }).collect();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(scores.len());
    for row in &scores[1..] {
        let mut next = vec![f64::NEG_INFINITY; n];
        let mut from = vec![0usize; n];
        for k in 0..n {
            for (j, &b) in best.iter().enumerate() {
                if allowed(k, Some(j)) && b + row[k] > next[k] {
                    next[k] = b + row[k];
                    from[k] = j;
                }
            }
        }
        back.push(from);
        best = next;
    }
    let mut k = (0..n).max_by(|&a, &b| best[a].total_cmp(&best[b])).unwrap_or(0);
    let mut path = vec![k];
    for from in back.iter().rev() {
        k = from[k];
        path.push(k);
    }
    path.reverse();
    path.into_iter().map(Tag::from_index).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tokens;
    use super::*;

    fn labels() -> Vec<String> {
        vec!["PER".into(), "LOC".into()]
    }

    #[test]
    fn spans_become_tags_and_back() {
        let text = "Angela Merkel visited New York today.";
        let t = tokens(text);
        let spans =
            vec![Span { start: 0, end: 13, label: "PER".into() }, Span { start: 22, end: 30, label: "LOC".into() }];
        let tags = tags_of(&t, &spans, &labels());
        let names: Vec<String> = tags.iter().map(|t| t.name(&labels())).collect();
        assert_eq!(names, ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O"]);
        assert_eq!(spans_of(&t, &tags, &labels()), spans);
        for tag in &tags {
            assert_eq!(Tag::parse(&tag.name(&labels()), &labels()), Some(*tag));
            assert_eq!(Tag::from_index(tag.index()), *tag);
        }
        assert_eq!(Tag::parse("B-ORG", &labels()), None, "not a project label");
        assert_eq!(Tag::parse("E-PER", &labels()), None);
    }

    #[test]
    fn iob1_reads_too_and_adjacent_spans_stay_apart() {
        let text = "Paris London Rome";
        let t = tokens(text);
        // IOB1: a span begins with I- unless it follows one of the same label.
        let tags = [Tag::Inside(1), Tag::Begin(1), Tag::Inside(0)];
        let spans = spans_of(&t, &tags, &labels());
        let found: Vec<(usize, usize, &str)> = spans.iter().map(|s| (s.start, s.end, s.label.as_str())).collect();
        assert_eq!(found, [(0, 5, "LOC"), (6, 12, "LOC"), (13, 17, "PER")]);
    }

    #[test]
    fn viterbi_never_puts_inside_after_outside() {
        let ln = |p: f64| p.ln();
        // Token by token the best tags are O then I-PER (0.5 * 0.7), which is not well formed; the best
        // well-formed path is B-PER I-PER (0.4 * 0.7), ahead of O O (0.5 * 0.2).
        let scores = vec![
            vec![ln(0.5), ln(0.4), ln(0.04), ln(0.03), ln(0.03)],
            vec![ln(0.2), ln(0.04), ln(0.7), ln(0.03), ln(0.03)],
        ];
        let path = viterbi(&scores);
        assert_eq!(path, [Tag::Begin(0), Tag::Inside(0)]);
        // Unconstrained argmax would be fine here and Viterbi keeps it.
        let easy = vec![vec![ln(0.9), ln(0.05), ln(0.02), ln(0.02), ln(0.01)]; 3];
        assert_eq!(viterbi(&easy), [Tag::Outside; 3]);
        assert!(viterbi(&[]).is_empty());
    }
}
