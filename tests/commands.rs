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
    assert_eq!(ran.state, Some(demo_state()), "a plan writes nothing");
    let doc: serde_json::Value = serde_json::from_str(&ran.output.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", ran.output.stdout));
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
    let doc: serde_json::Value = serde_json::from_str(&ran.output.stdout).unwrap();
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
            "Saved the plan to my plan.json; apply exactly it with `instantly-rbac --sandbox=state.json apply 'my plan.json' -f w.yaml`.\n",
        );
    assert_eq!(ran.output.stdout, again.output.stdout);
    // The command as printed applies the plan to the same sandbox.
    let applied = std::process::Command::new(env!("CARGO_BIN_EXE_instantly-rbac"))
        .args([
            "--sandbox=state.json",
            "apply",
            "my plan.json",
            "-f",
            "w.yaml",
            "--allow-reinvite",
            "--secrets-out",
            "s.json",
        ])
        .current_dir(again.dir.path())
        .env_remove("INSTANTLY_API_KEY")
        .env_remove("INSTANTLY_API_URL")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
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
            std::path::Path::new("ws/a.yaml"),
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
