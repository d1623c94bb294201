//! Command-line arguments and environment, turned once into what the
//! commands need.

use crate::cli::{ColorChoice, Global};
use crate::client::ClientOptions;
use crate::rate_limiter::DEFAULT_PER_SECOND;
use secrecy::SecretString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// Where the workspace lives.
#[derive(Debug)]
pub enum Target {
    Api {
        url: String,
        key: Option<SecretString>,
    },
    /// The in-process sandbox; `None` is the built-in demo workspace.
    Sandbox {
        state: Option<PathBuf>,
        key: Option<SecretString>,
    },
}

#[derive(Debug)]
pub struct Settings {
    pub target: Target,
    pub client: ClientOptions,
    /// Colour on stdout: only on a terminal, never with NO_COLOR.
    pub color: bool,
}

impl Settings {
    pub fn from_args(g: &Global) -> Settings {
        let key = g
            .api_key
            .clone()
            .filter(|k| !k.is_empty())
            .map(SecretString::from);
        let target = match &g.sandbox {
            Some(s) => Target::Sandbox {
                state: (!s.is_empty()).then(|| PathBuf::from(s)),
                key,
            },
            None => Target::Api {
                url: g.api_url.clone(),
                key,
            },
        };
        Settings {
            target,
            client: ClientOptions {
                timeout: Duration::from_secs(g.timeout.max(1)),
                max_attempts: g.max_attempts.max(1),
                retry_budget: Duration::from_secs(g.retry_budget),
                rate_limit: g
                    .rate_limit
                    .filter(|r| *r > 0.0)
                    .unwrap_or(DEFAULT_PER_SECOND),
                parallelism: g.parallelism.max(1),
                ..ClientOptions::default()
            },
            color: color_wanted(std::io::stdout().is_terminal()),
        }
    }
}

static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records `--color` and `-q` once, before any output.
pub fn set_output(color: ColorChoice, quiet: bool) {
    let _ = COLOR.set(color);
    QUIET.store(quiet, std::sync::atomic::Ordering::SeqCst);
}

/// `-q`: only errors on stderr.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::SeqCst)
}

/// Whether to colour a stream that is (or is not) a terminal: `--color`,
/// else only on a terminal and never with NO_COLOR.
pub fn color_wanted(terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
