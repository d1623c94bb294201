//! The commands the docs show, run as written (the getting-started guide
//! has its own test in ecosystem.rs): README's quick start, docs/ci.md's
//! pipeline commands against a sandbox on loopback, docs/sandbox.md's
//! rehearsal. Every `sh` block runs in order, in a fresh directory, with
//! the built binary on PATH.

use crate::support::{OPERATOR_KEY, Server, example};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `sh` blocks of `doc`, as one script.
fn blocks(doc: &str) -> String {
    let text = std::fs::read_to_string(root().join(doc)).unwrap();
    let mut script = String::from("set -euo pipefail\n");
    let mut inside = false;
    for line in text.lines() {
        match (inside, line.trim_start()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, l) => {
                script.push_str(l);
                script.push('\n');
            }
            _ => {}
        }
    }
    script.push_str("echo DOC-DONE\n");
    script
}

/// Runs `script` in `dir` with the binary on PATH and `env`; its stdout.
fn run(script: &str, dir: &Path, env: &[(&str, &str)]) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_instantly-rbac"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("INSTANTLY_API_KEY")
        .env_remove("INSTANTLY_API_URL")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.ends_with("DOC-DONE\n"),
        "the commands failed:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    stdout
}

fn copy_example(dir: &Path, to: &str) {
    let path = dir.join(to);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(example(), path).unwrap();
}

/// The quick start, with the built binary for `cargo run` (building a
/// release inside the tests would take minutes) and without `cargo test`.
#[test]
fn the_readme_commands_run_as_written() {
    let script = blocks("README.md")
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
        &blocks("docs/ci.md"),
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
    let out = run(&blocks("docs/sandbox.md"), d.path(), &[]);
    assert!(out.contains("Apply complete: 13 actions applied."), "{out}");
    assert!(d.path().join("rehearsal-keys.json").exists());
}
