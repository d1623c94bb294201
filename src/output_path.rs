//! What a command may write its output over: nothing, or a regular file.
//! A device, a fifo, a directory or a symbolic link at the path is refused
//! before anything is written — replacing it would not write *into* it but
//! put a plain file in its place (`-o /dev/stdout` as root would break
//! `/dev/stdout` for the whole machine). And never over one of the
//! command's own inputs (the desired-state file, the sandbox state).

use std::path::Path;

/// What is at `path`, when it exists and is not a regular file.
pub fn not_regular(path: &Path) -> std::io::Result<Option<&'static str>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let t = meta.file_type();
    if t.is_file() {
        return Ok(None);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return Ok(Some("a device"));
        }
        if t.is_fifo() {
            return Ok(Some("a named pipe"));
        }
        if t.is_socket() {
            return Ok(Some("a socket"));
        }
    }
    Ok(Some(if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link (not followed)"
    } else {
        "not a regular file"
    }))
}

/// Refuses a path that exists and is not a regular file.
pub fn check_replaceable(path: &Path) -> std::io::Result<()> {
    match not_regular(path)? {
        None => Ok(()),
        Some(what) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} is {what}, not a regular file: it is left as it is",
                path.display()
            ),
        )),
    }
}

/// Whether `a` and `b` name the same existing file, however spelt. A hard
/// link is another name: replacing it leaves the file itself as it was.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Refuses an output path (given with `flag`) that is one of the
/// command's inputs, each named for the message (`"the desired-state file
/// given with -f"`); `output` names what is written (`"the plan"`).
pub fn check_not_an_input(
    flag: &str,
    path: &Path,
    inputs: &[(&Path, &str)],
    output: &str,
) -> anyhow::Result<()> {
    for (input, what) in inputs {
        if same_file(path, input) {
            anyhow::bail!(
                "{flag} {} is {what}: choose another file for {output}",
                path.display()
            );
        }
    }
    Ok(())
}

/// The inputs every command that writes output has besides its own: the
/// sandbox state file, when the target is a sandbox with one.
pub fn sandbox_state(settings: &crate::settings::Settings) -> Option<&Path> {
    match &settings.target {
        crate::settings::Target::Sandbox {
            state: Some(st), ..
        } => Some(st.as_path()),
        _ => None,
    }
}

/// `text` written whole to `output` (noting it), or printed on stdout when
/// there is none: what `export -o` and `review -o` do with their result.
pub fn write_or_print(
    output: Option<&Path>,
    text: &str,
    p: &crate::output::Printer,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match output {
        Some(path) => {
            // Whole or not at all, and never over a device, a fifo or a link.
            crate::durable_file::replace(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            p.note(&format!("wrote {}", path.display()));
        }
        None => p.out(text),
    }
    Ok(())
}

/// Before any request: `path` (given with `flag`) may be replaced by what
/// the command writes — not a device, a fifo, a directory or a link (the
/// message the write itself would give), and none of `inputs` nor the
/// sandbox state the run reads (a caller may name an input more exactly by
/// listing it first). A refusal costs no request.
pub fn check_output(
    flag: &str,
    path: &Path,
    inputs: &[(&Path, &str)],
    settings: &crate::settings::Settings,
    output: &str,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    check_replaceable(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut all = inputs.to_vec();
    all.extend(sandbox_state(settings).map(|st| (st, "the sandbox state file")));
    check_not_an_input(flag, path, &all, output)
}
