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
pub mod stamp;
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
    /// The API key the review was read with (the header).
    #[serde(skip)]
    pub read_with: ReadWith,
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
    /// A login timestamp that is not a date or in the future, when the
    /// member has no trusted one: why activity is unknown.
    #[serde(skip)]
    pub untrusted_login: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyRow {
    pub name: String,
    pub id: String,
    pub scopes: Vec<String>,
    pub access: Access,
    pub created: String,
    /// Whole days since it was created; `None` when the API gave no date,
    /// or one in the future (`stamp`).
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
    pub read_with: ReadWith,
}

/// Which key of the workspace the review was read with, as far as the
/// lists tell: the API shows keys masked (first and last four characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadWith {
    /// Exactly one key of the workspace has the mask of the key in use.
    Key(String),
    /// Several keys share the mask: its last four characters.
    Ambiguous(String),
    /// None has it: an agency key reading a sub-workspace.
    Other,
}

impl ReadWith {
    /// For the header; `esc` escapes the key's name for the output.
    pub fn describe(&self, esc: fn(&str) -> String) -> String {
        match self {
            ReadWith::Key(name) => format!("key \"{}\"", esc(name)),
            ReadWith::Ambiguous(tail) => format!(
                "a key ending …{} (ambiguous: several keys of the workspace end so)",
                esc(tail)
            ),
            ReadWith::Other => "a key of another workspace".to_owned(),
        }
    }
}

/// The file's team role for a member entry, when the live role and
/// permissions are exactly that team role's.
fn team_role(
    file: Option<(&Config, &crate::config::Declared)>,
    email: &crate::email::Email,
    live: &MemberRow,
) -> Option<String> {
    let (file, declared) = file?;
    let spec = declared.members.get(email)?;
    let RoleRef::Team(name) = &spec.role.value else {
        return None;
    };
    let (role, permissions) = file.resolve_role(&spec.role.value);
    let mut live_perms = live.permissions.clone();
    live_perms.sort();
    live_perms.dedup();
    (role.as_str() == live.role && permissions == live_perms).then(|| name.clone())
}

pub fn build(live: &Live, inputs: &Inputs) -> Review {
    let window_start = inputs.now - i64::from(inputs.inactive_days) * 86_400;
    let declared = inputs.file.map(|f| (f, f.declared()));
    let members = live
        .members
        .iter()
        .map(|m| {
            let permissions = m.permissions.clone().unwrap_or_default();
            let pending = !m.accepted;
            let mut untrusted_login = None;
            let (last_login, inactive) = match (inputs.logins, &m.user_id) {
                (_, _) if pending => (None, None),
                (Logins::Unknown(_), _) => (None, None),
                (Logins::Known(seen), Some(id)) => match seen.users.get(id) {
                    Some(user) => match &user.newest {
                        Some(ts) => {
                            let recent = matches!(stamp::stamp(ts, inputs.now),
                                stamp::Stamp::At(t) if t >= window_start);
                            (Some(ts.clone()), Some(!recent))
                        }
                        // Only logins at untrusted times: proof of nothing.
                        None => {
                            untrusted_login.clone_from(&user.untrusted);
                            (None, None)
                        }
                    },
                    // An unattributed login may be this member's.
                    None if seen.unattributed > 0 => (None, None),
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
                untrusted_login,
            };
            row.team_role = team_role(declared.as_ref().map(|(f, d)| (*f, d)), &m.email, &row);
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
            let age = stamp::age_days(&k.timestamp_created, inputs.now);
            KeyRow {
                name: k.name.clone(),
                id: k.id.clone(),
                scopes: k.scopes.clone(),
                access: access::of_key(&k.scopes),
                created: k.timestamp_created.clone(),
                age_days: age,
                rotation_due: matches!((age, rotate_after_days), (Some(a), Some(r)) if crate::planner::is_rotation_due(a, r)),
                overprivileged: !access::overprivileged_scopes(&k.scopes).is_empty(),
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
        read_with: inputs.read_with.clone(),
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
