//! Whole directories: `plan -f DIR --out`, `apply -f DIR`, `apply PLAN` of
//! several workspaces (each guarded and verified on its own, one failure not
//! stopping the others), and the agency example.

use crate::support::Test;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::demo_agency::{HOOLI_ID, demo_agency_state};
use instantly_rbac::sandbox::state::SandboxState;

pub const CLIENT_ONE: &str = "01946416-09c9-7bef-bbc9-000000000001";
pub const CLIENT_TWO: &str = "01946416-09c9-7bef-bbc9-000000000002";

/// The demo workspace as an agency with two client sub-workspaces.
pub fn agency() -> SandboxState {
    let mut top = demo_state();
    for (id, name) in [(CLIENT_ONE, "Client One"), (CLIENT_TWO, "Client Two")] {
        let mut sub = demo_state();
        sub.workspace.id = id.into();
        sub.workspace.name = name.into();
        top.sub_workspaces.push(sub);
    }
    top
}

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
policy:
  members: additive
  api_keys: additive
  tags: additive
";

fn client(id: &str, member: &str) -> String {
    format!(
        "version: 1\nextends: [_base.yaml]\nworkspace:\n  id: {id}\nmembers:\n  - email: {member}\n    role: sdr\n"
    )
}

/// The summary an apply over several workspaces ends with.
fn summary(stdout: &str) -> &str {
    &stdout[stdout.find("\nSummary of").expect("a summary")..]
}

fn members(state: &SandboxState) -> Vec<String> {
    let mut m: Vec<String> = state.members.iter().map(|m| m.email.to_string()).collect();
    m.sort();
    m
}

#[test]
fn apply_a_directory_applies_each_workspace_and_reports_the_unreachable_one() {
    let ran = Test::new()
        .file("ws/_base.yaml", BASE)
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .file(
            "ws/stranger.yaml",
            &client("01946416-09c9-7bef-bbc9-0000000000ff", "x@acme.com"),
        )
        .sandbox(agency())
        .args(&["apply", "-f", "ws", "--auto-approve"])
        .run()
        .status(1);
    let (applied, stranger) = summary(&ran.output.stdout)
        .rsplit_once("  ws/stranger.yaml: failed: ")
        .unwrap();
    assert_eq!(
        applied,
        "
Summary of 3 workspaces: 2 applied, 0 with nothing to do, 1 failed.
  ws/client-1.yaml  Client One (01946416-09c9-7bef-bbc9-000000000001): applied (1 action)
  ws/client-2.yaml  Client Two (01946416-09c9-7bef-bbc9-000000000002): applied (1 action)
"
    );
    // The sandbox's own words for a workspace outside the group.
    assert!(
        stranger.contains("01946416-09c9-7bef-bbc9-0000000000ff is not a"),
        "{stranger}"
    );
    assert!(
        ran.output
            .stderr
            .starts_with("error: ws/stranger.yaml is for workspace 01946416-09c9-7bef-bbc9-0000000000ff, which the API key cannot reach"),
        "{}",
        ran.output.stderr
    );
    let state = ran.state.clone().unwrap();
    assert!(members(&state.sub_workspaces[0]).contains(&"zed1@acme.com".to_owned()));
    assert!(members(&state.sub_workspaces[1]).contains(&"zed2@acme.com".to_owned()));
    assert_eq!(members(&state), members(&demo_state()));
    // Again: nothing to do where it applied.
    let ran = ran
        .again(&["apply", "-f", "ws", "--auto-approve"])
        .status(1);
    assert!(
        summary(&ran.output.stdout).starts_with(
            "
Summary of 3 workspaces: 0 applied, 2 with nothing to do, 1 failed.
  ws/client-1.yaml  Client One (01946416-09c9-7bef-bbc9-000000000001): nothing to do
  ws/client-2.yaml  Client Two (01946416-09c9-7bef-bbc9-000000000002): nothing to do
  ws/stranger.yaml: failed: "
        ),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn a_saved_plan_of_several_workspaces_applies_each_after_verifying_it() {
    let ran = Test::new()
        .file("ws/_base.yaml", BASE)
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .sandbox(agency())
        .args(&["plan", "-f", "ws", "--out", "p.json", "-q"])
        .run()
        .status(0)
        .unchanged();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ran.path("p.json")).unwrap()).unwrap();
    assert_eq!(saved["format_version"], "multi-1");
    assert_eq!(saved["workspaces"][1]["file"], "ws/client-2.yaml");
    let ran = ran.again(&["apply", "p.json", "-q"]).status(0);
    assert_eq!(
        summary(&ran.output.stdout),
        "
Summary of 2 workspaces: 2 applied, 0 with nothing to do, 0 failed.
  ws/client-1.yaml  Client One (01946416-09c9-7bef-bbc9-000000000001): applied (1 action)
  ws/client-2.yaml  Client Two (01946416-09c9-7bef-bbc9-000000000002): applied (1 action)
"
    );
    // -f names one file; a plan of several records each.
    ran.again(&["apply", "p.json", "-f", "ws/client-1.yaml"])
        .status(1)
        .stdout("")
        .stderr("error: p.json holds the plans of several workspaces, each with the file it was made from: drop -f; nothing was changed\n")
        .unchanged();
}

/// `examples/agency`, copied into the test's folder so that the paths the
/// output names are the reader's (`agency/globex.yaml`), not this machine's.
fn agency_example() -> Test {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agency");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "_base.yaml",
            "acme-sales.yaml",
            "globex.yaml",
            "initech.yaml"
        ]
    );
    names.iter().fold(Test::new(), |t, name| {
        t.file(
            &format!("agency/{name}"),
            &std::fs::read_to_string(root.join(name)).unwrap(),
        )
    })
}

#[test]
fn the_agency_example_validates_strictly() {
    agency_example()
        .args(&["validate", "-f", "agency", "--strict"])
        .run()
        .status(0)
        .stdout("agency/_base.yaml: valid\nagency/acme-sales.yaml: valid\nagency/globex.yaml: valid\nagency/initech.yaml: valid\n")
        .stderr("");
}

#[test]
fn the_agency_example_plans_against_the_sandbox_agency() {
    let ran = agency_example()
        .sandbox(demo_agency_state())
        .args(&["plan", "-f", "agency"])
        .run()
        .status(0)
        .stderr("")
        .unchanged();
    insta::assert_snapshot!(ran.output.stdout);
    // Where each change is written: an object of the base names the base.
    let ran = ran
        .again(&["plan", "-f", "agency", "--format", "json"])
        .status(0);
    let plan = ran.json();
    assert_eq!(plan["summary"]["workspaces"], 3);
    let actions: Vec<String> = plan["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["actions"].as_array().unwrap().iter())
        .map(|a| {
            format!(
                "{} {} {}",
                a["op"].as_str().unwrap(),
                a["address"].as_str().unwrap(),
                a["source"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            // A group row names the line of its id.
            "create sub_workspace[Hooli Leads] agency/acme-sales.yaml:35",
            "create member[sam@globex.com] agency/globex.yaml:14",
            "create member[pat@initech.com] agency/initech.yaml:14",
            "replace member[sales@initech.com] agency/initech.yaml:12",
        ]
    );
}

#[test]
fn the_agency_example_is_reviewed_against_the_sandbox_agency() {
    let ran = agency_example()
        .sandbox(demo_agency_state())
        .args(&["review", "-f", "agency"])
        .run()
        .status(0)
        .unchanged();
    // The reports carry the time they were read at; the agency's summary
    // does not.
    let at = ran.output.stdout.find("\nAgency summary:\n").unwrap();
    assert_eq!(
        &ran.output.stdout[at..],
        "
Agency summary:
  agency/acme-sales.yaml: Acme Sales: 7 members, 3 API keys, 7 findings
  agency/globex.yaml: Globex Outreach: 3 members, 0 API keys, 1 finding
  agency/initech.yaml: Initech Growth: 3 members, 0 API keys, 1 finding
  3 workspaces (0 not reviewed), 13 members, 3 API keys, findings: 2 activity_unknown, 1 inactive_member, 2 overprivileged_key, 1 pending_invitation, 3 undeclared_access
"
    );
    // The demo's clients have no audit log, so their last logins are
    // unknown, and said so.
    assert_eq!(
        ran.output.stderr,
        "note: Globex Outreach: last logins are unknown: the audit log has no logins in the window (a plan without audit logs may answer so); no member is reported inactive
note: Initech Growth: last logins are unknown: the audit log has no logins in the window (a plan without audit logs may answer so); no member is reported inactive
"
    );
}

/// Runs every `sh` block of docs/agency.md, in order, in an empty directory
/// holding the sandbox's agency, with the built binary on PATH (as the
/// getting-started guide is run in `ecosystem`).
#[test]
fn the_agency_guide_runs_as_written() {
    // Each `text` block is output the guide shows: it must be what ran.
    let crate::support::Doc { script, shown } = crate::support::doc("docs/agency.md");
    assert!(shown.len() >= 5, "the guide shows its output");
    // No state.json: the guide's first `--sandbox` creates it from the demo
    // agency, as it does for a reader.
    let d = tempfile::tempdir().unwrap();
    let stdout = crate::support::run_doc(&script, d.path(), &[]);
    for said in &shown {
        assert!(
            stdout.contains(said.as_str()),
            "the guide shows\n{said}\nbut the run printed:\n{stdout}"
        );
    }
    let state = SandboxState::load(&d.path().join("state.json")).unwrap();
    assert!(members(&state.sub_workspaces[0]).contains(&"zoe@globex.com".to_owned()));
    assert!(members(&state.sub_workspaces[1]).contains(&"yan@initech.com".to_owned()));
    let hooli = state
        .workspace_group
        .unwrap()
        .into_iter()
        .find(|row| row.sub_workspace_id == HOOLI_ID)
        .expect("Hooli Leads invited");
    assert_eq!(
        hooli.status,
        instantly_rbac::group_types::GroupStatus::Pending
    );
}

#[test]
fn planning_a_directory_reports_a_broken_base_once_and_never_saves_over_it() {
    let ran = Test::new()
        .file(
            "ws/_base.yaml",
            "version: 1\nroles:\n  sdr: {role: editor}\nmembers:\n  - email: alice@acme.com\n    role: admn\n",
        )
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .sandbox(agency())
        .args(&["plan", "-f", "ws", "-q"])
        .run()
        .status(1)
        .unchanged();
    // Shown once at the base's line, with the first workspace; the second
    // one refers to it.
    assert_eq!(
        ran.output.stdout.matches("--> ws/_base.yaml:6:11").count(),
        1
    );
    assert_eq!(
        ran.output
            .stdout
            .matches("--> ws/client-2.yaml:2:11")
            .count(),
        1
    );
    assert!(
        ran.output
            .stdout
            .ends_with("Summary of 2 workspaces: 0 in sync, 0 with changes, 2 failed.\n  ws/client-1.yaml  error: unknown role `admn`\n  ws/client-2.yaml  error: the base `ws/_base.yaml` has errors\nTotal: Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.\n"),
        "{}",
        ran.output.stdout
    );
    std::fs::write(ran.path("ws/_base.yaml"), BASE).unwrap();
    ran.again(&["plan", "-f", "ws", "--out", "ws/_base.yaml"])
        .status(1)
        .stdout("")
        .stderr("error: --out ws/_base.yaml is the desired-state file given with -f: choose another file for the plan\n");
}

#[test]
fn new_keys_of_several_workspaces_go_to_one_secrets_file() {
    let base = format!("{BASE}api_keys:\n  - name: Reporting\n    scopes: [campaigns:read]\n");
    let ran = Test::new()
        .file("ws/_base.yaml", &base)
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .sandbox(agency())
        .args(&[
            "apply",
            "-f",
            "ws",
            "--auto-approve",
            "--secrets-out",
            "keys.json",
            "-q",
        ])
        .run()
        .status(0);
    assert!(
        summary(&ran.output.stdout)
            .starts_with("\nSummary of 2 workspaces: 2 applied, 0 with nothing to do, 0 failed.\n"),
        "{}",
        ran.output.stdout
    );
    // No note says the file was written by an earlier run: this run wrote it.
    assert_eq!(ran.output.stderr, "");
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ran.path("keys.json")).unwrap()).unwrap();
    let state = ran.state.unwrap();
    // Both keys are named Reporting: each says which workspace it is for.
    let expected: Vec<serde_json::Value> = state
        .sub_workspaces
        .iter()
        .map(|sub| {
            let key = sub.api_keys.iter().find(|k| k.name == "Reporting").unwrap();
            serde_json::json!({
                "name": "Reporting",
                "id": key.id,
                "key": key.key,
                "workspace_id": sub.workspace.id,
                "workspace_name": sub.workspace.name,
            })
        })
        .collect();
    assert_eq!(
        keys,
        serde_json::json!({"written_by": "instantly-rbac", "format_version": 1, "keys": expected})
    );
}

#[test]
fn secrets_cmd_is_told_the_workspace_of_each_key() {
    let base = format!("{BASE}api_keys:\n  - name: Reporting\n    scopes: [campaigns:read]\n");
    let ran = Test::new()
        .file("ws/_base.yaml", &base)
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .sandbox(agency())
        .args(&[
            "apply",
            "-f",
            "ws",
            "--auto-approve",
            "--secrets-cmd",
            "{ cat; echo; } >> got.txt",
            "-q",
        ])
        .run()
        .status(0);
    let got: Vec<String> = std::fs::read_to_string(ran.path("got.txt"))
        .unwrap()
        .lines()
        .map(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap();
            format!(
                "{} {} {}",
                doc["name"], doc["workspace_id"], doc["workspace_name"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            format!("\"Reporting\" \"{CLIENT_ONE}\" \"Client One\""),
            format!("\"Reporting\" \"{CLIENT_TWO}\" \"Client Two\""),
        ]
    );
}

#[test]
fn a_secrets_file_refused_for_one_workspace_is_refused_for_the_next() {
    // Another program's list of secrets: --secrets-out never adds to it,
    // not even after the first workspace was refused.
    let theirs = "[{\"name\": \"mine\", \"key\": \"x\"}]\n";
    let base = format!("{BASE}api_keys:\n  - name: Reporting\n    scopes: [campaigns:read]\n");
    let ran = Test::new()
        .file("ws/_base.yaml", &base)
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .file("ws/client-2.yaml", &client(CLIENT_TWO, "zed2@acme.com"))
        .file("keys.json", theirs)
        .sandbox(agency())
        .args(&[
            "apply",
            "-f",
            "ws",
            "--auto-approve",
            "--secrets-out",
            "keys.json",
            "-q",
        ])
        .run()
        .status(1);
    assert_eq!(
        std::fs::read_to_string(ran.path("keys.json")).unwrap(),
        theirs
    );
    assert_eq!(
        summary(&ran.output.stdout),
        "
Summary of 2 workspaces: 0 applied, 0 with nothing to do, 2 failed.
  ws/client-1.yaml  Client One (01946416-09c9-7bef-bbc9-000000000001): failed: cannot open the secrets file keys.json: keys.json already exists; choose a new file (or --secrets-append) so no secret is overwritten
  ws/client-2.yaml  Client Two (01946416-09c9-7bef-bbc9-000000000002): failed: cannot open the secrets file keys.json: keys.json already exists; choose a new file (or --secrets-append) so no secret is overwritten
"
    );
    ran.unchanged();
}

#[test]
fn applying_a_directory_without_a_terminal_needs_auto_approve() {
    Test::new()
        .file("ws/client-1.yaml", &client(CLIENT_ONE, "zed1@acme.com"))
        .sandbox(agency())
        .args(&["apply", "-f", "ws"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: apply is not running in a terminal, so it cannot ask for confirmation: review the plans and pass --auto-approve; nothing was changed\n")
        .unchanged();
}

#[test]
fn acknowledgements_apply_to_the_workspaces_blocked_on_their_kind() {
    // Client One removes dave and erin, more than its max_deletes (1): a
    // block acknowledged with member=2. Client Two removes no one, and the
    // acknowledgement, which is Client One's, does not refuse it.
    let strict = "version: 1\nextends: [_base.yaml]\nworkspace:\n  id: {ID}\nmembers:\n  - email: bob@acme.com\n    role: view\n  - email: carol@acme.com\n    role: view\n  - email: erin@acme.com\n    role: view\npolicy:\n  members: authoritative\n  max_deletes: 1\n  ignore:\n    members: [\"*@instantly.ai\"]\n";
    let ran = Test::new()
        .file("ws/_base.yaml", "version: 1\nmembers:\n  - email: owner@acme.com\n    role: owner\n  - email: alice@acme.com\n    role: admin\npolicy:\n  api_keys: additive\n  tags: additive\n")
        .file("ws/client-1.yaml", &strict.replace("{ID}", CLIENT_ONE).replace("  - email: erin@acme.com\n    role: view\n", ""))
        .file("ws/client-2.yaml", &strict.replace("{ID}", CLIENT_TWO).replace("  max_deletes: 1\n", "").replace("  - email: carol@acme.com\n    role: view\n", "  - email: carol@acme.com\n    role: view\n  - email: dave@acme.com\n    role: view\n"))
        .sandbox(agency())
        .args(&["plan", "-f", "ws", "--out", "p.json"])
        .run()
        .status(0);
    assert!(
        ran.output.stderr.contains("apply exactly them with `instantly-rbac --sandbox=state.json apply p.json --allow-reinvite --ack-deletes member=2`"),
        "{}",
        ran.output.stderr
    );
    let ran = ran
        .again(&[
            "apply",
            "p.json",
            "--allow-reinvite",
            "--ack-deletes",
            "member=2",
            "-q",
        ])
        .status(0);
    assert!(
        summary(&ran.output.stdout)
            .starts_with("\nSummary of 2 workspaces: 2 applied, 0 with nothing to do, 0 failed.\n"),
        "{}",
        ran.output.stdout
    );
}
