//! The figures of the statistics dashboard, worked out from people's labels and the store's counts: the
//! model's cross-validated accuracy and calibration error by version, decisions per hour of the day per
//! person, agreement per pair of people, a confusion matrix of people against the model, a calibration
//! diagram, labels against reference labels, and the model's accuracy per metadata slice with the slices
//! well below the rest flagged (the bias audit). Pure: rows in, figures out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::people::PersonLabel;

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
pub fn hourly(labels: &[PersonLabel]) -> Vec<(String, [u64; 24])> {
    let mut by_person: BTreeMap<&str, [u64; 24]> = BTreeMap::new();
    for l in labels {
        let hour = (l.at_ms.div_euclid(3_600_000)).rem_euclid(24) as usize;
        by_person.entry(&l.annotator).or_insert([0; 24])[hour] += 1;
    }
    by_person.into_iter().map(|(p, h)| (p.to_string(), h)).collect()
}

/// Agreement per pair of people (each pair once, names in order), over the items both labelled.
pub fn pairs(labels: &[PersonLabel]) -> Vec<PairAgreement> {
    let mut by_item: BTreeMap<i64, Vec<&PersonLabel>> = BTreeMap::new();
    for l in labels {
        by_item.entry(l.item_id).or_default().push(l);
    }
    let mut counts: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for people in by_item.values() {
        for (i, x) in people.iter().enumerate() {
            for y in &people[i + 1..] {
                let key = if x.annotator <= y.annotator {
                    (x.annotator.as_str(), y.annotator.as_str())
                } else {
                    (y.annotator.as_str(), x.annotator.as_str())
                };
                if key.0 == key.1 {
                    continue;
                }
                let entry = counts.entry(key).or_default();
                entry.0 += 1;
                entry.1 += u64::from(x.labels == y.labels);
            }
        }
    }
    counts
        .into_iter()
        .map(|((a, b), (items, agreed))| PairAgreement { a: a.to_string(), b: b.to_string(), items, agreed })
        .collect()
}

/// People's labels (rows) against the model's prediction when they decided (columns), in `order` (then
/// any other key met, such as a multi-label combination, in sorted order).
pub fn confusion(labels: &[PersonLabel], order: &[String]) -> (Vec<String>, Vec<Vec<u64>>) {
    let mut keys: Vec<String> = order.to_vec();
    let mut extra: Vec<String> = labels
        .iter()
        .flat_map(|l| std::iter::once(&l.labels).chain(l.predicted.as_ref()))
        .filter(|k| !order.contains(k))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    keys.extend(extra);
    let index: BTreeMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let mut matrix = vec![vec![0u64; keys.len()]; keys.len()];
    for l in labels {
        if let (Some(&row), Some(&col)) =
            (index.get(l.labels.as_str()), l.predicted.as_deref().and_then(|p| index.get(p)))
        {
            matrix[row][col] += 1;
        }
    }
    (keys, matrix)
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
        let h = hourly(&labels);
        assert_eq!(h.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["ann", "bob", "cy"]);
        assert_eq!((h[0].1[9], h[0].1[10], h[1].1[23], h[2].1[23]), (1, 1, 1, 1));
        let p = pairs(&labels);
        let find = |a: &str, b: &str| p.iter().find(|x| x.a == a && x.b == b).map(|x| (x.items, x.agreed));
        assert_eq!(find("ann", "bob"), Some((2, 1)));
        assert_eq!(find("ann", "cy"), Some((1, 1)));
        assert_eq!(find("bob", "cy"), Some((1, 0)));
        let (keys, m) = confusion(&labels, &["spam".to_string(), "ham".to_string()]);
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
