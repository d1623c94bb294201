//! `snapshot`: the live workspace as a sandbox state, without secrets, that
//! plans exactly like the workspace it was taken from, so an apply can be
//! rehearsed on it.

use crate::support::{Test, example, run};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;

#[test]
fn a_snapshot_plans_like_the_workspace_and_takes_a_rehearsal() {
    let ex = example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["snapshot", "-o", "copy.json"])
        .run()
        .status(0)
        .stdout("")
        .stderr("wrote copy.json (7 members, 3 API keys with placeholder secrets, 2 tags); rehearse with `instantly-rbac --sandbox=copy.json apply -f FILE`\n");
    let copy_path = ran.path("copy.json");
    let copy = std::fs::read_to_string(&copy_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for k in demo_state().api_keys {
        assert!(
            !copy.contains(&k.key),
            "the secret of {} is in the copy",
            k.name
        );
    }
    let state = SandboxState::load(&copy_path).unwrap();
    assert_eq!(state.members, demo_state().members);
    assert_eq!(state.tags, demo_state().tags);
    assert_eq!(state.campaigns, demo_state().campaigns);
    // Accounts are listed by email.
    let mut accounts = demo_state().accounts;
    accounts.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(state.accounts, accounts);
    assert_eq!(state.workspace, demo_state().workspace);
    let mut mappings = demo_state().mappings;
    mappings.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(state.mappings, mappings);

    // The same plan, action for action, against the workspace and the copy.
    let ran = ran
        .again(&["plan", "-f", &ex, "--format", "json"])
        .status(0);
    let live = ran.json();
    let dir = ran.dir.path();
    let copy_plan = run(
        dir,
        &["--sandbox=copy.json", "plan", "-f", &ex, "--format", "json"],
        &[],
    );
    assert_eq!(copy_plan.code, 0, "{}", copy_plan.stderr);
    let rehearsed: serde_json::Value = serde_json::from_str(&copy_plan.stdout).unwrap();
    assert_eq!(live, rehearsed);
    assert!(!live["actions"].as_array().unwrap().is_empty());

    // The rehearsal applies to the copy and leaves the workspace alone.
    let applied = run(
        dir,
        &[
            "--sandbox=copy.json",
            "apply",
            "-f",
            &ex,
            "--auto-approve",
            "--allow-reinvite",
            "--secrets-out",
            "rehearsal-keys.json",
        ],
        &[],
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 13 actions applied.\n")
    );
    let again = run(
        dir,
        &[
            "--sandbox=copy.json",
            "plan",
            "-f",
            &ex,
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(again.code, 0, "the copy converged: {}", again.stdout);
    ran.again(&["plan", "-f", &ex, "--detailed-exitcode"])
        .status(2)
        .unchanged();
}

#[test]
fn snapshot_and_export_never_replace_the_state_they_read_and_dash_is_stdout() {
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["snapshot", "-o", "state.json"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: -o state.json is the sandbox state file this run reads: choose another file for the snapshot\n")
        .unchanged();
    let ran = ran
        .again(&["export", "-o", "state.json"])
        .status(1)
        .stdout("")
        .stderr(
            "error: -o state.json is the sandbox state file: choose another file for the export\n",
        )
        .unchanged();
    // `-o -` is stdout, for both, as for `review`.
    let ran = ran.again(&["snapshot", "-o", "-"]).status(0).unchanged();
    let copy: SandboxState = serde_json::from_str(&ran.output.stdout).unwrap();
    assert_eq!(copy.members, demo_state().members);
    assert!(!ran.path("-").exists());
    let ran = ran.again(&["export", "-o", "-"]).status(0).unchanged();
    assert!(
        ran.output
            .stdout
            .starts_with("# Desired state of the Instantly workspace")
    );
    assert!(!ran.path("-").exists());
    // A path the shell would read twice is quoted in the hint.
    ran.again(&["snapshot", "-o", "snap $(id).json"])
        .status(0)
        .stderr("wrote snap $(id).json (7 members, 3 API keys with placeholder secrets, 2 tags); rehearse with `instantly-rbac '--sandbox=snap $(id).json' apply -f FILE`\n");
}

#[test]
fn export_and_snapshot_refuse_a_fifo_and_export_its_like_file_before_reading() {
    let ran = Test::new()
        .sandbox(demo_state())
        .file("w.yaml", "version: 1\n")
        .args(&["export", "--like", "w.yaml", "-o", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: -o w.yaml is the --like file: choose another file for the export\n")
        .unchanged();
    assert_eq!(
        std::fs::read_to_string(ran.path("w.yaml")).unwrap(),
        "version: 1\n"
    );
    let fifo = ran.path("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let ran = ran
        .again(&["export", "-o", "fifo"])
        .status(1)
        .stdout("")
        .stderr("error: cannot write fifo: fifo is a named pipe, not a regular file: it is left as it is\n")
        .unchanged();
    ran.again(&["snapshot", "-o", "fifo"])
        .status(1)
        .stdout("")
        .stderr("error: cannot write fifo: fifo is a named pipe, not a regular file: it is left as it is\n")
        .unchanged();
}
