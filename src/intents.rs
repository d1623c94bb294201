//! Intents: no API key lives without a delivered secret.
//!
//! A key's secret exists only in the create answer. Before each key create
//! the applier records an intent (name, scopes, time, run, the ids of the
//! keys known then) durably in `.instantly-rbac-intents/RUN.json` in the
//! working directory (0600 files in a 0700 folder, replaced whole and
//! synced: `durable_file`); once the secret is in the sink (or in a
//! recovery file) the intent is removed, the file with its last one, and
//! the folder once empty.
//! An intent still there names a key that may exist while nobody holds its
//! secret: a run killed between the create and the delivery. The pipeline
//! reads the intents before planning (`read`) and the planner replaces such
//! a key instead of adopting it (`Intent::may_be`).
//!
//! The folder is the working directory's, not the sink's, so that `plan`
//! and `plan --out` show the same replacement `apply` makes. One file per
//! run: two runs never write the same file.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where the intents are kept, relative to the working directory.
pub const DIR: &str = ".instantly-rbac-intents";

const WRITTEN_BY: &str = "instantly-rbac";
const FORMAT_VERSION: u32 = 1;

/// One key create that was about to happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub run: String,
    pub workspace: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// ISO-8601 UTC, when it was recorded (before the POST).
    pub recorded_at: String,
    /// The ids of the keys known then: none of them is the new key.
    pub known_ids: Vec<String>,
}

impl Intent {
    /// Whether the live key `id`, named `name`, may be the one this intent
    /// was for: any key of that name the run did not know. Creation times
    /// are not compared: the API's clock is not this machine's, and a key
    /// taken for new when it was not is only replaced once more (its new
    /// secret delivered), while a key taken for old would have no secret.
    pub fn may_be(&self, id: &str, name: &str) -> bool {
        name == self.name && !self.known_ids.iter().any(|k| k == id)
    }
}

/// One run's file.
#[derive(Serialize, Deserialize)]
struct RunFile {
    written_by: String,
    format_version: u32,
    intents: Vec<Intent>,
}

fn io_err(path: &Path, what: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("{}: {what}", path.display()))
}

/// The run files in `dir`: (path, intents). No folder, no intents.
fn run_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, Vec<Intent>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_err(dir, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        // `.RUN.json.partial`: a write a kill interrupted; the file it
        // was to replace holds everything it knew.
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        let file: RunFile = serde_json::from_str(&text).map_err(|e| io_err(&path, e))?;
        if file.written_by != WRITTEN_BY || file.format_version != FORMAT_VERSION {
            return Err(io_err(&path, "not an intents file this version wrote"));
        }
        files.push((path, file.intents));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The intents still open in `dir` for `workspace`, oldest run first.
pub fn read(dir: &Path, workspace: &str) -> std::io::Result<Vec<Intent>> {
    Ok(run_files(dir)?
        .into_iter()
        .flat_map(|(_, intents)| intents)
        .filter(|i| i.workspace == workspace)
        .collect())
}

fn write(path: &Path, intents: &[Intent]) -> std::io::Result<()> {
    if intents.is_empty() {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(path, e)),
            _ => {}
        }
        if let Some(dir) = path.parent() {
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            remove_if_empty(dir);
        }
        return Ok(());
    }
    let doc = RunFile {
        written_by: WRITTEN_BY.into(),
        format_version: FORMAT_VERSION,
        intents: intents.to_vec(),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    crate::durable_file::replace(path, &format!("{text}\n"))
}

/// Removes the intents folder once it holds nothing, so that a run leaves
/// no empty folder behind (for a CI's `git add -A` to pick up). Only an
/// empty folder is removed; one another run is writing into is not.
fn remove_if_empty(dir: &Path) {
    let _ = std::fs::remove_dir(dir);
}

fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| io_err(dir, e))
}

/// This run's intents: recorded before each key create, removed once the
/// key's secret is delivered.
pub struct Journal {
    dir: PathBuf,
    run: String,
    /// Intents of earlier runs are only settled when recorded before this.
    opened_at: String,
    /// The same instant, for the age of leftover files.
    opened: std::time::SystemTime,
    open: Vec<Intent>,
}

impl Journal {
    /// A journal in `dir` (created when the first intent is recorded).
    pub fn new(dir: PathBuf) -> Journal {
        Journal {
            dir,
            run: uuid::Uuid::now_v7().to_string(),
            opened_at: crate::timestamp::now_iso(),
            opened: std::time::SystemTime::now(),
            open: Vec::new(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.run))
    }

    /// Records, durably, that a key is about to be created.
    pub fn record(
        &mut self,
        workspace: &str,
        name: &str,
        scopes: &[String],
        known_ids: Vec<String>,
    ) -> std::io::Result<()> {
        create_dir(&self.dir)?;
        self.open.push(Intent {
            run: self.run.clone(),
            workspace: workspace.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            recorded_at: crate::timestamp::now_iso(),
            known_ids,
        });
        match write(&self.path(), &self.open) {
            // Another run removed the folder when it emptied, just now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_dir(&self.dir)?;
                write(&self.path(), &self.open)
            }
            r => r,
        }
    }

    /// The secret of the key `name` is delivered: its intent goes.
    pub fn delivered(&mut self, name: &str) -> std::io::Result<()> {
        self.open.retain(|i| i.name != name);
        write(&self.path(), &self.open)
    }

    /// After a plan was applied in full: the intents of earlier runs for
    /// `workspace` and one of `names` (the keys the plan acted on, which it
    /// planned knowing those intents) are settled and removed, and the
    /// partial writes of killed runs go too.
    pub fn settle(&mut self, workspace: &str, names: &[&str]) -> std::io::Result<()> {
        self.settle_where(workspace, |i| names.contains(&i.name.as_str()))
    }

    /// After a plan of `workspace` came out empty: no live key may be one an
    /// earlier run's intent was for (the planner would have replaced it), so
    /// every earlier intent for the workspace is settled.
    pub fn settle_all(&mut self, workspace: &str) -> std::io::Result<()> {
        self.settle_where(workspace, |_| true)
    }

    /// Partial writes killed runs left behind (older than this journal):
    /// the files they were to replace hold everything they knew.
    fn remove_stale_partials(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let stale = std::fs::symlink_metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < self.opened);
            if name.starts_with('.') && name.ends_with(".partial") && stale {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    fn settle_where(
        &mut self,
        workspace: &str,
        acted_on: impl Fn(&Intent) -> bool,
    ) -> std::io::Result<()> {
        self.remove_stale_partials();
        for (path, intents) in run_files(&self.dir)? {
            if path == self.path() {
                continue;
            }
            let before = intents.len();
            let kept: Vec<Intent> = intents
                .into_iter()
                .filter(|i| {
                    i.workspace != workspace || !acted_on(i) || i.recorded_at >= self.opened_at
                })
                .collect();
            if kept.len() != before {
                write(&path, &kept)?;
            }
        }
        remove_if_empty(&self.dir);
        Ok(())
    }
}
