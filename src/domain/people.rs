//! How people label, over the whole project: for each person, how often they agree with the others on the
//! items two or more of them labelled (and Cohen's kappa, which discounts agreement by chance), with the
//! model, and with gold items; how many of their labels corrected the model, and how many the current
//! model has learned from. For the project, Fleiss' kappa over the items labelled more than once.
//! Pure: the project's tallies in, statistics out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::agreement::UnitTally;
pub use super::person_label::PersonLabel;
use super::tally::{self, Counts, Days, TallyKind};

/// A person's gold checks, right and answered: over all time, the 7 days up to now, and the 7 before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoldOverTime {
    pub annotator: String,
    pub all_time: (u64, u64),
    pub this_week: (u64, u64),
    pub last_week: (u64, u64),
}

/// Each person's gold accuracy over time (people with no gold answer are left out), in name order: all
/// time, the last 7 days (`today` and the 6 before, UTC) and the 7 before those.
pub fn gold_over_time(counts: &Counts, today: i64) -> Vec<GoldOverTime> {
    let (this_week, last_week) = (Days::ending(today, 7), Days::ending(today - 7, 7));
    let mut by_person: BTreeMap<&str, GoldOverTime> = BTreeMap::new();
    for (key, &n) in counts.0.iter().filter(|(k, _)| matches!(k.kind, TallyKind::Gold | TallyKind::GoldRight)) {
        let g = by_person.entry(&key.a).or_insert_with(|| GoldOverTime {
            annotator: key.a.clone(),
            all_time: (0, 0),
            this_week: (0, 0),
            last_week: (0, 0),
        });
        let mut slots = vec![&mut g.all_time];
        if this_week.holds(key.m) {
            slots.push(&mut g.this_week);
        } else if last_week.holds(key.m) {
            slots.push(&mut g.last_week);
        }
        for slot in slots {
            if key.kind == TallyKind::GoldRight {
                slot.0 += n.unsigned_abs();
            } else {
                slot.1 += n.unsigned_abs();
            }
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
    /// From the tallies: all time, the last 7 days (`today` and the 6 before, UTC) and the 7 before those.
    /// An item counts on the day of its latest label, with all its labels.
    pub fn of(counts: &Counts, today: i64, label_order: &[String], multi_label: bool) -> BeyondChance {
        let over = |days| agreement_of(counts, label_order, multi_label, days);
        BeyondChance {
            all_time: over(Days::ALL),
            this_week: over(Days::ending(today, 7)),
            last_week: over(Days::ending(today - 7, 7)),
        }
    }
}

/// Agreement (alpha and kappa, overall and per label of `label_order`) from the tallies, over the items
/// whose latest label fell on `days`: each person's first label as a nominal value, or for a multi-label
/// project every label as yes/no, pooled.
pub fn agreement_of(
    counts: &Counts,
    label_order: &[String],
    multi_label: bool,
    days: Days,
) -> super::agreement::Agreement {
    let questions: Vec<(String, UnitTally<bool>)> =
        label_order.iter().cloned().zip(tally::label_questions(counts, label_order, days)).collect();
    let overall = if multi_label {
        let mut pooled = UnitTally::default();
        for (_, q) in &questions {
            pooled.merge(q);
        }
        pooled.coefficients()
    } else {
        let kinds = (TallyKind::NominalUnits, TallyKind::NominalSame, TallyKind::NominalValue);
        tally::question(counts, kinds, days).coefficients()
    };
    let per_label = questions.into_iter().map(|(l, q)| (l, q.coefficients())).collect();
    super::agreement::Agreement { overall, per_label }
}

/// What the current model learned from people, per person: the labels it learned (given before it was
/// trained, on an item settled with that label when it was), and of those, the ones that corrected the
/// model's prediction.
pub type ModelLearned = BTreeMap<String, (u64, u64)>;

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

/// The report from the tallies; `learned`: what the current model learned from people, if it learned from
/// them at all.
pub fn report(counts: &Counts, learned: Option<&ModelLearned>) -> PeopleReport {
    let mut people: BTreeMap<&str, PersonStats> = BTreeMap::new();
    // Per person: (own label, other's label) to how often, for kappa.
    let mut comparisons: BTreeMap<&str, BTreeMap<(&str, &str), u64>> = BTreeMap::new();
    let mut agreement = ProjectAgreement { items: 0, pairs: 0, agreed_pairs: 0, fleiss_kappa: None };
    for (key, &n) in &counts.0 {
        let n = n.unsigned_abs();
        let field: fn(&mut PersonStats) -> &mut u64 = match key.kind {
            TallyKind::Labelled => |p| &mut p.labelled,
            TallyKind::WithPrediction => |p| &mut p.with_prediction,
            TallyKind::ModelAgrees => |p| &mut p.agreed_with_model,
            TallyKind::Gold => |p| &mut p.gold,
            TallyKind::GoldRight => |p| &mut p.gold_right,
            TallyKind::Compared => {
                *comparisons.entry(&key.a).or_default().entry((&key.b, &key.c)).or_default() += n;
                continue;
            }
            TallyKind::Units => {
                agreement.items += n;
                continue;
            }
            TallyKind::Pair => {
                agreement.pairs += n;
                continue;
            }
            TallyKind::PairAgreed => {
                agreement.agreed_pairs += n;
                continue;
            }
            _ => continue,
        };
        *field(people.entry(&key.a).or_insert_with(|| empty(&key.a))) += n;
    }
    for (annotator, pairs) in &comparisons {
        if let Some(stats) = people.get_mut(annotator) {
            stats.compared = pairs.values().sum();
            stats.agreed_with_others = pairs.iter().filter(|((a, b), _)| a == b).map(|(_, n)| n).sum();
            stats.kappa = cohen_kappa(pairs);
        }
    }
    for (annotator, stats) in &mut people {
        if let Some(&(all, corrections)) = learned.and_then(|l| l.get(*annotator)) {
            (stats.learned, stats.learned_corrections) = (all, corrections);
        }
    }
    let mut people: Vec<PersonStats> = people.into_values().collect();
    people.sort_by(|a, b| b.labelled.cmp(&a.labelled).then_with(|| a.annotator.cmp(&b.annotator)));
    let kinds = (TallyKind::Units, TallyKind::KeySame, TallyKind::KeyValue);
    agreement.fleiss_kappa = tally::question(counts, kinds, Days::ALL).fleiss_kappa();
    PeopleReport { people, agreement }
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

/// Cohen's kappa of (first, second) label pairs and how often each came: observed agreement beyond what
/// the two sides' label frequencies give by chance.
fn cohen_kappa(pairs: &BTreeMap<(&str, &str), u64>) -> Option<f64> {
    let n = pairs.values().sum::<u64>() as f64;
    if n == 0.0 {
        return None;
    }
    let mut first: BTreeMap<&str, f64> = BTreeMap::new();
    let mut second: BTreeMap<&str, f64> = BTreeMap::new();
    for (&(a, b), &c) in pairs {
        *first.entry(a).or_default() += c as f64;
        *second.entry(b).or_default() += c as f64;
    }
    let observed = pairs.iter().filter(|((a, b), _)| a == b).map(|(_, &c)| c as f64).sum::<f64>() / n;
    let chance: f64 = first.iter().map(|(k, c)| c / n * second.get(k).copied().unwrap_or(0.0) / n).sum();
    (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
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
        let r = report(&tally::of_labels(&labels), None);
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
        let learned: ModelLearned = [("ann".to_string(), (2, 1)), ("bob".to_string(), (5, 0))].into_iter().collect();
        let r = report(&tally::of_labels(&[a, b, c, d]), Some(&learned));
        let ann = &r.people[0];
        assert_eq!((ann.with_prediction, ann.agreed_with_model), (4, 1));
        assert_eq!((ann.gold, ann.gold_right), (2, 1));
        assert_eq!((ann.learned, ann.learned_corrections), (2, 1), "as the model recorded it");
        assert_eq!(r.people.len(), 1, "bob labelled nothing now");
        assert_eq!(r.agreement.fleiss_kappa, None, "no item labelled twice");
        assert_eq!(report(&Counts::default(), None).people, Vec::new());
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
        let g = gold_over_time(&tally::of_labels(&answers), tally::day_of(100 * week));
        let names: Vec<&str> = g.iter().map(|p| p.annotator.as_str()).collect();
        assert_eq!(names, ["ann", "bob", "cy"], "dee answered no gold check");
        assert_eq!((g[0].all_time, g[0].this_week, g[0].last_week), ((2, 3), (1, 2), (1, 1)));
        assert_eq!((g[1].all_time, g[1].this_week, g[1].last_week), ((0, 1), (0, 0), (0, 0)), "older than 2 weeks");
        assert_eq!(g[2].this_week, (1, 1));
    }

    #[test]
    fn agreement_over_a_week_counts_items_whose_latest_label_fell_in_it() {
        let day = 86_400_000;
        let today = 1_000;
        let mut labels = Vec::new();
        // Item 1: ann ten days ago, bob today (the pair completes this week). Item 2: both ten days ago.
        // Item 3: both today, disagreeing.
        for (item, who, days_ago, l) in
            [(1, "ann", 10, "x"), (1, "bob", 0, "x"), (2, "ann", 10, "y"), (2, "bob", 10, "y"), (3, "ann", 0, "x")]
                .into_iter()
                .chain([(3, "bob", 0, "y")])
        {
            let mut p = label(item, who, item * 10 + days_ago, l);
            p.at_ms = (today - days_ago) * day + 5;
            labels.push(p);
        }
        let order = vec!["x".to_string(), "y".to_string()];
        let b = BeyondChance::of(&tally::of_labels(&labels), today, &order, false);
        assert_eq!((b.all_time.overall.items, b.this_week.overall.items, b.last_week.overall.items), (3, 2, 1));
        assert_eq!(b.last_week.overall.alpha, None, "one item, one value: nothing varies");
        // This week: items 1 (x, x) and 3 (x, y).
        let expected = crate_alpha(&[vec!["x", "x"], vec!["x", "y"]]);
        assert!((b.this_week.overall.alpha.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn agreement_from_the_tallies_equals_agreement_from_the_labels_for_multi_label_items() {
        use super::super::agreement::agreement;
        let order: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        // 80 items, 1 to 4 people each, each giving any subset of a, b, c (the empty one too).
        let mut labels = Vec::new();
        let mut items: Vec<Vec<Vec<String>>> = Vec::new();
        for item in 0..80 {
            let mut given_on_item = Vec::new();
            for who in 0..=next(4) {
                let given: Vec<String> = order.iter().filter(|_| next(2) == 0).cloned().collect();
                let mut l = label(item, &format!("p{who}"), item * 10 + who as i64, &given.join(", "));
                l.at_ms = 86_400_000 * (item % 9);
                labels.push(l);
                given_on_item.push(given);
            }
            items.push(given_on_item);
        }
        let counts = tally::of_labels(&labels);
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-12,
            (x, y) => x == y,
        };
        for multi in [false, true] {
            let expected = agreement(&items, &order, multi);
            let got = agreement_of(&counts, &order, multi, Days::ALL);
            let pairs = std::iter::once((&expected.overall, &got.overall))
                .chain(expected.per_label.iter().map(|(_, c)| c).zip(got.per_label.iter().map(|(_, c)| c)));
            for (e, g) in pairs {
                assert_eq!(e.items, g.items, "multi {multi}");
                assert!(close(e.alpha, g.alpha) && close(e.fleiss_kappa, g.fleiss_kappa), "{e:?} {g:?}");
            }
            assert!(expected.overall.alpha.is_some(), "the data varies");
        }
    }

    fn crate_alpha(units: &[Vec<&str>]) -> f64 {
        super::super::agreement::krippendorff_alpha(units).unwrap()
    }

    #[test]
    fn perfect_agreement_on_one_label_is_not_a_kappa() {
        let labels = vec![label(1, "ann", 1, "spam"), label(1, "bob", 2, "spam")];
        let r = report(&tally::of_labels(&labels), None);
        assert_eq!(r.people[0].kappa, None, "chance explains everything");
        assert_eq!(r.agreement.fleiss_kappa, None);
        assert_eq!(r.agreement.agreed_pairs, 1);
    }
}
