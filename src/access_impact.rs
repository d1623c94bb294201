//! Who gains or loses access: for each member and API key whose privileges
//! change, the privilege before → after, classified as escalation,
//! reduction or neutral, and the risk of every action. Pure.

use crate::plan::{Action, Kind, Op, State};
use crate::vocab;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    #[default]
    Low,
    Medium,
    High,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Escalation,
    Reduction,
    Neutral,
}

/// What a member or key may do: a role with permissions, or scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Privilege {
    Member {
        role: String,
        permissions: Vec<String>,
    },
    Key {
        scopes: Vec<String>,
    },
}

impl Privilege {
    pub fn describe(p: Option<&Privilege>) -> String {
        match p {
            None => "no access".into(),
            Some(Privilege::Member { role, permissions }) if permissions.is_empty() => role.clone(),
            Some(Privilege::Member { role, permissions }) => {
                format!("{role} + [{}]", permissions.join(", "))
            }
            Some(Privilege::Key { scopes }) => format!("[{}]", scopes.join(", ")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub address: String,
    pub before: Option<Privilege>,
    pub after: Option<Privilege>,
    pub change: Change,
    pub risk: Risk,
    /// Short reasons, e.g. "promoted to admin", "scopes added: leads:all".
    pub why: Vec<String>,
}

fn privilege(state: Option<&State>) -> Option<Privilege> {
    match state? {
        State::Member(m) => Some(Privilege::Member {
            role: m.role.clone(),
            permissions: m.permissions.clone(),
        }),
        State::ApiKey(k) => Some(Privilege::Key {
            scopes: k.scopes.clone(),
        }),
        _ => None,
    }
}

/// Whether `have` already grants everything `scope` grants.
fn covered(have: &[String], scope: &str) -> bool {
    let Some((res, action)) = scope.split_once(':') else {
        return false;
    };
    if have.iter().any(|h| h == scope || h == "all:all") {
        return true;
    }
    if res == "all" || action == "all" {
        return false;
    }
    vocab::scopes_allow(have, res, action)
}

fn is_write(scope: &str) -> bool {
    scope.starts_with("all:") || !scope.ends_with(":read")
}

/// The access impact of a member or key action; `None` for tags and assignments.
pub fn impact(a: &Action) -> Option<Impact> {
    if !matches!(a.kind, Kind::Member | Kind::ApiKey) {
        return None;
    }
    let before = if a.op == Op::Create {
        None
    } else {
        privilege(a.before.as_ref())
    };
    let after = if a.op == Op::Delete {
        None
    } else {
        privilege(a.after.as_ref())
    };
    let mut why = Vec::new();
    let mut high = false;
    let (up, down) = match (&before, &after) {
        (_, Some(Privilege::Member { role, permissions })) => {
            let (r0, p0) = match &before {
                Some(Privilege::Member { role, permissions }) => {
                    (role.as_str(), permissions.clone())
                }
                _ => ("", Vec::new()),
            };
            let (rank0, rank1) = (vocab::role_rank(r0), vocab::role_rank(role));
            let old: BTreeSet<&String> = p0.iter().collect();
            let new: BTreeSet<&String> = permissions.iter().collect();
            let added: Vec<&str> = new.difference(&old).map(|s| s.as_str()).collect();
            let removed: Vec<&str> = old.difference(&new).map(|s| s.as_str()).collect();
            if before.is_none() {
                why.push(format!("invited as {role}"));
            } else if rank1 > rank0 {
                why.push(format!("promoted {r0} → {role}"));
            } else if rank1 < rank0 {
                why.push(format!("demoted {r0} → {role}"));
            }
            if role == "admin" && r0 != "admin" {
                high = true;
                if before.is_some() {
                    why.push("gains admin".into());
                }
            }
            if !added.is_empty() {
                high |= before.is_some();
                why.push(format!("permissions added: {}", added.join(", ")));
            }
            if !removed.is_empty() {
                why.push(format!("permissions removed: {}", removed.join(", ")));
            }
            (
                rank1 > rank0 || !added.is_empty(),
                rank1 < rank0 || !removed.is_empty(),
            )
        }
        (_, Some(Privilege::Key { scopes })) => {
            let old = match &before {
                Some(Privilege::Key { scopes }) => scopes.clone(),
                _ => Vec::new(),
            };
            let added: Vec<&str> = scopes
                .iter()
                .filter(|s| !covered(&old, s))
                .map(String::as_str)
                .collect();
            let lost: Vec<&str> = old
                .iter()
                .filter(|s| !covered(scopes, s))
                .map(String::as_str)
                .collect();
            if added.iter().any(|s| is_write(s)) {
                high = true;
            }
            if before.is_none() {
                why.push(format!("new key with [{}]", scopes.join(", ")));
            } else if !added.is_empty() {
                why.push(format!("scopes added: {}", added.join(", ")));
            }
            if !lost.is_empty() {
                why.push(format!("scopes removed: {}", lost.join(", ")));
            }
            (!added.is_empty(), !lost.is_empty())
        }
        (Some(_), None) => {
            why.push(if a.kind == Kind::Member {
                "removed from the workspace".into()
            } else {
                "revoked".into()
            });
            (false, true)
        }
        (None, None) => (false, false),
    };
    let change = if up {
        Change::Escalation
    } else if down {
        Change::Reduction
    } else {
        Change::Neutral
    };
    // A re-invite removes all access until the member accepts again.
    if a.kind == Kind::Member && a.op == Op::Replace {
        high = true;
        why.push("re-invited: no access until they accept".into());
    }
    let risk = match change {
        Change::Escalation if high => Risk::High,
        _ if high && a.op == Op::Replace => Risk::High,
        Change::Escalation => Risk::Medium,
        _ => op_risk(a.op),
    };
    Some(Impact {
        address: a.address.clone(),
        before,
        after,
        change,
        risk,
        why,
    })
}

/// Deletions and replacements are risky whatever they touch.
fn op_risk(op: Op) -> Risk {
    match op {
        Op::Delete | Op::Replace => Risk::Medium,
        Op::Create | Op::Update => Risk::Low,
    }
}

/// The risk of one action, as recorded in plans.
pub fn risk(a: &Action) -> Risk {
    match impact(a) {
        Some(i) => i.risk,
        None if a.kind == Kind::Assignment => Risk::Low,
        None => op_risk(a.op),
    }
}

/// Every access change of a plan, escalations first.
pub fn impacts(actions: &[Action]) -> Vec<Impact> {
    let mut out: Vec<Impact> = actions
        .iter()
        .filter_map(impact)
        .filter(|i| i.change != Change::Neutral || i.before != i.after)
        .collect();
    out.sort_by_key(|i| {
        (
            std::cmp::Reverse(i.risk),
            i.change != Change::Escalation,
            i.address.clone(),
        )
    });
    out
}
