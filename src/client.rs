//! The one place the tool talks HTTP to the Instantly API: authentication,
//! the user agent, pagination, error mapping, timeouts, the per-workspace
//! rate limit, and retries.

use crate::api_error::{ApiError, ApiErrorKind};
use crate::api_types::{ErrorBody, Page};
use crate::rate_limiter::{DEFAULT_PER_SECOND, RateLimiter};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const USER_AGENT: &str = concat!("instantly-rbac/", env!("CARGO_PKG_VERSION"));
pub const DEFAULT_API_URL: &str = "https://api.instantly.ai/api/v2";
/// The largest page the API serves, and what every list asks for.
pub const PAGE_LIMIT: usize = 100;
/// Answers larger than this are refused rather than buffered.
const MAX_BODY: usize = 32 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// Attempts of one request, the first included.
    pub max_attempts: u32,
    /// No retry starts after this long since the first attempt.
    pub retry_budget: Duration,
    /// Requests per second to this workspace (the API allows 100).
    pub rate_limit: f64,
    /// Act on this sub-workspace of an agency workspace (`x-as-workspace`).
    pub as_workspace: Option<String>,
    /// Requests in flight at once, at most.
    pub parallelism: usize,
    /// Backoff: the first retry waits up to `backoff_base`, doubling up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A list longer than this many pages, or items, is an error: a cursor
    /// that never ends (each one new) must not read forever.
    pub max_list_pages: usize,
    pub max_list_items: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            max_attempts: 6,
            retry_budget: Duration::from_secs(120),
            rate_limit: DEFAULT_PER_SECOND,
            as_workspace: None,
            parallelism: DEFAULT_PARALLELISM,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(10),
            max_list_pages: 10_000,
            max_list_items: 1_000_000,
        }
    }
}

/// Enough to keep 100 requests a second going at 25–80 ms of latency.
pub const DEFAULT_PARALLELISM: usize = 8;

/// Counters of what a client did, for reports and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub retries: AtomicUsize,
    pub rate_limited: AtomicUsize,
}

/// Which failures a request may be retried after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Reads, PATCH, DELETE, toggle-resource: any transient failure.
    Idempotent,
    /// Creates: only failures where the request surely was not processed
    /// (429, no connection); the caller resolves the ambiguous ones.
    Unprocessed,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: SecretString,
    opts: ClientOptions,
    limiter: Arc<RateLimiter>,
    in_flight: Arc<tokio::sync::Semaphore>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("as_workspace", &self.opts.as_workspace)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default options and `timeout`.
    pub fn new(base: &str, key: SecretString, timeout: Duration) -> Result<Self, ApiError> {
        Self::with_options(
            base,
            key,
            ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
    }

    /// Refuses plain http except on loopback, so a key never crosses a network in clear.
    pub fn with_options(
        base: &str,
        key: SecretString,
        opts: ClientOptions,
    ) -> Result<Self, ApiError> {
        let refuse = |m: String| ApiError::new("-", base, ApiErrorKind::Config(m));
        let url = reqwest::Url::parse(base).map_err(|e| refuse(format!("invalid API URL: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            s => {
                return Err(refuse(format!(
                    "refusing {s}:// for a non-loopback API URL; use https"
                )));
            }
        }
        if key.expose_secret().trim().is_empty() {
            // The key is the subject, not the URL: said first.
            return Err(ApiError::new(
                "-",
                "",
                ApiErrorKind::Config(format!(
                    "no API key for {base}: set INSTANTLY_API_KEY or pass --api-key (or use --sandbox)"
                )),
            ));
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(opts.timeout)
            .connect_timeout(Duration::from_secs(10))
            // A redirect would take the key to another address: never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| refuse(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: Arc::new(tokio::sync::Semaphore::new(opts.parallelism.max(1))),
            opts,
            stats: Arc::new(Stats::default()),
        })
    }

    /// The key as the API shows it in lists: first and last four characters.
    pub fn key_mask(&self) -> String {
        mask_key(self.key.expose_secret())
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// A client for the sub-workspace `id` of this (agency) key's workspace,
    /// with a rate limiter of its own: limits are per workspace.
    pub fn for_sub_workspace(&self, id: &str) -> Client {
        let opts = ClientOptions {
            as_workspace: Some(id.to_owned()),
            ..self.opts.clone()
        };
        Client {
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: Arc::new(tokio::sync::Semaphore::new(opts.parallelism.max(1))),
            stats: Arc::new(Stats::default()),
            opts,
            ..self.clone()
        }
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.request(Method::GET, path, query, None::<&()>, Retry::Idempotent)
            .await
    }

    /// A POST that creates: not retried once it may have been processed.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.request(Method::POST, path, &[], Some(body), Retry::Unprocessed)
            .await
    }

    /// A POST that can safely be repeated (toggle-resource).
    pub async fn post_idempotent<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.request(Method::POST, path, &[], Some(body), Retry::Idempotent)
            .await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.request(Method::PATCH, path, &[], Some(body), Retry::Idempotent)
            .await
    }

    /// DELETE carries no body and no Content-Type: the live API rejects
    /// either. An object already gone (404) counts as deleted.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        match self
            .request::<(), serde::de::IgnoredAny>(
                Method::DELETE,
                path,
                &[],
                None,
                Retry::Idempotent,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => {
                tracing::info!(path, "already gone");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Follows the cursor to the end. A repeated cursor or an oversized page
    /// restarts the walk (within the attempt budget), never loops forever;
    /// a list longer than `max_list_pages` or `max_list_items` is an error.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, ApiError> {
        let all = self.list_within(path, query, usize::MAX).await?;
        Ok(all.expect("a walk without a page limit ends"))
    }

    /// The whole list when it ends within `max_pages` requests; `None` when
    /// it is longer (the pages read are dropped), so a caller can fall back
    /// to narrower look-ups without paying for the rest of a long list.
    pub async fn list_within<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        max_pages: usize,
    ) -> Result<Option<Vec<T>>, ApiError> {
        let (items, complete) = self
            .list_while(path, query, |pages, _: &[T]| pages < max_pages)
            .await?;
        Ok(complete.then_some(items))
    }

    /// Reads pages while `more(pages read, items so far)` says so (asked
    /// before each page, the first included); the items read, and whether
    /// they are the whole list. A caller weighs each page against narrower
    /// look-ups with what the pages so far showed.
    pub async fn list_while<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        mut more: impl FnMut(usize, &[T]) -> bool,
    ) -> Result<(Vec<T>, bool), ApiError> {
        let mut walk = 1;
        loop {
            match self.walk(path, query, &mut more).await {
                Err(e)
                    if matches!(e.kind, ApiErrorKind::Protocol(_))
                        && walk < self.opts.max_attempts =>
                {
                    tracing::warn!(method = "GET", path, cause = %e, "reading the list again from its start");
                    self.stats.retries.fetch_add(1, Ordering::SeqCst);
                    walk += 1;
                }
                r => return r,
            }
        }
    }

    async fn walk<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        more: &mut impl FnMut(usize, &[T]) -> bool,
    ) -> Result<(Vec<T>, bool), ApiError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        for page_no in 0.. {
            if !more(page_no, &out) {
                break;
            }
            if page_no == self.opts.max_list_pages {
                return Err(self.too_long(path, out.len()));
            }
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("limit", PAGE_LIMIT.to_string()));
            if let Some(c) = &cursor {
                q.push(("starting_after", c.clone()));
            }
            let page: Page<T> = self.get(path, &q).await?;
            let protocol = |m: String| ApiError::new("GET", path, ApiErrorKind::Protocol(m));
            if page.items.len() > PAGE_LIMIT {
                return Err(protocol(format!(
                    "a page of {} items, more than the {PAGE_LIMIT} asked for",
                    page.items.len()
                )));
            }
            let empty = page.items.is_empty();
            out.extend(page.items);
            if out.len() > self.opts.max_list_items {
                return Err(self.too_long(path, out.len()));
            }
            match page.next_starting_after {
                Some(next) if !empty => {
                    if !seen.insert(next.clone()) {
                        return Err(protocol(format!("the cursor `{next}` repeated")));
                    }
                    cursor = Some(next);
                }
                _ => return Ok((out, true)),
            }
        }
        Ok((out, false))
    }

    fn too_long(&self, path: &str, items: usize) -> ApiError {
        ApiError::new(
            "GET",
            path,
            ApiErrorKind::ListTooLong {
                max_pages: self.opts.max_list_pages,
                max_items: self.opts.max_list_items,
                items,
            },
        )
    }

    /// One request with retries: exponential backoff with full jitter,
    /// `Retry-After` honoured, bounded in attempts and total time.
    async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        mode: Retry,
    ) -> Result<T, ApiError> {
        let body = body.map(serde_json::to_vec).transpose().map_err(|e| {
            ApiError::new(method.as_str(), path, ApiErrorKind::Config(e.to_string()))
        })?;
        let start = tokio::time::Instant::now();
        let mut attempt = 1;
        loop {
            let result = self
                .send(method.clone(), path, query, body.clone())
                .await
                .and_then(|bytes| {
                    serde_json::from_slice::<T>(&bytes).map_err(|e| {
                        ApiError::new(
                            method.as_str(),
                            path,
                            ApiErrorKind::Protocol(format!("malformed JSON: {e}")),
                        )
                    })
                });
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if let ApiErrorKind::RateLimited { .. } = err.kind {
                self.stats.rate_limited.fetch_add(1, Ordering::SeqCst);
            }
            let delay = self.backoff(attempt, &err);
            let retry = err.is_transient(mode)
                && attempt < self.opts.max_attempts
                && start.elapsed() + delay <= self.opts.retry_budget;
            if !retry {
                return Err(err);
            }
            tracing::warn!(method = %method, path, attempt, cause = %err.kind, delay_ms = delay.as_millis() as u64, "retrying");
            self.stats.retries.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// `Retry-After` when the server said; else full jitter over an
    /// exponentially growing window.
    fn backoff(&self, attempt: u32, err: &ApiError) -> Duration {
        if let ApiErrorKind::RateLimited {
            retry_after: Some(s),
        } = err.kind
        {
            return Duration::from_secs(s);
        }
        let window = self
            .opts
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(self.opts.backoff_cap);
        window.mul_f64(fastrand::f64())
    }

    /// Sends one request (after the rate limiter) and maps every non-200
    /// answer to a typed error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ApiError> {
        let m = method.as_str().to_owned();
        let err = |kind| ApiError::new(&m, path, kind);
        let _permit = self
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
        self.limiter.acquire().await;
        self.stats.requests.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(method = %m, path, "request");
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.key.expose_secret());
        if let Some(ws) = &self.opts.as_workspace {
            req = req.header("x-as-workspace", ws);
        }
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b);
        }
        let resp = req.send().await.map_err(|e| err(transport(&e)))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        if resp.content_length().is_some_and(|l| l as usize > MAX_BODY) {
            return Err(err(ApiErrorKind::Protocol(format!(
                "an answer larger than {MAX_BODY} bytes"
            ))));
        }
        if (300..400).contains(&status) {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            return Err(err(ApiErrorKind::Redirected {
                status,
                location: location
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect(),
            }));
        }
        let bytes = read_capped(resp).await.map_err(err)?;
        tracing::debug!(status, bytes = bytes.len(), "answer");
        if status == 200 {
            return Ok(bytes);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.message)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        Err(err(match status {
            400 => ApiErrorKind::BadRequest(message),
            401 => ApiErrorKind::Unauthorized(message),
            402 => ApiErrorKind::PaymentRequired(message),
            403 if is_json => ApiErrorKind::MissingScope(message),
            403 => ApiErrorKind::UserAgentBlocked(message),
            404 => ApiErrorKind::NotFound(message),
            409 => ApiErrorKind::Conflict(message),
            429 => ApiErrorKind::RateLimited { retry_after },
            500..=599 => ApiErrorKind::Server { status, message },
            _ => ApiErrorKind::Unexpected { status, message },
        }))
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, ApiErrorKind> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e))? {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_BODY {
            return Err(ApiErrorKind::Protocol(format!(
                "an answer larger than {MAX_BODY} bytes"
            )));
        }
    }
    Ok(out)
}

fn transport(e: &reqwest::Error) -> ApiErrorKind {
    // reqwest puts the URL in its message; the endpoint is already named.
    let s = e.to_string();
    let mut detail = s
        .find(" for url (")
        .map_or(s.clone(), |i| s[..i].to_owned());
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    ApiErrorKind::Transport {
        timeout: e.is_timeout(),
        connect: e.is_connect(),
        detail,
    }
}

/// `abcd…wxyz`, as the API masks keys in lists.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "…".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}
