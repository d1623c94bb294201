//! `apply`: a fresh plan (asked for `yes`) or a saved plan (verified by
//! planning its desired file again), every limit checked before the first
//! write, then the applier, a report, and the exit status.

use crate::applier::{self, ApplyReport};
use crate::client::Client;
use crate::commands::plan;
use crate::output::{ExitStatus, Printer};
use crate::pipeline::{self, PlanError};
use crate::plan::{Kind, Plan};
use crate::saved_plan::{self, SavedPlan, SavedPlanError};
use crate::saved_plan_multi::MultiPlan;
use crate::secret_sink::{SecretSink, SecretsCmd};
use crate::secrets_out::SecretsOut;
use crate::stop_signal::StopSignal;
use crate::{escape, progress, render_text, safety};
use anyhow::{Context as _, bail};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

/// Plans `file` and applies the plan.
pub async fn fresh(
    file: &Path,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    if file.is_dir() {
        return fresh_many(file, opts, client, p).await;
    }
    match pipeline::plan_path_reached(client, file).await {
        Ok((client, planned)) => {
            if let Some(w) = planned.file.plan_warnings(p.err_color()) {
                p.note(&w);
            }
            execute(&planned.plan, opts, &client, p).await
        }
        Err(e) => {
            p.error(&e.render(p.err_color()));
            Ok(ExitStatus::Error)
        }
    }
}

/// The largest saved plan read: room for tens of thousands of actions.
const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;

/// Applies a saved plan after verifying it: the desired file it was made
/// from (`file`, else the path it records) is loaded and planned again
/// against the live workspace, and only a plan whose actions all equal the
/// saved ones is applied — the recomputed one, with its own blocks.
pub async fn saved(
    path: &Path,
    file: Option<&Path>,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let shown = path.display().to_string();
    let bytes = pipeline::read_bounded(path, MAX_PLAN_BYTES, "a saved plan")
        .with_context(|| format!("cannot read the plan {shown}"))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{shown} is not a plan file written by `plan --out`"))?;
    if let Some(multi) = MultiPlan::parse(&shown, &text) {
        if file.is_some() {
            bail!(
                "{shown} holds the plans of several workspaces, each with the file it was made from: drop -f; nothing was changed"
            );
        }
        return saved_many(&shown, multi?, opts, client, p).await;
    }
    let saved = SavedPlan::parse(&shown, &text)?;
    Ok(saved_one(&shown, saved, file, opts, client, p).await?.0)
}

/// Verifies one workspace's saved plan and applies it; with the number of
/// actions it had.
async fn saved_one(
    shown: &str,
    saved: SavedPlan,
    file: Option<&Path>,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<(ExitStatus, usize)> {
    match verify(shown, saved, file, client, p, true).await {
        Ok((client, planned)) => {
            let n = planned.plan.actions.len();
            Ok((execute(&planned.plan, opts, &client, p).await?, n))
        }
        Err(Refused::Shown(text)) => {
            p.error(&text);
            Ok((ExitStatus::Error, 0))
        }
        Err(Refused::Error(e)) => Err(e),
    }
}

/// Why a saved plan does not hold: a report already rendered (located file
/// errors, the objects that changed), or an error.
enum Refused {
    Shown(String),
    Error(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Refused {
    fn from(e: E) -> Refused {
        Refused::Error(e.into())
    }
}

/// Loads a saved plan's desired file, plans it again against the live
/// workspace and returns the recomputed plan when every saved action
/// equals it. `may_name_file`: whether the run could have named the file
/// with -f (not for a plan of several workspaces).
async fn verify(
    shown: &str,
    saved: SavedPlan,
    file: Option<&Path>,
    client: &Client,
    p: &Printer,
    may_name_file: bool,
) -> Result<(Client, pipeline::Planned), Refused> {
    let shown = shown.to_owned();
    let (desired_path, desired_shown) = match file {
        Some(f) => (f.to_owned(), f.display().to_string()),
        None => {
            let recorded = saved_plan::printable(&saved.desired.path);
            let other = if may_name_file {
                " (-f FILE names another)"
            } else {
                ""
            };
            p.note(&format!(
                "note: checking {shown} against {recorded}, the desired file it records{other}"
            ));
            (PathBuf::from(&saved.desired.path), recorded)
        }
    };
    let bytes = match pipeline::read(&desired_path) {
        Ok(bytes) => bytes,
        Err(PlanError::Read { source, .. }) if file.is_none() => {
            return Err(SavedPlanError::NoDesiredFile {
                plan: shown,
                file: desired_shown,
                error: source.to_string(),
            }
            .into());
        }
        Err(e) => return Err(Refused::Shown(e.render(p.err_color()))),
    };
    // Before anything of the file is shown: a forged plan can name any
    // file on the machine (`/proc/self/environ`) as its desired file.
    let desired = if saved_plan::sha256_hex(&bytes) == saved.desired.sha256 {
        pipeline::parse(&desired_path, bytes)
    } else {
        // A file that extends bases: the digest covers them too, so the
        // file is loaded (quietly) to read them; a mismatch shows nothing.
        match pipeline::parse(&desired_path, bytes) {
            Ok(f) if !f.bases.is_empty() && f.sha256 == saved.desired.sha256 => Ok(f),
            parsed => {
                // Name the bases too: the change may be in one of them.
                let bases: Vec<String> = parsed
                    .map(|f| f.bases.iter().map(|b| escape::terminal(&b.shown)).collect())
                    .unwrap_or_default();
                let file = if bases.is_empty() {
                    desired_shown
                } else {
                    format!("{desired_shown} with its bases {}", bases.join(", "))
                };
                return Err(SavedPlanError::OtherFile { plan: shown, file }.into());
            }
        }
    };
    let desired = match desired {
        Ok(desired) => {
            if let Some(w) = desired.plan_warnings(p.err_color()) {
                p.note(&w);
            }
            desired
        }
        Err(e) => return Err(Refused::Shown(e.render(p.err_color()))),
    };
    let (client, workspace) = match pipeline::reach(client, &desired).await {
        Ok(reached) => reached,
        Err(e) => return Err(Refused::Shown(e.render(p.err_color()))),
    };
    if workspace.id != saved.plan.workspace.id {
        return Err(SavedPlanError::OtherWorkspace {
            plan: shown,
            planned: saved.plan.workspace.id.clone(),
            now: workspace.id,
        }
        .into());
    }
    let planned = match pipeline::plan_in(&client, desired, workspace).await {
        Ok(planned) => planned,
        Err(e) => return Err(Refused::Shown(e.render(p.err_color()))),
    };
    let changed = saved.changed_in(&planned.live, planned.group.as_ref());
    if !changed.is_empty() {
        return Err(Refused::Shown(render_text::render_changed(&changed)));
    }
    if let Some(difference) = saved_plan::difference(&saved.plan.actions, &planned.plan.actions) {
        return Err(SavedPlanError::Differs {
            file: desired_shown,
            difference,
        }
        .into());
    }
    Ok((client, planned))
}

/// How `apply` may proceed, from its flags.
#[derive(Clone)]
pub struct ApplyOptions {
    pub ask: bool,
    /// Applying a saved plan (not a fresh one).
    pub saved: bool,
    pub secrets_out: Option<PathBuf>,
    pub secrets_append: bool,
    pub secrets_cmd: Option<String>,
    /// How long `secrets_cmd` may run for one key.
    pub secrets_cmd_timeout: std::time::Duration,
    pub acks: Vec<(Kind, usize)>,
    pub allow_reinvite: bool,
}

impl ApplyOptions {
    /// The options for one workspace of several: `--ack-deletes` counts
    /// are one workspace's, so an acknowledgement applies to the
    /// workspaces whose plan is blocked on its kind (and must match their
    /// count exactly), never to refuse the others.
    fn for_blocks(&self, blocks: &[safety::Block]) -> ApplyOptions {
        ApplyOptions {
            acks: self
                .acks
                .iter()
                .filter(|(kind, _)| blocks.iter().any(|b| b.kind == Some(*kind)))
                .copied()
                .collect(),
            ..self.clone()
        }
    }

    /// After one workspace of several applied `actions`: once the secrets
    /// file is one this tool wrote (this run, or an earlier one it added
    /// to), the next workspaces add to it. Not when it was refused (another
    /// program's file): adding to that is as wrong for the next workspace.
    fn secrets_continue(&mut self, actions: usize) {
        if actions > 0 && self.secrets_out.as_deref().is_some_and(SecretsOut::is_own) {
            self.secrets_append = true;
        }
    }

    /// Everything that would stop the apply, checked before any write.
    fn refusal(&self, plan: &Plan) -> Option<String> {
        if let Err(e) = safety::check_acks(&plan.actions, &plan.blocks, &self.acks) {
            return Some(e);
        }
        let reinvites: Vec<&str> = plan
            .actions
            .iter()
            .filter(|a| a.is_reinvite())
            .map(|a| a.address.as_str())
            .collect();
        // A re-invite with a permission this tool does not know is one of
        // the plan's blocks (`safety`), refused above as `plan` shows it.
        if !reinvites.is_empty() && !self.allow_reinvite {
            return Some(format!(
                "the plan re-invites {} (a permission change, or a rejected sub-workspace invitation), which removes their access until they accept again: review it, then pass --allow-reinvite",
                reinvites.join(", ")
            ));
        }
        if plan.creates_keys() && self.secrets_out.is_none() && self.secrets_cmd.is_none() {
            return Some("this plan creates API keys, whose secrets are shown only once: pass --secrets-out FILE or --secrets-cmd CMD".into());
        }
        None
    }

    /// Where new keys' secrets go, with the intents recorded before each key
    /// create in the working directory (where `plan` reads them).
    fn sink(
        &self,
        workspace: &crate::plan::WorkspaceRef,
        p: &Printer,
    ) -> anyhow::Result<Option<SecretSink>> {
        let owner = crate::secrets_out::KeyWorkspace {
            id: workspace.id.clone(),
            name: workspace.name.clone(),
        };
        let intents =
            crate::intents::Journal::new(std::path::Path::new(crate::intents::DIR).into());
        if let Some(cmd) = &self.secrets_cmd {
            return Ok(Some(
                SecretSink::command(SecretsCmd {
                    command: cmd.clone(),
                    recovery_dir: std::env::current_dir()?,
                    timeout: self.secrets_cmd_timeout,
                })
                .for_workspace(owner)
                .with_intents(intents),
            ));
        }
        let Some(path) = &self.secrets_out else {
            return Ok(None);
        };
        let file = if self.secrets_append {
            SecretsOut::append(path)
        } else {
            SecretsOut::create(path)
        };
        let file =
            file.with_context(|| format!("cannot open the secrets file {}", path.display()))?;
        if file.reused() {
            p.note(&format!(
                "note: adding to {}, written by an earlier run",
                path.display()
            ));
        }
        Ok(Some(
            SecretSink::file(file)
                .for_workspace(owner)
                .with_intents(intents),
        ))
    }
}

/// Shows the plan, checks every limit, asks (when `opts.ask`), and applies
/// it as it is. Ctrl-C, SIGTERM or SIGHUP lets the actions in flight
/// finish (their secrets are delivered) and starts no other.
async fn execute(
    plan: &Plan,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    p.out(&render_text::render(
        plan,
        &render_text::Paint { color: p.color() },
    ));
    if plan.is_empty() {
        // Nothing to do: earlier runs' intents for this workspace are moot.
        if let Err(e) =
            crate::intents::Journal::new(crate::intents::DIR.into()).settle_all(&plan.workspace.id)
        {
            p.note(&format!(
                "warning: earlier intents could not be settled: {e}"
            ));
        }
        return Ok(ExitStatus::Success);
    }
    if let Some(why) = opts.refusal(plan) {
        bail!("{why}; nothing was changed");
    }
    if opts.ask && !confirm(opts.saved, p)? {
        p.error("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Error);
    }
    let mut sink = opts.sink(&plan.workspace, p)?;
    let signal = StopSignal::watch(p);
    let progress =
        progress::Progress::actions(progress::wanted(true, p), plan.actions.len(), "applying");
    let report = applier::apply_counting(
        client,
        plan,
        sink.as_mut(),
        Some(signal.stop.clone()),
        &progress.counter(),
    )
    .await;
    progress.finish();
    p.out(&render_report(
        &report,
        sink.as_ref().map(SecretSink::describe),
    ));
    Ok(if report.interrupted {
        signal.status()
    } else if report.ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}

/// Asks on the terminal; refuses to guess when nobody is there to answer.
fn confirm(saved: bool, p: &Printer) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        let how = if saved {
            "drop --confirm (a saved plan was reviewed when it was made)"
        } else {
            "review the plan and pass --auto-approve"
        };
        bail!(
            "apply is not running in a terminal, so it cannot ask for confirmation: {how}; nothing was changed"
        );
    }
    p.prompt("\nDo you want to apply these changes? Only 'yes' is accepted: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// What became of one workspace of a run over several.
struct Done {
    file: String,
    /// `name (id)`, when known.
    workspace: Option<String>,
    outcome: Result<usize, String>,
}

/// Plans every workspace file of `dir` and applies each plan on its own:
/// one workspace's failure does not stop the others.
async fn fresh_many(
    dir: &Path,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    if opts.ask && !std::io::stdin().is_terminal() {
        // Refused once, before any workspace is read, not once per workspace.
        bail!(
            "apply is not running in a terminal, so it cannot ask for confirmation: review the plans and pass --auto-approve; nothing was changed"
        );
    }
    let (files, _) = crate::workspace_files::expand(&[dir.to_owned()])?;
    let progress =
        progress::Progress::bar(progress::wanted(true, p), files.len(), "workspaces planned");
    let mut loader = crate::config_extends::Loader::default();
    let (home, planned) = plan::plan_each(&files, client, &progress, &mut loader).await?;
    progress.finish();
    for w in plan::unused_bases(&[dir.to_owned()], &loader, false) {
        p.note(&w);
    }
    let base_errors = plan::unused_base_errors(&[dir.to_owned()], &loader, false, p.err_color());
    if !base_errors.is_empty() {
        for e in &base_errors {
            p.error(e);
        }
        bail!(
            "{}: a base no workspace file extends has errors (a workspace file named `_*.yaml` is taken for a base); nothing was changed",
            escape::terminal(&dir.display().to_string())
        );
    }
    let mut opts = opts.clone();
    let mut done = Vec::new();
    let mut status = ExitStatus::Success;
    for (file, result) in planned {
        p.out(&format!("── {} ──\n", escape::terminal(&file)));
        let planned = match result {
            Ok(planned) => planned,
            Err(e) => {
                p.error(&e.render(p.err_color()));
                done.push(Done {
                    file,
                    workspace: None,
                    outcome: Err(first_line(&e.text())),
                });
                status = status.worst(ExitStatus::Error);
                continue;
            }
        };
        if let Some(w) = planned.file.plan_warnings(p.err_color()) {
            p.note(&w);
        }
        let c = plan::client_for(client, &home, &planned.plan.workspace.id);
        let n = planned.plan.actions.len();
        let result = execute(&planned.plan, &opts.for_blocks(&planned.plan.blocks), &c, p).await;
        opts.secrets_continue(n);
        let stop = record(
            &mut done,
            &mut status,
            file,
            Some(&planned.plan.workspace),
            n,
            result,
            p,
        );
        if stop {
            break;
        }
    }
    p.out(&render_many(&done));
    Ok(status)
}

/// Verifies every workspace of a saved plan of several, then applies each
/// on its own. If any workspace's plan no longer holds (an edited entry,
/// drift, a changed file), nothing is applied: a reviewed plan is applied
/// whole or not at all. A failure *during* the apply of one workspace does
/// not stop the others.
async fn saved_many(
    shown: &str,
    multi: MultiPlan,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    if let Some(problem) = multi.coverage_problem() {
        bail!(
            "{shown}: {problem}; a reviewed plan is applied whole or not at all, so nothing was changed: run plan --out again and review it"
        );
    }
    let home: crate::api_types::Workspace = client.get("/workspaces/current", &[]).await?;
    let mut verified = Vec::new();
    let mut refused: Vec<(String, String)> = Vec::new();
    for entry in &multi.workspaces {
        let saved = match entry.saved(shown) {
            Ok(saved) => saved,
            Err(e) => {
                let text = escape::terminal(&e.to_string());
                refused.push((entry.file.clone(), format!("error: {text}")));
                continue;
            }
        };
        let workspace = saved.plan.workspace.clone();
        let c = plan::client_for(client, &home, &workspace.id);
        match verify(shown, saved, None, &c, p, false).await {
            Ok((c, planned)) => verified.push((entry.file.clone(), workspace, c, planned)),
            Err(Refused::Shown(text)) => refused.push((entry.file.clone(), text)),
            Err(Refused::Error(e)) => refused.push((
                entry.file.clone(),
                format!("error: {}", escape::terminal(&format!("{e:#}"))),
            )),
        }
    }
    if !refused.is_empty() {
        for (file, text) in &refused {
            p.error(&format!("── {} ──\n{text}", escape::terminal(file)));
        }
        let files: Vec<String> = refused.iter().map(|(f, _)| escape::terminal(f)).collect();
        bail!(
            "{shown}: the plan of {} of its {} workspaces no longer holds ({}); a reviewed plan is applied whole or not at all, so nothing was changed: run plan --out again and review it",
            refused.len(),
            multi.workspaces.len(),
            files.join(", ")
        );
    }
    let mut opts = opts.clone();
    let mut done = Vec::new();
    let mut status = ExitStatus::Success;
    for (file, workspace, c, planned) in verified {
        p.out(&format!("── {} ──\n", escape::terminal(&file)));
        let n = planned.plan.actions.len();
        let scoped = opts.for_blocks(&planned.plan.blocks);
        let result = execute(&planned.plan, &scoped, &c, p).await;
        opts.secrets_continue(n);
        let stop = record(&mut done, &mut status, file, Some(&workspace), n, result, p);
        if stop {
            break;
        }
    }
    for f in &multi.failed {
        let text = escape::terminal(&f.error);
        done.push(Done {
            file: f.file.clone(),
            workspace: None,
            outcome: Err(format!(
                "not planned when the plan was made: {}",
                first_line(&text)
            )),
        });
        status = status.worst(ExitStatus::Error);
    }
    p.out(&render_many(&done));
    Ok(status)
}

/// Records one workspace's apply; `true` when a signal stopped it, so that
/// no further workspace starts.
fn record(
    done: &mut Vec<Done>,
    status: &mut ExitStatus,
    file: String,
    workspace: Option<&crate::plan::WorkspaceRef>,
    actions: usize,
    result: anyhow::Result<ExitStatus>,
    p: &Printer,
) -> bool {
    let workspace = workspace.map(|w| format!("{} ({})", w.name, w.id));
    let (outcome, this) = match result {
        Ok(ExitStatus::Success) => (Ok(actions), ExitStatus::Success),
        Ok(ExitStatus::Error) => (
            Err("apply failed (see above)".to_owned()),
            ExitStatus::Error,
        ),
        Ok(stopped) => (Err("stopped by a signal".to_owned()), stopped),
        Err(e) => {
            let text = escape::terminal(&format!("{e:#}"));
            p.error(&format!("error: {text}"));
            (Err(first_line(&text)), ExitStatus::Error)
        }
    };
    done.push(Done {
        file,
        workspace,
        outcome,
    });
    *status = status.worst(this);
    !matches!(this, ExitStatus::Success | ExitStatus::Error)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

/// The summary of a run over several workspaces: which applied, which
/// failed, which had nothing to do.
fn render_many(done: &[Done]) -> String {
    use std::fmt::Write as _;
    let applied = done
        .iter()
        .filter(|d| matches!(d.outcome, Ok(n) if n > 0))
        .count();
    let nothing = done.iter().filter(|d| d.outcome == Ok(0)).count();
    let failed = done.len() - applied - nothing;
    let mut s = format!(
        "\nSummary of {} workspace{}: {applied} applied, {nothing} with nothing to do, {failed} failed.\n",
        done.len(),
        if done.len() == 1 { "" } else { "s" }
    );
    for d in done {
        let what = match &d.outcome {
            Ok(0) => "nothing to do".to_owned(),
            Ok(n) => format!("applied ({n} action{})", if *n == 1 { "" } else { "s" }),
            Err(e) => format!("failed: {e}"),
        };
        let ws = d
            .workspace
            .as_deref()
            // Two spaces after the file, as the plan's summary has.
            .map(|w| format!("  {}", escape::terminal(w)))
            .unwrap_or_default();
        let _ = writeln!(s, "  {}{ws}: {what}", escape::terminal(&d.file));
    }
    s
}

pub fn render_report(r: &ApplyReport, secrets: Option<String>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if r.ok() {
        let _ = writeln!(
            s,
            "\nApply complete: {} action{} applied.",
            r.applied.len(),
            if r.applied.len() == 1 { "" } else { "s" }
        );
    } else {
        let _ = writeln!(
            s,
            "\nApply {}: {} applied, {} failed, {} not attempted.",
            if r.interrupted {
                "interrupted"
            } else {
                "failed"
            },
            r.applied.len(),
            r.failed.len(),
            r.not_attempted.len()
        );
    }
    if !r.keys_created.is_empty() {
        let sink = secrets.unwrap_or_else(|| "(nowhere)".into());
        let _ = writeln!(
            s,
            "{} new API key secret{} {sink}.",
            r.keys_created.len(),
            if r.keys_created.len() == 1 { "" } else { "s" }
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {}", crate::escape::terminal(n));
    }
    if !r.ok() {
        let failed: Vec<String> = r
            .failed
            .iter()
            .map(|f| format!("{}: {}", f.address, f.error))
            .collect();
        s.push('\n');
        for (heading, mark, items) in [
            ("Applied", "✓", &r.applied),
            ("Failed", "✗", &failed),
            ("Not attempted", "·", &r.not_attempted),
        ] {
            if !items.is_empty() {
                let _ = writeln!(s, "{heading}:");
                for a in items {
                    let _ = writeln!(s, "  {mark} {}", crate::escape::terminal(a));
                }
            }
        }
        let _ = writeln!(s, "\nRun plan again: it shows exactly what remains.");
    }
    s
}
