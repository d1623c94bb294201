//! Who gains or loses access: for each member and API key whose privileges
//! change, the privilege before → after, classified by comparing privilege
//! sets (src/privileges.rs): an escalation only gains, a reduction only
//! loses, a change does both. Also the risk of every action, and the
//! columns of the access matrix (`src/access.rs`) that change, from the
//! same table `review` shows. Pure.

use crate::access::{self, Access, Column, Level};
use crate::plan::{Action, Kind, Op, State};
use crate::privileges::{self, MemberPrivileges};
use crate::role::Role;
use serde::{Deserialize, Serialize};
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
    /// after ⊋ before: gains, loses nothing (a creation is one).
    Escalation,
    /// after ⊊ before: loses, gains nothing (a deletion is one).
    Reduction,
    /// Neither contains the other: gains some and loses some.
    Change,
}

impl Change {
    /// How text plans mark it.
    pub fn marker(self) -> &'static str {
        match self {
            Change::Escalation => "▲",
            Change::Reduction => "▼",
            Change::Change => "◆",
        }
    }

    /// Its name, as serialized.
    pub fn word(self) -> &'static str {
        match self {
            Change::Escalation => "escalation",
            Change::Reduction => "reduction",
            Change::Change => "change",
        }
    }
}

/// What a member or key may do: a role with permissions, or scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Privilege {
    Member {
        role: Role,
        permissions: Vec<String>,
    },
    Key {
        scopes: Vec<String>,
    },
    /// A sub-workspace: the agency (its keys, through `x-as-workspace`)
    /// reaches it.
    Agency {
        sub_workspace: String,
    },
}

impl Privilege {
    pub fn describe(p: Option<&Privilege>) -> String {
        match p {
            None => "no access".into(),
            Some(Privilege::Member { role, permissions }) if permissions.is_empty() => {
                role.to_string()
            }
            Some(Privilege::Member { role, permissions }) => {
                format!("{role} + [{}]", permissions.join(", "))
            }
            Some(Privilege::Key { scopes }) => format!("[{}]", scopes.join(", ")),
            Some(Privilege::Agency { .. }) => "the agency's access".into(),
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
    /// Short reasons: what is gained and what is lost, e.g. "role view →
    /// admin", "gains admin", "loses leads:all".
    pub why: Vec<String>,
    /// The access matrix's columns whose level changes (`review`'s table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<ColumnChange>,
}

/// One column of the access matrix, before → after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnChange {
    pub column: Column,
    pub before: Level,
    pub after: Level,
}

/// The matrix row of a privilege (`none` everywhere for no access).
pub fn access_of(p: Option<&Privilege>) -> Access {
    match p {
        None => Access::default(),
        Some(Privilege::Member { role, permissions }) => access::of_member(role, permissions),
        Some(Privilege::Key { scopes }) => access::of_key(scopes),
        // Access to another workspace: none of this workspace's columns.
        Some(Privilege::Agency { .. }) => Access::default(),
    }
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

/// What an action gains and loses, compared as privilege sets.
#[derive(Default)]
struct Delta {
    /// Reasons, gains before losses.
    why: Vec<String>,
    gains: bool,
    loses: bool,
    /// Something gained lets them change things (or is admin).
    gains_write: bool,
}

impl Delta {
    fn gain(&mut self, what: &[&str], writes: bool) {
        if !what.is_empty() {
            self.gains = true;
            self.gains_write |= writes;
            self.why.push(format!("gains {}", what.join(", ")));
        }
    }

    fn lose(&mut self, what: &[&str]) {
        if !what.is_empty() {
            self.loses = true;
            self.why.push(format!("loses {}", what.join(", ")));
        }
    }

    fn members(before: &MemberPrivileges, after: &MemberPrivileges) -> Delta {
        let mut d = Delta::default();
        match after.beyond(before) {
            Err(role) => d.gain(&[role.as_str()], true),
            Ok(gained) => d.gain(
                &gained.iter().map(String::as_str).collect::<Vec<_>>(),
                gained.iter().any(|p| privileges::member_writes(p)),
            ),
        }
        match before.beyond(after) {
            Err(role) => d.lose(&[role.as_str()]),
            Ok(lost) => d.lose(&lost.iter().map(String::as_str).collect::<Vec<_>>()),
        }
        d
    }

    fn keys(before: &[String], after: &[String]) -> Delta {
        let mut d = Delta::default();
        let gained = privileges::scopes_beyond(after, before);
        d.gain(
            &gained.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            gained.iter().any(|(_, w)| *w),
        );
        let lost = privileges::scopes_beyond(before, after);
        d.lose(&lost.iter().map(|(s, _)| *s).collect::<Vec<_>>());
        d
    }
}

/// The access impact of a member or key action; `None` for tags and
/// assignments, and when the privileges before and after are equal.
pub fn impact(a: &Action) -> Option<Impact> {
    if a.kind == Kind::SubWorkspace {
        return group_impact(a);
    }
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
    let member = |p: &Option<Privilege>| match p {
        Some(Privilege::Member { role, permissions }) => MemberPrivileges::of(role, permissions),
        _ => MemberPrivileges::none(),
    };
    let scopes = |p: &Option<Privilege>| match p {
        Some(Privilege::Key { scopes }) => scopes.clone(),
        _ => Vec::new(),
    };
    let mut d = match a.kind {
        Kind::Member => Delta::members(&member(&before), &member(&after)),
        _ => Delta::keys(&scopes(&before), &scopes(&after)),
    };
    let change = match a.op {
        // From nothing, or to nothing, whatever the sets say.
        Op::Create => Change::Escalation,
        Op::Delete => Change::Reduction,
        Op::Update | Op::Replace => match (d.gains, d.loses) {
            // Same privileges after a re-invite, but none until they accept.
            (false, false) if a.is_reinvite() => Change::Reduction,
            (false, false) => return None,
            (true, false) => Change::Escalation,
            (false, true) => Change::Reduction,
            (true, true) => Change::Change,
        },
    };
    // The gains and losses say it all, except at the ends: a creation names
    // what it grants, and a deletion loses everything.
    let why = match (a.op, &before, &after) {
        (Op::Create, _, Some(p @ Privilege::Member { .. })) => {
            vec![format!("invited as {}", Privilege::describe(Some(p)))]
        }
        (Op::Create, _, Some(Privilege::Key { scopes })) => {
            vec![format!("new key with [{}]", scopes.join(", "))]
        }
        (Op::Delete, _, _) if a.kind == Kind::Member => vec!["removed from the workspace".into()],
        (Op::Delete, _, _) => vec!["revoked".into()],
        (_, Some(Privilege::Member { role: r0, .. }), Some(Privilege::Member { role: r1, .. }))
            if r0 != r1 =>
        {
            let mut why = vec![format!("role {r0} → {r1}")];
            why.append(&mut d.why);
            why
        }
        _ => std::mem::take(&mut d.why),
    };
    let columns = access::changes(&access_of(before.as_ref()), &access_of(after.as_ref()))
        .into_iter()
        .map(|(column, before, after)| ColumnChange {
            column,
            before,
            after,
        })
        .collect();
    let mut impact = Impact {
        address: a.address.clone(),
        before,
        after,
        change,
        risk: Risk::Medium,
        why,
        access: columns,
    };
    impact.risk = if a.is_reinvite() {
        impact
            .why
            .push("re-invited: no access until they accept".into());
        Risk::High
    } else {
        match change {
            Change::Escalation | Change::Change if d.gains_write => Risk::High,
            Change::Escalation | Change::Change => Risk::Medium,
            Change::Reduction => op_risk(a.op),
        }
    };
    Some(impact)
}

/// A sub-workspace invited, invited again or removed: the agency gains or
/// loses its access to that workspace (removing one removes the agency's
/// reach, whatever its staff's roles there).
fn group_impact(a: &Action) -> Option<Impact> {
    let agency = || {
        Some(Privilege::Agency {
            sub_workspace: match a.state() {
                Some(State::SubWorkspace(s)) => s.sub_workspace_id.clone(),
                _ => String::new(),
            },
        })
    };
    let (before, after, change, risk, why) = match a.op {
        Op::Create => (
            None,
            agency(),
            Change::Escalation,
            Risk::Medium,
            "invited: the agency reaches it once its owner accepts",
        ),
        // Only a rejected invitation is replaced: the agency has no access
        // before, and reaches the workspace once its owner accepts again.
        Op::Replace => (
            None,
            agency(),
            Change::Escalation,
            Risk::Medium,
            "re-invited after a rejection: the agency reaches it once its owner accepts",
        ),
        Op::Delete => (
            agency(),
            None,
            Change::Reduction,
            Risk::Medium,
            "removed from the group: the agency's keys and staff lose their access to it",
        ),
        Op::Update => return None,
    };
    Some(Impact {
        address: a.address.clone(),
        before,
        after,
        change,
        risk,
        why: vec![why.into()],
        access: Vec::new(),
    })
}

/// Whether access grows or shifts (`Escalation`, `Change`) or shrinks
/// (`Reduction`); `None` when it stays the same or is not access.
pub fn classify(a: &Action) -> Option<Change> {
    impact(a).map(|i| i.change)
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
        None if a.is_reinvite() => Risk::High,
        None if a.kind == Kind::Assignment => Risk::Low,
        None => op_risk(a.op),
    }
}

/// Every access change of a plan: riskiest first, then escalations,
/// changes, reductions.
pub fn impacts(actions: &[Action]) -> Vec<Impact> {
    let mut out: Vec<Impact> = actions.iter().filter_map(impact).collect();
    out.sort_by_key(|i| {
        (
            std::cmp::Reverse(i.risk),
            match i.change {
                Change::Escalation => 0,
                Change::Change => 1,
                Change::Reduction => 2,
            },
            i.address.clone(),
        )
    });
    out
}
