//! Who changed a key: plans attribute API keys from the audit log.

use crate::support::{Server, Test, run_at, write};
use instantly_rbac::api_types::AuditEvent;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::{AuditAccess, SandboxState};

const CREATED: &str = "2026-11-20T10:00:00.000Z";

/// Leaves every demo key alone (and the members and tags).
const ADDITIVE: &str = "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\nmembers:\n  - {email: owner@acme.com, role: owner}\n";

/// The demo with its keys created on a fixed day, so that what is read
/// from the log (since the day before) does not depend on the clock.
fn dated() -> SandboxState {
    let mut s = demo_state();
    for k in &mut s.api_keys {
        k.timestamp_created = CREATED.into();
        k.timestamp_updated = CREATED.into();
    }
    s
}

fn key_id(s: &SandboxState, name: &str) -> String {
    s.api_keys
        .iter()
        .find(|k| k.name == name)
        .unwrap()
        .id
        .clone()
}

fn event(id: &str, activity_type: u32, key: &str, timestamp: &str, user: &str) -> AuditEvent {
    AuditEvent {
        id: id.into(),
        timestamp: timestamp.into(),
        organization_id: String::new(),
        activity_type,
        user_id: Some("01946416-2000-7000-8000-00000000000a".into()),
        user_name: Some(user.into()),
        ip_address: "203.0.113.7".into(),
        from_api: false,
        user_agent: None,
        api_key_id: Some(key.into()),
        audit_metadata: None,
    }
}

/// The demo with a log: Old Zapier created in the app by Priya; an event
/// of Marketing's key from before the day read (never attributed).
fn with_log() -> SandboxState {
    let mut s = dated();
    let zapier = key_id(&s, "Old Zapier");
    let marketing = key_id(&s, "Marketing — Analytics Read Only");
    s.audit_logs = vec![
        event(
            "01946416-9000-7000-8000-000000000001",
            37,
            &marketing,
            "2026-10-01T08:00:00.000Z",
            "Mallory Stale",
        ),
        event(
            "01946416-9000-7000-8000-000000000002",
            1,
            &zapier,
            "2026-11-20T09:00:00.000Z",
            "Not A Key Event",
        ),
        event(
            "01946416-9000-7000-8000-000000000003",
            37,
            &zapier,
            CREATED,
            "Priya Natarajan",
        ),
    ];
    s
}

#[test]
fn a_key_created_in_the_app_is_attributed_from_the_log() {
    Test::new()
        .file("w.yaml", ADDITIVE)
        .sandbox(with_log())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

No changes. The live workspace matches the file.

Left alone (11):
  api_key[Marketing \u{2014} Analytics Read Only] (not declared; policy.api_keys is additive)
  api_key[Old Zapier] (not declared; policy.api_keys is additive)
      # created by Priya Natarajan on 2026-11-20 in the app
  api_key[instantly-rbac (automation)] (not declared; policy.api_keys is additive)
  member[alice@acme.com] (not declared; policy.members is additive)
  member[bob@acme.com] (not declared; policy.members is additive)
  member[carol@acme.com] (not declared; policy.members is additive)
  member[dave@acme.com] (not declared; policy.members is additive)
  member[erin@acme.com] (not declared; policy.members is additive)
  member[support@instantly.ai] (not declared; policy.members is additive)
  tag[Old-Team] (not declared; policy.tags is additive)
  tag[SDR-West] (not declared; policy.tags is additive)
",
        )
        .stderr("")
        .unchanged();
}

#[test]
fn the_log_is_read_by_activity_type_from_the_day_before_the_oldest_key() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(with_log());
    write(d.path(), "w.yaml", ADDITIVE);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        server.sandbox.audit_reads(),
        [
            "GET /audit-logs?activity_type=37&start_date=2026-11-19T00%3A00%3A00.000Z&limit=1000",
            "GET /audit-logs?activity_type=38&start_date=2026-11-19T00%3A00%3A00.000Z&limit=1000",
        ]
    );
}

#[test]
fn a_plan_without_keys_to_attribute_reads_no_audit_log() {
    let mut s = with_log();
    s.api_keys
        .retain(|k| k.name == "instantly-rbac (automation)");
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(s);
    write(
        d.path(),
        "w.yaml",
        "version: 1\npolicy: {members: additive, tags: additive}\napi_keys:\n  - name: instantly-rbac (automation)\n    scopes: [all:all]\n",
    );
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(server.sandbox.audit_reads(), Vec::<String>::new());
    assert!(
        !server
            .sandbox
            .requests_by_endpoint()
            .contains_key("GET /audit-logs")
    );
}

fn without_access(refuse: impl FnOnce(&mut SandboxState), note: &str) {
    let mut s = with_log();
    refuse(&mut s);
    let ran = Test::new()
        .file("w.yaml", ADDITIVE)
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("")
        .unchanged();
    let doc = ran.json();
    assert_eq!(doc["warnings"], serde_json::json!([note]));
    let attributed = doc["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u.get("attribution").is_some())
        .count();
    assert_eq!(attributed, 0);
}

#[test]
fn without_the_scope_keys_are_not_attributed_and_one_note_says_so() {
    without_access(
        |s| s.audit_log = AuditAccess::Forbidden,
        "the audit log could not be read (GET /audit-logs: 403 Forbidden: API key does not have the required scope: audit_logs:read (the API key lacks a scope this call needs)): keys are not attributed",
    );
}

#[test]
fn without_the_feature_keys_are_not_attributed_and_one_note_says_so() {
    without_access(
        |s| s.payment_required = vec!["/audit-logs".into()],
        "the audit log could not be read (GET /audit-logs: 402 Payment Required: Upgrade your plan to use this endpoint (the workspace's plan does not include the audit log)): keys are not attributed",
    );
}

#[test]
fn a_key_created_through_the_api_is_attributed_when_left_alone_and_when_deleted() {
    let today = instantly_rbac::timestamp::date(instantly_rbac::timestamp::now());
    let by = format!(
        "# created by owner on {today} through the API (user agent instantly-rbac/{})",
        env!("CARGO_PKG_VERSION")
    );
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\napi_keys:\n  - name: ci-deploy\n    scopes: [campaigns:read]\n",
        )
        .file("alone.yaml", ADDITIVE)
        .file(
            "gone.yaml",
            "version: 1\npolicy: {members: additive, tags: additive}\napi_keys:\n  - name: instantly-rbac (automation)\n    scopes: [all:all]\n",
        )
        .sandbox(dated())
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ])
        .run()
        .status(0);
    let alone = ran
        .again(&["plan", "-f", "alone.yaml"])
        .status(0)
        .stderr("");
    assert!(
        alone.output.stdout.contains(&format!(
            "  api_key[ci-deploy] (not declared; policy.api_keys is additive)\n      {by}\n"
        )),
        "{}",
        alone.output.stdout
    );
    let gone = alone
        .again(&["plan", "-f", "gone.yaml"])
        .status(0)
        .stderr("");
    assert!(
        gone.output.stdout.contains(&format!(
            "  - api_key[ci-deploy]  (medium risk)\n      {by}\n"
        )),
        "{}",
        gone.output.stdout
    );
    // Applied, the declared key is gone: planned again, its create says who deleted it.
    let deleted = gone
        .again(&[
            "apply",
            "-f",
            "gone.yaml",
            "--auto-approve",
            "--ack-deletes",
            "api_key=3",
        ])
        .status(0)
        .again(&["plan", "-f", "w.yaml"])
        .status(0)
        .stderr("");
    let by = by.replace("# created", "# deleted");
    assert!(
        deleted.output.stdout.contains(&format!(
            "  + api_key[ci-deploy]  (medium risk)\n      {by}\n"
        )),
        "{}",
        deleted.output.stdout
    );
}

#[test]
fn json_carries_the_event_on_the_entry() {
    let ran = Test::new()
        .file("w.yaml", ADDITIVE)
        .sandbox(with_log())
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("");
    let doc = ran.json();
    assert_eq!(doc["warnings"], serde_json::json!([]));
    assert_eq!(
        doc["unmanaged"][1],
        serde_json::json!({
            "address": "api_key[Old Zapier]",
            "why": "not declared; policy.api_keys is additive",
            "attribution": {
                "event": "created",
                "user_name": "Priya Natarajan",
                "user_id": "01946416-2000-7000-8000-00000000000a",
                "timestamp": CREATED,
                "from_api": false
            }
        })
    );
}

#[test]
fn a_hostile_user_name_is_shown_escaped() {
    let mut s = with_log();
    let e = s.audit_logs.last_mut().unwrap();
    e.user_name = Some("Eve\u{1b}[2J\n| **x** <b>".into());
    e.from_api = true;
    e.user_agent = Some("curl/8\u{7}`".into());
    let text = Test::new()
        .file("w.yaml", ADDITIVE)
        .sandbox(s.clone())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0);
    assert!(
        text.output.stdout.contains(
            "      # created by Eve\\u{1b}[2J\\n| **x** <b> on 2026-11-20 through the API (user agent curl/8\\u{7}`)\n"
        ),
        "{}",
        text.output.stdout
    );
    let md = Test::new()
        .file("w.yaml", ADDITIVE)
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml", "--format", "markdown"])
        .run()
        .status(0);
    let line = md
        .output
        .stdout
        .lines()
        .find(|l| l.contains("Old Zapier"))
        .unwrap()
        .to_owned();
    assert_eq!(
        line,
        "- `api_key[Old Zapier]` (not declared; policy.api_keys is additive): created by Eve\\u{1b}[2J\\n\\| \\*\\*x\\*\\* &lt;b&gt; on 2026-11-20 through the API (user agent curl/8\\u{7}\\`)"
    );
}

/// Attribution is read again at apply: a saved plan whose attribution
/// differs from the recomputed one (the log changed, or the field was
/// edited) applies as planned.
#[test]
fn a_saved_plans_attribution_is_not_compared_at_apply() {
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, tags: additive}\napi_keys:\n  - name: instantly-rbac (automation)\n    scopes: [all:all]\n  - name: Marketing — Analytics Read Only\n    scopes: [campaigns:read]\n",
        )
        .sandbox(with_log())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0);
    let path = ran.path("p.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let delete = saved["plan"]["actions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["address"] == "api_key[Old Zapier]")
        .unwrap();
    assert_eq!(delete["attribution"]["user_name"], "Priya Natarajan");
    delete["attribution"]["user_name"] = "Someone Else".into();
    std::fs::write(&path, serde_json::to_string_pretty(&saved).unwrap()).unwrap();
    let ran = ran
        .again(&["apply", "p.json", "-f", "w.yaml", "--secrets-out", "s.json"])
        .status(0)
        .stderr("");
    let state = ran.state.unwrap();
    assert!(state.api_keys.iter().all(|k| k.name != "Old Zapier"));
}
