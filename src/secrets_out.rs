//! `--secrets-out`: a JSON file created with mode 0600, rewritten and synced
//! to disk after each new key, before the next action starts.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub struct SecretsOut {
    path: PathBuf,
    file: File,
    /// Entries already in the file (`--secrets-append`), kept as they were.
    earlier: Vec<serde_json::Value>,
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    id: String,
    key: SecretString,
}

#[derive(Serialize)]
struct Shown<'a> {
    name: &'a str,
    id: &'a str,
    key: &'a str,
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
    options().create_new(true).open(path).map_err(|e| {
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
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let file = create_private(path)?;
        Self::start(path, file, Vec::new())
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
        let earlier = if text.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&text).map_err(|e| {
                std::io::Error::other(format!(
                    "{} is not a secrets file (a JSON list): {e}",
                    path.display()
                ))
            })?
        };
        Self::start(path, file, earlier)
    }

    fn start(path: &Path, file: File, earlier: Vec<serde_json::Value>) -> std::io::Result<Self> {
        let mut out = SecretsOut {
            path: path.to_owned(),
            file,
            earlier,
            entries: Vec::new(),
        };
        out.flush()?;
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records one new key and makes it durable before returning.
    pub fn add(&mut self, name: &str, id: &str, key: SecretString) -> std::io::Result<()> {
        self.entries.push(Entry {
            name: name.to_owned(),
            id: id.to_owned(),
            key,
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
            };
            all.push(serde_json::to_value(shown).map_err(std::io::Error::other)?);
        }
        let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.file.sync_all()
    }
}
