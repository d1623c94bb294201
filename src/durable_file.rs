//! Files written whole or not at all: a private temporary file beside the
//! target, synced, renamed over it, the folder synced. A crash, a kill or
//! a full disk leaves the old file or the new one, never a truncated mix;
//! a hard link to the old file keeps the old content.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A new file only its owner can read; never an existing file, never
/// through a symlink.
pub fn create_new_private(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Where the new content is written before the rename: `.NAME.partial`
/// beside the target (a short digest of the name when that is too long).
fn partial_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} names no file", path.display())))?
        .to_string_lossy();
    let partial = format!(".{name}.partial");
    let partial = if partial.len() <= 255 {
        partial
    } else {
        let digest: String = Sha256::digest(name.as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(".{digest}.partial")
    };
    Ok(path.with_file_name(partial))
}

/// Replaces `path` with `text` (mode 0600). Only a regular file is
/// replaced: anything else at `path` is refused (`output_path`).
pub fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    crate::output_path::check_replaceable(path)?;
    let tmp = partial_path(path)?;
    let context =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", tmp.display()));
    // A partial file of a killed run holds nothing the real file lacks; a
    // symlink there is removed, not followed.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(context(e)),
        _ => {}
    }
    let written = create_new_private(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(context(e));
    }
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
