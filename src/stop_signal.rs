//! Stopping an apply cleanly: Ctrl-C (SIGINT), SIGTERM (CI cancel,
//! `timeout`, systemd, Kubernetes) and SIGHUP (a closed terminal or SSH
//! session) all ask the applier to start no new action; the actions in
//! flight finish and deliver their secrets, the report is printed, and the
//! exit status is 128 + the signal's number. A second signal exits at once.

use crate::output::{ExitStatus, Printer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Received {
    None = 0,
    Interrupt = 1,
    Terminate = 2,
    HangUp = 3,
}

/// The flag the applier polls, and which signal set it.
pub struct StopSignal {
    pub stop: Arc<AtomicBool>,
    received: Arc<AtomicU8>,
    watcher: tokio::task::JoinHandle<()>,
}

impl StopSignal {
    /// Starts watching; `p` says once that the apply is stopping.
    pub fn watch(p: &Printer) -> StopSignal {
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU8::new(Received::None as u8));
        let (flag, which, p) = (stop.clone(), received.clone(), p.clone());
        let watcher = tokio::spawn(async move {
            let got = wait().await;
            which.store(got as u8, Ordering::SeqCst);
            flag.store(true, Ordering::SeqCst);
            p.note("Interrupted: finishing the requests in flight, starting no new ones…");
            // A second signal: the operator will not wait (a request hangs,
            // a deploy is being torn down). Leave now, as Terraform does; what
            // was in flight is what a kill leaves, which the next apply
            // settles (a key created then is in the intents journal).
            let again = wait().await;
            p.error(
                "Interrupted again: stopping now, without waiting for the requests in flight; run the same apply again to settle them",
            );
            let status = match again {
                Received::Terminate => ExitStatus::Terminated,
                Received::HangUp => ExitStatus::HungUp,
                _ => ExitStatus::Interrupted,
            };
            std::process::exit(status.code());
        });
        StopSignal {
            stop,
            received,
            watcher,
        }
    }

    /// The exit status for an apply the signal stopped before its end.
    pub fn status(&self) -> ExitStatus {
        match self.received.load(Ordering::SeqCst) {
            x if x == Received::Terminate as u8 => ExitStatus::Terminated,
            x if x == Received::HangUp as u8 => ExitStatus::HungUp,
            _ => ExitStatus::Interrupted,
        }
    }
}

impl Drop for StopSignal {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

#[cfg(unix)]
async fn wait() -> Received {
    use tokio::signal::unix::{SignalKind, signal};
    let one = |kind: SignalKind, what: Received| async move {
        match signal(kind) {
            Ok(mut s) => {
                s.recv().await;
                what
            }
            // Not watchable here: never fires.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        r = one(SignalKind::interrupt(), Received::Interrupt) => r,
        r = one(SignalKind::terminate(), Received::Terminate) => r,
        r = one(SignalKind::hangup(), Received::HangUp) => r,
    }
}

#[cfg(not(unix))]
async fn wait() -> Received {
    match tokio::signal::ctrl_c().await {
        Ok(()) => Received::Interrupt,
        Err(_) => std::future::pending().await,
    }
}
