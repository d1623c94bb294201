//! Where the secrets of new API keys go: the 0600 file of `--secrets-out`,
//! or the command of `--secrets-cmd` (a secrets manager, a CI secret). A
//! secret is delivered before its key's action completes, and never printed.
//! A command runs without holding the sink (`command_delivery`), so that a
//! slow one does not hold up the other keys' creates.

use crate::intents::Journal;
use crate::secrets_out::{KeyWorkspace, SecretsOut};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct NewKey {
    pub name: String,
    pub id: String,
    pub scopes: Vec<String>,
    pub key: SecretString,
}

/// Where secrets go, and (in the binary) the intents that make sure no key
/// lives without a delivered secret (`intents`).
pub struct SecretSink {
    to: Destination,
    intents: Option<Journal>,
    /// The workspace whose keys this sink receives, recorded with each.
    workspace: Option<KeyWorkspace>,
}

enum Destination {
    File(SecretsOut),
    Command(SecretsCmd),
}

impl SecretSink {
    pub fn file(f: SecretsOut) -> SecretSink {
        SecretSink {
            to: Destination::File(f),
            intents: None,
            workspace: None,
        }
    }

    pub fn command(c: SecretsCmd) -> SecretSink {
        SecretSink {
            to: Destination::Command(c),
            intents: None,
            workspace: None,
        }
    }

    /// Records `workspace` with each secret: a run over several workspaces
    /// delivers keys that may share a name.
    pub fn for_workspace(mut self, workspace: KeyWorkspace) -> SecretSink {
        self.workspace = Some(workspace);
        self
    }

    /// Records an intent in `journal` before each key create.
    pub fn with_intents(mut self, journal: Journal) -> SecretSink {
        self.intents = Some(journal);
        self
    }

    /// Records, durably, that key `name` is about to be created (with
    /// intents; else nothing).
    pub fn intend(
        &mut self,
        workspace: &str,
        name: &str,
        scopes: &[String],
        known_ids: Vec<String>,
    ) -> Result<(), String> {
        match &mut self.intents {
            Some(j) => j
                .record(workspace, name, scopes, known_ids)
                .map_err(|e| format!("the intent to create it could not be recorded: {e}")),
            None => Ok(()),
        }
    }

    /// The create of key `name` made nothing: its intent goes.
    pub fn withdraw(&mut self, name: &str) {
        if let Some(j) = &mut self.intents
            && let Err(e) = j.delivered(name)
        {
            tracing::warn!(error = %e, "cannot remove the intent of a key never made");
        }
    }

    /// For `--secrets-cmd`: what delivering a secret needs, owned, to run
    /// while the sink serves other keys; `None` for a file (written under
    /// the sink, one at a time). Then `delivered` settles the key's intent.
    pub fn command_delivery(&self) -> Option<CommandDelivery> {
        match &self.to {
            Destination::Command(c) => Some(CommandDelivery {
                cmd: c.clone(),
                workspace: self.workspace.clone(),
            }),
            Destination::File(_) => None,
        }
    }

    /// Key `name`'s secret is delivered (or kept in a recovery file): its
    /// intent goes.
    pub fn delivered(&mut self, name: &str) {
        if let Some(j) = &mut self.intents {
            // A failure here leaves an intent behind, and the next plan
            // replaces a key whose secret is held (safe, if wasteful); said,
            // not fatal.
            if let Err(e) = j.delivered(name) {
                tracing::warn!(error = %e, "cannot remove a delivered key's intent");
            }
        }
    }

    /// Delivers one secret; on failure the message says where it is kept.
    /// `stop` (Ctrl-C, SIGTERM) stops a `--secrets-cmd` still running,
    /// whose secret is then kept in the recovery file. Once the secret is
    /// delivered (or kept), the key's intent goes.
    pub async fn deliver(&mut self, key: NewKey, stop: Option<&AtomicBool>) -> Result<(), String> {
        let name = key.name.clone();
        let (kept, outcome) = match &mut self.to {
            Destination::File(f) => {
                let path = f.path().display().to_string();
                let r = f
                    .add(&key.name, &key.id, key.key, self.workspace.as_ref())
                    .map_err(|e| format!("its secret could not be written to {path}: {e}"));
                (r.is_ok(), r)
            }
            Destination::Command(c) => c.deliver(&key, self.workspace.as_ref(), stop).await,
        };
        if kept {
            self.delivered(&name);
        }
        outcome
    }

    /// After a plan was applied in full: the earlier runs' intents for the
    /// keys it acted on are settled.
    pub fn settle(&mut self, workspace: &str, names: &[&str]) -> Result<(), String> {
        match &mut self.intents {
            Some(j) => j
                .settle(workspace, names)
                .map_err(|e| format!("earlier intents could not be cleaned up: {e}")),
            None => Ok(()),
        }
    }

    pub fn describe(&self) -> String {
        match &self.to {
            Destination::File(f) => format!("written to {}", f.path().display()),
            Destination::Command(_) => "handed to --secrets-cmd".into(),
        }
    }
}

/// Runs a shell command once per new key with `{name, id, key, scopes}`
/// (and `workspace_id`, `workspace_name` when known) as JSON on its
/// standard input. It runs without the tool's `INSTANTLY_*`
/// variables (the API key among them); its standard output is discarded
/// (`cat` must not print a secret into a CI log), its standard error shown.
#[derive(Clone)]
pub struct SecretsCmd {
    pub command: String,
    /// Where a secret the command did not take is kept (mode 0600).
    pub recovery_dir: PathBuf,
    /// How long the command may run before it is killed (`--secrets-cmd-timeout`).
    pub timeout: Duration,
}

/// A `--secrets-cmd` delivery, apart from the sink (`command_delivery`).
pub struct CommandDelivery {
    cmd: SecretsCmd,
    workspace: Option<KeyWorkspace>,
}

impl CommandDelivery {
    /// Whether the secret is kept (delivered, or in a recovery file), and
    /// the outcome; the caller then tells the sink (`delivered`).
    pub async fn deliver(
        &self,
        key: &NewKey,
        stop: Option<&AtomicBool>,
    ) -> (bool, Result<(), String>) {
        self.cmd.deliver(key, self.workspace.as_ref(), stop).await
    }
}

impl SecretsCmd {
    /// Whether the secret is kept (delivered, or in a recovery file), and
    /// the outcome.
    async fn deliver(
        &self,
        key: &NewKey,
        workspace: Option<&KeyWorkspace>,
        stop: Option<&AtomicBool>,
    ) -> (bool, Result<(), String>) {
        let mut doc = serde_json::json!({
            "name": key.name,
            "id": key.id,
            "key": key.key.expose_secret(),
            "scopes": key.scopes,
        });
        if let Some(w) = workspace {
            doc["workspace_id"] = w.id.clone().into();
            doc["workspace_name"] = w.name.clone().into();
        }
        let doc = doc.to_string();
        let outcome = run(&self.command, &doc, self.timeout, stop).await;
        match outcome {
            Ok(()) => (true, Ok(())),
            Err(why) => {
                let path = self
                    .recovery_dir
                    .join(format!("instantly-rbac-recovered-{}.json", key.id));
                match write_recovery(&path, &doc) {
                    Ok(()) => (
                        true,
                        Err(format!(
                            "--secrets-cmd failed ({why}); the secret of key {} ({}) is kept in {} (mode 0600): store it, then delete that file",
                            key.name,
                            key.id,
                            path.display()
                        )),
                    ),
                    Err(e) => (
                        false,
                        Err(format!(
                            "--secrets-cmd failed ({why}) and the recovery file {} could not be written ({e}): revoke key {} ({}) and re-run",
                            path.display(),
                            key.name,
                            key.id
                        )),
                    ),
                }
            }
        }
    }
}

/// Runs the command to its end, its timeout or an interrupt. Async: while
/// it runs (it may take seconds), the apply's other actions go on.
async fn run(
    command: &str,
    input: &str,
    timeout: Duration,
    stop: Option<&AtomicBool>,
) -> Result<(), String> {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", command])
        .stdin(Stdio::piped())
        // Discarded: stdout carries only the report, and a command that
        // echoes its input must not print the secret into a CI log.
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    // The command gets the secret it is handed, not the tool's own key.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("INSTANTLY_") {
            cmd.env_remove(name);
        }
    }
    // Its own process group, so that a timeout or an interrupt stops
    // whatever it started too (an orphan would keep our stderr open).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start it: {e}"))?;
    // Written from a thread: a command that does not read must not block
    // the wait (and its timeout) below.
    let stdin = child.stdin.take();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || match stdin {
        Some(mut s) => s.write_all(input.as_bytes()),
        None => Ok(()),
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                stop_group(&mut child, writer);
                return Err(format!(
                    "it did not finish within {} s (--secrets-cmd-timeout) and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) if stop.is_some_and(|s| s.load(Ordering::SeqCst)) => {
                stop_group(&mut child, writer);
                return Err("the apply was interrupted while it ran, and it was stopped".into());
            }
            Ok(None) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => {
                stop_group(&mut child, writer);
                return Err(e.to_string());
            }
        }
    };
    let write = writer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the writer panicked")));
    // The exit status says more than a broken pipe from a command that quit early.
    if !status.success() {
        return Err(format!("it exited with {status}"));
    }
    write.map_err(|e| format!("it did not read the secret: {e}"))
}

/// Kills the command and everything in its process group, and reaps it.
fn stop_group(child: &mut Child, writer: std::thread::JoinHandle<std::io::Result<()>>) {
    #[cfg(unix)]
    // SAFETY: a signal to the process group this tool created for the command.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
}

fn write_recovery(path: &Path, doc: &str) -> std::io::Result<()> {
    let mut file = crate::secrets_out::create_private(path)?;
    file.write_all(doc.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
