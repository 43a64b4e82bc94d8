//! `margin explain ITEM`: why the current model predicts what it does for one item: the words that
//! pushed toward and against the prediction, the fewest words whose removal changes it, and the most
//! similar labelled items.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;

use super::model::{label_names, start_runtime};
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::explain::{ExplainModel, Explained};
use crate::app::worker::explain::shown_word;
use crate::domain::access::Role;
use crate::domain::text::visible;
use crate::model::explain::WordContribution;
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
    let opened = context.open_project_as(Role::Annotator, "explain")?;
    let project = opened.project;
    // Annotators see personal data masked here as on the screen; experts see it all.
    let masker =
        (project.config.pii.mask && opened.role < Role::Expert).then(|| project.config.pii.masker()).transpose()?;
    let mut store = open_store(&project)?;
    let item = store.find_item(&args.item)?.ok_or_else(|| anyhow!("no item with id {:?}", args.item))?;
    let mut explaining = load_model(context, &project, &mut store)?;
    let model = explaining.version.clone();
    let labels = label_names(&project);

    let started = Instant::now();
    let mut explained = explaining.explain(&item.text, Some(item.id), args.similar)?;
    let explained_in = started.elapsed();
    let mut item = item;
    if let Some(masker) = &masker {
        let masked = masker.mask_mapped(&item.text);
        let removed: Option<Vec<String>> = explained
            .counterfactual
            .as_ref()
            .map(|hint| hint.removed.iter().map(|w| shown_word(&item.text, w, &explained, Some(&masked))).collect());
        if let (Some(hint), Some(removed)) = (&mut explained.counterfactual, removed) {
            hint.removed = removed;
        }
        explained.words.retain(|w| masked.map_range(w.start, w.end).is_some());
        item.text = masked.text;
    }
    let Explained { probabilities, predicted, words, counterfactual: hint, similar } = explained;
    let neighbours_from = explaining.similar_from;
    let ext_of = |id: i64| {
        let (id, text) = store.item(id).ok().flatten().map(|i| (i.ext_id, i.text)).unwrap_or_default();
        (id, masker.as_ref().map_or(text.clone(), |m| m.mask(&text)))
    };

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
        print_json(&json);
        return Ok(ExitCode::SUCCESS);
    }

    say!("item {}: {}", visible(&item.ext_id), visible(&preview(&item.text, 100)));
    let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Labels as people see them (display names), as on the screen.
    let shown = |name: &str| visible(project.config.display_of(name)).into_owned();
    let others: Vec<String> =
        ranked.iter().skip(1).take(3).map(|(k, p)| format!("{} {:.0}%", shown(&labels[*k]), p * 100.0)).collect();
    say!(
        "predicted {} {:.0}% (model version {}); then {}",
        shown(&labels[predicted]),
        probabilities[predicted] * 100.0,
        model.id,
        others.join(", ")
    );
    say!("  toward:  {}", strongest(&words, true));
    say!("  against: {}", strongest(&words, false));
    match &hint {
        Some(h) => say!(
            "  without {} the model would say {} ({:.0}%)",
            h.removed.iter().map(|w| format!("\"{}\"", visible(w))).collect::<Vec<_>>().join(", "),
            shown(&h.label),
            h.probability * 100.0
        ),
        None => say!(
            "  no change of prediction by removing up to {} words",
            crate::model::explain::MAX_COUNTERFACTUAL_WORDS
        ),
    }
    if similar.is_empty() {
        say!("  no similar labelled items yet");
    } else {
        let from = if neighbours_from == LabelSource::Reference { " (reference labels)" } else { "" };
        say!("  similar labelled items{from}:");
        for s in &similar {
            let (id, text) = ext_of(s.item_id);
            say!(
                "    {:.2}  {} [{}] {}",
                s.similarity,
                visible(&id),
                s.labels.iter().map(|l| shown(l)).collect::<Vec<_>>().join(", "),
                visible(&preview(&text, 60))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The current model, ready to explain (with the sentence encoder, for a combined model).
fn load_model(
    context: &Context,
    project: &crate::app::project::Project,
    store: &mut crate::store::Store,
) -> anyhow::Result<ExplainModel> {
    let runtime = start_runtime(context)?;
    let encoder = super::model::project_encoder(context, project, runtime)?;
    ExplainModel::load(&project.dir, &project.config, store, runtime, encoder.as_ref())?
        .ok_or_else(|| anyhow!("no model yet; train one with `margin train` (or `margin train --reference`)"))
}

/// The five words that pushed hardest toward (or against) the prediction: each word once (any case), with
/// the sum of its occurrences' contributions and how often it occurs ("the +1.85 (3x)").
fn strongest(words: &[WordContribution], toward: bool) -> String {
    let mut by_word: std::collections::BTreeMap<String, (f32, usize)> = std::collections::BTreeMap::new();
    for w in words {
        let entry = by_word.entry(w.word.to_lowercase()).or_default();
        entry.0 += w.contribution;
        entry.1 += 1;
    }
    let mut picked: Vec<(String, (f32, usize))> =
        by_word.into_iter().filter(|(_, (c, _))| if toward { *c > 0.0 } else { *c < 0.0 }).collect();
    picked.sort_by(|a, b| b.1.0.abs().total_cmp(&a.1.0.abs()));
    if picked.is_empty() {
        return "-".into();
    }
    let shown = |(word, (total, n)): &(String, (f32, usize))| {
        let times = if *n > 1 { format!(" ({n}x)") } else { String::new() };
        format!("{} {total:+.2}{times}", visible(word))
    };
    picked.iter().take(5).map(shown).collect::<Vec<_>>().join("  ")
}

/// The text on one line, cut at about `chars` characters.
fn preview(text: &str, chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= chars { flat } else { format!("{}...", flat.chars().take(chars).collect::<String>()) }
}
