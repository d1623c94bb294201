//! What a new user's tryout found (issues 14 and 15): each fix with the
//! exact output it changed.

use crate::support::Test;
use instantly_rbac::sandbox::demo::demo_state;

fn matrix() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/roles/access-matrix.yaml"),
    )
    .unwrap()
}

const BASE_REFUSED: &str = "error: roles.yaml: this file declares no workspace, members, api_keys or tags: it looks like a base for `extends`, and as a workspace file it would delete every member, API key and tag (a review would find them all undeclared); extend it from a workspace file (`extends: [roles.yaml]` beside `workspace:`) and use that; nothing was changed\n";

#[test]
fn plan_apply_and_review_refuse_a_base_of_team_roles_only() {
    let ran = Test::new()
        .file("roles.yaml", &matrix())
        .sandbox(demo_state())
        .args(&["plan", "-f", "roles.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(BASE_REFUSED)
        .unchanged();
    let ran = ran
        .again(&["apply", "-f", "roles.yaml", "--auto-approve"])
        .status(1)
        .stdout("")
        .stderr(BASE_REFUSED)
        .unchanged();
    ran.again(&["review", "-f", "roles.yaml"])
        .status(1)
        .stdout("")
        .stderr(BASE_REFUSED)
        .unchanged();
}

#[test]
fn a_file_with_only_a_version_is_a_base_too() {
    Test::new()
        .file("roles.yaml", "version: 1\npolicy: {members: additive}\n")
        .sandbox(demo_state())
        .args(&["plan", "-f", "roles.yaml"])
        .run()
        .status(1)
        .stderr(BASE_REFUSED)
        .unchanged();
}

#[test]
fn empty_lists_are_a_workspace_that_declares_none_on_purpose() {
    // `members: []` is meant: planned (and blocked by the deletion limits).
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers: []\npolicy: {api_keys: additive, tags: additive}\n",
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml"])
        .run();
    assert_ne!(
        ran.output.stderr,
        BASE_REFUSED.replace("roles.yaml", "w.yaml")
    );
    assert!(
        ran.output
            .stdout
            .contains("  - member[alice@acme.com]  (medium risk)\n"),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn a_workspace_file_extending_the_access_matrix_is_planned() {
    Test::new()
        .file("roles/access-matrix.yaml", &matrix())
        .file(
            "w.yaml",
            "version: 1\nextends: [roles/access-matrix.yaml]\nmembers:\n  - {email: sam@acme.com, role: sdr}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout(EXTENDS_PLAN)
        .stderr("");
}

#[test]
fn the_access_matrix_and_the_agency_example_pass_validate_strict() {
    let root = env!("CARGO_MANIFEST_DIR");
    Test::new()
        .args(&[
            "validate",
            "--strict",
            "-f",
            &format!("{root}/examples/roles/access-matrix.yaml"),
        ])
        .run()
        .status(0)
        .stdout(&format!(
            "{root}/examples/roles/access-matrix.yaml: valid\n"
        ))
        .stderr("");
    Test::new()
        .args(&["validate", "--strict", "-f", &format!("{root}/examples/agency")])
        .run()
        .status(0)
        .stdout(&format!(
            "{root}/examples/agency/_base.yaml: valid\n{root}/examples/agency/acme-sales.yaml: valid\n{root}/examples/agency/globex.yaml: valid\n{root}/examples/agency/initech.yaml: valid\n"
        ))
        .stderr("");
}

#[test]
fn unused_team_roles_are_not_w003_in_a_base() {
    Test::new()
        .file(
            "base.yaml",
            "version: 1\nroles:\n  sdr: {role: editor, permissions: [campaigns.view]}\n",
        )
        .args(&["validate", "--strict", "-f", "base.yaml"])
        .run()
        .status(0)
        .stdout("base.yaml: valid\n")
        .stderr("");
}

const EXTENDS_PLAN: &str = "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.

Members:
  + member[sam@acme.com]  (high risk)
      role: sdr (editor + 4 permissions)
      permissions: [accounts.view, campaigns.view, leadManagement.view, leads.move]
      status: invited (pending)

Access impact:
  ▲ escalation, high risk  member[sam@acme.com]: no access -> editor + [accounts.view, campaigns.view, leadManagement.view, leads.move]

Left alone (11):
  api_key[Marketing — Analytics Read Only] (not declared; policy.api_keys is additive)
  api_key[Old Zapier] (not declared; policy.api_keys is additive)
  api_key[instantly-rbac (automation)] (not declared; policy.api_keys is additive)
  member[alice@acme.com] (not declared; policy.members is additive)
  member[bob@acme.com] (not declared; policy.members is additive)
  member[carol@acme.com] (not declared; policy.members is additive)
  member[dave@acme.com] (not declared; policy.members is additive)
  member[erin@acme.com] (not declared; policy.members is additive)
  member[support@instantly.ai] (not declared; policy.members is additive)
  tag[Old-Team] (not declared; policy.tags is additive)
  tag[SDR-West] (not declared; policy.tags is additive)
";

fn example_yaml() -> String {
    std::fs::read_to_string(crate::support::example()).unwrap()
}

#[test]
fn an_ack_that_does_not_match_says_what_the_plan_deletes() {
    Test::new()
        .file("w.yaml", &example_yaml())
        .sandbox(demo_state())
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--allow-reinvite",
            "--secrets-out",
            "s.json",
            "--ack-deletes",
            "member=2",
        ])
        .run()
        .status(1)
        .stderr("error: --ack-deletes member=2 does not match: the plan deletes 1 member; acknowledge the count the plan shows (if it changed since it was reviewed, review it again); nothing was changed\n")
        .unchanged();
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn sandbox_state_files_hold_secrets_so_are_created_and_replaced_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    // Created by `--sandbox=FILE` from the demo workspace.
    let ran = Test::new()
        .file("w.yaml", &example_yaml())
        .args(&["--sandbox=new.json", "plan", "-f", "w.yaml"])
        .run()
        .status(0);
    assert_eq!(mode(&ran.path("new.json")), 0o600);
    // Replaced by an apply, whatever mode the state had.
    let state = ran.path("state.json");
    demo_state().save(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).unwrap();
    let applied = ran.again(&[
        "--sandbox=state.json",
        "apply",
        "-f",
        "w.yaml",
        "--auto-approve",
        "--allow-reinvite",
        "--secrets-out",
        "s.json",
    ]);
    assert_eq!(applied.output.code, 0, "{}", applied.output.stderr);
    assert_eq!(mode(&applied.path("state.json")), 0o600);
}

#[test]
fn an_apply_that_delivered_every_secret_leaves_no_intents_folder() {
    let ran = Test::new()
        .file("w.yaml", &example_yaml())
        .sandbox(demo_state())
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--allow-reinvite",
            "--secrets-out",
            "s.json",
        ])
        .run()
        .status(0);
    assert!(ran.output.stdout.ends_with(
        "Apply complete: 13 actions applied.\n2 new API key secrets written to s.json.\n"
    ));
    assert!(ran.path("s.json").exists());
    assert!(
        !ran.path(".instantly-rbac-intents").exists(),
        "the empty intents folder is removed"
    );
}

const SHARED: &str = "version: 1
api_keys:
  - {name: agency-ops, scopes: ['all:read']}
";

#[test]
fn a_bases_warnings_are_reported_once_against_the_base() {
    let workspace = |id: &str| {
        format!(
            "version: 1\nextends: [_base.yaml]\nworkspace: {{id: 01946416-09c9-7bef-bbc9-00000000000{id}}}\nmembers: []\n"
        )
    };
    Test::new()
        .file("ws/_base.yaml", SHARED)
        .file("ws/a.yaml", &workspace("1"))
        .file("ws/b.yaml", &workspace("2"))
        .args(&["validate", "-f", "ws"])
        .run()
        .status(0)
        .stdout("ws/_base.yaml: valid (1 warning)\nws/a.yaml: valid\nws/b.yaml: valid\n")
        .stderr(
            "warning[W001]: API key `agency-ops` has the wildcard scope `all:read` and is never rotated
 --> ws/_base.yaml:3:12
  |
3 |   - {name: agency-ops, scopes: ['all:read']}
  |            ^^^^^^^^^^
  |
help: add `rotate_after_days: 90` (or narrower scopes) so a leaked key does not stay valid forever

warning: 1 warning in ws/_base.yaml
",
        );
}

#[test]
fn a_base_no_workspace_extends_is_w008_and_its_own_policy_allows_it() {
    let ran = Test::new()
        .file("ws/_old.yaml", SHARED)
        .file("ws/w.yaml", "version: 1\nmembers: []\n")
        .args(&["validate", "--strict", "-f", "ws", "--format", "json"])
        .run()
        .status(1);
    let codes: Vec<_> = ran.json()[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [serde_json::json!("W008"), serde_json::json!("W001")],
        "{}",
        ran.output.stdout
    );
    Test::new()
        .file(
            "ws/_old.yaml",
            &format!("{SHARED}policy: {{allow_lints: [W001, W008]}}\n"),
        )
        .file("ws/w.yaml", "version: 1\nmembers: []\n")
        .args(&["validate", "--strict", "-f", "ws"])
        .run()
        .status(0)
        .stdout("ws/_old.yaml: valid\nws/w.yaml: valid\n")
        .stderr("");
}

#[test]
fn json_logs_give_each_diagnostic_its_place_code_and_level() {
    let ran = Test::new()
        .file("w.yaml", "version: 1\napi_keys:\n  - {name: ops, scopes: ['all:read']}\n  - {name: x, scopes: ['nope:read']}\n")
        .args(&["--log-format", "json", "validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    let lines: Vec<serde_json::Value> = ran
        .output
        .stderr
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(v["timestamp"].is_string());
            v.as_object_mut().unwrap().remove("timestamp");
            v
        })
        .collect();
    assert_eq!(lines.len(), 1, "{}", ran.output.stderr);
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["fields"]["file"], "w.yaml");
    assert_eq!(lines[0]["fields"]["line"], 4);
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\napi_keys:\n  - {name: ops, scopes: ['all:read']}\n",
        )
        .args(&[
            "--log-format",
            "json",
            "validate",
            "--strict",
            "-f",
            "w.yaml",
        ])
        .run()
        .status(1)
        .stdout("w.yaml: fails --strict (1 warning)\n");
    let mut line: serde_json::Value = serde_json::from_str(ran.output.stderr.trim_end()).unwrap();
    line.as_object_mut().unwrap().remove("timestamp");
    assert_eq!(
        line,
        serde_json::json!({
            "level": "WARN",
            "target": "instantly_rbac",
            "fields": {
                "message": "API key `ops` has the wildcard scope `all:read` and is never rotated",
                "file": "w.yaml",
                "line": 3,
                "column": 12,
                "code": "W001",
                "help": "add `rotate_after_days: 90` (or narrower scopes) so a leaked key does not stay valid forever",
            },
        })
    );
}

#[test]
fn the_man_page_rehearses_on_a_snapshot_and_lists_every_exit_status() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/instantly-rbac.1"),
    )
    .unwrap();
    assert!(page.contains(
        "instantly\\-rbac export \\-o workspace.yaml\ninstantly\\-rbac snapshot \\-o state.json\ninstantly\\-rbac \\-\\-sandbox=state.json plan \\-f workspace.yaml\n"
    ));
    assert!(page.contains(
        "\\fBplan \\-\\-detailed\\-exitcode\\fR: there are changes; \\fBreview \\-\\-fail\\-on\\-findings\\fR: there are findings.\n"
    ));
    let ci = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md"),
    )
    .unwrap();
    assert!(ci.contains("`review --fail-on-findings`: there are findings |"));
}
