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
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)\n\nNo changes. The live workspace matches the file.\n",
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

const LEFT_ALONE: &str = "Left alone (11):
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
      role: editor
      permissions: [campaigns.veiw]
      status: invited (pending)

Access impact:
  ▲ escalation, high risk  member[frank@acme.com]: no access -> editor + [campaigns.veiw]

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

/// The demo with a tag whose label has a trailing space.
fn with_spaced_tag() -> SandboxState {
    let mut s = demo_state();
    let mut t = s.tags[0].clone();
    t.id = "01946416-0000-7000-8000-00000000feed".into();
    t.label = "SDR-North ".into();
    t.description = None;
    s.tags.push(t);
    s
}

#[test]
fn a_tag_refused_as_a_duplicate_names_the_live_tag_and_is_not_retried() {
    Test::new()
        .sandbox(with_spaced_tag())
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\ntags:\n  - {label: SDR-North, campaigns: [Legacy Promo]}\n",
        )
        .args(&["apply", "-f", "w.yaml", "--auto-approve"])
        .run()
        .status(1)
        .stdout(&format!(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.

Tags:
  + tag[SDR-North]

Tag assignments:
  + assignment[SDR-North -> campaign:Legacy Promo]

{}
Apply failed: 0 applied, 1 failed, 1 not attempted.

Failed:
  ✗ tag[SDR-North]: the live tag `SDR-North ` (01946416-0000-7000-8000-00000000feed) has the same label once spaces are trimmed, so the API refuses `SDR-North` (POST /custom-tags: 409 Conflict: A tag with the same normalized label already exists in this workspace (it clashes with an object that already exists)); rename one of them
Not attempted:
  · assignment[SDR-North -> campaign:Legacy Promo]

Run plan again: it shows exactly what remains.
",
            LEFT_ALONE
                .replace("Left alone (11)", "Left alone (12)")
                .replace(
                    "  tag[SDR-West]",
                    "  tag[SDR-North ] (not declared; policy.tags is additive)\n  tag[SDR-West]"
                )
        ))
        .stderr("")
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
