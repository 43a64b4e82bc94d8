//! The project's running tallies: counts that add up item by item, so that the store can keep them in the
//! same transaction as every decision (taking away what an item added before and adding what it adds now)
//! and the statistics, `margin people` and `margin status` read a few hundred rows instead of every
//! decision. An item adds its review status, settled labels and calibration bin, and for each person's
//! current label: counts per person, per hour, per pair of people and against the model, and the sums
//! agreement beyond chance is worked out from ([`UnitTally`]). Pure: an item's facts in, its tallies out.
//! The figures are read back from the tallies by `people` and `dashboard`.

use std::collections::BTreeMap;

use super::agreement::UnitTally;
use super::person_label::PersonLabel;
use super::review::{ReviewState, ReviewStatus};

/// What a tally counts. Each kind names what its key's `a`, `b`, `c` and `m` hold (unused ones are empty
/// or 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TallyKind {
    /// Items per review status (`a`).
    Status,
    /// Settled items carrying label `a`.
    DecidedLabel,
    /// Settled items whose labelling decision had a prediction of confidence in tenth `m`; and of those,
    /// the ones whose labels matched it.
    Calibration,
    CalibrationAgreed,
    /// Person `a`'s current labels; with a prediction shown; agreeing with it.
    Labelled,
    WithPrediction,
    ModelAgrees,
    /// Person `a`'s labels on gold items given on day `m` (days since the epoch, UTC); and the right ones.
    Gold,
    GoldRight,
    /// Person `a`'s labels given in hour `m` of the day (UTC).
    Hour,
    /// People's labels `a` against the model's prediction `b` when they gave them.
    Confusion,
    /// Person `a` gave `b` where someone else on the same item gave `c` (one per ordered pair of people).
    Compared,
    /// Items people `a` and `b` (in name order) both labelled; and of those, the ones they agreed on.
    Pair,
    PairAgreed,
    /// Items labelled by `m` people (two or more). Like every kind below, kept per day (`c`: the day of the
    /// item's latest label, as days since the epoch, UTC), so agreement can be read for a run of days.
    Units,
    /// Each person's labels as one value: per unit size `m`, the sum of c(c - 1); each value `a`'s count.
    KeySame,
    KeyValue,
    /// Each person's first label as a nominal value (people who gave none left out): units of size `m`,
    /// their sum of c(c - 1), and each value `a`'s count.
    NominalUnits,
    NominalSame,
    NominalValue,
    /// Label `a` as yes/no, on the units of size `m` where someone gave it: how many, their sum of
    /// c(c - 1), and the yes (`b` = "yes") and no counts. Units where nobody gave it are all no, and are
    /// worked out from [`TallyKind::Units`].
    LabelUnits,
    LabelSame,
    LabelValue,
}

impl TallyKind {
    pub const ALL: [TallyKind; 23] = [
        TallyKind::Status,
        TallyKind::DecidedLabel,
        TallyKind::Calibration,
        TallyKind::CalibrationAgreed,
        TallyKind::Labelled,
        TallyKind::WithPrediction,
        TallyKind::ModelAgrees,
        TallyKind::Gold,
        TallyKind::GoldRight,
        TallyKind::Hour,
        TallyKind::Confusion,
        TallyKind::Compared,
        TallyKind::Pair,
        TallyKind::PairAgreed,
        TallyKind::Units,
        TallyKind::KeySame,
        TallyKind::KeyValue,
        TallyKind::NominalUnits,
        TallyKind::NominalSame,
        TallyKind::NominalValue,
        TallyKind::LabelUnits,
        TallyKind::LabelSame,
        TallyKind::LabelValue,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TallyKind::Status => "status",
            TallyKind::DecidedLabel => "decided_label",
            TallyKind::Calibration => "calibration",
            TallyKind::CalibrationAgreed => "calibration_agreed",
            TallyKind::Labelled => "labelled",
            TallyKind::WithPrediction => "with_prediction",
            TallyKind::ModelAgrees => "model_agrees",
            TallyKind::Gold => "gold",
            TallyKind::GoldRight => "gold_right",
            TallyKind::Hour => "hour",
            TallyKind::Confusion => "confusion",
            TallyKind::Compared => "compared",
            TallyKind::Pair => "pair",
            TallyKind::PairAgreed => "pair_agreed",
            TallyKind::Units => "units",
            TallyKind::KeySame => "key_same",
            TallyKind::KeyValue => "key_value",
            TallyKind::NominalUnits => "nominal_units",
            TallyKind::NominalSame => "nominal_same",
            TallyKind::NominalValue => "nominal_value",
            TallyKind::LabelUnits => "label_units",
            TallyKind::LabelSame => "label_same",
            TallyKind::LabelValue => "label_value",
        }
    }

    pub fn parse(text: &str) -> Option<TallyKind> {
        TallyKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One counter: what it counts and for what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TallyKey {
    pub kind: TallyKind,
    pub a: String,
    pub b: String,
    pub c: String,
    pub m: i64,
}

impl TallyKey {
    fn new(kind: TallyKind, a: &str, b: &str, c: &str, m: i64) -> TallyKey {
        TallyKey { kind, a: a.to_string(), b: b.to_string(), c: c.to_string(), m }
    }
}

/// What of an item's review state the tallies count.
#[derive(Debug, Clone, PartialEq)]
pub struct StateFacts {
    pub status: ReviewStatus,
    /// The settled labels, when decided.
    pub labels: Vec<String>,
    /// The calibration bin (tenth of confidence) of a settled item's labelling decision, and whether its
    /// labels matched the prediction.
    pub calibration: Option<(i64, bool)>,
}

impl StateFacts {
    /// From the review index's fields: status, settled labels, whether a prediction was recorded, its
    /// confidence, and whether the labels differ from it.
    pub fn new(
        status: ReviewStatus,
        labels: Option<Vec<String>>,
        predicted: bool,
        confidence: Option<f64>,
        disagrees: bool,
    ) -> StateFacts {
        let calibration = match confidence {
            Some(c) if status == ReviewStatus::Decided && predicted && c.is_finite() => {
                // As SQL's CAST(confidence * 10 AS INTEGER), capped at the last bin.
                Some((((c * 10.0).trunc() as i64).min(9), !disagrees))
            }
            _ => None,
        };
        StateFacts { status, labels: labels.unwrap_or_default(), calibration }
    }

    pub fn of(state: &ReviewState) -> StateFacts {
        StateFacts::new(
            state.status,
            state.labels.clone(),
            state.predicted.is_some(),
            state.confidence,
            state.disagrees,
        )
    }
}

/// Adds up counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts(pub BTreeMap<TallyKey, i64>);

impl Counts {
    fn add(&mut self, kind: TallyKind, (a, b, c): (&str, &str, &str), m: i64, n: i64) {
        if n != 0 {
            *self.0.entry(TallyKey::new(kind, a, b, c, m)).or_default() += n;
        }
    }

    /// Adds `other` times `sign` (1 to add, -1 to take away), dropping counters that reach zero.
    pub fn merge(&mut self, other: &Counts, sign: i64) {
        for (key, n) in &other.0 {
            let entry = self.0.entry(key.clone()).or_default();
            *entry += n * sign;
            if *entry == 0 {
                self.0.remove(key);
            }
        }
    }
}

/// What one item adds to the tallies: its review state (`None` without decisions) and each person's
/// current label on it.
pub fn item_tallies(state: Option<&StateFacts>, people: &[PersonLabel]) -> Counts {
    let mut t = Counts::default();
    if let Some(s) = state {
        t.add(TallyKind::Status, (s.status.as_str(), "", ""), 0, 1);
        if s.status == ReviewStatus::Decided {
            for label in &s.labels {
                t.add(TallyKind::DecidedLabel, (label, "", ""), 0, 1);
            }
        }
        if let Some((bin, agreed)) = s.calibration {
            t.add(TallyKind::Calibration, ("", "", ""), bin, 1);
            t.add(TallyKind::CalibrationAgreed, ("", "", ""), bin, i64::from(agreed));
        }
    }
    for p in people {
        person_tallies(&mut t, p);
    }
    if people.len() > 1 {
        unit_tallies(&mut t, people);
    }
    t
}

/// What one person's label adds on its own.
fn person_tallies(t: &mut Counts, p: &PersonLabel) {
    let who = (p.annotator.as_str(), "", "");
    t.add(TallyKind::Labelled, who, 0, 1);
    t.add(TallyKind::Hour, who, p.at_ms.div_euclid(3_600_000).rem_euclid(24), 1);
    if let Some(predicted) = &p.predicted {
        t.add(TallyKind::WithPrediction, who, 0, 1);
        t.add(TallyKind::ModelAgrees, who, 0, i64::from(*predicted == p.labels));
        t.add(TallyKind::Confusion, (&p.labels, predicted, ""), 0, 1);
    }
    if let Some(gold) = &p.gold {
        let day = day_of(p.at_ms);
        t.add(TallyKind::Gold, who, day, 1);
        t.add(TallyKind::GoldRight, who, day, i64::from(*gold == p.labels));
    }
}

/// What an item labelled by two or more people adds: comparisons, pairs and the agreement sums.
fn unit_tallies(t: &mut Counts, people: &[PersonLabel]) {
    let m = people.len() as i64;
    let day = day_of(people.iter().map(|p| p.at_ms).max().unwrap_or_default()).to_string();
    let day = day.as_str();
    t.add(TallyKind::Units, ("", "", day), m, 1);
    for (i, x) in people.iter().enumerate() {
        for (j, y) in people.iter().enumerate() {
            if i != j {
                t.add(TallyKind::Compared, (&x.annotator, &x.labels, &y.labels), 0, 1);
            }
            if i < j {
                let (a, b) = if x.annotator <= y.annotator { (x, y) } else { (y, x) };
                t.add(TallyKind::Pair, (&a.annotator, &b.annotator, ""), 0, 1);
                t.add(TallyKind::PairAgreed, (&a.annotator, &b.annotator, ""), 0, i64::from(a.labels == b.labels));
            }
        }
    }
    let keys: Vec<&str> = people.iter().map(|p| p.labels.as_str()).collect();
    add_unit(t, (TallyKind::Units, TallyKind::KeySame, TallyKind::KeyValue), day, &keys, false);
    let lists: Vec<Vec<String>> = people.iter().map(PersonLabel::label_list).collect();
    let firsts: Vec<&str> = lists.iter().filter_map(|l| l.first().map(String::as_str)).collect();
    add_unit(t, (TallyKind::NominalUnits, TallyKind::NominalSame, TallyKind::NominalValue), day, &firsts, true);
    let mut given: Vec<&str> = lists.iter().flatten().map(String::as_str).collect();
    given.sort_unstable();
    given.dedup();
    for label in given {
        let yes = lists.iter().filter(|l| l.iter().any(|x| x == label)).count() as i64;
        let no = m - yes;
        t.add(TallyKind::LabelUnits, (label, "", day), m, 1);
        t.add(TallyKind::LabelSame, (label, "", day), m, yes * (yes - 1) + no * (no - 1));
        t.add(TallyKind::LabelValue, (label, "yes", day), 0, yes);
        t.add(TallyKind::LabelValue, (label, "no", day), 0, no);
    }
}

/// Adds one unit's values under (units, same, value) kinds, on `day`; `count_unit`: whether to count the
/// unit itself (the key question shares [`TallyKind::Units`], counted once by the caller).
fn add_unit(t: &mut Counts, kinds: (TallyKind, TallyKind, TallyKind), day: &str, values: &[&str], count_unit: bool) {
    if values.len() < 2 {
        return;
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let m = values.len() as i64;
    if count_unit {
        t.add(kinds.0, ("", "", day), m, 1);
    }
    t.add(kinds.1, ("", "", day), m, counts.values().map(|c| c * (c - 1)).sum());
    for (v, c) in counts {
        t.add(kinds.2, (v, "", day), 0, c);
    }
}

/// The tallies of a set of people's labels alone (no review state): per item, the labels given on it.
pub fn of_labels(labels: &[PersonLabel]) -> Counts {
    let mut by_item: BTreeMap<i64, Vec<PersonLabel>> = BTreeMap::new();
    for l in labels {
        by_item.entry(l.item_id).or_default().push(l.clone());
    }
    let mut total = Counts::default();
    for people in by_item.values() {
        total.merge(&item_tallies(None, people), 1);
    }
    total
}

/// A run of days (days since the epoch, UTC), both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub first: i64,
    pub last: i64,
}

impl Days {
    pub const ALL: Days = Days { first: i64::MIN, last: i64::MAX };

    /// `count` days ending with `last`.
    pub fn ending(last: i64, count: i64) -> Days {
        Days { first: last - count + 1, last }
    }

    pub fn holds(self, day: i64) -> bool {
        (self.first..=self.last).contains(&day)
    }

    /// Whether a per-day counter's day (its `c`) falls in this run.
    fn holds_key(self, key: &TallyKey) -> bool {
        key.c.parse::<i64>().is_ok_and(|day| self.holds(day))
    }
}

/// The day (since the epoch, UTC) of a time in milliseconds.
pub fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(86_400_000)
}

/// Unit tallies of each of `labels` as yes/no over the units of `days`, with the units where nobody gave
/// the label (all no) filled in from the units' sizes. One pass over the tallies.
pub(super) fn label_questions(counts: &Counts, labels: &[String], days: Days) -> Vec<UnitTally<bool>> {
    let index: BTreeMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
    let mut tallies: Vec<UnitTally<bool>> = vec![UnitTally::default(); labels.len()];
    let mut present: Vec<BTreeMap<i64, i64>> = vec![BTreeMap::new(); labels.len()];
    let mut sizes: BTreeMap<i64, i64> = BTreeMap::new();
    for (key, &n) in counts.0.iter().filter(|(k, _)| days.holds_key(k)) {
        if key.kind == TallyKind::Units {
            *sizes.entry(key.m).or_default() += n;
            continue;
        }
        let Some(&i) = index.get(key.a.as_str()) else { continue };
        match key.kind {
            TallyKind::LabelUnits => *present[i].entry(key.m).or_default() += n,
            TallyKind::LabelSame => tallies[i].add_units(key.m.unsigned_abs(), 0, n.unsigned_abs()),
            TallyKind::LabelValue => *tallies[i].values.entry(key.b == "yes").or_default() += n.unsigned_abs(),
            _ => {}
        }
    }
    for (t, present) in tallies.iter_mut().zip(&present) {
        for (&m, &n) in &sizes {
            let with = present.get(&m).copied().unwrap_or(0);
            let without = n - with;
            t.add_units(m.unsigned_abs(), with.unsigned_abs(), 0);
            t.add_units(m.unsigned_abs(), without.unsigned_abs(), (without * m * (m - 1)).unsigned_abs());
            if without > 0 {
                *t.values.entry(false).or_default() += (without * m).unsigned_abs();
            }
        }
        t.by_size.retain(|_, (units, _)| *units > 0);
    }
    tallies
}

/// A unit tally of values from (units, same, value) kinds over the units of `days`.
pub(super) fn question(counts: &Counts, kinds: (TallyKind, TallyKind, TallyKind), days: Days) -> UnitTally<String> {
    let mut t = UnitTally::default();
    for (key, &n) in counts.0.iter().filter(|(k, _)| days.holds_key(k)) {
        let n = n.unsigned_abs();
        if key.kind == kinds.0 {
            t.add_units(key.m.unsigned_abs(), n, 0);
        } else if key.kind == kinds.1 {
            t.add_units(key.m.unsigned_abs(), 0, n);
        } else if key.kind == kinds.2 {
            *t.values.entry(key.a.clone()).or_default() += n;
        }
    }
    t.by_size.retain(|_, (units, _)| *units > 0);
    t
}
