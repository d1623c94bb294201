//! From the command line to an exit status: parse (a usage error is exit 1,
//! never a code with a meaning of its own), settings before work, then the
//! command. `main` only calls `run`, so tests can drive it too.

use crate::cli::{Cli, Command, Global, LogFormat};
use crate::commands::{self, apply::ApplyOptions};
use crate::connection::Connection;
use crate::output::{ExitStatus, Printer, color_wanted};
use crate::sandbox::Faults;
use crate::settings::Settings;
use anyhow::{Context as _, bail};
use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _};
use std::ffi::OsString;

pub fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return usage(e, json_asked(&args)),
    };
    init_logs(&cli.global);
    let mut printer = Printer::new(cli.global.color, cli.global.quiet);
    if cli.global.log_format == LogFormat::Json {
        printer = printer.json_stderr();
    }
    if matches.value_source("api_key") == Some(ValueSource::CommandLine) {
        printer.note(
            "warning: --api-key on the command line shows in process lists and shell history; set INSTANTLY_API_KEY instead",
        );
    }
    if let Some(key) = &cli.global.api_key {
        // Never shown by a diagnostic, whatever file it quotes.
        crate::diagnostic::redact_secret(key);
    }
    let settings = Settings::from_args(&cli.global);
    command(cli, &settings, &printer).unwrap_or_else(|e| {
        // An error may quote the API or a file: hidden characters escaped,
        // line by line, so a multi-line report keeps its shape.
        let text = format!("error: {}", cause_chain(&e));
        let lines: Vec<String> = text.lines().map(crate::escape::terminal).collect();
        printer.error(&lines.join("\n"));
        ExitStatus::Error
    })
}

/// An error and its causes, joined by ": ", each said once: some errors
/// already quote their source in their own message (`cannot read x: No
/// such file…`), and anyhow's `{:#}` would repeat it.
pub fn cause_chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// `--help` and `--version` go to stdout and succeed; a mistyped command
/// line is an error (exit 1), so a typo in CI never reads as "changes".
fn usage(mut e: clap::Error, json: bool) -> ExitStatus {
    file_hint(&mut e);
    if json && e.use_stderr() {
        let text = e.render().to_string();
        Printer::new(crate::cli::ColorChoice::Never, false)
            .json_stderr()
            .error(&text);
    } else {
        let _ = e.print();
    }
    if e.use_stderr() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}

/// Whether the command line asks for JSON logs, read from the raw words
/// since it did not parse: the usage error is then a JSON line too.
fn json_asked(args: &[OsString]) -> bool {
    args.windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || args.iter().any(|a| a == "--log-format=json")
}

/// `plan w.yaml`: files are given with `-f`, which the unexpected-argument
/// error alone does not say.
fn file_hint(e: &mut clap::Error) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return;
    };
    if arg.starts_with('-') {
        return;
    }
    let tip = format!("desired-state files are given with -f: `-f {arg}`");
    e.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![tip.into()]),
    );
}

fn init_logs(g: &Global) {
    let level = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let ansi = color_wanted(
        g.color,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    );
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: a second run in one process keeps the first subscriber.
    let _ = match g.log_format {
        LogFormat::Text => logs.with_ansi(ansi).try_init(),
        LogFormat::Json => logs.json().with_ansi(false).try_init(),
    };
}

fn command(cli: Cli, settings: &Settings, p: &Printer) -> anyhow::Result<ExitStatus> {
    // Said before connecting: a missing key would otherwise hide it.
    if let Command::Apply {
        plan: None,
        file: None,
        ..
    } = cli.command
    {
        bail!(APPLY_NEEDS);
    }
    match cli.command {
        Command::Validate {
            files,
            format,
            strict,
        } => Ok(commands::validate::run(&files, format, strict, p)),
        Command::Completions { shell } => Ok(commands::generate::completions(shell, p)),
        Command::Schema => Ok(commands::generate::schema(p)),
        Command::Manpage => Ok(commands::generate::manpage(p)),
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
            runtime()?.block_on(commands::sandbox::run(&state, port, faults, p))
        }
        online => runtime()?.block_on(async {
            let conn = Connection::open(settings, p).await?;
            let status = online_command(online, &conn, settings, p).await;
            conn.close().await;
            status
        }),
    }
}

const APPLY_NEEDS: &str = "apply needs something to apply: give a saved PLAN (written by `plan --out`) or -f FILE (a desired-state file)";

/// The commands that talk to a workspace.
async fn online_command(
    command: Command,
    conn: &Connection,
    settings: &Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let client = &conn.client;
    match command {
        Command::Plan(args) => commands::plan::run(args, client, settings, p).await,
        Command::Apply {
            plan,
            file,
            auto_approve,
            confirm,
            secrets_out,
            secrets_append,
            secrets_cmd,
            secrets_cmd_timeout,
            ack_deletes,
            allow_reinvite,
        } => {
            let opts = ApplyOptions {
                ask: if plan.is_some() {
                    confirm
                } else {
                    !auto_approve
                },
                saved: plan.is_some(),
                secrets_out,
                secrets_append,
                secrets_cmd,
                secrets_cmd_timeout: std::time::Duration::from_secs(secrets_cmd_timeout),
                acks: ack_deletes,
                allow_reinvite,
            };
            match (plan, file) {
                (Some(plan), file) => {
                    commands::apply::saved(&plan, file.as_deref(), &opts, client, p).await
                }
                (None, Some(file)) => commands::apply::fresh(&file, &opts, client, p).await,
                (None, None) => bail!(APPLY_NEEDS),
            }
        }
        Command::Export {
            output: Some(dir),
            all: true,
            ..
        } => commands::export_all::run(&dir, client, p).await,
        Command::Export { output, like, .. } => {
            commands::export::run(output.as_deref(), like.as_deref(), client, settings, p).await
        }
        Command::Review(args) => commands::review::run(&args, client, settings, p).await,
        Command::Snapshot { output } => commands::snapshot::run(&output, client, settings, p).await,
        Command::Validate { .. }
        | Command::Sandbox { .. }
        | Command::Completions { .. }
        | Command::Schema
        | Command::Manpage => unreachable!("offline commands never connect"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
