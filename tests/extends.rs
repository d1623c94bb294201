//! Shared definitions (`extends`): merging by identity, conflicts naming
//! both places, bases' own errors once, cycles, what a base may hold, saved
//! plans covering bases; and `policy.allowed_email_domains`.

use crate::support::Test;
use instantly_rbac::sandbox::demo::{WORKSPACE_ID, demo_state};

const BASE: &str = "version: 1
roles:
  sdr:
    role: editor
    permissions: [campaigns.view, campaigns.edit]
members:
  - email: owner@acme.com
    role: owner
  - email: alice@acme.com
    role: admin
api_keys:
  - name: Reporting
    scopes: [campaigns:read]
tags:
  - label: SDR-East
    campaigns: [Q4 East Outbound]
policy:
  members: additive
  api_keys: additive
  tags: additive
";

fn workspace(rest: &str) -> String {
    format!("version: 1\nextends: [_base.yaml]\nworkspace:\n  id: {WORKSPACE_ID}\n{rest}")
}

/// (address, op, source) of each action of a JSON plan.
fn sources(plan: &serde_json::Value) -> Vec<(String, String, String)> {
    plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["address"].as_str().unwrap().to_owned(),
                a["op"].as_str().unwrap().to_owned(),
                a["source"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

#[test]
fn bases_merge_by_identity_and_plans_say_where_each_object_is_declared() {
    let ran = Test::new()
        .file("_base.yaml", BASE)
        .file(
            "w.yaml",
            // ALICE folds to the base's alice: the same member, identical.
            &workspace(
                "members:\n  - email: ALICE@acme.com\n    role: admin\n  - email: zed@acme.com\n    role: sdr\napi_keys:\n  - name: Exports\n    scopes: [leads:read]\n",
            ),
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .unchanged();
    let s = |a: &str, o: &str, f: &str| (a.to_owned(), o.to_owned(), f.to_owned());
    assert_eq!(
        sources(&ran.json()),
        vec![
            s("tag[SDR-East]", "create", "_base.yaml:15"),
            s("member[zed@acme.com]", "create", "w.yaml:8"),
            s("api_key[Exports]", "create", "w.yaml:11"),
            s("api_key[Reporting]", "create", "_base.yaml:12"),
            s(
                "assignment[SDR-East -> campaign:Q4 East Outbound]",
                "create",
                "_base.yaml:16"
            ),
        ]
    );
    ran.again(&["validate", "-f", "w.yaml"])
        .status(0)
        .stdout("w.yaml: valid\n");
}

#[test]
fn identical_definitions_in_two_files_are_fine() {
    Test::new()
        .file("_base.yaml", BASE)
        .file(
            "w.yaml",
            &workspace(
                "roles:\n  sdr:\n    role: editor\n    permissions: [campaigns.edit, campaigns.view]\nmembers:\n  - email: alice@acme.com\n    role: admin\n  - email: zed@acme.com\n    role: sdr\npolicy:\n  members: additive\n",
            ),
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
}

#[test]
fn a_definition_repeated_differently_is_an_error_naming_both_places() {
    let ran = Test::new()
        .file("_base.yaml", BASE)
        .file(
            "w.yaml",
            &workspace(
                "roles:\n  sdr:\n    role: view\nmembers:\n  - email: Alice@Acme.com\n    role: editor\napi_keys:\n  - name: Reporting\n    scopes: [campaigns:read]\n    rotate_after_days: 90\ntags:\n  - label: SDR-East\n    campaigns: [Q4 West Outbound]\npolicy:\n  members: authoritative\n",
            ),
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn errors_in_a_base_are_reported_once_at_the_base_s_own_lines() {
    let broken = "version: 1\nmembers:\n  - email: alice@acme.com\n    role: admn\n";
    let ran = Test::new()
        .file("ws/_base.yaml", broken)
        .file(
            "ws/a.yaml",
            "version: 1\nextends: [_base.yaml]\nworkspace: {id: 0000000a-0000-4000-8000-00000000000a}\n",
        )
        .file(
            "ws/b.yaml",
            "version: 1\nextends: [_base.yaml]\nworkspace: {id: 0000000b-0000-4000-8000-00000000000b}\n",
        )
        .args(&["validate", "-f", "ws"])
        .run()
        .status(1)
        .stdout("");
    assert_eq!(ran.output.stderr.matches("unknown role `admn`").count(), 1);
    insta::assert_snapshot!(ran.output.stderr);
    // One workspace file alone shows the base's errors with it.
    let ran = ran.again(&["validate", "-f", "ws/a.yaml"]).status(1);
    insta::assert_snapshot!("one_file_shows_the_base_errors", ran.output.stderr);
}

#[test]
fn cycles_and_missing_bases_are_located_errors() {
    let ran = Test::new()
        .file("_a.yaml", "version: 1\nextends: [_b.yaml]\n")
        .file("_b.yaml", "version: 1\nextends: [_a.yaml]\n")
        .file(
            "w.yaml",
            "version: 1\nextends: [_a.yaml, missing.yaml]\nworkspace: {id: 0000000c-0000-4000-8000-00000000000c}\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn a_base_may_not_say_which_workspace_it_is_for() {
    let ran = Test::new()
        .file(
            "_base.yaml",
            "version: 1\nworkspace:\n  id: 0000000d-0000-4000-8000-00000000000d\nmembers: []\n",
        )
        .file(
            "w.yaml",
            "version: 1\nextends: [_base.yaml]\nworkspace: {id: 0000000c-0000-4000-8000-00000000000c}\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn a_base_no_workspace_extends_is_a_warning() {
    Test::new()
        .file("ws/_base.yaml", BASE)
        .file("ws/_old.yaml", "version: 1\n")
        .file(
            "ws/w.yaml",
            &format!("version: 1\nextends: [_base.yaml]\nworkspace:\n  id: {WORKSPACE_ID}\n"),
        )
        .args(&["validate", "-f", "ws"])
        .run()
        .status(0)
        .stdout("ws/_base.yaml: valid\nws/_old.yaml: valid (1 warning)\nws/w.yaml: valid\n")
        .stderr(
            "warning[W008]: no workspace file extends this base
 --> ws/_old.yaml:1:1
  |
1 | version: 1
  | ^^^^^^^
  |
help: bases (files named `_*.yaml`) are taken in with `extends: [<name>]` at the top of a workspace file; extend it or remove it

warning: 1 warning in ws/_old.yaml
",
        )
        .again(&["validate", "--strict", "-f", "ws", "-q"])
        .status(1);
}

#[test]
fn a_changed_base_invalidates_a_saved_plan() {
    let ran = Test::new()
        .file("_base.yaml", BASE)
        .file("w.yaml", &workspace(""))
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0);
    std::fs::write(
        ran.path("_base.yaml"),
        BASE.replace("campaigns:read", "campaigns:all"),
    )
    .unwrap();
    let ran = ran
        .again(&["apply", "p.json", "--secrets-out", "s.json"])
        .status(1)
        .stdout("")
        .stderr("note: checking p.json against w.yaml, the desired file it records (-f FILE names another)\nerror: p.json was made from a different desired file than w.yaml with its bases _base.yaml (another file, or its content changed since the plan): re-run `plan --out`\n")
        .unchanged();
    // As planned, it applies.
    std::fs::write(ran.path("_base.yaml"), BASE).unwrap();
    let ran = ran
        .again(&["apply", "p.json", "--secrets-out", "s.json", "-q"])
        .status(0);
    assert!(
        ran.output
            .stdout
            .contains("Apply complete: 3 actions applied."),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn declared_members_outside_the_allowed_domains_are_located_errors() {
    // Exact domains: a subdomain is another domain unless listed.
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1
members:
  - email: Ann@ACME.com
    role: admin
  - email: bob@eu.acme.com
    role: view
  - email: eve@gmail.com
    role: view
  - email: cy@uk.acme.com
    role: view
policy:
  allowed_email_domains: [acme.com, UK.acme.com]
",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn a_domain_rule_in_a_base_covers_the_workspace_s_members() {
    Test::new()
        .file(
            "_base.yaml",
            "version: 1\npolicy:\n  allowed_email_domains: [acme.com]\n",
        )
        .file(
            "w.yaml",
            "version: 1\nextends: [_base.yaml]\nmembers:\n  - email: eve@gmail.com\n    role: view\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: `eve@gmail.com` is outside the allowed email domains (acme.com)
 --> w.yaml:4:12
  |
4 |   - email: eve@gmail.com
  |            ^^^^^^^^^^^^^
  |
help: policy.allowed_email_domains lists the domains members may have (exact domains: a subdomain is allowed only when listed); correct the address or add its domain

error: 1 error in w.yaml
");
}

#[test]
fn live_members_outside_the_allowed_domains_are_warned_of_and_removed_when_authoritative() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &format!(
                "version: 1
workspace:
  id: {WORKSPACE_ID}
members:
  - email: owner@acme.com
    role: owner
  - email: alice@acme.com
    role: admin
  - email: bob@acme.com
    role: view
  - email: carol@acme.com
    role: view
  - email: dave@acme.com
    role: view
  - email: erin@acme.com
    role: view
policy:
  api_keys: additive
  tags: additive
  allowed_email_domains: [acme.com]
"
            ),
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .unchanged();
    let plan = ran.json();
    assert_eq!(
        plan["warnings"],
        serde_json::json!([
            "member[support@instantly.ai]: `support@instantly.ai` is outside policy.allowed_email_domains (acme.com)"
        ])
    );
    let deletes: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["op"] == "delete")
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    assert_eq!(deletes, vec!["member[support@instantly.ai]"]);
}

#[test]
fn bases_may_extend_bases_and_a_shared_one_is_read_once() {
    // w → _a, _b; both → _roles. _a's member names _roles' team role; a
    // role only the workspace defines is not a base's to name.
    let ran = Test::new()
        .file(
            "_roles.yaml",
            "version: 1\nroles:\n  sdr:\n    role: editor\n",
        )
        .file(
            "_a.yaml",
            "version: 1\nextends: [_roles.yaml]\nmembers:\n  - email: a@acme.com\n    role: sdr\n",
        )
        .file(
            "_b.yaml",
            "version: 1\nextends: [_roles.yaml]\nmembers:\n  - email: b@acme.com\n    role: closer\n",
        )
        .file(
            "w.yaml",
            "version: 1\nextends: [_a.yaml, _b.yaml]\nroles:\n  closer:\n    role: view\nmembers:\n  - email: c@acme.com\n    role: closer\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    assert_eq!(
        ran.output.stderr,
        "error: unknown role `closer`
 --> _b.yaml:5:11
  |
5 |     role: closer
  |           ^^^^^^
  |
help: expected one of owner, admin, editor, view, or a team role: sdr

error: 1 error in w.yaml
"
    );
    std::fs::write(
        ran.path("_b.yaml"),
        "version: 1\nextends: [_roles.yaml]\nmembers:\n  - email: b@acme.com\n    role: sdr\n",
    )
    .unwrap();
    ran.again(&["validate", "-f", "w.yaml"])
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
}

#[test]
fn plan_out_never_writes_over_a_base_of_the_one_file_planned() {
    let ran = Test::new()
        .file("_base.yaml", BASE)
        .file("w.yaml", &workspace(""))
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "_base.yaml", "-q"])
        .run()
        .status(1)
        .stderr("error: --out _base.yaml is the desired-state file given with -f: choose another file for the plan\n")
        .unchanged();
    // The plan is shown; the base is as it was.
    assert!(ran.output.stdout.starts_with("Workspace: Acme Sales"));
    assert_eq!(
        std::fs::read_to_string(ran.path("_base.yaml")).unwrap(),
        BASE
    );
}
