//! `/api-keys`: list (secrets masked), create (the secret shown once), revoke.
// Handlers answer HTTP on both paths; boxing the error one buys nothing.
#![allow(clippy::result_large_err)]

use super::routes::paginate_with;
use super::routes::{Answer, Req, bad, no_route, not_found, ok};
use super::state::{SandboxState, new_id, now_iso};
use crate::api_types::*;
use crate::client::mask_key;
use crate::vocab;
use axum::http::Method;

pub(super) fn api_keys(st: &mut SandboxState, r: &Req, rest: &[&str], caller_id: &str) -> Answer {
    match (r.method.clone(), rest) {
        (Method::GET, []) => {
            let items: Vec<&ApiKey> = st.api_keys.iter().collect();
            paginate_with(
                r,
                items,
                |k| &k.id,
                false,
                |k| ApiKey {
                    key: mask_key(&k.key),
                    ..k.clone()
                },
            )
        }
        (Method::POST, []) => {
            let c: CreateApiKey = r.json()?;
            if c.name.trim().is_empty() {
                return Err(bad("body/name must not be empty"));
            }
            if c.scopes.is_empty() {
                return Err(bad("body/scopes must contain at least one scope"));
            }
            if let Some(s) = c.scopes.iter().find(|s| vocab::scope_problem(s).is_some()) {
                return Err(bad(format!("body/scopes: invalid scope {s}")));
            }
            let now = now_iso();
            let k = ApiKey {
                id: new_id(),
                name: c.name,
                scopes: c.scopes,
                key: format!("sbx_{}", uuid::Uuid::new_v4().simple()),
                organization_id: st.workspace.id.clone(),
                timestamp_created: now.clone(),
                timestamp_updated: now,
            };
            st.api_keys.push(k.clone());
            let at = k.timestamp_created.clone();
            super::audit_logs::record_key_event(st, 37, &k, r.user_agent, &at);
            ok(&k)
        }
        (Method::DELETE, [id]) => {
            let i = st
                .api_keys
                .iter()
                .position(|k| k.id == *id)
                .ok_or_else(not_found)?;
            if st.api_keys[i].id == caller_id {
                return Err(bad("an API key cannot revoke itself"));
            }
            let k = st.api_keys.remove(i);
            super::audit_logs::record_key_event(st, 38, &k, r.user_agent, &now_iso());
            ok(&ApiKey {
                key: mask_key(&k.key),
                ..k
            })
        }
        _ => Err(no_route()),
    }
}
