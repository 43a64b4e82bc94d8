//! Role checks for the commands, and keeping the admin-only settings honest: each command says which role
//! it needs; the person's role comes from margin.toml's `[roles]` and their Unix groups. When the settings
//! only an admin may change (task, labels, thresholds, sampling, model, roles, PII) differ from the ones
//! last recorded in the audit trail, an admin's next command records the change; anyone else is refused
//! until the file is put back or an admin confirms it.

use anyhow::bail;

use super::identity::unix_groups;
use super::{Context, open_store};
use crate::app::project::Project;
use crate::config::{GOVERNED, ProjectConfig};
use crate::domain::access::{Role, Roles, role_in};
use crate::domain::audit::event::{AuditEvent, EventKind, SettingsRecorded};
use crate::domain::text::visible;
use crate::store::Store;

/// A project opened by someone allowed to run the command.
pub(super) struct Opened {
    pub project: Project,
    /// The person's role in it (at least the one the command needs).
    pub role: Role,
}

impl Context {
    /// Opens the project for `command`, which needs `needed`; refuses anyone without it, and anyone but an
    /// admin while the admin-only settings hold an unrecorded change.
    pub(super) fn open_project_as(&self, needed: Role, command: &str) -> anyhow::Result<Opened> {
        let project = self.open_project()?;
        let role = self.authorize(&project, needed, command)?;
        Ok(Opened { project, role })
    }

    /// Checks that this person may run `command`, which needs `needed`, on `project`; returns their role.
    pub(super) fn authorize(&self, project: &Project, needed: Role, command: &str) -> anyhow::Result<Role> {
        let role = self.role_in(project)?;
        if role < needed {
            let who = project.config.roles.as_ref().map(|r| r.holders_of(needed).join(", ")).unwrap_or_default();
            bail!(
                "`margin {command}` needs the {needed} role, and {} is an {role} in project {} ({}: [roles] gives it to \
                 {}). Ask an admin to add you.",
                visible(&self.user),
                visible(&project.config.name),
                project.config_path().display(),
                visible(&who)
            );
        }
        check_settings(self, project, role)?;
        Ok(role)
    }

    /// The role this person holds in `project`; an error when they hold none.
    pub(super) fn role_in(&self, project: &Project) -> anyhow::Result<Role> {
        let groups = unix_groups(&self.user);
        match role_in(project.config.roles.as_ref(), &self.user, &groups) {
            Some(role) => Ok(role),
            None => bail!(
                "{} has no role in project {} ({}: [roles] lists who may work on it). Ask an admin ({}) to add you.",
                visible(&self.user),
                visible(&project.config.name),
                project.config_path().display(),
                visible(&project.config.roles.as_ref().map(|r| r.admin.join(", ")).unwrap_or_default())
            ),
        }
    }
}

/// Compares the admin-only settings with the ones last recorded; records them when they are new or an
/// admin changed them, refuses anyone else.
fn check_settings(context: &Context, project: &Project, role: Role) -> anyhow::Result<()> {
    let current = project.config.governed();
    let mut store = open_store(project)?;
    let recorded: Option<serde_json::Map<String, serde_json::Value>> = store
        .newest_event_payload(EventKind::Settings)?
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p.get("settings").and_then(|s| s.as_object().cloned()));
    let changed: Vec<&str> = match &recorded {
        None => Vec::new(),
        Some(before) => {
            let defaults = ProjectConfig::governed_defaults();
            GOVERNED
                .into_iter()
                .filter(|table| differs(before.get(*table), current.get(*table), defaults.get(*table)))
                .collect()
        }
    };
    if recorded.is_some() && changed.is_empty() {
        return Ok(());
    }
    if let (Some(before), true) = (&recorded, changed.contains(&"labels")) {
        refuse_orphaning_labels(&store, project, before)?;
    }
    // Who may confirm is decided by the roles as recorded: editing [roles] makes nobody an admin.
    let confirming = match &recorded {
        Some(before) if changed.contains(&"roles") => {
            let roles: Option<Roles> = before.get("roles").and_then(|r| serde_json::from_value(r.clone()).ok());
            role_in(roles.as_ref(), &context.user, &unix_groups(&context.user))
        }
        _ => Some(role),
    };
    if confirming < Some(Role::Admin) {
        let who = confirming.map_or_else(|| "has no role".to_string(), |r| format!("is an {r}"));
        if recorded.is_none() {
            bail!(
                "{}: no settings are recorded for this project yet (it was made by an older margin); an admin must \
                 run a margin command on it first, which records them ({} {who})",
                project.config_path().display(),
                visible(&context.user),
            );
        }
        bail!(
            "{}: {} changed since an admin last confirmed the settings, and only an admin may change task, labels, \
             thresholds, sampling, model, roles or pii ({} {who}). Put the file back, or ask an admin to run \
             any margin command on the project (such as `margin status`), which records the change in the audit trail.",
            project.config_path().display(),
            changed.iter().map(|t| format!("[{t}]")).collect::<Vec<_>>().join(", "),
            visible(&context.user),
        );
    }
    record_settings(&mut store, &context.user, project, &changed)?;
    if !changed.is_empty() {
        tracing::info!(user = %context.user, ?changed, "settings change recorded");
    }
    Ok(())
}

/// Refuses, for everyone, a margin.toml that no longer lists a label the project's data uses: the items
/// using it would be orphaned (and a retrain would learn the other labels only).
fn refuse_orphaning_labels(
    store: &crate::store::Store,
    project: &Project,
    recorded: &serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let names = |labels: Option<&serde_json::Value>| -> Vec<String> {
        labels
            .and_then(|l| l.as_array())
            .map(|l| l.iter().filter_map(|e| e.get("name")?.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let before = names(recorded.get("labels"));
    let now = project.config.label_names();
    let gone: Vec<&String> = before.iter().filter(|l| !now.contains(l)).collect();
    let new: Vec<&String> = now.iter().filter(|l| !before.contains(l)).collect();
    for label in &gone {
        let used = store.label_use(label)?;
        if used == 0 {
            continue;
        }
        let fix = match new.as_slice() {
            [renamed] if gone.len() == 1 => format!(
                "to rename it, put it back and run `margin labels rename {} {}`",
                visible(label),
                visible(renamed)
            ),
            _ => format!("to rename it, put it back and run `margin labels rename {} NEW`", visible(label)),
        };
        bail!(
            "{}: label `{}` is used by {used} items (in their reference labels or people's decisions) but is no \
             longer listed; that would orphan them. {fix}",
            project.config_path().display(),
            visible(label),
        );
    }
    Ok(())
}

/// Whether a table of settings changed since it was recorded. A setting the record does not have is one a
/// newer margin added: upgrading margin is no change of settings while it keeps its default (`default` is
/// the table at its defaults), and setting it is one.
fn differs(
    before: Option<&serde_json::Value>,
    now: Option<&serde_json::Value>,
    default: Option<&serde_json::Value>,
) -> bool {
    match (before, now) {
        (Some(serde_json::Value::Object(before)), Some(serde_json::Value::Object(now))) => {
            let added_at_default =
                |key: &String, value: &serde_json::Value| default.and_then(|d| d.get(key)).is_some_and(|d| d == value);
            before.iter().any(|(key, value)| now.get(key) != Some(value))
                || now.iter().any(|(key, value)| !before.contains_key(key) && !added_at_default(key, value))
        }
        (before, now) => before != now,
    }
}

/// Records the project's admin-only settings in the audit trail (`init` records the first).
pub(super) fn record_settings(
    store: &mut Store,
    user: &str,
    project: &Project,
    changed: &[&str],
) -> anyhow::Result<()> {
    if store.is_read_only() {
        // Nothing can be recorded in a project this user cannot write; reading it changes nothing.
        return Ok(());
    }
    let changed = changed.iter().map(|t| t.to_string()).collect();
    let event = AuditEvent::Settings(SettingsRecorded { changed, settings: project.config.governed() });
    store.log_event(user, &event)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_a_newer_margin_added_is_no_change_until_it_is_set() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        let recorded = v(r#"{"expert": 0.5, "auto_accept": 0.9}"#);
        let default = v(r#"{"expert": 0.0, "auto_accept": 0.97, "new": 1}"#);
        let d = Some(&default);
        assert!(!differs(Some(&recorded), Some(&v(r#"{"expert": 0.5, "auto_accept": 0.9, "new": 1}"#)), d));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.5, "auto_accept": 0.9, "new": 2}"#)), d));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.5, "auto_accept": 0.9, "other": 1}"#)), d));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.4, "auto_accept": 0.9}"#)), d));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.5}"#)), d));
        assert!(differs(Some(&v("null")), Some(&v(r#"{"admin": ["alice"]}"#)), None), "roles added");
        assert!(differs(Some(&v(r#"[{"name": "a"}]"#)), Some(&v(r#"[{"name": "b"}]"#)), None), "labels whole");
        assert!(!differs(None, None, None));
    }
}
