//! Who is running margin. The person is the account of the process's real user id, as the system's user
//! database names it (never an environment variable such as `$USER`, which anyone can set). On an
//! account that margin.toml lists under `[roles] shared_accounts`, `--annotator NAME` says who is at the
//! keyboard; that person is recorded as `ACCOUNT:NAME` (account names cannot hold a colon, so no name
//! given this way can pass for an account) and holds the account's role.

use std::ffi::{CStr, CString};

use anyhow::bail;

use super::Context;
use crate::app::project::Project;
use crate::domain::text::visible;

/// The longest name `--annotator` takes, in characters.
const MAX_NAME_CHARS: usize = 64;

/// The account of this process's real user id; `uid-N` when the user database has no entry for it.
pub fn current_account() -> String {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    // SAFETY: passwd and result are valid out-pointers; the buffer outlives the call and its length is given;
    // the name is copied out before the buffer is used again.
    let name = with_buffer(|buffer| unsafe {
        let mut passwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut passwd, buffer.as_mut_ptr().cast(), buffer.len(), &mut result);
        let name = (!result.is_null() && !passwd.pw_name.is_null())
            .then(|| CStr::from_ptr(passwd.pw_name).to_string_lossy().into_owned());
        (rc, name)
    });
    name.filter(|n| !n.is_empty()).unwrap_or_else(|| format!("uid-{uid}"))
}

impl Context {
    /// The person a command records: this account, or `ACCOUNT:NAME` when `--annotator NAME` was given on
    /// an account the project lists as shared. Refuses `--annotator` anywhere else.
    pub(super) fn person(&self, project: &Project, given: Option<&str>) -> anyhow::Result<String> {
        let Some(name) = given else { return Ok(self.user.clone()) };
        check_name(name)?;
        let shared = project.config.roles.as_ref().is_some_and(|r| r.shared_accounts.contains(&self.user));
        if !shared {
            bail!(
                "--annotator {}: you are working as {}, and --annotator is only for shared accounts: an admin lists \
                 the account under [roles] shared_accounts in {} to allow it",
                visible(name),
                visible(&self.user),
                project.config_path().display()
            );
        }
        Ok(if name == self.user { name.to_string() } else { format!("{}:{name}", self.user) })
    }
}

/// A name given with `--annotator`: printable, without spaces or colons, at most [`MAX_NAME_CHARS`].
fn check_name(name: &str) -> anyhow::Result<()> {
    let bad = name.chars().find(|c| c.is_whitespace() || c.is_control() || *c == ':');
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || bad.is_some()
        || name.chars().any(crate::domain::text::is_unsafe_for_terminal)
    {
        bail!(
            "--annotator {}: a name is 1 to {MAX_NAME_CHARS} characters without spaces, colons or control characters",
            visible(name)
        );
    }
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
    fn root_is_in_the_root_group_and_strangers_in_none() {
        assert!(unix_groups("root").iter().any(|g| g == "root"), "{:?}", unix_groups("root"));
        assert!(unix_groups("no-such-user-margin").is_empty());
        assert!(unix_groups("nul\0byte").is_empty());
    }

    #[test]
    fn the_account_is_the_real_user_ids_whatever_the_environment_says() {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let listed = passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.get(2) == Some(&uid.to_string().as_str())).then(|| fields[0].to_string())
        });
        assert_eq!(current_account(), listed.unwrap_or(format!("uid-{uid}")));
    }

    #[test]
    fn names_given_for_shared_accounts_are_checked() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("Zoë-2").is_ok());
        for bad in ["", "a b", "root:alice", "evil\u{1b}]0;x\u{7}", "x\u{202e}", &"n".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
