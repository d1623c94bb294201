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
        if args.diff {
            bail!("--diff shows one workspace: give a single -f FILE");
        }
        let progress = Progress::bar(
            progress::wanted(args.format == PlanFormat::Text, p),
            files.len(),
            "workspaces planned",
        );
        let mut loader = crate::config_extends::Loader::default();
        let (home, planned) = plan_each(&files, client, &progress, &mut loader).await?;
        progress.finish();
        for w in unused_bases(&args.files, &loader, args.shard.is_some()) {
            p.note(&w);
        }
        let base_errors =
            unused_base_errors(&args.files, &loader, args.shard.is_some(), p.err_color());
        for e in &base_errors {
            p.error(e);
        }
        if let Some(path) = &args.out {
            let saved =
                crate::saved_plan_multi::MultiPlan::new(&planned).covering(&args.files, args.shard);
            // Neither a workspace file nor a base may be overwritten.
            let desired: Vec<&Path> = files
                .iter()
                .map(PathBuf::as_path)
                .chain(
                    planned
                        .iter()
                        .filter_map(|(_, r)| r.as_ref().ok())
                        .flat_map(|p| p.file.bases.iter().map(|b| b.path.as_path())),
                )
                .collect();
            write_plan_file(path, &desired, settings, &saved.to_json())?;
            p.note(&format!(
                "Saved the plans of {} workspaces to {}; apply exactly them with `{}`.",
                saved.workspaces.len(),
                path.display(),
                apply_command(settings, path, None, &many_acknowledgements(&planned))
            ));
        }
        let group = agency_group(&planned, &home);
        let outcomes = outcomes(planned);
        p.out(&render_multi::render_agency(
            &outcomes,
            &home,
            args.format,
            p.color(),
            group.as_ref(),
        ));
        if base_errors.is_empty() {
            render_multi::status(&outcomes)
        } else {
            ExitStatus::Error
        }
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
        let planned = pipeline::plan_path_reached(client, &file).await;
        progress.finish();
        match planned {
            Ok((_, planned)) => one(&planned, &args, settings, p)?,
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
        let saved = SavedPlan::of(
            plan,
            live,
            group.as_ref(),
            &file.shown(),
            &file.digest_input(),
        );
        // Neither the workspace file nor a base it extends may be overwritten.
        let desired: Vec<&Path> = std::iter::once(file.path.as_path())
            .chain(file.bases.iter().map(|b| b.path.as_path()))
            .collect();
        write_plan_file(path, &desired, settings, &saved.to_json())?;
        p.note(&format!(
            "Saved the plan to {}; apply exactly it with `{}`.",
            path.display(),
            apply_command(settings, path, Some(&file.path), &acknowledgements(plan))
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
    desired: &[&Path],
    settings: &Settings,
    text: &str,
) -> anyhow::Result<()> {
    let mut inputs: Vec<(&Path, &str)> = desired
        .iter()
        .map(|d| (*d, "the desired-state file given with -f"))
        .collect();
    inputs.extend(
        crate::output_path::sandbox_state(settings).map(|st| (st, "the sandbox state file")),
    );
    crate::output_path::check_not_an_input("--out", path, &inputs, "the plan")?;
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
/// against: the same target flags, the plan, the file it was made from
/// (none for a plan of several workspaces: each entry records its own),
/// and the acknowledgements the reviewed plan needs.
pub fn apply_command(
    settings: &Settings,
    plan: &Path,
    file: Option<&Path>,
    acks: &[String],
) -> String {
    let mut words = vec!["instantly-rbac".to_owned()];
    words.extend(settings.target.flags());
    words.push("apply".into());
    words.push(not_a_flag(plan));
    if let Some(file) = file {
        words.push("-f".into());
        words.push(not_a_flag(file));
    }
    words.extend(acks.iter().cloned());
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The flags applying several workspaces' plans needs: each workspace's,
/// once.
fn many_acknowledgements(planned: &[(String, Result<Planned, PlanError>)]) -> Vec<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for p in planned.iter().filter_map(|(_, r)| r.as_ref().ok()) {
        let mut words = acknowledgements(&p.plan).into_iter();
        while let Some(flag) = words.next() {
            let takes_value = matches!(flag.as_str(), "--ack-deletes" | "--secrets-out");
            let mut group = vec![flag];
            if takes_value {
                group.extend(words.next());
            }
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    groups.concat()
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
pub(crate) fn shell_quote(w: &str) -> String {
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
    let mut loader = crate::config_extends::Loader::default();
    let (home, planned) = plan_each(files, agency, progress, &mut loader).await?;
    Ok((home, outcomes(planned)))
}

/// The agency's group, when its own file is among those planned and
/// declares `workspace_group` (read with that plan, so no request more).
pub fn agency_group(
    planned: &[(String, Result<Planned, PlanError>)],
    home: &crate::api_types::Workspace,
) -> Option<crate::live_group::LiveGroup> {
    planned
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter(|p| p.plan.workspace.id == home.id)
        .find_map(|p| p.group.clone())
}

/// A run's plans as the report shows them.
pub fn outcomes(planned: Vec<(String, Result<Planned, PlanError>)>) -> Vec<Outcome> {
    planned
        .into_iter()
        .map(|(file, result)| Outcome {
            file,
            result: result.map(|p| p.plan),
        })
        .collect()
}

/// `plan_many` with what each plan was made from: the files are loaded
/// first, one after the other, so that `loader` reads each base once and
/// reports its errors once; then planned concurrently.
pub async fn plan_each(
    files: &[PathBuf],
    agency: &Client,
    progress: &Progress,
    loader: &mut crate::config_extends::Loader,
) -> anyhow::Result<(
    crate::api_types::Workspace,
    Vec<(String, Result<Planned, PlanError>)>,
)> {
    let home: crate::api_types::Workspace = agency.get("/workspaces/current", &[]).await?;
    let mut loaded: Vec<Result<pipeline::LoadedFile, PlanError>> = files
        .iter()
        .map(|f| pipeline::load_with(f, loader))
        .collect();
    refuse_shared_workspaces(&mut loaded);
    // A task per workspace, so that planning uses every core.
    let jobs: Vec<_> = loaded
        .into_iter()
        .map(|file| {
            let (agency, home) = (agency.clone(), home.clone());
            tokio::spawn(async move { plan_one(file?, &agency, &home).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for (job, f) in jobs.into_iter().zip(files) {
        let shown = f.display().to_string();
        let result = job.await.unwrap_or_else(|e| {
            Err(PlanError::Read {
                path: shown.clone(),
                source: std::io::Error::other(format!("planning stopped unexpectedly: {e}")),
            })
        });
        outcomes.push((shown, result));
        progress.inc();
    }
    contradictions(&mut outcomes);
    Ok((home, outcomes))
}

/// A directory that contradicts itself: the agency's file removes a
/// sub-workspace from its group while another file of the run manages that
/// workspace (the agency would lose the access that file needs). A warning
/// on the agency's plan, so that the PR comment shows it.
fn contradictions(outcomes: &mut [(String, Result<Planned, PlanError>)]) {
    use crate::plan::{Op, State};
    let files: std::collections::HashMap<String, String> = outcomes
        .iter()
        .filter_map(|(f, r)| {
            r.as_ref()
                .ok()
                .map(|p| (p.plan.workspace.id.to_lowercase(), f.clone()))
        })
        .collect();
    for (_, result) in outcomes.iter_mut() {
        let Ok(planned) = result else { continue };
        let warnings: Vec<String> = planned
            .plan
            .actions
            .iter()
            .filter(|a| a.op == Op::Delete)
            .filter_map(|a| match &a.before {
                Some(State::SubWorkspace(s)) => files
                    .get(&s.sub_workspace_id.to_lowercase())
                    .map(|other| (a, other)),
                _ => None,
            })
            .map(|(a, other)| {
                format!(
                    "{} is removed from the group, but {other} in this run manages that workspace: the agency would lose the access that file needs; declare it under workspace_group, or remove {other}",
                    a.address
                )
            })
            .collect();
        planned.plan.warnings.extend(warnings);
    }
}

/// One file per workspace: when several files declare the same
/// `workspace.id` (compared without case, as the API's uuids are), every
/// one of them is refused before anything is planned, never the first in
/// sort order kept (`a-globex.yaml` would otherwise win over `globex.yaml`).
fn refuse_shared_workspaces(loaded: &mut [Result<pipeline::LoadedFile, PlanError>]) {
    let mut by_id: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, f) in loaded.iter().enumerate() {
        if let Ok(f) = f
            && let Some(g) = &f.config.workspace
        {
            by_id.entry(g.id.value.to_lowercase()).or_default().push(i);
        }
    }
    for (id, files) in by_id.into_iter().filter(|(_, v)| v.len() > 1) {
        let shown: Vec<String> = files
            .iter()
            .map(|&i| loaded[i].as_ref().map(|f| f.shown()).unwrap_or_default())
            .collect();
        for (n, &i) in files.iter().enumerate() {
            let others: Vec<&str> = shown
                .iter()
                .enumerate()
                .filter(|&(m, _)| m != n)
                .map(|(_, s)| s.as_str())
                .collect();
            loaded[i] = Err(PlanError::SameWorkspace {
                path: shown[n].clone(),
                other: others.join(", "),
                id: id.clone(),
            });
        }
    }
}

/// The client for the workspace a file is for: the agency's own, or a
/// sub-workspace reached with `x-as-workspace`.
pub fn client_for(agency: &Client, home: &crate::api_types::Workspace, id: &str) -> Client {
    if id == home.id {
        agency.clone()
    } else {
        agency.for_sub_workspace(id)
    }
}

async fn plan_one(
    file: pipeline::LoadedFile,
    agency: &Client,
    home: &crate::api_types::Workspace,
) -> Result<Planned, PlanError> {
    let Some(guard) = &file.config.workspace else {
        return Err(PlanError::Unbound { path: file.shown() });
    };
    if guard.id.value.eq_ignore_ascii_case(&home.id) {
        // The agency's own workspace was read above: its guard holds.
        return pipeline::plan_in(agency, file, home.clone()).await;
    }
    let (path, id) = (file.shown(), guard.id.value.to_ascii_lowercase());
    let sub = agency.for_sub_workspace(&id);
    pipeline::plan(&sub, file).await.map_err(|e| match e {
        // The agency's own key read its workspace above: a 403 on reading
        // this one is about reach (x-as-workspace), not a missing scope.
        PlanError::Api(a) => match &a.kind {
            crate::api_error::ApiErrorKind::MissingScope(detail)
                if a.path == "/workspaces/current" =>
            {
                PlanError::Unreachable {
                    path,
                    id,
                    detail: detail.clone(),
                }
            }
            _ => PlanError::Api(a),
        },
        e => e,
    })
}

/// Warnings for the bases of the directories given that no workspace of
/// the run extends (`None` when the run is a shard: the others may).
pub fn unused_bases(
    paths: &[PathBuf],
    loader: &crate::config_extends::Loader,
    sharded: bool,
) -> Vec<String> {
    if sharded {
        return Vec::new();
    }
    workspace_files::skipped(paths)
        .into_iter()
        .chain(
            workspace_files::bases(paths)
                .into_iter()
                .filter(|b| !loader.is_used(b))
                .map(|b| {
                    format!(
                        "warning: {}: no workspace file extends this base",
                        escape::terminal(&b.display().to_string())
                    )
                }),
        )
        .collect()
}

/// The errors of the bases of the directories given that no workspace of
/// the run extends, rendered: a workspace file renamed `_client.yaml` is
/// not planned, and must not pass as a mere unused base (its `workspace`
/// is an error in a base). Bases some workspace extends were checked with
/// it. Empty for a shard, whose others may extend them.
pub fn unused_base_errors(
    paths: &[PathBuf],
    loader: &crate::config_extends::Loader,
    sharded: bool,
    color: bool,
) -> Vec<String> {
    if sharded {
        return Vec::new();
    }
    workspace_files::bases(paths)
        .into_iter()
        .filter(|b| !loader.is_used(b))
        .filter_map(|b| match crate::commands::validate::check_base(&b) {
            Ok((r, _)) if r.errors.iter().any(|d| !d.warning) => Some(r.render(color)),
            Ok(_) => None,
            Err(e) => Some(e.render(color)),
        })
        .collect()
}
