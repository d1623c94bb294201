//! `/workspace-members`: list, invite, get, change role and nickname, remove.
// Handlers answer HTTP on both paths; boxing the error one buys nothing.
#![allow(clippy::result_large_err)]

use super::routes::{Answer, Req, bad, no_route, not_found, ok, paginate};
use super::state::{SandboxState, new_id, now_iso};
use crate::api_types::*;
use crate::email::Email;
use crate::role::Role;
use crate::vocab;
use axum::http::Method;
use serde::Deserialize;

/// The invite body: `InviteMember` and the optional fields the tool does not
/// send in it (`nickname`, `user_email`).
#[derive(Deserialize)]
struct Invite {
    #[serde(flatten)]
    member: InviteMember,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    user_email: Option<String>,
}

pub(super) fn members(st: &mut SandboxState, r: &Req, rest: &[&str]) -> Answer {
    let find = |st: &SandboxState, id: &str| st.members.iter().position(|m| m.id == id);
    match (r.method.clone(), rest) {
        (Method::GET, []) => {
            let accepted = r.query.get("accepted").map(|a| a == "true");
            let search = r.query.get("search").map(|s| Email::fold(s));
            let items: Vec<&Member> = st
                .members
                .iter()
                .filter(|m| accepted.is_none_or(|a| m.accepted == a))
                .filter(|m| {
                    search
                        .as_ref()
                        .is_none_or(|s| m.email.key().contains(s.as_str()))
                })
                .collect();
            paginate(r, items, |m| &m.id, false)
        }
        (Method::POST, []) => {
            let Invite {
                member: inv,
                nickname,
                user_email,
            } = r.json()?;
            if !inv.role.is_settable() {
                return Err(bad_role());
            }
            if !vocab::is_email(inv.email.as_str()) {
                return Err(bad("body/email must be a valid email"));
            }
            if let Some(p) = inv
                .permissions
                .iter()
                .flatten()
                .find(|p| !vocab::PERMISSIONS.contains(&p.as_str()))
            {
                return Err(bad(format!("body/permissions: unknown permission {p}")));
            }
            if st.members.iter().any(|m| m.email == inv.email) {
                return Err(bad(format!(
                    "{} is already a member of this workspace",
                    inv.email
                )));
            }
            let m = Member {
                id: new_id(),
                email: inv.email,
                user_id: None,
                role: inv.role,
                accepted: false,
                permissions: inv.permissions,
                nickname,
                user_email,
                workspace_id: st.workspace.id.clone(),
                timestamp_created: now_iso(),
            };
            st.members.push(m.clone());
            ok(&m)
        }
        (Method::GET, [id]) => match find(st, id) {
            Some(i) => ok(&st.members[i]),
            None => Err(not_found()),
        },
        (Method::PATCH, [id]) => {
            let i = find(st, id).ok_or_else(not_found)?;
            let patch: PatchMember = r.json()?;
            if patch.role.is_none() && patch.nickname.is_none() {
                return Err(bad("body must have at least one of role, nickname"));
            }
            if let Some(role) = patch.role {
                if st.members[i].role == Role::Owner {
                    return Err(bad("the owner's role cannot be changed"));
                }
                if !role.is_settable() {
                    return Err(bad_role());
                }
                st.members[i].role = role;
            }
            if let Some(nickname) = patch.nickname {
                st.members[i].nickname = Some(nickname);
            }
            ok(&st.members[i])
        }
        (Method::DELETE, [id]) => {
            let i = find(st, id).ok_or_else(not_found)?;
            if st.members[i].role == Role::Owner {
                return Err(bad("the owner cannot be removed"));
            }
            ok(&st.members.remove(i))
        }
        _ => Err(no_route()),
    }
}

/// The answer to a role the API cannot set.
fn bad_role() -> axum::response::Response {
    let names: Vec<&str> = Role::SETTABLE.iter().map(Role::as_str).collect();
    bad(format!("body/role must be one of {}", names.join(", ")))
}
