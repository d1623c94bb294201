//! The commands: load, connect, read, plan, render, apply. Returns the
//! process exit code so tests can drive it.

use crate::apply_command::{ApplyOptions, apply, apply_saved};
use crate::cli::{Cli, Command, PlanFormat, ValidateFormat};
use crate::client::Client;
use crate::config::Config;
use crate::config_loader::{self, LoadError};
use crate::diagnostic::FileErrors;
use crate::live::{self, Live};
use crate::plan::Plan;
use crate::planner::{self, Context};
use crate::sandbox::{Faults, Sandbox, demo, state::SandboxState};
use crate::saved_plan::SavedPlan;
use crate::settings::{Settings, Target, color_wanted};
use crate::{
    diff_view, export, multi, progress, render_json, render_markdown, render_text, workspace_files,
};
use anyhow::{Context as _, anyhow, bail};
use secrecy::SecretString;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_CHANGES: i32 = 2;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Writes to stdout; a closed pipe (`plan | head`) is not an error.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// A note or warning on stderr; `-q` silences it (errors are never silenced).
pub(crate) fn note(text: &str) {
    if !crate::settings::quiet() {
        err(text);
    }
}

pub(crate) fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

pub fn run(cli: Cli) -> i32 {
    let settings = Settings::from_args(&cli.global);
    let result = match cli.command {
        Command::Validate {
            files,
            format,
            strict,
        } => Ok(validate(&files, format, strict)),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "instantly-rbac",
                &mut buf,
            );
            out(&String::from_utf8_lossy(&buf));
            Ok(EXIT_OK)
        }
        Command::Schema => {
            out(&crate::config::json_schema());
            Ok(EXIT_OK)
        }
        Command::Manpage => {
            out(&man_page());
            Ok(EXIT_OK)
        }
        Command::Sandbox {
            state,
            port,
            fault_rate,
            seed,
            latency_ms,
        } => {
            let faults = Faults {
                fault_rate,
                seed,
                latency_ms,
                rate_limit: cli.global.rate_limit,
                ..Faults::default()
            };
            runtime().and_then(|rt| rt.block_on(serve(&state, port, faults)))
        }
        command => runtime().and_then(|rt| rt.block_on(online(command, &settings))),
    };
    result.unwrap_or_else(|e| {
        err(&format!("error: {e:#}"));
        EXIT_ERROR
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Checks files offline: errors, then lints (warnings; errors too with `--strict`).
fn validate(files: &[std::path::PathBuf], format: ValidateFormat, strict: bool) -> i32 {
    let mut code = EXIT_OK;
    let mut reports = Vec::new();
    for f in files {
        let path = f.display().to_string();
        let (diagnostics, source) = match config_loader::load(f) {
            Ok(config) => (
                crate::lints::lint(&config),
                std::fs::read_to_string(f).unwrap_or_default(),
            ),
            Err(LoadError::Invalid(e)) => (e.errors, e.source),
            Err(e) => {
                code = EXIT_ERROR;
                err(&format!("error: {e}"));
                continue;
            }
        };
        let errors = diagnostics.iter().filter(|d| !d.warning).count();
        let warnings = diagnostics.len() - errors;
        if errors > 0 || (strict && warnings > 0) {
            code = EXIT_ERROR;
        }
        let fe = FileErrors {
            path: path.clone(),
            source,
            errors: diagnostics,
        };
        match format {
            ValidateFormat::Json => reports.push(fe.to_json()),
            ValidateFormat::Github => {
                if !fe.errors.is_empty() {
                    out(&format!("{}\n", fe.render_github()));
                }
            }
            ValidateFormat::Text => {
                let silenced = crate::settings::quiet() && errors == 0;
                if !fe.errors.is_empty() && !silenced {
                    err(&fe.render(color_wanted(std::io::stderr().is_terminal())));
                }
                if errors == 0 {
                    let note = match warnings {
                        0 => String::new(),
                        1 => " (1 warning)".into(),
                        n => format!(" ({n} warnings)"),
                    };
                    out(&format!("{path}: valid{note}\n"));
                }
            }
        }
    }
    if format == ValidateFormat::Json {
        out(&(serde_json::to_string_pretty(&reports).expect("reports serialize") + "\n"));
    }
    code
}

/// A client for the target, and the in-process sandbox behind it, if any.
async fn connect(settings: &Settings) -> anyhow::Result<(Client, Option<Sandbox>)> {
    match &settings.target {
        Target::Api { url, key } => {
            let key = key.clone().unwrap_or_else(|| SecretString::from(""));
            Ok((
                Client::with_options(url, key, settings.client.clone())?,
                None,
            ))
        }
        Target::Sandbox { state, key } => {
            let seed = match state {
                Some(path) => load_or_seed(path)?,
                None => demo::demo_state(),
            };
            let key = match key {
                Some(k) => k.clone(),
                None => SecretString::from(
                    seed.operator_key()
                        .ok_or_else(|| anyhow!("the sandbox state has no `all:all` key to authenticate with; pass --api-key"))?
                        .to_owned(),
                ),
            };
            let sandbox = Sandbox::start(seed, state.clone(), 0)
                .await
                .context("cannot start the sandbox")?;
            tracing::info!(url = %sandbox.url, "sandbox started");
            Ok((
                Client::with_options(&sandbox.url, key, settings.client.clone())?,
                Some(sandbox),
            ))
        }
    }
}

fn load_or_seed(path: &Path) -> anyhow::Result<SandboxState> {
    if path.exists() {
        return Ok(SandboxState::load(path)?);
    }
    let state = demo::demo_state();
    state.save(path)?;
    note(&format!(
        "note: created sandbox state {} from the demo workspace",
        path.display()
    ));
    Ok(state)
}

pub fn load_config(path: &Path) -> anyhow::Result<Result<Config, FileErrors>> {
    match config_loader::load(path) {
        Ok(c) => Ok(Ok(c)),
        Err(LoadError::Invalid(e)) => Ok(Err(e)),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn report_file_errors(e: &FileErrors) -> i32 {
    err(&e.render(color_wanted(std::io::stderr().is_terminal())));
    EXIT_ERROR
}

/// Reads the live workspace and plans; `Err(code)` when the file is at
/// fault (the errors are printed).
pub(crate) async fn read_and_plan(
    path: &Path,
    config: &Config,
    client: &Client,
) -> anyhow::Result<Result<(Live, Plan), i32>> {
    Ok(plan_workspace(path, config, client)
        .await?
        .map_err(|fe| report_file_errors(&fe)))
}

/// Checks the workspace guard, reads what the plan needs, and plans;
/// `Err(errors)` when the file is at fault.
pub async fn plan_workspace(
    path: &Path,
    config: &Config,
    client: &Client,
) -> anyhow::Result<Result<(Live, Plan), FileErrors>> {
    let current: crate::api_types::Workspace = client.get("/workspaces/current", &[]).await?;
    if let Some(guard) = config
        .workspace
        .as_ref()
        .filter(|g| g.id.value != current.id)
    {
        bail!(
            "{}:{}: the file is for workspace {}, but the API key reaches workspace {} ({}); nothing was changed",
            path.display(),
            guard.id.loc.line,
            guard.id.value,
            current.id,
            current.name
        );
    }
    let live = live::read_for_plan(client, current, config).await?;
    let ctx = Context {
        auth_key_mask: Some(client.key_mask()),
        now: Some(crate::timestamp::now()),
    };
    match planner::plan(config, &live, &ctx) {
        Ok(plan) => Ok(Ok((live, plan))),
        Err(errors) => Ok(Err(FileErrors {
            path: path.display().to_string(),
            source: std::fs::read_to_string(path).unwrap_or_default(),
            errors,
        })),
    }
}

async fn online(command: Command, settings: &Settings) -> anyhow::Result<i32> {
    let (client, sandbox) = connect(settings).await?;
    let code = match command {
        Command::Plan {
            files,
            shard,
            format,
            diff,
            detailed_exitcode,
            out: plan_out,
        } => {
            let (files, many) =
                workspace_files::expand(&files).context("cannot read the files given with -f")?;
            let files = workspace_files::shard(files, shard);
            if many || shard.is_some() {
                if plan_out.is_some() || diff {
                    bail!("--out and --diff plan one workspace: give a single -f FILE");
                }
                let progress = progress::Progress::bar(
                    progress::wanted(format == PlanFormat::Text),
                    files.len(),
                    "workspaces planned",
                );
                let (text, code) =
                    multi::plan_many(&files, &client, format, settings.color, &progress).await?;
                progress.finish();
                out(&text);
                return Ok(match code {
                    EXIT_CHANGES if !detailed_exitcode => EXIT_OK,
                    c => c,
                });
            }
            let file = files
                .into_iter()
                .next()
                .context("no desired-state file given")?;
            let config = match load_config(&file)? {
                Ok(c) => c,
                Err(e) => return Ok(report_file_errors(&e)),
            };
            let progress = progress::Progress::requests(
                progress::wanted(format == PlanFormat::Text),
                &client,
                "reading the workspace",
            );
            let planned = read_and_plan(&file, &config, &client).await;
            progress.finish();
            let (live, plan) = match planned? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
            match format {
                PlanFormat::Text => out(&render_text::render(
                    &plan,
                    &render_text::Paint {
                        color: settings.color,
                    },
                )),
                PlanFormat::Json => out(&format!("{}\n", render_json::render(&plan))),
                PlanFormat::Markdown => out(&render_markdown::render(&plan)),
            }
            if let Some(path) = plan_out {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let saved = SavedPlan::new(&plan, &live, &file.display().to_string(), &bytes);
                std::fs::write(&path, saved.to_json())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                note(&format!(
                    "Saved the plan to {0}; apply exactly it with `instantly-rbac apply {0}`.",
                    path.display()
                ));
            }
            if diff {
                let d = diff_view::render(&config, &live, &plan);
                out(&format!(
                    "\n{}",
                    if d.is_empty() {
                        "(no differences)\n".into()
                    } else {
                        d
                    }
                ));
            }
            if detailed_exitcode && !plan.is_empty() {
                EXIT_CHANGES
            } else {
                EXIT_OK
            }
        }
        Command::Apply {
            plan,
            file,
            auto_approve,
            confirm,
            secrets_out,
            secrets_append,
            secrets_cmd,
            ack_deletes,
            allow_reinvite,
        } => {
            let opts = ApplyOptions {
                ask: if plan.is_some() {
                    confirm
                } else {
                    !auto_approve
                },
                secrets_out,
                secrets_append,
                secrets_cmd,
                acks: ack_deletes,
                allow_reinvite,
            };
            match (plan, file) {
                (Some(plan), file) => {
                    apply_saved(&plan, file.as_deref(), &opts, &client, settings).await?
                }
                (None, Some(file)) => apply(&file, &opts, &client, settings).await?,
                (None, None) => bail!("apply needs a saved PLAN or -f FILE"),
            }
        }
        Command::Export { output } => {
            // A file names accounts by the email the mappings already carry:
            // the account list itself is not needed.
            let current: crate::api_types::Workspace =
                client.get("/workspaces/current", &[]).await?;
            let needs = live::Needs {
                accounts: false,
                ..live::Needs::all(true)
            };
            let live = live::read_lists(&client, current, needs).await?;
            let (config, warnings) = export::to_config(&live);
            for w in warnings {
                note(&format!("warning: {w}"));
            }
            let text = export::to_yaml(&config, &live.workspace.name);
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    note(&format!("wrote {}", path.display()));
                }
                None => out(&text),
            }
            EXIT_OK
        }
        Command::Validate { .. }
        | Command::Sandbox { .. }
        | Command::Completions { .. }
        | Command::Schema
        | Command::Manpage => {
            unreachable!("handled before connecting")
        }
    };
    if let Some(s) = sandbox {
        s.stop().await;
    }
    if let Target::Sandbox { state: None, .. } = settings.target {
        tracing::info!(
            "the demo sandbox is discarded on exit; pass --sandbox=FILE to keep its state"
        );
    }
    Ok(code)
}

async fn serve(state: &Path, port: u16, faults: Faults) -> anyhow::Result<i32> {
    let seed = load_or_seed(state)?;
    let sandbox = Sandbox::start(seed, Some(state.to_owned()), port)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    if faults.fault_rate > 0.0 {
        note(&format!(
            "injecting faults into {:.0}% of requests (seed {})",
            faults.fault_rate * 100.0,
            faults.seed
        ));
    }
    sandbox.set_faults(faults);
    out(&format!("{}\n", sandbox.url));
    note(&format!(
        "sandbox serving {} on {} (Ctrl-C stops it); authenticate with a key stored in the state file",
        state.display(),
        sandbox.url
    ));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = sandbox.wait() => {}
    }
    Ok(EXIT_OK)
}

/// The man page, generated from the command-line definition.
pub fn man_page() -> String {
    let mut buf = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
        .render(&mut buf)
        .expect("rendering to memory cannot fail");
    String::from_utf8_lossy(&buf).into_owned()
}
