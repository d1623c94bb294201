//! Saved plans: `plan --out PLAN` records the actions together with a
//! version token of every live object they touch and a digest of the desired
//! file. A plan file is verified, never trusted: `apply PLAN` loads the
//! desired file again (its digest must match), plans it against the live
//! workspace again, reports the touched objects whose tokens moved, and
//! applies only when every saved action equals the recomputed one
//! (`difference`); what it applies is the recomputed plan, with its own
//! blocks and protections.

use crate::live::{Index, Live};
use crate::live_group::LiveGroup;
use crate::plan::{Action, AssignmentState, Kind, Op, Plan, State};
use crate::planner::{key_state, member_state, tag_state};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// 2: each action carries its `phase`, and the file's action order is the
/// order of execution.
pub const FORMAT_VERSION: &str = "2";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: String,
    /// The instantly-rbac version that wrote it (informational).
    pub tool_version: String,
    pub desired: DesiredRef,
    pub plan: Plan,
    /// One per action: the version of the touched live object when planned.
    pub tokens: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredRef {
    pub path: String,
    pub sha256: String,
}

/// An object a saved plan touches that changed since the plan was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub address: String,
    /// As planned against (None: it did not exist).
    pub planned: Option<State>,
    /// As it is now (None: it does not exist).
    pub now: Option<State>,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("{path} is not a plan file written by `instantly-rbac plan --out`: {detail}")]
    Corrupt { path: String, detail: String },
    #[error(
        "{path} has plan format_version {found:?}; this instantly-rbac reads version {FORMAT_VERSION}: re-run `plan --out` with this version"
    )]
    Version { path: String, found: String },
    #[error(
        "{path} lists its actions out of phase order ({address} in phase {phase} after an action of phase {previous}); applying it could revoke access before granting it, so nothing was changed: re-run `plan --out`"
    )]
    OutOfOrder {
        path: String,
        address: String,
        phase: u8,
        previous: u8,
    },
    #[error(
        "{plan} was made from a different desired file than {file} (another file, or its content changed since the plan): re-run `plan --out`"
    )]
    OtherFile { plan: String, file: String },
    #[error(
        "{plan} was made from {file}, which cannot be read ({error}): pass -f FILE, the desired file it was planned from; nothing was changed"
    )]
    NoDesiredFile {
        plan: String,
        file: String,
        error: String,
    },
    #[error(
        "the saved plan differs from the plan of {file} now: {difference}; nothing was changed: run plan --out again and review it"
    )]
    Differs { file: String, difference: String },
    #[error(
        "{plan} is for workspace {planned}, but the API key reaches workspace {now}; nothing was changed"
    )]
    OtherWorkspace {
        plan: String,
        planned: String,
        now: String,
    },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl SavedPlan {
    pub fn new(plan: &Plan, live: &Live, desired_path: &str, desired_bytes: &[u8]) -> SavedPlan {
        SavedPlan::of(plan, live, None, desired_path, desired_bytes)
    }

    /// `new`, with the workspace group's tokens for a plan of a file that
    /// declares `workspace_group` (the group read with it): one token per
    /// action, over one index of the live workspace.
    pub fn of(
        plan: &Plan,
        live: &Live,
        group: Option<&LiveGroup>,
        desired_path: &str,
        desired_bytes: &[u8],
    ) -> SavedPlan {
        let index = Index::new(live);
        SavedPlan {
            format_version: FORMAT_VERSION.into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            desired: DesiredRef {
                path: desired_path.into(),
                sha256: sha256_hex(desired_bytes),
            },
            tokens: plan
                .actions
                .iter()
                .map(|a| token_of(a, &index, group))
                .collect(),
            plan: plan.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a saved plan serializes") + "\n"
    }

    pub fn parse(path: &str, text: &str) -> Result<SavedPlan, SavedPlanError> {
        let corrupt = |detail: String| SavedPlanError::Corrupt {
            path: path.into(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        match value.get("format_version").and_then(|v| v.as_str()) {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(SavedPlanError::Version {
                    path: path.into(),
                    found: other.into(),
                });
            }
            None => return Err(corrupt("no `format_version`".into())),
        }
        let saved: SavedPlan = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        if saved.tokens.len() != saved.plan.actions.len() {
            return Err(corrupt("one version token per action is expected".into()));
        }
        if let Some(w) = saved
            .plan
            .actions
            .windows(2)
            .find(|w| w[1].phase < w[0].phase)
        {
            return Err(SavedPlanError::OutOfOrder {
                path: path.into(),
                address: w[1].address.clone(),
                phase: w[1].phase,
                previous: w[0].phase,
            });
        }
        Ok(saved)
    }

    /// The touched objects whose version differs from the planned one.
    pub fn changed(&self, live: &Live) -> Vec<Changed> {
        self.changed_in(live, None)
    }

    /// `changed`, the workspace group included (as read for the plan).
    pub fn changed_in(&self, live: &Live, group: Option<&LiveGroup>) -> Vec<Changed> {
        let index = Index::new(live);
        self.plan
            .actions
            .iter()
            .zip(&self.tokens)
            .filter(|(a, t)| token_of(a, &index, group) != **t)
            .map(|(a, _)| Changed {
                address: a.address.clone(),
                planned: if a.op == Op::Create {
                    None
                } else {
                    a.before.clone()
                },
                now: current(a, &index, group).map(|(s, _)| s),
            })
            .collect()
    }
}

/// The first way the saved actions differ from the actions planned now,
/// as `action N ADDRESS: FIELD is X in the plan, Y when recomputed`; `None`
/// when they are the same actions in the same order. Compared: address,
/// kind, op, phase, live_id, before and after. The rest of a plan (reasons,
/// risks, blocks, protections, warnings) is derived, and taken from the
/// recomputed plan, never from the file.
pub fn difference(saved: &[Action], now: &[Action]) -> Option<String> {
    for (i, (s, n)) in saved.iter().zip(now).enumerate() {
        let number = i + 1;
        let address = printable(&s.address);
        if s.address != n.address {
            let recomputed = printable(&n.address);
            // Scanned once, at the first difference: the comparison ends there.
            let in_saved = |address: &str| saved.iter().any(|a| a.address == address);
            let in_now = |address: &str| now.iter().any(|a| a.address == address);
            return Some(if !in_now(&s.address) {
                format!("action {number} {address} is in the plan but not recomputed")
            } else if !in_saved(&n.address) {
                format!("action {number} {recomputed} is recomputed but not in the plan")
            } else {
                format!("action {number} is {address} in the plan, {recomputed} when recomputed")
            });
        }
        let fields = [
            ("kind", json(&s.kind), json(&n.kind)),
            ("op", json(&s.op), json(&n.op)),
            ("phase", json(&s.phase), json(&n.phase)),
            ("live_id", json(&s.live_id), json(&n.live_id)),
            ("before", json(&s.before), json(&n.before)),
            ("after", json(&s.after), json(&n.after)),
        ];
        for (field, planned, recomputed) in fields {
            if let Some((path, planned, recomputed)) = first_change(field, &planned, &recomputed) {
                return Some(format!(
                    "action {number} {address}: {} is {} in the plan, {} when recomputed",
                    printable(&path),
                    shown(&planned),
                    shown(&recomputed)
                ));
            }
        }
    }
    let common = saved.len().min(now.len());
    if let Some(extra) = saved.get(common) {
        return Some(format!(
            "action {} {} is in the plan but not recomputed",
            common + 1,
            printable(&extra.address)
        ));
    }
    now.get(common).map(|missing| {
        format!(
            "action {} {} is recomputed but not in the plan",
            common + 1,
            printable(&missing.address)
        )
    })
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("plan fields serialize")
}

/// The first field (by dotted path) where two values differ; a field one
/// side lacks is null there.
fn first_change(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
) -> Option<(String, serde_json::Value, serde_json::Value)> {
    use serde_json::Value;
    match (a, b) {
        _ if a == b => None,
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys().filter(|k| !x.contains_key(*k)))
            .find_map(|k| {
                let field =
                    |o: &serde_json::Map<String, Value>| o.get(k).cloned().unwrap_or(Value::Null);
                first_change(&format!("{path}.{k}"), &field(x), &field(y))
            }),
        _ => Some((path.to_owned(), a.clone(), b.clone())),
    }
}

/// A value in a difference: strings bare, lists as `[a, b]`, nothing as
/// `(none)`.
fn shown(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => printable(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(shown).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// A string from a plan file as it may be printed: itself, or quoted with
/// its control characters escaped, so a forged plan cannot write terminal
/// escapes or CI log commands (`\n::error::…`) into the output.
pub fn printable(s: &str) -> String {
    if s.chars().any(char::is_control) {
        format!("{s:?}")
    } else {
        // Bidi overrides, zero-width and other invisible characters too.
        crate::escape::terminal(s)
    }
}

fn email_of(a: &Action) -> Option<&crate::email::Email> {
    match a.state()? {
        State::Member(m) => Some(&m.email),
        _ => None,
    }
}

fn assignment_of(a: &Action) -> Option<&AssignmentState> {
    match a.state()? {
        State::Assignment(s) => Some(s),
        _ => None,
    }
}

/// The touched object as it is now, with what identifies its version
/// beyond its state (id, update time).
fn current(a: &Action, live: &Index, group: Option<&LiveGroup>) -> Option<(State, String)> {
    match a.kind {
        Kind::SubWorkspace => {
            // The row the plan acted on (by id), else the workspace's active one.
            let id = match a.state()? {
                State::SubWorkspace(s) => &s.sub_workspace_id,
                _ => return None,
            };
            let rows = &group?.members;
            let row = match &a.live_id {
                Some(row) => rows.iter().find(|r| &r.id == row),
                None => rows
                    .iter()
                    .find(|r| r.sub_workspace_id.eq_ignore_ascii_case(id) && r.status.is_active()),
            }?;
            Some((
                State::SubWorkspace(crate::plan::SubWorkspaceState {
                    sub_workspace_id: row.sub_workspace_id.clone(),
                    name: row.sub_workspace_name.clone(),
                    status: row.status.clone(),
                }),
                format!("{}@{}", row.id, row.timestamp_updated),
            ))
        }
        Kind::Member => {
            // By address; by id only among case twins, which share one
            // (a plan file's id is not trusted further than that).
            let email = email_of(a)?;
            let same = live.members.get(email)?;
            let m = match (same.as_slice(), &a.live_id) {
                ([_, _, ..], Some(id)) => *same.iter().find(|m| &m.id == id)?,
                _ => *same.first()?,
            };
            Some((State::Member(member_state(m)), m.id.clone()))
        }
        Kind::ApiKey => {
            let k = match (&a.live_id, a.state()) {
                (Some(id), _) => live.keys_by_id.get(id.as_str()).copied(),
                (None, Some(State::ApiKey(s))) => live
                    .keys_by_name
                    .get(s.name.as_str())
                    .and_then(|k| k.first().copied()),
                _ => None,
            }?;
            Some((
                State::ApiKey(key_state(k)),
                format!("{}@{}", k.id, k.timestamp_updated),
            ))
        }
        Kind::Tag => {
            let label = match a.state()? {
                State::Tag(t) => &t.label,
                _ => return None,
            };
            // By label compared trimmed, as the API makes labels unique
            // (and the planner matches them).
            let t = live.tag(label)?;
            Some((
                State::Tag(tag_state(t)),
                format!("{}@{}", t.id, t.timestamp_updated),
            ))
        }
        Kind::Assignment => {
            let s = assignment_of(a)?;
            let tag = live.tag(&s.tag)?;
            let present = live.is_assigned(&tag.id, s.resource_type.api_code(), &s.resource_id);
            present.then(|| (State::Assignment(s.clone()), tag.id.clone()))
        }
    }
}

/// The version of the object an action touches: a digest of its state and
/// identity (including `timestamp_updated` where the API has one), or
/// `absent`.
pub fn token(a: &Action, live: &Live) -> String {
    token_in(a, live, None)
}

/// `token`, with the workspace group for `sub_workspace` actions.
pub fn token_in(a: &Action, live: &Live, group: Option<&LiveGroup>) -> String {
    token_of(a, &Index::new(live), group)
}

/// `token_in`, with the index of the live workspace built once for a whole plan.
fn token_of(a: &Action, live: &Index, group: Option<&LiveGroup>) -> String {
    match current(a, live, group) {
        None => "absent".into(),
        Some((state, identity)) => {
            let text = serde_json::to_string(&(state, identity)).expect("state serializes");
            sha256_hex(text.as_bytes())[..16].to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_shows_invisible_characters_of_a_forged_plan() {
        assert_eq!(super::printable("member[a@b.c]"), "member[a@b.c]");
        let shown = super::printable("member[a\u{202E}moc.b@c]");
        assert!(!shown.contains('\u{202E}'), "{shown:?}");
        assert_eq!(super::printable("a\nb"), "\"a\\nb\"");
    }
}
