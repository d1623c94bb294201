//! `review`: who can do what in a workspace, and who has not used their
//! access — the evidence of a quarterly access review. Built pure from the
//! live workspace, the logins read from the audit log (`activity`), the
//! desired file when given and "now"; `findings` says what needs a look;
//! one renderer per format (`text`, `markdown`, `csv`, `json`).

pub mod activity;
pub mod csv;
pub mod findings;
pub mod json;
pub mod markdown;
pub mod summary;
pub mod text;

use crate::access::{self, Access};
use crate::config::{Config, RoleRef};
use crate::live::Live;
use activity::Logins;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct WorkspaceRef {
    pub id: String,
    pub name: String,
}

/// One workspace's review, in the JSON shape of `--format json`.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub format_version: &'static str,
    pub workspace: WorkspaceRef,
    pub generated_at: String,
    pub members: Vec<MemberRow>,
    pub api_keys: Vec<KeyRow>,
    pub findings: Vec<findings::Finding>,
    /// The name of the API key the review was read with (Markdown's header).
    #[serde(skip)]
    pub reviewer_key: Option<String>,
    #[serde(skip)]
    pub inactive_days: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberRow {
    pub email: String,
    /// The API's role, as it is (an unknown one kept).
    pub role: String,
    /// With `-f`: the team role the file gives the member, when the live
    /// role and permissions are exactly that team role's.
    pub team_role: Option<String>,
    pub permissions: Vec<String>,
    pub access: Access,
    pub pending: bool,
    /// The newest login within the window; `None` when there was none or
    /// the log could not be read (`inactive` tells which).
    pub last_login: Option<String>,
    /// `None`: unknown (the log could not be read, or the invitation is
    /// not accepted yet).
    pub inactive: Option<bool>,
    #[serde(skip)]
    pub created: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyRow {
    pub name: String,
    pub id: String,
    pub scopes: Vec<String>,
    pub access: Access,
    pub created: String,
    /// Whole days since it was created; `None` when the API gave no date.
    pub age_days: Option<i64>,
    pub rotation_due: bool,
    pub overprivileged: bool,
    #[serde(skip)]
    pub rotate_after_days: Option<u32>,
}

/// What `build` needs besides the live workspace.
pub struct Inputs<'a> {
    pub logins: &'a Logins,
    pub file: Option<&'a Config>,
    /// The path of the file, as findings name it.
    pub file_name: Option<String>,
    pub now: i64,
    pub inactive_days: u32,
    pub reviewer_key: Option<String>,
}

/// Whole days from `created` to `now`, or `None` when it is not a date.
fn age_days(created: &str, now: i64) -> Option<i64> {
    crate::timestamp::parse(created).map(|t| (now - t).div_euclid(86_400))
}

/// The file's team role for a member entry, when the live role and
/// permissions are exactly that team role's.
fn team_role(
    file: Option<&Config>,
    email: &crate::email::Email,
    live: &MemberRow,
) -> Option<String> {
    let file = file?;
    let spec = file.members.iter().find(|m| m.email.value == *email)?;
    let RoleRef::Team(name) = &spec.role.value else {
        return None;
    };
    let (role, permissions) = file.resolve_role(&spec.role.value);
    let mut live_perms = live.permissions.clone();
    live_perms.sort();
    live_perms.dedup();
    (role.as_str() == live.role && permissions == live_perms).then(|| name.clone())
}

/// Whether a key's scopes reach everything (`all:*`) or can change keys
/// or members (writes to `api_keys` or `workspace_members`).
pub fn overprivileged(scopes: &[String]) -> bool {
    scopes.iter().any(|s| match s.split_once(':') {
        Some(("all", _)) => true,
        Some(("api_keys" | "workspace_members", action)) => action != "read",
        _ => false,
    })
}

pub fn build(live: &Live, inputs: &Inputs) -> Review {
    let window_start = inputs.now - i64::from(inputs.inactive_days) * 86_400;
    let members = live
        .members
        .iter()
        .map(|m| {
            let permissions = m.permissions.clone().unwrap_or_default();
            let pending = !m.accepted;
            let (last_login, inactive) = match (inputs.logins, &m.user_id) {
                (_, _) if pending => (None, None),
                (Logins::Unknown(_), _) => (None, None),
                (Logins::Known(seen), Some(id)) => match seen.get(id) {
                    Some(ts) => {
                        let recent = crate::timestamp::parse(ts).is_some_and(|t| t >= window_start);
                        (Some(ts.clone()), Some(!recent))
                    }
                    None => (None, Some(true)),
                },
                // Accepted, but the API gave no user id to match logins by.
                (Logins::Known(_), None) => (None, None),
            };
            let mut row = MemberRow {
                email: m.email.to_string(),
                role: m.role.to_string(),
                team_role: None,
                access: access::of_member(&m.role, &permissions),
                permissions,
                pending,
                last_login,
                inactive,
                created: m.timestamp_created.clone(),
            };
            row.team_role = team_role(inputs.file, &m.email, &row);
            row
        })
        .collect();
    let api_keys = live
        .api_keys
        .iter()
        .map(|k| {
            let rotate_after_days = inputs.file.and_then(|f| {
                f.api_keys
                    .iter()
                    .find(|s| s.name.value == k.name)
                    .and_then(|s| s.rotate_after_days)
            });
            let age = age_days(&k.timestamp_created, inputs.now);
            KeyRow {
                name: k.name.clone(),
                id: k.id.clone(),
                scopes: k.scopes.clone(),
                access: access::of_key(&k.scopes),
                created: k.timestamp_created.clone(),
                age_days: age,
                rotation_due: matches!((age, rotate_after_days), (Some(a), Some(r)) if a >= i64::from(r)),
                overprivileged: overprivileged(&k.scopes),
                rotate_after_days,
            }
        })
        .collect();
    let mut review = Review {
        format_version: "1",
        workspace: WorkspaceRef {
            id: live.workspace.id.clone(),
            name: live.workspace.name.clone(),
        },
        generated_at: iso(inputs.now),
        members,
        api_keys,
        findings: Vec::new(),
        reviewer_key: inputs.reviewer_key.clone(),
        inactive_days: inputs.inactive_days,
    };
    review.findings = findings::find(&review, inputs);
    review
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
pub fn iso(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::timestamp::date(secs),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::overprivileged;

    #[test]
    fn overprivileged_keys_reach_everything_or_write_keys_or_members() {
        let o = |s: &[&str]| overprivileged(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(o(&["all:read"]));
        assert!(o(&["all:all"]));
        assert!(o(&["api_keys:create"]));
        assert!(o(&["workspace_members:all"]));
        assert!(o(&["campaigns:read", "workspace_members:delete"]));
        assert!(!o(&["api_keys:read", "workspace_members:read"]));
        assert!(!o(&["campaigns:all", "leads:all"]));
        assert!(!o(&["weird"]));
    }
}
