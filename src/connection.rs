//! The client a command talks through, and the in-process sandbox behind
//! it when the target is `--sandbox`.

use crate::client::Client;
use crate::output::Printer;
use crate::sandbox::{Sandbox, demo_agency::demo_agency_state, state::SandboxState};
use crate::settings::{Settings, Target};
use anyhow::{Context as _, anyhow};
use secrecy::SecretString;
use std::path::Path;

pub struct Connection {
    pub client: Client,
    sandbox: Option<Sandbox>,
    demo: bool,
}

impl Connection {
    pub async fn open(settings: &Settings, printer: &Printer) -> anyhow::Result<Connection> {
        match &settings.target {
            Target::Api { url, key } => {
                let key = key.clone().unwrap_or_else(|| SecretString::from(""));
                Ok(Connection {
                    client: Client::with_options(url, key, settings.client.clone())?,
                    sandbox: None,
                    demo: false,
                })
            }
            Target::Sandbox { state, key } => {
                let seed = match state {
                    Some(path) => load_or_seed(path, printer)?,
                    None => demo_agency_state(),
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
                Ok(Connection {
                    client: Client::with_options(&sandbox.url, key, settings.client.clone())?,
                    sandbox: Some(sandbox),
                    demo: state.is_none(),
                })
            }
        }
    }

    /// Stops the sandbox, if any, after its last write is saved.
    pub async fn close(self) {
        if let Some(s) = self.sandbox {
            s.stop().await;
        }
        if self.demo {
            tracing::info!(
                "the demo sandbox is discarded on exit; pass --sandbox=FILE to keep its state"
            );
        }
    }
}

/// The sandbox state in `path`, created from the demo workspace if missing.
pub fn load_or_seed(path: &Path, printer: &Printer) -> anyhow::Result<SandboxState> {
    if path.exists() {
        return Ok(SandboxState::load(path)?);
    }
    let state = demo_agency_state();
    state.save(path)?;
    printer.note(&format!(
        "note: created sandbox state {} from the demo workspace",
        path.display()
    ));
    Ok(state)
}
