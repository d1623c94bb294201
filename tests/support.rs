//! Shared test tools: an in-process sandbox on loopback and a runner for
//! the real binary.

use instantly_rbac::sandbox::state::SandboxState;
use instantly_rbac::sandbox::{Sandbox, demo};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a plan of the demo with every collection additive leaves alone.
pub const DEMO_LEFT_ALONE: &str = "Left alone (11):
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

pub const OPERATOR_KEY: &str = "sbx_demo_operator_0123456789abcdef";

/// A sandbox served by its own runtime, so a test thread can block on the binary.
pub struct Server {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: Sandbox,
}

impl Server {
    pub fn start(state: SandboxState) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start(state, None, 0)).unwrap();
        Server { rt, sandbox }
    }

    pub fn demo() -> Server {
        Server::start(demo::demo_state())
    }

    pub fn url(&self) -> &str {
        &self.sandbox.url
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real binary with `args` in `dir`, stdin closed, no colour.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_instantly-rbac"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("INSTANTLY_API_KEY")
        .env_remove("INSTANTLY_API_URL")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs against a sandbox server with the demo operator key.
pub fn run_at(server: &Server, dir: &Path, args: &[&str]) -> Output {
    run(
        dir,
        args,
        &[
            ("INSTANTLY_API_URL", server.url()),
            ("INSTANTLY_API_KEY", OPERATOR_KEY),
        ],
    )
}

pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace.yaml")
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `apply --allow-reinvite -f EXAMPLE --auto-approve --secrets-out SECRETS
/// [extra…]` against `server`: the example's reviewed apply.
pub fn apply_example(server: &Server, dir: &Path, secrets: &str, extra: &[&str]) -> Output {
    let example = example().display().to_string();
    let mut args = vec![
        "apply",
        "--allow-reinvite",
        "-f",
        &example,
        "--auto-approve",
        "--secrets-out",
        secrets,
    ];
    args.extend_from_slice(extra);
    run_at(server, dir, &args)
}

/// The real binary started against `server` without waiting for it.
pub fn spawn_at(server: &Server, dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_instantly-rbac"))
        .args(args)
        .current_dir(dir)
        .env("INSTANTLY_API_URL", server.url())
        .env("INSTANTLY_API_KEY", OPERATOR_KEY)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Asserts that planning the example against `server` shows no changes.
pub fn assert_converged(server: &Server, dir: &Path) {
    let example = example().display().to_string();
    let o = run_at(
        server,
        dir,
        &["plan", "-f", &example, "--detailed-exitcode"],
    );
    assert_eq!(o.code, 0, "not converged:\n{}{}", o.stdout, o.stderr);
}

/// Starts `instantly-rbac sandbox --state st.json [args…]` in `dir`;
/// returns the process and the base URL it printed.
pub fn start_sandbox_command(dir: &Path, args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_instantly-rbac"))
        .args(["sandbox", "--state", "st.json"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sandbox starts");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut url)
        .expect("the sandbox prints its URL");
    (child, url.trim().to_owned())
}

/// An end-to-end run of the real binary, in the spirit of `just`'s tests:
/// files and a sandbox state go in, status, stdout, stderr and the state
/// come out, and the assertions cover all of them.
///
/// ```ignore
/// Test::new()
///     .file("w.yaml", "version: 1\n")
///     .args(&["plan", "-f", "w.yaml"])
///     .run()
///     .status(0)
///     .stdout("…")
///     .stderr("");
/// ```
pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    state: Option<SandboxState>,
}

/// What a `Test` run came to; the assertions chain.
pub struct Ran {
    pub dir: tempfile::TempDir,
    pub output: Output,
    /// The sandbox state after the run (`--sandbox=state.json`).
    pub state: Option<SandboxState>,
    /// The sandbox state the run started from.
    pub state_before: Option<SandboxState>,
}

impl Ran {
    /// Stdout as one JSON document (`--format json`); fails the test if not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}){}", self.context()))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the binary again in the same folder, against the sandbox state
    /// the last run left.
    pub fn again(self, args: &[&str]) -> Ran {
        let mut t = Test {
            dir: self.dir,
            args: Vec::new(),
            env: Vec::new(),
            state: self.state,
        };
        if t.state.is_some() {
            t.args.push("--sandbox=state.json".into());
        }
        t.args(args).run()
    }

    /// Asserts that the run wrote nothing to the sandbox.
    pub fn unchanged(self) -> Ran {
        assert!(self.state_before.is_some(), "no sandbox in this test");
        assert!(
            self.state == self.state_before,
            "the sandbox was written{}",
            self.context()
        );
        self
    }
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().unwrap(),
            args: Vec::new(),
            env: Vec::new(),
            state: None,
        }
    }

    pub fn args(mut self, args: &[&str]) -> Test {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn file(self, name: &str, text: &str) -> Test {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Runs against the built-in sandbox seeded with `state`, kept in
    /// `state.json` (`--sandbox=state.json` is added to the arguments).
    pub fn sandbox(mut self, state: SandboxState) -> Test {
        state.save(&self.dir.path().join("state.json")).unwrap();
        self.state = Some(state);
        self.args.insert(0, "--sandbox=state.json".into());
        self
    }

    pub fn run(self) -> Ran {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_instantly-rbac"));
        cmd.args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("INSTANTLY_API_KEY")
            .env_remove("INSTANTLY_API_URL")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("the binary runs");
        let state_before = self.state;
        let state = state_before
            .as_ref()
            .map(|_| SandboxState::load(&self.dir.path().join("state.json")).unwrap());
        Ran {
            output: Output {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            },
            dir: self.dir,
            state,
            state_before,
        }
    }
}

impl Ran {
    fn context(&self) -> String {
        format!(
            "\n--- status {}\n--- stdout\n{}\n--- stderr\n{}",
            self.output.code, self.output.stdout, self.output.stderr
        )
    }

    pub fn status(self, code: i32) -> Ran {
        assert_eq!(self.output.code, code, "{}", self.context());
        self
    }

    pub fn stdout(self, text: &str) -> Ran {
        assert_eq!(self.output.stdout, text, "{}", self.context());
        self
    }

    pub fn stderr(self, text: &str) -> Ran {
        assert_eq!(self.output.stderr, text, "{}", self.context());
        self
    }
}

/// A doc's fenced blocks: its `sh` blocks as one bash script (which ends by
/// printing `DOC-DONE`), and its `text` blocks, the output it shows.
pub struct Doc {
    pub script: String,
    pub shown: Vec<String>,
}

/// The blocks of `doc` (a path from the crate root), lines as written.
pub fn doc(doc: &str) -> Doc {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let mut script = String::from("set -euo pipefail\n");
    let mut shown: Vec<String> = Vec::new();
    let mut inside: Option<&str> = None;
    for line in text.lines() {
        match (inside, line.trim_start()) {
            (None, "```sh") => inside = Some("sh"),
            (None, "```text") => {
                inside = Some("text");
                shown.push(String::new());
            }
            (Some(_), "```") => inside = None,
            (Some("sh"), _) => {
                script.push_str(line);
                script.push('\n');
            }
            (Some(_), _) => {
                let block = shown.last_mut().unwrap();
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    script.push_str("echo DOC-DONE\n");
    Doc { script, shown }
}

/// Runs a doc's `script` in `dir` as a reader would: the built binary first
/// on PATH, no API key or URL from this environment, no colour, and `env`.
/// Its stdout, once it ran to the end.
pub fn run_doc(script: &str, dir: &Path, env: &[(&str, &str)]) -> String {
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
