//! Agreement between people beyond chance, for any number of people per item and items labelled by only
//! some of them: Krippendorff's alpha (nominal) and Fleiss' kappa, overall and per label (each label as a
//! yes/no question: did this person give it?), so that multi-label projects are measured label by label.
//! Pure: each item's values in, coefficients out.

use std::collections::BTreeMap;

use serde::Serialize;

/// Krippendorff's alpha for nominal data. `units` holds, per item, the values the people who labelled it
/// gave (one each; people who did not label it are simply absent: missing data). Items with fewer than two
/// values cannot be compared and do not count. `None` when nothing is comparable or every value is the
/// same (expected disagreement is zero: alpha is undefined).
pub fn krippendorff_alpha<V: Ord>(units: &[Vec<V>]) -> Option<f64> {
    // The coincidence matrix: each ordered pair of values within an item, weighted 1 / (m - 1).
    let mut coincidences: BTreeMap<(&V, &V), f64> = BTreeMap::new();
    let mut totals: BTreeMap<&V, f64> = BTreeMap::new();
    for unit in units.iter().filter(|u| u.len() > 1) {
        let weight = 1.0 / (unit.len() - 1) as f64;
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j {
                    *coincidences.entry((a, b)).or_default() += weight;
                    *totals.entry(a).or_default() += weight;
                }
            }
        }
    }
    let n: f64 = totals.values().sum();
    if n <= 1.0 {
        return None;
    }
    let observed: f64 = coincidences.iter().filter(|((a, b), _)| a != b).map(|(_, w)| w).sum();
    let squares: f64 = totals.values().map(|c| c * c).sum();
    let expected = (n * n - squares) / (n - 1.0);
    (expected > 0.0).then(|| 1.0 - observed / expected)
}

/// Fleiss' kappa over the items labelled by two or more people (any number each): the mean of the items'
/// pairwise agreement against the agreement the values' overall shares give by chance. `None` without
/// such items, or when chance explains all agreement.
pub fn fleiss_kappa<V: Ord>(units: &[Vec<V>]) -> Option<f64> {
    let (mut items, mut per_item, mut ratings) = (0usize, 0.0, 0.0);
    let mut totals: BTreeMap<&V, f64> = BTreeMap::new();
    for unit in units.iter().filter(|u| u.len() > 1) {
        let mut counts: BTreeMap<&V, f64> = BTreeMap::new();
        for v in unit {
            *counts.entry(v).or_default() += 1.0;
        }
        let m = unit.len() as f64;
        per_item += counts.values().map(|c| c * (c - 1.0)).sum::<f64>() / (m * (m - 1.0));
        for (v, c) in counts {
            *totals.entry(v).or_default() += c;
        }
        ratings += m;
        items += 1;
    }
    if items == 0 {
        return None;
    }
    let observed = per_item / items as f64;
    let chance: f64 = totals.values().map(|c| (c / ratings).powi(2)).sum();
    (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
}

/// Alpha and kappa for one question: all labels at once, or one label as yes/no.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficients {
    /// Items two or more people answered.
    pub items: u64,
    pub alpha: Option<f64>,
    pub fleiss_kappa: Option<f64>,
}

impl Coefficients {
    fn of<V: Ord>(units: &[Vec<V>]) -> Coefficients {
        Coefficients {
            items: units.iter().filter(|u| u.len() > 1).count() as u64,
            alpha: krippendorff_alpha(units),
            fleiss_kappa: fleiss_kappa(units),
        }
    }
}

/// Agreement overall and per label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// Single-label: each person's label as one nominal value. Multi-label: every (item, label) as a yes/no
    /// unit, pooled.
    pub overall: Coefficients,
    /// Each label as yes/no, in the order given.
    pub per_label: Vec<(String, Coefficients)>,
}

/// Agreement over `items`: per item, each person's labels (one for a single-label project). `labels`: the
/// project's labels, for the per-label figures.
pub fn agreement(items: &[Vec<Vec<String>>], labels: &[String], multi_label: bool) -> Agreement {
    let yes_no = |label: &str| -> Vec<Vec<bool>> {
        items.iter().map(|people| people.iter().map(|given| given.iter().any(|l| l == label)).collect()).collect()
    };
    let per_label: Vec<(String, Coefficients)> =
        labels.iter().map(|label| (label.clone(), Coefficients::of(&yes_no(label)))).collect();
    let overall = if multi_label {
        let pooled: Vec<Vec<bool>> = labels.iter().flat_map(|label| yes_no(label)).collect();
        Coefficients::of(&pooled)
    } else {
        let nominal: Vec<Vec<&str>> = items
            .iter()
            .map(|people| people.iter().filter_map(|given| given.first().map(String::as_str)).collect())
            .collect();
        Coefficients::of(&nominal)
    };
    Agreement { overall, per_label }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn krippendorffs_worked_example_with_missing_values() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example: 4 coders, 12
        // units, values 1-5, missing data. Published alpha: 0.743.
        let data: [[Option<u8>; 12]; 4] = [
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(1), Some(4), Some(1), Some(2), None, None, None],
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(2), Some(4), Some(1), Some(2), Some(5), None, Some(3)],
            [None, Some(3), Some(3), Some(3), Some(2), Some(3), Some(4), Some(2), Some(2), Some(5), Some(1), None],
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(4), Some(4), Some(1), Some(2), Some(5), Some(1), None],
        ];
        let units: Vec<Vec<u8>> = (0..12).map(|u| data.iter().filter_map(|coder| coder[u]).collect()).collect();
        let alpha = krippendorff_alpha(&units).unwrap();
        assert!((alpha - 0.743).abs() < 0.0005, "{alpha}");
    }

    #[test]
    fn perfect_agreement_is_one_and_no_variation_is_undefined() {
        let units = vec![vec!["a", "a"], vec!["b", "b", "b"], vec!["a"]];
        assert_eq!(krippendorff_alpha(&units), Some(1.0));
        assert_eq!(fleiss_kappa(&units), Some(1.0));
        assert_eq!(krippendorff_alpha(&[vec!["a", "a"], vec!["a", "a"]]), None, "nothing varies");
        assert_eq!(krippendorff_alpha::<&str>(&[vec!["a"], vec![]]), None, "nothing comparable");
    }

    #[test]
    fn per_label_agreement_asks_each_label_as_yes_or_no() {
        let s = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let labels = s(&["news", "sport"]);
        // Multi-label: both agree on news everywhere; they disagree on sport once.
        let items =
            vec![vec![s(&["news", "sport"]), s(&["news"])], vec![s(&["news"]), s(&["news"])], vec![s(&[]), s(&[])]];
        let a = agreement(&items, &labels, true);
        assert_eq!(a.per_label[1].0, "sport");
        assert!(a.per_label[1].1.alpha.unwrap() < 0.5, "{:?}", a.per_label[1]);
        assert!(a.per_label[0].1.alpha.unwrap() > 0.99, "{:?}", a.per_label[0]);
        assert_eq!(a.overall.items, 6, "three items, two labels each, pooled");
    }
}
