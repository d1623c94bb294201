//! `validate`: checks files offline (no API key): errors, then lints
//! (warnings; errors too with `--strict`). A directory's bases (`_*.yaml`)
//! are checked once, on their own; a base no workspace extends is a warning.

use crate::cli::ValidateFormat;
use crate::config_extends::Loader;
use crate::config_loader::Kind;
use crate::diagnostic::{Diagnostic, FileErrors};
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, PlanError};
use crate::workspace_files;
use crate::yaml_node::Loc;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], format: ValidateFormat, strict: bool, p: &Printer) -> ExitStatus {
    let files = match workspace_files::in_order(paths) {
        Ok(files) => files,
        Err(e) => {
            p.error(&format!(
                "error: {}",
                crate::escape::terminal(&e.to_string())
            ));
            return ExitStatus::Error;
        }
    };
    for w in workspace_files::skipped(paths) {
        p.note(&w);
    }
    let bases = workspace_files::bases(paths);
    let mut loader = Loader::default();
    // Each base of a directory is reported on its own below: the
    // workspaces extending it only refer to its errors.
    for b in &bases {
        loader.reported(b);
    }
    let mut shown_lints = BTreeSet::new();
    // The directory's bases, as places are shown: a lint that sits in one
    // is reported once, against the base, not against a workspace file.
    let mut in_bases: BTreeMap<String, Vec<Diagnostic>> = bases
        .iter()
        .map(|b| (b.display().to_string(), Vec::new()))
        .collect();
    let workspaces: Vec<Result<FileErrors, PlanError>> = files
        .iter()
        .map(|f| check(f, &mut loader, &mut shown_lints, &mut in_bases))
        .collect();
    let mut reports: Vec<Result<FileErrors, PlanError>> = bases
        .iter()
        .map(|b| {
            let (mut report, config) = check_base(b)?;
            let used = loader.is_used(b);
            let lints = in_bases.remove(&b.display().to_string()).unwrap_or_default();
            if let Some(config) = config {
                if used {
                    report.errors.extend(lints);
                } else {
                    // No workspace took its lints in: the base's own.
                    report.errors.extend(
                        crate::lints::lint(&config)
                            .into_iter()
                            .filter(|d| d.loc.file == 0 && d.code != Some("W003")),
                    );
                }
                // W008 is the directory's: the base's own policy allows it.
                if !used && !config.policy.allow_lints.iter().any(|c| c == "W008") {
                    report.errors.push(
                        Diagnostic::lint("W008", Loc::at(1, 1), "no workspace file extends this base")
                            .help("bases (files named `_*.yaml`) are taken in with `extends: [<name>]` at the top of a workspace file; extend it or remove it"),
                    );
                }
            }
            report.errors.sort();
            Ok(report)
        })
        .collect();
    reports.extend(workspaces);
    let mut status = ExitStatus::Success;
    let mut json = Vec::new();
    for report in reports {
        let report = match report {
            Ok(r) => r,
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
            ValidateFormat::Json => json.push(report.to_json()),
            ValidateFormat::Github => {
                if !report.errors.is_empty() {
                    p.out(&format!("{}\n", report.render_github()));
                }
            }
            ValidateFormat::Text => {
                let silenced = p.quiet() && errors == 0;
                if !report.errors.is_empty() && !silenced {
                    p.diagnostics(&report);
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
        p.out(&(serde_json::to_string_pretty(&json).expect("reports serialize") + "\n"));
    }
    status
}

/// A workspace file (or a base named with `-f`): its errors, else its
/// lints. A lint about what a base declares is shown once, however many
/// workspaces extend the base; W003 (a team role no member uses) only for
/// the workspace's own roles, since a base's roles serve many workspaces.
fn check(
    f: &Path,
    loader: &mut Loader,
    shown: &mut BTreeSet<(String, Diagnostic)>,
    in_bases: &mut BTreeMap<String, Vec<Diagnostic>>,
) -> Result<FileErrors, PlanError> {
    if workspace_files::is_base(f) {
        return check_base(f).map(|(report, _)| report);
    }
    match pipeline::load_with(f, loader) {
        Ok(file) => {
            let places = file.places();
            let errors = crate::lints::lint(&file.config)
                .into_iter()
                .filter(|d| {
                    if d.loc.file == 0 {
                        return true;
                    }
                    let place = &places[d.loc.file as usize];
                    if d.code == Some("W003") || !shown.insert((place.clone(), d.clone())) {
                        return false;
                    }
                    match in_bases.get_mut(place) {
                        Some(lints) => {
                            // Where the base itself is file 0.
                            let mut d = d.clone();
                            d.loc.file = 0;
                            lints.push(d);
                            false
                        }
                        None => true,
                    }
                })
                .collect();
            Ok(FileErrors {
                path: file.shown(),
                errors,
                source: String::from_utf8_lossy(&file.bytes).into_owned(),
                others: file.sources(),
            })
        }
        Err(PlanError::File(e)) => Ok(e),
        Err(e) => Err(e),
    }
}

/// A base on its own: its errors and those of what it extends; and its
/// configuration when it has none.
pub(crate) fn check_base(
    f: &Path,
) -> Result<(FileErrors, Option<crate::config::Config>), PlanError> {
    let bytes = pipeline::read(f)?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        // The located error of a file that is not UTF-8.
        return match pipeline::parse(f, bytes) {
            Err(PlanError::File(e)) => Ok((e, None)),
            Err(e) => Err(e),
            Ok(file) => Ok((
                FileErrors {
                    path: file.shown(),
                    ..FileErrors::default()
                },
                None,
            )),
        };
    };
    Ok(match Loader::default().load_as(f, text, Kind::Base) {
        Ok(loaded) => (
            FileErrors {
                path: f.display().to_string(),
                source: text.to_owned(),
                others: loaded
                    .bases
                    .iter()
                    .map(|b| crate::diagnostic::Source {
                        path: b.shown.clone(),
                        text: String::from_utf8_lossy(&b.bytes).into_owned(),
                    })
                    .collect(),
                ..FileErrors::default()
            },
            Some(loaded.config),
        ),
        Err(e) => (e, None),
    })
}
