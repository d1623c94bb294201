//! What the sandbox does wrong on purpose: a seeded, deterministic mix of
//! the failures a network service shows (429 with and without Retry-After,
//! 5xx, dropped connections before or after a write is committed, garbled or
//! incomplete answers, a repeating cursor), latency, and the per-workspace
//! rate limit.

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Refuse the Nth write (POST, PATCH, DELETE; 1-based, counted from when
    /// this was set) with a 400 without carrying it out: a failure that no
    /// retry gets past.
    pub fail_write: Option<usize>,
    /// Wait this long before answering each request.
    pub latency_ms: u64,
    /// The share of requests (0 to 1) that get a fault from `FaultKind::ALL`.
    pub fault_rate: f64,
    /// Seeds which requests fail and how: the same seed and the same
    /// requests give the same faults, whatever order concurrent requests
    /// arrive in.
    pub seed: u64,
    /// Requests a second per workspace; past it, 429 with `Retry-After: 1`.
    pub rate_limit: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    TooManyWithRetryAfter,
    TooManyWithoutRetryAfter,
    Status500,
    Status502,
    Status503,
    /// The connection drops before the request is processed.
    DropBeforeProcessing,
    /// The connection drops after a write was committed: the ambiguous case.
    DropAfterCommit,
    MalformedJson,
    MissingFields,
    /// A list page whose cursor is the one asked with.
    RepeatingCursor,
}

impl FaultKind {
    pub const ALL: [FaultKind; 10] = [
        FaultKind::TooManyWithRetryAfter,
        FaultKind::TooManyWithoutRetryAfter,
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::DropBeforeProcessing,
        FaultKind::DropAfterCommit,
        FaultKind::MalformedJson,
        FaultKind::MissingFields,
        FaultKind::RepeatingCursor,
    ];

    /// Whether the request is still carried out (the fault hits its answer).
    pub fn after_processing(self) -> bool {
        matches!(
            self,
            FaultKind::DropAfterCommit
                | FaultKind::MalformedJson
                | FaultKind::MissingFields
                | FaultKind::RepeatingCursor
        )
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A stable digest of a request and how many times it was seen before, so
/// that faults do not depend on how concurrent requests interleave.
pub fn request_key(method: &str, path: &str, query: &str, body: &[u8], occurrence: u64) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in method
        .bytes()
        .chain(path.bytes())
        .chain(query.bytes())
        .chain(body.iter().copied())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    splitmix(h ^ occurrence)
}

/// The fault for the request with `key`, if any. A repeating cursor only
/// fits a list read that carries a cursor, and takes half of its faults
/// (such reads are few); other requests get the other kinds evenly.
pub fn pick(f: &Faults, key: u64, paged_list: bool) -> Option<FaultKind> {
    if f.fault_rate <= 0.0 {
        return None;
    }
    let r = splitmix(f.seed ^ key);
    if (r >> 11) as f64 / (1u64 << 53) as f64 >= f.fault_rate {
        return None;
    }
    let r2 = splitmix(r);
    if paged_list && r2.is_multiple_of(2) {
        return Some(FaultKind::RepeatingCursor);
    }
    let others = &FaultKind::ALL[..FaultKind::ALL.len() - 1];
    Some(others[(splitmix(r2) % others.len() as u64) as usize])
}

/// A response whose body fails: hyper drops the connection, and the client
/// gets no complete answer.
pub fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(failing),
    )
        .into_response()
}

fn json_error(status: StatusCode) -> Response {
    let body = serde_json::json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": "Injected fault",
    });
    (status, axum::Json(body)).into_response()
}

/// The answer for a fault that strikes before the request is processed.
pub fn before(kind: FaultKind) -> Option<Response> {
    Some(match kind {
        FaultKind::TooManyWithRetryAfter => {
            let mut r = json_error(StatusCode::TOO_MANY_REQUESTS);
            r.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().expect("a header value"));
            r
        }
        FaultKind::TooManyWithoutRetryAfter => json_error(StatusCode::TOO_MANY_REQUESTS),
        FaultKind::Status500 => json_error(StatusCode::INTERNAL_SERVER_ERROR),
        FaultKind::Status502 => json_error(StatusCode::BAD_GATEWAY),
        FaultKind::Status503 => json_error(StatusCode::SERVICE_UNAVAILABLE),
        FaultKind::DropBeforeProcessing => dropped(),
        _ => return None,
    })
}

/// The answer for a fault that strikes after the request was processed.
pub async fn after(kind: FaultKind, answer: Response, cursor: Option<&str>) -> Response {
    let json = |text: String| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response()
    };
    match kind {
        FaultKind::DropAfterCommit => dropped(),
        FaultKind::MalformedJson => {
            let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            json(text.chars().take(text.chars().count() / 2).collect())
        }
        FaultKind::MissingFields => json("{\"items\": [{}], \"id\": null}".into()),
        FaultKind::RepeatingCursor => {
            let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let mut page: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            page["next_starting_after"] = serde_json::Value::from(cursor.unwrap_or_default());
            json(page.to_string())
        }
        _ => answer,
    }
}

/// Requests of the last second, for the rate limit.
#[derive(Debug, Default)]
pub struct Window(VecDeque<Instant>);

impl Window {
    /// Counts a request, unless `limit` a second were already served.
    pub fn admit(&mut self, limit: f64) -> bool {
        let now = Instant::now();
        while self
            .0
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.0.pop_front();
        }
        if self.0.len() as f64 >= limit {
            return false;
        }
        self.0.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults_at_the_asked_rate() {
        let f = Faults {
            fault_rate: 0.2,
            seed: 7,
            ..Faults::default()
        };
        let keys: Vec<u64> = (0..5000)
            .map(|n| request_key("GET", "/campaigns", "limit=100", b"", n))
            .collect();
        let a: Vec<_> = keys.iter().map(|k| pick(&f, *k, true)).collect();
        let b: Vec<_> = keys.iter().map(|k| pick(&f, *k, true)).collect();
        assert_eq!(a, b);
        let hits = a.iter().filter(|x| x.is_some()).count();
        assert!((850..1150).contains(&hits), "{hits}");
        for k in FaultKind::ALL {
            assert!(a.contains(&Some(k)), "{k:?} never picked");
        }
        let other = Faults {
            seed: 8,
            ..f.clone()
        };
        assert_ne!(
            a,
            keys.iter()
                .map(|k| pick(&other, *k, true))
                .collect::<Vec<_>>()
        );
        assert!(
            keys.iter()
                .all(|k| pick(&f, *k, false) != Some(FaultKind::RepeatingCursor))
        );
    }
}
