//! `review`: the access matrix of a workspace's members and keys, their
//! activity from the audit log, and the findings of an access review.
//! Read-only: lists and the audit log, nothing else.

use crate::cli::{ReviewArgs, ReviewFormat};
use crate::client::Client;
use crate::live::{self, Needs};
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, LoadedFile};
use crate::review::{self, Inputs, ReadWith, Review, activity, summary};
use crate::settings::Settings;
use crate::{escape, output_path, workspace_files};
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};

pub async fn run(
    args: &ReviewArgs,
    client: &Client,
    settings: &Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let now = crate::timestamp::now();
    // `-o -` is standard output, as if `-o` were not given.
    let output = args.output.as_deref().filter(|o| *o != Path::new("-"));
    let dir = args.file.as_deref().filter(|f| f.is_dir());
    let files = match dir {
        Some(dir) => directory_files(dir, p)?,
        None => Vec::new(),
    };
    // Refused before any request: the output must not cost a workspace
    // read to find out it cannot be written.
    if let Some(path) = output {
        check_output(path, args.file.as_deref(), &files, settings)?;
    }
    let (text, findings, status) = match dir {
        Some(_) => {
            let home: crate::api_types::Workspace = client.get("/workspaces/current", &[]).await?;
            let mut outcomes = Vec::new();
            // Each workspace once: a second file for a workspace already
            // reviewed would count its members and findings twice.
            let mut seen: Vec<(String, String)> = Vec::new();
            for f in &files {
                let outcome = match f {
                    DirEntry::Dangling(_) => Err(
                        "a symbolic link to nothing: the workspace it stands for is not reviewed"
                            .to_owned(),
                    ),
                    DirEntry::File(f) => one_file(f, &home, client, args, now, p)
                        .await
                        .map_err(|e| format!("{e:#}"))
                        .and_then(|r| match seen.iter().find(|(id, _)| *id == r.workspace.id) {
                            Some((_, first)) => Err(escape::terminal(&format!(
                                "workspace {} is already reviewed from {first}: one file per workspace",
                                r.workspace.id
                            ))),
                            None => {
                                seen.push((r.workspace.id.clone(), f.display().to_string()));
                                Ok(r)
                            }
                        }),
                };
                let shown = escape::terminal(&f.path().display().to_string());
                // Every error names its file (a located one already does).
                let outcome = outcome.map_err(|e| {
                    if e.starts_with(&format!("{shown}:")) {
                        e
                    } else {
                        format!("{shown}: {e}")
                    }
                });
                if let Err(e) = &outcome {
                    // Escaped already, a located diagnostic keeping its lines.
                    p.error(&format!("error: {e}"));
                }
                outcomes.push((shown, outcome));
            }
            let s = summary::summarize(&outcomes);
            let reviews: Vec<Review> = outcomes.into_iter().filter_map(|(_, r)| r.ok()).collect();
            let findings = reviews.iter().map(|r| r.findings.len()).sum::<usize>();
            let status = if s.errors > 0 {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
            (render_many(&reviews, &s, args.format), findings, status)
        }
        None => {
            let loaded = match &args.file {
                Some(path) => match pipeline::load(path) {
                    // Reviewed against a base, every member and key would
                    // read as undeclared: the same check as `plan`'s.
                    Ok(f) if pipeline::is_base(&f) => {
                        p.error(&pipeline::base_error(&f).render(p.err_color()));
                        return Ok(ExitStatus::Error);
                    }
                    Ok(f) => Some(f),
                    Err(e) => {
                        p.error(&e.render(p.err_color()));
                        return Ok(ExitStatus::Error);
                    }
                },
                None => None,
            };
            let workspace = match &loaded {
                Some(f) => match pipeline::guard(client, f).await {
                    Ok(w) => w,
                    Err(e) => {
                        p.error(&format!("error: {}", guard_error(e)));
                        return Ok(ExitStatus::Error);
                    }
                },
                None => client.get("/workspaces/current", &[]).await?,
            };
            let r = review_one(client, workspace, loaded.as_ref(), args, now, p).await?;
            let findings = r.findings.len();
            (render_one(&r, args.format), findings, ExitStatus::Success)
        }
    };
    crate::output_path::write_or_print(output, &text, p)?;
    Ok(
        if status == ExitStatus::Success && args.fail_on_findings && findings > 0 {
            ExitStatus::Changes
        } else {
            status
        },
    )
}

/// One file of a directory: its workspace through the agency's key (the
/// sub-workspace header for any other than the key's own).
async fn one_file(
    path: &Path,
    home: &crate::api_types::Workspace,
    agency: &Client,
    args: &ReviewArgs,
    now: i64,
    p: &Printer,
) -> anyhow::Result<Review> {
    let file = pipeline::load(path).map_err(|e| anyhow::anyhow!(unprefixed(e.text())))?;
    let Some(guard) = &file.config.workspace else {
        anyhow::bail!(
            "{}: `workspace.id` is required when reviewing a directory: the file must say which workspace it is for",
            escape::terminal(&file.shown())
        );
    };
    if guard.id.value == home.id {
        // Escaped whole: an answer of the API is one line, whatever it holds.
        return review_one(agency, home.clone(), Some(&file), args, now, p)
            .await
            .map_err(|e| anyhow::anyhow!("{}", escape::terminal(&format!("{e:#}"))));
    }
    let id = &guard.id.value;
    let client = agency.for_sub_workspace(id);
    // A 403 here is as likely a workspace the agency key does not reach as
    // a missing scope: the hint says both.
    let forbidden = |e: &crate::api_error::ApiError| match &e.kind {
        crate::api_error::ApiErrorKind::MissingScope(m) => format!(
            "{} {}: 403 Forbidden: {m} (the agency key of {} does not reach workspace {id}, or lacks a scope this call needs)",
            e.method, e.path, home.id
        ),
        _ => e.to_string(),
    };
    let workspace = match pipeline::guard(&client, &file).await {
        Ok(w) => w,
        Err(pipeline::PlanError::Api(e)) if e.status() == Some(403) => {
            bail!("{}", escape::terminal(&forbidden(&e)))
        }
        Err(e) => bail!("{}", guard_error(e)),
    };
    review_one(&client, workspace, Some(&file), args, now, p)
        .await
        .map_err(|e| match e.downcast_ref::<crate::api_error::ApiError>() {
            Some(api) if api.status() == Some(403) => {
                anyhow::anyhow!("{}", escape::terminal(&forbidden(api)))
            }
            _ => anyhow::anyhow!("{}", escape::terminal(&format!("{e:#}"))),
        })
}

/// A guard or load error as one escaped text without its `error: `; a
/// guard refusal says nothing was reviewed (a review changes nothing).
fn guard_error(e: pipeline::PlanError) -> String {
    match e {
        pipeline::PlanError::Guard {
            path,
            line,
            declared,
            reached,
            name,
        } => escape::terminal(&format!(
            "{path}:{line}: the file is for workspace {declared}, but the API key reaches workspace {reached} ({name}); nothing was reviewed"
        )),
        e => unprefixed(e.text()),
    }
}

/// Reads members, keys and the window's logins, and builds the review.
async fn review_one(
    client: &Client,
    workspace: crate::api_types::Workspace,
    file: Option<&LoadedFile>,
    args: &ReviewArgs,
    now: i64,
    p: &Printer,
) -> anyhow::Result<Review> {
    let needs = Needs {
        tags: false,
        ..Needs::all(false)
    };
    // Independent: the lists and the audit log's logins, read at once.
    let start = activity::start_date(now, args.inactive_days);
    let (live, logins) = tokio::try_join!(
        async { anyhow::Ok(live::read_lists(client, workspace, needs).await?) },
        async { anyhow::Ok(activity::read(client, &start, now).await?) },
    )?;
    for w in &live.warnings {
        p.note(&format!("warning: {}", escape::terminal(w)));
    }
    for note in [logins.note(), logins.unattributed_note()]
        .into_iter()
        .flatten()
    {
        p.note(&format!(
            "note: {}: {}",
            escape::terminal(&live.workspace.name),
            escape::terminal(&note)
        ));
    }
    let mask = client.key_mask();
    let same: Vec<&str> = live
        .api_keys
        .iter()
        .filter(|k| k.key == mask)
        .map(|k| k.name.as_str())
        .collect();
    // Named only when the mask tells which key it is.
    let read_with = match same.as_slice() {
        [] => ReadWith::Other,
        [name] => ReadWith::Key((*name).to_owned()),
        _ => ReadWith::Ambiguous(
            mask.chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
        ),
    };
    Ok(review::build(
        &live,
        &Inputs {
            logins: &logins,
            file: file.map(|f| &f.config),
            file_name: file.map(LoadedFile::shown),
            now,
            inactive_days: args.inactive_days,
            read_with,
        },
    ))
}

fn render_one(r: &Review, format: ReviewFormat) -> String {
    match format {
        ReviewFormat::Text => review::text::render(r),
        ReviewFormat::Markdown => review::markdown::render(r),
        ReviewFormat::Csv => review::csv::render(r),
        ReviewFormat::Json => format!("{}\n", review::json::render(r)),
    }
}

fn render_many(reviews: &[Review], s: &summary::Summary, format: ReviewFormat) -> String {
    match format {
        ReviewFormat::Json => format!("{}\n", review::json::render_many(reviews, s)),
        ReviewFormat::Csv => {
            // One table: the workspace id is the first column of every row.
            let mut out = review::csv::header();
            for r in reviews {
                out.push_str(&review::csv::rows(r));
            }
            out
        }
        ReviewFormat::Text | ReviewFormat::Markdown => {
            let markdown = format == ReviewFormat::Markdown;
            let mut parts: Vec<String> = reviews.iter().map(|r| render_one(r, format)).collect();
            let esc: fn(&str) -> String = if markdown {
                escape::markdown_inline
            } else {
                escape::terminal
            };
            parts.push(summary::render(s, esc, markdown));
            parts.join("\n")
        }
    }
}

/// A diagnostic without its `error: `, which the caller's line adds.
fn unprefixed(text: String) -> String {
    match text.strip_prefix("error: ") {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// A `*.yaml`/`*.yml` entry of a `-f` directory.
enum DirEntry {
    File(PathBuf),
    /// A symbolic link whose target does not exist.
    Dangling(PathBuf),
}

impl DirEntry {
    fn path(&self) -> &Path {
        match self {
            DirEntry::File(p) | DirEntry::Dangling(p) => p,
        }
    }
}

/// The workspace files of `dir`, sorted; a dangling link among them is
/// kept (reported as not reviewed), anything else named `*.yaml` that is
/// not a file (a directory) is skipped with a warning, never silently.
fn directory_files(dir: &Path, p: &Printer) -> anyhow::Result<Vec<DirEntry>> {
    let files = match workspace_files::expand(&[dir.to_path_buf()]) {
        Ok((files, _)) => files,
        Err(workspace_files::FilesError::Empty { .. }) => bail!(
            "{}: no workspace files (*.yaml, *.yml) in this directory; nothing to review",
            dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let mut out: Vec<DirEntry> = files.into_iter().map(DirEntry::File).collect();
    let others = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| !f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    for f in others {
        if f.is_symlink() && !f.exists() {
            out.push(DirEntry::Dangling(f));
        } else {
            let what = output_path::not_regular(&f)
                .ok()
                .flatten()
                .unwrap_or("not a regular file");
            p.note(&format!(
                "warning: {} is {what}, not a workspace file; skipped",
                escape::terminal(&f.display().to_string())
            ));
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(out)
}

/// `-o PATH`: a new or regular file that is none of the review's inputs.
fn check_output(
    path: &Path,
    file: Option<&Path>,
    dir_files: &[DirEntry],
    settings: &Settings,
) -> anyhow::Result<()> {
    if let Some(what) = output_path::not_regular(path)? {
        bail!(
            "-o {} is {what}, not a regular file: it is left as it is; choose a new or a regular file, or `-o -` for standard output",
            path.display()
        );
    }
    let mut inputs: Vec<(&Path, &str)> = Vec::new();
    let given = "the desired-state file given with -f";
    match file {
        Some(_) if !dir_files.is_empty() => {
            inputs.extend(
                dir_files
                    .iter()
                    .map(|f| (f.path(), "a desired-state file of the -f directory")),
            );
        }
        Some(f) => inputs.push((f, given)),
        None => {}
    }
    inputs.extend(output_path::sandbox_state(settings).map(|st| (st, "the sandbox state file")));
    output_path::check_not_an_input("-o", path, &inputs, "the review")
}
