//! The command line, as clap parses it. The global options become
//! `Settings` before any work starts; a command takes its own options
//! struct (`PlanArgs`); nothing below the commands sees these types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "instantly-rbac",
    version,
    about = "Plan and apply the access control of Instantly workspaces from a YAML file",
    after_help = "Examples:
  instantly-rbac validate -f workspace.yaml
  instantly-rbac plan -f workspace.yaml --out plan.json
  instantly-rbac apply plan.json

The API key is read from INSTANTLY_API_KEY; --sandbox runs against a built-in emulator."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, listed under their own heading in each
/// command's help.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Base URL of the Instantly API v2.
    #[arg(long, global = true, env = "INSTANTLY_API_URL", default_value = crate::client::DEFAULT_API_URL,
          value_hint = clap::ValueHint::Url)]
    pub api_url: String,
    /// API key (prefer the environment variable: arguments show in process lists).
    #[arg(long, global = true, env = "INSTANTLY_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Run against the built-in sandbox instead of the API: seeded from
    /// STATE_FILE (created from the demo workspace if missing; changes are
    /// written back), or from the demo workspace when no file is given.
    #[arg(long, global = true, value_name = "STATE_FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub sandbox: Option<String>,
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr: no warnings, notes or progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log lines as text or as JSON objects (for log shippers).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Seconds before a request to the API is abandoned.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Requests per second to a workspace (the API allows 100 and 6,000 a
    /// minute, shared by all its keys: lower it when other integrations use
    /// the workspace). For `sandbox`: the limit the sandbox enforces.
    #[arg(long, global = true, value_name = "N", value_parser = parse_rate_limit)]
    pub rate_limit: Option<f64>,
    /// Attempts of one request before giving up (429, 5xx, timeouts and
    /// dropped connections are retried with backoff).
    #[arg(long, global = true, default_value_t = 6, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<u32>::new().range(1..=20))]
    pub max_attempts: u32,
    /// Requests to one workspace in flight at once.
    #[arg(long, global = true, default_value_t = crate::client::DEFAULT_PARALLELISM, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub parallelism: usize,
    /// Seconds after which no further retry of a request starts.
    #[arg(long, global = true, default_value_t = 120, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub retry_budget: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check desired-state files offline (no API key needed).
    #[command(after_help = "Examples:
  instantly-rbac validate -f workspace.yaml
  instantly-rbac validate -f workspace.yaml --strict
  instantly-rbac validate -f workspace.yaml --format github   # annotations in a GitHub job")]
    Validate {
        /// Desired-state files or directories of them (a directory's `_*.yaml`
        /// files are bases, checked once).
        #[arg(short = 'f', long = "file", required = true, value_hint = clap::ValueHint::FilePath)]
        files: Vec<PathBuf>,
        /// How errors and warnings are printed.
        #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
        format: ValidateFormat,
        /// Fail (exit 1) on warnings too (those not allowed with `allow:` or
        /// `policy.allow_lints`).
        #[arg(long)]
        strict: bool,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  instantly-rbac completions bash > /etc/bash_completion.d/instantly-rbac
  instantly-rbac completions zsh > \"${fpath[1]}/_instantly-rbac\"
  instantly-rbac completions fish > ~/.config/fish/completions/instantly-rbac.fish")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of the desired-state file (docs/schema.json).
    #[command(after_help = "Examples:
  instantly-rbac schema > schema.json
  # in workspace.yaml, for editors with the YAML language server:
  # yaml-language-server: $schema=schema.json")]
    Schema,
    /// Print the man page (roff), as in docs/instantly-rbac.1.
    #[command(hide = true)]
    Manpage,
    /// Show what apply would change.
    #[command(after_help = "Examples:
  instantly-rbac plan -f workspace.yaml
  instantly-rbac plan -f workspace.yaml --format markdown --detailed-exitcode --out plan.json
  instantly-rbac plan -f workspaces/ --shard 1/4 --format json

Exit status: 0 done, 1 error, 2 changes (with --detailed-exitcode). A blocked plan says so and how to acknowledge it; apply refuses it until then.")]
    Plan(PlanArgs),
    /// Plan, confirm, and carry out the changes; or carry out a saved plan.
    #[command(after_help = "Examples:
  instantly-rbac apply -f workspace.yaml
  instantly-rbac apply plan.json --secrets-out new-keys.json
  instantly-rbac apply -f workspace.yaml --auto-approve --ack-deletes member=3

Give a saved PLAN or -f FILE.")]
    Apply {
        /// A plan saved by `plan --out`: verified by planning its desired file
        /// again, and applied only if that gives exactly the saved actions;
        /// without a prompt unless --confirm.
        #[arg(value_name = "PLAN", value_hint = clap::ValueHint::FilePath)]
        plan: Option<PathBuf>,
        /// The desired-state file, or a directory of them (each workspace
        /// applied on its own); with PLAN: the file planned (by default the
        /// path the plan records).
        #[arg(short = 'f', long = "file", value_hint = clap::ValueHint::FilePath)]
        file: Option<PathBuf>,
        /// Apply a fresh plan without asking (required when not run from a terminal).
        #[arg(long, conflicts_with = "plan")]
        auto_approve: bool,
        /// Ask before applying a saved plan too.
        #[arg(long, requires = "plan")]
        confirm: bool,
        /// File (created with mode 0600) that receives the secrets of new API keys.
        #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
        secrets_out: Option<PathBuf>,
        /// Add to an existing --secrets-out file instead of refusing it.
        #[arg(long, requires = "secrets_out")]
        secrets_append: bool,
        /// Command run once per new API key with {name, id, key, scopes} as
        /// JSON on its standard input (e.g. to store it in a secrets manager).
        #[arg(long, value_name = "CMD", conflicts_with = "secrets_out",
              value_hint = clap::ValueHint::CommandString)]
        secrets_cmd: Option<String>,
        /// Seconds --secrets-cmd may take for one key; then it is stopped,
        /// the secret kept in a recovery file, and the apply stops.
        #[arg(long, value_name = "SECONDS", default_value_t = 30,
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        secrets_cmd_timeout: u64,
        /// Acknowledge a blocked deletion count after review (KIND=N, KIND one
        /// of member, api_key, tag, assignment, sub_workspace; N exactly as planned). Repeatable.
        #[arg(long, value_name = "KIND=N", value_parser = AckParser, hide_possible_values = true)]
        ack_deletes: Vec<(crate::plan::Kind, usize)>,
        /// Allow re-inviting members (a permission change removes their
        /// access until they accept again) and sub-workspaces whose
        /// invitation was rejected.
        #[arg(long)]
        allow_reinvite: bool,
    },
    /// Write the live workspace as a desired-state file.
    #[command(after_help = "Examples:
  instantly-rbac export -o workspace.yaml
  instantly-rbac export --sandbox
  instantly-rbac export --all -o clients/   # an agency: one file per workspace")]
    Export {
        /// Output file (default: stdout); with `--all`, the directory.
        #[arg(short = 'o', long = "output", value_hint = clap::ValueHint::FilePath)]
        output: Option<PathBuf>,
        /// Write it in FILE's words: FILE's team role names, policy (ignore,
        /// protect, limits) and rotate_after_days.
        #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
        like: Option<PathBuf>,
        /// The agency workspace and every accepted sub-workspace of its
        /// group, one file each in the `-o` directory, named from the
        /// workspace names; the agency's file declares its `workspace_group`.
        #[arg(long, requires = "output", conflicts_with = "like")]
        all: bool,
    },
    /// Write the live workspace as a sandbox state, to rehearse an apply on a
    /// copy (no secrets: keys get placeholders).
    #[command(after_help = "Examples:
  instantly-rbac snapshot -o state.json
  instantly-rbac --sandbox=state.json apply -f workspace.yaml
  instantly-rbac --sandbox=state.json plan -f workspace.yaml --detailed-exitcode")]
    Snapshot {
        /// The state file to write (replaced whole, mode 0600).
        #[arg(short = 'o', long = "output", value_hint = clap::ValueHint::FilePath)]
        output: PathBuf,
    },
    /// Who can do what, and who has not logged in lately: an access review (read-only).
    #[command(after_help = "Examples:
  instantly-rbac review
  instantly-rbac review -f workspace.yaml --format markdown -o review.md
  instantly-rbac review -f clients/ --inactive-days 60 --fail-on-findings")]
    Review(ReviewArgs),
    /// Serve the API emulator on 127.0.0.1.
    #[command(after_help = "Examples:
  instantly-rbac sandbox --state state.json --port 8080   # prints its URL
  instantly-rbac sandbox --state state.json --fault-rate 0.2 --seed 7
Point --api-url at the printed URL, with a key stored in the state file.")]
    Sandbox {
        /// JSON state file; created from the demo workspace if missing.
        #[arg(long, value_hint = clap::ValueHint::FilePath)]
        state: PathBuf,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Share of requests (0 to 1) answered with an injected fault: 429s,
        /// 5xx, dropped connections, garbled answers, a repeating cursor.
        #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = parse_rate)]
        fault_rate: f64,
        /// Seed of the fault sequence (same seed, same requests, same faults).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Milliseconds to wait before answering each request.
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency_ms: u64,
    },
}

/// `plan`'s own options.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Desired-state files or directories of them (several: one plan per
    /// workspace, read concurrently, with one aggregated summary).
    #[arg(short = 'f', long = "file", required = true, value_hint = clap::ValueHint::AnyPath)]
    pub files: Vec<PathBuf>,
    /// Plan only the I-th of N deterministic slices of the files (a CI matrix).
    #[arg(long, value_name = "I/N", value_parser = crate::workspace_files::parse_shard,
          value_hint = clap::ValueHint::Other)]
    pub shard: Option<crate::workspace_files::Shard>,
    /// How the plan is printed.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also print a unified diff of the live and the desired workspace.
    #[arg(long)]
    pub diff: bool,
    /// Exit 0 when in sync, 2 when there are changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also save the plan to this file, for `apply PLAN` (of several
    /// workspaces: each one's plan, applied and verified on its own).
    #[arg(long, value_name = "PLAN", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// For people: the changes, their risk and access impact.
    Text,
    /// For tooling: every action with its fields (docs/planning.md).
    Json,
    /// A pull-request comment or issue body.
    Markdown,
}

/// `review`'s own options.
#[derive(Args, Debug)]
pub struct ReviewArgs {
    /// The desired-state file (its team role names, `rotate_after_days`, and
    /// what it declares), or a directory of them: one review per workspace
    /// and an agency summary.
    #[arg(short = 'f', long = "file", value_hint = clap::ValueHint::AnyPath)]
    pub file: Option<PathBuf>,
    /// How the review is printed.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,
    /// A member without a login in this many days is inactive; so is an
    /// invitation pending longer.
    #[arg(long, default_value_t = 90, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<u32>::new().range(1..=3650))]
    pub inactive_days: u32,
    /// Write the review to FILE (a new or regular file, replaced whole)
    /// instead of stdout; `-o -` is stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub output: Option<PathBuf>,
    /// Exit 2 when there are findings (default: findings do not change the status).
    #[arg(long)]
    pub fail_on_findings: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewFormat {
    /// For a terminal: the matrix, then the findings.
    Text,
    /// Review evidence to attach: header, matrix, findings.
    Markdown,
    /// One row per member and key, for a spreadsheet.
    Csv,
    /// For scripts: members, keys and findings as one document.
    Json,
}

/// `--ack-deletes KIND=N`, parsed by `safety::parse_ack`. It offers the
/// kinds (`member=`, …) as its values so that shell completion suggests
/// them, not file names; help does not list them (the doc comment does).
#[derive(Clone)]
pub struct AckParser;

impl clap::builder::TypedValueParser for AckParser {
    type Value = (crate::plan::Kind, usize);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let parse: fn(&str) -> Result<Self::Value, String> = crate::safety::parse_ack;
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let kinds = [
            "member=",
            "api_key=",
            "tag=",
            "assignment=",
            "sub_workspace=",
        ];
        Some(Box::new(
            kinds.into_iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidateFormat {
    /// Located errors and warnings with the lines they are about.
    Text,
    /// GitHub Actions annotations.
    Github,
    /// One object per file, for tooling.
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Colour even when piped.
    Always,
    /// No colour.
    Never,
}

/// Requests per second: above 0, at most the API's 100.
fn parse_rate_limit(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= crate::rate_limiter::DEFAULT_PER_SECOND => Ok(r),
        _ => Err("requests per second: more than 0 and at most 100 (the API's limit)".into()),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err("a share from 0 to 1, e.g. 0.2".into()),
    }
}
