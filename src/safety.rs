//! Change thresholds: a plan that deletes too much at once, or leaves too
//! few admins, is blocked until a person acknowledges the exact count.
//! Pure: computed from the plan, the live workspace and the policy.

use crate::config::Policy;
use crate::live::Live;
use crate::plan::{Action, Kind, Op, State};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// `max_delete_percent`, `max_deletes`, `min_admins`, or `W007` (a
    /// re-invite with a permission this tool does not know).
    pub limit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    pub count: usize,
    pub message: String,
    /// What `apply --ack-deletes` must be given, when a person can accept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
}

fn deletes(actions: &[Action], kind: Kind) -> usize {
    actions
        .iter()
        .filter(|a| a.kind == kind && a.op == Op::Delete)
        .count()
}

fn is_admin(s: Option<&State>) -> bool {
    matches!(s, Some(State::Member(m)) if !m.pending && m.role.is_admin())
}

/// Accepted admins (the owner included) once the plan is applied; invites
/// and re-invites count only once accepted.
pub fn admins_after(actions: &[Action], live: &Live) -> usize {
    let now = live
        .members
        .iter()
        .filter(|m| m.accepted && m.role.is_admin())
        .count() as i64;
    let delta: i64 = actions
        .iter()
        .filter(|a| a.kind == Kind::Member)
        .map(|a| i64::from(is_admin(a.after.as_ref())) - i64::from(is_admin(a.before.as_ref())))
        .sum();
    (now + delta).max(0) as usize
}

/// The block for deleting `n` of the `total` live objects of `kind`, if
/// the policy's limits forbid it (also used for the workspace group).
pub fn deletion_block(kind: Kind, n: usize, total: usize, policy: &Policy) -> Option<Block> {
    if n == 0 {
        return None;
    }
    let ack = Some(format!("{kind}={n}"));
    let pct = policy.max_delete_percent as usize;
    if total >= 10 && n * 100 > pct * total {
        Some(Block {
            limit: "max_delete_percent".into(),
            kind: Some(kind),
            count: n,
            message: format!(
                "deletes {n} of {total} {} ({}%), more than policy.max_delete_percent ({pct}%)",
                plural(kind, total),
                n * 100 / total
            ),
            ack,
        })
    } else if n > policy.max_deletes as usize {
        Some(Block {
            limit: "max_deletes".into(),
            kind: Some(kind),
            count: n,
            message: format!(
                "deletes {n} {}, more than policy.max_deletes ({})",
                plural(kind, n),
                policy.max_deletes
            ),
            ack,
        })
    } else {
        None
    }
}

pub fn blocks(actions: &[Action], live: &Live, policy: &Policy) -> Vec<Block> {
    let mut out = Vec::new();
    let totals = [
        (Kind::Member, live.members.len()),
        (Kind::ApiKey, live.api_keys.len()),
        (Kind::Tag, live.tags.len()),
        (Kind::Assignment, live.mappings.len()),
    ];
    for (kind, total) in totals {
        out.extend(deletion_block(kind, deletes(actions, kind), total, policy));
    }
    out.extend(unknown_permission_block(actions));
    let admins = admins_after(actions, live);
    if admins < policy.min_admins as usize {
        out.push(Block {
            limit: "min_admins".into(),
            kind: None,
            count: admins,
            message: format!(
                "would leave {admins} admin{} (the owner counts), fewer than policy.min_admins ({}); declare more admins or lower the policy",
                if admins == 1 { "" } else { "s" },
                policy.min_admins
            ),
            ack: None,
        });
    }
    out
}

/// A re-invite removes the member first; a permission the API then refuses
/// (a typo) would leave them removed. So a plan that re-invites with a
/// permission this tool does not know (W007) is blocked, with nothing to
/// acknowledge: `plan` shows what `apply` refuses. A fresh invite is not
/// blocked: the API's refusal of it leaves nobody worse off.
fn unknown_permission_block(actions: &[Action]) -> Option<Block> {
    let unknown: Vec<String> = actions
        .iter()
        .filter(|a| a.is_reinvite())
        .filter_map(|a| match &a.after {
            Some(State::Member(m)) => Some((a, m)),
            _ => None,
        })
        .flat_map(|(a, m)| {
            m.permissions
                .iter()
                .filter(|p| !crate::vocab::PERMISSIONS.contains(&p.as_str()))
                .map(move |p| format!("{} ({p})", a.address))
        })
        .collect();
    (!unknown.is_empty()).then(|| Block {
        limit: "W007".into(),
        kind: None,
        count: unknown.len(),
        message: format!(
            "re-invites {} with a permission this tool does not know: a re-invite removes the member first, and if the API refuses the permission (a typo) they are left removed; check the spelling (if Instantly added the permission, a newer instantly-rbac knows it)",
            unknown.join(", ")
        ),
        ack: None,
    })
}

/// `kind` as a noun for `n` of them: "1 member", "2 members".
fn plural(kind: Kind, n: usize) -> String {
    if n == 1 {
        kind.to_string()
    } else {
        format!("{kind}s")
    }
}

/// Checks `--ack-deletes` against the plan: every acknowledgeable block
/// needs its exact count, and an acknowledged count that differs from the
/// plan means the plan changed since review.
pub fn check_acks(
    actions: &[Action],
    blocks: &[Block],
    acks: &[(Kind, usize)],
) -> Result<(), String> {
    for (kind, n) in acks {
        let planned = deletes(actions, *kind);
        if planned != *n {
            return Err(format!(
                "--ack-deletes {kind}={n} does not match: the plan deletes {planned} {}; acknowledge the count the plan shows (if it changed since it was reviewed, review it again)",
                plural(*kind, planned)
            ));
        }
    }
    let mut missing = Vec::new();
    for b in blocks {
        match (&b.ack, b.kind) {
            (None, _) => {
                // A block's message may name a member (from the file or the API).
                let message = crate::escape::terminal(&b.message);
                return Err(format!("the plan is blocked: it {message}"));
            }
            (Some(ack), Some(kind)) if !acks.contains(&(kind, b.count)) => {
                missing.push(format!("{} (--ack-deletes {ack})", b.message))
            }
            _ => {}
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the plan is blocked by the deletion limits; after reviewing it, acknowledge each with the exact count:\n  {}",
            missing.join("\n  ")
        ))
    }
}

/// Parses `KIND=N` for `--ack-deletes`.
pub fn parse_ack(s: &str) -> Result<(Kind, usize), String> {
    let (k, n) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected KIND=N, e.g. member=12"))?;
    let kind: Kind = k.parse().map_err(|_| {
        format!("`{k}`: KIND is one of member, api_key, tag, assignment, sub_workspace")
    })?;
    let n = n
        .parse()
        .map_err(|_| format!("`{n}`: N must be a whole number"))?;
    Ok((kind, n))
}
