//! The figures of the statistics dashboard, worked out from people's labels and the store's counts: the
//! model's cross-validated accuracy and calibration error by version, decisions per hour of the day per
//! person, agreement per pair of people, a confusion matrix of people against the model, a calibration
//! diagram, labels against reference labels, and the model's accuracy per metadata slice with the slices
//! well below the rest flagged (the bias audit). Pure: rows in, figures out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::person_label::PersonLabel;
use super::tally::{Counts, TallyKind};

/// One model version as the dashboard draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPoint {
    pub version: i64,
    pub train_size: u64,
    /// Cross-validated accuracy, when the training measured it.
    pub accuracy: Option<f64>,
    /// Expected calibration error after calibration.
    pub ece: Option<f64>,
}

/// How often two people gave the same labels on the items both labelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    pub items: u64,
    pub agreed: u64,
}

/// One bin of the calibration diagram: decisions whose prediction had a confidence in `[low, low + 0.1)`,
/// and how many of them people agreed with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    pub low: f64,
    pub decisions: u64,
    pub agreed: u64,
}

/// A label's count among settled items and among the imported reference labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelBar {
    pub label: String,
    pub decided: u64,
    pub reference: u64,
}

/// The model's accuracy (its prediction then against the settled labels) on the items of one value of a
/// metadata field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice {
    pub value: String,
    pub items: u64,
    pub right: u64,
    /// Pairs of people who labelled the same item of this slice, and how many of them agreed.
    pub pairs: u64,
    pub pairs_agreed: u64,
    /// Well below the rest: a two-proportion z-test against the other slices together gives z below
    /// [`SLICE_ALERT_Z`].
    pub flagged: bool,
}

/// z below which a slice is flagged (about 1 in 100 by chance for one slice).
pub const SLICE_ALERT_Z: f64 = -2.33;

/// The smallest slice that can be flagged: fewer items say too little.
pub const SLICE_MIN_ITEMS: u64 = 10;

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Dashboard {
    pub models: Vec<ModelPoint>,
    /// Per person, labels given in each hour of the day (UTC).
    pub hourly: Vec<(String, [u64; 24])>,
    pub pairs: Vec<PairAgreement>,
    /// The labels in the matrix's order (people's labels are rows, the model's columns).
    pub confusion_labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
    pub calibration: Vec<CalibrationBin>,
    pub labels: Vec<LabelBar>,
    /// The metadata field sliced by, and its slices, largest first.
    pub slices: Option<(String, Vec<Slice>)>,
}

impl Dashboard {
    /// Each version's cross-validated accuracy against the labels it learned from (versions that
    /// measured it).
    pub fn accuracy_points(&self) -> Vec<(f64, f64)> {
        self.models.iter().filter_map(|m| m.accuracy.map(|a| (m.train_size as f64, a))).collect()
    }

    /// Each version's calibration error against the labels it learned from.
    pub fn ece_points(&self) -> Vec<(f64, f64)> {
        self.models.iter().filter_map(|m| m.ece.map(|e| (m.train_size as f64, e))).collect()
    }

    /// The calibration diagram's points: each bin's middle against the share of its decisions people
    /// agreed with (empty bins left out).
    pub fn calibration_points(&self) -> Vec<(f64, f64)> {
        self.calibration
            .iter()
            .filter(|b| b.decisions > 0)
            .map(|b| (b.low + 0.05, b.agreed as f64 / b.decisions as f64))
            .collect()
    }

    /// Labels per hour of the day, everyone together.
    pub fn hourly_total(&self) -> [u64; 24] {
        let mut total = [0u64; 24];
        for (_, hours) in &self.hourly {
            for (t, h) in total.iter_mut().zip(hours) {
                *t += h;
            }
        }
        total
    }
}

/// Labels per hour of the day (UTC), per person in name order.
pub fn hourly(counts: &Counts) -> Vec<(String, [u64; 24])> {
    let mut by_person: BTreeMap<&str, [u64; 24]> = BTreeMap::new();
    for (key, &n) in counts.0.iter().filter(|(k, _)| k.kind == TallyKind::Hour) {
        if let Some(slot) = usize::try_from(key.m).ok().filter(|h| *h < 24) {
            by_person.entry(&key.a).or_insert([0; 24])[slot] += n.unsigned_abs();
        }
    }
    by_person.into_iter().map(|(p, h)| (p.to_string(), h)).collect()
}

/// Agreement per pair of people (each pair once, names in order), over the items both labelled.
pub fn pairs(counts: &Counts) -> Vec<PairAgreement> {
    let mut by_pair: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for (key, &n) in &counts.0 {
        let slot = match key.kind {
            TallyKind::Pair => 0,
            TallyKind::PairAgreed => 1,
            _ => continue,
        };
        let entry = by_pair.entry((key.a.as_str(), key.b.as_str())).or_default();
        *(if slot == 0 { &mut entry.0 } else { &mut entry.1 }) += n.unsigned_abs();
    }
    by_pair
        .into_iter()
        .map(|((a, b), (items, agreed))| PairAgreement { a: a.to_string(), b: b.to_string(), items, agreed })
        .collect()
}

/// People's labels (rows) against the model's prediction when they decided (columns), in `order` (then
/// any other key met, such as a multi-label combination, in sorted order).
pub fn confusion(counts: &Counts, order: &[String]) -> (Vec<String>, Vec<Vec<u64>>) {
    let cells: Vec<(&str, &str, u64)> = counts
        .0
        .iter()
        .filter(|(k, _)| k.kind == TallyKind::Confusion)
        .map(|(k, &n)| (k.a.as_str(), k.b.as_str(), n.unsigned_abs()))
        .collect();
    let mut keys: Vec<String> = order.to_vec();
    let mut extra: Vec<String> = cells
        .iter()
        .flat_map(|&(given, predicted, _)| [given, predicted])
        .filter(|k| !order.iter().any(|o| o == k))
        .map(str::to_string)
        .collect();
    extra.sort();
    extra.dedup();
    keys.extend(extra);
    let index: BTreeMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let mut matrix = vec![vec![0u64; keys.len()]; keys.len()];
    for (given, predicted, n) in cells {
        if let (Some(&row), Some(&col)) = (index.get(given), index.get(predicted)) {
            matrix[row][col] += n;
        }
    }
    (keys, matrix)
}

/// The calibration diagram's bins: settled items by their labelling decision's confidence in tenths.
pub fn calibration(counts: &Counts) -> Vec<CalibrationBin> {
    let mut bins: Vec<CalibrationBin> =
        (0..10).map(|i| CalibrationBin { low: f64::from(i) / 10.0, decisions: 0, agreed: 0 }).collect();
    for (key, &n) in &counts.0 {
        let Some(bin) = usize::try_from(key.m).ok().and_then(|i| bins.get_mut(i)) else { continue };
        match key.kind {
            TallyKind::Calibration => bin.decisions += n.unsigned_abs(),
            TallyKind::CalibrationAgreed => bin.agreed += n.unsigned_abs(),
            _ => {}
        }
    }
    bins
}

/// Adds people's agreement to each slice: over the items of that value (`value_of`, by item id) that two
/// or more people labelled, the pairs of people and how many agreed.
pub fn slice_agreement(slices: &mut [Slice], labels: &[PersonLabel], value_of: &BTreeMap<i64, String>) {
    let mut by_item: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for l in labels {
        by_item.entry(l.item_id).or_default().push(&l.labels);
    }
    let mut by_value: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (item, given) in by_item.iter().filter(|(_, g)| g.len() > 1) {
        let Some(value) = value_of.get(item) else { continue };
        let entry = by_value.entry(value).or_default();
        for (i, a) in given.iter().enumerate() {
            for b in &given[i + 1..] {
                entry.0 += 1;
                entry.1 += u64::from(a == b);
            }
        }
    }
    for s in slices {
        let (pairs, agreed) = by_value.get(s.value.as_str()).copied().unwrap_or_default();
        (s.pairs, s.pairs_agreed) = (pairs, agreed);
    }
}

/// Flags the slices well below the rest (see [`Slice::flagged`]) and orders them largest first.
pub fn flag_slices(mut slices: Vec<Slice>) -> Vec<Slice> {
    let (items, right): (u64, u64) = slices.iter().fold((0, 0), |(n, r), s| (n + s.items, r + s.right));
    for s in &mut slices {
        let (n1, n2) = (s.items as f64, (items - s.items) as f64);
        if s.items < SLICE_MIN_ITEMS || n2 < 1.0 {
            continue;
        }
        let p1 = s.right as f64 / n1;
        let p2 = (right - s.right) as f64 / n2;
        let pooled = right as f64 / items as f64;
        let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
        s.flagged = se > 0.0 && (p1 - p2) / se < SLICE_ALERT_Z;
    }
    slices.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.value.cmp(&b.value)));
    slices
}

/// A share as a percentage, or "-" for none.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "-".to_string() } else { format!("{:.0}%", 100.0 * part as f64 / whole as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(item: i64, who: &str, labels: &str, predicted: Option<&str>, hour: i64) -> PersonLabel {
        PersonLabel {
            item_id: item,
            annotator: who.into(),
            decision_id: item * 10,
            labels: labels.into(),
            predicted: predicted.map(str::to_string),
            gold: None,
            at_ms: hour * 3_600_000 + 86_400_000 * 3,
        }
    }

    #[test]
    fn hours_pairs_and_confusion_count_what_they_say() {
        let labels = vec![
            label(1, "ann", "spam", Some("spam"), 9),
            label(1, "bob", "spam", Some("ham"), 9),
            label(2, "ann", "ham", Some("spam"), 10),
            label(2, "bob", "spam", Some("spam"), 23),
            label(2, "cy", "ham", None, 23),
        ];
        let counts = super::super::tally::of_labels(&labels);
        let h = hourly(&counts);
        assert_eq!(h.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["ann", "bob", "cy"]);
        assert_eq!((h[0].1[9], h[0].1[10], h[1].1[23], h[2].1[23]), (1, 1, 1, 1));
        let p = pairs(&counts);
        let find = |a: &str, b: &str| p.iter().find(|x| x.a == a && x.b == b).map(|x| (x.items, x.agreed));
        assert_eq!(find("ann", "bob"), Some((2, 1)));
        assert_eq!(find("ann", "cy"), Some((1, 1)));
        assert_eq!(find("bob", "cy"), Some((1, 0)));
        let (keys, m) = confusion(&counts, &["spam".to_string(), "ham".to_string()]);
        assert_eq!(keys, ["spam", "ham"]);
        assert_eq!(m, vec![vec![2, 1], vec![1, 0]], "rows: people's spam, ham; columns: the model's");
    }

    #[test]
    fn a_slice_well_below_the_rest_is_flagged_and_a_small_one_is_not() {
        let slice = |value: &str, items, right| Slice {
            value: value.into(),
            items,
            right,
            pairs: 0,
            pairs_agreed: 0,
            flagged: false,
        };
        let flagged = flag_slices(vec![
            slice("web", 200, 180),
            slice("sms", 100, 60),
            slice("mail", 200, 178),
            slice("fax", 5, 0),
        ]);
        let by = |v: &str| flagged.iter().find(|s| s.value == v).unwrap().flagged;
        assert!(by("sms"), "60% against 90%");
        assert!(!by("web") && !by("mail"));
        assert!(!by("fax"), "5 items say too little");
        assert_eq!(flagged.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), ["mail", "web", "sms", "fax"]);
        assert!(flag_slices(vec![slice("all", 50, 10)]).iter().all(|s| !s.flagged), "nothing to compare with");
    }

    #[test]
    fn agreement_per_slice_counts_the_pairs_on_its_items() {
        let labels = vec![
            label(1, "ann", "spam", None, 1),
            label(1, "bob", "spam", None, 1),
            label(1, "cy", "ham", None, 1),
            label(2, "ann", "ham", None, 1),
            label(2, "bob", "ham", None, 1),
            label(3, "ann", "ham", None, 1),
        ];
        let value_of: BTreeMap<i64, String> =
            [(1, "web".to_string()), (2, "sms".to_string()), (3, "sms".to_string())].into_iter().collect();
        let mut slices = vec![
            Slice { value: "web".into(), items: 1, right: 1, pairs: 0, pairs_agreed: 0, flagged: false },
            Slice { value: "sms".into(), items: 2, right: 1, pairs: 0, pairs_agreed: 0, flagged: false },
        ];
        slice_agreement(&mut slices, &labels, &value_of);
        assert_eq!((slices[0].pairs, slices[0].pairs_agreed), (3, 1), "ann-bob agree, both differ from cy");
        assert_eq!((slices[1].pairs, slices[1].pairs_agreed), (1, 1), "item 3 had one person only");
    }
}
