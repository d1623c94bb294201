//! Where the secrets of new API keys go: the 0600 file of `--secrets-out`,
//! or the command of `--secrets-cmd` (a secrets manager, a CI secret). A
//! secret is delivered before the next action starts, and never printed.

use crate::secrets_out::SecretsOut;
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct NewKey {
    pub name: String,
    pub id: String,
    pub scopes: Vec<String>,
    pub key: SecretString,
}

pub enum SecretSink {
    File(SecretsOut),
    Command(SecretsCmd),
}

impl SecretSink {
    /// Delivers one secret; on failure the message says where it is kept.
    pub fn deliver(&mut self, key: NewKey) -> Result<(), String> {
        match self {
            SecretSink::File(f) => {
                let path = f.path().display().to_string();
                f.add(&key.name, &key.id, key.key)
                    .map_err(|e| format!("its secret could not be written to {path}: {e}"))
            }
            SecretSink::Command(c) => c.deliver(&key),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SecretSink::File(f) => format!("written to {}", f.path().display()),
            SecretSink::Command(_) => "handed to --secrets-cmd".into(),
        }
    }
}

/// Runs a shell command once per new key with `{name, id, key, scopes}` as
/// JSON on its standard input.
pub struct SecretsCmd {
    pub command: String,
    /// Where a secret the command did not take is kept (mode 0600).
    pub recovery_dir: PathBuf,
}

impl SecretsCmd {
    fn deliver(&self, key: &NewKey) -> Result<(), String> {
        let doc = serde_json::json!({
            "name": key.name,
            "id": key.id,
            "key": key.key.expose_secret(),
            "scopes": key.scopes,
        })
        .to_string();
        let outcome = run(&self.command, &doc);
        match outcome {
            Ok(()) => Ok(()),
            Err(why) => {
                let path = self
                    .recovery_dir
                    .join(format!("instantly-rbac-recovered-{}.json", key.id));
                match write_recovery(&path, &doc) {
                    Ok(()) => Err(format!(
                        "--secrets-cmd failed ({why}); the secret of key {} ({}) is kept in {} (mode 0600): store it, then delete that file",
                        key.name,
                        key.id,
                        path.display()
                    )),
                    Err(e) => Err(format!(
                        "--secrets-cmd failed ({why}) and the recovery file {} could not be written ({e}): revoke key {} ({}) and re-run",
                        path.display(),
                        key.name,
                        key.id
                    )),
                }
            }
        }
    }
}

fn run(command: &str, input: &str) -> Result<(), String> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        // The command's own output goes to stderr: stdout carries only the report.
        .stdout(Stdio::from(std::io::stderr()))
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let write = child
        .stdin
        .take()
        .map(|mut s| s.write_all(input.as_bytes()))
        .unwrap_or(Ok(()));
    let status = child.wait().map_err(|e| e.to_string())?;
    // The exit status says more than a broken pipe from a command that quit early.
    if !status.success() {
        return Err(format!("it exited with {status}"));
    }
    write.map_err(|e| format!("it did not read the secret: {e}"))
}

fn write_recovery(path: &Path, doc: &str) -> std::io::Result<()> {
    let mut file = crate::secrets_out::create_private(path)?;
    file.write_all(doc.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
