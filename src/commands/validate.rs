//! `validate`: checks files offline (no API key): errors, then lints
//! (warnings; errors too with `--strict`).

use crate::cli::ValidateFormat;
use crate::diagnostic::FileErrors;
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, PlanError};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], format: ValidateFormat, strict: bool, p: &Printer) -> ExitStatus {
    let mut status = ExitStatus::Success;
    let mut reports = Vec::new();
    for f in files {
        let report = match pipeline::load(f) {
            Ok(file) => FileErrors {
                path: file.shown(),
                errors: crate::lints::lint(&file.config),
                source: String::from_utf8_lossy(&file.bytes).into_owned(),
            },
            Err(PlanError::File(e)) => e,
            Err(e) => {
                status = ExitStatus::Error;
                p.error(&e.render(p.err_color()));
                continue;
            }
        };
        let errors = report.errors.iter().filter(|d| !d.warning).count();
        let warnings = report.errors.len() - errors;
        if errors > 0 || (strict && warnings > 0) {
            status = ExitStatus::Error;
        }
        match format {
            ValidateFormat::Json => reports.push(report.to_json()),
            ValidateFormat::Github => {
                if !report.errors.is_empty() {
                    p.out(&format!("{}\n", report.render_github()));
                }
            }
            ValidateFormat::Text => {
                let silenced = p.quiet() && errors == 0;
                if !report.errors.is_empty() && !silenced {
                    p.error(&report.render(p.err_color()));
                }
                if errors == 0 {
                    let note = match warnings {
                        0 => String::new(),
                        1 => " (1 warning)".into(),
                        n => format!(" ({n} warnings)"),
                    };
                    // Under --strict a warning fails: "valid" would contradict the exit status.
                    let verdict = if strict && warnings > 0 {
                        "fails --strict"
                    } else {
                        "valid"
                    };
                    p.out(&format!("{}: {verdict}{note}\n", report.path));
                }
            }
        }
    }
    if format == ValidateFormat::Json {
        p.out(&(serde_json::to_string_pretty(&reports).expect("reports serialize") + "\n"));
    }
    status
}
