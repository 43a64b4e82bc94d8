//! The queue service: serves the next batch to a person. Wires the store (pool, reservations), the
//! domain's strategies and routing, and the featurizer (for diversity). Imports nothing from the screen
//! or the CLI.
//!
//! Serving a batch: items already reserved for the person come first (an unfinished batch is resumed);
//! otherwise the pool of items still to label is routed by the current model's confidence (the machine
//! accepts what it may, experts get what is below their threshold), the strategy picks from the rest,
//! and the picks are reserved in one transaction that skips any someone else took meanwhile. A big pool
//! is routed once, when it is scored, and batches come from the short list kept then.

use std::collections::HashMap;

use crate::config::ProjectConfig;
use crate::domain::queue::{Candidate, Mix, Pick, Request, Scores, Why, choose, shortlist};
use crate::domain::routing::{Route, RoutingRules, route};
use crate::domain::vector::SparseVector;
use crate::domain::{Predicted, TaskKind};
use crate::model::features::{Featurizer, FeaturizerSpec};
use crate::store::{
    LabelSource, MachineAccept, ModelVersion, PoolRow, ServeRequest, ServedItem, ShortlistRouting, Store, StoreError,
    TrainingExample,
};

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
    /// Items still to be labelled, before this batch (0 when resumed).
    pub pool: usize,
    /// Items the person has left after this batch was served, its own undecided items included (see
    /// [`left_for`]).
    pub left: u64,
    /// Items held for experts by the routing this batch was served under (for [`left_for`] later on).
    pub held_for_experts: u64,
    /// How many items the batch served in all: more than `items` when it is resumed after some were
    /// decided.
    pub size: usize,
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

/// Serves `annotator` their next batch (resuming an unfinished one): the pool to choose from (the current
/// model's short list when it holds enough, else the whole pool, routed by confidence as it is read), the
/// strategy's picks from it, and the leases on them.
pub fn next_batch(store: &mut Store, config: &ProjectConfig, annotator: &str) -> Result<Batch, QueueError> {
    next_batch_beyond(store, config, annotator, &[])
}

/// [`next_batch`] for a screen that still holds the items `in_hand` (reserved, not yet decided): they
/// are not served again, so the screen can ask for its next batch before it has finished this one.
pub fn next_batch_beyond(
    store: &mut Store,
    config: &ProjectConfig,
    annotator: &str,
    in_hand: &[i64],
) -> Result<Batch, QueueError> {
    let lease_ms = i64::from(config.sampling.lease_minutes) * 60_000;
    let mut open = store.leased_to(annotator)?;
    open.retain(|s| !in_hand.contains(&s.item.id));
    let labels: Vec<String> = config.label_names();
    let current = store.current_model()?.filter(|m| m.labels == labels);
    let model_id = current.as_ref().map(|m| m.id);
    let rules = routing_rules(config, &labels);
    if !open.is_empty() {
        store.renew_leases(annotator, lease_ms)?;
        let held_for_experts = match model_id {
            Some(model) => store.held_for_experts(model, &rules_key(&rules))?,
            None => 0,
        };
        let left = left_for(store, config, annotator, held_for_experts)?;
        let batch_ids: Vec<i64> = open.iter().map(|s| s.batch_id).collect();
        let size = (store.served_in_batches(&batch_ids)? as usize).max(open.len());
        return Ok(Batch { items: open, resumed: true, left, held_for_experts, size, ..Batch::default() });
    }
    let examples = store.training_examples(LabelSource::Combined)?;
    // Under a zero-shot model the first batches stay a cold start (diverse and random picks): measured on SMS,
    // where the label names mean little, picking by its uncertainty doubled the labels needed (BENCHMARKS.md).
    let zero_shot = current.as_ref().is_some_and(ModelVersion::is_zero_shot);
    let cold_start = model_id.is_none() || zero_shot || too_few_examples(config, &labels, &examples);

    let shortlisted = match (model_id, cold_start) {
        (Some(model), false) => from_shortlist(store, config, model, &rules, &labels)?,
        // A cold start needs the whole pool.
        _ => None,
    };
    let pool = match shortlisted {
        Some(pool) => pool,
        None => from_whole_pool(store, config, model_id, &rules, &labels)?,
    };
    let machine_accepted = match (model_id, pool.accepts.is_empty()) {
        (Some(model), false) => store.record_machine_accepts(model, &pool.accepts)?,
        _ => 0,
    };
    let picks = pick(store, config, annotator, &examples, &pool, cold_start)?;
    let picks = with_gold_checks(store, config, annotator, picks)?;
    let s = &config.sampling;
    let items = store.serve(&ServeRequest {
        annotator,
        picks: &picks,
        want: s.batch_size as usize,
        lease_ms,
        overlap: s.overlap,
        model: model_id,
    })?;
    let (for_experts, pool) = (pool.for_experts, pool.size);
    let held_for_experts = for_experts as u64;
    let left = left_for(store, config, annotator, held_for_experts)?;
    let size = items.len();
    Ok(Batch { items, resumed: false, machine_accepted, for_experts, pool, left, held_for_experts, size, cold_start })
}

/// The one count of what `annotator` has left to label: items still in the pool that they have not decided
/// and nobody else holds (their own batch's undecided items included; a skip leaves an item left), less
/// the `held_for_experts` that routing keeps from people.
pub fn left_for(
    store: &mut Store,
    config: &ProjectConfig,
    annotator: &str,
    held_for_experts: u64,
) -> Result<u64, QueueError> {
    Ok(store.left_for(annotator, pool_rules(config))?.saturating_sub(held_for_experts))
}

/// [`left_for`] with the items held for experts when the current model's short list was kept (for
/// `margin status`, which routes nothing itself).
pub fn left_now(store: &mut Store, config: &ProjectConfig, annotator: &str) -> Result<u64, QueueError> {
    let labels = config.label_names();
    let held = match store.current_model()?.filter(|m| m.labels == labels) {
        Some(model) => store.held_for_experts(model.id, &rules_key(&routing_rules(config, &labels)))?,
        None => 0,
    };
    left_for(store, config, annotator, held)
}

/// `picks` with gold checks mixed in: each of the batch's places goes to a gold item with probability
/// `quality.gold_share` (seeded by the person and the batch), each gold item one this person was never
/// served. None when there is nothing else to label: gold checks come with work, never instead of it.
fn with_gold_checks(
    store: &Store,
    config: &ProjectConfig,
    annotator: &str,
    mut picks: Vec<(Pick, bool)>,
) -> Result<Vec<(Pick, bool)>, QueueError> {
    let share = config.quality.gold_share;
    if share <= 0.0 || picks.is_empty() {
        return Ok(picks);
    }
    // FNV-1a of the name, so that two people's batches put their checks in different places.
    let person =
        annotator.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let batch = store.last_batch_id()?.unsigned_abs();
    let seed = config.sampling.seed ^ person ^ batch.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let places = crate::domain::queue::gold_places(config.sampling.batch_size as usize, share, seed);
    if places.is_empty() {
        return Ok(picks);
    }
    let mut gold = store.gold_for(annotator)?;
    crate::domain::rng::Rng::new(seed ^ 1).shuffle(&mut gold);
    for (place, item_id) in places.into_iter().zip(gold) {
        let at = place.min(picks.len());
        picks.insert(at, (Pick { item_id, why: Why::Gold, score: 0.0, rank: 0 }, false));
    }
    Ok(picks)
}

/// Whether some label has fewer examples than a cold start asks for (people's labels, and the reference
/// labels a model can learn from too).
fn too_few_examples(config: &ProjectConfig, labels: &[String], examples: &[TrainingExample]) -> bool {
    let mut per_label: HashMap<&str, u32> = HashMap::new();
    let spans = config.task == TaskKind::Spans;
    for e in examples {
        for l in &e.labels {
            // A span item's labels are its spans' keys: count the spans of each label.
            let label = if spans { l.splitn(3, ':').nth(2).unwrap_or(l) } else { l.as_str() };
            *per_label.entry(label).or_default() += 1;
        }
    }
    labels.iter().any(|l| per_label.get(l.as_str()).copied().unwrap_or(0) < config.sampling.cold_start_per_label)
}

/// The items a batch is chosen from, and what routing did with the rest.
#[derive(Default)]
struct Pool {
    candidates: Vec<Candidate>,
    /// Where the short list's random sample lies among the candidates (`None`: the whole pool).
    random_from: Option<(usize, usize)>,
    size: usize,
    /// Candidates served as audits of what the machine would accept.
    audits: Vec<i64>,
    /// Predictions the machine accepts (the whole pool's read only).
    accepts: Vec<MachineAccept>,
    for_experts: usize,
}

/// The current model's short list (kept under the current routing rules), when it holds enough to serve
/// from; it holds nothing the machine accepts or experts get.
fn from_shortlist(
    store: &mut Store,
    config: &ProjectConfig,
    model: i64,
    rules: &RoutingRules,
    labels: &[String],
) -> Result<Option<Pool>, QueueError> {
    let multi = config.task == TaskKind::MultiLabel;
    let (mut ranked, mut sample, mut audits) = (Vec::new(), Vec::new(), Vec::new());
    let listed = store.scan_shortlist(model, pool_rules(config), &rules_key(rules), &mut |item_id, row, random| {
        let scores = scores_of(row, multi);
        match route_row(item_id, row, &scores, multi, rules, labels) {
            Routed::People { audit: true } => audits.push(item_id),
            Routed::People { audit: false } => {}
            Routed::Machine(_) | Routed::Expert => return,
        }
        let candidate = Candidate { item_id, scores: Some(scores) };
        if random { sample.push(candidate) } else { ranked.push(candidate) }
    })?;
    let batch = config.sampling.batch_size as usize;
    let Some(scan) = listed.filter(|_| ranked.len() >= batch * (1 + SPARE_PICKS) * 4 && sample.len() >= batch * 2)
    else {
        return Ok(None);
    };
    let random_from = Some((ranked.len(), ranked.len() + sample.len()));
    let mut candidates = ranked;
    candidates.extend(sample);
    let (size, for_experts) = (scan.pool as usize, scan.for_experts as usize);
    Ok(Some(Pool { candidates, random_from, size, audits, accepts: Vec::new(), for_experts }))
}

/// The whole pool, read once, routing by confidence as it goes.
fn from_whole_pool(
    store: &mut Store,
    config: &ProjectConfig,
    model_id: Option<i64>,
    rules: &RoutingRules,
    labels: &[String],
) -> Result<Pool, QueueError> {
    let multi = config.task == TaskKind::MultiLabel;
    let mut pool = Pool::default();
    pool.size = store.scan_pool(model_id, pool_rules(config), &mut |item_id, row| {
        let Some(row) = row else {
            pool.candidates.push(Candidate { item_id, scores: None });
            return;
        };
        let scores = scores_of(row, multi);
        match route_row(item_id, row, &scores, multi, rules, labels) {
            Routed::Machine(accept) => pool.accepts.push(accept),
            Routed::Expert => pool.for_experts += 1,
            Routed::People { audit } => {
                if audit {
                    pool.audits.push(item_id);
                }
                pool.candidates.push(Candidate { item_id, scores: Some(scores) });
            }
        }
    })? as usize;
    Ok(pool)
}

/// The strategy's picks from the pool, each marked if it is an audit; texts are read only for the
/// candidates the strategy looks at.
fn pick(
    store: &Store,
    config: &ProjectConfig,
    annotator: &str,
    examples: &[TrainingExample],
    pool: &Pool,
    cold_start: bool,
) -> Result<Vec<(Pick, bool)>, QueueError> {
    let featurizer = Featurizer::new(FeaturizerSpec::new(config.model.hash_bits)).map_err(QueueError::Featurizer)?;
    let centres: Vec<&TrainingExample> = examples.iter().rev().take(crate::domain::queue::DIVERSITY_CENTRES).collect();
    // Diversity by meaning when the project has sentence vectors for every centre (an item with none yet
    // counts as unlike everything and is left to the random share), else by words.
    let by_meaning = match store.newest_encoder()? {
        Some(encoder) => {
            let ids: Vec<i64> = centres.iter().map(|e| e.item_id).collect();
            let found = store.vectors_of(encoder, &ids)?;
            (found.len() == ids.len()).then_some((encoder, found))
        }
        None => None,
    };
    let labelled: Vec<SparseVector> = match &by_meaning {
        Some((_, found)) => centres.iter().map(|e| SparseVector::dense(&found[&e.item_id])).collect(),
        None => centres.iter().map(|e| sorted(featurizer.featurize(&e.text))).collect(),
    };
    let batches = store.batches_served()?;
    let s = &config.sampling;
    let request = Request {
        strategy: s.strategy,
        mix: Mix { uncertainty: s.uncertainty_share, diversity: s.diversity_share, random: s.random_share },
        count: s.batch_size as usize,
        spares: s.batch_size as usize * SPARE_PICKS,
        cold_start,
        seed: s.seed ^ batches.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ hash(annotator),
        random_from: pool.random_from,
    };
    let mut texts_failed = None;
    let mut vectors = |indices: &[usize]| -> Vec<SparseVector> {
        let ids: Vec<i64> = indices.iter().map(|&i| pool.candidates[i].item_id).collect();
        let found = match &by_meaning {
            Some((encoder, _)) => store.vectors_of(*encoder, &ids).map(|found| {
                ids.iter()
                    .map(|id| found.get(id).map_or_else(SparseVector::default, |v| SparseVector::dense(v)))
                    .collect()
            }),
            None => store.texts(&ids).map(|texts| texts.iter().map(|t| sorted(featurizer.featurize(t))).collect()),
        };
        found.unwrap_or_else(|e| {
            texts_failed = Some(e);
            vec![SparseVector::default(); ids.len()]
        })
    };
    let picks = choose(&pool.candidates, &request, &mut vectors, &labelled);
    if let Some(e) = texts_failed {
        return Err(e.into());
    }
    let audits: std::collections::HashSet<i64> = pool.audits.iter().copied().collect();
    Ok(picks.into_iter().map(|p| (p, audits.contains(&p.item_id))).collect())
}

/// The project's routing thresholds, with labels as indices.
pub fn routing_rules(config: &ProjectConfig, labels: &[String]) -> RoutingRules {
    let t = &config.thresholds;
    // A span item's prediction is a set of spans, not one label with a confidence: nothing routes on it
    // (the machine never accepts spans, no confidence sends one to the experts).
    let spans = config.task == TaskKind::Spans;
    RoutingRules {
        auto_accept: t.auto_accept as f32,
        auto_accept_enabled: t.auto_accept_enabled && !spans,
        audit_share: t.audit_share,
        expert: if spans { 0.0 } else { t.expert as f32 },
        high_stakes: if spans {
            Vec::new()
        } else {
            t.high_stakes.iter().filter_map(|h| labels.iter().position(|l| l == h)).collect()
        },
        seed: config.sampling.seed,
    }
}

/// Confidence and, for single-label projects, the top label (`None` for multi-label projects: the labels
/// are those at or above one half), by the domain's one rule.
fn predicted(probabilities: &[f32], multi: bool) -> (f32, Option<usize>) {
    let p = crate::domain::predicted(probabilities, multi).unwrap_or(Predicted { labels: vec![0], confidence: 0.0 });
    (p.confidence, if multi { None } else { p.labels.first().copied() })
}

/// The queue's view of a prediction.
fn scores_of(row: &PoolRow<'_>, multi: bool) -> Scores {
    Scores {
        confidence: predicted(row.probabilities, multi).0,
        least_confident: row.least_confident,
        margin: row.margin,
        entropy: row.entropy,
        vote_entropy: row.vote_entropy,
        kl_divergence: row.kl_divergence,
    }
}

/// Pools at least this big get a short list when they are scored (smaller ones are read whole: it is
/// quick, and exact).
pub const SHORTLIST_FROM: usize = 20_000;
/// The short list: this many best by each uncertainty measure, and this many drawn uniformly.
const SHORTLIST_PER_MEASURE: usize = 1_000;
const SHORTLIST_SAMPLE: usize = 1_000;

/// Keeps a short list of `model`'s best candidates (and a uniform sample) for the queue, if the pool has
/// at least `min_pool` items; called when a model has scored the pool. The list is routed by the current
/// rules: what experts get is left off and counted, and what the machine may accept is accepted now (the
/// queue's batches will not read the whole pool to find it). Returns how many the machine accepted.
pub fn build_shortlist(
    store: &mut Store,
    config: &ProjectConfig,
    model: i64,
    min_pool: usize,
) -> Result<u64, StoreError> {
    let multi = config.task == TaskKind::MultiLabel;
    let labels = config.label_names();
    let rules = routing_rules(config, &labels);
    let mut candidates = Vec::new();
    let mut accepts = Vec::new();
    let mut for_experts = 0u64;
    store.scan_pool(Some(model), pool_rules(config), &mut |item_id, row| {
        let Some(row) = row else { return };
        let scores = scores_of(row, multi);
        match route_row(item_id, row, &scores, multi, &rules, &labels) {
            Routed::Machine(accept) => accepts.push(accept),
            Routed::Expert => for_experts += 1,
            Routed::People { .. } => candidates.push(Candidate { item_id, scores: Some(scores) }),
        }
    })?;
    if candidates.len() + accepts.len() + (for_experts as usize) < min_pool {
        store.write_shortlist(model, &[], &[], &ShortlistRouting::default())?;
        return Ok(0);
    }
    let accepted = if accepts.is_empty() { 0 } else { store.record_machine_accepts(model, &accepts)? };
    let (ranked, sample) =
        shortlist(&candidates, SHORTLIST_PER_MEASURE, SHORTLIST_SAMPLE, config.sampling.seed ^ model as u64);
    let ids = |indices: &[usize]| indices.iter().map(|&i| candidates[i].item_id).collect::<Vec<i64>>();
    let routing = ShortlistRouting { rules: rules_key(&rules), for_experts };
    store.write_shortlist(model, &ids(&ranked), &ids(&sample), &routing)?;
    Ok(accepted)
}

/// Where routing by confidence sends one scored pool item.
enum Routed {
    Machine(MachineAccept),
    Expert,
    /// To annotators; `audit`: one the machine could have accepted, in the share people check.
    People {
        audit: bool,
    },
}

fn route_row(
    item_id: i64,
    row: &PoolRow<'_>,
    scores: &Scores,
    multi: bool,
    rules: &RoutingRules,
    labels: &[String],
) -> Routed {
    // A model that scored other labels than the project's is not routed by (the queue does not serve
    // from it either).
    if row.probabilities.len() != labels.len() {
        return Routed::People { audit: false };
    }
    // No allocation for a single label: this runs for every item of a pool that is read whole.
    let one: [usize; 1];
    let many: Vec<usize>;
    let predicted_labels: &[usize] = match predicted(row.probabilities, multi).1 {
        Some(k) => {
            one = [k];
            &one
        }
        None => {
            many = at_least_half(row.probabilities);
            &many
        }
    };
    match route(item_id, Some((scores.confidence, predicted_labels)), rules) {
        Route::Machine => Routed::Machine(MachineAccept {
            item_id,
            labels: predicted_labels.iter().map(|&k| labels[k].clone()).collect(),
            confidence: f64::from(scores.confidence),
        }),
        Route::Expert => Routed::Expert,
        Route::Audit => Routed::People { audit: true },
        Route::People => Routed::People { audit: false },
    }
}

/// The routing rules as a short list records them: empty when routing by confidence is off (then no
/// rule sends anything elsewhere), else every rule, so that any change of them is seen.
fn rules_key(rules: &RoutingRules) -> String {
    if rules.auto_accept_enabled || rules.expert > 0.0 { format!("{rules:?}") } else { String::new() }
}

/// Multi-label predictions: the labels at or above one half.
fn at_least_half(probabilities: &[f32]) -> Vec<usize> {
    crate::domain::predicted(probabilities, true).map(|p| p.labels).unwrap_or_default()
}

fn sorted(mut v: SparseVector) -> SparseVector {
    v.sort();
    v
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Who the pool is for: how many people label each item, and whether items that came labelled are served.
fn pool_rules(config: &ProjectConfig) -> (u32, bool) {
    (config.sampling.overlap, config.sampling.serve_reference_labelled)
}
