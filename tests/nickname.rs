//! Members' nicknames (issue 16, item 3): a declared nickname is kept equal
//! to the live one by an in-place update (PATCH with only what changed) and
//! sent with invites; an undeclared one is left alone; export writes them;
//! hostile ones are shown escaped.

use crate::support::{Ran, Test};
use instantly_rbac::config_loader::parse;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;

/// The demo workspace cut down to the owner, alice (admin) and bob (view,
/// nicknamed "Bobby"), the automation key, and no tags.
fn state() -> SandboxState {
    let mut s = demo_state();
    s.members.truncate(3);
    s.members[2].nickname = Some("Bobby".into());
    s.api_keys.truncate(1);
    s.tags.clear();
    s.mappings.clear();
    s
}

/// A file for `state()`: `alice` and `bob` are the lines under their
/// emails, `more` more members.
fn file(alice: &str, bob: &str, more: &str) -> String {
    format!(
        "version: 1
roles:
  sdr:
    role: editor
    permissions: [campaigns.view]
members:
  - email: owner@acme.com
    role: owner
  - email: alice@acme.com
{alice}  - email: bob@acme.com
{bob}{more}api_keys:
  - name: instantly-rbac (automation)
    scopes: [\"all:all\"]
"
    )
}

fn nickname(ran: &Ran, email: &str) -> Option<String> {
    ran.state
        .as_ref()
        .unwrap()
        .members
        .iter()
        .find(|m| m.email.as_str() == email)
        .unwrap_or_else(|| panic!("{email} is a member"))
        .nickname
        .clone()
}

fn role(ran: &Ran, email: &str) -> String {
    let s = ran.state.as_ref().unwrap();
    let m = s
        .members
        .iter()
        .find(|m| m.email.as_str() == email)
        .unwrap();
    m.role.to_string()
}

const NO_CHANGES: &str = "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)\n\nNo changes. The live workspace matches the file.\n";

fn converged(ran: Ran) -> Ran {
    ran.again(&["plan", "-f", "w.yaml"])
        .status(0)
        .stdout(NO_CHANGES)
        .unchanged()
}

#[test]
fn a_declared_nickname_is_an_update_applied_by_patch() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n    nickname: \"Sam (SDR West)\"\n",
                "    role: view\n",
                "",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout(
            "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.

Members:
  ~ member[alice@acme.com]
      nickname: (none) -> \"Sam (SDR West)\"
",
        )
        .stderr("")
        .unchanged()
        .again(&["apply", "-f", "w.yaml", "--auto-approve"])
        .status(0);
    insta::assert_snapshot!("apply", ran.output.stdout);
    assert_eq!(
        nickname(&ran, "alice@acme.com").as_deref(),
        Some("Sam (SDR West)")
    );
    assert_eq!(role(&ran, "alice@acme.com"), "admin");
    // Not declared: bob's live nickname is left alone.
    assert_eq!(nickname(&ran, "bob@acme.com").as_deref(), Some("Bobby"));
    converged(ran);
}

#[test]
fn a_nickname_change_is_not_an_access_change() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n    nickname: Sam\n",
                "    role: view\n",
                "",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml", "--format", "json"])
        .run()
        .status(0);
    let plan = ran.json();
    insta::assert_snapshot!(
        "json_actions",
        serde_json::to_string_pretty(&plan["actions"]).unwrap()
    );
    let text = serde_json::to_string(&plan).unwrap();
    assert!(
        !text.contains("escalation") && !text.contains("\"high\""),
        "{text}"
    );
}

#[test]
fn role_and_nickname_change_together_and_an_undeclared_nickname_is_kept() {
    // alice: role and nickname; bob: role only, his nickname undeclared.
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: editor\n    nickname: Al\n",
                "    role: editor\n",
                "",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stderr("");
    insta::assert_snapshot!("role_and_nickname_plan", ran.output.stdout);
    let ran = ran
        .again(&["apply", "-f", "w.yaml", "--auto-approve"])
        .status(0);
    assert_eq!(nickname(&ran, "alice@acme.com").as_deref(), Some("Al"));
    assert_eq!(role(&ran, "alice@acme.com"), "editor");
    assert_eq!(nickname(&ran, "bob@acme.com").as_deref(), Some("Bobby"));
    assert_eq!(role(&ran, "bob@acme.com"), "editor");
    converged(ran);
}

#[test]
fn an_invite_carries_the_declared_nickname() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n",
                "    role: view\n",
                "  - email: zed@acme.com\n    role: view\n    nickname: \"Zed (new)\"\n",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stderr("");
    insta::assert_snapshot!("invite_plan", ran.output.stdout);
    let ran = ran
        .again(&["apply", "-f", "w.yaml", "--auto-approve"])
        .status(0);
    assert_eq!(nickname(&ran, "zed@acme.com").as_deref(), Some("Zed (new)"));
    converged(ran);
}

#[test]
fn a_reinvite_carries_the_nickname() {
    // bob moves to a team role (a re-invite); his nickname is undeclared,
    // and the new invitation keeps it.
    let ran = Test::new()
        .file("w.yaml", &file("    role: admin\n", "    role: sdr\n", ""))
        .sandbox(state())
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--allow-reinvite",
        ])
        .run()
        .status(0);
    assert_eq!(nickname(&ran, "bob@acme.com").as_deref(), Some("Bobby"));
    assert_eq!(role(&ran, "bob@acme.com"), "editor");
    converged(ran);
}

#[test]
fn the_owners_nickname_can_be_declared() {
    let text = file("    role: admin\n", "    role: view\n", "")
        .replace("    role: owner\n", "    role: owner\n    nickname: Boss\n");
    let ran = Test::new()
        .file("w.yaml", &text)
        .sandbox(state())
        .args(&["apply", "-f", "w.yaml", "--auto-approve"])
        .run()
        .status(0);
    assert_eq!(nickname(&ran, "owner@acme.com").as_deref(), Some("Boss"));
    assert_eq!(role(&ran, "owner@acme.com"), "owner");
    converged(ran);
}

#[test]
fn a_saved_plan_with_a_nickname_round_trips() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n    nickname: Sam\n",
                "    role: view\n    nickname: Rob\n",
                "",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0)
        .unchanged()
        .again(&["apply", "p.json", "-f", "w.yaml"])
        .status(0);
    assert_eq!(nickname(&ran, "alice@acme.com").as_deref(), Some("Sam"));
    assert_eq!(nickname(&ran, "bob@acme.com").as_deref(), Some("Rob"));
    converged(ran);
}

#[test]
fn export_writes_nicknames_and_plans_no_changes() {
    let mut s = state();
    s.members[0].nickname = Some("Boss".into());
    s.members[1].nickname = Some("Sam (SDR West)".into());
    let ran = Test::new()
        .sandbox(s)
        .args(&["export", "-o", "w.yaml"])
        .run()
        .status(0);
    let exported = std::fs::read_to_string(ran.path("w.yaml")).unwrap();
    insta::assert_snapshot!("export", exported);
    converged(ran);
}

#[test]
fn a_hostile_nickname_is_escaped_in_the_text_plan() {
    let mut s = state();
    s.members[2].nickname = Some("Bobby\n  + member[evil@acme.com]\x1b]0;pwned\x07\u{202e}".into());
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n",
                "    role: view\n    nickname: Bob\n",
                "",
            ),
        )
        .sandbox(s)
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stderr("");
    let out = &ran.output.stdout;
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'), "{out}");
    assert!(!out.contains("\n  + member[evil"), "{out}");
    insta::assert_snapshot!("hostile_plan", out);
    let md = ran
        .again(&["plan", "-f", "w.yaml", "--format", "markdown"])
        .status(0);
    let out = &md.output.stdout;
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'), "{out}");
    insta::assert_snapshot!("hostile_markdown", out);
}

fn errors(text: &str) -> String {
    match parse("w.yaml", text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.render(false),
    }
}

#[test]
fn a_nickname_is_a_non_empty_string_and_a_misspelling_is_named() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: a@acme.com\n    role: admin\n    nickname: [Sam]\n  - email: b@acme.com\n    role: view\n    nickname: \"  \"\n  - email: c@acme.com\n    role: view\n    nicknam: Cy\n"
    ));
}

#[test]
fn the_diff_shows_a_nickname_change_and_keeps_undeclared_ones() {
    let ran = Test::new()
        .file(
            "w.yaml",
            &file(
                "    role: admin\n    nickname: Sam\n",
                "    role: view\n",
                "",
            ),
        )
        .sandbox(state())
        .args(&["plan", "-f", "w.yaml", "--diff"])
        .run()
        .status(0)
        .stderr("");
    insta::assert_snapshot!("diff", ran.output.stdout);
}
