//! Revealing masked personal data: the audit trail records who saw an item's original text, where, before
//! the text is read. One way to do it, for both screens and the CLI.

use crate::store::{Store, StoreError};

/// Where a person revealed masked text, as the audit trail records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevealedOn {
    AnnotateScreen,
    Triage,
}

/// Records in the audit trail that `person` saw the item's original text, then returns it. `annotator` is
/// the name given on a shared account, where it differs from the account.
pub fn reveal(
    store: &mut Store,
    person: &str,
    annotator: Option<&str>,
    item_id: i64,
    on: RevealedOn,
) -> Result<String, StoreError> {
    let from = match on {
        RevealedOn::AnnotateScreen => "annotate",
        RevealedOn::Triage => "triage",
    };
    let payload = match annotator {
        Some(annotator) => serde_json::json!({ "annotator": annotator, "from": from }),
        None => serde_json::json!({ "from": from }),
    };
    store.log_item_event(person, "pii_reveal", item_id, &payload)?;
    Ok(store.item(item_id)?.map(|i| i.text).unwrap_or_default())
}
