//! Roles: who may do what in a project. margin.toml's `[roles]` lists, per role, OS user names, `group:NAME`
//! for members of a Unix group, or `*` for everyone. Roles nest: an admin may do what an expert may, an
//! expert what an annotator may. A project without `[roles]` is a project of one: everyone is an admin.
//! `shared_accounts` lists accounts several people use; there `--annotator NAME` names the person.
//!
//! This is the workflow's guard, not the data's: who can read or write the project at all is decided by
//! the database file's permissions.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a person may do, least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Label items, escalate, see their own progress.
    Annotator,
    /// Triage escalations and disagreements, reveal masked text, read the audit log, export unmasked.
    Expert,
    /// Change thresholds, strategy, labels and roles; train models.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Annotator => "annotator",
            Role::Expert => "expert",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// margin.toml's `[roles]`: who holds each role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Roles {
    pub admin: Vec<String>,
    pub expert: Vec<String>,
    pub annotator: Vec<String>,
    /// Accounts several people share, where `--annotator NAME` says who is working (plain account names).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_accounts: Vec<String>,
}

/// Everyone.
pub const EVERYONE: &str = "*";
/// The prefix of a Unix group entry.
pub const GROUP_PREFIX: &str = "group:";

impl Roles {
    /// The highest role `user` holds, being a member of `groups`; `None`: no role in this project.
    pub fn role_of(&self, user: &str, groups: &[String]) -> Option<Role> {
        let holds = |entries: &[String]| {
            entries.iter().any(|entry| match entry.strip_prefix(GROUP_PREFIX) {
                Some(group) => groups.iter().any(|g| g == group),
                None => entry == EVERYONE || entry == user,
            })
        };
        [(Role::Admin, &self.admin), (Role::Expert, &self.expert), (Role::Annotator, &self.annotator)]
            .into_iter()
            .find(|(_, entries)| holds(entries))
            .map(|(role, _)| role)
    }

    /// The entries that hold `role` or a higher one, for messages ("ask alice or group:leads").
    pub fn holders_of(&self, role: Role) -> Vec<&str> {
        let mut who: Vec<&str> = self.admin.iter().map(String::as_str).collect();
        if role <= Role::Expert {
            who.extend(self.expert.iter().map(String::as_str));
        }
        if role == Role::Annotator {
            who.extend(self.annotator.iter().map(String::as_str));
        }
        who
    }

    /// The first entry that is not a user name, `group:NAME` or `*` (`None` for the role: a shared account
    /// that is not a plain account name): (role, index, why).
    pub fn check(&self) -> Result<(), (Option<Role>, usize, String)> {
        for (role, entries) in
            [(Role::Admin, &self.admin), (Role::Expert, &self.expert), (Role::Annotator, &self.annotator)]
        {
            for (i, entry) in entries.iter().enumerate() {
                let name = entry.strip_prefix(GROUP_PREFIX).unwrap_or(entry);
                if !is_account_name(name) {
                    return Err((Some(role), i, format!("{entry:?} is not a user name, group:NAME or *")));
                }
            }
        }
        for (i, entry) in self.shared_accounts.iter().enumerate() {
            if !is_account_name(entry) || entry == EVERYONE {
                return Err((None, i, format!("{entry:?} is not an account name (groups and * cannot be shared)")));
            }
        }
        Ok(())
    }
}

fn is_account_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':')
}

/// The role a project's settings give `user`: with no `[roles]`, everyone is an admin.
pub fn role_in(roles: Option<&Roles>, user: &str, groups: &[String]) -> Option<Role> {
    match roles {
        None => Some(Role::Admin),
        Some(roles) => roles.role_of(user, groups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> Roles {
        Roles {
            admin: vec!["alice".into()],
            expert: vec!["bob".into(), "group:clinicians".into()],
            annotator: vec!["carol".into(), "group:labellers".into()],
            shared_accounts: vec![],
        }
    }

    #[test]
    fn the_highest_role_held_wins() {
        let r = roles();
        assert_eq!(r.role_of("alice", &[]), Some(Role::Admin));
        assert_eq!(r.role_of("bob", &[]), Some(Role::Expert));
        assert_eq!(r.role_of("carol", &[]), Some(Role::Annotator));
        assert_eq!(r.role_of("carol", &["clinicians".into()]), Some(Role::Expert));
        assert_eq!(r.role_of("dave", &["labellers".into()]), Some(Role::Annotator));
        assert_eq!(r.role_of("dave", &["other".into()]), None);
        // A user named like a group is not its member.
        assert_eq!(r.role_of("clinicians", &[]), None);
    }

    #[test]
    fn everyone_and_no_roles_table() {
        let open = Roles { annotator: vec![EVERYONE.into()], ..roles() };
        assert_eq!(open.role_of("anyone", &[]), Some(Role::Annotator));
        assert_eq!(role_in(None, "anyone", &[]), Some(Role::Admin));
        assert_eq!(role_in(Some(&Roles::default()), "anyone", &[]), None);
    }

    #[test]
    fn roles_nest_and_holders_are_named() {
        assert!(Role::Admin > Role::Expert && Role::Expert > Role::Annotator);
        assert_eq!(roles().holders_of(Role::Expert), ["alice", "bob", "group:clinicians"]);
        assert_eq!(roles().holders_of(Role::Admin), ["alice"]);
    }

    #[test]
    fn bad_entries_are_found() {
        assert_eq!(roles().check(), Ok(()));
        let bad = Roles { expert: vec!["bob".into(), "group:".into()], ..roles() };
        assert_eq!(bad.check().unwrap_err().0, Some(Role::Expert));
        assert_eq!(bad.check().unwrap_err().1, 1);
        let spaced = Roles { admin: vec!["al ice".into()], ..roles() };
        assert!(spaced.check().is_err());
        let shared = Roles { shared_accounts: vec!["labelling".into(), "group:staff".into()], ..roles() };
        assert_eq!(shared.check().unwrap_err().0, None);
        assert_eq!(shared.check().unwrap_err().1, 1);
        assert!(Roles { shared_accounts: vec!["*".into()], ..roles() }.check().is_err());
    }
}
