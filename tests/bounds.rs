//! Bounds on what the tool accepts and reads (issue 11, items 7 and 8):
//! addresses that hide characters, endless or oversized inputs, redirects,
//! duplicate answers, numeric flags. Each refusal is a clear message.

use crate::support::{OPERATOR_KEY, Test};
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use instantly_rbac::client::{Client, ClientOptions};
use secrecy::SecretString;
use std::collections::HashMap;

/// Serves `app` on loopback from a runtime of its own; returns the runtime
/// (keep it alive) and the base URL.
fn serve(app: Router) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rt, url)
}

/// A list whose every page is full and names a new cursor: it never ends.
async fn endless(Query(q): Query<HashMap<String, String>>) -> axum::Json<serde_json::Value> {
    let n: u64 = q.get("starting_after").map_or(0, |c| c.parse().unwrap()) + 1;
    let items: Vec<_> = (0..100)
        .map(|i| serde_json::json!({"id": format!("t-{n}-{i}"), "label": "x"}))
        .collect();
    axum::Json(serde_json::json!({"items": items, "next_starting_after": n.to_string()}))
}

fn redirect() -> axum::response::Response {
    axum::response::Response::builder()
        .status(302)
        .header("location", "https://collector.example/steal")
        .body(axum::body::Body::empty())
        .unwrap()
}

#[test]
fn addresses_with_hidden_characters_or_mixed_scripts_are_located_errors() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers:\n  - email: \"sa\\u200bm@acme.com\"\n    role: admin\n  - email: p\u{430}ypal@acme.com\n    role: view\n  - email: j\u{f6}rg@acme.com\n    role: view\n  - email: \"bob @acme.com\"\n    role: view\ntags:\n  - label: t\n    accounts: [\"\\u202einfo@acme.com\"]\npolicy:\n  protect:\n    members: [\"z\\ufeff@acme.com\"]\n  ignore:\n    members: [\"x\\u2060@acme.com\", \"*@example.com\"]\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: `sa\\u{200B}m@acme.com` contains an invisible character, U+200B (zero width space)
 --> w.yaml:3:12
  |
3 |   - email: \"sa\\u200bm@acme.com\"
  |            ^^^^^^^^^^^^^^^^^^^^
  |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `p\u{430}ypal@acme.com` mixes scripts: Cyrillic `\u{430}` (U+0430) among Latin letters
 --> w.yaml:5:12
  |
5 |   - email: p\u{430}ypal@acme.com
  |            ^^^^^^^^^^^^^^^
  |
help: a look-alike letter from another script makes a different address; retype it in one script

error: `j\u{f6}rg@acme.com` is not plain ASCII: `\u{f6}` (U+00F6)
 --> w.yaml:7:12
  |
7 |   - email: j\u{f6}rg@acme.com
  |            ^^^^^^^^^^^^^
  |
help: if the address really is internationalised, set `policy.allow_non_ascii_emails: true`

error: `bob @acme.com` contains whitespace, U+0020 (space)
 --> w.yaml:9:12
  |
9 |   - email: \"bob @acme.com\"
  |            ^^^^^^^^^^^^^^^
  |
help: an email address has no spaces or control characters; remove them

error: `\\u{202E}info@acme.com` contains an invisible character, U+202E (a bidirectional control)
  --> w.yaml:13:16
   |
13 |     accounts: [\"\\u202einfo@acme.com\"]
   |                ^^^^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `z\\u{FEFF}@acme.com` contains an invisible character, U+FEFF (byte order mark)
  --> w.yaml:16:15
   |
16 |     members: [\"z\\ufeff@acme.com\"]
   |               ^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `x\\u{2060}@acme.com` contains an invisible character, U+2060 (word joiner)
  --> w.yaml:18:15
   |
18 |     members: [\"x\\u2060@acme.com\", \"*@example.com\"]
   |               ^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: 7 errors in w.yaml
",
        );
}

#[test]
fn non_ascii_addresses_need_the_opt_in_and_never_mix_scripts() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers:\n  - email: j\u{f6}rg@acme.com\n    role: view\n  - email: \u{438}\u{432}\u{430}\u{43d}@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.com\n    role: view\n  - email: \u{3b1}lice@acme.com\n    role: view\npolicy:\n  allow_non_ascii_emails: true\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: `\u{3b1}lice@acme.com` mixes scripts: Latin `l` (U+006C) among Greek letters
 --> w.yaml:7:12
  |
7 |   - email: \u{3b1}lice@acme.com
  |            ^^^^^^^^^^^^^^
  |
help: a look-alike letter from another script makes a different address; retype it in one script

error: 1 error in w.yaml
",
        );
}

#[test]
fn an_endless_or_oversized_input_file_is_refused_without_reading_it_all() {
    let started = std::time::Instant::now();
    Test::new()
        .args(&["validate", "-f", "/dev/zero"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: cannot read /dev/zero: it is not a regular file, as a desired-state file is\n",
        );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // A FIFO would block the open: refused before it.
    let t = Test::new();
    let fifo = std::ffi::CString::new(t.dir.path().join("w.yaml").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path in our own temporary folder.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    t.args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stderr(
            "error: cannot read w.yaml: it is not a regular file, as a desired-state file is\n",
        );
    // A saved plan is bounded the same way (it may come from a CI artifact).
    Test::new()
        .args(&["--sandbox", "apply", "/dev/zero", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: cannot read the plan /dev/zero: it is not a regular file, as a saved plan is\n",
        );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    Test::new()
        .file("big.yaml", &format!("version: 1\n{}", "#".repeat(8 * 1024 * 1024)))
        .args(&["validate", "-f", "big.yaml"])
        .run()
        .status(1)
        .stderr("error: cannot read big.yaml: it is larger than 8 MiB, the most a desired-state file may be\n");
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_its_first_bad_byte() {
    let t = Test::new();
    std::fs::write(
        t.dir.path().join("w.yaml"),
        b"version: 1\nmembers:\n  - email: j\xf6rg@acme.com\n    role: view\n",
    )
    .unwrap();
    t.args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: the file is not valid UTF-8: byte 0xF6 here
 --> w.yaml:3:13
  |
3 |   - email: j\u{fffd}rg@acme.com
  |             ^^^^^^^^^^^^
  |
help: save the file as UTF-8

error: 1 error in w.yaml
",
        );
}

#[test]
fn parser_limits_read_as_plain_sentences() {
    let aliases: String = (1..8)
        .map(|i| {
            format!(
                "  a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            )
        })
        .collect();
    Test::new()
        .file("deep.yaml", &format!("version: 1\nx: {}{}\n", "[".repeat(100), "]".repeat(100)))
        .file("bomb.yaml", &format!("version: 1\nx:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n{aliases}"))
        .file("two.yaml", "version: 1\n---\nversion: 1\n")
        .args(&["validate", "-f", "deep.yaml", "-f", "bomb.yaml", "-f", "two.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: the file is too deeply nested or too large
 --> deep.yaml:2:67
  |
2 | x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]...
  |                                                                   ^
  |
help: a desired-state file nests a few levels deep; values may nest at most 64 levels

error: 1 error in deep.yaml
error: the file is too deeply nested or too large
 --> bomb.yaml:8:17
  |
8 |   a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
  |                 ^^^
  |
help: anchors and aliases (`&a`, `*a`) expand to more values than a desired-state file holds; write the entries out

error: 1 error in bomb.yaml
error: the file holds more than one YAML document (a second `---`)
 --> two.yaml:3:1
  |
3 | version: 1
  | ^^^^^^^
  |
help: one file describes one workspace; put each workspace in a file of its own

error: 1 error in two.yaml
",
        );
}

#[test]
fn numeric_flags_out_of_range_are_usage_errors() {
    let cases = [
        (
            "--rate-limit",
            "0",
            "error: invalid value '0' for '--rate-limit <N>': requests per second: more than 0 and at most 100 (the API's limit)",
        ),
        (
            "--rate-limit",
            "101",
            "error: invalid value '101' for '--rate-limit <N>': requests per second: more than 0 and at most 100 (the API's limit)",
        ),
        (
            "--rate-limit",
            "NaN",
            "error: invalid value 'NaN' for '--rate-limit <N>': requests per second: more than 0 and at most 100 (the API's limit)",
        ),
        (
            "--timeout",
            "0",
            "error: invalid value '0' for '--timeout <SECONDS>': 0 is not in 1..=3600",
        ),
        (
            "--timeout",
            "3601",
            "error: invalid value '3601' for '--timeout <SECONDS>': 3601 is not in 1..=3600",
        ),
        (
            "--parallelism",
            "0",
            "error: invalid value '0' for '--parallelism <N>': 0 is not in 1..=64",
        ),
        (
            "--parallelism",
            "65",
            "error: invalid value '65' for '--parallelism <N>': 65 is not in 1..=64",
        ),
        (
            "--max-attempts",
            "0",
            "error: invalid value '0' for '--max-attempts <N>': 0 is not in 1..=20",
        ),
        (
            "--max-attempts",
            "21",
            "error: invalid value '21' for '--max-attempts <N>': 21 is not in 1..=20",
        ),
        (
            "--retry-budget",
            "3601",
            "error: invalid value '3601' for '--retry-budget <SECONDS>': 3601 is not in 0..=3600",
        ),
    ];
    for (flag, value, message) in cases {
        Test::new()
            .args(&["--sandbox", flag, value, "plan", "-f", "w.yaml"])
            .run()
            .status(1)
            .stdout("")
            .stderr(&format!(
                "{message}\n\nFor more information, try '--help'.\n"
            ));
    }
    Test::new()
        .file("w.yaml", "version: 1\n")
        .args(&[
            "--rate-limit",
            "100",
            "--timeout",
            "3600",
            "--parallelism",
            "64",
            "--max-attempts",
            "20",
            "--retry-budget",
            "3600",
            "validate",
            "-f",
            "w.yaml",
        ])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
}

#[test]
fn a_directory_without_workspace_files_is_an_error_not_in_sync() {
    let t = Test::new();
    std::fs::create_dir(t.dir.path().join("empty")).unwrap();
    std::fs::create_dir(t.dir.path().join("other")).unwrap();
    std::fs::write(t.dir.path().join("other/notes.txt"), "").unwrap();
    t.args(&["--sandbox", "plan", "-f", "empty", "--detailed-exitcode"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: empty: no workspace files (*.yaml, *.yml) in this directory; nothing to plan\n",
        )
        .again(&["--sandbox", "plan", "-f", "other"])
        .status(1)
        .stdout("")
        .stderr(
            "error: other: no workspace files (*.yaml, *.yml) in this directory; nothing to plan\n",
        );
}

#[test]
fn an_api_key_on_the_command_line_is_warned_about() {
    Test::new()
        .file("w.yaml", "version: 1\n")
        .args(&["validate", "-f", "w.yaml", "--api-key", "sbx_secret_0000000000"])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("warning: --api-key on the command line shows in process lists and shell history; set INSTANTLY_API_KEY instead\n")
        .again(&["validate", "-f", "w.yaml"])
        .status(0)
        .stderr("");
    Test::new()
        .file("w.yaml", "version: 1\n")
        .env("INSTANTLY_API_KEY", "sbx_secret_0000000000")
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
}

#[test]
fn a_list_that_never_ends_stops_at_the_page_or_item_bound() {
    let (rt, url) = serve(Router::new().route("/api/v2/custom-tags", get(endless)));
    let client = |pages, items| {
        let opts = ClientOptions {
            max_list_pages: pages,
            max_list_items: items,
            ..ClientOptions::default()
        };
        Client::with_options(&url, SecretString::from(OPERATOR_KEY.to_owned()), opts).unwrap()
    };
    let c = client(50, 1_000_000);
    let e = rt
        .block_on(c.list::<serde_json::Value>("/custom-tags", &[]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "GET /custom-tags: the list did not end within 50 pages or 1000000 items (5000 read); stopped reading it"
    );
    assert_eq!(
        c.stats().requests.load(std::sync::atomic::Ordering::SeqCst),
        50,
        "not read again"
    );
    let c = client(10_000, 250);
    let e = rt
        .block_on(c.list::<serde_json::Value>("/custom-tags", &[]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "GET /custom-tags: the list did not end within 10000 pages or 250 items (300 read); stopped reading it"
    );
    // A bounded look-up still answers "longer than asked", not an error.
    let c = client(50, 1_000_000);
    assert_eq!(
        rt.block_on(c.list_within::<serde_json::Value>("/custom-tags", &[], 3))
            .unwrap(),
        None
    );
}

#[test]
fn a_redirect_is_never_followed() {
    let (_rt, url) =
        serve(Router::new().route("/api/v2/workspaces/current", get(|| async { redirect() })));
    Test::new()
        .file("w.yaml", "version: 1\nmembers: []\n")
        .env("INSTANTLY_API_URL", &url)
        .env("INSTANTLY_API_KEY", OPERATOR_KEY)
        .args(&["plan", "-f", "w.yaml", "--max-attempts", "1"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: GET /workspaces/current: 302 redirect to https://collector.example/steal, not followed: the API key goes only to --api-url (check it)\n");
}

#[test]
fn an_object_the_api_lists_twice_is_planned_and_counted_once() {
    let mut state = instantly_rbac::sandbox::demo::demo_state();
    let erin = state
        .members
        .iter()
        .find(|m| m.email.as_str() == "erin@acme.com")
        .unwrap()
        .clone();
    state.members.push(erin);
    let tag = state.tags[0].clone();
    state.tags.push(tag);
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nroles:\n  sdr:\n    role: editor\n    permissions: [campaigns.view]\nmembers:\n  - email: owner@acme.com\n    role: owner\n  - email: alice@acme.com\n    role: admin\n  - email: bob@acme.com\n    role: view\n  - email: carol@acme.com\n    role: sdr\n  - email: dave@acme.com\n    role: editor\n  - email: support@instantly.ai\n    role: admin\npolicy:\n  api_keys: additive\n  tags: additive\n  max_deletes: 1\n",
        )
        .sandbox(state)
        .args(&["plan", "-f", "w.yaml", "--detailed-exitcode"])
        .run()
        .status(2)
        .stdout(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 0 to create, 0 to update, 0 to replace, 1 to delete.

Members:
  - member[erin@acme.com]  (medium risk)
      role: view
      status: invited (pending)

Access impact:
  \u{25bc} reduction  member[erin@acme.com]: view -> no access

Warnings:
  ! GET /workspace-members listed member erin@acme.com (id 01946416-1000-7000-8000-000000000007) 2 times; it is counted once
  ! GET /custom-tags listed tag `SDR-West` (id 01946416-4000-7000-8000-000000000001) 2 times; it is counted once

Left alone (5):
  api_key[Marketing \u{2014} Analytics Read Only] (not declared; policy.api_keys is additive)
  api_key[Old Zapier] (not declared; policy.api_keys is additive)
  api_key[instantly-rbac (automation)] (not declared; policy.api_keys is additive)
  tag[Old-Team] (not declared; policy.tags is additive)
  tag[SDR-West] (not declared; policy.tags is additive)
",
        )
        .stderr("")
        .unchanged();
}

/// The mapping walk reads the whole campaign list: a campaign listed twice
/// there is one campaign, not "2 campaigns are named …".
#[test]
fn a_campaign_listed_twice_on_the_walk_is_one_campaign() {
    let mut s = instantly_rbac::sandbox::demo::demo_state();
    let twice = s.campaigns[0].clone();
    s.campaigns.push(twice);
    let yaml = std::fs::read_to_string(crate::support::example()).unwrap();
    let ran = Test::new()
        .file("w.yaml", &yaml)
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("");
    let doc = ran.json();
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .filter(|w| w.contains("/campaigns"))
        .collect();
    assert_eq!(
        warnings,
        vec![
            "GET /campaigns listed campaign `Q4 West Outbound` (id 01946416-5000-7000-8000-000000000001) 2 times; it is counted once"
        ]
    );
}
