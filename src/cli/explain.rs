//! `margin explain ITEM`: why the current model predicts what it does for one item: the words that
//! pushed toward and against the prediction, the fewest words whose removal changes it, and the most
//! similar labelled items.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, anyhow};

use super::model::{label_names, load_current};
use super::{Context, open_store};
use crate::domain::text::visible;
use crate::model::engine::Engine;
use crate::model::explain::{Explainer, SimilarIndex, WordContribution, counterfactual, occlusion, top_label};
use crate::model::features::{Featurizer, FeaturizerSpec};
use crate::store::LabelSource;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The item's id (as imported, or the one derived from its text).
    pub item: String,

    /// How many similar labelled items to show.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub similar: usize,

    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project()?;
    let mut store = open_store(&project)?;
    let item = store.find_item(&args.item)?.ok_or_else(|| anyhow!("no item with id {:?}", args.item))?;
    let (model, mut engine, _) = load_current(context, &project, &store)?;
    let labels = label_names(&project);

    let started = Instant::now();
    let probabilities = engine.score_texts(&[item.text.as_str()])?.remove(0);
    let predicted = top_label(&probabilities);
    // margin's own models are explained exactly from their weights; others by leaving words out.
    let (words, featurizer) = match &engine {
        Engine::Linear(scorer) => {
            let path = project.dir.join(&model.path);
            let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
            (Explainer::from_onnx(&bytes)?.contributions(&item.text, predicted), scorer.featurizer().clone())
        }
        Engine::External(_) => (
            occlusion(&mut engine, &item.text, predicted)?,
            Featurizer::new(FeaturizerSpec::new(project.config.model.hash_bits)).map_err(|e| anyhow!(e))?,
        ),
    };
    let hint = counterfactual(&mut engine, &labels, &item.text, &words, predicted)?;
    let explained_in = started.elapsed();

    // Neighbours among items people labelled; a project that has none yet uses its reference labels.
    let mut examples = store.training_examples(LabelSource::Decisions)?;
    let mut neighbours_from = LabelSource::Decisions;
    if examples.is_empty() {
        examples = store.training_examples(LabelSource::Reference)?;
        neighbours_from = LabelSource::Reference;
    }
    let index =
        SimilarIndex::build(&featurizer, examples.iter().map(|e| (e.item_id, e.text.as_str(), e.labels.clone())));
    let similar = index.nearest(&featurizer.featurize(&item.text), args.similar, Some(item.id));
    let ext_of = |id: i64| store.item(id).ok().flatten().map(|i| (i.ext_id, i.text)).unwrap_or_default();

    if args.json {
        let json = serde_json::json!({
            "item": item.ext_id,
            "model_version": model.id,
            "predicted": labels[predicted],
            "probabilities": labels.iter().zip(&probabilities).map(|(l, p)| (l.clone(), serde_json::json!(p))).collect::<serde_json::Map<_, _>>(),
            "words": words,
            "counterfactual": hint,
            "similar": similar.iter().map(|s| serde_json::json!({
                "id": ext_of(s.item_id).0, "similarity": s.similarity, "labels": s.labels,
            })).collect::<Vec<_>>(),
            "similar_from": neighbours_from.as_str(),
            "milliseconds": explained_in.as_secs_f64() * 1000.0,
        });
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }

    println!("item {}: {}", visible(&item.ext_id), visible(&preview(&item.text, 100)));
    let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let others: Vec<String> =
        ranked.iter().skip(1).take(3).map(|(k, p)| format!("{} {:.0}%", visible(&labels[*k]), p * 100.0)).collect();
    println!(
        "predicted {} {:.0}% (model version {}); then {}",
        visible(&labels[predicted]),
        probabilities[predicted] * 100.0,
        model.id,
        others.join(", ")
    );
    println!("  toward:  {}", strongest(&words, true));
    println!("  against: {}", strongest(&words, false));
    match &hint {
        Some(h) => println!(
            "  without {} the model would say {} ({:.0}%)",
            h.removed.iter().map(|w| format!("\"{}\"", visible(w))).collect::<Vec<_>>().join(", "),
            visible(&h.label),
            h.probability * 100.0
        ),
        None => println!(
            "  no change of prediction by removing up to {} words",
            crate::model::explain::MAX_COUNTERFACTUAL_WORDS
        ),
    }
    if similar.is_empty() {
        println!("  no similar labelled items yet");
    } else {
        let from = if neighbours_from == LabelSource::Reference { " (reference labels)" } else { "" };
        println!("  similar labelled items{from}:");
        for s in &similar {
            let (id, text) = ext_of(s.item_id);
            println!(
                "    {:.2}  {} [{}] {}",
                s.similarity,
                visible(&id),
                visible(&s.labels.join(", ")),
                visible(&preview(&text, 60))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The five words that pushed hardest toward (or against) the prediction, with their contributions.
fn strongest(words: &[WordContribution], toward: bool) -> String {
    let mut picked: Vec<&WordContribution> =
        words.iter().filter(|w| if toward { w.contribution > 0.0 } else { w.contribution < 0.0 }).collect();
    picked.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    if picked.is_empty() {
        return "-".into();
    }
    picked.iter().take(5).map(|w| format!("{} {:+.2}", visible(&w.word), w.contribution)).collect::<Vec<_>>().join("  ")
}

/// The text on one line, cut at about `chars` characters.
fn preview(text: &str, chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= chars { flat } else { format!("{}...", flat.chars().take(chars).collect::<String>()) }
}
