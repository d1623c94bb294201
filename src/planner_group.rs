//! Planning the workspace group: the declared sub-workspaces against the
//! agency's live rows. Pure, like the rest of the planner (`planner.rs`
//! calls it when the file declares `workspace_group`).
//!
//! A missing workspace is invited (then pending until its owner accepts);
//! a pending or accepted one is no change; a rejected one is invited again,
//! which the API does by DELETE then POST (a replacement, acknowledged with
//! `--allow-reinvite`); an undeclared row is removed under the
//! authoritative policy.

use crate::config::{Config, Mode};
use crate::group_types::{GroupMember, GroupStatus};
use crate::ignore::IgnoreSet;
use crate::live_group::LiveGroup;
use crate::plan::{Action, Kind, Op, State, SubWorkspaceState, Unmanaged};
use crate::safety::Block;
use std::collections::{HashMap, HashSet};

/// What planning the group adds to a plan.
#[derive(Default)]
pub struct GroupPlan {
    pub actions: Vec<Action>,
    pub unmanaged: Vec<Unmanaged>,
    pub warnings: Vec<String>,
}

/// `sub_workspace[<name or id>]`: the declared name, else the live one,
/// else the id; the id whenever two entries would share a name.
fn addresses(desired: &Config, live: &LiveGroup) -> HashMap<String, String> {
    let mut name_of: HashMap<String, String> = HashMap::new();
    for m in &live.members {
        if let Some(n) = m.sub_workspace_name.as_ref().filter(|n| !n.is_empty()) {
            name_of.insert(m.sub_workspace_id.to_lowercase(), n.clone());
        }
    }
    for s in declared(desired) {
        if let Some(n) = &s.name {
            name_of.insert(s.id.value.to_lowercase(), n.value.clone());
        }
    }
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for n in name_of.values() {
        *uses.entry(n.as_str()).or_default() += 1;
    }
    let ids: HashSet<String> = live
        .members
        .iter()
        .map(|m| m.sub_workspace_id.to_lowercase())
        .chain(declared(desired).map(|s| s.id.value.to_lowercase()))
        .collect();
    ids.into_iter()
        .map(|id| {
            let shown = match name_of.get(&id) {
                // A name that is also another entry's id would be read as that one.
                Some(n) if uses[n.as_str()] == 1 && !name_of.contains_key(&n.to_lowercase()) => {
                    n.clone()
                }
                _ => id.clone(),
            };
            (id, format!("sub_workspace[{shown}]"))
        })
        .collect()
}

fn declared(desired: &Config) -> impl Iterator<Item = &crate::config::SubWorkspaceSpec> {
    desired
        .workspace_group
        .iter()
        .flat_map(|g| g.sub_workspaces.iter())
}

fn state(m: &GroupMember, name: Option<&str>) -> SubWorkspaceState {
    SubWorkspaceState {
        sub_workspace_id: m.sub_workspace_id.clone(),
        name: name
            .map(str::to_owned)
            .or_else(|| m.sub_workspace_name.clone()),
        status: m.status.clone(),
    }
}

fn action(
    address: &str,
    op: Op,
    before: Option<SubWorkspaceState>,
    after: Option<SubWorkspaceState>,
) -> Action {
    Action {
        address: address.to_owned(),
        kind: Kind::SubWorkspace,
        op,
        phase: 0,
        before: before.map(State::SubWorkspace),
        after: after.map(State::SubWorkspace),
        reason: None,
        live_id: None,
        risk: Default::default(),
        attribution: None,
        source: None,
    }
}

/// The row that stands for workspace `id`: an active one (pending or
/// accepted) when there is one, else the newest.
fn row_for<'a>(live: &'a LiveGroup, id: &str) -> Option<&'a GroupMember> {
    let rows: Vec<&GroupMember> = live
        .members
        .iter()
        .filter(|m| m.sub_workspace_id.eq_ignore_ascii_case(id))
        .collect();
    rows.iter()
        .find(|m| m.status.is_active())
        .or_else(|| {
            rows.iter()
                .max_by(|a, b| a.timestamp_created.cmp(&b.timestamp_created))
        })
        .copied()
}

pub fn plan(desired: &Config, live: &LiveGroup) -> GroupPlan {
    let mut out = GroupPlan::default();
    let Some(group) = &desired.workspace_group else {
        return out;
    };
    let address = addresses(desired, live);
    let ignore = IgnoreSet::new(&desired.policy.ignore);
    let mut used: HashSet<&str> = HashSet::new();
    for spec in &group.sub_workspaces {
        let id = &spec.id.value;
        let addr = &address[&id.to_lowercase()];
        let name = spec.name.as_ref().map(|n| n.value.as_str());
        let Some(row) = row_for(live, id) else {
            out.actions.push(action(
                addr,
                Op::Create,
                None,
                Some(SubWorkspaceState {
                    sub_workspace_id: id.clone(),
                    name: name.map(str::to_owned),
                    status: GroupStatus::Pending,
                }),
            ));
            continue;
        };
        used.insert(&row.id);
        if let (Some(want), Some(have)) = (name, row.sub_workspace_name.as_deref())
            && want != have
        {
            out.warnings.push(format!(
                "{addr}: the file names it `{want}`, but the workspace is named `{have}`"
            ));
        }
        match &row.status {
            GroupStatus::Pending | GroupStatus::Accepted => {}
            GroupStatus::Rejected => {
                let mut a = action(
                    addr,
                    Op::Replace,
                    Some(state(row, name)),
                    Some(SubWorkspaceState {
                        status: GroupStatus::Pending,
                        ..state(row, name)
                    }),
                );
                a.reason = Some(
                    "the invitation was rejected: it is deleted and sent again (the API has no other way)"
                        .into(),
                );
                a.live_id = Some(row.id.clone());
                out.actions.push(a);
            }
            GroupStatus::Other(s) => {
                out.warnings.push(format!(
                    "{addr}: the group answers status `{s}`, which this version does not know; left as it is"
                ));
                out.unmanaged.push(Unmanaged {
                    address: addr.clone(),
                    why: format!("unknown status `{s}`"),
                    attribution: None,
                });
            }
        }
    }
    let declared_ids: HashSet<String> = group
        .sub_workspaces
        .iter()
        .map(|s| s.id.value.to_lowercase())
        .collect();
    for row in &live.members {
        if used.contains(row.id.as_str()) {
            continue;
        }
        let addr = &address[&row.sub_workspace_id.to_lowercase()];
        let leave = |why: String| Unmanaged {
            address: addr.clone(),
            why,
            attribution: None,
        };
        if declared_ids.contains(&row.sub_workspace_id.to_lowercase()) {
            // An earlier invitation of a workspace whose current one is planned above.
            out.unmanaged.push(leave(format!(
                "an earlier invitation ({}) of a declared workspace",
                row.status
            )));
        } else if let GroupStatus::Other(s) = &row.status {
            // A status this version does not know is never acted on.
            out.unmanaged.push(leave(format!("unknown status `{s}`")));
        } else if ignore.sub_workspace(row.sub_workspace_name.as_deref(), &row.sub_workspace_id) {
            out.unmanaged
                .push(leave("matches policy.ignore.sub_workspaces".into()));
        } else if desired.policy.workspace_group == Mode::Additive {
            out.unmanaged.push(leave(
                "not declared; policy.workspace_group is additive".into(),
            ));
        } else {
            let mut a = action(addr, Op::Delete, Some(state(row, None)), None);
            a.live_id = Some(row.id.clone());
            out.actions.push(a);
        }
    }
    out
}

/// The deletion limits for the group's removals (`safety`).
pub fn blocks(actions: &[Action], live: &LiveGroup, desired: &Config) -> Option<Block> {
    let n = actions
        .iter()
        .filter(|a| a.kind == Kind::SubWorkspace && a.op == Op::Delete)
        .count();
    crate::safety::deletion_block(Kind::SubWorkspace, n, live.members.len(), &desired.policy)
}
