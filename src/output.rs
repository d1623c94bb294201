//! What users see: the `Printer` every command writes through, and the
//! `ExitStatus` every command ends with. Core code never prints.

use crate::cli::ColorChoice;
use std::io::{IsTerminal, Write};

/// How the process ends. The numbers are part of the interface: CI jobs
/// branch on them (see the exit-code table in README.md and docs/ci.md).
/// Declared from the mildest to the gravest: `worst` relies on the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Done; for `plan`, also "no changes".
    Success,
    /// `plan --detailed-exitcode`: the plan has changes.
    Changes,
    /// An error, including a mistyped command line.
    Error,
    /// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
    Interrupted,
    /// Stopped by SIGTERM (128 + 15): CI cancels, `timeout`, systemd.
    Terminated,
    /// Stopped by SIGHUP (128 + 1): the terminal or SSH session closed.
    HungUp,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Error => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
            ExitStatus::HungUp => 129,
        }
    }

    /// The worse of two outcomes, for runs over several workspaces: an
    /// error outranks changes, which outrank success.
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        self.max(other)
    }
}

/// Writes to stdout and stderr for the commands. A closed pipe
/// (`plan | head`) is not an error: the rest of the output is dropped.
#[derive(Clone, Debug)]
pub struct Printer {
    quiet: bool,
    color_out: bool,
    color_err: bool,
    /// `--log-format json`: notes and errors on stderr are JSON lines too,
    /// shaped like the `tracing` ones, so a log shipper parses every line.
    json_err: bool,
}

/// Whether to colour a stream that is (or is not) a terminal: `--color`,
/// else only on a terminal and never with NO_COLOR.
pub fn color_wanted(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

impl Printer {
    pub fn new(color: ColorChoice, quiet: bool) -> Printer {
        Printer {
            quiet,
            color_out: color_wanted(color, std::io::stdout().is_terminal()),
            color_err: color_wanted(color, std::io::stderr().is_terminal()),
            json_err: false,
        }
    }

    /// Notes and errors as JSON objects, one a line (`--log-format json`).
    pub fn json_stderr(mut self) -> Printer {
        self.json_err = true;
        // A JSON log line carries no colour.
        self.color_err = false;
        self
    }

    /// Colour on stdout.
    pub fn color(&self) -> bool {
        self.color_out
    }

    /// Colour on stderr (diagnostics).
    pub fn err_color(&self) -> bool {
        self.color_err
    }

    /// `-q`: nothing but errors on stderr.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// The command's result, on stdout.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    /// A note or warning on stderr; `-q` silences it.
    pub fn note(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.json_err {
            let level = if text.starts_with("warning") {
                "WARN"
            } else {
                "INFO"
            };
            self.stderr_line(&json_line(level, text));
        } else {
            self.stderr_line(text);
        }
    }

    /// A question on stderr, the answer typed on the same line.
    pub fn prompt(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr
            .write_all(text.as_bytes())
            .and_then(|()| stderr.flush());
    }

    /// An error on stderr; never silenced.
    pub fn error(&self, text: &str) {
        if self.json_err {
            self.stderr_line(&json_line("ERROR", text));
        } else {
            self.stderr_line(text);
        }
    }

    /// A file's located errors and warnings on stderr: the annotated
    /// snippets; with `--log-format json` one object per diagnostic, at
    /// level WARN or ERROR, with its `file`, `line`, `column`, `code` and
    /// `help` as fields (a log shipper indexes them; no caret block).
    pub fn diagnostics(&self, report: &crate::diagnostic::FileErrors) {
        if !self.json_err {
            self.error(&report.render(self.err_color()));
            return;
        }
        let doc = report.to_json();
        for d in doc["diagnostics"].as_array().into_iter().flatten() {
            let warning = d["severity"] == "warning";
            if warning && self.quiet {
                continue;
            }
            let mut fields = serde_json::Map::new();
            for key in ["message", "file", "line", "column", "code", "help"] {
                if !d[key].is_null() {
                    fields.insert(key.into(), d[key].clone());
                }
            }
            let line = serde_json::json!({
                "timestamp": crate::timestamp::now_iso(),
                "level": if warning { "WARN" } else { "ERROR" },
                "fields": fields,
                "target": "instantly_rbac",
            });
            self.stderr_line(&line.to_string());
        }
    }

    fn stderr_line(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", text.trim_end_matches('\n'));
    }
}

/// One stderr line as `tracing`'s JSON formatter writes its own: the same
/// keys, so notes, errors and logs read alike.
pub fn json_line(level: &str, text: &str) -> String {
    // The level says what the text prefix said.
    let text = ["error: ", "warning: ", "note: "]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    serde_json::json!({
        "timestamp": crate::timestamp::now_iso(),
        "level": level,
        "fields": { "message": text.trim_end_matches('\n') },
        "target": "instantly_rbac",
    })
    .to_string()
}
