//! Where the secrets of new API keys go: a JSON file created with mode 0600,
//! rewritten and flushed to disk after each new key, before the next action.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

pub struct SecretsOut {
    path: PathBuf,
    file: File,
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

impl SecretsOut {
    /// Creates the file; an existing file is never overwritten, and a symlink
    /// at the path is not followed.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let file = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "{} already exists; choose a new file so no secret is overwritten",
                        path.display()
                    ),
                )
            } else {
                e
            }
        })?;
        let mut out = SecretsOut {
            path: path.to_owned(),
            file,
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
        let shown: Vec<Shown> = self
            .entries
            .iter()
            .map(|e| Shown {
                name: &e.name,
                id: &e.id,
                key: e.key.expose_secret(),
            })
            .collect();
        let text = serde_json::to_string_pretty(&shown).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.file.sync_all()
    }
}
