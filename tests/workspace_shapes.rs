//! Workspaces in shapes the demo does not have: no tags yet (a first use),
//! no campaigns, no accounts, no keys but the operator's, no members but
//! the owner; and what a re-run finds after an interrupted apply.

use crate::support::{OPERATOR_KEY, Output, Server, run_at, write};
use instantly_rbac::api_types::{ResourceType, TagMapping};
use instantly_rbac::role::Role;
use instantly_rbac::sandbox::Faults;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use std::collections::BTreeMap;
use std::path::Path;

/// The whole user-visible outcome of one run, for a snapshot.
fn shown(o: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    )
}

/// The demo workspace before anyone made a tag.
fn without_tags() -> SandboxState {
    let mut s = demo_state();
    s.tags.clear();
    s.mappings.clear();
    s
}

/// A workspace's first tag, on two campaigns and two accounts.
const FIRST_TAG: &str = "\
version: 1
policy: {members: additive, api_keys: additive}
tags:
  - label: SDR-West
    description: West coast SDR team
    campaigns: [Q4 West Outbound, Partner Webinar]
    accounts: [west1@acme-mail.com, east1@acme-mail.com]
";

/// Plans `yaml` (showing the changes), applies it, and plans again: the
/// three runs, shown, and the state after apply.
fn plan_apply_replan(state: SandboxState, yaml: &str) -> (String, Server) {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(state);
    write(d.path(), "w.yaml", yaml);
    let plan = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    let apply = run_at(
        &server,
        d.path(),
        &["apply", "-f", "w.yaml", "--auto-approve"],
    );
    let again = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(
        (plan.code, apply.code, again.code),
        (2, 0, 0),
        "{}\n{}\n{}",
        shown(&plan),
        shown(&apply),
        shown(&again)
    );
    let text = format!(
        "== plan\n{}\n== apply\n{}\n== plan again\n{}",
        shown(&plan),
        shown(&apply),
        shown(&again)
    );
    (text, server)
}

/// The mappings of `state` as (tag label, resource type, resource id).
fn assignments(state: &SandboxState) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = state
        .mappings
        .iter()
        .map(|m| {
            let tag = state.tags.iter().find(|t| t.id == m.tag_id).unwrap();
            (
                tag.label.clone(),
                format!("{:?}", m.resource_type),
                m.resource_id.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Regression: planning a workspace's first tag failed with `no campaign is
/// named …`, because with no live tag to read nothing named the campaigns.
#[test]
fn the_first_tag_of_a_workspace_is_planned_and_applied() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(without_tags());
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    // Two names and two emails: one page of each list is cheaper than
    // two searches and two look-ups.
    assert_eq!(
        server.sandbox.requests_by_endpoint(),
        BTreeMap::from([
            ("GET /accounts".to_owned(), 1),
            ("GET /api-keys".to_owned(), 1),
            ("GET /audit-logs".to_owned(), 2),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );

    let (text, server) = plan_apply_replan(without_tags(), FIRST_TAG);
    insta::assert_snapshot!(text);
    let campaigns = &demo_state().campaigns;
    assert_eq!(
        assignments(&server.sandbox.state()),
        vec![
            (
                "SDR-West".into(),
                "Account".into(),
                "east1@acme-mail.com".into()
            ),
            (
                "SDR-West".into(),
                "Account".into(),
                "west1@acme-mail.com".into()
            ),
            (
                "SDR-West".into(),
                "Campaign".into(),
                campaigns[0].id.clone()
            ),
            (
                "SDR-West".into(),
                "Campaign".into(),
                campaigns[3].id.clone()
            ),
        ]
    );
}

#[test]
fn one_declared_name_is_searched_for_not_listed() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(without_tags());
    write(
        d.path(),
        "w.yaml",
        "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: SDR-West\n    campaigns: [Partner Webinar]\n    accounts: [east1@acme-mail.com]\n",
    );
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(o.code, 2, "{}", shown(&o));
    assert_eq!(
        server.sandbox.requests_by_endpoint(),
        BTreeMap::from([
            ("GET /accounts/east1@acme-mail.com".to_owned(), 1),
            ("GET /api-keys".to_owned(), 1),
            ("GET /audit-logs".to_owned(), 2),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );
}

#[test]
fn a_campaign_in_a_workspace_without_campaigns_is_a_located_error() {
    let d = tempfile::tempdir().unwrap();
    let mut state = without_tags();
    state.campaigns.clear();
    let server = Server::start(state.clone());
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    insta::assert_snapshot!(shown(&o));
    assert_eq!(server.sandbox.state(), state);
}

#[test]
fn an_account_in_a_workspace_without_accounts_is_a_located_error() {
    let d = tempfile::tempdir().unwrap();
    let mut state = without_tags();
    state.accounts.clear();
    let server = Server::start(state);
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn a_first_tag_on_campaigns_only_in_a_workspace_without_accounts() {
    let mut state = without_tags();
    state.accounts.clear();
    let (text, _) = plan_apply_replan(
        state,
        "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West Outbound, Partner Webinar]\n",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_first_tag_in_a_workspace_with_only_the_operators_key() {
    let mut state = without_tags();
    state.api_keys.retain(|k| k.key == OPERATOR_KEY);
    let (text, _) = plan_apply_replan(state, FIRST_TAG);
    insta::assert_snapshot!(text);
}

#[test]
fn a_first_tag_in_a_workspace_with_only_its_owner() {
    let mut state = without_tags();
    state.members.retain(|m| m.role == Role::Owner);
    // Members authoritative: the owner alone is declared, and kept.
    let yaml = FIRST_TAG.replace(
        "policy: {members: additive, api_keys: additive}",
        "members:\n  - {email: owner@acme.com, role: owner}\npolicy: {api_keys: additive}",
    );
    let (text, _) = plan_apply_replan(state, &yaml);
    insta::assert_snapshot!(text);
}

/// The demo workspace with one more assignment on `SDR-West`, to a resource
/// type (7) the API may add but this tool does not know.
fn with_an_unknown_resource_type() -> SandboxState {
    let mut s = demo_state();
    s.mappings.push(TagMapping {
        id: "01946416-6000-7000-8000-000000000077".into(),
        resource_id: "inbox-7".into(),
        resource_type: ResourceType::Other(7),
        ..s.mappings[0].clone()
    });
    s
}

/// Both demo tags, `SDR-West` moved from `Legacy Promo` to `Partner Webinar`.
const BOTH_TAGS: &str = "\
version: 1
policy: {members: additive, api_keys: additive}
tags:
  - label: SDR-West
    description: West coast SDR team
    campaigns: [Q4 West Outbound, Partner Webinar]
    accounts: [west1@acme-mail.com]
  - label: Old-Team
    description: Disbanded in Q3
    campaigns: [Partner Webinar]
    accounts: [west2@acme-mail.com]
";

#[test]
fn an_assignment_of_an_unknown_resource_type_is_left_alone() {
    let state = with_an_unknown_resource_type();
    let unknown = state.mappings.last().unwrap().clone();
    let (text, server) = plan_apply_replan(state, BOTH_TAGS);
    insta::assert_snapshot!(text);
    let after = server.sandbox.state();
    assert!(after.mappings.contains(&unknown), "{:?}", after.mappings);
    assert_eq!(
        assignments(&after)
            .iter()
            .filter(|(tag, _, _)| tag == "SDR-West")
            .count(),
        4,
        "two campaigns, one account and the unknown one"
    );
}

#[test]
fn export_warns_of_an_unknown_resource_type_and_leaves_it_out() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(with_an_unknown_resource_type());
    let o = run_at(&server, d.path(), &["export"]);
    insta::assert_snapshot!(shown(&o));
}

/// Keys only: one new key (phase 4), then one replaced (phase 5).
const TWO_NEW_KEYS: &str = "\
version: 1
policy: {members: additive, tags: additive}
api_keys:
  - {name: instantly-rbac (automation), scopes: [all:all]}
  - {name: Old Zapier, scopes: [all:all]}
  - {name: SDR — Campaign Management, scopes: [campaigns:all]}
  - {name: Marketing — Analytics Read Only, scopes: [accounts:read, campaigns:read]}
";

fn apply_keys(server: &Server, dir: &Path) -> Output {
    run_at(
        server,
        dir,
        &[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ],
    )
}

/// Regression: after a failed (or interrupted) apply, the re-run with the
/// same `--secrets-out` was refused because the file it had written existed.
#[test]
fn a_rerun_adds_to_the_secrets_file_an_earlier_run_wrote() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    write(d.path(), "w.yaml", TWO_NEW_KEYS);
    // The replacement's create is the second write: it fails.
    server.sandbox.set_faults(Faults {
        fail_write: Some(2),
        ..Faults::default()
    });
    let failed = apply_keys(&server, d.path());
    server.sandbox.set_faults(Faults::default());
    let rerun = apply_keys(&server, d.path());
    insta::assert_snapshot!(format!(
        "== failed apply\n{}\n== re-run\n{}",
        shown(&failed),
        shown(&rerun)
    ));

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(doc["written_by"], "instantly-rbac");
    assert_eq!(doc["format_version"], 1);
    let delivered: Vec<(String, String, String)> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let s = |f: &str| k[f].as_str().unwrap().to_owned();
            (s("name"), s("id"), s("key"))
        })
        .collect();
    let state = server.sandbox.state();
    let new: Vec<(String, String, String)> = [
        "SDR — Campaign Management",
        "Marketing — Analytics Read Only",
    ]
    .iter()
    .map(|name| {
        let k = state.api_keys.iter().find(|k| k.name == *name).unwrap();
        (k.name.clone(), k.id.clone(), k.key.clone())
    })
    .collect();
    assert_eq!(delivered, new, "every secret, in the order created");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.path().join("s.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_secrets_file_this_tool_did_not_write_is_still_refused() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    let state = server.sandbox.state();
    write(d.path(), "w.yaml", TWO_NEW_KEYS);
    let ours = "{\"written_by\": \"instantly-rbac\", \"format_version\": 1, \"keys\": []}\n";
    let mut foreign = vec![
        ("a list", "[]\n"),
        (
            "another tool's",
            "{\"written_by\": \"vault\", \"format_version\": 1, \"keys\": []}\n",
        ),
        (
            "a later format",
            "{\"written_by\": \"instantly-rbac\", \"format_version\": 2, \"keys\": []}\n",
        ),
        ("not JSON", "precious"),
    ];
    #[cfg(unix)]
    {
        write(d.path(), "elsewhere.json", ours);
        foreign.push(("a symlink to ours", ""));
    }
    let mut first: Option<String> = None;
    for (what, text) in foreign {
        let _ = std::fs::remove_file(d.path().join("s.json"));
        if text.is_empty() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(d.path().join("elsewhere.json"), d.path().join("s.json"))
                .unwrap();
        } else {
            write(d.path(), "s.json", text);
        }
        let o = shown(&apply_keys(&server, d.path()));
        match &first {
            None => {
                insta::assert_snapshot!(o);
                first = Some(o);
            }
            Some(first) => assert_eq!(&o, first, "{what}"),
        }
        if !text.is_empty() {
            assert_eq!(
                std::fs::read_to_string(d.path().join("s.json")).unwrap(),
                text,
                "{what}"
            );
        }
        assert_eq!(server.sandbox.state(), state, "{what}: nothing was changed");
    }
    #[cfg(unix)]
    assert_eq!(
        std::fs::read_to_string(d.path().join("elsewhere.json")).unwrap(),
        ours
    );
}

/// Live members whose addresses differ only in case (the API may allow
/// what the contract does not promise): never one picked silently.
fn with_case_twins() -> SandboxState {
    let mut s = demo_state();
    let bob = s
        .members
        .iter()
        .find(|m| m.email.as_str() == "bob@acme.com")
        .unwrap()
        .clone();
    s.members.push(instantly_rbac::api_types::Member {
        id: "01946416-1000-7000-8000-0000000000ff".into(),
        email: "BOB@acme.com".into(),
        role: Role::Admin,
        ..bob
    });
    s
}

#[test]
fn a_declared_address_with_live_case_twins_is_a_located_error() {
    crate::support::Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {api_keys: additive, tags: additive, members: additive}\nmembers:\n  - email: bob@acme.com\n    role: view\n",
        )
        .sandbox(with_case_twins())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: 2 live members have the address `bob@acme.com` in different cases: `bob@acme.com` (01946416-1000-7000-8000-000000000003), `BOB@acme.com` (01946416-1000-7000-8000-0000000000ff)
 --> w.yaml:4:12
  |
4 |   - email: bob@acme.com
  |            ^^^^^^^^^^^^
  |
help: addresses compare without case, so the tool cannot tell which one the file means; remove all but one in Instantly

error: 1 error in w.yaml
",
        )
        .unchanged();
}

#[test]
fn undeclared_case_twins_are_each_planned_by_id() {
    let ran = crate::support::Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {api_keys: additive, tags: additive}\nmembers:\n  - email: owner@acme.com\n    role: owner\n  - email: alice@acme.com\n    role: admin\n",
        )
        .sandbox(with_case_twins())
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("");
    let doc = ran.json();
    let deletes: Vec<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["op"] == "delete" && a["kind"] == "member")
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        deletes,
        vec![
            "member[BOB@acme.com (01946416-1000-7000-8000-0000000000ff)]",
            "member[bob@acme.com (01946416-1000-7000-8000-000000000003)]",
            "member[carol@acme.com]",
            "member[dave@acme.com]",
            "member[erin@acme.com]",
            "member[support@instantly.ai]",
        ]
    );
}

#[test]
fn export_leaves_a_case_twin_out_and_says_so() {
    crate::support::Test::new()
        .sandbox(with_case_twins())
        .args(&["export", "-o", "e.yaml"])
        .run()
        .status(0)
        .stdout("")
        .stderr("warning: BOB@acme.com (01946416-1000-7000-8000-0000000000ff) has the address of another member in another case; a file names each address once, so it is left out, and a plan will ask you to remove one of them in Instantly\nwrote e.yaml\n");
}

/// After a rotation stopped between creating the new key and revoking the
/// old one, two keys share the name and scopes. The re-run keeps the new
/// key (its secret was delivered) and revokes only the old one.
#[test]
fn an_interrupted_rotation_keeps_the_new_key_and_revokes_the_old() {
    let mut s = demo_state();
    s.api_keys.truncate(1);
    let old = instantly_rbac::api_types::ApiKey {
        id: "01946416-3000-7000-8000-0000000000a1".into(),
        name: "Rot".into(),
        scopes: vec!["campaigns:read".into()],
        key: "sbx_rot_old_000000000000".into(),
        timestamp_created: "2020-01-01T00:00:00.000Z".into(),
        ..s.api_keys[0].clone()
    };
    let new = instantly_rbac::api_types::ApiKey {
        id: "01946416-3000-7000-8000-0000000000a2".into(),
        key: "sbx_rot_new_000000000000".into(),
        timestamp_created: instantly_rbac::sandbox::state::now_iso(),
        ..old.clone()
    };
    s.api_keys.push(old);
    s.api_keys.push(new);
    let ran = crate::support::Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, tags: additive}\napi_keys:\n  - name: instantly-rbac (automation)\n    scopes: ['all:all']\n  - name: Rot\n    scopes: ['campaigns:read']\n    rotate_after_days: 30\n",
        )
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("")
        .unchanged();
    let doc = ran.json();
    let actions: Vec<(String, String, String)> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["op"].as_str().unwrap().to_owned(),
                a["address"].as_str().unwrap().to_owned(),
                a["live_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![(
            "delete".to_owned(),
            "api_key[Rot (01946416-3000-7000-8000-0000000000a1)]".to_owned(),
            "01946416-3000-7000-8000-0000000000a1".to_owned()
        )]
    );
}

#[test]
fn a_key_whose_age_cannot_be_read_is_not_silently_left_unrotated() {
    let mut s = demo_state();
    s.api_keys[1].timestamp_created = "not a date".into();
    let name = s.api_keys[1].name.clone();
    let scopes = s.api_keys[1].scopes.clone();
    let ran = crate::support::Test::new()
        .file(
            "w.yaml",
            &format!(
                "version: 1\npolicy: {{members: additive, tags: additive, api_keys: additive}}\napi_keys:\n  - name: {name}\n    scopes: {scopes:?}\n    rotate_after_days: 30\n"
            ),
        )
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("");
    let doc = ran.json();
    assert_eq!(doc["actions"], serde_json::json!([]));
    assert_eq!(
        doc["warnings"],
        serde_json::json!([format!(
            "api_key[{name}]: rotate_after_days is 30, but the key's creation time \"not a date\" cannot be read, so no rotation is planned: rotate it by hand"
        )])
    );
}

#[test]
fn export_leaves_an_address_a_file_cannot_declare_to_policy_ignore() {
    let mut s = demo_state();
    let bob = s
        .members
        .iter_mut()
        .find(|m| m.email.as_str() == "bob@acme.com")
        .unwrap();
    bob.email = "mallory@acme.com\n  + member[ceo@acme.com]".into();
    let ran = crate::support::Test::new()
        .sandbox(s)
        .args(&["export", "-o", "e.yaml"])
        .run()
        .status(0)
        .stdout("")
        .stderr("warning: \"mallory@acme.com\\n  + member[ceo@acme.com]\" (01946416-1000-7000-8000-000000000003) is not an address a file can declare; it is listed under policy.ignore.members\nwrote e.yaml\n");
    // The export plans to no changes: the member is left alone.
    let ran = ran
        .again(&[
            "plan",
            "-f",
            "e.yaml",
            "--detailed-exitcode",
            "--format",
            "json",
        ])
        .status(0)
        .stderr("")
        .unchanged();
    let doc = ran.json();
    assert_eq!(doc["actions"], serde_json::json!([]));
}

/// A live label with spaces around it is the declared label, as the
/// planner matches it: the diff shows it unchanged under its live label,
/// its description kept, only the assignments the plan removes.
#[test]
fn the_diff_of_a_padded_live_label_shows_only_what_the_plan_changes() {
    let mut state = instantly_rbac::sandbox::demo::demo_state();
    for t in &mut state.tags {
        if t.label == "SDR-West" {
            t.label = "  SDR-West ".into();
        }
    }
    let ran = crate::support::Test::new()
        .sandbox(state)
        .file(
            "w.yaml",
            "version: 1\ntags:\n  - label: SDR-West\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        )
        .args(&["plan", "-f", "w.yaml", "--diff"])
        .run()
        .status(0)
        .unchanged();
    let diff = &ran.output.stdout[ran.output.stdout.find("--- live").unwrap()..];
    assert!(
        diff.ends_with(
            " tags:
 - label: \"  SDR-West \"
   description: West coast SDR team
-  campaigns:
-  - Legacy Promo
-  - Q4 West Outbound
-  accounts:
-  - west1@acme-mail.com
 - label: Old-Team
   description: Disbanded in Q3
"
        ),
        "{diff}"
    );
}
