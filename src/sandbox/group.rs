//! `/workspace-group-members`: the agency's group of client workspaces.
//! The rows live in the top (admin) workspace's state; a sub-workspace
//! served through `x-as-workspace` sees an empty group of its own and, at
//! `/admin`, the row that makes it a member.

// Both paths of a handler are HTTP answers, as in `routes`.
#![allow(clippy::result_large_err)]

use super::Shared;
use super::routes::{Answer, Req, bad, error, not_found, ok};
use super::state::{new_id, now_iso};
use crate::group_types::{GroupAdmin, GroupMember, GroupStatus, InviteSubWorkspace};
use axum::http::{Method, StatusCode};

const CONFLICT: &str =
    "The requested workspace hierarchy conflicts with an active workspace group relationship";

/// Rows for the sub-workspaces of a state written before groups existed:
/// every one of them accepted, as such states were served.
pub(super) fn legacy_rows(top: &super::state::SandboxState) -> Vec<GroupMember> {
    top.sub_workspaces
        .iter()
        .map(|s| GroupMember {
            id: new_id(),
            admin_workspace_id: top.workspace.id.clone(),
            sub_workspace_id: s.workspace.id.clone(),
            status: GroupStatus::Accepted,
            timestamp_created: top.workspace.timestamp_created.clone(),
            timestamp_updated: top.workspace.timestamp_created.clone(),
            sub_workspace_name: None,
            admin_workspace_name: None,
        })
        .collect()
}

/// Whether the agency's key may act on workspace `index` with
/// `x-as-workspace`: the agency itself, or a sub-workspace that accepted.
pub(super) fn reachable(shared: &Shared, rows: &[GroupMember], index: usize) -> bool {
    index == 0
        || rows
            .iter()
            .any(|r| r.status == GroupStatus::Accepted && r.sub_workspace_id == shared.ids[index])
}

/// Serves the group endpoints for workspace `target` (an index of
/// `shared.workspaces`); `rows` are the agency's, locked by the caller.
/// Returns whether the rows changed, with the answer.
pub(super) fn serve(
    shared: &Shared,
    rows: &mut Vec<GroupMember>,
    target: usize,
    rest: &[&str],
    r: &Req,
) -> (bool, Answer) {
    let named = |row: &GroupMember| GroupMember {
        sub_workspace_name: shared.name_of(&row.sub_workspace_id),
        admin_workspace_name: shared.name_of(&row.admin_workspace_id),
        ..row.clone()
    };
    // Only the agency (index 0) administers a group in the sandbox.
    let own: Vec<&GroupMember> = if target == 0 {
        rows.iter().collect()
    } else {
        Vec::new()
    };
    match (r.method.clone(), rest) {
        (Method::GET, []) => (
            false,
            super::routes::paginate_with(r, own, |m| &m.id, false, named),
        ),
        (Method::GET, ["admin"]) => {
            let row = (target != 0)
                .then(|| {
                    rows.iter()
                        .find(|m| m.sub_workspace_id == shared.ids[target])
                })
                .flatten();
            (
                false,
                ok(&GroupAdmin {
                    workspace_name: shared.names[target].clone(),
                    has_admin_workspace: row.is_some(),
                    workspace_group_member_id: row.map(|m| m.id.clone()),
                }),
            )
        }
        (Method::GET, [id]) => (
            false,
            own.iter()
                .find(|m| m.id == *id)
                .map_or(Err(not_found()), |m| ok(&named(m))),
        ),
        (Method::POST, []) => invite(shared, rows, target, r, named),
        (Method::DELETE, [id]) if target == 0 => match rows.iter().position(|m| m.id == *id) {
            Some(i) => {
                let row = rows.remove(i);
                (true, ok(&named(&row)))
            }
            None => (false, Err(not_found())),
        },
        (Method::DELETE, [_]) => (false, Err(not_found())),
        _ => (false, Err(super::routes::no_route())),
    }
}

fn invite(
    shared: &Shared,
    rows: &mut Vec<GroupMember>,
    target: usize,
    r: &Req,
    named: impl Fn(&GroupMember) -> GroupMember,
) -> (bool, Answer) {
    let body: InviteSubWorkspace = match r.json() {
        Ok(b) => b,
        Err(e) => return (false, Err(e)),
    };
    if uuid::Uuid::parse_str(&body.sub_workspace_id).is_err() {
        return (false, Err(bad("body/sub_workspace_id must be a uuid")));
    }
    let Some(invited) = shared
        .ids
        .iter()
        .position(|id| *id == body.sub_workspace_id)
    else {
        return (false, Err(not_found()));
    };
    let conflict = (false, Err(error(StatusCode::CONFLICT, CONFLICT)));
    // A workspace is never both an admin and a sub-workspace, nor its own
    // sub-workspace; an invited one has one active parent at most.
    if target != 0 || invited == 0 {
        return conflict;
    }
    if rows
        .iter()
        .any(|m| m.sub_workspace_id == body.sub_workspace_id && m.status.is_active())
    {
        return conflict;
    }
    let now = now_iso();
    let row = GroupMember {
        id: new_id(),
        admin_workspace_id: shared.ids[0].clone(),
        sub_workspace_id: shared.ids[invited].clone(),
        status: GroupStatus::Pending,
        timestamp_created: now.clone(),
        timestamp_updated: now,
        sub_workspace_name: None,
        admin_workspace_name: None,
    };
    let answer = ok(&named(&row));
    rows.push(row);
    (true, answer)
}
