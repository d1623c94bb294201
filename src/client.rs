//! The one place the tool talks HTTP to the Instantly API. Authentication,
//! pagination, error mapping and timeouts live here, so that retries and
//! rate limiting can later be added in `send` alone.

use crate::api_error::{ApiError, ApiErrorKind};
use crate::api_types::{ErrorBody, Page};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::time::Duration;

pub const USER_AGENT: &str = concat!("instantly-rbac/", env!("CARGO_PKG_VERSION"));
pub const DEFAULT_API_URL: &str = "https://api.instantly.ai/api/v2";
/// The largest page the API serves, and what every list asks for.
pub const PAGE_LIMIT: usize = 100;
/// Answers larger than this are refused rather than buffered.
const MAX_BODY: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Refuses plain http except on loopback, so a key never crosses a network in clear.
    pub fn new(base: &str, key: SecretString, timeout: Duration) -> Result<Self, ApiError> {
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
            return Err(refuse(
                "no API key: set INSTANTLY_API_KEY or pass --api-key (or use --sandbox)".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| refuse(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    /// The key as the API shows it in lists: first and last four characters.
    pub fn key_mask(&self) -> String {
        mask_key(self.key.expose_secret())
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.call(Method::GET, path, query, None::<&()>).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call(Method::PATCH, path, &[], Some(body)).await
    }

    /// DELETE carries no body and no Content-Type: the live API rejects either.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.send(Method::DELETE, path, &[], None).await.map(drop)
    }

    /// Follows the cursor to the end. A repeated cursor or an oversized page is
    /// an error rather than an endless loop.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("limit", PAGE_LIMIT.to_string()));
            if let Some(c) = &cursor {
                q.push(("starting_after", c.clone()));
            }
            let page: Page<T> = self.get(path, &q).await?;
            if page.items.len() > PAGE_LIMIT {
                return Err(ApiError::new(
                    "GET",
                    path,
                    ApiErrorKind::Protocol(format!(
                        "a page of {} items, more than the {PAGE_LIMIT} asked for",
                        page.items.len()
                    )),
                ));
            }
            let empty = page.items.is_empty();
            out.extend(page.items);
            match page.next_starting_after {
                Some(next) if !empty => {
                    if !seen.insert(next.clone()) {
                        return Err(ApiError::new(
                            "GET",
                            path,
                            ApiErrorKind::Protocol(format!("the cursor `{next}` repeated")),
                        ));
                    }
                    cursor = Some(next);
                }
                _ => return Ok(out),
            }
        }
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let body = body.map(serde_json::to_vec).transpose().map_err(|e| {
            ApiError::new(method.as_str(), path, ApiErrorKind::Config(e.to_string()))
        })?;
        let bytes = self.send(method.clone(), path, query, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                method.as_str(),
                path,
                ApiErrorKind::Protocol(format!("malformed JSON: {e}")),
            )
        })
    }

    /// Sends one request and maps every non-200 answer to a typed error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ApiError> {
        let m = method.as_str().to_owned();
        let err = |kind| ApiError::new(&m, path, kind);
        tracing::debug!(method = %m, path, "request");
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.key.expose_secret());
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
    let mut detail = e.without_url_ref();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    ApiErrorKind::Transport {
        timeout: e.is_timeout(),
        detail,
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    /// reqwest puts the URL in its message; the endpoint is already named.
    fn without_url_ref(&self) -> String {
        let s = self.to_string();
        match s.find(" for url (") {
            Some(i) => s[..i].to_owned(),
            None => s,
        }
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
