//! How people label, over the whole project: for each person, how often they agree with the others on the
//! items two or more of them labelled (and Cohen's kappa, which discounts agreement by chance), with the
//! model, and with gold items; how many of their labels corrected the model, and how many the current
//! model has learned from. For the project, Fleiss' kappa over the items labelled more than once.
//! Pure: a person's labels in, statistics out.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// A person's current label for an item (their latest labelling decision that is not undone).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonLabel {
    pub item_id: i64,
    pub annotator: String,
    pub decision_id: i64,
    /// The labels, as one key (sorted and joined for multi-label items).
    pub labels: String,
    /// The model's prediction when they decided, as the same kind of key.
    pub predicted: Option<String>,
    /// The item's gold labels, when it is a gold item.
    pub gold: Option<String>,
    /// When they decided (milliseconds since the epoch).
    pub at_ms: i64,
}

impl PersonLabel {
    /// The labels one by one (the key splits back).
    pub fn label_list(&self) -> Vec<String> {
        if self.labels.is_empty() { Vec::new() } else { self.labels.split(", ").map(String::from).collect() }
    }
}

/// A person's gold checks, right and answered: over all time, the 7 days up to now, and the 7 before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoldOverTime {
    pub annotator: String,
    pub all_time: (u64, u64),
    pub this_week: (u64, u64),
    pub last_week: (u64, u64),
}

/// A week in milliseconds: "the last 7 days" and "the 7 before" of the people's figures.
pub const WEEK_MS: i64 = 7 * 24 * 3_600_000;

/// Each person's gold accuracy over time (people with no gold answer are left out), in name order.
pub fn gold_over_time(labels: &[PersonLabel], now_ms: i64) -> Vec<GoldOverTime> {
    let mut by_person: BTreeMap<&str, GoldOverTime> = BTreeMap::new();
    for l in labels {
        let Some(gold) = &l.gold else { continue };
        let entry = by_person.entry(&l.annotator).or_insert_with(|| GoldOverTime {
            annotator: l.annotator.clone(),
            all_time: (0, 0),
            this_week: (0, 0),
            last_week: (0, 0),
        });
        let right = u64::from(&l.labels == gold);
        let count = |slot: &mut (u64, u64)| {
            slot.0 += right;
            slot.1 += 1;
        };
        count(&mut entry.all_time);
        if l.at_ms >= now_ms - WEEK_MS {
            count(&mut entry.this_week);
        } else if l.at_ms >= now_ms - 2 * WEEK_MS {
            count(&mut entry.last_week);
        }
    }
    by_person.into_values().collect()
}

/// Krippendorff's alpha and Fleiss' kappa, overall and per label, over all time, this week (the last 7
/// days before `now_ms`) and the week before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeyondChance {
    pub all_time: super::agreement::Agreement,
    pub this_week: super::agreement::Agreement,
    pub last_week: super::agreement::Agreement,
}

impl BeyondChance {
    pub fn of(labels: &[PersonLabel], now_ms: i64, label_order: &[String], multi_label: bool) -> BeyondChance {
        let between = |from, to| agreement_between(labels, (from, to), label_order, multi_label);
        BeyondChance {
            all_time: between(i64::MIN, i64::MAX),
            this_week: between(now_ms - WEEK_MS, i64::MAX),
            last_week: between(now_ms - 2 * WEEK_MS, now_ms - WEEK_MS),
        }
    }
}

/// Agreement (Krippendorff's alpha and Fleiss' kappa, overall and per label) over the labels decided in
/// `[from_ms, to_ms)`: per item, the people who labelled it in that time.
pub fn agreement_between(
    labels: &[PersonLabel],
    (from_ms, to_ms): (i64, i64),
    label_order: &[String],
    multi_label: bool,
) -> super::agreement::Agreement {
    let mut by_item: BTreeMap<i64, Vec<Vec<String>>> = BTreeMap::new();
    for l in labels.iter().filter(|l| (from_ms..to_ms).contains(&l.at_ms)) {
        by_item.entry(l.item_id).or_default().push(l.label_list());
    }
    let items: Vec<Vec<Vec<String>>> = by_item.into_values().collect();
    super::agreement::agreement(&items, label_order, multi_label)
}

/// What the current model learned from people: the last decision it saw, and the label it took for each
/// item (settled items only: disputed and escalated items are left out of training).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelLearned {
    pub upto: i64,
    /// Item id to the learned labels, as a `PersonLabel::labels` key.
    pub labels: HashMap<i64, String>,
}

/// One person's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonStats {
    pub annotator: String,
    /// Items they have labelled.
    pub labelled: u64,
    /// Comparisons with someone else's label on the same item, and how many agreed.
    pub compared: u64,
    pub agreed_with_others: u64,
    /// Cohen's kappa over those comparisons; `None` when there are none or chance explains everything.
    pub kappa: Option<f64>,
    /// Labels given with the model's prediction on screen, and how many took it.
    pub with_prediction: u64,
    pub agreed_with_model: u64,
    /// Gold items labelled, and how many rightly.
    pub gold: u64,
    pub gold_right: u64,
    /// Labels the current model learned (given before it was trained, on an item it learned with that
    /// label), and of those, the ones that corrected the model's prediction: the labels that taught it most.
    pub learned: u64,
    pub learned_corrections: u64,
}

/// Agreement over the whole project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectAgreement {
    /// Items labelled by two or more people.
    pub items: u64,
    /// Pairs of people's labels on the same item, and how many agreed.
    pub pairs: u64,
    pub agreed_pairs: u64,
    /// Fleiss' kappa (any number of people per item); `None` without items labelled twice.
    pub fleiss_kappa: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeopleReport {
    pub people: Vec<PersonStats>,
    pub agreement: ProjectAgreement,
}

/// The report for `labels` (one per person and item); `learned`: what the current model learned from
/// people, if it learned from them at all.
pub fn report(labels: &[PersonLabel], learned: Option<&ModelLearned>) -> PeopleReport {
    let mut by_item: BTreeMap<i64, Vec<&PersonLabel>> = BTreeMap::new();
    for label in labels {
        by_item.entry(label.item_id).or_default().push(label);
    }
    let mut people: BTreeMap<&str, PersonStats> = BTreeMap::new();
    // Per person: (own label, other's label) for every comparison, for kappa.
    let mut comparisons: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for label in labels {
        let stats = people.entry(&label.annotator).or_insert_with(|| empty(&label.annotator));
        stats.labelled += 1;
        if let Some(predicted) = &label.predicted {
            stats.with_prediction += 1;
            stats.agreed_with_model += u64::from(*predicted == label.labels);
        }
        if let Some(gold) = &label.gold {
            stats.gold += 1;
            stats.gold_right += u64::from(*gold == label.labels);
        }
        if learned.is_some_and(|m| label.decision_id <= m.upto && m.labels.get(&label.item_id) == Some(&label.labels)) {
            stats.learned += 1;
            stats.learned_corrections += u64::from(label.predicted.as_ref().is_some_and(|p| *p != label.labels));
        }
    }
    for item_labels in by_item.values().filter(|l| l.len() > 1) {
        for a in item_labels {
            for b in item_labels.iter().filter(|b| b.annotator != a.annotator) {
                comparisons.entry(&a.annotator).or_default().push((&a.labels, &b.labels));
            }
        }
    }
    for (annotator, pairs) in &comparisons {
        if let Some(stats) = people.get_mut(annotator) {
            stats.compared = pairs.len() as u64;
            stats.agreed_with_others = pairs.iter().filter(|(a, b)| a == b).count() as u64;
            stats.kappa = cohen_kappa(pairs);
        }
    }
    let mut people: Vec<PersonStats> = people.into_values().collect();
    people.sort_by(|a, b| b.labelled.cmp(&a.labelled).then_with(|| a.annotator.cmp(&b.annotator)));
    PeopleReport { people, agreement: project_agreement(&by_item) }
}

fn empty(annotator: &str) -> PersonStats {
    PersonStats {
        annotator: annotator.to_string(),
        labelled: 0,
        compared: 0,
        agreed_with_others: 0,
        kappa: None,
        with_prediction: 0,
        agreed_with_model: 0,
        gold: 0,
        gold_right: 0,
        learned: 0,
        learned_corrections: 0,
    }
}

/// Cohen's kappa of (first, second) label pairs: observed agreement beyond what the two sides' label
/// frequencies give by chance.
fn cohen_kappa(pairs: &[(&str, &str)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let mut first: BTreeMap<&str, f64> = BTreeMap::new();
    let mut second: BTreeMap<&str, f64> = BTreeMap::new();
    for (a, b) in pairs {
        *first.entry(a).or_default() += 1.0;
        *second.entry(b).or_default() += 1.0;
    }
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let chance: f64 = first.iter().map(|(k, c)| c / n * second.get(k).copied().unwrap_or(0.0) / n).sum();
    (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
}

/// Pairwise agreement and Fleiss' kappa over the items labelled by two or more people (any number each),
/// each person's labels as one value.
fn project_agreement(by_item: &BTreeMap<i64, Vec<&PersonLabel>>) -> ProjectAgreement {
    let (mut items, mut pairs, mut agreed) = (0u64, 0u64, 0u64);
    let mut units: Vec<Vec<&str>> = Vec::new();
    for item_labels in by_item.values().filter(|l| l.len() > 1) {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for l in item_labels {
            *counts.entry(&l.labels).or_default() += 1;
        }
        let n = item_labels.len() as u64;
        items += 1;
        pairs += n * (n - 1) / 2;
        agreed += counts.values().map(|c| c * (c - 1) / 2).sum::<u64>();
        units.push(item_labels.iter().map(|l| l.labels.as_str()).collect());
    }
    let fleiss_kappa = super::agreement::fleiss_kappa(&units);
    ProjectAgreement { items, pairs, agreed_pairs: agreed, fleiss_kappa }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(item_id: i64, annotator: &str, decision_id: i64, labels: &str) -> PersonLabel {
        PersonLabel {
            item_id,
            annotator: annotator.into(),
            decision_id,
            at_ms: decision_id * 1000,
            labels: labels.into(),
            predicted: None,
            gold: None,
        }
    }

    #[test]
    fn agreement_with_others_and_kappa_per_person_and_for_the_project() {
        // Four items labelled by ann and bob: they agree on three. ann says spam twice, bob once.
        let labels = vec![
            label(1, "ann", 1, "spam"),
            label(1, "bob", 2, "spam"),
            label(2, "ann", 3, "ham"),
            label(2, "bob", 4, "ham"),
            label(3, "ann", 5, "ham"),
            label(3, "bob", 6, "ham"),
            label(4, "ann", 7, "spam"),
            label(4, "bob", 8, "ham"),
            label(5, "cy", 9, "ham"),
        ];
        let r = report(&labels, None);
        let ann = r.people.iter().find(|p| p.annotator == "ann").unwrap();
        assert_eq!((ann.labelled, ann.compared, ann.agreed_with_others), (4, 4, 3));
        // Observed 0.75; chance 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa = 0.25 / 0.5.
        assert!((ann.kappa.unwrap() - 0.5).abs() < 1e-9, "{:?}", ann.kappa);
        let cy = r.people.iter().find(|p| p.annotator == "cy").unwrap();
        assert_eq!((cy.compared, cy.kappa), (0, None), "nobody else labelled cy's item");
        assert_eq!((r.agreement.items, r.agreement.pairs, r.agreement.agreed_pairs), (4, 4, 3));
        // Fleiss: observed 0.75; label shares 3/8 spam, 5/8 ham: chance 0.53125.
        let expected = (0.75 - 0.53125) / (1.0 - 0.53125);
        assert!((r.agreement.fleiss_kappa.unwrap() - expected).abs() < 1e-9);
        assert_eq!(r.people[0].annotator, "ann", "most labels first, then by name");
    }

    #[test]
    fn model_gold_and_what_the_model_learned() {
        let mut a = label(1, "ann", 10, "spam");
        a.predicted = Some("spam".into());
        a.gold = Some("spam".into());
        let mut b = label(2, "ann", 20, "ham");
        b.predicted = Some("spam".into());
        b.gold = Some("spam".into());
        let mut c = label(3, "ann", 30, "ham");
        c.predicted = Some("spam".into());
        let mut d = label(4, "ann", 15, "ham");
        d.predicted = Some("spam".into());
        // Item 4 is disputed, so the model did not learn it; item 3's label came after the model.
        let learned = ModelLearned {
            upto: 20,
            labels: [(1, "spam"), (2, "ham"), (3, "ham")].into_iter().map(|(i, l)| (i, l.to_string())).collect(),
        };
        let r = report(&[a, b, c, d], Some(&learned));
        let ann = &r.people[0];
        assert_eq!((ann.with_prediction, ann.agreed_with_model), (4, 1));
        assert_eq!((ann.gold, ann.gold_right), (2, 1));
        assert_eq!((ann.learned, ann.learned_corrections), (2, 1), "items 1 and 2; item 2 corrected the model");
        assert_eq!(r.agreement.fleiss_kappa, None, "no item labelled twice");
        assert_eq!(report(&[], None).people, Vec::new());
    }

    #[test]
    fn gold_accuracy_is_counted_per_person_and_week() {
        let week = 7 * 24 * 3_600_000;
        let mut answers = Vec::new();
        for (i, (who, right, days_ago)) in
            [("ann", true, 1), ("ann", false, 2), ("ann", true, 9), ("bob", false, 20), ("cy", true, 0)]
                .into_iter()
                .enumerate()
        {
            let mut l = label(i as i64 + 1, who, i as i64 + 1, if right { "a" } else { "b" });
            l.gold = Some("a".into());
            l.at_ms = 100 * week - days_ago * week / 7;
            answers.push(l);
        }
        answers.push(label(9, "dee", 9, "a"));
        let g = gold_over_time(&answers, 100 * week);
        let names: Vec<&str> = g.iter().map(|p| p.annotator.as_str()).collect();
        assert_eq!(names, ["ann", "bob", "cy"], "dee answered no gold check");
        assert_eq!((g[0].all_time, g[0].this_week, g[0].last_week), ((2, 3), (1, 2), (1, 1)));
        assert_eq!((g[1].all_time, g[1].this_week, g[1].last_week), ((0, 1), (0, 0), (0, 0)), "older than 2 weeks");
        assert_eq!(g[2].this_week, (1, 1));
    }

    #[test]
    fn perfect_agreement_on_one_label_is_not_a_kappa() {
        let labels = vec![label(1, "ann", 1, "spam"), label(1, "bob", 2, "spam")];
        let r = report(&labels, None);
        assert_eq!(r.people[0].kappa, None, "chance explains everything");
        assert_eq!(r.agreement.fleiss_kappa, None);
        assert_eq!(r.agreement.agreed_pairs, 1);
    }
}
