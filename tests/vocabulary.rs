//! The API's vocabulary as it grows (contract revision 2026-11-29):
//! permissions the tool does not know, 409 for a duplicate tag label, 402
//! for a feature the workspace's plan lacks.

use crate::support::{OPERATOR_KEY, Server, Test};
use instantly_rbac::api_error::ApiErrorKind;
use instantly_rbac::api_types::{CreateTag, PatchTag, Tag};
use instantly_rbac::client::Client;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use secrecy::SecretString;
use std::time::Duration;

/// The demo with carol holding a permission Instantly added after this tool.
fn with_future_permission() -> SandboxState {
    let mut s = demo_state();
    let carol = s
        .members
        .iter_mut()
        .find(|m| m.email.as_str() == "carol@acme.com")
        .unwrap();
    carol.permissions = Some(vec!["campaigns.view".into(), "futureThing.manage".into()]);
    s
}

#[test]
fn a_live_unknown_permission_is_exported_as_is_and_plans_to_no_changes() {
    let ran = Test::new()
        .sandbox(with_future_permission())
        .args(&["export", "-o", "live.yaml"])
        .run()
        .status(0)
        .stdout("")
        .unchanged();
    let exported = std::fs::read_to_string(ran.path("live.yaml")).unwrap();
    assert!(
        exported.contains(
            "  editor-team-1:\n    role: editor\n    permissions:\n    - campaigns.view\n    - futureThing.manage\n"
        ),
        "{exported}"
    );
    ran.again(&["plan", "-f", "live.yaml", "--detailed-exitcode"])
        .status(0)
        .stdout(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)\n\nNo changes. The live workspace matches the file.\n\nWarnings:\n  ! live.yaml:11: permission `futureThing.manage` is not one this tool knows (W007): it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the 31 known permissions\n",
        )
        .stderr(
            "warning[W007]: permission `futureThing.manage` is not one this tool knows
  --> live.yaml:11:7
   |
11 |     - futureThing.manage
   |       ^^^^^^^^^^^^^^^^^^
   |
help: it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the 31 known permissions

warning: 1 warning in w.yaml
".replace("w.yaml", "live.yaml").as_str(),
        )
        .unchanged();
}

const TYPO: &str = "\
version: 1
policy: {members: additive, api_keys: additive, tags: additive}
roles:
  sdr: {role: editor, permissions: [campaigns.veiw]}
members:
  - email: frank@acme.com
    role: sdr
";

const TYPO_WARNING: &str = "warning[W007]: permission `campaigns.veiw` is not one this tool knows
 --> w.yaml:4:37
  |
4 |   sdr: {role: editor, permissions: [campaigns.veiw]}
  |                                     ^^^^^^^^^^^^^^
  |
help: did you mean `campaigns.view`? it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the 31 known permissions

warning: 1 warning in w.yaml
";

use crate::support::DEMO_LEFT_ALONE as LEFT_ALONE;

#[test]
fn a_declared_unknown_permission_warns_and_the_api_decides_at_apply() {
    Test::new()
        .file("w.yaml", TYPO)
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout("w.yaml: valid (1 warning)\n")
        .stderr(TYPO_WARNING);
    let plan = format!(
        "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.

Members:
  + member[frank@acme.com]  (high risk)
      role: sdr (editor + 1 permission)
      permissions: [campaigns.veiw]
      status: invited (pending)

Access impact:
  ▲ escalation, high risk  member[frank@acme.com]: no access -> editor + [campaigns.veiw]

Warnings:
  ! w.yaml:4: permission `campaigns.veiw` is not one this tool knows (W007): did you mean `campaigns.view`? it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the 31 known permissions

{LEFT_ALONE}"
    );
    Test::new()
        .sandbox(demo_state())
        .file("w.yaml", TYPO)
        .args(&["plan", "-f", "w.yaml", "--detailed-exitcode"])
        .run()
        .status(2)
        .stdout(&plan)
        .stderr(TYPO_WARNING)
        .unchanged()
        // The sandbox, like the API, refuses a permission it does not have.
        .again(&["apply", "-f", "w.yaml", "--auto-approve"])
        .status(1)
        .stdout(&format!(
            "{plan}
Apply failed: 0 applied, 1 failed, 0 not attempted.

Failed:
  ✗ member[frank@acme.com]: POST /workspace-members: 400 Bad Request: body/permissions: unknown permission campaigns.veiw

Run plan again: it shows exactly what remains.
"
        ))
        .stderr(TYPO_WARNING)
        .unchanged();
}

#[test]
fn the_sandbox_answers_409_for_a_duplicate_label_on_create_and_rename() {
    let server = Server::demo();
    let c = Client::new(
        server.url(),
        SecretString::from(OPERATOR_KEY.to_owned()),
        Duration::from_secs(5),
    )
    .unwrap();
    let conflict = |e: instantly_rbac::api_error::ApiError| {
        assert!(
            matches!(&e.kind, ApiErrorKind::Conflict(m) if m == "A tag with the same normalized label already exists in this workspace"),
            "{e:?}"
        );
    };
    let create = |label: &str| CreateTag {
        label: label.into(),
        description: None,
    };
    conflict(
        server
            .rt
            .block_on(c.post::<_, Tag>("/custom-tags", &create(" SDR-West ")))
            .unwrap_err(),
    );
    let new: Tag = server
        .rt
        .block_on(c.post("/custom-tags", &create("SDR-East")))
        .unwrap();
    let rename = PatchTag {
        label: Some("Old-Team ".into()),
        description: None,
    };
    conflict(
        server
            .rt
            .block_on(c.patch::<_, Tag>(&format!("/custom-tags/{}", new.id), &rename))
            .unwrap_err(),
    );
}

#[test]
fn a_402_says_the_workspaces_plan_does_not_include_the_feature() {
    let mut state = demo_state();
    state.payment_required = vec!["/custom-tags".into()];
    Test::new()
        .sandbox(state)
        .file(
            "w.yaml",
            "version: 1\ntags:\n  - {label: SDR-West, campaigns: [Legacy Promo]}\n",
        )
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: GET /custom-tags: 402 Payment Required: Upgrade your plan to use this endpoint (the workspace's plan does not include custom tags)\n")
        .unchanged();
}

#[test]
fn a_live_key_with_an_unknown_scope_is_left_alone_by_export_and_plan() {
    let mut state = demo_state();
    state.api_keys[1].scopes = vec!["campaigns:read".into(), "futureThing:read".into()];
    let ran = Test::new()
        .sandbox(state)
        .args(&["export", "-o", "live.yaml"])
        .run()
        .status(0)
        .stdout("")
        .stderr("warning: API key `Marketing — Analytics Read Only` has the scope `futureThing:read`, which this tool does not know and a file cannot declare; it is listed under policy.ignore.api_keys\nwrote live.yaml\n")
        .unchanged();
    let exported = std::fs::read_to_string(ran.path("live.yaml")).unwrap();
    assert!(
        exported.contains(
            "  ignore:\n    members: []\n    api_keys:\n    - Marketing — Analytics Read Only\n"
        ),
        "{exported}"
    );
    ran.again(&["plan", "-f", "live.yaml", "--detailed-exitcode"])
        .status(0)
        .stdout(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

No changes. The live workspace matches the file.

Left alone (1):
  api_key[Marketing — Analytics Read Only] (ignored by policy.ignore.api_keys)
",
        )
        .stderr("")
        .unchanged();
}

/// A re-invite removes the member before inviting them again: a permission
/// the API then refuses would leave them removed, so apply refuses first.
#[test]
fn a_reinvite_with_an_unknown_permission_is_refused_before_any_write() {
    let yaml = "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\nroles:\n  sdr:\n    role: editor\n    permissions: [campaigns.view, websiteChat.veiw]\nmembers:\n  - email: carol@acme.com\n    role: sdr\n";
    let ran = crate::support::Test::new()
        .file("w.yaml", yaml)
        .sandbox(instantly_rbac::sandbox::demo::demo_state())
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--allow-reinvite",
        ])
        .run()
        .status(1)
        .unchanged();
    assert!(
        ran.output.stderr.ends_with("error: the plan is blocked: it re-invites member[carol@acme.com] (websiteChat.veiw) with a permission this tool does not know: a re-invite removes the member first, and if the API refuses the permission (a typo) they are left removed; check the spelling (if Instantly added the permission, a newer instantly-rbac knows it); nothing was changed\n"),
        "{}",
        ran.output.stderr
    );
    // The plan shows the block in the same words (the text plan's lines).
    let ran = ran.again(&["plan", "-f", "w.yaml"]).status(0);
    assert!(
        ran.output.stdout.contains("Blocked: apply refuses this plan until each limit below is dealt with.\n  ⛔ W007: re-invites member[carol@acme.com] (websiteChat.veiw) with a permission this tool does not know: a re-invite removes the member first, and if the API refuses the permission (a typo) they are left removed; check the spelling (if Instantly added the permission, a newer instantly-rbac knows it)\n\n"),
        "{}",
        ran.output.stdout
    );
    // The JSON plan (a PR job's) carries the warning and the block too.
    let ran = ran
        .again(&["plan", "-f", "w.yaml", "--format", "json"])
        .status(0);
    let doc = ran.json();
    assert_eq!(doc["blocks"][0]["limit"], "W007");
    assert_eq!(
        doc["warnings"],
        serde_json::json!([
            "w.yaml:6: permission `websiteChat.veiw` is not one this tool knows (W007): did you mean `websiteChat.view`? it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the 31 known permissions"
        ])
    );
}

/// Labels are unique after trimming: a live `  Old-Team ` is the declared
/// `Old-Team`, not a create the API would refuse with 409 forever.
#[test]
fn a_live_label_with_surrounding_spaces_is_the_declared_tag() {
    let mut state = instantly_rbac::sandbox::demo::demo_state();
    let old = state
        .tags
        .iter_mut()
        .find(|t| t.label == "Old-Team")
        .unwrap();
    old.label = "  Old-Team ".into();
    let ran = crate::support::Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West Outbound, Legacy Promo]\n    accounts: [west1@acme-mail.com]\n  - label: Old-Team\n    campaigns: [Partner Webinar]\n",
        )
        .sandbox(state)
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("");
    let doc = ran.json();
    let ops: Vec<String> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["op"].as_str().unwrap(),
                a["address"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        !ops.iter()
            .any(|o| o.contains("tag[Old-Team]") || o.contains("tag[  Old-Team ]")),
        "{ops:?}"
    );
}
