//! Revealing masked personal data: the audit trail records who saw an item's original text, where, before
//! the text is read. One way to do it, for both screens and the CLI.

pub use crate::domain::audit::event::RevealedOn;
use crate::domain::audit::event::{AuditEvent, PiiReveal};
use crate::store::{Store, StoreError};

/// Records in the audit trail that `person` saw the item's original text, then returns it. `annotator` is
/// the name given on a shared account, where it differs from the account.
pub fn reveal(
    store: &mut Store,
    person: &str,
    annotator: Option<&str>,
    item_id: i64,
    on: RevealedOn,
) -> Result<String, StoreError> {
    let event = AuditEvent::PiiReveal(PiiReveal { annotator: annotator.map(str::to_string), from: on });
    store.log_item_event(person, item_id, &event)?;
    Ok(store.item(item_id)?.map(|i| i.text).unwrap_or_default())
}
