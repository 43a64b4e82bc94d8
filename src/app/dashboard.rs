//! The statistics' figures for a project, read from the store in one place: the dashboard for
//! `margin stats`, the screens and the report; how people label for `margin people` and the annotation
//! screen. They come from the store's running tallies (kept per day where a figure is read per week), so
//! none reads every decision.

use crate::config::ProjectConfig;
use crate::domain::dashboard::{self, Dashboard, LabelBar, ModelPoint, flag_slices};
use crate::domain::people::{self, BeyondChance, GoldOverTime, PeopleReport};
use crate::domain::tally::day_of;
use crate::domain::{ModelKind, TaskKind};
use crate::store::{Store, StoreError};

/// How people label: each person's record and the project's agreement, gold checks over time, and
/// agreement beyond chance over time.
#[derive(Debug, Clone, PartialEq)]
pub struct PeopleFigures {
    pub report: PeopleReport,
    pub gold: Vec<GoldOverTime>,
    pub beyond_chance: BeyondChance,
}

/// The people's figures now.
pub fn people_figures(store: &mut Store, config: &ProjectConfig) -> Result<PeopleFigures, StoreError> {
    let learned = store.model_learned()?;
    let counts = store.tallies()?;
    let today = day_of(crate::store::now_ms());
    let multi = config.task == TaskKind::MultiLabel;
    Ok(PeopleFigures {
        report: people::report(&counts, learned.as_ref()),
        gold: people::gold_over_time(&counts, today),
        beyond_chance: BeyondChance::of(&counts, today, &config.label_names(), multi),
    })
}

/// Every figure of the dashboard; `slice_by`: the metadata field whose values the model's accuracy is
/// compared across.
pub fn dashboard(store: &mut Store, config: &ProjectConfig, slice_by: Option<&str>) -> Result<Dashboard, StoreError> {
    let order = config.label_names();
    let models = store
        .model_versions()?
        .into_iter()
        .filter(|m| m.kind != ModelKind::CommitteeMember)
        .map(|m| {
            let metrics: serde_json::Value = serde_json::from_str(&m.metrics).unwrap_or_default();
            ModelPoint {
                version: m.id,
                train_size: m.train_size as u64,
                accuracy: metrics.get("accuracy").and_then(serde_json::Value::as_f64),
                ece: metrics.get("ece").and_then(serde_json::Value::as_f64),
            }
        })
        .collect();
    let counts = store.tallies()?;
    let (confusion_labels, confusion) = dashboard::confusion(&counts, &order);
    let (decided, reference_labels) = store.label_counts(&order)?;
    let reference = |label: &str| reference_labels.iter().find(|c| c.label == label).map_or(0, |c| c.count);
    let label_bars = decided
        .iter()
        .map(|c| LabelBar { label: c.label.clone(), decided: c.count, reference: reference(&c.label) })
        .collect();
    let slices = match slice_by {
        Some(field) => {
            let mut slices = store.slices(field)?;
            dashboard::slice_agreement(&mut slices, &store.people_labels()?, &store.slice_values(field)?);
            Some((field.to_string(), flag_slices(slices)))
        }
        None => None,
    };
    Ok(Dashboard {
        models,
        hourly: dashboard::hourly(&counts),
        pairs: dashboard::pairs(&counts),
        confusion_labels,
        confusion,
        calibration: dashboard::calibration(&counts),
        labels: label_bars,
        slices,
    })
}
