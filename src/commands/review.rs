//! `review`: the access matrix of a workspace's members and keys, their
//! activity from the audit log, and the findings of an access review.
//! Read-only: lists and the audit log, nothing else.

use crate::cli::{ReviewArgs, ReviewFormat};
use crate::client::Client;
use crate::live::{self, Needs};
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, LoadedFile};
use crate::review::{self, Inputs, Review, activity, summary};
use crate::{escape, workspace_files};
use anyhow::Context as _;
use std::path::Path;

pub async fn run(args: &ReviewArgs, client: &Client, p: &Printer) -> anyhow::Result<ExitStatus> {
    let now = crate::timestamp::now();
    let (text, findings, status) = match &args.file {
        Some(dir) if dir.is_dir() => {
            let (files, _) = workspace_files::expand(std::slice::from_ref(dir))?;
            let home: crate::api_types::Workspace = client.get("/workspaces/current", &[]).await?;
            let mut outcomes = Vec::new();
            for f in &files {
                let outcome = one_file(f, &home, client, args, now, p)
                    .await
                    .map_err(|e| e.to_string());
                if let Err(e) = &outcome {
                    p.error(&format!("error: {}", escape::terminal(e)));
                }
                outcomes.push((f.display().to_string(), outcome));
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
        file => {
            let loaded = match file {
                Some(path) => match pipeline::load(path) {
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
                        p.error(&e.render(p.err_color()));
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
    match &args.output {
        Some(path) => {
            crate::durable_file::replace(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            p.note(&format!("wrote {}", path.display()));
        }
        None => p.out(&text),
    }
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
    let file = pipeline::load(path).map_err(|e| anyhow::anyhow!(e.text()))?;
    let Some(guard) = &file.config.workspace else {
        anyhow::bail!(
            "{}: `workspace.id` is required when reviewing a directory: the file must say which workspace it is for",
            file.shown()
        );
    };
    if guard.id.value == home.id {
        return review_one(agency, home.clone(), Some(&file), args, now, p).await;
    }
    let client = agency.for_sub_workspace(&guard.id.value);
    let workspace = pipeline::guard(&client, &file)
        .await
        .map_err(|e| anyhow::anyhow!(e.text()))?;
    review_one(&client, workspace, Some(&file), args, now, p).await
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
    let live = live::read_lists(client, workspace, needs).await?;
    for w in &live.warnings {
        p.note(&format!("warning: {}", escape::terminal(w)));
    }
    let logins = activity::read(client, &activity::start_date(now, args.inactive_days)).await?;
    if let Some(note) = logins.note() {
        p.note(&format!(
            "note: {}: {}",
            escape::terminal(&live.workspace.name),
            escape::terminal(&note)
        ));
    }
    let mask = client.key_mask();
    let reviewer_key = live
        .api_keys
        .iter()
        .find(|k| k.key == mask)
        .map(|k| k.name.clone());
    Ok(review::build(
        &live,
        &Inputs {
            logins: &logins,
            file: file.map(|f| &f.config),
            file_name: file.map(LoadedFile::shown),
            now,
            inactive_days: args.inactive_days,
            reviewer_key,
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
