//! Command-line arguments and environment, turned once into what the
//! commands need.

use crate::cli::Global;
use crate::client::ClientOptions;
use crate::rate_limiter::DEFAULT_PER_SECOND;
use secrecy::SecretString;
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
        }
    }
}

impl Target {
    /// The global options that reach this target again, for commands the
    /// tool suggests (`apply PLAN`): copied as printed, they must not go
    /// to another workspace. Never the API key.
    pub fn flags(&self) -> Vec<String> {
        match self {
            Target::Sandbox { state: None, .. } => vec!["--sandbox".into()],
            Target::Sandbox { state: Some(p), .. } => {
                vec![format!("--sandbox={}", p.display())]
            }
            Target::Api { url, .. } if url == crate::client::DEFAULT_API_URL => Vec::new(),
            Target::Api { url, .. } => vec!["--api-url".into(), url.clone()],
        }
    }
}
