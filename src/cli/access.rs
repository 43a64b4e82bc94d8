//! Role checks for the commands, and keeping the admin-only settings honest: each command says which role
//! it needs; the person's role comes from margin.toml's `[roles]` and their Unix groups. When the settings
//! only an admin may change (task, labels, thresholds, sampling, model, roles, PII) differ from the ones
//! last recorded in the audit trail, an admin's next command records the change; anyone else is refused
//! until the file is put back or an admin confirms it.

use std::ffi::{CStr, CString};

use anyhow::bail;

use super::{Context, open_store};
use crate::config::GOVERNED;
use crate::domain::access::{Role, Roles, role_in};
use crate::domain::text::visible;
use crate::project::Project;
use crate::store::Store;

/// The audit event that records the admin-only settings.
pub(super) const SETTINGS_EVENT: &str = "settings";

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
        .newest_event_payload(SETTINGS_EVENT)?
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p.get("settings").and_then(|s| s.as_object().cloned()));
    let changed: Vec<&str> = match &recorded {
        None => Vec::new(),
        Some(before) => GOVERNED.into_iter().filter(|table| differs(before.get(*table), current.get(*table))).collect(),
    };
    if recorded.is_some() && changed.is_empty() {
        return Ok(());
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

/// Whether a table of settings changed since it was recorded. A setting the record does not have is one a
/// newer margin added, at its default: upgrading margin is no change of settings.
fn differs(before: Option<&serde_json::Value>, now: Option<&serde_json::Value>) -> bool {
    match (before, now) {
        (Some(serde_json::Value::Object(before)), Some(serde_json::Value::Object(now))) => {
            before.len() > now.len() || before.iter().any(|(key, value)| now.get(key) != Some(value))
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
    let payload = serde_json::json!({ "changed": changed, "settings": project.config.governed() });
    store.log_event(user, SETTINGS_EVENT, &payload)?;
    Ok(())
}

/// The names of the Unix groups `user` belongs to (primary and supplementary); none when the system does
/// not know the user.
pub fn unix_groups(user: &str) -> Vec<String> {
    let Ok(name) = CString::new(user) else { return Vec::new() };
    // SAFETY (both calls): passwd and result are valid out-pointers; the buffer outlives the call and its
    // length is given; the gid is copied out before the buffer is used again.
    let primary = with_buffer(|buffer| unsafe {
        let mut passwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(name.as_ptr(), &mut passwd, buffer.as_mut_ptr().cast(), buffer.len(), &mut result);
        (rc, (!result.is_null()).then_some(passwd.pw_gid))
    });
    let Some(primary) = primary else { return Vec::new() };
    let mut gids: Vec<libc::gid_t> = vec![0; 64];
    let mut count = gids.len() as libc::c_int;
    loop {
        // SAFETY: gids has room for `count` entries; getgrouplist writes at most that many and sets count.
        let rc = unsafe { libc::getgrouplist(name.as_ptr(), primary, gids.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            gids.truncate(count.max(0) as usize);
            break;
        }
        if gids.len() >= 65_536 {
            gids.truncate(0);
            break;
        }
        gids.resize((count.max(0) as usize).max(gids.len() * 2), 0);
        count = gids.len() as libc::c_int;
    }
    gids.into_iter().filter_map(group_name).collect()
}

fn group_name(gid: libc::gid_t) -> Option<String> {
    // SAFETY: group and result are valid out-pointers; the buffer outlives the call and its length is given;
    // the name is copied out before the buffer goes.
    with_buffer(|buffer| unsafe {
        let mut group: libc::group = std::mem::zeroed();
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrgid_r(gid, &mut group, buffer.as_mut_ptr().cast(), buffer.len(), &mut result);
        let name = (!result.is_null() && !group.gr_name.is_null())
            .then(|| CStr::from_ptr(group.gr_name).to_string_lossy().into_owned());
        (rc, name)
    })
}

/// Calls a `get*_r` lookup with a buffer, growing it while the entry does not fit (a group with many members,
/// as directory services have) and retrying when interrupted; `None` when there is no such entry.
fn with_buffer<T>(mut lookup: impl FnMut(&mut [u8]) -> (libc::c_int, Option<T>)) -> Option<T> {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match lookup(&mut buffer) {
            (0, found) => return found,
            (libc::ERANGE, _) if buffer.len() < (16 << 20) => buffer.resize(buffer.len() * 2, 0),
            (libc::EINTR, _) => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_a_newer_margin_added_is_no_change() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        let recorded = v(r#"{"expert": 0.5, "auto_accept": 0.9}"#);
        assert!(!differs(Some(&recorded), Some(&v(r#"{"expert": 0.5, "auto_accept": 0.9, "new": 1}"#))));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.4, "auto_accept": 0.9}"#))));
        assert!(differs(Some(&recorded), Some(&v(r#"{"expert": 0.5}"#))));
        assert!(differs(Some(&v("null")), Some(&v(r#"{"admin": ["alice"]}"#))), "roles added");
        assert!(differs(Some(&v(r#"[{"name": "a"}]"#)), Some(&v(r#"[{"name": "b"}]"#))), "labels compared whole");
        assert!(!differs(None, None));
    }

    #[test]
    fn root_is_in_the_root_group_and_strangers_in_none() {
        assert!(unix_groups("root").iter().any(|g| g == "root"), "{:?}", unix_groups("root"));
        assert!(unix_groups("no-such-user-margin").is_empty());
        assert!(unix_groups("nul\0byte").is_empty());
    }
}
