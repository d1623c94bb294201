//! The command line as users meet it: exit statuses (a typo is never
//! "changes"), `--diff` in every format, and the saved-plan hint.

use crate::support::{Test, example};
use instantly_rbac::sandbox::demo::demo_state;

#[test]
fn a_mistyped_flag_exits_1_not_2() {
    Test::new()
        .args(&["plan", "--detailed-exitcod", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: unexpected argument '--detailed-exitcod' found\n\n  tip: a similar argument exists: '--detailed-exitcode'\n\nUsage: instantly-rbac plan --file <FILES> --detailed-exitcode\n\nFor more information, try '--help'.\n",
        );
}

#[test]
fn a_mistyped_subcommand_exits_1() {
    Test::new()
        .args(&["plann"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: unrecognized subcommand 'plann'\n\n  tip: a similar subcommand exists: 'plan'\n\nUsage: instantly-rbac [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n",
        );
}

#[test]
fn a_mistyped_value_exits_1() {
    Test::new()
        .args(&["plan", "-f", "w.yaml", "--format", "jsn"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: invalid value 'jsn' for '--format <FORMAT>'\n  [possible values: text, json, markdown]\n\n  tip: a similar value exists: 'json'\n\nFor more information, try '--help'.\n",
        );
}

#[test]
fn help_and_version_succeed_on_stdout() {
    Test::new()
        .args(&["--version"])
        .run()
        .status(0)
        .stdout(&format!("instantly-rbac {}\n", env!("CARGO_PKG_VERSION")))
        .stderr("");
    let ran = Test::new()
        .args(&["plan", "--help"])
        .run()
        .status(0)
        .stderr("");
    assert!(
        ran.output.stdout.starts_with(
            "Show what apply would change\n\nUsage: instantly-rbac plan [OPTIONS] --file <FILES>\n"
        ),
        "{}",
        ran.output.stdout
    );
}

fn diff_run(format: &str) -> crate::support::Ran {
    let ex = example().display().to_string();
    Test::new()
        .sandbox(demo_state())
        .args(&["plan", "-f", &ex, "--diff", "--format", format])
        .run()
}

#[test]
fn diff_with_json_is_a_field_of_one_json_document() {
    let ran = diff_run("json").status(0).stderr("");
    let ran = ran.unchanged();
    let doc = ran.json();
    let diff = doc["diff"].as_str().expect("a diff field");
    assert!(diff.starts_with("--- live"), "{diff}");
    assert!(diff.contains("\n+- email: frank@acme.com\n"), "{diff}");
    // Without --diff the field is absent.
    let ex = example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["plan", "-f", &ex, "--format", "json"])
        .run()
        .status(0);
    let doc = ran.json();
    assert!(doc.get("diff").is_none());
}

#[test]
fn diff_with_markdown_is_fenced_inside_details() {
    let ran = diff_run("markdown").status(0).stderr("");
    let md = &ran.output.stdout;
    let start = md
        .find("<details><summary>Diff of the live and the desired workspace</summary>\n\n```diff\n--- live")
        .unwrap_or_else(|| panic!("no fenced diff section:\n{md}"));
    let rest = &md[start..];
    assert!(
        rest.ends_with("```\n\n</details>\n"),
        "the diff is the last section and closes its fence and details:\n{rest}"
    );
}

#[test]
fn a_live_name_with_backticks_cannot_close_the_diff_fence() {
    let mut state = demo_state();
    state.tags[0].label = "```\n</details>\n## ✅ No changes".into();
    let ex = example().display().to_string();
    let ran = Test::new()
        .sandbox(state)
        .args(&["plan", "-f", &ex, "--diff", "--format", "markdown"])
        .run()
        .status(0);
    let md = &ran.output.stdout;
    let start = md.find("Diff of the live").unwrap();
    let rest = &md[start..];
    assert!(
        rest.contains("\n````diff\n"),
        "a fence longer than any run of backticks:\n{rest}"
    );
    assert!(rest.ends_with("````\n\n</details>\n"), "{rest}");
}

#[test]
fn the_saved_plan_hint_is_the_exact_command_for_the_same_target() {
    let ex = example().display().to_string();
    let ran = Test::new()
        .file("w.yaml", &std::fs::read_to_string(&ex).unwrap())
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "my plan.json", "-q"])
        .run()
        .status(0)
        .stderr("");
    // -q silences the note; without it, the hint is the whole stderr.
    let again = Test::new()
        .file("w.yaml", &std::fs::read_to_string(&ex).unwrap())
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "my plan.json"])
        .run()
        .status(0)
        .stderr(
            "Saved the plan to my plan.json; apply exactly it with `instantly-rbac --sandbox=state.json apply 'my plan.json' -f w.yaml --allow-reinvite --secrets-out new-keys.json`.\n",
        );
    assert_eq!(ran.output.stdout, again.output.stdout);
    // The command as printed applies the plan to the same sandbox.
    again
        .again(&[
            "apply",
            "my plan.json",
            "-f",
            "w.yaml",
            "--allow-reinvite",
            "--secrets-out",
            "new-keys.json",
        ])
        .status(0);
}

#[test]
fn the_hint_names_a_non_default_api_url() {
    let settings = |url: &str| instantly_rbac::settings::Settings {
        target: instantly_rbac::settings::Target::Api {
            url: url.into(),
            key: None,
        },
        client: Default::default(),
    };
    let cmd = |url: &str| {
        instantly_rbac::commands::plan::apply_command(
            &settings(url),
            std::path::Path::new("plan.json"),
            Some(std::path::Path::new("ws/a.yaml")),
            &[],
        )
    };
    assert_eq!(
        cmd("https://api.instantly.ai/api/v2"),
        "instantly-rbac apply plan.json -f ws/a.yaml"
    );
    assert_eq!(
        cmd("http://127.0.0.1:9000/api/v2"),
        "instantly-rbac --api-url http://127.0.0.1:9000/api/v2 apply plan.json -f ws/a.yaml"
    );
}

fn example_text() -> String {
    std::fs::read_to_string(example()).unwrap()
}

#[test]
fn the_workspace_guard_refuses_another_workspace() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nworkspace:\n  id: 00000000-0000-7000-8000-000000000000\n",
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: w.yaml:3: the file is for workspace 00000000-0000-7000-8000-000000000000, but the API key reaches workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a (Acme Sales); nothing was changed\n");
}

#[test]
fn plan_errors_point_at_the_line() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 Weast Outbound]\n",
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: no campaign is named `Q4 Weast Outbound`
 --> w.yaml:4:17
  |
4 |     campaigns: [Q4 Weast Outbound]
  |                 ^^^^^^^^^^^^^^^^^
  |
help: names are matched exactly; similar: `Q4 West Outbound` (01946416-5000-7000-8000-000000000001), `Q4 East Outbound` (01946416-5000-7000-8000-000000000002)

error: 1 error in w.yaml
",
        );
}

#[test]
fn no_api_key_is_a_clear_error() {
    Test::new()
        .file("w.yaml", &example_text())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: no API key for https://api.instantly.ai/api/v2: set INSTANTLY_API_KEY or pass --api-key (or use --sandbox)\n");
}

#[test]
fn apply_refuses_without_approval_or_a_secrets_file_and_changes_nothing() {
    let refused = |args: &[&str], why: &str| {
        let ran = Test::new()
            .file("w.yaml", &example_text())
            .sandbox(demo_state())
            .args(&["apply", "--allow-reinvite", "-f", "w.yaml"])
            .args(args)
            .run()
            .status(1)
            .stderr(&format!("error: {why}\n"));
        assert!(
            ran.output.stdout.starts_with("Workspace: Acme Sales"),
            "the plan is shown first: {}",
            ran.output.stdout
        );
        let ran = ran.unchanged();
        assert!(!ran.dir.path().join("s.json").exists());
    };
    refused(
        &["--secrets-out", "s.json"],
        "apply is not running in a terminal, so it cannot ask for confirmation: review the plan and pass --auto-approve; nothing was changed",
    );
    refused(
        &["--auto-approve"],
        "this plan creates API keys, whose secrets are shown only once: pass --secrets-out FILE or --secrets-cmd CMD; nothing was changed",
    );
}

#[test]
fn an_existing_secrets_file_is_never_overwritten() {
    let ran = Test::new()
        .file("w.yaml", &example_text())
        .file("s.json", "precious")
        .sandbox(demo_state())
        .args(&[
            "apply",
            "--allow-reinvite",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ])
        .run()
        .status(1)
        .stderr("error: cannot open the secrets file s.json: s.json already exists; choose a new file (or --secrets-append) so no secret is overwritten\n");
    let ran = ran.unchanged();
    assert_eq!(
        std::fs::read_to_string(ran.dir.path().join("s.json")).unwrap(),
        "precious"
    );
}

#[test]
fn the_hint_carries_the_acknowledgements_the_plan_needs() {
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\npolicy:\n  max_deletes: 1\n  api_keys: additive\n  tags: additive\nmembers:\n  - email: owner@acme.com\n    role: owner\n",
        )
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json"])
        .run()
        .status(0)
        .stderr("Saved the plan to p.json; apply exactly it with `instantly-rbac --sandbox=state.json apply p.json -f w.yaml --ack-deletes member=6`.\n");
    assert!(
        ran.output
            .stdout
            .contains("  ⛔ max_deletes: deletes 6 members, more than policy.max_deletes (1)\n"),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn confirm_outside_a_terminal_says_what_works_for_a_saved_plan() {
    let ran = Test::new()
        .file("w.yaml", "version: 1\npolicy:\n  api_keys: additive\n  tags: additive\n  members: additive\nmembers:\n  - email: bob@acme.com\n    role: editor\n")
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "p.json", "-q"])
        .run()
        .status(0);
    let ran = ran
        .again(&["apply", "p.json", "--confirm"])
        .status(1)
        .stderr("note: checking p.json against w.yaml, the desired file it records (-f FILE names another)\nerror: apply is not running in a terminal, so it cannot ask for confirmation: drop --confirm (a saved plan was reviewed when it was made); nothing was changed\n")
        .unchanged();
    assert!(
        ran.output
            .stdout
            .starts_with("Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)\n\nPlan: 0 to create, 1 to update"),
        "the reviewed plan is shown: {}",
        ran.output.stdout
    );
}

#[test]
fn keys_sharing_the_tools_mask_are_protected_and_named_in_the_plan() {
    let mut state = demo_state();
    let mut twin = state.api_keys[2].clone();
    twin.id = "01946416-3000-7000-8000-000000000009".into();
    twin.name = "CI copy".into();
    twin.key = "sbx_copy_of_something_else_cdef".into();
    state.api_keys.push(twin);
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\napi_keys:\n  - {name: CI copy, scopes: ['campaigns:read']}\npolicy: {members: additive, tags: additive}\n",
        )
        .sandbox(state.clone())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0)
        .stderr("");
    let ran = ran.unchanged();
    insta::assert_snapshot!(ran.output.stdout);
}

#[test]
fn plan_out_never_overwrites_the_file_the_state_or_a_symlink_target() {
    let yaml = "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\n";
    let refused = |out: &str, why: &str| {
        let t = Test::new()
            .file("w.yaml", yaml)
            .file("victim.txt", "precious");
        std::os::unix::fs::symlink("victim.txt", t.dir.path().join("link.json")).unwrap();
        let ran = t
            .sandbox(demo_state())
            .args(&["plan", "-f", "w.yaml", "--out", out])
            .run()
            .status(1)
            .stderr(&format!("error: {why}\n"))
            .unchanged();
        assert_eq!(std::fs::read_to_string(ran.path("w.yaml")).unwrap(), yaml);
        assert_eq!(
            std::fs::read_to_string(ran.path("victim.txt")).unwrap(),
            "precious"
        );
    };
    refused(
        "w.yaml",
        "--out w.yaml is the desired-state file given with -f: choose another file for the plan",
    );
    refused(
        "state.json",
        "--out state.json is the sandbox state file: choose another file for the plan",
    );
    refused(
        "link.json",
        "--out link.json is a symbolic link, which is not followed: choose another file for the plan",
    );
    // A hard link to the desired file: the plan replaces the link's name,
    // the desired file keeps its content.
    let t = Test::new().file("w.yaml", yaml);
    std::fs::hard_link(t.dir.path().join("w.yaml"), t.dir.path().join("hard.yaml")).unwrap();
    let ran = t
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out", "hard.yaml", "-q"])
        .run()
        .status(0)
        .stderr("");
    assert_eq!(std::fs::read_to_string(ran.path("w.yaml")).unwrap(), yaml);
    assert!(
        std::fs::read_to_string(ran.path("hard.yaml"))
            .unwrap()
            .starts_with('{')
    );
}

#[test]
fn a_plan_path_that_looks_like_a_flag_is_written_so_the_hint_still_works() {
    Test::new()
        .file("w.yaml", "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\n")
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml", "--out=-p.json"])
        .run()
        .status(0)
        .stderr("Saved the plan to -p.json; apply exactly it with `instantly-rbac --sandbox=state.json apply ./-p.json -f w.yaml`.\n");
}

#[test]
fn two_files_for_one_workspace_are_an_error_not_two_plans() {
    let yaml = std::fs::read_to_string(example()).unwrap();
    let ran = Test::new()
        .file("ws/a.yaml", &yaml)
        .file("ws/b.yaml", &yaml)
        .sandbox(demo_state())
        .args(&["plan", "-f", "ws", "--format", "json"])
        .run()
        .status(1)
        .stderr("");
    let doc = ran.json();
    assert_eq!(
        doc["workspaces"][1]["error"],
        "ws/b.yaml is for workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a, which ws/a.yaml plans too: one file per workspace, so that each has one plan (and one PR comment)"
    );
    // Both refused: the first in sort order does not win.
    assert_eq!(doc["summary"]["errors"], 2);
}

#[test]
fn apply_without_a_plan_or_a_file_says_both_ways() {
    Test::new()
        .args(&["apply", "--sandbox"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: apply needs something to apply: give a saved PLAN (written by `plan --out`) or -f FILE (a desired-state file)\n");
}

#[test]
fn a_typo_in_a_team_roles_base_role_is_one_error_with_a_suggestion() {
    Test::new()
        .file(
            "t.yaml",
            "version: 1\nroles:\n  sdr:\n    role: editr\n    permissions: [campaigns.view]\nmembers:\n  - email: bob@acme.com\n    role: sdr\n",
        )
        .args(&["validate", "-f", "t.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: invalid base role `editr` for team role `sdr`
 --> t.yaml:4:11
  |
4 |     role: editr
  |           ^^^^^
  |
help: did you mean `editor`? expected one of admin, editor, view

error: 1 error in t.yaml
",
        );
}
