//! Errors from the Instantly API, one variant per documented status, each
//! carrying the endpoint and the server's message (never the API key).

use crate::client::Retry;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub method: String,
    pub path: String,
    pub kind: ApiErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// 400: the API refused the request body or parameters.
    BadRequest(String),
    /// 401: the API key was rejected.
    Unauthorized(String),
    /// 402: the workspace's plan does not include the endpoint's feature.
    PaymentRequired(String),
    /// 403 with a JSON body: the key lacks a scope.
    MissingScope(String),
    /// 403 with a text body: Cloudflare blocked the user agent.
    UserAgentBlocked(String),
    NotFound(String),
    /// 409: the object conflicts with one that exists (a tag of the same
    /// normalized label, a workspace group relationship).
    Conflict(String),
    /// 429; `retry_after` in seconds when the server said.
    RateLimited {
        retry_after: Option<u64>,
    },
    /// 5xx.
    Server {
        status: u16,
        message: String,
    },
    /// Any other status.
    Unexpected {
        status: u16,
        message: String,
    },
    /// No answer: connection refused or dropped, or the request timed out.
    /// `connect`: no connection was made, so nothing was sent.
    Transport {
        timeout: bool,
        connect: bool,
        detail: String,
    },
    /// An answer that does not follow the contract.
    Protocol(String),
    /// A 3xx: never followed, since it would take the key elsewhere.
    Redirected {
        status: u16,
        location: String,
    },
    /// A list that did not end within the client's bounds.
    ListTooLong {
        max_pages: usize,
        max_items: usize,
        items: usize,
    },
    /// Refused before sending anything.
    Config(String),
}

impl ApiError {
    pub fn new(method: &str, path: &str, kind: ApiErrorKind) -> Self {
        ApiError {
            method: method.to_owned(),
            path: path.to_owned(),
            kind,
        }
    }

    pub fn status(&self) -> Option<u16> {
        use ApiErrorKind::*;
        Some(match &self.kind {
            BadRequest(_) => 400,
            Unauthorized(_) => 401,
            PaymentRequired(_) => 402,
            MissingScope(_) | UserAgentBlocked(_) => 403,
            NotFound(_) => 404,
            Conflict(_) => 409,
            RateLimited { .. } => 429,
            Server { status, .. } | Unexpected { status, .. } | Redirected { status, .. } => {
                *status
            }
            Transport { .. } | Protocol(_) | ListTooLong { .. } | Config(_) => return None,
        })
    }

    /// Whether a request that failed so may have been carried out anyway: a
    /// create answered so is checked by reading back, never blindly repeated.
    pub fn is_ambiguous(&self) -> bool {
        match &self.kind {
            ApiErrorKind::Server { .. } | ApiErrorKind::Protocol(_) => true,
            ApiErrorKind::Transport { connect, .. } => !connect,
            _ => false,
        }
    }

    /// Whether a retry may succeed, for a request of `mode`.
    pub fn is_transient(&self, mode: Retry) -> bool {
        match &self.kind {
            ApiErrorKind::RateLimited { .. } | ApiErrorKind::Transport { connect: true, .. } => {
                true
            }
            _ => mode == Retry::Idempotent && self.is_ambiguous(),
        }
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ApiErrorKind::*;
        match self {
            BadRequest(m) => write!(f, "400 Bad Request: {m}"),
            Unauthorized(m) => write!(
                f,
                "401 Unauthorized: {m} (check INSTANTLY_API_KEY / --api-key)"
            ),
            // The feature is named by `ApiError`'s Display, which knows the path.
            PaymentRequired(m) => write!(
                f,
                "402 Payment Required: {m} (the workspace's plan does not include this feature)"
            ),
            MissingScope(m) => write!(
                f,
                "403 Forbidden: {m} (the API key lacks a scope this call needs)"
            ),
            UserAgentBlocked(m) => write!(
                f,
                "403 blocked by the API's firewall ({m}); the User-Agent was refused"
            ),
            NotFound(m) => write!(f, "404 Not Found: {m}"),
            Conflict(m) => write!(
                f,
                "409 Conflict: {m} (it clashes with an object that already exists)"
            ),
            RateLimited {
                retry_after: Some(s),
            } => write!(f, "429 Too Many Requests (retry after {s}s)"),
            RateLimited { retry_after: None } => write!(f, "429 Too Many Requests"),
            Server { status, message } => write!(f, "{status} server error: {message}"),
            Unexpected { status, message } => write!(f, "unexpected status {status}: {message}"),
            Transport {
                timeout: true,
                detail,
                ..
            } => write!(f, "timed out: {detail}"),
            Transport { detail, .. } => write!(f, "no answer: {detail}"),
            Protocol(m) => write!(f, "answer does not follow the API contract: {m}"),
            Redirected { status, location } if location.is_empty() => write!(
                f,
                "{status} redirect without a Location, not followed (check --api-url)"
            ),
            Redirected { status, location } => write!(
                f,
                "{status} redirect to {location}, not followed: the API key goes only to --api-url (check it)"
            ),
            ListTooLong {
                max_pages,
                max_items,
                items,
            } => write!(
                f,
                "the list did not end within {max_pages} pages or {max_items} items ({items} read); stopped reading it"
            ),
            Config(m) => write!(f, "{m}"),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // Refused before any request: no method to name, the URL is the subject.
            ApiErrorKind::Config(m) if self.path.is_empty() => write!(f, "{m}"),
            ApiErrorKind::Config(m) => write!(f, "{}: {m}", self.path),
            ApiErrorKind::PaymentRequired(m) => write!(
                f,
                "{} {}: 402 Payment Required: {m} (the workspace's plan does not include {})",
                self.method,
                self.path,
                feature(&self.path)
            ),
            kind => write!(f, "{} {}: {kind}", self.method, self.path),
        }
    }
}

impl std::error::Error for ApiError {}

/// The feature an endpoint belongs to, as a 402 names it.
pub fn feature(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    const FEATURES: &[(&str, &str)] = &[
        ("/audit-logs", "the audit log"),
        ("/workspace-group-members", "workspace groups"),
        ("/custom-tag-mappings", "custom tags"),
        ("/custom-tags", "custom tags"),
        ("/api-keys", "API keys"),
        ("/workspace-members", "workspace members"),
    ];
    FEATURES
        .iter()
        .find(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map_or("this feature", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_402_names_the_feature_of_its_endpoint() {
        let e = |path: &str| {
            ApiError::new(
                "GET",
                path,
                ApiErrorKind::PaymentRequired("Payment Required".into()),
            )
            .to_string()
        };
        assert_eq!(
            e("/audit-logs"),
            "GET /audit-logs: 402 Payment Required: Payment Required (the workspace's plan does not include the audit log)"
        );
        assert!(
            e("/workspace-group-members/admin").ends_with("does not include workspace groups)")
        );
        assert!(e("/custom-tags?limit=100").ends_with("does not include custom tags)"));
        assert!(e("/campaigns").ends_with("does not include this feature)"));
        assert!(e("/audit-logsx").ends_with("does not include this feature)"));
    }

    #[test]
    fn a_409_is_a_conflict() {
        let e = ApiError::new(
            "POST",
            "/custom-tags",
            ApiErrorKind::Conflict(
                "A tag with the same normalized label already exists in this workspace".into(),
            ),
        );
        assert_eq!(e.status(), Some(409));
        assert!(!e.is_ambiguous());
        assert_eq!(
            e.to_string(),
            "POST /custom-tags: 409 Conflict: A tag with the same normalized label already exists in this workspace (it clashes with an object that already exists)"
        );
    }
}
