//! What a member or an API key may do, as a set of privileges, so that two
//! grants compare by containment: `after ⊋ before` is an escalation whatever
//! the role names say. Pure.
//!
//! Members: `owner` and `admin` hold every privilege there is, known or not;
//! `editor` and `view` hold the base set of [`ROLE_FLOORS`]; explicit
//! permissions add to it. A permission or role this tool does not know is kept
//! as an opaque privilege of its own, never dropped.
//!
//! API keys: a scope `<resource>:<action>` is one privilege, where `all` on
//! either side is a wildcard; a key's set is never materialised, containment
//! goes through [`covers`]. Resources and actions are treated as open lists
//! (the API adds resources over time), so `all:read` is never covered by any
//! list of single resources, nor `campaigns:all` by its four actions.

use crate::role::Role;
use std::collections::BTreeSet;

/// The least role that holds a permission without it being granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Floor {
    View,
    Editor,
    /// Only `admin` and `owner`; anyone else needs it granted explicitly.
    Admin,
}

/// Which role holds which permission. **This is our model**: Instantly
/// publishes no table of what `editor` and `view` may do (docs/api-contract:
/// "Permissions (optional, set at invite)"), so we derive one from the names
/// and lean narrow. A permission left out of a role's base is reported as
/// gained when it is granted, so an unsure entry over-reports rather than
/// hides an escalation. Every permission of `vocab::PERMISSIONS` must appear
/// here (a unit test checks), so a new one needs a decision.
pub const ROLE_FLOORS: &[(&str, Floor)] = &[
    // `view` exists to look: every read-only screen, nothing that changes.
    ("dashboard.view", Floor::View),
    ("campaigns.view", Floor::View),
    ("leadFinder.view", Floor::View),
    ("analytics.view", Floor::View),
    ("accounts.view", Floor::View),
    ("leadManagement.view", Floor::View),
    ("crm.view", Floor::View),
    ("websiteVisitors.view", Floor::View),
    ("inboxPlacement.view", Floor::View),
    ("websiteChat.view", Floor::View),
    // `editor` does the day-to-day work: it creates and edits campaigns and
    // lead labels and moves leads, but destroys nothing.
    ("campaigns.create", Floor::Editor),
    ("campaigns.edit", Floor::Editor),
    ("customLeadLabels.create", Floor::Editor),
    ("customLeadLabels.edit", Floor::Editor),
    ("leads.move", Floor::Editor),
    // Deleting, sending as the workspace's mailboxes, money, people,
    // integrations, sending accounts and the agency: admins only.
    ("campaigns.delete", Floor::Admin),
    ("customLeadLabels.delete", Floor::Admin),
    ("unibox.all", Floor::Admin),
    ("organization.manage", Floor::Admin),
    ("organization.integrations", Floor::Admin),
    ("organization.billing", Floor::Admin),
    ("organization.users.manage", Floor::Admin),
    ("agency.manage", Floor::Admin),
    ("accounts.manage", Floor::Admin),
    ("blocklist.manage", Floor::Admin),
    ("preferences.manage", Floor::Admin),
    ("aiAgents.manage", Floor::Admin),
    ("workspaceGroupMembers.invite", Floor::Admin),
    ("workspaceGroupMembers.remove", Floor::Admin),
    ("workspaceGroupMembers.leave", Floor::Admin),
    ("websiteChat.manage", Floor::Admin),
];

/// Whether holding a member privilege lets one change anything: every
/// permission but the `*.view` ones, and any opaque privilege (unknown, so
/// assumed to write).
pub fn member_writes(privilege: &str) -> bool {
    !privilege.ends_with(".view")
}

/// A member's effective privileges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberPrivileges {
    /// `owner` or `admin`: every privilege, including ones not known yet.
    All { role: Role },
    /// Permission names, plus `role:<name>` for a role this model does not know.
    Only(BTreeSet<String>),
}

impl MemberPrivileges {
    pub fn none() -> Self {
        MemberPrivileges::Only(BTreeSet::new())
    }

    pub fn of(role: &Role, permissions: &[String]) -> Self {
        let floor = match role {
            Role::Owner | Role::Admin => return MemberPrivileges::All { role: role.clone() },
            Role::Editor => Floor::Editor,
            Role::View => Floor::View,
            Role::Client | Role::Other(_) => {
                // `client`, or a role Instantly adds later: opaque.
                let mut set: BTreeSet<String> = permissions.iter().cloned().collect();
                set.insert(format!("role:{role}"));
                return MemberPrivileges::Only(set);
            }
        };
        let mut set: BTreeSet<String> = ROLE_FLOORS
            .iter()
            .filter(|(_, f)| *f <= floor)
            .map(|(p, _)| (*p).to_owned())
            .collect();
        set.extend(permissions.iter().cloned());
        MemberPrivileges::Only(set)
    }

    /// What `self` holds that `other` does not: `Err(role)` when that is
    /// every privilege of an owner or admin, else the privileges by name.
    pub fn beyond(&self, other: &Self) -> Result<Vec<String>, Role> {
        match (self, other) {
            (_, MemberPrivileges::All { .. }) => Ok(Vec::new()),
            (MemberPrivileges::All { role }, MemberPrivileges::Only(_)) => Err(role.clone()),
            (MemberPrivileges::Only(a), MemberPrivileges::Only(b)) => {
                Ok(a.difference(b).cloned().collect())
            }
        }
    }
}

/// One scope as a privilege: `None` on a side is the wildcard `all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Grant {
        resource: Option<String>,
        action: Option<String>,
    },
    /// Not `<resource>:<action>`: kept as it is, covered only by itself or `all:all`.
    Opaque(String),
}

impl Scope {
    pub fn parse(s: &str) -> Scope {
        let side = |x: &str| (x != "all").then(|| x.to_owned());
        match s.split_once(':') {
            Some((r, a)) if !r.is_empty() && !a.is_empty() => Scope::Grant {
                resource: side(r),
                action: side(a),
            },
            _ => Scope::Opaque(s.to_owned()),
        }
    }

    /// Whether it lets a key change anything: any action but `read`
    /// (wildcards and unknown scopes included).
    pub fn writes(&self) -> bool {
        !matches!(self, Scope::Grant { action: Some(a), .. } if a == "read")
    }
}

/// Whether `have` grants everything `want` grants.
pub fn covers(have: &Scope, want: &Scope) -> bool {
    let side = |h: &Option<String>, w: &Option<String>| h.is_none() || h == w;
    match (have, want) {
        (
            Scope::Grant {
                resource: None,
                action: None,
            },
            _,
        ) => true,
        (
            Scope::Grant {
                resource: hr,
                action: ha,
            },
            Scope::Grant {
                resource: wr,
                action: wa,
            },
        ) => side(hr, wr) && side(ha, wa),
        (Scope::Opaque(h), Scope::Opaque(w)) => h == w,
        _ => false,
    }
}

/// The scopes of `of` that `against` does not cover (in `of`'s order,
/// without repeats), with whether each writes.
pub fn scopes_beyond<'a>(of: &'a [String], against: &[String]) -> Vec<(&'a str, bool)> {
    let against: Vec<Scope> = against.iter().map(|s| Scope::parse(s)).collect();
    let mut seen = BTreeSet::new();
    of.iter()
        .filter(|s| seen.insert(s.as_str()))
        .filter_map(|s| {
            let scope = Scope::parse(s);
            (!against.iter().any(|h| covers(h, &scope))).then(|| (s.as_str(), scope.writes()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_permission_has_a_floor() {
        for p in crate::vocab::PERMISSIONS {
            assert!(
                ROLE_FLOORS.iter().any(|(q, _)| q == p),
                "{p} needs a row in ROLE_FLOORS"
            );
        }
    }

    #[test]
    fn wildcards_cover() {
        let s = Scope::parse;
        assert!(covers(&s("all:all"), &s("weird")));
        assert!(covers(&s("all:read"), &s("leads:read")));
        assert!(covers(&s("leads:all"), &s("leads:delete")));
        assert!(!covers(&s("leads:all"), &s("all:delete")));
        assert!(!covers(&s("leads:read"), &s("leads:all")));
        assert!(!covers(&s("all:read"), &s("weird")));
    }
}
