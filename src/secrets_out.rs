//! `--secrets-out`: a JSON file created with mode 0600, replaced whole and
//! durably after each new key, before the next action starts.
//!
//! The file says who wrote it: `{"written_by": "instantly-rbac",
//! "format_version": 1, "keys": [{name, id, key, workspace_id,
//! workspace_name}, …]}`; the workspace fields were added later (a run may
//! cover several workspaces, whose keys may share a name), so readers must
//! not require them. A re-run with the
//! same path after an interrupted or failed apply adds to a file this tool
//! wrote; any other existing file is refused, never overwritten.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub struct SecretsOut {
    path: PathBuf,
    /// Entries already in the file (`--secrets-append`), kept as they were.
    earlier: Vec<serde_json::Value>,
    entries: Vec<Entry>,
    /// The file was written by an earlier run and is added to.
    reused: bool,
    /// `--secrets-append` to a plain JSON list kept by something else:
    /// it stays a plain list, so whatever reads it still can.
    plain_list: bool,
}

struct Entry {
    name: String,
    id: String,
    key: SecretString,
    workspace: Option<KeyWorkspace>,
}

/// The workspace a new key belongs to, recorded with its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyWorkspace {
    pub id: String,
    pub name: String,
}

const WRITTEN_BY: &str = "instantly-rbac";
const FORMAT_VERSION: u32 = 1;

/// The file as written.
#[derive(Serialize)]
struct Document<'a> {
    written_by: &'a str,
    format_version: u32,
    keys: &'a [serde_json::Value],
}

/// The file as read back: only one this tool wrote, in a version it knows.
#[derive(Deserialize)]
struct Written {
    written_by: String,
    format_version: u32,
    keys: Vec<serde_json::Value>,
}

impl Written {
    fn parse(text: &str) -> Option<Vec<serde_json::Value>> {
        let w: Written = serde_json::from_str(text).ok()?;
        (w.written_by == WRITTEN_BY && w.format_version == FORMAT_VERSION).then_some(w.keys)
    }
}

#[derive(Serialize)]
struct Shown<'a> {
    name: &'a str,
    id: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_name: Option<&'a str>,
}

fn options() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts
}

/// A new file only its owner can read; never an existing file, never
/// through a symlink.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    crate::durable_file::create_new_private(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            std::io::Error::new(
                e.kind(),
                format!("{} already exists; choose a new file (or --secrets-append) so no secret is overwritten", path.display()),
            )
        } else {
            e
        }
    })
}

impl SecretsOut {
    /// A new file; or, when `path` is a regular file an earlier run of this
    /// tool wrote (an apply that was interrupted or failed), that file,
    /// added to (see `reused`). Any other existing file is refused.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        match create_private(path) {
            // A file claimed here and not written is removed: a refused
            // start must not leave a file that refuses the re-run.
            Ok(_) => Self::start(path, Vec::new()).inspect_err(|_| {
                let _ = std::fs::remove_file(path);
            }),
            Err(refused) if refused.kind() == std::io::ErrorKind::AlreadyExists => {
                let Some((file, earlier)) = open_own(path) else {
                    return Err(refused);
                };
                drop(file);
                let mut out = Self::start(path, earlier)?;
                out.reused = true;
                Ok(out)
            }
            Err(e) => Err(e),
        }
    }

    /// Adds to an existing secrets file (made private if it was not), or creates it.
    pub fn append(path: &Path) -> std::io::Result<Self> {
        let mut file = match options().read(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::create(path),
            Err(e) => return Err(e),
        };
        if !file.metadata()?.is_file() {
            return Err(std::io::Error::other(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let (earlier, plain_list) = if text.trim().is_empty() {
            (Vec::new(), false)
        } else if let Some(keys) = Written::parse(&text) {
            (keys, false)
        } else {
            // A list of secrets kept elsewhere (or by an earlier version).
            let list = serde_json::from_str(&text).map_err(|e| {
                std::io::Error::other(format!(
                    "{} is not a secrets file (a JSON list, or a file this tool wrote): {e}",
                    path.display()
                ))
            })?;
            (list, true)
        };
        drop(file);
        let mut out = SecretsOut {
            path: path.to_owned(),
            earlier,
            entries: Vec::new(),
            reused: false,
            plain_list,
        };
        out.flush()?;
        Ok(out)
    }

    fn start(path: &Path, earlier: Vec<serde_json::Value>) -> std::io::Result<Self> {
        let mut out = SecretsOut {
            path: path.to_owned(),
            earlier,
            entries: Vec::new(),
            reused: false,
            plain_list: false,
        };
        out.flush()?;
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `create` found a file an earlier run wrote and adds to it.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Whether `path` is a regular file this tool wrote (not followed
    /// through a symlink): one a run may add to.
    pub fn is_own(path: &Path) -> bool {
        let Ok(mut file) = options().read(true).open(path) else {
            return false;
        };
        let mut text = String::new();
        file.metadata().is_ok_and(|m| m.is_file())
            && file.read_to_string(&mut text).is_ok()
            && Written::parse(&text).is_some()
    }

    /// Records one new key, with the workspace it belongs to when known,
    /// and makes it durable before returning.
    pub fn add(
        &mut self,
        name: &str,
        id: &str,
        key: SecretString,
        workspace: Option<&KeyWorkspace>,
    ) -> std::io::Result<()> {
        self.entries.push(Entry {
            name: name.to_owned(),
            id: id.to_owned(),
            key,
            workspace: workspace.cloned(),
        });
        self.flush()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut all = self.earlier.clone();
        for e in &self.entries {
            let shown = Shown {
                name: &e.name,
                id: &e.id,
                key: e.key.expose_secret(),
                workspace_id: e.workspace.as_ref().map(|w| w.id.as_str()),
                workspace_name: e.workspace.as_ref().map(|w| w.name.as_str()),
            };
            all.push(serde_json::to_value(shown).map_err(std::io::Error::other)?);
        }
        let doc = Document {
            written_by: WRITTEN_BY,
            format_version: FORMAT_VERSION,
            keys: &all,
        };
        let text = if self.plain_list {
            serde_json::to_string_pretty(&all)
        } else {
            serde_json::to_string_pretty(&doc)
        }
        .map_err(std::io::Error::other)?;
        crate::durable_file::replace(&self.path, &format!("{text}\n"))
    }
}

/// The file at `path` and the keys it holds, when it is a regular file (not
/// followed through a symlink) that this tool wrote; made private again.
fn open_own(path: &Path) -> Option<(File, Vec<serde_json::Value>)> {
    let mut file = options().read(true).open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    let keys = Written::parse(&text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .ok()?;
    }
    Some((file, keys))
}
