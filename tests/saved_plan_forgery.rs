//! Issue 11: a saved plan is verified, never trusted. In CI the pull
//! request's job uploads the plan and the merge job applies it, so whoever
//! opens the pull request controls the file; `apply PLAN` plans the desired
//! file again and applies only when every saved action is the recomputed one.

use crate::support::{Ran, Test};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::saved_plan;
use serde_json::{Value, json};

/// Invites frank as `view`, creates the key `Reporting`, deletes dave.
const W: &str = "\
version: 1
policy:
  api_keys: additive
  tags: additive
roles:
  campaign-viewer:
    role: editor
    permissions: [campaigns.view]
members:
  - {email: owner@acme.com, role: owner}
  - {email: alice@acme.com, role: admin}
  - {email: bob@acme.com, role: view}
  - {email: carol@acme.com, role: campaign-viewer}
  - {email: erin@acme.com, role: view}
  - {email: support@instantly.ai, role: admin}
  - {email: frank@acme.com, role: view}
api_keys:
  - {name: Reporting, scopes: ['campaigns:read']}
";

const ALICE: &str = "01946416-1000-7000-8000-000000000002";

/// `plan -f w.yaml --out p.json` against the demo workspace.
fn planned(desired: &str) -> Ran {
    Test::new()
        .file("w.yaml", desired)
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0)
}

/// Edits p.json as someone with the CI artifact in hand could.
fn forge(ran: &Ran, edit: impl FnOnce(&mut Value)) {
    let path = ran.path("p.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut saved);
    std::fs::write(&path, serde_json::to_string_pretty(&saved).unwrap()).unwrap();
}

fn action<'a>(saved: &'a mut Value, address: &str) -> &'a mut Value {
    saved["plan"]["actions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["address"] == address)
        .unwrap()
}

/// Applies the forged p.json and expects it refused, before any write.
fn refused(ran: Ran, stderr: &str) {
    let ran = ran
        .again(&["apply", "p.json", "-f", "w.yaml", "--secrets-out", "s.json"])
        .status(1)
        .stdout("")
        .stderr(stderr)
        .unchanged();
    assert!(!ran.path("s.json").exists());
}

#[test]
fn an_invite_raised_to_admin_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        action(p, "member[frank@acme.com]")["after"]["role"] = json!("admin");
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 1 member[frank@acme.com]: after.role is admin in the plan, view when recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn a_new_key_widened_to_all_scopes_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        action(p, "api_key[Reporting]")["after"]["scopes"] = json!(["all:all"]);
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 2 api_key[Reporting]: after.scopes is [all:all] in the plan, [campaigns:read] when recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn an_invite_sent_to_an_outsider_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        action(p, "member[frank@acme.com]")["after"]["email"] = json!("mallory@evil.example");
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 1 member[frank@acme.com]: after.email is mallory@evil.example in the plan, frank@acme.com when recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn an_extra_admin_invite_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        let mut extra = action(p, "member[frank@acme.com]").clone();
        extra["address"] = json!("member[mallory@evil.example]");
        extra["after"]["email"] = json!("mallory@evil.example");
        extra["after"]["role"] = json!("admin");
        p["plan"]["actions"]
            .as_array_mut()
            .unwrap()
            .insert(1, extra);
        p["tokens"]
            .as_array_mut()
            .unwrap()
            .insert(1, json!("absent"));
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 2 member[mallory@evil.example] is in the plan but not recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn an_extra_action_at_the_end_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        let mut extra = action(p, "member[dave@acme.com]").clone();
        extra["address"] = json!("member[alice@acme.com]");
        extra["before"]["email"] = json!("alice@acme.com");
        extra["before"]["role"] = json!("admin");
        extra["live_id"] = json!(ALICE);
        // Its version token is no secret: anyone can compute the right one.
        let token = saved_plan::token(
            &serde_json::from_value(extra.clone()).unwrap(),
            &demo_state().as_live(),
        );
        p["plan"]["actions"].as_array_mut().unwrap().push(extra);
        p["tokens"].as_array_mut().unwrap().push(json!(token));
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 4 member[alice@acme.com] is in the plan but not recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn a_delete_pointed_at_another_member_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        action(p, "member[dave@acme.com]")["live_id"] = json!(ALICE);
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 3 member[dave@acme.com]: live_id is 01946416-1000-7000-8000-000000000002 in the plan, 01946416-1000-7000-8000-000000000005 when recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

#[test]
fn an_action_dropped_from_the_plan_is_refused() {
    let ran = planned(W);
    forge(&ran, |p| {
        p["plan"]["actions"].as_array_mut().unwrap().remove(2);
        p["tokens"].as_array_mut().unwrap().remove(2);
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 3 member[dave@acme.com] is recomputed but not in the plan; nothing was changed: run plan --out again and review it\n",
    );
}

/// The recomputed plan of `W` with a limit it exceeds, as shown; `bob`
/// deleted too when `bob_deleted`.
fn blocked_plan(block: &str, bob_deleted: bool) -> String {
    let deletes = if bob_deleted { 2 } else { 1 };
    let (bob, bob_impact) = if bob_deleted {
        (
            "  - member[bob@acme.com]  (medium risk)\n      role: view\n",
            "  ▼ reduction  member[bob@acme.com]: view -> no access\n",
        )
    } else {
        ("", "")
    };
    format!(
        "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 2 to create, 0 to update, 0 to replace, {deletes} to delete.

Blocked: apply refuses this plan until each limit below is dealt with.
{block}
Members:
  + member[frank@acme.com]  (medium risk)
      role: view
      status: invited (pending)
{bob}  - member[dave@acme.com]  (medium risk)
      role: editor

API keys:
  + api_key[Reporting]  (medium risk)
      scopes: [campaigns:read]

Access impact:
  ▲ escalation  api_key[Reporting]: no access -> [campaigns:read]
  ▲ escalation  member[frank@acme.com]: no access -> view
{bob_impact}  ▼ reduction  member[dave@acme.com]: editor -> no access

Left alone (5):
  api_key[Marketing — Analytics Read Only] (not declared; policy.api_keys is additive)
  api_key[Old Zapier] (not declared; policy.api_keys is additive)
  api_key[instantly-rbac (automation)] (not declared; policy.api_keys is additive)
  tag[Old-Team] (not declared; policy.tags is additive)
  tag[SDR-West] (not declared; policy.tags is additive)
"
    )
}

/// Emptied `plan.blocks` do not lift a limit: blocks come from the
/// recomputed plan, which is the one shown and checked.
fn blocks_ignored(desired: &str, shown: &str, stderr: &str) {
    let ran = planned(desired);
    forge(&ran, |p| p["plan"]["blocks"] = json!([]));
    let ran = ran
        .again(&["apply", "p.json", "-f", "w.yaml", "--secrets-out", "s.json"])
        .status(1)
        .stdout(shown)
        .stderr(stderr)
        .unchanged();
    assert!(!ran.path("s.json").exists());
}

#[test]
fn emptied_blocks_do_not_lift_max_deletes() {
    // Deletes bob and dave, one more than max_deletes allows.
    let desired = W
        .replace("policy:\n", "policy:\n  max_deletes: 1\n")
        .replace("  - {email: bob@acme.com, role: view}\n", "");
    blocks_ignored(
        &desired,
        &blocked_plan(
            "  ⛔ max_deletes: deletes 2 members, more than policy.max_deletes (1)\n     after review, acknowledge with: --ack-deletes member=2\n",
            true,
        ),
        "error: the plan is blocked by the deletion limits; after reviewing it, acknowledge each with the exact count:\n  deletes 2 members, more than policy.max_deletes (1) (--ack-deletes member=2); nothing was changed\n",
    );
}

#[test]
fn emptied_blocks_do_not_lift_min_admins() {
    let desired = W.replace("policy:\n", "policy:\n  min_admins: 4\n");
    blocks_ignored(
        &desired,
        &blocked_plan(
            "  ⛔ min_admins: would leave 3 admins (the owner counts), fewer than policy.min_admins (4); declare more admins or lower the policy\n",
            false,
        ),
        "error: the plan is blocked: it would leave 3 admins (the owner counts), fewer than policy.min_admins (4); declare more admins or lower the policy; nothing was changed\n",
    );
}

#[test]
fn an_unedited_plan_applies_and_converges() {
    planned(W)
        .again(&["apply", "p.json", "-f", "w.yaml", "--secrets-out", "s.json"])
        .status(0)
        .stderr("")
        .again(&["plan", "-f", "w.yaml", "--detailed-exitcode", "-q"])
        .status(0);
}

#[test]
fn without_f_the_recorded_file_is_used_and_said() {
    let ran = planned(W)
        .again(&["apply", "p.json", "--secrets-out", "s.json"])
        .status(0)
        .stderr("note: checking p.json against w.yaml, the desired file it records (-f FILE names another)\n");
    assert!(
        ran.output.stdout.ends_with(
            "\nApply complete: 3 actions applied.\n1 new API key secret written to s.json.\n"
        ),
        "{}",
        ran.output.stdout
    );
    ran.again(&["plan", "-f", "w.yaml", "--detailed-exitcode", "-q"])
        .status(0);
}

#[test]
fn without_f_a_changed_recorded_file_is_refused() {
    let ran = planned(W);
    std::fs::write(
        ran.path("w.yaml"),
        W.replace("frank@acme.com, role: view", "frank@acme.com, role: admin"),
    )
    .unwrap();
    ran.again(&["apply", "p.json", "--secrets-out", "s.json"])
        .status(1)
        .stdout("")
        .stderr("note: checking p.json against w.yaml, the desired file it records (-f FILE names another)\nerror: p.json was made from a different desired file than w.yaml (another file, or its content changed since the plan): re-run `plan --out`\n")
        .unchanged();
}

#[test]
fn without_f_a_missing_recorded_file_is_a_clear_error() {
    let ran = planned(W);
    std::fs::remove_file(ran.path("w.yaml")).unwrap();
    ran.again(&["apply", "p.json", "--secrets-out", "s.json"])
        .status(1)
        .stdout("")
        .stderr("note: checking p.json against w.yaml, the desired file it records (-f FILE names another)\nerror: p.json was made from w.yaml, which cannot be read (No such file or directory (os error 2)): pass -f FILE, the desired file it was planned from; nothing was changed\n")
        .unchanged();
}

#[test]
fn a_forged_desired_path_shows_nothing_of_the_file_it_names() {
    // A plan naming another file on the machine (`/proc/self/environ` in
    // CI) as its desired file: it is refused on its digest, unparsed.
    let ran = planned(W);
    std::fs::write(ran.path("secret.yaml"), "api_key: sbx_not_for_logs\n").unwrap();
    forge(&ran, |p| p["desired"]["path"] = json!("secret.yaml"));
    ran.again(&["apply", "p.json", "--secrets-out", "s.json"])
        .status(1)
        .stdout("")
        .stderr("note: checking p.json against secret.yaml, the desired file it records (-f FILE names another)\nerror: p.json was made from a different desired file than secret.yaml (another file, or its content changed since the plan): re-run `plan --out`\n")
        .unchanged();
}

#[test]
fn control_characters_in_a_forged_plan_are_shown_escaped() {
    let ran = planned(W);
    forge(&ran, |p| {
        action(p, "member[frank@acme.com]")["after"]["email"] =
            json!("x@evil.example\n::error::all clear\u{1b}[2J");
    });
    refused(
        ran,
        "error: the saved plan differs from the plan of w.yaml now: action 1 member[frank@acme.com]: after.email is \"x@evil.example\\n::error::all clear\\u{1b}[2J\" in the plan, frank@acme.com when recomputed; nothing was changed: run plan --out again and review it\n",
    );
}

/// A live label with surrounding spaces is the declared tag: a change to
/// it after the plan is seen, not taken for a tag that is absent both times.
#[test]
fn a_change_to_a_tag_whose_live_label_has_spaces_is_seen() {
    let mut state = demo_state();
    let old = state
        .tags
        .iter_mut()
        .find(|t| t.label == "SDR-West")
        .unwrap();
    old.label = " SDR-West ".into();
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\ntags:\n  - label: SDR-West\n    description: West, renamed\n    campaigns: [Q4 West Outbound, Legacy Promo]\n    accounts: [west1@acme-mail.com]\n",
        )
        .sandbox(state)
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0);
    let path = ran.path("state.json");
    let mut live = instantly_rbac::sandbox::state::SandboxState::load(&path).unwrap();
    live.tags
        .iter_mut()
        .find(|t| t.label == " SDR-West ")
        .unwrap()
        .description = Some("changed by hand".into());
    live.save(&path).unwrap();
    let ran = ran.again(&["apply", "p.json", "-f", "w.yaml"]).status(1);
    assert!(
        ran.output
            .stderr
            .starts_with("error: 1 object the saved plan touches changed since it was made; nothing was changed.\n  tag[SDR-West]\n"),
        "{}",
        ran.output.stderr
    );
}
