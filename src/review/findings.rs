//! What a reviewer should look at: inactive members, old pending
//! invitations, over-privileged keys, keys due for rotation, access the
//! desired file does not declare, and last logins that are unknown. Pure.

use super::{Inputs, Review};
use crate::access::{self, Column};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The audit log could not be read: activity is unknown.
    ActivityUnknown,
    InactiveMember,
    PendingInvitation,
    OverprivilegedKey,
    RotationDue,
    UndeclaredAccess,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ActivityUnknown => "activity_unknown",
            Kind::InactiveMember => "inactive_member",
            Kind::PendingInvitation => "pending_invitation",
            Kind::OverprivilegedKey => "overprivileged_key",
            Kind::RotationDue => "rotation_due",
            Kind::UndeclaredAccess => "undeclared_access",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// `member[EMAIL]`, `api_key[NAME]`, or `workspace`.
    pub address: String,
    /// Unescaped: the renderers escape it for their output.
    pub detail: String,
}

fn member_address(email: &str) -> String {
    format!("member[{email}]")
}

fn key_address(name: &str) -> String {
    format!("api_key[{name}]")
}

/// The findings of a review, in the order of `Kind`, then address.
pub fn find(r: &Review, inputs: &Inputs) -> Vec<Finding> {
    let mut out = Vec::new();
    let days = inputs.inactive_days;
    let mut push = |kind, address: String, detail: String| {
        out.push(Finding {
            kind,
            address,
            detail,
        })
    };
    if let Some(note) = inputs.logins.note() {
        push(Kind::ActivityUnknown, "workspace".into(), note);
    }
    for m in &r.members {
        if m.inactive == Some(true) {
            let detail = match &m.last_login {
                Some(t) => format!("last login {t}, more than {days} days ago"),
                None => format!("no login in the last {days} days"),
            };
            push(Kind::InactiveMember, member_address(&m.email), detail);
        }
        let age = super::age_days(&m.created, inputs.now);
        if let (true, Some(age)) = (m.pending, age)
            && age > i64::from(days)
        {
            push(
                Kind::PendingInvitation,
                member_address(&m.email),
                format!("invited {age} days ago and not accepted"),
            );
        }
    }
    for k in &r.api_keys {
        if k.overprivileged {
            let wide: Vec<&str> = k
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|s| super::overprivileged(&[(*s).to_owned()]))
                .collect();
            push(
                Kind::OverprivilegedKey,
                key_address(&k.name),
                format!(
                    "scopes [{}] reach every resource, keys or members",
                    wide.join(", ")
                ),
            );
        }
        if k.rotation_due {
            push(
                Kind::RotationDue,
                key_address(&k.name),
                format!(
                    "{} days old; rotate_after_days is {}",
                    k.age_days.unwrap_or_default(),
                    k.rotate_after_days.unwrap_or_default()
                ),
            );
        }
    }
    if let Some(file) = inputs.file {
        let name = inputs.file_name.as_deref().unwrap_or("the file");
        for m in &r.members {
            let declared = file
                .members
                .iter()
                .find(|s| s.email.value == crate::email::Email::from(m.email.as_str()));
            match declared {
                None => push(
                    Kind::UndeclaredAccess,
                    member_address(&m.email),
                    format!("not declared in {name}"),
                ),
                Some(spec) => {
                    let (role, perms) = file.resolve_role(&spec.role.value);
                    let more = beyond(&m.access, &access::of_member(&role, &perms));
                    if !more.is_empty() {
                        push(
                            Kind::UndeclaredAccess,
                            member_address(&m.email),
                            format!("holds more than {name} declares: {more}"),
                        );
                    }
                }
            }
        }
        for k in &r.api_keys {
            match file.api_keys.iter().find(|s| s.name.value == k.name) {
                None => push(
                    Kind::UndeclaredAccess,
                    key_address(&k.name),
                    format!("not declared in {name}"),
                ),
                Some(spec) => {
                    let more = beyond(&k.access, &access::of_key(&spec.scopes));
                    if !more.is_empty() {
                        push(
                            Kind::UndeclaredAccess,
                            key_address(&k.name),
                            format!("holds more than {name} declares: {more}"),
                        );
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (a.kind, &a.address).cmp(&(b.kind, &b.address)));
    out
}

/// `campaigns edit (declared view), …`: the columns where `live` exceeds
/// `declared`.
fn beyond(live: &access::Access, declared: &access::Access) -> String {
    Column::ALL
        .iter()
        .filter(|c| live.get(**c) > declared.get(**c))
        .map(|c| {
            format!(
                "{} {} (declared {})",
                c.as_str(),
                live.get(*c).as_str(),
                declared.get(*c).as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
