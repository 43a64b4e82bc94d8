//! The queue service: serves the next batch to a person. Wires the store (pool, reservations), the
//! domain's strategies and routing, and the featurizer (for diversity). Imports nothing from the screen
//! or the CLI.
//!
//! Serving a batch: items already reserved for the person come first (an unfinished batch is resumed);
//! otherwise the pool of items still to label is routed by the current model's confidence (the machine
//! accepts what it may, experts get what is below their threshold), the strategy picks from the rest,
//! and the picks are reserved in one transaction that skips any someone else took meanwhile.

use std::collections::HashMap;

use crate::config::ProjectConfig;
use crate::domain::TaskKind;
use crate::domain::queue::{Candidate, Mix, Pick, Request, Scores, choose};
use crate::domain::routing::{Route, RoutingRules, route};
use crate::domain::vector::SparseVector;
use crate::model::features::{Featurizer, FeaturizerSpec};
use crate::store::{LabelSource, MachineAccept, ServeRequest, ServedItem, Store, StoreError};

/// Spare picks per item wanted, so that items taken meanwhile by someone else can be passed over.
const SPARE_PICKS: usize = 2;

/// A served batch and what happened on the way.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub items: Vec<ServedItem>,
    /// The batch was already reserved for this person (resumed, not newly chosen).
    pub resumed: bool,
    /// Items the machine accepted while routing.
    pub machine_accepted: u64,
    /// Items held for the expert queue.
    pub for_experts: usize,
    /// Items still to be labelled, before this batch.
    pub pool: usize,
    /// No model yet, or a label with too few examples.
    pub cold_start: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Featurizer(String),
}

/// Serves `annotator` their next batch (resuming an unfinished one).
pub fn next_batch(store: &mut Store, config: &ProjectConfig, annotator: &str) -> Result<Batch, QueueError> {
    let lease_ms = i64::from(config.sampling.lease_minutes) * 60_000;
    let open = store.leased_to(annotator)?;
    if !open.is_empty() {
        store.renew_leases(annotator, lease_ms)?;
        return Ok(Batch { items: open, resumed: true, ..Batch::default() });
    }
    let labels: Vec<String> = config.label_names();
    let model = store.current_model()?.filter(|m| m.labels == labels);
    let model_id = model.as_ref().map(|m| m.id);
    // Route by confidence while reading the pool once.
    let rules = routing_rules(config, &labels);
    let multi = config.task == TaskKind::MultiLabel;
    let mut candidates = Vec::new();
    let mut audits = Vec::new();
    let mut accepts = Vec::new();
    let mut for_experts = 0;
    let pool_size = store.scan_pool(model_id, config.sampling.overlap, &mut |item_id, row| {
        let Some(row) = row else {
            candidates.push(Candidate { item_id, scores: None });
            return;
        };
        let (confidence, top) = predicted(row.probabilities, multi);
        let one: [usize; 1];
        let many: Vec<usize>;
        let predicted_labels: &[usize] = match top {
            Some(k) => {
                one = [k];
                &one
            }
            None => {
                many = at_least_half(row.probabilities);
                &many
            }
        };
        let scores = Scores {
            confidence,
            least_confident: row.least_confident,
            margin: row.margin,
            entropy: row.entropy,
            vote_entropy: row.vote_entropy,
            kl_divergence: row.kl_divergence,
        };
        match route(item_id, Some((confidence, predicted_labels)), &rules) {
            Route::Machine => accepts.push(MachineAccept {
                item_id,
                labels: predicted_labels.iter().map(|&k| labels[k].clone()).collect(),
                confidence: f64::from(confidence),
            }),
            Route::Expert => for_experts += 1,
            Route::Audit => {
                audits.push(item_id);
                candidates.push(Candidate { item_id, scores: Some(scores) });
            }
            Route::People => candidates.push(Candidate { item_id, scores: Some(scores) }),
        }
    })? as usize;
    let machine_accepted = match (model_id, accepts.is_empty()) {
        (Some(model), false) => store.record_machine_accepts(model, &accepts)?,
        _ => 0,
    };

    // Cold start: no model, or a label with fewer examples than asked for (people's labels, and the
    // reference labels a model can learn from too).
    let examples = store.training_examples(LabelSource::Combined)?;
    let mut per_label: HashMap<&str, u32> = HashMap::new();
    for e in &examples {
        for l in &e.labels {
            *per_label.entry(l.as_str()).or_default() += 1;
        }
    }
    let cold_start = model_id.is_none()
        || labels
            .iter()
            .any(|l| per_label.get(l.as_str()).copied().unwrap_or(0) < config.sampling.cold_start_per_label);

    let featurizer = Featurizer::new(FeaturizerSpec::new(config.model.hash_bits)).map_err(QueueError::Featurizer)?;
    let labelled: Vec<SparseVector> = examples
        .iter()
        .rev()
        .take(crate::domain::queue::DIVERSITY_CENTRES)
        .map(|e| sorted(featurizer.featurize(&e.text)))
        .collect();
    let batches = store.batches_served()?;
    let s = &config.sampling;
    let request = Request {
        strategy: s.strategy,
        mix: Mix { uncertainty: s.uncertainty_share, diversity: s.diversity_share, random: s.random_share },
        count: s.batch_size as usize,
        spares: s.batch_size as usize * SPARE_PICKS,
        cold_start,
        seed: s.seed ^ batches.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ hash(annotator),
    };
    let mut texts_failed = None;
    let mut vectors = |indices: &[usize]| -> Vec<SparseVector> {
        let ids: Vec<i64> = indices.iter().map(|&i| candidates[i].item_id).collect();
        match store.texts(&ids) {
            Ok(texts) => texts.iter().map(|t| sorted(featurizer.featurize(t))).collect(),
            Err(e) => {
                texts_failed = Some(e);
                vec![SparseVector::default(); ids.len()]
            }
        }
    };
    let picks = choose(&candidates, &request, &mut vectors, &labelled);
    if let Some(e) = texts_failed {
        return Err(e.into());
    }
    let audits: std::collections::HashSet<i64> = audits.into_iter().collect();
    let picks: Vec<(Pick, bool)> = picks.into_iter().map(|p| (p, audits.contains(&p.item_id))).collect();
    let items = store.serve(&ServeRequest {
        annotator,
        picks: &picks,
        want: s.batch_size as usize,
        lease_ms,
        overlap: s.overlap,
        model: model_id,
    })?;
    Ok(Batch { items, resumed: false, machine_accepted, for_experts, pool: pool_size, cold_start })
}

/// The project's routing thresholds, with labels as indices.
pub fn routing_rules(config: &ProjectConfig, labels: &[String]) -> RoutingRules {
    let t = &config.thresholds;
    RoutingRules {
        auto_accept: t.auto_accept as f32,
        auto_accept_enabled: t.auto_accept_enabled,
        audit_share: t.audit_share,
        expert: t.expert as f32,
        high_stakes: t.high_stakes.iter().filter_map(|h| labels.iter().position(|l| l == h)).collect(),
        seed: config.sampling.seed,
    }
}

/// Confidence and, for single-label projects, the top label: for multi-label projects (`None`: the
/// labels are those at or above one half, see `at_least_half`) the confidence is that of the least sure
/// of all the yes/no calls.
fn predicted(probabilities: &[f32], multi: bool) -> (f32, Option<usize>) {
    if multi {
        (probabilities.iter().map(|q| q.max(1.0 - q)).fold(1.0, f32::min), None)
    } else {
        let (k, q) =
            probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or((0, 0.0), |(k, q)| (k, *q));
        (q, Some(k))
    }
}

/// Multi-label predictions: the labels at or above one half.
fn at_least_half(probabilities: &[f32]) -> Vec<usize> {
    probabilities.iter().enumerate().filter(|(_, q)| **q >= 0.5).map(|(k, _)| k).collect()
}

fn sorted(mut v: SparseVector) -> SparseVector {
    v.sort();
    v
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}
