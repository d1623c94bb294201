//! Hostile or broken answers: a clear error naming the endpoint and what
//! was wrong; never a panic, never an endless loop.

use axum::Router;
use axum::routing::get;
use instantly_rbac::api_error::ApiErrorKind;
use instantly_rbac::client::{Client, ClientOptions};
use secrecy::SecretString;
use std::time::Duration;

fn item(i: usize) -> serde_json::Value {
    serde_json::json!({"id": format!("id-{i:04}"), "label": "x"})
}

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/api/v2/loop",
            get(|| async {
                axum::Json(serde_json::json!({"items": [item(1)], "next_starting_after": "same"}))
            }),
        )
        .route(
            "/api/v2/big-page",
            get(|| async {
                axum::Json(serde_json::json!({"items": (0..101).map(item).collect::<Vec<_>>()}))
            }),
        )
        .route(
            "/api/v2/huge",
            get(|| async { "x".repeat(40 * 1024 * 1024) }),
        )
        .route("/api/v2/garbage", get(|| async { "<html>not json</html>" }))
        .route(
            "/api/v2/html500",
            get(|| async {
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    format!("<html>{}</html>", "oops ".repeat(100)),
                )
            }),
        )
        .route(
            "/api/v2/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "{}"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[test]
fn hostile_answers_are_clear_errors() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = serve().await;
        let opts = ClientOptions {
            max_attempts: 2,
            backoff_base: Duration::from_millis(1),
            timeout: Duration::from_millis(500),
            ..ClientOptions::default()
        };
        let c = Client::with_options(&url, SecretString::from("sbx_test_key_0000000000".to_owned()), opts).unwrap();

        let e = c.list::<serde_json::Value>("/loop", &[]).await.unwrap_err();
        assert_eq!(e.to_string(), "GET /loop: answer does not follow the API contract: the cursor `same` repeated");

        let e = c.list::<serde_json::Value>("/big-page", &[]).await.unwrap_err();
        assert!(e.to_string().contains("GET /big-page: answer does not follow the API contract: a page of 101 items"), "{e}");

        let e = c.get::<serde_json::Value>("/huge", &[]).await.unwrap_err();
        assert!(e.to_string().contains("an answer larger than 33554432 bytes"), "{e}");

        let e = c.get::<serde_json::Value>("/garbage", &[]).await.unwrap_err();
        assert!(e.to_string().starts_with("GET /garbage: answer does not follow the API contract: malformed JSON"), "{e}");

        let e = c.get::<serde_json::Value>("/html500", &[]).await.unwrap_err();
        assert!(matches!(e.kind, ApiErrorKind::Server { status: 500, ref message } if message.len() <= 200), "{e:?}");
        assert!(e.to_string().starts_with("GET /html500: 500 server error: <html>oops"), "{e}");

        let e = c.get::<serde_json::Value>("/slow", &[]).await.unwrap_err();
        assert!(matches!(e.kind, ApiErrorKind::Transport { timeout: true, .. }), "{e:?}");
        assert!(e.to_string().starts_with("GET /slow: timed out"), "{e}");
        // Two attempts each; the looping list reads two pages per attempt.
        assert_eq!(c.stats().requests.load(std::sync::atomic::Ordering::SeqCst), 4 + 2 + 2 + 2 + 2 + 2, "bounded attempts");
    });
}
