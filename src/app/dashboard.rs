//! The statistics dashboard's figures for a project, read from the store in one place for `margin stats`,
//! the screens and the report.

use crate::config::ProjectConfig;
use crate::domain::ModelKind;
use crate::domain::dashboard::{self, Dashboard, LabelBar, ModelPoint, flag_slices};
use crate::store::{Store, StoreError};

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
    let labels = store.people_labels()?;
    let (confusion_labels, confusion) = dashboard::confusion(&labels, &order);
    let status = store.status(&order)?;
    let reference = |label: &str| status.reference_labels.iter().find(|c| c.label == label).map_or(0, |c| c.count);
    let label_bars = status
        .labels
        .iter()
        .map(|c| LabelBar { label: c.label.clone(), decided: c.count, reference: reference(&c.label) })
        .collect();
    let slices = match slice_by {
        Some(field) => {
            let mut slices = store.slices(field)?;
            dashboard::slice_agreement(&mut slices, &labels, &store.slice_values(field)?);
            Some((field.to_string(), flag_slices(slices)))
        }
        None => None,
    };
    Ok(Dashboard {
        models,
        hourly: dashboard::hourly(&labels),
        pairs: dashboard::pairs(&labels),
        confusion_labels,
        confusion,
        calibration: store.calibration_bins()?,
        labels: label_bars,
        slices,
    })
}
