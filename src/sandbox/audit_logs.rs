//! `/audit-logs`: the log, newest first, with the contract's filters; and
//! the events the sandbox's own key creates and deletes append to it.
// Handlers answer HTTP on both paths; boxing the error one buys nothing.
#![allow(clippy::result_large_err)]

use super::routes::{Answer, Req, bad, error, ok};
use super::state::{AuditAccess, SandboxState, new_id};
use crate::api_types::{ApiKey, AuditEvent, Page};
use axum::http::StatusCode;

/// `GET /audit-logs?limit&starting_after&activity_type&start_date&end_date`.
pub(super) fn audit_logs(st: &SandboxState, r: &Req) -> Answer {
    match st.audit_log {
        AuditAccess::Served => {}
        AuditAccess::Forbidden => {
            return Err(error(
                StatusCode::FORBIDDEN,
                "API key does not have the required scope: audit_logs:read",
            ));
        }
    }
    let limit = match r.query.get("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n @ 1..=1000) => n,
            _ => {
                return Err(bad(
                    "querystring/limit must be an integer between 1 and 1000",
                ));
            }
        },
    };
    let activity = match r.query.get("activity_type") {
        None => None,
        Some(a) => match a.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => return Err(bad("querystring/activity_type must be an integer")),
        },
    };
    let bound = |name: &str| -> Result<Option<i64>, axum::response::Response> {
        match r.query.get(name) {
            None => Ok(None),
            Some(v) => crate::timestamp::parse(v)
                .or_else(|| crate::timestamp::parse(&format!("{v}T00:00:00Z")))
                .map(Some)
                .ok_or_else(|| bad(format!("querystring/{name} must be a date-time"))),
        }
    };
    let (start, end) = (bound("start_date")?, bound("end_date")?);
    let search = r.query.get("search").map(|s| s.to_lowercase());
    // Newest first; ids (uuid v7) break ties and are the cursor.
    let mut items: Vec<&AuditEvent> = st
        .audit_logs
        .iter()
        .filter(|e| activity.is_none_or(|a| e.activity_type == a))
        .filter(|e| {
            let t = crate::timestamp::parse(&e.timestamp).unwrap_or(0);
            start.is_none_or(|s| t >= s) && end.is_none_or(|x| t <= x)
        })
        .filter(|e| {
            search.as_ref().is_none_or(|s| {
                e.user_name
                    .as_ref()
                    .is_some_and(|n| n.to_lowercase().contains(s))
            })
        })
        .collect();
    items.sort_by(|a, b| (&b.timestamp, &b.id).cmp(&(&a.timestamp, &a.id)));
    let start_at = match r.query.get("starting_after") {
        None => 0,
        Some(c) => items
            .iter()
            .position(|e| &e.id == c)
            .map_or(items.len(), |i| i + 1),
    };
    let page: Vec<AuditEvent> = items
        .into_iter()
        .skip(start_at)
        .take(limit)
        .cloned()
        .collect();
    let next = (page.len() == limit).then(|| page[page.len() - 1].id.clone());
    ok(&Page {
        items: page,
        next_starting_after: next,
    })
}

/// Appends the event of a key created (37) or deleted (38) through the
/// API by the key `caller_id`, attributed to the workspace's owner (keys
/// in the sandbox belong to no one else).
pub(super) fn record_key_event(
    st: &mut SandboxState,
    activity_type: u32,
    key: &ApiKey,
    user_agent: &str,
    timestamp: &str,
) {
    let owner = st
        .members
        .iter()
        .find(|m| m.user_id.as_deref() == Some(st.workspace.owner.as_str()));
    let user_name = owner.map(|m| {
        let email = m.email.to_string();
        email.split('@').next().unwrap_or(&email).to_owned()
    });
    st.audit_logs.push(AuditEvent {
        id: new_id(),
        timestamp: timestamp.to_owned(),
        organization_id: st.workspace.id.clone(),
        activity_type,
        user_id: Some(st.workspace.owner.clone()).filter(|o| !o.is_empty()),
        user_name,
        ip_address: "127.0.0.1".into(),
        from_api: true,
        user_agent: Some(user_agent.to_owned()).filter(|u| !u.is_empty()),
        api_key_id: Some(key.id.clone()),
        audit_metadata: Some(serde_json::json!({ "name": key.name })),
    });
}
