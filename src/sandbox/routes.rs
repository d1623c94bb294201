//! Request handling of the sandbox: one dispatcher, so that the rules the
//! contract sets for every call (auth, user agent, DELETE without body,
//! scopes, pagination) are enforced in one place.
// Both paths of a handler are HTTP answers; boxing the error one buys nothing here.
#![allow(clippy::result_large_err)]

use super::Shared;
use super::faults;
use super::state::SandboxState;
use super::{
    accounts::accounts,
    api_keys::api_keys,
    audit_logs::audit_logs,
    members::members,
    tags::{tags, toggle},
};
use crate::api_types::*;
use crate::vocab;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

pub(super) type Answer = Result<Response, Response>;

pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        status_code: status.as_u16(),
        error: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

/// 404 for a path the API does not serve.
pub(super) fn no_route() -> Response {
    error(StatusCode::NOT_FOUND, "Route not found")
}

/// 404 for an id that names nothing.
pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Resource not found")
}

pub(super) fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

pub(super) fn ok<T: Serialize>(v: &T) -> Answer {
    Ok(axum::Json(v).into_response())
}

/// User agents Cloudflare's browser-integrity check refuses (error 1010).
fn blocked_agent(ua: &str) -> bool {
    let ua = ua.trim().to_ascii_lowercase();
    ua.is_empty()
        || [
            "python-requests",
            "python-urllib",
            "go-http-client",
            "reqwest",
            "node-fetch",
            "axios",
            "java/",
        ]
        .iter()
        .any(|p| ua.starts_with(p))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = shared.requests.fetch_add(1, Ordering::SeqCst);
    let endpoint = format!("{method} {}", uri.path().trim_start_matches("/api/v2"));
    *shared
        .by_endpoint
        .lock()
        .expect("endpoint lock")
        .entry(endpoint.clone())
        .or_default() += 1;
    shared
        .endpoint_spans
        .lock()
        .expect("spans lock")
        .entry(endpoint)
        .and_modify(|(_, last)| *last = seq)
        .or_insert((seq, seq));
    if uri.path() == "/api/v2/audit-logs" {
        shared.audit_reads.lock().expect("audit lock").push(format!(
            "{method} /audit-logs?{}",
            uri.query().unwrap_or("")
        ));
    }
    let faults = shared.faults.lock().expect("faults lock").clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    // Limits are per workspace: the agency's and each sub-workspace's.
    let as_workspace = headers
        .get("x-as-workspace")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(limit) = faults.rate_limit
        && !shared
            .windows
            .lock()
            .expect("window lock")
            .entry(as_workspace.clone().unwrap_or_default())
            .or_default()
            .admit(limit)
    {
        shared.rate_limited.fetch_add(1, Ordering::SeqCst);
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
        r.headers_mut()
            .insert(header::RETRY_AFTER, "1".parse().expect("a header value"));
        return r;
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if blocked_agent(ua) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain")],
            "error code: 1010",
        )
            .into_response();
    }
    let Some(path) = uri.path().strip_prefix("/api/v2/") else {
        return no_route();
    };
    let segments: Vec<String> = path
        .trim_end_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if method == Method::DELETE && (!body.is_empty() || headers.contains_key(header::CONTENT_TYPE))
    {
        return bad("Body cannot be empty when content-type is set to 'application/json'");
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    let cursor = query.get("starting_after").cloned();
    let fault = if faults.fault_rate > 0.0 {
        let q = uri.query().unwrap_or("");
        let id = format!("{method} {} {q}", uri.path());
        let seen = {
            let mut counts = shared.seen.lock().expect("seen lock");
            let c = counts.entry(id).or_default();
            *c += 1;
            *c
        };
        let key = faults::request_key(method.as_str(), uri.path(), q, &body, seen);
        faults::pick(&faults, key, method == Method::GET && cursor.is_some())
    } else {
        None
    };
    if let Some(kind) = fault {
        *shared
            .injected
            .lock()
            .expect("injected lock")
            .entry(kind)
            .or_default() += 1;
        if let Some(answer) = faults::before(kind) {
            return answer;
        }
    }
    let write = method != Method::GET;
    if write {
        let w = shared.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if faults.fail_write == Some(w) {
            return bad("Injected failure");
        }
    }
    let answer = process(
        &shared,
        &method,
        &segments,
        &query,
        &body,
        Credentials {
            token: &token,
            as_workspace: as_workspace.as_deref(),
            user_agent: ua,
        },
    );
    match fault {
        Some(kind) => faults::after(kind, answer, cursor.as_deref()).await,
        None => answer,
    }
}

/// Who is asking: the bearer token, the workspace asked for, the User-Agent.
struct Credentials<'a> {
    token: &'a str,
    as_workspace: Option<&'a str>,
    user_agent: &'a str,
}

/// Carries the request out on the state, and persists a change.
fn process(
    shared: &Shared,
    method: &Method,
    segments: &[String],
    query: &HashMap<String, String>,
    body: &[u8],
    credentials: Credentials,
) -> Response {
    let Credentials {
        token,
        as_workspace,
        user_agent,
    } = credentials;
    let write = *method != Method::GET;
    // Keys are the agency (top) workspace's; `x-as-workspace` picks the
    // workspace served, each under a lock of its own.
    let (caller, target) = {
        let top = shared.workspaces[0].lock().expect("sandbox state lock");
        let caller = match top
            .api_keys
            .iter()
            .find(|k| !token.is_empty() && k.key == token)
        {
            Some(k) => Caller {
                id: k.id.clone(),
                scopes: k.scopes.clone(),
            },
            None => return error(StatusCode::UNAUTHORIZED, "Invalid API key"),
        };
        let rows = top.workspace_group.as_deref().unwrap_or_default();
        // Only the agency itself, or a sub-workspace that accepted its
        // invitation, is served; not a scope matter, so not the scope answer.
        match as_workspace.map_or(Some(0), |id| shared.index.get(id).copied()) {
            Some(i) if super::group::reachable(shared, rows, i) => (caller, i),
            _ => {
                return error(
                    StatusCode::FORBIDDEN,
                    format!(
                        "x-as-workspace: workspace {} is not an accepted sub-workspace of this API key's workspace",
                        as_workspace.unwrap_or_default()
                    ),
                );
            }
        }
    };
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let ["workspace-group-members", rest @ ..] = segs.as_slice() {
        return group(
            shared, &caller, target, rest, method, query, body, user_agent,
        );
    }
    let mut state = shared.workspaces[target]
        .lock()
        .expect("sandbox state lock");
    let path = format!("/{}", segs.join("/"));
    if let Some(refused) = payment_required(&state, &path) {
        return refused;
    }
    let req = Req {
        method,
        segs: &segs,
        query,
        body,
        user_agent,
    };
    let answer = dispatch(&mut state, &caller, &req).unwrap_or_else(|e| e);
    // A write the API accepted is saved; comparing with a copy of the whole
    // state taken before it cost as much as the save itself, for each write.
    let changed = write && answer.status().is_success();
    drop(state);
    if let (true, Some(path)) = (changed, &shared.path)
        && let Err(e) = shared.persist(path)
    {
        tracing::error!("{e}");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot persist the sandbox state",
        );
    }
    answer
}

/// 402 for a path under one of the workspace's `payment_required` prefixes.
fn payment_required(state: &SandboxState, path: &str) -> Option<Response> {
    state
        .payment_required
        .iter()
        .any(|prefix| {
            path.strip_prefix(prefix.trim_end_matches('/'))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .then(|| {
            error(
                StatusCode::PAYMENT_REQUIRED,
                "Upgrade your plan to use this endpoint",
            )
        })
}

/// The group endpoints: on the agency's rows (the top workspace's state),
/// whichever workspace the request is for.
#[allow(clippy::too_many_arguments)]
fn group(
    shared: &Shared,
    caller: &Caller,
    target: usize,
    rest: &[&str],
    method: &Method,
    query: &HashMap<String, String>,
    body: &[u8],
    user_agent: &str,
) -> Response {
    let action = match *method {
        Method::GET => "read",
        Method::POST => "create",
        Method::DELETE => "delete",
        _ => return no_route(),
    };
    if !vocab::scopes_allow(&caller.scopes, "workspace_group_members", action) {
        return error(
            StatusCode::FORBIDDEN,
            format!("API key does not have the required scope: workspace_group_members:{action}"),
        );
    }
    let path = format!("/workspace-group-members/{}", rest.join("/"));
    // The workspace the request is for decides whether its plan has groups.
    let refused = payment_required(
        &shared.workspaces[target]
            .lock()
            .expect("sandbox state lock"),
        path.trim_end_matches('/'),
    );
    if let Some(refused) = refused {
        return refused;
    }
    let req = Req {
        method,
        segs: rest,
        query,
        body,
        user_agent,
    };
    let mut top = shared.workspaces[0].lock().expect("sandbox state lock");
    let had = top.workspace_group.is_some();
    let mut rows = top.workspace_group.take().unwrap_or_default();
    let (changed, answer) = super::group::serve(shared, &mut rows, target, rest, &req);
    // A state without a group keeps none until one is made.
    top.workspace_group = (had || changed).then_some(rows);
    drop(top);
    if let (true, Some(path)) = (changed, &shared.path)
        && let Err(e) = shared.persist(path)
    {
        tracing::error!("{e}");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot persist the sandbox state",
        );
    }
    answer.unwrap_or_else(|e| e)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub(super) struct Req<'a> {
    pub(super) method: &'a Method,
    pub(super) segs: &'a [&'a str],
    pub(super) query: &'a HashMap<String, String>,
    pub(super) body: &'a [u8],
    /// The caller's User-Agent, for the audit log.
    pub(super) user_agent: &'a str,
}

impl Req<'_> {
    pub(super) fn json<T: DeserializeOwned>(&self) -> Result<T, Response> {
        serde_json::from_slice(self.body).map_err(|e| bad(format!("body/{e}")))
    }
    pub(super) fn list_param(&self, name: &str) -> Vec<String> {
        self.query
            .get(name)
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The key a request authenticated with (one of the agency workspace's).
struct Caller {
    id: String,
    scopes: Vec<String>,
}

/// Serves one request on the workspace it is for.
fn dispatch(st: &mut SandboxState, caller: &Caller, r: &Req) -> Answer {
    let caller_scopes = caller.scopes.clone();
    let caller_id = caller.id.clone();
    let action = match *r.method {
        Method::GET => "read",
        Method::POST => "create",
        Method::PATCH => "update",
        Method::DELETE => "delete",
        _ => return Err(no_route()),
    };
    let need = |resource: &str, action: &str| -> Result<(), Response> {
        if vocab::scopes_allow(&caller_scopes, resource, action) {
            Ok(())
        } else {
            Err(error(
                StatusCode::FORBIDDEN,
                format!("API key does not have the required scope: {resource}:{action}"),
            ))
        }
    };
    match (r.method.clone(), r.segs) {
        (Method::GET, ["workspaces", "current"]) => {
            need("workspaces", "read")?;
            ok(&st.workspace)
        }
        (_, ["workspace-members", rest @ ..]) => {
            need("workspace_members", action)?;
            members(st, r, rest)
        }
        (_, ["api-keys", rest @ ..]) => {
            need("api_keys", action)?;
            api_keys(st, r, rest, &caller_id)
        }
        (Method::GET, ["audit-logs"]) => {
            need("audit_logs", "read")?;
            audit_logs(st, r)
        }
        (Method::POST, ["custom-tags", "toggle-resource"]) => {
            // (our choice) toggling assignments needs custom_tags:update.
            need("custom_tags", "update")?;
            toggle(st, r)
        }
        (_, ["custom-tags", rest @ ..]) => {
            need("custom_tags", action)?;
            tags(st, r, rest)
        }
        (Method::GET, ["custom-tag-mappings"]) => {
            need("custom_tag_mappings", "read")?;
            let ids = r.list_param("resource_ids");
            let items: Vec<&TagMapping> = st
                .mappings
                .iter()
                .filter(|m| ids.is_empty() || ids.contains(&m.resource_id))
                .collect();
            paginate(r, items, |m| &m.id, true)
        }
        (Method::GET, ["campaigns"]) => {
            need("campaigns", "read")?;
            let tag_ids = r.list_param("tag_ids");
            let carrying =
                (!tag_ids.is_empty()).then(|| tagged(st, ResourceType::Campaign, &tag_ids));
            let search = r.query.get("search").map(|s| s.to_lowercase());
            let items: Vec<&Campaign> = st
                .campaigns
                .iter()
                .filter(|c| {
                    carrying
                        .as_ref()
                        .is_none_or(|set| set.contains(&c.id.to_lowercase()))
                })
                .filter(|c| {
                    search
                        .as_ref()
                        .is_none_or(|s| c.name.to_lowercase().contains(s))
                })
                .collect();
            paginate(r, items, |c| &c.id, false)
        }
        (Method::GET, ["accounts", rest @ ..]) => {
            need("accounts", "read")?;
            accounts(st, r, rest)
        }
        _ => Err(no_route()),
    }
}

/// Cursor pagination: `limit` 1..=100, `starting_after` the last key seen.
/// The cursor is given whenever the page is full, as the live API does.
/// Works on references, so a page of a large collection clones 100 items.
pub(super) fn paginate<T: Serialize + Clone>(
    r: &Req,
    items: Vec<&T>,
    key: impl Fn(&T) -> &str,
    descending: bool,
) -> Answer {
    paginate_with(r, items, key, descending, T::clone)
}

pub(super) fn paginate_with<T, U: Serialize>(
    r: &Req,
    mut items: Vec<&T>,
    key: impl Fn(&T) -> &str,
    descending: bool,
    present: impl Fn(&T) -> U,
) -> Answer {
    let limit = match r.query.get("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                return Err(bad(
                    "querystring/limit must be an integer between 1 and 100",
                ));
            }
        },
    };
    let before = |a: &&T, b: &&T| {
        if descending {
            key(a) > key(b)
        } else {
            key(a) < key(b)
        }
    };
    if !items.is_sorted_by(|a, b| !before(b, a)) {
        items.sort_by(|a, b| {
            if descending {
                key(b).cmp(key(a))
            } else {
                key(a).cmp(key(b))
            }
        });
    }
    let start = match r.query.get("starting_after") {
        None => 0,
        Some(c) if descending => items.partition_point(|i| key(i) >= c.as_str()),
        Some(c) => items.partition_point(|i| key(i) <= c.as_str()),
    };
    let page: Vec<&T> = items.into_iter().skip(start).take(limit).collect();
    let next = (page.len() == limit).then(|| key(page[page.len() - 1]).to_owned());
    ok(&Page {
        items: page.into_iter().map(present).collect(),
        next_starting_after: next,
    })
}

/// The ids (or emails) of resources of `kind` carrying any of `tag_ids`.
pub(super) fn tagged(
    st: &SandboxState,
    kind: ResourceType,
    tag_ids: &[String],
) -> std::collections::HashSet<String> {
    st.mappings
        .iter()
        .filter(|m| m.resource_type == kind && tag_ids.contains(&m.tag_id))
        .map(|m| match kind {
            // Accounts are named by email: folded by the one rule.
            ResourceType::Account => crate::email::Email::fold(&m.resource_id),
            _ => m.resource_id.to_lowercase(),
        })
        .collect()
}
