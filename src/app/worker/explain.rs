//! The screen's model thread: explains the cards it is asked about, newest request first, reloading the
//! model when the current one changes. It reads each item's original text from the store (the model sees
//! the original) and hands the screen only what the masked text may show: word ranges moved onto the
//! masked text (none inside masked data), similar items masked, counterfactual words that were personal
//! data replaced by their placeholder.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::app::explain::{ExplainModel, Explained};
use crate::config::ProjectConfig;
use crate::domain::pii::{Masked, Masker};
use crate::store::Store;
use crate::tui::annotate::msg::{Explanation, Msg, SimilarItem};
use crate::tui::inbox::Outbox;

/// Similar items per explanation on the annotation screen.
const SIMILAR: usize = 3;

pub(super) struct ModelThread {
    pub dir: PathBuf,
    pub config: ProjectConfig,
    pub masker: Option<Masker>,
    pub store: Store,
    pub host: super::ModelHost,
}

/// "without "chip" it would say Sport (61%)", with any word that touches personal data in `text` shown as
/// the placeholder of that data, and the label by its display name (`config`).
pub(crate) fn counterfactual_line(
    text: &str,
    explained: &Explained,
    masked: Option<&Masked>,
    config: &ProjectConfig,
) -> Option<String> {
    let c = explained.counterfactual.as_ref()?;
    let words: Vec<String> =
        c.removed.iter().map(|word| format!("\"{}\"", shown_word(text, word, explained, masked))).collect();
    let label = config.display_of(&c.label);
    Some(format!("without {} it would say {label} ({:.0}%)", words.join(", "), c.probability * 100.0))
}

/// `word` of `text` as the screen may show it: the placeholder of the personal data it touches, found by
/// where the word occurs (any occurrence overlapping masked data hides it), else by its text (a word inside
/// the data, or the data inside the word).
pub(crate) fn shown_word(text: &str, word: &str, explained: &Explained, masked: Option<&Masked>) -> String {
    let Some(masked) = masked else { return word.to_string() };
    let by_place = explained
        .words
        .iter()
        .filter(|w| {
            w.word.eq_ignore_ascii_case(word) || text.get(w.start..w.end).is_some_and(|t| t.eq_ignore_ascii_case(word))
        })
        .find_map(|w| masked.placeholder_at(w.start, w.end));
    let lower = word.to_lowercase();
    let by_text = || {
        masked.spans.iter().find_map(|s| {
            let data = text[s.start..s.end].to_lowercase();
            (data.contains(&lower) || lower.contains(&data)).then(|| s.kind.placeholder())
        })
    };
    by_place.or_else(by_text).unwrap_or_else(|| word.to_string())
}

impl ModelThread {
    /// Explains until the screen closes the channel (checked between two items).
    pub fn run(mut self, jobs: Receiver<Vec<i64>>, replies: Outbox) {
        let mut model: Option<ExplainModel> = None;
        let mut pending: Option<Vec<i64>> = None;
        loop {
            let Some(mut wanted) = pending.take().or_else(|| jobs.recv().ok()) else { return };
            // Only the newest request matters: the person has moved on from the others.
            while let Ok(newer) = jobs.try_recv() {
                wanted = newer;
            }
            let current = self.store.current_model().ok().flatten().map(|m| m.id);
            if current != model.as_ref().map(|m| m.version.id) {
                model = match ExplainModel::load(
                    &self.dir,
                    &self.config,
                    &mut self.store,
                    self.host.runtime,
                    self.host.encoder.as_ref(),
                ) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!("cannot load the model to explain: {e}");
                        let why = "no explanations: the current model does not load (`margin doctor` says why)";
                        if !replies.send(Msg::NoExplanations(why.into())) {
                            return;
                        }
                        None
                    }
                };
            }
            let Some(m) = model.as_mut() else { continue };
            for item_id in wanted {
                // Between two items: a newer request replaces this one; a closed channel: the screen is done.
                match jobs.try_recv() {
                    Ok(newer) => {
                        pending = Some(newer);
                        break;
                    }
                    Err(TryRecvError::Disconnected) => return,
                    Err(TryRecvError::Empty) => {}
                }
                let Some(text) = self.store.item(item_id).ok().flatten().map(|i| i.text) else { continue };
                // Toward the label the screen shows, from the stored prediction.
                let shown = self
                    .store
                    .current_model()
                    .ok()
                    .flatten()
                    .and_then(|model| self.store.prediction(model.id, item_id).ok().flatten())
                    .and_then(|p| crate::domain::top_label(&p.probabilities).map(|(k, _)| k));
                let explained = match m.explain_as(&text, Some(item_id), SIMILAR, shown) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!("cannot explain item {item_id}: {e}");
                        continue;
                    }
                };
                let explanation = self.for_screen(item_id, &text, &explained);
                if !replies.send(Msg::Explained(Box::new(explanation))) {
                    return;
                }
            }
        }
    }

    /// What the screen may show of an explanation of `text`.
    fn for_screen(&self, item_id: i64, text: &str, explained: &Explained) -> Explanation {
        let masked = self.masker.as_ref().map(|m| m.mask_mapped(text));
        let words = explained
            .words
            .iter()
            .filter_map(|w| {
                let (start, end) = match &masked {
                    Some(masked) => masked.map_range(w.start, w.end)?,
                    None => (w.start, w.end),
                };
                Some((start, end, w.contribution))
            })
            .collect();
        let counterfactual = counterfactual_line(text, explained, masked.as_ref(), &self.config);
        let similar = explained
            .similar
            .iter()
            .filter_map(|s| {
                let item = self.store.item(s.item_id).ok().flatten()?;
                let text = match &self.masker {
                    Some(masker) => masker.mask(&item.text),
                    None => item.text,
                };
                Some(SimilarItem { ext_id: item.ext_id, labels: s.labels.clone(), text, similarity: s.similarity })
            })
            .collect();
        Explanation { item_id, words, counterfactual, similar }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::explain::{Counterfactual, WordContribution};

    #[test]
    fn a_word_that_holds_masked_data_is_hidden_too() {
        let masker = Masker::new(&[("mrn".into(), r"\d{8}".into())]).unwrap();
        let text = "MRN12345678 chest pain";
        let masked = masker.mask_mapped(text);
        let word =
            |w: &str, start: usize| WordContribution { start, end: start + w.len(), word: w.into(), contribution: 1.0 };
        let explained = Explained {
            probabilities: vec![0.6, 0.4],
            predicted: 0,
            words: vec![word("mrn12345678", 0), word("chest", 12)],
            counterfactual: Some(Counterfactual {
                removed: vec!["mrn12345678".into(), "chest".into()],
                label: "other".into(),
                probability: 0.55,
            }),
            similar: Vec::new(),
        };
        let labels = ["pain".to_string(), "other".to_string()];
        let toml = ProjectConfig::render_new("t", crate::domain::TaskKind::SingleLabel, &labels);
        let mut config = ProjectConfig::parse(&toml, std::path::Path::new("margin.toml")).unwrap();
        config.labels[1].display = Some("Something else".into());
        let line = counterfactual_line(text, &explained, Some(&masked), &config).unwrap();
        assert!(!line.contains("12345678"), "{line}");
        // The label as people see it, not its name.
        assert_eq!(line, "without \"<mrn>\", \"chest\" it would say Something else (55%)");
        // Found by its text when its place is unknown.
        let unplaced = Explained { words: Vec::new(), ..explained.clone() };
        assert!(!counterfactual_line(text, &unplaced, Some(&masked), &config).unwrap().contains("12345678"));
    }
}
