//! The commands the docs show, run as written (the getting-started guide
//! has its own test in ecosystem.rs): README's quick start, docs/ci.md's
//! pipeline commands against a sandbox on loopback, docs/sandbox.md's
//! rehearsal. Every `sh` block runs in order, in a fresh directory, with
//! the built binary on PATH.

use crate::support::{OPERATOR_KEY, Server, doc, example, run_doc as run};
use std::path::Path;

fn copy_example(dir: &Path, to: &str) {
    let path = dir.join(to);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(example(), path).unwrap();
}

/// The quick start, with the built binary for `cargo run` (building a
/// release inside the tests would take minutes) and without `cargo test`.
#[test]
fn the_readme_commands_run_as_written() {
    let script = doc("README.md")
        .script
        .replace("cargo run -q --release --", "instantly-rbac")
        .replace("cargo run --release --", "instantly-rbac")
        .lines()
        .filter(|l| !l.starts_with("cargo test"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!script.contains("cargo"), "{script}");
    let d = tempfile::tempdir().unwrap();
    copy_example(d.path(), "examples/workspace.yaml");
    let out = run(&script, d.path(), &[]);
    assert!(out.contains("No changes."), "{out}");
    assert!(d.path().join("exported.yaml").exists());
    assert!(d.path().join("new-keys.json").exists());
}

/// docs/ci.md's commands against a workspace (a sandbox on loopback, with
/// the key in the environment, as in CI): the PR plan, the merge's apply,
/// then the drift check and the agency plan find the workspace in sync.
#[test]
fn the_ci_commands_run_as_written() {
    let server = Server::demo();
    let d = tempfile::tempdir().unwrap();
    copy_example(d.path(), "access/workspace.yaml");
    copy_example(d.path(), "workspaces/acme.yaml");
    let out = run(
        &doc("docs/ci.md").script,
        d.path(),
        &[
            ("INSTANTLY_API_URL", server.url()),
            ("INSTANTLY_API_KEY", OPERATOR_KEY),
        ],
    );
    assert!(out.contains("Apply complete: 13 actions applied."), "{out}");
    assert!(
        out.contains("**1 in sync, 0 with changes, 0 failed.**"),
        "{out}"
    );
    let drift: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("drift.json")).unwrap())
            .unwrap();
    assert_eq!(drift["actions"], serde_json::json!([]));
}

/// The rehearsal of docs/sandbox.md: snapshot, plan and apply on the copy.
#[test]
fn the_sandbox_rehearsal_runs_as_written() {
    let d = tempfile::tempdir().unwrap();
    copy_example(d.path(), "workspace.yaml");
    let out = run(&doc("docs/sandbox.md").script, d.path(), &[]);
    assert!(out.contains("Apply complete: 13 actions applied."), "{out}");
    assert!(d.path().join("rehearsal-keys.json").exists());
}
