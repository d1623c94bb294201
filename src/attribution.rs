//! Who created or deleted an API key: read from the audit log
//! (`/audit-logs`, activity types 37 and 38), only when the plan creates,
//! replaces, deletes or leaves alone a key, and only from a day before the
//! oldest such key was created (never the whole log).
//!
//! The pipeline plans first; when the plan has such keys it reads the log
//! and plans again with the events in `planner::Context`, so the planner
//! (pure, with each live key in hand) attaches them where it makes each
//! action or leaves a key alone: unmanaged entries carry no key id, and
//! keys' names (so their addresses) need not be unique.
//!
//! Member and tag changes are not in Instantly's audit log: only keys are
//! attributed.

use crate::api_types::{AuditEvent, Page};
use crate::client::Client;
use crate::live::Live;
use crate::plan::{Kind, Op, Plan};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `activity_type` of an API key created.
pub const KEY_CREATED: u32 = 37;
/// `activity_type` of an API key deleted.
pub const KEY_DELETED: u32 = 38;
/// The most events one read asks for, the contract's bound.
pub const LIMIT: usize = 1000;
/// Pages read per activity type at most: the newest 10 000 events.
const MAX_PAGES: usize = 10;
/// How far back a plan that only creates keys looks for the deletion of a
/// declared key that disappeared.
const CREATE_LOOKBACK_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyEvent {
    Created,
    Deleted,
}

/// Who created (or deleted) a key, when, and how: the audit log's event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub event: KeyEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub timestamp: String,
    /// Through the API (with `user_agent`), else in the app.
    pub from_api: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Attribution {
    fn of(event: KeyEvent, e: &AuditEvent) -> Attribution {
        Attribution {
            event,
            user_name: e.user_name.clone(),
            user_id: e.user_id.clone(),
            timestamp: e.timestamp.clone(),
            from_api: e.from_api,
            user_agent: e.user_agent.clone(),
        }
    }

    /// `created by Priya Natarajan on 2026-11-20 in the app`, or
    /// `… through the API (user agent instantly-rbac/0.4.0)`. Unescaped:
    /// the renderers escape it for their output.
    pub fn line(&self) -> String {
        let verb = match self.event {
            KeyEvent::Created => "created",
            KeyEvent::Deleted => "deleted",
        };
        let who = match (&self.user_name, &self.user_id) {
            (Some(n), _) if !n.is_empty() => n.clone(),
            (_, Some(id)) if !id.is_empty() => format!("user {id}"),
            _ => "an unknown user".to_owned(),
        };
        let day = crate::timestamp::parse(&self.timestamp)
            .map_or_else(|| self.timestamp.clone(), crate::timestamp::date);
        let how = match (&self.user_agent, self.from_api) {
            (_, false) => "in the app".to_owned(),
            (Some(ua), true) if !ua.is_empty() => format!("through the API (user agent {ua})"),
            (_, true) => "through the API".to_owned(),
        };
        format!("{verb} by {who} on {day} {how}")
    }
}

/// The key events read, by key id (and deletions by the key's name, when
/// the event's `audit_metadata` carries it).
#[derive(Clone, Debug, Default)]
pub struct KeyEvents {
    created: HashMap<String, Attribution>,
    deleted: HashMap<String, Attribution>,
    deleted_by_name: HashMap<String, Attribution>,
}

impl KeyEvents {
    /// From events of either type, newest first: the newest event of a key wins.
    pub fn new(events: &[AuditEvent]) -> KeyEvents {
        let mut k = KeyEvents::default();
        for e in events {
            let Some(id) = e.api_key_id.as_ref() else {
                continue;
            };
            match e.activity_type {
                KEY_CREATED => {
                    k.created
                        .entry(id.clone())
                        .or_insert_with(|| Attribution::of(KeyEvent::Created, e));
                }
                KEY_DELETED => {
                    let a = Attribution::of(KeyEvent::Deleted, e);
                    if let Some(name) = e
                        .audit_metadata
                        .as_ref()
                        .and_then(|m| m.get("name"))
                        .and_then(|n| n.as_str())
                    {
                        k.deleted_by_name
                            .entry(name.to_owned())
                            .or_insert_with(|| a.clone());
                    }
                    k.deleted.entry(id.clone()).or_insert(a);
                }
                _ => {}
            }
        }
        k
    }

    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.deleted.is_empty()
    }

    /// Who created the live key `id`.
    pub fn created(&self, id: &str) -> Option<Attribution> {
        self.created.get(id).cloned()
    }

    /// Who deleted the last key named `name` (a declared key that disappeared).
    pub fn deleted_named(&self, name: &str) -> Option<Attribution> {
        self.deleted_by_name.get(name).cloned()
    }
}

/// Whether the plan has keys to attribute: a key created, replaced,
/// deleted or left alone.
pub fn needed(plan: &Plan) -> bool {
    plan.actions.iter().any(|a| a.kind == Kind::ApiKey)
        || plan.unmanaged.iter().any(|u| is_key_address(&u.address))
}

fn is_key_address(address: &str) -> bool {
    address.starts_with("api_key[")
}

/// `start_date` of the reads: the day before the oldest relevant key was
/// created (for a key created, `CREATE_LOOKBACK_DAYS` before `now`), at
/// midnight UTC.
pub fn start_date(plan: &Plan, live: &Live, now: i64) -> String {
    let acted: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.kind == Kind::ApiKey)
        .filter_map(|a| a.live_id.as_deref())
        .collect();
    let left: Vec<&str> = plan
        .unmanaged
        .iter()
        .map(|u| u.address.as_str())
        .filter(|a| is_key_address(a))
        .collect();
    let relevant = live.api_keys.iter().filter(|k| {
        acted.contains(&k.id.as_str())
            || left.contains(&crate::planner::key_address(&k.name).as_str())
            || left.contains(&format!("api_key[{} ({})]", k.name, k.id).as_str())
    });
    let creates = plan
        .actions
        .iter()
        .any(|a| a.kind == Kind::ApiKey && a.op == Op::Create);
    let oldest = relevant
        .filter_map(|k| crate::timestamp::parse(&k.timestamp_created))
        .chain(creates.then_some(now - CREATE_LOOKBACK_DAYS * 86_400))
        .min()
        .unwrap_or(now - CREATE_LOOKBACK_DAYS * 86_400);
    format!("{}T00:00:00.000Z", crate::timestamp::date(oldest - 86_400))
}

/// Reads the key events (types 37 and 38) since `start_date`, newest first.
pub async fn read(
    client: &Client,
    start_date: &str,
) -> Result<Vec<AuditEvent>, crate::api_error::ApiError> {
    let mut all = Vec::new();
    for activity in [KEY_CREATED, KEY_DELETED] {
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut q = vec![
                ("activity_type", activity.to_string()),
                ("start_date", start_date.to_owned()),
                ("limit", LIMIT.to_string()),
            ];
            if let Some(c) = &cursor {
                q.push(("starting_after", c.clone()));
            }
            let page: Page<AuditEvent> = client.get("/audit-logs", &q).await?;
            let empty = page.items.is_empty();
            all.extend(page.items);
            match page.next_starting_after {
                Some(next) if !empty && cursor.as_ref() != Some(&next) => cursor = Some(next),
                _ => break,
            }
        }
    }
    all.sort_by(|a, b| b.timestamp.cmp(&a.timestamp));
    Ok(all)
}

/// The plan's one note when keys are not attributed.
pub fn unread_note(why: &str) -> String {
    format!("the audit log could not be read ({why}): keys are not attributed")
}
