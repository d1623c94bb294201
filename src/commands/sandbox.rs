//! `sandbox`: serves the API emulator on 127.0.0.1 until Ctrl-C.

use crate::connection::load_or_seed;
use crate::output::{ExitStatus, Printer};
use crate::sandbox::{Faults, Sandbox};
use anyhow::Context as _;
use std::path::Path;

pub async fn run(
    state: &Path,
    port: u16,
    faults: Faults,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    let seed = load_or_seed(state, p)?;
    let sandbox = Sandbox::start(seed, Some(state.to_owned()), port)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    if faults.fault_rate > 0.0 {
        p.note(&format!(
            "injecting faults into {:.0}% of requests (seed {})",
            faults.fault_rate * 100.0,
            faults.seed
        ));
    }
    sandbox.set_faults(faults);
    p.out(&format!("{}\n", sandbox.url));
    p.note(&format!(
        "sandbox serving {} on {} (Ctrl-C stops it); authenticate with a key stored in the state file",
        state.display(),
        sandbox.url
    ));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = sandbox.wait() => {}
    }
    Ok(ExitStatus::Success)
}
