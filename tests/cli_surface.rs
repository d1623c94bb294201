//! What a user meets before any plan: help, usage errors, error wording,
//! JSON logs, progress lines outside a terminal.

use crate::support::{Test, example};
use clap::CommandFactory as _;
use instantly_rbac::cli::Cli;
use instantly_rbac::sandbox::demo::demo_state;

/// Every option of every command says what it does, and every visible
/// command shows examples.
#[test]
fn every_option_is_described_and_every_command_has_examples() {
    let mut cli = Cli::command();
    cli.build();
    let mut missing = Vec::new();
    for cmd in std::iter::once(&cli).chain(cli.get_subcommands()) {
        if cmd.is_hide_set() || cmd.get_name() == "help" {
            continue;
        }
        for arg in cmd.get_arguments() {
            if arg.get_help().is_none() && !["help", "version"].contains(&arg.get_id().as_str()) {
                missing.push(format!("{} --{}", cmd.get_name(), arg.get_id()));
            }
        }
        let after = cmd
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        if !after.starts_with("Examples:\n  instantly-rbac ") {
            missing.push(format!("{}: no examples", cmd.get_name()));
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
}

/// A command's own options come first; the global ones under their own
/// heading.
#[test]
fn global_options_have_their_own_heading() {
    let ran = Test::new().args(&["schema", "-h"]).run().status(0);
    let help = &ran.output.stdout;
    let (own, global) = help.split_once("Global options:\n").expect(help);
    assert!(
        own.ends_with("Options:\n  -h, --help  Print help (see more with '--help')\n\n"),
        "{own}"
    );
    assert!(global.contains("--rate-limit <N>"), "{global}");
    assert!(
        global.contains("Examples:\n  instantly-rbac schema > schema.json\n"),
        "{global}"
    );
}

#[test]
fn apply_without_arguments_says_what_to_give_before_needing_a_key() {
    Test::new()
        .args(&["apply"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: apply needs something to apply: give a saved PLAN (written by `plan --out`) or -f FILE (a desired-state file)\n");
}

#[test]
fn a_positional_file_hints_at_dash_f() {
    Test::new()
        .args(&["plan", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: unexpected argument 'w.yaml' found\n\n  tip: desired-state files are given with -f: `-f w.yaml`\n\nUsage: instantly-rbac plan [OPTIONS] --file <FILES>\n\nFor more information, try '--help'.\n");
}

#[test]
fn an_error_says_its_cause_once() {
    Test::new()
        .file("w.yaml", "version: 1\n")
        .args(&["plan", "--sandbox=missing/state.json", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: cannot write sandbox state missing/state.json: No such file or directory (os error 2)\n");
}

fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_logs_make_errors_and_notes_json_too() {
    let ran = Test::new()
        .args(&[
            "plan",
            "--log-format",
            "json",
            "--sandbox",
            "-f",
            "missing.yaml",
        ])
        .run()
        .status(1)
        .stdout("");
    let lines = json_lines(&ran.output.stderr);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["target"], "instantly_rbac");
    assert_eq!(
        lines[0]["fields"]["message"],
        "cannot read missing.yaml: No such file or directory (os error 2)"
    );
    assert!(lines[0]["timestamp"].as_str().unwrap().ends_with('Z'));

    // A note (the saved plan's apply command) is a JSON object as well.
    let ex = example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["--log-format", "json", "plan", "-f", &ex, "--out", "p.json"])
        .run()
        .status(0);
    let lines = json_lines(&ran.output.stderr);
    let notes: Vec<&str> = lines
        .iter()
        .filter(|l| l["level"] == "INFO")
        .map(|l| l["fields"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1, "{lines:?}");
    assert!(notes[0].starts_with("Saved the plan to p.json; apply exactly it with `instantly-rbac --sandbox=state.json apply p.json"), "{}", notes[0]);
}

/// A command line that does not parse is reported as a JSON line too when
/// it asks for JSON logs.
#[test]
fn json_logs_make_usage_errors_json_too() {
    let ran = Test::new()
        .args(&["--log-format", "json", "plan", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    let lines = json_lines(&ran.output.stderr);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(
        lines[0]["fields"]["message"],
        "unexpected argument 'w.yaml' found\n\n  tip: desired-state files are given with -f: `-f w.yaml`\n\nUsage: instantly-rbac plan [OPTIONS] --file <FILES>\n\nFor more information, try '--help'."
    );
    // Help is not an error: it stays text, on stdout.
    let ran = Test::new()
        .args(&["--log-format=json", "plan", "--help"])
        .run()
        .status(0);
    assert!(
        ran.output
            .stdout
            .starts_with("Show what apply would change")
    );
}

/// Outside a terminal an apply prints a line now and then (every 10 s; the
/// test shortens it); a run shorter than the interval prints none.
#[test]
fn outside_a_terminal_a_long_apply_prints_progress_lines() {
    let ex = example().display().to_string();
    let args = [
        "apply",
        "-f",
        &ex,
        "--auto-approve",
        "--allow-reinvite",
        "--secrets-out",
        "s.json",
    ];
    let ran = Test::new()
        .sandbox(demo_state())
        .env(instantly_rbac::progress::LINE_EVERY_ENV, "1")
        .args(&args)
        .run()
        .status(0);
    let lines: Vec<&str> = ran
        .output
        .stderr
        .lines()
        .filter(|l| l.starts_with("applying: "))
        .collect();
    assert!(!lines.is_empty(), "{}", ran.output.stderr);
    for l in &lines {
        let (done, secs) = l
            .strip_prefix("applying: ")
            .and_then(|r| r.split_once("/13 actions after "))
            .expect(l);
        assert!(done.parse::<u32>().is_ok_and(|n| n <= 13), "{l}");
        assert!(secs.ends_with(" s…"), "{l}");
    }
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&args)
        .run()
        .status(0);
    assert!(
        !ran.output.stderr.contains("applying:"),
        "{}",
        ran.output.stderr
    );
}
