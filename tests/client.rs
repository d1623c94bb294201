//! The API client against the sandbox over loopback: pagination, typed
//! errors, the user agent, and what it refuses before connecting.

use crate::support::{OPERATOR_KEY, Server};
use instantly_rbac::api_error::ApiErrorKind;
use instantly_rbac::api_types::{Member, Tag};
use instantly_rbac::client::Client;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use secrecy::SecretString;
use std::time::Duration;

fn client(server: &Server, key: &str) -> Client {
    Client::new(
        server.url(),
        SecretString::from(key.to_owned()),
        Duration::from_secs(5),
    )
    .unwrap()
}

fn with_tags(n: usize) -> SandboxState {
    let mut s = demo_state();
    for i in 0..n {
        let mut t = s.tags[0].clone();
        t.id = format!("01946416-7000-7000-8000-{i:012}");
        t.label = format!("bulk-{i:04}");
        s.tags.push(t);
    }
    s
}

#[test]
fn pagination_follows_the_cursor_to_the_end() {
    // 2 demo tags + 198 = 200: two full pages and an empty third.
    let server = Server::start(with_tags(198));
    let c = client(&server, OPERATOR_KEY);
    let before = server.sandbox.requests();
    let tags: Vec<Tag> = server.rt.block_on(c.list("/custom-tags", &[])).unwrap();
    assert_eq!(tags.len(), 200);
    assert_eq!(server.sandbox.requests() - before, 3);
    let mut ids: Vec<_> = tags.iter().map(|t| &t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 200, "no item twice");
}

#[test]
fn typed_errors_carry_the_endpoint_and_message() {
    let server = Server::demo();
    let bad = client(&server, "sbx_wrong_key_000000000");
    let e = server
        .rt
        .block_on(bad.get::<Member>("/workspace-members/x", &[]))
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(
        e.to_string().starts_with("GET /workspace-members/x: 401"),
        "{e}"
    );

    let c = client(&server, OPERATOR_KEY);
    let e = server
        .rt
        .block_on(c.get::<Member>("/workspace-members/nope", &[]))
        .unwrap_err();
    assert!(
        matches!(e.kind, ApiErrorKind::NotFound(ref m) if m == "Resource not found"),
        "{e:?}"
    );

    let e = server
        .rt
        .block_on(c.delete("/api-keys/01946416-3000-7000-8000-000000000001"))
        .unwrap_err();
    assert!(
        matches!(e.kind, ApiErrorKind::BadRequest(_)),
        "revoking the calling key: {e:?}"
    );
}

#[test]
fn a_key_without_the_scope_gets_a_scope_error() {
    let mut state = demo_state();
    state.api_keys[1].key = "sbx_reader_only_1234567890".into(); // campaigns:read
    let server = Server::start(state);
    let c = client(&server, "sbx_reader_only_1234567890");
    let e = server
        .rt
        .block_on(c.list::<Member>("/workspace-members", &[]))
        .unwrap_err();
    assert!(
        matches!(e.kind, ApiErrorKind::MissingScope(ref m) if m.contains("workspace_members:read")),
        "{e:?}"
    );
}

#[test]
fn the_sandbox_blocks_default_user_agents_and_bad_limits() {
    let server = Server::demo();
    let url = format!("{}/workspace-members", server.url());
    let raw = reqwest::Client::new(); // no User-Agent at all
    let resp = server
        .rt
        .block_on(raw.get(&url).bearer_auth(OPERATOR_KEY).send())
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(server.rt.block_on(resp.text()).unwrap(), "error code: 1010");

    let ua = reqwest::Client::builder()
        .user_agent("test/1")
        .build()
        .unwrap();
    for limit in ["0", "101", "x"] {
        let resp = server
            .rt
            .block_on(
                ua.get(&url)
                    .query(&[("limit", limit)])
                    .bearer_auth(OPERATOR_KEY)
                    .send(),
            )
            .unwrap();
        assert_eq!(resp.status(), 400, "limit={limit}");
    }
    let del = format!(
        "{}/custom-tags/01946416-4000-7000-8000-000000000002",
        server.url()
    );
    let resp = server
        .rt
        .block_on(
            ua.delete(&del)
                .bearer_auth(OPERATOR_KEY)
                .header("content-type", "application/json")
                .body("{}")
                .send(),
        )
        .unwrap();
    assert_eq!(resp.status(), 400, "DELETE with a body is refused");
}

#[test]
fn lists_mask_keys_and_only_creation_shows_the_secret() {
    let server = Server::demo();
    let c = client(&server, OPERATOR_KEY);
    let keys: Vec<instantly_rbac::api_types::ApiKey> =
        server.rt.block_on(c.list("/api-keys", &[])).unwrap();
    assert!(
        keys.iter()
            .all(|k| k.key.chars().count() == 9 && k.key.contains('…')),
        "{keys:?}"
    );
    assert_eq!(c.key_mask(), "sbx_…cdef");
}

#[test]
fn plain_http_is_refused_off_loopback_and_an_empty_key_is_refused() {
    let k = || SecretString::from("k".repeat(20));
    let t = Duration::from_secs(1);
    let e = Client::new("http://api.example.com/api/v2", k(), t).unwrap_err();
    assert!(e.to_string().contains("use https"), "{e}");
    assert!(Client::new("http://127.0.0.1:9/api/v2", k(), t).is_ok());
    assert!(Client::new("https://api.instantly.ai/api/v2", k(), t).is_ok());
    let e = Client::new("https://api.instantly.ai/api/v2", SecretString::from(""), t).unwrap_err();
    assert!(e.to_string().contains("INSTANTLY_API_KEY"), "{e}");
}

#[test]
fn the_key_never_shows_in_debug() {
    let c = Client::new(
        "https://api.instantly.ai/api/v2",
        SecretString::from("sk_live_SECRETSECRET".to_owned()),
        Duration::from_secs(1),
    )
    .unwrap();
    assert!(!format!("{c:?}").contains("SECRET"));
}

#[test]
fn reading_the_demo_workspace_takes_one_request_per_list() {
    let server = Server::demo();
    let c = client(&server, OPERATOR_KEY);
    let before = server.sandbox.requests();
    let live = server
        .rt
        .block_on(instantly_rbac::pipeline::read_for_export(&c))
        .unwrap();
    // workspace + members, keys, tags + mappings, campaigns: each fits one page.
    assert_eq!(server.sandbox.requests() - before, 6);
    assert_eq!(live.members.len(), 7);
    let dir = tempfile::tempdir().unwrap();
    let file = crate::support::write(
        dir.path(),
        "w.yaml",
        "version: 1\npolicy:\n  tags: additive\nmembers:\n  - email: owner@acme.com\n    role: owner\n",
    );
    let before = server.sandbox.requests();
    server
        .rt
        .block_on(instantly_rbac::pipeline::plan_path(&c, &file))
        .unwrap();
    assert_eq!(
        server.sandbox.requests() - before,
        // Two audit reads attribute the keys left alone.
        4 + 2,
        "a file without tags reads no assignments"
    );
}
