//! `apply`: a fresh plan (asked for `yes`) or a saved plan (checked
//! against the live workspace first), every limit checked before the first
//! write, then the applier, a report, and the exit status.

use crate::applier::{self, ApplyReport};
use crate::client::Client;
use crate::output::{ExitStatus, Printer};
use crate::pipeline;
use crate::plan::{Kind, Plan};
use crate::saved_plan::{self, SavedPlan, SavedPlanError};
use crate::secret_sink::{SecretSink, SecretsCmd};
use crate::secrets_out::SecretsOut;
use crate::{live, progress, render_text, safety};
use anyhow::{Context as _, bail};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Plans `file` and applies the plan.
pub async fn fresh(
    file: &Path,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    match pipeline::plan_path(client, file).await {
        Ok(planned) => execute(&planned.plan, opts, client, p).await,
        Err(e) => {
            p.error(&e.render(p.err_color()));
            Ok(ExitStatus::Error)
        }
    }
}

/// Applies a saved plan exactly, after checking that nothing it touches
/// changed since it was made.
pub async fn saved(
    path: &Path,
    file: Option<&Path>,
    opts: &ApplyOptions,
    client: &Client,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the plan {shown}"))?;
    let saved = SavedPlan::parse(&shown, &text)?;
    if let Some(f) = file {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        if saved_plan::sha256_hex(&bytes) != saved.desired.sha256 {
            return Err(SavedPlanError::OtherFile {
                plan: shown,
                file: f.display().to_string(),
            }
            .into());
        }
    }
    let current: crate::api_types::Workspace = client.get("/workspaces/current", &[]).await?;
    if current.id != saved.plan.workspace.id {
        return Err(SavedPlanError::OtherWorkspace {
            plan: shown,
            planned: saved.plan.workspace.id.clone(),
            now: current.id,
        }
        .into());
    }
    let live = live::read_lists(client, current, saved.needs()).await?;
    let changed = saved.changed(&live);
    if !changed.is_empty() {
        p.error(&render_text::render_changed(&changed));
        return Ok(ExitStatus::Error);
    }
    execute(&saved.plan, opts, client, p).await
}

/// How `apply` may proceed, from its flags.
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
        if !reinvites.is_empty() && !self.allow_reinvite {
            return Some(format!(
                "the plan re-invites {} (a permission change), which removes their access until they accept again: review it, then pass --allow-reinvite",
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
    fn sink(&self, p: &Printer) -> anyhow::Result<Option<SecretSink>> {
        let intents =
            crate::intents::Journal::new(std::path::Path::new(crate::intents::DIR).into());
        if let Some(cmd) = &self.secrets_cmd {
            return Ok(Some(
                SecretSink::command(SecretsCmd {
                    command: cmd.clone(),
                    recovery_dir: std::env::current_dir()?,
                    timeout: self.secrets_cmd_timeout,
                })
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
        Ok(Some(SecretSink::file(file).with_intents(intents)))
    }
}

/// What stopped an apply early, as the signal watcher records it.
const RUNNING: u8 = 0;
const INTERRUPTED: u8 = 1;
const TERMINATED: u8 = 2;

/// Shows the plan, checks every limit, asks (when `opts.ask`), and applies
/// it as it is. Ctrl-C or SIGTERM lets the actions in flight finish (their
/// secrets are delivered) and starts no other.
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
        return Ok(ExitStatus::Success);
    }
    if let Some(why) = opts.refusal(plan) {
        bail!("{why}; nothing was changed");
    }
    if opts.ask && !confirm(opts.saved, p)? {
        p.error("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Error);
    }
    let mut sink = opts.sink(p)?;
    let signal = Arc::new(AtomicU8::new(RUNNING));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn(watch_signals(signal.clone(), stop.clone(), p.clone()));
    let progress = progress::Progress::requests(progress::wanted(true, p), client, "applying");
    let report = applier::apply(client, plan, sink.as_mut(), Some(stop)).await;
    progress.finish();
    watcher.abort();
    p.out(&render_report(
        &report,
        sink.as_ref().map(SecretSink::describe),
    ));
    Ok(if report.interrupted {
        match signal.load(Ordering::SeqCst) {
            TERMINATED => ExitStatus::Terminated,
            _ => ExitStatus::Interrupted,
        }
    } else if report.ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}

/// Waits for Ctrl-C or SIGTERM and asks the applier to stop starting work.
async fn watch_signals(
    signal: Arc<AtomicU8>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    p: Printer,
) {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    let which = tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if r.is_err() {
                std::future::pending::<()>().await;
            }
            INTERRUPTED
        }
        () = term => TERMINATED,
    };
    signal.store(which, Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    p.note("Interrupted: finishing the requests in flight, starting no new ones…");
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
        let _ = writeln!(s, "note: {n}");
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
                    let _ = writeln!(s, "  {mark} {a}");
                }
            }
        }
        let _ = writeln!(s, "\nRun plan again: it shows exactly what remains.");
    }
    s
}
