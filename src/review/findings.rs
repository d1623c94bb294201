//! What a reviewer should look at: inactive members, old pending
//! invitations, over-privileged keys, keys due for rotation, access the
//! desired file does not declare, and last logins that are unknown. Pure.

use super::{Inputs, Review, stamp};
use crate::access::{self, Column};
use crate::ignore::IgnoreSet;
use crate::privileges::{MemberPrivileges, scopes_beyond};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The audit log could not be read, or some logins name no user:
    /// activity is unknown.
    ActivityUnknown,
    /// A timestamp from the API that is not a date or in the future: the
    /// activity or age it would tell is unknown.
    UntrustedTimestamp,
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
            Kind::UntrustedTimestamp => "untrusted_timestamp",
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

/// `1 day`, `2 days`.
fn days(n: i64) -> String {
    format!("{n} {}", if n == 1 { "day" } else { "days" })
}

/// The findings of a review, in the order of `Kind`, then address.
pub fn find(r: &Review, inputs: &Inputs) -> Vec<Finding> {
    let mut out = Vec::new();
    let window = days(i64::from(inputs.inactive_days));
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
    if let Some(note) = inputs.logins.unattributed_note() {
        push(Kind::ActivityUnknown, "workspace".into(), note);
    }
    for m in &r.members {
        if m.inactive == Some(true) {
            let detail = match &m.last_login {
                Some(t) => format!("last login {t}, more than {window} ago"),
                None => format!("no login in the last {window}"),
            };
            push(Kind::InactiveMember, member_address(&m.email), detail);
        }
        if let Some(ts) = &m.untrusted_login
            && let Some(why) = stamp::untrusted(ts, inputs.now)
        {
            push(
                Kind::UntrustedTimestamp,
                member_address(&m.email),
                format!("last login {why}: activity unknown"),
            );
        }
        if m.pending {
            match stamp::age_days(&m.created, inputs.now) {
                Some(age) if age > i64::from(inputs.inactive_days) => push(
                    Kind::PendingInvitation,
                    member_address(&m.email),
                    format!("invited {} ago and not accepted", days(age)),
                ),
                Some(_) => {}
                // An invitation of unknown age may be old: shown, not dropped.
                None => push(
                    Kind::PendingInvitation,
                    member_address(&m.email),
                    format!(
                        "not accepted; invited at an unknown time ({})",
                        stamp::untrusted(&m.created, inputs.now).unwrap_or_default()
                    ),
                ),
            }
        }
    }
    for k in &r.api_keys {
        if k.overprivileged {
            push(
                Kind::OverprivilegedKey,
                key_address(&k.name),
                format!(
                    "scopes [{}] give full access everywhere, or write API keys or members",
                    access::overprivileged_scopes(&k.scopes).join(", ")
                ),
            );
        }
        if let Some(why) = stamp::untrusted(&k.created, inputs.now) {
            let rotation = match k.rotate_after_days {
                Some(n) => format!(
                    "; rotate_after_days is {n}, but whether it is due cannot be told: rotate it by hand"
                ),
                None => String::new(),
            };
            push(
                Kind::UntrustedTimestamp,
                key_address(&k.name),
                format!("created {why}: its age is unknown{rotation}"),
            );
        }
        if k.rotation_due {
            push(
                Kind::RotationDue,
                key_address(&k.name),
                format!(
                    "{} old; rotate_after_days is {}",
                    days(k.age_days.unwrap_or_default()),
                    k.rotate_after_days.unwrap_or_default()
                ),
            );
        }
    }
    if let Some(file) = inputs.file {
        let name = inputs.file_name.as_deref().unwrap_or("the file");
        // What the file leaves to others (`policy.ignore`) it does not
        // claim to declare.
        let ignore = IgnoreSet::new(&file.policy.ignore);
        let declared = file.declared();
        for m in &r.members {
            let email = crate::email::Email::from(m.email.as_str());
            if ignore.member(&email) {
                continue;
            }
            match declared.members.get(&email) {
                None => push(
                    Kind::UndeclaredAccess,
                    member_address(&m.email),
                    format!("not declared in {name}"),
                ),
                Some(spec) => {
                    let (role, perms) = file.resolve_role(&spec.role.value);
                    let live_role = crate::role::Role::from(m.role.as_str());
                    let more = match beyond(&m.access, &access::of_member(&role, &perms)) {
                        cols if !cols.is_empty() => cols,
                        // Exactly, not only through the matrix: a permission
                        // outside its columns is access too.
                        _ => match MemberPrivileges::of(&live_role, &m.permissions)
                            .beyond(&MemberPrivileges::of(&role, &perms))
                        {
                            Err(r) => format!("role {r}, every privilege (declared {role})"),
                            Ok(v) => v.join(", "),
                        },
                    };
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
            if ignore.api_key(&k.name) {
                continue;
            }
            match declared.api_keys.get(k.name.as_str()) {
                None => push(
                    Kind::UndeclaredAccess,
                    key_address(&k.name),
                    format!("not declared in {name}"),
                ),
                Some(spec) => {
                    let more = match beyond(&k.access, &access::of_key(&spec.scopes)) {
                        cols if !cols.is_empty() => cols,
                        _ => scopes_beyond(&k.scopes, &spec.scopes)
                            .iter()
                            .map(|(s, _)| format!("scope {s}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    };
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
