//! Agreement between people beyond chance, for any number of people per item and items labelled by only
//! some of them: Krippendorff's alpha (nominal) and Fleiss' kappa, overall and per label (each label as a
//! yes/no question: did this person give it?), so that multi-label projects are measured label by label.
//! Pure: each item's values in, coefficients out.

use std::collections::BTreeMap;

use serde::Serialize;

/// What alpha and kappa need from a set of units, kept as sums that add up unit by unit (so a store can
/// keep them as each item's labels change): per unit size m, how many units and the sum over their values
/// of c(c - 1) (c: how many of the unit's people gave that value); and each value's count over the units.
/// Units with fewer than two values are not comparable and are not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTally<V: Ord> {
    /// Unit size to (units, sum of c(c - 1)).
    pub by_size: BTreeMap<u64, (u64, u64)>,
    /// Each value's count over the comparable units.
    pub values: BTreeMap<V, u64>,
}

impl<V: Ord> Default for UnitTally<V> {
    fn default() -> Self {
        UnitTally { by_size: BTreeMap::new(), values: BTreeMap::new() }
    }
}

impl<V: Ord + Clone> UnitTally<V> {
    /// Adds one unit: the values its people gave.
    pub fn add_unit(&mut self, unit: &[V]) {
        if unit.len() < 2 {
            return;
        }
        let mut counts: BTreeMap<&V, u64> = BTreeMap::new();
        for v in unit {
            *counts.entry(v).or_default() += 1;
        }
        let same: u64 = counts.values().map(|c| c * (c - 1)).sum();
        self.add_units(unit.len() as u64, 1, same);
        for (v, c) in counts {
            *self.values.entry(v.clone()).or_default() += c;
        }
    }

    /// Adds `units` units of size `m` whose values together give `same` (the sum of c(c - 1)).
    pub fn add_units(&mut self, m: u64, units: u64, same: u64) {
        let entry = self.by_size.entry(m).or_default();
        entry.0 += units;
        entry.1 += same;
    }

    /// Adds another tally (pooling its units with these).
    pub fn merge(&mut self, other: &UnitTally<V>) {
        for (&m, &(units, same)) in &other.by_size {
            self.add_units(m, units, same);
        }
        for (v, c) in &other.values {
            *self.values.entry(v.clone()).or_default() += c;
        }
    }

    /// Comparable units.
    pub fn units(&self) -> u64 {
        self.by_size.values().map(|(units, _)| units).sum()
    }

    /// Krippendorff's alpha (nominal): 1 - observed / expected disagreement, from the coincidence matrix's
    /// sums (each ordered pair of values within a unit weighted 1 / (m - 1)). `None` when nothing is
    /// comparable or every value is the same.
    pub fn alpha(&self) -> Option<f64> {
        let n: f64 = self.values.values().map(|&c| c as f64).sum();
        if n <= 1.0 {
            return None;
        }
        // Per size: all ordered pairs m(m - 1) per unit, less those of equal values, weighted 1 / (m - 1).
        let observed: f64 =
            self.by_size.iter().map(|(&m, &(units, same))| (units * m * (m - 1) - same) as f64 / (m - 1) as f64).sum();
        let squares: f64 = self.values.values().map(|&c| (c as f64) * (c as f64)).sum();
        let expected = (n * n - squares) / (n - 1.0);
        (expected > 0.0).then(|| 1.0 - observed / expected)
    }

    /// Fleiss' kappa: the mean of the units' pairwise agreement against the agreement the values' overall
    /// shares give by chance. `None` without units, or when chance explains all agreement.
    pub fn fleiss_kappa(&self) -> Option<f64> {
        let units = self.units();
        if units == 0 {
            return None;
        }
        let per_unit: f64 = self.by_size.iter().map(|(&m, &(_, same))| same as f64 / (m * (m - 1)) as f64).sum();
        let observed = per_unit / units as f64;
        let ratings: f64 = self.values.values().map(|&c| c as f64).sum();
        let chance: f64 = self.values.values().map(|&c| (c as f64 / ratings).powi(2)).sum();
        (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
    }

    /// Both coefficients and the number of units.
    pub fn coefficients(&self) -> Coefficients {
        Coefficients { items: self.units(), alpha: self.alpha(), fleiss_kappa: self.fleiss_kappa() }
    }
}

fn tally<V: Ord + Clone>(units: &[Vec<V>]) -> UnitTally<V> {
    let mut t = UnitTally::default();
    for unit in units {
        t.add_unit(unit);
    }
    t
}

/// Krippendorff's alpha for nominal data. `units` holds, per item, the values the people who labelled it
/// gave (one each; people who did not label it are simply absent: missing data). Items with fewer than two
/// values cannot be compared and do not count. `None` when nothing is comparable or every value is the
/// same (expected disagreement is zero: alpha is undefined).
pub fn krippendorff_alpha<V: Ord + Clone>(units: &[Vec<V>]) -> Option<f64> {
    tally(units).alpha()
}

/// Fleiss' kappa over the items labelled by two or more people (any number each). `None` without such
/// items, or when chance explains all agreement.
pub fn fleiss_kappa<V: Ord + Clone>(units: &[Vec<V>]) -> Option<f64> {
    tally(units).fleiss_kappa()
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
    fn of<V: Ord + Clone>(units: &[Vec<V>]) -> Coefficients {
        tally(units).coefficients()
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
