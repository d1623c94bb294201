//! `plan`: one workspace (with `--diff` and `--out`), or many at once.

use crate::cli::{PlanArgs, PlanFormat};
use crate::client::Client;
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, PlanError, Planned};
use crate::progress::{self, Progress};
use crate::render_multi::{self, Outcome};
use crate::saved_plan::SavedPlan;
use crate::settings::Settings;
use crate::workspace_files;
use crate::{diff_view, escape, render_json, render_markdown, render_text};
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};

pub async fn run(
    args: PlanArgs,
    client: &Client,
    settings: &Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let (files, many) = workspace_files::expand(&args.files)?;
    let files = workspace_files::shard(files, args.shard);
    let status = if many || args.shard.is_some() {
        if args.out.is_some() || args.diff {
            bail!("--out and --diff plan one workspace: give a single -f FILE");
        }
        let progress = Progress::bar(
            progress::wanted(args.format == PlanFormat::Text, p),
            files.len(),
            "workspaces planned",
        );
        let (home, outcomes, group) = plan_many_with_group(&files, client, &progress).await?;
        progress.finish();
        p.out(&render_multi::render_agency(
            &outcomes,
            &home,
            args.format,
            p.color(),
            group.as_ref(),
        ));
        render_multi::status(&outcomes)
    } else {
        let file = files
            .into_iter()
            .next()
            .context("no desired-state file given")?;
        let progress = Progress::requests(
            progress::wanted(args.format == PlanFormat::Text, p),
            client,
            "reading the workspace",
        );
        let planned = pipeline::plan_path(client, &file).await;
        progress.finish();
        match planned {
            Ok(planned) => one(&planned, &args, settings, p)?,
            Err(e) => {
                p.error(&e.render(p.err_color()));
                ExitStatus::Error
            }
        }
    };
    Ok(match status {
        ExitStatus::Changes if !args.detailed_exitcode => ExitStatus::Success,
        s => s,
    })
}

/// Prints one workspace's plan (and diff), saves it when asked.
fn one(
    planned: &Planned,
    args: &PlanArgs,
    settings: &Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let Planned {
        file,
        live,
        plan,
        group,
    } = planned;
    if let Some(w) = file.plan_warnings(p.err_color()) {
        p.note(&w);
    }
    let diff = args
        .diff
        .then(|| diff_view::render(&file.config, live, plan));
    p.out(&match args.format {
        PlanFormat::Text => {
            let mut text = render_text::render(plan, &render_text::Paint { color: p.color() });
            if let Some(d) = &diff {
                text.push('\n');
                if d.is_empty() {
                    text.push_str("(no differences)\n");
                }
                for line in d.lines() {
                    text.push_str(&escape::terminal(line));
                    text.push('\n');
                }
            }
            text
        }
        PlanFormat::Json => format!("{}\n", render_json::render(plan, diff.as_deref())),
        PlanFormat::Markdown => render_markdown::render(plan, diff.as_deref()),
    });
    if let Some(path) = &args.out {
        let saved =
            SavedPlan::new(plan, live, &file.shown(), &file.bytes).with_group(live, group.as_ref());
        write_plan_file(path, &file.path, settings, &saved.to_json())?;
        p.note(&format!(
            "Saved the plan to {}; apply exactly it with `{}`.",
            path.display(),
            apply_command(settings, path, &file.path, &acknowledgements(plan))
        ));
    }
    Ok(if plan.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Changes
    })
}

/// Writes a saved plan, never over the desired-state file or the sandbox
/// state (a slip of `--out` would destroy them), never through a link.
fn write_plan_file(
    path: &Path,
    desired: &Path,
    settings: &Settings,
    text: &str,
) -> anyhow::Result<()> {
    let same = |other: &Path| match (path.canonicalize(), other.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(desired) {
        bail!(
            "--out {} is the desired-state file given with -f: choose another file for the plan",
            path.display()
        );
    }
    if let crate::settings::Target::Sandbox {
        state: Some(st), ..
    } = &settings.target
        && same(st)
    {
        bail!(
            "--out {} is the sandbox state file: choose another file for the plan",
            path.display()
        );
    }
    if path.is_symlink() {
        bail!(
            "--out {} is a symbolic link, which is not followed: choose another file for the plan",
            path.display()
        );
    }
    // Replaced whole: a hard link to another file keeps that file as it was.
    crate::durable_file::replace(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The flags `apply` will ask for, for what the plan shows: re-invites,
/// deletion limits exceeded, new keys (whose secrets need a new file).
pub fn acknowledgements(plan: &crate::plan::Plan) -> Vec<String> {
    let mut flags = Vec::new();
    if plan.actions.iter().any(|a| a.is_reinvite()) {
        flags.push("--allow-reinvite".to_owned());
    }
    for ack in plan.blocks.iter().filter_map(|b| b.ack.as_ref()) {
        flags.push("--ack-deletes".into());
        flags.push(ack.clone());
    }
    if plan.creates_keys() {
        flags.push("--secrets-out".into());
        flags.push("new-keys.json".into());
    }
    flags
}

/// The command that applies a saved plan to the workspace it was made
/// against: the same target flags, the plan, the file it was made from,
/// and the acknowledgements the reviewed plan needs.
pub fn apply_command(settings: &Settings, plan: &Path, file: &Path, acks: &[String]) -> String {
    let mut words = vec!["instantly-rbac".to_owned()];
    words.extend(settings.target.flags());
    words.push("apply".into());
    words.push(not_a_flag(plan));
    words.push("-f".into());
    words.push(not_a_flag(file));
    words.extend(acks.iter().cloned());
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path as an argument that cannot be taken for a flag (`-p.json`).
fn not_a_flag(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.starts_with('-') {
        format!("./{shown}")
    } else {
        shown
    }
}

/// A word as a POSIX shell reads it back unchanged.
fn shell_quote(w: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c);
    if !w.is_empty() && w.chars().all(safe) {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// Plans every file concurrently, each through a client of its own (an
/// agency key reaches its sub-workspaces with `x-as-workspace`, and each
/// workspace has its own rate limiter, as limits are per workspace).
pub async fn plan_many(
    files: &[PathBuf],
    agency: &Client,
    progress: &Progress,
) -> anyhow::Result<(crate::api_types::Workspace, Vec<Outcome>)> {
    let (home, outcomes, _) = plan_many_with_group(files, agency, progress).await?;
    Ok((home, outcomes))
}

/// `plan_many`, with the agency's group when its own file declares
/// `workspace_group` (read with that plan, so no request more).
pub async fn plan_many_with_group(
    files: &[PathBuf],
    agency: &Client,
    progress: &Progress,
) -> anyhow::Result<(
    crate::api_types::Workspace,
    Vec<Outcome>,
    Option<crate::live_group::LiveGroup>,
)> {
    let home: crate::api_types::Workspace = agency.get("/workspaces/current", &[]).await?;
    // A task per workspace, so that parsing and planning use every core.
    let jobs: Vec<_> = files
        .iter()
        .map(|f| {
            let (f, agency, home) = (f.clone(), agency.clone(), home.clone());
            tokio::spawn(async move {
                let planned = plan_one(&f, &agency, &home).await;
                let group = planned
                    .as_ref()
                    .ok()
                    .filter(|p| p.plan.workspace.id == home.id)
                    .and_then(|p| p.group.clone());
                (
                    Outcome {
                        file: f.display().to_string(),
                        result: planned.map(|p| p.plan),
                    },
                    group,
                )
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut group = None;
    for (job, f) in jobs.into_iter().zip(files) {
        match job.await {
            Ok((o, g)) => {
                outcomes.push(o);
                group = group.or(g);
            }
            Err(e) => outcomes.push(Outcome {
                file: f.display().to_string(),
                result: Err(PlanError::Read {
                    path: f.display().to_string(),
                    source: std::io::Error::other(format!("planning stopped unexpectedly: {e}")),
                }),
            }),
        }
        progress.inc();
    }
    // One file per workspace: a second file for the same one is an error,
    // not a second plan added to the totals.
    let mut first: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for o in &mut outcomes {
        let Ok(plan) = &o.result else { continue };
        let id = plan.workspace.id.clone();
        if let Some(other) = first.get(&id) {
            o.result = Err(PlanError::SameWorkspace {
                path: o.file.clone(),
                other: other.clone(),
                id,
            });
        } else {
            first.insert(id, o.file.clone());
        }
    }
    Ok((home, outcomes, group))
}

async fn plan_one(
    path: &Path,
    agency: &Client,
    home: &crate::api_types::Workspace,
) -> Result<Planned, PlanError> {
    let file = pipeline::load(path)?;
    let Some(guard) = &file.config.workspace else {
        return Err(PlanError::Unbound { path: file.shown() });
    };
    if guard.id.value == home.id {
        // The agency's own workspace was read above: its guard holds.
        return pipeline::plan_in(agency, file, home.clone()).await;
    }
    let (path, id) = (file.shown(), guard.id.value.clone());
    let sub = agency.for_sub_workspace(&id);
    pipeline::plan(&sub, file).await.map_err(|e| match e {
        // The agency's own key read its workspace above: a 403 on reading
        // this one is about reach (x-as-workspace), not a missing scope.
        PlanError::Api(a)
            if a.path == "/workspaces/current"
                && matches!(a.kind, crate::api_error::ApiErrorKind::MissingScope(_)) =>
        {
            let crate::api_error::ApiErrorKind::MissingScope(detail) = a.kind else {
                unreachable!("matched above")
            };
            PlanError::Unreachable { path, id, detail }
        }
        e => e,
    })
}
