//! `review`: the access matrix, last logins from the audit log, findings,
//! every format, against the sandbox.

use crate::support::{Server, Test, run_at};
use instantly_rbac::api_types::ApiKey;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::{AuditAccess, SandboxState};
use instantly_rbac::timestamp;

/// Timestamps relative to now, so outputs compare on any day: the
/// review's own time (`…:SSZ`) is `<now>`, any other (`…:SS.mmmZ`) is
/// `<N days ago HH:MM>` (but for the demo's fixed T0).
fn normalize(s: &str) -> String {
    let today = timestamp::now().div_euclid(86_400);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let shape = |at: usize, len: usize| -> Option<String> {
        let t: String = chars.get(at..at + len)?.iter().collect();
        let ok = t.char_indices().all(|(j, c)| match j {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 if len == 24 => c == '.',
            j if j == len - 1 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
        ok.then_some(t)
    };
    while i < chars.len() {
        // The demo's fixed creation time (T0) stays as it is.
        if let Some(t) = shape(i, 24).filter(|t| !t.starts_with("2026-01-05T09:00")) {
            let days = today - timestamp::parse(&t).unwrap().div_euclid(86_400);
            out.push_str(&format!("<{days} days ago {}>", &t[11..16]));
            i += 24;
        } else if shape(i, 20).is_some() {
            out.push_str("<now>");
            i += 20;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn review(state: SandboxState, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["review"];
    all.extend_from_slice(args);
    let ran = Test::new().sandbox(state).args(&all).run().unchanged();
    (
        ran.output.code,
        normalize(&ran.output.stdout),
        normalize(&ran.output.stderr),
    )
}

#[test]
fn the_demo_in_text() {
    let (code, out, err) = review(demo_state(), &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "Access review of Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a) at <now>, read with key \"instantly-rbac (automation)\"; inactive after 90 days

Members (7):
  member                role    campaigns  leads  accounts  webhooks  api_keys  members  last login                inactive
  owner@acme.com        owner   full       full   full      full      full      full     <1 days ago 09:30>  no
  alice@acme.com        admin   full       full   full      full      full      full     <2 days ago 09:30>  no
  bob@acme.com          view    view       view   view      none      none      none     <12 days ago 09:30>  no
  carol@acme.com        editor  edit       edit   view      none      none      none     <5 days ago 09:30>  no
  dave@acme.com         editor  edit       edit   view      none      none      none     -                         yes
  support@instantly.ai  admin   full       full   full      full      full      full     <30 days ago 09:30>  no
  erin@acme.com         view    view       view   view      none      none      none     invited (pending)         pending

API keys (3):
  key                              scopes          campaigns  leads  accounts  webhooks  api_keys  members  age (days)  flags
  instantly-rbac (automation)      all:all         full       full   full      full      full      full     30          over-privileged
  Marketing — Analytics Read Only  campaigns:read  view       none   none      none      none      none     30
  Old Zapier                       all:all         full       full   full      full      full      full     30          over-privileged

Findings (4):
  inactive_member     member[dave@acme.com]: no login in the last 90 days
  pending_invitation  member[erin@acme.com]: invited 120 days ago and not accepted
  overprivileged_key  api_key[Old Zapier]: scopes [all:all] give full access everywhere, or write API keys or members
  overprivileged_key  api_key[instantly-rbac (automation)]: scopes [all:all] give full access everywhere, or write API keys or members
"
    );
}

#[test]
fn the_demo_in_json() {
    let (code, out, err) = review(demo_state(), &["--format", "json"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format_version"], "1");
    insta::assert_snapshot!("review_demo_json", out);
}

#[test]
fn the_demo_in_markdown_and_csv() {
    let (code, out, _) = review(demo_state(), &["--format", "markdown"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("review_demo_markdown", out);
    let (code, out, _) = review(demo_state(), &["--format", "csv"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("review_demo_csv", out);
}

/// The members' `last_login` and `inactive`, as JSON.
fn activity(out: &str) -> Vec<(String, serde_json::Value, serde_json::Value)> {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["last_login"].clone(),
                m["inactive"].clone(),
            )
        })
        .collect()
}

#[test]
fn an_unreadable_or_empty_log_is_unknown_never_inactive() {
    let mut forbidden = demo_state();
    forbidden.audit_log = AuditAccess::Forbidden;
    let mut unpaid = demo_state();
    unpaid.payment_required = vec!["/audit-logs".into()];
    let mut empty = demo_state();
    empty.audit_logs.clear();
    for (state, why) in [
        (
            forbidden,
            "the audit log could not be read (GET /audit-logs: 403 Forbidden: API key does not have the required scope: audit_logs:read (the API key lacks a scope this call needs))",
        ),
        (
            unpaid,
            "the audit log could not be read (GET /audit-logs: 402 Payment Required: Upgrade your plan to use this endpoint (the workspace's plan does not include the audit log))",
        ),
        (
            empty,
            "the audit log has no logins in the window (a plan without audit logs may answer so)",
        ),
    ] {
        let (code, out, err) = review(state, &["--format", "json"]);
        assert_eq!(code, 0, "{err}");
        for (email, last, inactive) in activity(&out) {
            assert_eq!(
                (last, inactive),
                (serde_json::Value::Null, serde_json::Value::Null),
                "{email}"
            );
        }
        let note = format!("last logins are unknown: {why}; no member is reported inactive");
        assert_eq!(err, format!("note: Acme Sales: {note}\n"));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["findings"][0],
            serde_json::json!({"kind": "activity_unknown", "address": "workspace", "detail": note})
        );
        assert!(!out.contains("inactive_member"), "{out}");
    }
}

#[test]
fn the_log_is_read_for_logins_since_the_window_only() {
    let server = Server::demo();
    let dir = tempfile::tempdir().unwrap();
    let o = run_at(
        &server,
        dir.path(),
        &["review", "--inactive-days", "30", "--format", "json"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let start = timestamp::date(timestamp::now() - 30 * 86_400);
    assert_eq!(
        server.sandbox.audit_reads(),
        [format!(
            "GET /audit-logs?activity_type=1&start_date={start}T00%3A00%3A00.000Z&limit=1000"
        )]
    );
    // The window starts at midnight 30 days ago: support@'s login that day
    // is in it, so only dave is out.
    let inactive: Vec<String> = activity(&o.stdout)
        .into_iter()
        .filter(|(_, _, i)| *i == serde_json::Value::Bool(true))
        .map(|(e, _, _)| e)
        .collect();
    assert_eq!(inactive, ["dave@acme.com"]);
    // A 10-day window leaves bob (12 days) and support (30) out too.
    let o = run_at(
        &server,
        dir.path(),
        &["review", "--inactive-days", "10", "--format", "json"],
    );
    let inactive: Vec<String> = activity(&o.stdout)
        .into_iter()
        .filter(|(_, _, i)| *i == serde_json::Value::Bool(true))
        .map(|(e, _, _)| e)
        .collect();
    assert_eq!(
        inactive,
        ["bob@acme.com", "dave@acme.com", "support@instantly.ai"]
    );
}

const DECLARED: &str = "version: 1
workspace:
  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a
roles:
  sdr:
    role: editor
    permissions: [campaigns.view]
members:
  - email: owner@acme.com
    role: owner
  - email: carol@acme.com
    role: sdr
  - email: bob@acme.com
    role: view
  - email: dave@acme.com
    role: view
api_keys:
  - name: Old Zapier
    scopes: [\"all:all\"]
    rotate_after_days: 7
  - name: Marketing — Analytics Read Only
    scopes: [\"campaigns:read\"]
    rotate_after_days: 90
";

#[test]
fn with_a_file_team_roles_rotation_and_undeclared_access() {
    let ran = Test::new()
        .file("w.yaml", DECLARED)
        .sandbox(demo_state())
        .args(&["review", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .unchanged();
    let v = ran.json();
    let carol = &v["members"][3];
    assert_eq!(
        (&carol["email"], &carol["team_role"]),
        (&"carol@acme.com".into(), &"sdr".into())
    );
    let rotation: Vec<(&str, bool)> = v["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap(),
                k["rotation_due"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rotation,
        [
            ("instantly-rbac (automation)", false),
            ("Marketing — Analytics Read Only", false),
            ("Old Zapier", true)
        ]
    );
    let findings: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] != "overprivileged_key")
        .map(|f| {
            format!(
                "{} {}: {}",
                f["kind"].as_str().unwrap(),
                f["address"].as_str().unwrap(),
                f["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            "inactive_member member[dave@acme.com]: no login in the last 90 days",
            "pending_invitation member[erin@acme.com]: invited 120 days ago and not accepted",
            "rotation_due api_key[Old Zapier]: 30 days old; rotate_after_days is 7",
            "undeclared_access api_key[instantly-rbac (automation)]: not declared in w.yaml",
            "undeclared_access member[alice@acme.com]: not declared in w.yaml",
            "undeclared_access member[dave@acme.com]: holds more than w.yaml declares: campaigns edit (declared view), leads edit (declared view)",
            "undeclared_access member[erin@acme.com]: not declared in w.yaml",
            "undeclared_access member[support@instantly.ai]: not declared in w.yaml",
        ]
    );
}

#[test]
fn findings_change_the_status_only_when_asked() {
    let (code, _, _) = review(demo_state(), &["--fail-on-findings", "--format", "json"]);
    assert_eq!(code, 2);
    // A key that reads exactly what a review needs, no member to flag.
    let mut clean = demo_state();
    clean
        .members
        .retain(|m| m.email.to_string() != "dave@acme.com" && m.accepted);
    clean.api_keys.retain(|k| k.name.starts_with("Marketing"));
    clean.api_keys[0].scopes = [
        "workspaces:read",
        "workspace_members:read",
        "api_keys:read",
        "audit_logs:read",
    ]
    .map(String::from)
    .to_vec();
    let ran = Test::new()
        .sandbox(clean)
        .env("INSTANTLY_API_KEY", "sbx_demo_marketing_fedcba9876543210")
        .args(&["review", "--fail-on-findings", "--format", "json"])
        .run();
    assert_eq!(ran.output.code, 0, "{}", ran.output.stdout);
    assert_eq!(ran.json()["findings"], serde_json::json!([]));
}

#[test]
fn a_directory_reviews_each_workspace_and_sums_up() {
    let mut agency = demo_state();
    let mut client = demo_state();
    client.workspace.id = "01946416-09c9-7bef-bbc9-000000000001".into();
    client.workspace.name = "Client Co".into();
    client.audit_log = AuditAccess::Forbidden;
    agency.sub_workspaces.push(client);
    let home = "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a\n";
    let other = "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-000000000001\n";
    let ran = Test::new()
        .file("ws/a.yaml", home)
        .file("ws/b.yaml", other)
        .sandbox(agency)
        .args(&["review", "-f", "ws", "--format", "json"])
        .run()
        .status(0)
        .unchanged();
    let v = ran.json();
    assert_eq!(v["workspaces"].as_array().unwrap().len(), 2);
    assert_eq!(v["workspaces"][1]["workspace"]["name"], "Client Co");
    assert_eq!(
        v["summary"],
        serde_json::json!({
            "workspaces": [
                {"file": "ws/a.yaml", "workspace_id": "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a", "workspace_name": "Acme Sales", "members": 7, "api_keys": 3, "findings": 14},
                {"file": "ws/b.yaml", "workspace_id": "01946416-09c9-7bef-bbc9-000000000001", "workspace_name": "Client Co", "members": 7, "api_keys": 3, "findings": 14}
            ],
            "members": 14,
            "api_keys": 6,
            "findings": {"activity_unknown": 1, "inactive_member": 1, "overprivileged_key": 4, "pending_invitation": 2, "undeclared_access": 20},
            "errors": 0
        })
    );
    let text = ran.again(&["review", "-f", "ws"]);
    let out = normalize(&text.output.stdout);
    assert!(
        out.ends_with(
            "Agency summary:
  ws/a.yaml: Acme Sales: 7 members, 3 API keys, 14 findings
  ws/b.yaml: Client Co: 7 members, 3 API keys, 14 findings
  2 workspaces (0 not reviewed), 14 members, 6 API keys, findings: 1 activity_unknown, 1 inactive_member, 4 overprivileged_key, 2 pending_invitation, 20 undeclared_access
"
        ),
        "{out}"
    );
}

fn hostile_key(name: &str) -> ApiKey {
    let mut k = demo_state().api_keys[1].clone();
    k.id = "01946416-3000-7000-8000-000000000099".into();
    k.key = "sbx_hostile_0000000000000000".into();
    k.name = name.into();
    k
}

#[test]
fn csv_neutralises_formulas_and_quotes_fields() {
    let mut state = demo_state();
    state
        .api_keys
        .push(hostile_key("=HYPERLINK(\"http://evil\",\"x\"), @SUM"));
    let (code, out, _) = review(state, &["--format", "csv"]);
    assert_eq!(code, 0);
    let last = out.lines().last().unwrap();
    assert_eq!(
        last,
        "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a,api_key,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\"), @SUM\",,,campaigns:read,view,none,none,none,none,none,,,,<30 days ago 00:00>,30,false,false"
    );
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let mut state = demo_state();
    state.workspace.name = "Acme | **bold** [x](http://evil)".into();
    state
        .api_keys
        .push(hostile_key("evil\u{1b}]0;pwned\u{7}\n## fake | cell"));
    let (_, text, _) = review(state.clone(), &[]);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.contains("  evil\\u{1b}]0;pwned\\u{7}\\n## fake | cell  campaigns:read"),
        "{text}"
    );
    let (_, md, _) = review(state.clone(), &["--format", "markdown"]);
    assert!(
        md.starts_with("# Access review: Acme \\| \\*\\*bold\\*\\* [x\\](http://evil)\n"),
        "{md}"
    );
    assert!(
        md.contains("| evil\\u{1b}]0;pwned\\u{7}\\n## fake \\| cell | campaigns:read |"),
        "{md}"
    );
    let (_, csv, _) = review(state.clone(), &["--format", "csv"]);
    assert!(
        csv.contains(",evil\\u{1b}]0;pwned\\u{7}\\n## fake | cell,"),
        "{csv}"
    );
    let (_, json, _) = review(state, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["api_keys"][3]["name"],
        "evil\u{1b}]0;pwned\u{7}\n## fake | cell"
    );
}

#[test]
fn output_goes_to_a_file() {
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["review", "--format", "markdown", "-o", "review.md"])
        .run()
        .status(0)
        .stdout("")
        .stderr("wrote review.md\n");
    let written = std::fs::read_to_string(ran.path("review.md")).unwrap();
    assert!(
        written.starts_with("# Access review: Acme Sales\n"),
        "{written}"
    );
}

/// The brief's matrix as team roles: what each grants, as tabled in
/// docs/access-review.md.
#[test]
fn the_example_roles_grant_what_the_docs_table_says() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/roles/access-matrix.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let config = instantly_rbac::config_loader::parse("access-matrix.yaml", &text)
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let rows: Vec<(String, Vec<&str>)> = config
        .roles
        .keys()
        .map(|name| {
            let (role, permissions) = config.resolve_role(&name.as_str().into());
            let access = instantly_rbac::access::of_member(&role, &permissions);
            (
                name.clone(),
                access.cells().map(|(_, l)| l.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "manager".to_owned(),
                vec!["edit", "edit", "view", "none", "none", "none"]
            ),
            (
                "sdr".to_owned(),
                vec!["edit", "edit", "view", "none", "none", "none"]
            ),
            (
                "viewer".to_owned(),
                vec!["view", "view", "view", "none", "none", "none"]
            ),
        ]
    );
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/access-review.md"),
    )
    .unwrap();
    for line in [
        "| | grants (`editor` + `campaigns.view`, `leadManagement.view`, `accounts.view`, `analytics.view`) | edit | edit | view | none | none | none |",
        "| | grants (`editor` + `campaigns.view`, `leadManagement.view`, `leads.move`, `accounts.view`) | edit | edit | view | none | none | none |",
        "| | grants (`view`) | view | view | view | none | none | none |",
    ] {
        assert!(docs.contains(line), "docs/access-review.md lacks {line}");
    }
}

/// The plan's access impact reads the same table as `review`.
#[test]
fn the_plans_access_impact_names_the_matrix_columns_that_change() {
    let example = crate::support::example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["plan", "-f", &example, "--format", "json"])
        .run()
        .status(0);
    let v = ran.json();
    let of = |address: &str| {
        v["access_impact"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["address"] == address)
            .unwrap()["access"]
            .clone()
    };
    assert_eq!(
        of("member[bob@acme.com]"),
        serde_json::json!([
            {"column": "campaigns", "before": "view", "after": "edit"},
            {"column": "leads", "before": "view", "after": "edit"}
        ])
    );
    assert_eq!(
        of("member[carol@acme.com]"),
        serde_json::Value::Null,
        "no column changes"
    );
    assert_eq!(
        of("api_key[Marketing — Analytics Read Only]"),
        serde_json::json!([{"column": "accounts", "before": "none", "after": "view"}])
    );
}

/// A key whose scopes do not cover `audit_logs:read` gets a 403 from the
/// log (the sandbox checks every route's scope): activity is unknown.
#[test]
fn a_key_without_audit_logs_read_leaves_activity_unknown() {
    let mut state = demo_state();
    state.api_keys[1].scopes = ["workspaces:read", "workspace_members:read", "api_keys:read"]
        .map(String::from)
        .to_vec();
    let ran = Test::new()
        .sandbox(state)
        .env("INSTANTLY_API_KEY", "sbx_demo_marketing_fedcba9876543210")
        .args(&["review", "--format", "json"])
        .run()
        .status(0)
        .stderr("note: Acme Sales: last logins are unknown: the audit log could not be read (GET /audit-logs: 403 Forbidden: API key does not have the required scope: audit_logs:read (the API key lacks a scope this call needs)); no member is reported inactive\n");
    for (email, last, inactive) in activity(&ran.output.stdout) {
        assert_eq!(
            (last, inactive),
            (serde_json::Value::Null, serde_json::Value::Null),
            "{email}"
        );
    }
    assert_eq!(ran.json()["findings"][0]["kind"], "activity_unknown");
}

#[test]
fn a_bad_file_is_a_located_error_and_a_directory_says_what_it_could_not_review() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers:\n  - email: bob@acme.com\n    role: superuser\n",
        )
        .sandbox(demo_state())
        .args(&["review", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .unchanged();
    let ran = Test::new()
        .file("ws/a.yaml", "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a\n")
        .file("ws/b.yaml", "version: 1\n")
        .sandbox(demo_state())
        .args(&["review", "-f", "ws", "--format", "json"])
        .run()
        .status(1)
        .stderr("error: ws/b.yaml: `workspace.id` is required when reviewing a directory: the file must say which workspace it is for\n")
        .unchanged();
    let v = ran.json();
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(
        v["summary"]["workspaces"][1],
        serde_json::json!({"file": "ws/b.yaml", "workspace_id": null, "workspace_name": null, "members": 0, "api_keys": 0, "findings": 0, "error": "ws/b.yaml: `workspace.id` is required when reviewing a directory: the file must say which workspace it is for"})
    );
    assert_eq!(v["workspaces"].as_array().unwrap().len(), 1);
}

/// `-o` never replaces what is not a regular file: a device, a named pipe,
/// a directory, a symbolic link (`/dev/stdout` is one) are refused before
/// any request and left as they are; `-o -` is standard output.
#[test]
fn the_output_is_a_new_or_regular_file_or_stdout() {
    let refused = |out: &str, why: &str| {
        let t = Test::new().file("victim.txt", "precious");
        std::os::unix::fs::symlink("victim.txt", t.dir.path().join("link.md")).unwrap();
        std::fs::create_dir(t.dir.path().join("d")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(t.dir.path().join("myfifo"))
            .status()
            .unwrap();
        assert!(fifo.success());
        let ran = t
            .sandbox(demo_state())
            .args(&["review", "-o", out])
            .run()
            .status(1)
            .stdout("")
            .stderr(&format!(
                "error: -o {out} is {why}, not a regular file: it is left as it is; choose a new or a regular file, or `-o -` for standard output\n"
            ))
            .unchanged();
        assert!(ran.path("link.md").is_symlink());
        assert!(ran.path("d").is_dir());
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::symlink_metadata(ran.path("myfifo"))
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(
            std::fs::read_to_string(ran.path("victim.txt")).unwrap(),
            "precious"
        );
    };
    refused("/dev/null", "a device");
    refused("myfifo", "a named pipe");
    refused("d", "a directory");
    refused("link.md", "a symbolic link (not followed)");
    let (code, out, err) = review(demo_state(), &["-o", "-"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, review(demo_state(), &[]).1);
}

/// The one check in `durable_file` covers every command's output path.
#[test]
fn plan_and_export_refuse_a_device_or_a_pipe_too() {
    let t = Test::new().file(
        "w.yaml",
        "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
    );
    let fifo = std::process::Command::new("mkfifo")
        .arg(t.dir.path().join("myfifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let ran = t
        .sandbox(demo_state())
        .args(&["export", "-o", "myfifo"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: cannot write myfifo: myfifo is a named pipe, not a regular file: it is left as it is\n")
        .unchanged();
    // The plan is shown, then not saved.
    let ran = ran.again(&["plan", "-f", "w.yaml", "-q"]).status(0);
    let shown = ran.output.stdout.clone();
    ran.again(&["plan", "-f", "w.yaml", "--out", "/dev/null", "-q"])
        .status(1)
        .stdout(&shown)
        .stderr("error: cannot write /dev/null: /dev/null is a device, not a regular file: it is left as it is\n")
        .unchanged();
}

/// `-o` is never one of the review's inputs: the file given with `-f`, a
/// file of the `-f` directory, the sandbox state.
#[test]
fn the_output_is_never_an_input() {
    let yaml = "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a\n";
    let refused = |args: &[&str], why: &str| {
        let ran = Test::new()
            .file("w.yaml", yaml)
            .file("ws/a.yaml", yaml)
            .sandbox(demo_state())
            .args(args)
            .run()
            .status(1)
            .stdout("")
            .stderr(&format!("error: {why}\n"))
            .unchanged();
        assert_eq!(std::fs::read_to_string(ran.path("w.yaml")).unwrap(), yaml);
        assert_eq!(
            std::fs::read_to_string(ran.path("ws/a.yaml")).unwrap(),
            yaml
        );
    };
    refused(
        &["review", "-f", "w.yaml", "-o", "./w.yaml"],
        "-o ./w.yaml is the desired-state file given with -f: choose another file for the review",
    );
    refused(
        &["review", "-f", "ws", "-o", "ws/a.yaml"],
        "-o ws/a.yaml is a desired-state file of the -f directory: choose another file for the review",
    );
    refused(
        &["review", "-o", "state.json"],
        "-o state.json is the sandbox state file: choose another file for the review",
    );
}

/// The findings of a JSON review, as `kind address: detail` lines.
fn findings_of(ran: &crate::support::Ran) -> Vec<String> {
    ran.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f["kind"].as_str().unwrap(),
                f["address"].as_str().unwrap(),
                f["detail"].as_str().unwrap()
            )
        })
        .collect()
}

fn run_json(state: SandboxState, file: Option<&str>) -> crate::support::Ran {
    let mut t = Test::new().sandbox(state);
    let mut args = vec!["review", "--format", "json"];
    if let Some(yaml) = file {
        t = t.file("w.yaml", yaml);
        args.extend(["-f", "w.yaml"]);
    }
    t.args(&args).run().status(0).stderr("").unchanged()
}

/// The demo's login event `i` (oldest first: dave, support, bob, carol,
/// alice, owner), at another time.
fn login_at(state: &mut SandboxState, email_user: &str, at: String) {
    let e = state
        .audit_logs
        .iter_mut()
        .find(|e| e.user_name.as_deref() == Some(email_user))
        .unwrap();
    e.timestamp = at;
}

/// A login the API attributes to nobody may be anyone's: members without
/// a login of their own are unknown, not inactive.
#[test]
fn logins_without_a_user_id_leave_unmatched_members_unknown() {
    let mut state = demo_state();
    let mut anon = state.audit_logs[0].clone();
    anon.id = "01946416-7000-7000-8000-000000000099".into();
    anon.user_id = None;
    anon.timestamp = timestamp::now_iso();
    state.audit_logs.push(anon);
    let ran = Test::new()
        .sandbox(state)
        .args(&["review", "--format", "json"])
        .run()
        .status(0)
        .stderr("note: Acme Sales: 1 login in the window has no user id: a member without a login of their own is unknown, not inactive\n")
        .unchanged();
    let dave = &activity(&ran.output.stdout)[4];
    assert_eq!(
        dave,
        &(
            "dave@acme.com".to_owned(),
            serde_json::Value::Null,
            serde_json::Value::Null
        )
    );
    assert_eq!(
        findings_of(&ran),
        [
            "activity_unknown workspace: 1 login in the window has no user id: a member without a login of their own is unknown, not inactive",
            "pending_invitation member[erin@acme.com]: invited 120 days ago and not accepted",
            "overprivileged_key api_key[Old Zapier]: scopes [all:all] give full access everywhere, or write API keys or members",
            "overprivileged_key api_key[instantly-rbac (automation)]: scopes [all:all] give full access everywhere, or write API keys or members",
        ]
    );
}

/// A timestamp that is not a date, or is in the future, proves nothing:
/// activity and age are unknown (never recent, never inactive, never a
/// negative age), each with a finding; a pending invitation of unknown
/// age is still reported.
#[test]
fn untrusted_timestamps_make_activity_and_age_unknown() {
    let mut state = demo_state();
    login_at(&mut state, "bob", "2099-01-01T09:30:00.000Z".into());
    // Hour 99 of today: the API's clock says a date this tool cannot read.
    let today = timestamp::date(timestamp::now());
    login_at(&mut state, "carol", format!("{today}T99:00:00.000Z"));
    let erin = state
        .members
        .iter_mut()
        .find(|m| m.email.to_string() == "erin@acme.com")
        .unwrap();
    erin.timestamp_created = "2099-06-01T00:00:00.000Z".into();
    state.api_keys[1].timestamp_created = "garbage".into();
    state.api_keys[2].timestamp_created = "2030-01-01T00:00:00.000Z".into();
    let ran = run_json(state, Some(DECLARED));
    let rows = activity(&ran.output.stdout);
    let null = serde_json::Value::Null;
    assert_eq!(
        rows[2],
        ("bob@acme.com".to_owned(), null.clone(), null.clone())
    );
    assert_eq!(
        rows[3],
        ("carol@acme.com".to_owned(), null.clone(), null.clone())
    );
    let ages: Vec<serde_json::Value> = ran.json()["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["age_days"].clone())
        .collect();
    assert_eq!(ages, [serde_json::json!(30), null.clone(), null]);
    let findings: Vec<String> = findings_of(&ran)
        .into_iter()
        .filter(|f| !f.starts_with("undeclared_access") && !f.starts_with("overprivileged"))
        .collect();
    assert_eq!(
        findings,
        [
            "untrusted_timestamp api_key[Marketing — Analytics Read Only]: created `garbage` is not a date: its age is unknown; rotate_after_days is 90, but whether it is due cannot be told: rotate it by hand".to_owned(),
            "untrusted_timestamp api_key[Old Zapier]: created `2030-01-01T00:00:00.000Z` is in the future: its age is unknown; rotate_after_days is 7, but whether it is due cannot be told: rotate it by hand".to_owned(),
            "untrusted_timestamp member[bob@acme.com]: last login `2099-01-01T09:30:00.000Z` is in the future: activity unknown".to_owned(),
            format!("untrusted_timestamp member[carol@acme.com]: last login `{today}T99:00:00.000Z` is not a date: activity unknown"),
            "inactive_member member[dave@acme.com]: no login in the last 90 days".to_owned(),
            "pending_invitation member[erin@acme.com]: not accepted; invited at an unknown time (`2099-06-01T00:00:00.000Z` is in the future)".to_owned(),
        ]
    );
    // Text: an unknown age reads `unknown`, never `-` or a negative number.
    let text = ran.again(&["review", "-f", "w.yaml"]).status(0).stderr("");
    let out = normalize(&text.output.stdout);
    assert!(
        out.contains(
            "  Marketing — Analytics Read Only  campaigns:read  view       none   none      none      none      none     unknown
  Old Zapier                       all:all         full       full   full      full      full      full     unknown     over-privileged
"
        ),
        "{out}"
    );
}

/// `rotate_after_days: N` is due when the key is *older* than N whole
/// days, as `plan` rotates it: at exactly N days it is not yet.
#[test]
fn rotation_is_due_after_n_days_as_plan_says() {
    let at = |days: i64| {
        let mut state = demo_state();
        state.api_keys[2].timestamp_created =
            instantly_rbac::review::iso(timestamp::now() - days * 86_400 - 3600);
        let ran = run_json(state, Some(DECLARED));
        findings_of(&ran)
            .into_iter()
            .filter(|f| f.starts_with("rotation_due"))
            .collect::<Vec<_>>()
    };
    assert_eq!(at(7), Vec::<String>::new());
    assert_eq!(
        at(8),
        ["rotation_due api_key[Old Zapier]: 8 days old; rotate_after_days is 7"]
    );
    assert!(instantly_rbac::planner::is_rotation_due(8, 7));
    assert!(!instantly_rbac::planner::is_rotation_due(7, 7));
}

/// With `-f`, a scope or permission outside the matrix's six columns is
/// access the file does not declare, compared exactly.
#[test]
fn undeclared_scopes_and_permissions_outside_the_matrix_are_findings() {
    let mut state = demo_state();
    state.api_keys[1].scopes = ["campaigns:read", "emails:all", "billing:all"]
        .map(String::from)
        .to_vec();
    let bob = state
        .members
        .iter_mut()
        .find(|m| m.email.to_string() == "bob@acme.com")
        .unwrap();
    bob.permissions = Some(vec!["billing.manage".into()]);
    let ran = run_json(state, Some(DECLARED));
    let undeclared: Vec<String> = findings_of(&ran)
        .into_iter()
        .filter(|f| f.starts_with("undeclared_access"))
        .collect();
    assert_eq!(
        undeclared,
        [
            "undeclared_access api_key[Marketing — Analytics Read Only]: holds more than w.yaml declares: scope emails:all, scope billing:all",
            "undeclared_access api_key[instantly-rbac (automation)]: not declared in w.yaml",
            "undeclared_access member[alice@acme.com]: not declared in w.yaml",
            "undeclared_access member[bob@acme.com]: holds more than w.yaml declares: billing.manage",
            "undeclared_access member[dave@acme.com]: holds more than w.yaml declares: campaigns edit (declared view), leads edit (declared view)",
            "undeclared_access member[erin@acme.com]: not declared in w.yaml",
            "undeclared_access member[support@instantly.ai]: not declared in w.yaml",
        ]
    );
}

/// Over-privileged, from the access table: full access through `all`, or
/// writing API keys or members. `all:read` and an unknown `all:x` are not.
#[test]
fn overprivileged_keys_follow_the_access_table() {
    let mut state = demo_state();
    for (n, scopes) in [
        ("members-all", "workspace_group_members:all"),
        ("read-everything", "all:read"),
        ("unknown-action", "all:frobnicate"),
        ("key-minter", "api_keys:create"),
    ] {
        let mut k = hostile_key(n);
        k.id = format!("01946416-3000-7000-8000-0000000001{:02}", n.len());
        k.key = format!("sbx_{n}_0000000000000000");
        k.scopes = vec![scopes.into()];
        state.api_keys.push(k);
    }
    let ran = run_json(state, None);
    let flagged: Vec<String> = findings_of(&ran)
        .into_iter()
        .filter(|f| f.starts_with("overprivileged_key"))
        .collect();
    assert_eq!(
        flagged,
        [
            "overprivileged_key api_key[Old Zapier]: scopes [all:all] give full access everywhere, or write API keys or members",
            "overprivileged_key api_key[instantly-rbac (automation)]: scopes [all:all] give full access everywhere, or write API keys or members",
            "overprivileged_key api_key[key-minter]: scopes [api_keys:create] give full access everywhere, or write API keys or members",
            "overprivileged_key api_key[members-all]: scopes [workspace_group_members:all] give full access everywhere, or write API keys or members",
        ]
    );
}

/// The key in use is named only when its mask (first and last four
/// characters, all the API shows) matches exactly one key.
#[test]
fn the_key_in_use_is_named_only_when_its_mask_is_unique() {
    let mut state = demo_state();
    let mut twin = hostile_key("Twin");
    twin.key = "sbx_twin_of_the_operator_cdef".into();
    state.api_keys.push(twin);
    let (code, out, err) = review(state.clone(), &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out.lines().next().unwrap(),
        "Access review of Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a) at <now>, read with a key ending …cdef (ambiguous: several keys of the workspace end so); inactive after 90 days"
    );
    let (_, md, _) = review(state, &["--format", "markdown", "--inactive-days", "1"]);
    assert!(
        md.contains(
            "| read with the API key | a key ending …cdef (ambiguous: several keys of the workspace end so) |\n| inactive after | 1 day |\n"
        ),
        "{md}"
    );
}

/// Exactly 20 000 logins in the window are all read; one more is "more
/// than 20 000" (unknown).
#[test]
fn twenty_thousand_logins_are_read_whole() {
    let with = |n: usize| {
        let mut state = demo_state();
        let base = state.audit_logs[0].clone();
        let at = timestamp::now_iso();
        state.audit_logs = (0..n)
            .map(|i| {
                let mut e = base.clone();
                e.id = format!("01946416-7000-7000-8000-{i:012}");
                e.timestamp.clone_from(&at);
                e
            })
            .collect();
        let ran = Test::new()
            .sandbox(state)
            .args(&["review", "--format", "json"])
            .run()
            .status(0);
        (ran.output.stderr.clone(), findings_of(&ran)[0].clone())
    };
    let (err, first) = with(20_000);
    assert_eq!(err, "");
    assert_eq!(
        first,
        "inactive_member member[alice@acme.com]: no login in the last 90 days"
    );
    let (err, first) = with(20_001);
    let note = "last logins are unknown: more than 20000 logins in the window; no member is reported inactive";
    assert_eq!(err, format!("note: Acme Sales: {note}\n"));
    assert_eq!(first, format!("activity_unknown workspace: {note}"));
}

/// A file of team roles only is not a workspace's file; with one,
/// members that `policy.ignore` leaves alone are not undeclared.
#[test]
fn a_base_file_is_refused_and_ignored_members_are_not_undeclared() {
    Test::new()
        .file("roles.yaml", "version: 1\nroles:\n  sdr:\n    role: editor\n")
        .sandbox(demo_state())
        .args(&["review", "-f", "roles.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: roles.yaml: this file declares no workspace, members, api_keys or tags: it looks like a base for `extends`, and as a workspace file it would delete every member, API key and tag (a review would find them all undeclared); extend it from a workspace file (`extends: [roles.yaml]` beside `workspace:`) and use that; nothing was changed\n")
        .unchanged();
    let ignoring = format!(
        "{DECLARED}policy:\n  ignore:\n    members: [\"*@instantly.ai\", alice@acme.com]\n    api_keys: [\"instantly-rbac*\"]\n"
    );
    let ran = run_json(demo_state(), Some(&ignoring));
    let undeclared: Vec<String> = findings_of(&ran)
        .into_iter()
        .filter(|f| f.starts_with("undeclared_access"))
        .collect();
    assert_eq!(
        undeclared,
        [
            "undeclared_access member[dave@acme.com]: holds more than w.yaml declares: campaigns edit (declared view), leads edit (declared view)",
            "undeclared_access member[erin@acme.com]: not declared in w.yaml",
        ]
    );
}

/// `-f DIR`: every `*.yaml` entry is accounted for — a dangling link is not
/// reviewed (exit 1), a directory is skipped with a warning, a second file
/// for a workspace is refused rather than counted twice, a bad file keeps
/// its located, multi-line diagnostic; the summary reads naturally.
#[test]
fn a_directory_accounts_for_every_entry() {
    let home = "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a\nmembers:\n  - email: owner@acme.com\n    role: owner\n";
    let t = Test::new()
        .file("ws/a.yaml", home)
        .file("ws/b.yaml", home)
        .file(
            "ws/d.yaml",
            "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a\nmembers:\n  - email: bob@acme.com\n    role: superuser\n",
        )
        .file("ws/e.yaml", "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-0000000000ff\n");
    std::os::unix::fs::symlink("gone.yaml", t.dir.path().join("ws/c.yaml")).unwrap();
    std::fs::create_dir(t.dir.path().join("ws/sub.yaml")).unwrap();
    let ran = t
        .sandbox(demo_state())
        .args(&["review", "-f", "ws", "--inactive-days", "1"])
        .run()
        .status(1)
        .unchanged();
    let out = normalize(&ran.output.stdout);
    let summary = &out[out.find("Agency summary:").unwrap()..];
    assert_eq!(
        summary,
        "Agency summary:
  ws/a.yaml: Acme Sales: 7 members, 3 API keys, 17 findings
  ws/b.yaml: not reviewed: workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a is already reviewed from ws/a.yaml: one file per workspace
  ws/c.yaml: not reviewed: a symbolic link to nothing: the workspace it stands for is not reviewed
  ws/d.yaml: not reviewed: unknown role `superuser`
  ws/e.yaml: not reviewed: GET /workspaces/current: 403 Forbidden: x-as-workspace: workspace 01946416-09c9-7bef-bbc9-0000000000ff is not an accepted sub-workspace of this API key's workspace (the agency key of 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a does not reach workspace 01946416-09c9-7bef-bbc9-0000000000ff, or lacks a scope this call needs)
  5 workspaces (4 not reviewed), 7 members, 3 API keys, findings: 5 inactive_member, 2 overprivileged_key, 1 pending_invitation, 9 undeclared_access
"
    );
    let stderr = "warning: ws/sub.yaml is a directory, not a workspace file; skipped
error: ws/b.yaml: workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a is already reviewed from ws/a.yaml: one file per workspace
error: ws/c.yaml: a symbolic link to nothing: the workspace it stands for is not reviewed
error: ws/d.yaml: unknown role `superuser`
 --> ws/d.yaml:6:11
  |
6 |     role: superuser
  |           ^^^^^^^^^
  |
help: expected one of owner, admin, editor, view (no team roles are defined under `roles`)

error: 1 error in ws/d.yaml
error: ws/e.yaml: GET /workspaces/current: 403 Forbidden: x-as-workspace: workspace 01946416-09c9-7bef-bbc9-0000000000ff is not an accepted sub-workspace of this API key's workspace (the agency key of 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a does not reach workspace 01946416-09c9-7bef-bbc9-0000000000ff, or lacks a scope this call needs)
";
    assert_eq!(ran.output.stderr, stderr);
    let ran = ran
        .again(&[
            "review",
            "-f",
            "ws",
            "--format",
            "markdown",
            "--inactive-days",
            "1",
        ])
        .status(1);
    let out = normalize(&ran.output.stdout);
    assert_eq!(
        &out[out.find("## Agency summary").unwrap()..],
        "## Agency summary

| file | workspace | members | API keys | findings |
|---|---|---|---|---|
| ws/a.yaml | Acme Sales | 7 | 3 | 17 |
| ws/b.yaml | not reviewed: workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a is already reviewed from ws/a.yaml: one file per workspace | – | – | – |
| ws/c.yaml | not reviewed: a symbolic link to nothing: the workspace it stands for is not reviewed | – | – | – |
| ws/d.yaml | not reviewed: unknown role \\`superuser\\` | – | – | – |
| ws/e.yaml | not reviewed: GET /workspaces/current: 403 Forbidden: x-as-workspace: workspace 01946416-09c9-7bef-bbc9-0000000000ff is not an accepted sub-workspace of this API key's workspace (the agency key of 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a does not reach workspace 01946416-09c9-7bef-bbc9-0000000000ff, or lacks a scope this call needs) | – | – | – |

5 workspaces (4 not reviewed), 7 members, 3 API keys, findings: 5 inactive_member, 2 overprivileged_key, 1 pending_invitation, 9 undeclared_access
"
    );
    // CSV stays a table: what was not reviewed is said on stderr (exit 1).
    let ran = ran
        .again(&["review", "-f", "ws/a.yaml", "--format", "csv"])
        .status(0);
    let one = ran.output.stdout.clone();
    ran.again(&["review", "-f", "ws", "--format", "csv"])
        .status(1)
        .stdout(&one)
        .stderr(stderr)
        .unchanged();
}

/// A review changes nothing, and its errors say what was not reviewed.
#[test]
fn errors_speak_of_reviewing() {
    let t = Test::new().file(
        "w.yaml",
        "version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-0000000000ff\n",
    );
    std::fs::create_dir(t.dir.path().join("empty")).unwrap();
    let ran = t
        .sandbox(demo_state())
        .args(&["review", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: w.yaml:3: the file is for workspace 01946416-09c9-7bef-bbc9-0000000000ff, but the API key reaches workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a (Acme Sales); nothing was reviewed\n")
        .unchanged();
    ran.again(&["review", "-f", "empty"])
        .status(1)
        .stdout("")
        .stderr("error: empty: no workspace files (*.yaml, *.yml) in this directory; nothing to review\n")
        .unchanged();
}

/// Full-width characters take two columns: the table stays aligned.
#[test]
fn full_width_names_keep_the_table_aligned() {
    let mut state = demo_state();
    state.api_keys.push(hostile_key("営業キー"));
    let (code, out, _) = review(state, &[]);
    assert_eq!(code, 0);
    let keys = &out[out.find("API keys (4):").unwrap()..out.find("\nFindings").unwrap()];
    assert_eq!(
        keys,
        "API keys (4):
  key                              scopes          campaigns  leads  accounts  webhooks  api_keys  members  age (days)  flags
  instantly-rbac (automation)      all:all         full       full   full      full      full      full     30          over-privileged
  Marketing — Analytics Read Only  campaigns:read  view       none   none      none      none      none     30
  Old Zapier                       all:all         full       full   full      full      full      full     30          over-privileged
  営業キー                         campaigns:read  view       none   none      none      none      none     30
"
    );
}

/// `export --all -o DIR` writes each workspace's file through the same
/// check: a link in DIR where a file goes is refused, its target untouched.
#[test]
fn export_all_refuses_a_link_where_a_file_goes() {
    let t = Test::new().file("victim.txt", "precious");
    std::fs::create_dir(t.dir.path().join("ws")).unwrap();
    std::os::unix::fs::symlink("../victim.txt", t.dir.path().join("ws/acme-sales.yaml")).unwrap();
    let ran = t
        .sandbox(demo_state())
        .args(&["export", "--all", "-o", "ws"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: cannot write ws/acme-sales.yaml: ws/acme-sales.yaml is a symbolic link (not followed), not a regular file: it is left as it is\n")
        .unchanged();
    assert_eq!(
        std::fs::read_to_string(ran.path("victim.txt")).unwrap(),
        "precious"
    );
}
