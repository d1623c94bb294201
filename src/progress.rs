//! Progress on stderr for reads and applies that take more than a moment:
//! only on a terminal, never when piped or with `--format json`, so that
//! pipelines and logs stay clean.

use crate::client::Client;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub struct Progress {
    bar: Option<ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

/// Whether progress may be drawn: stderr is a terminal and the output is for people.
pub fn wanted(human_output: bool, printer: &crate::output::Printer) -> bool {
    human_output && !printer.quiet() && std::io::stderr().is_terminal()
}

impl Progress {
    pub fn none() -> Progress {
        Progress {
            bar: None,
            ticker: None,
        }
    }

    /// A spinner counting `client`'s requests, shown after half a second.
    pub fn requests(enabled: bool, client: &Client, what: &'static str) -> Progress {
        if !enabled {
            return Progress::none();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
        );
        let (b, c) = (bar.clone(), client.clone());
        let ticker = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            loop {
                let n = c.stats().requests.load(Ordering::Relaxed);
                b.set_message(format!("{what}: {n} requests"));
                b.tick();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Progress {
            bar: Some(bar),
            ticker: Some(ticker),
        }
    }

    /// A bar of `len` steps.
    pub fn bar(enabled: bool, len: usize, what: &'static str) -> Progress {
        if !enabled {
            return Progress::none();
        }
        let bar = ProgressBar::new(len as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
                .expect("a valid template"),
        );
        bar.set_message(what);
        Progress {
            bar: Some(bar),
            ticker: None,
        }
    }

    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    pub fn finish(self) {
        if let Some(t) = self.ticker {
            t.abort();
        }
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
