//! Which desired-state files a run covers: `-f` files and directories (their
//! `*.yaml` / `*.yml` files), sorted, then `--shard I/N`'s deterministic slice
//! so that a CI matrix spreads an agency over many machines. In a directory,
//! files named `_*.yaml` are bases (`extends`), not workspaces.

use std::path::{Path, PathBuf};

/// Whether a file is a base by its name: `_base.yaml`, `_staff.yml`.
pub fn is_base(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('_'))
}

fn is_yaml(f: &Path) -> bool {
    f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml")
}

/// A directory's `*.yaml` / `*.yml` regular files. A symbolic link among
/// them must lead inside the directory's root (`config_extends::bases_root`):
/// one to `/etc/passwd` would have its content quoted by a parse error.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, FilesError> {
    let shown = || dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|source| FilesError::Read {
        path: shown(),
        source,
    })?;
    let root = crate::config_extends::bases_root(&dir.join("x"));
    let mut out = Vec::new();
    for f in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if !is_yaml(&f) {
            continue;
        }
        if f.is_symlink() && !f.canonicalize().is_ok_and(|c| c.starts_with(&root)) {
            return Err(FilesError::Outside {
                path: f.display().to_string(),
            });
        }
        out.push(f);
    }
    Ok(out)
}

/// Warnings for what a directory walk skips that looks like a workspace
/// file: a name ending in `.YAML` (any case but lower), something not a
/// regular file (a FIFO, a folder) named `*.yaml`.
pub fn skipped(paths: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths.iter().filter(|p| p.is_dir()) {
        let Ok(entries) = std::fs::read_dir(p) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        found.sort();
        for f in found {
            if !crate::config_extends::has_yaml_extension(&f) {
                continue;
            }
            let why = if !f.is_file() {
                "it is not a regular file"
            } else if !is_yaml(&f) {
                "only names ending in `.yaml` or `.yml` (lower case) are read"
            } else {
                continue;
            };
            out.push(format!(
                "warning: {}: skipped: {why}",
                crate::escape::terminal(&f.display().to_string())
            ));
        }
    }
    out
}

/// The bases of the directories among `paths` (their `_*.yaml` files), sorted.
pub fn bases(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir()
            && let Ok(files) = yaml_files(p)
        {
            out.extend(files.into_iter().filter(|f| is_base(f)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `--shard I/N`: the I-th of N slices, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 2/4")?;
    let (index, count): (usize, usize) = (
        i.parse().map_err(|_| format!("`{i}` is not a number"))?,
        n.parse().map_err(|_| format!("`{n}` is not a number"))?,
    );
    if count == 0 || index == 0 || index > count {
        return Err(format!("`{s}`: I must be from 1 to N"));
    }
    Ok(Shard { index, count })
}

/// Why the files given with `-f` cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot read the directory {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// A directory without workspace files: planning it would report "in
    /// sync" for workspaces that were never looked at.
    #[error("{path}: no workspace files (*.yaml, *.yml) in this directory; nothing to plan")]
    Empty { path: String },
    #[error(
        "{path} is a symbolic link to a file outside the directory (or the repository holding it); such links are refused, not read: copy the file in instead"
    )]
    Outside { path: String },
}

/// The files named, with directories expanded; `true` when the run covers
/// several workspaces (more than one file, or any directory). A directory
/// with no workspace file is an error.
pub fn expand(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, bool), FilesError> {
    let mut out = Vec::new();
    let mut dir = false;
    for p in paths {
        if p.is_dir() {
            dir = true;
            let mut found: Vec<PathBuf> =
                yaml_files(p)?.into_iter().filter(|f| !is_base(f)).collect();
            if found.is_empty() {
                return Err(FilesError::Empty {
                    path: p.display().to_string(),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    let many = dir || out.len() > 1;
    Ok((out, many))
}

/// The files named, in the order given, each directory replaced by its
/// workspace files (sorted): `validate` reports files in the order asked.
pub fn in_order(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FilesError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(expand(std::slice::from_ref(p))?.0);
        } else if !out.contains(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The files of `shard`: every N-th of the sorted list, starting at the I-th.
pub fn shard(files: Vec<PathBuf>, shard: Option<Shard>) -> Vec<PathBuf> {
    match shard {
        None => files,
        Some(s) => files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % s.count == s.index - 1)
            .map(|(_, f)| f)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_file_once() {
        let files: Vec<PathBuf> = (0..10)
            .map(|i| PathBuf::from(format!("w{i}.yaml")))
            .collect();
        let mut all: Vec<PathBuf> = (1..=3)
            .flat_map(|i| shard(files.clone(), Some(Shard { index: i, count: 3 })))
            .collect();
        all.sort();
        assert_eq!(all, files);
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(
            parse_shard("0/4").is_err() && parse_shard("5/4").is_err() && parse_shard("x").is_err()
        );
    }
}
