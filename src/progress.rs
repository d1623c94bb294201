//! Progress on stderr for reads and applies that take more than a moment.
//! On a terminal: a bar or spinner. Elsewhere (a CI log): one line every
//! ten seconds once the run has lasted that long, so a long apply is not
//! silence. Never with `-q` or with output for tooling (`--format json`).

use crate::client::Client;
use crate::output::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often a line is printed outside a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(10);

/// Overrides [`LINE_EVERY`] in milliseconds, so a test sees lines from a
/// run of a fraction of a second.
pub const LINE_EVERY_ENV: &str = "INSTANTLY_RBAC_PROGRESS_MS";

/// How progress is shown, if at all.
pub enum Show {
    Nothing,
    /// A bar or spinner redrawn in place.
    Terminal,
    /// A line now and then, through the printer (so `--log-format json`
    /// makes it a JSON object).
    Lines(Printer, Duration),
}

pub struct Progress {
    bar: Option<ProgressBar>,
    done: Arc<AtomicUsize>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

/// How progress may be shown: only when the output is for people and not
/// silenced; drawn on a terminal, else as occasional lines.
pub fn wanted(human_output: bool, printer: &Printer) -> Show {
    if !human_output || printer.quiet() {
        Show::Nothing
    } else if std::io::stderr().is_terminal() {
        Show::Terminal
    } else {
        Show::Lines(printer.clone(), line_every())
    }
}

fn line_every() -> Duration {
    std::env::var(LINE_EVERY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(LINE_EVERY, Duration::from_millis)
}

/// `1513` as `1,513`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The line printed outside a terminal: `applying: 400/1,513 actions after
/// 10 s…`, or a count of requests when the length is not known.
fn line(what: &str, done: usize, len: Option<(usize, &str)>, elapsed: Duration) -> String {
    let count = match len {
        Some((len, unit)) => format!("{}/{}{unit}", thousands(done), thousands(len)),
        None => format!("{} requests", thousands(done)),
    };
    format!("{what}: {count} after {} s…", elapsed.as_secs())
}

impl Progress {
    pub fn none() -> Progress {
        Progress {
            bar: None,
            done: Arc::new(AtomicUsize::new(0)),
            ticker: None,
        }
    }

    /// A spinner counting `client`'s requests, shown after half a second.
    pub fn requests(show: Show, client: &Client, what: &'static str) -> Progress {
        // This run's requests, not those of the read before it: on the
        // terminal as in the lines.
        let c = client.clone();
        let before = c.stats().requests.load(Ordering::Relaxed);
        let made = move || {
            c.stats()
                .requests
                .load(Ordering::Relaxed)
                .saturating_sub(before)
        };
        match show {
            Show::Nothing => Progress::none(),
            Show::Lines(p, every) => {
                Progress::lines(p, every, what, None, Arc::default(), move |_| made())
            }
            Show::Terminal => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("a valid template"),
                );
                let b = bar.clone();
                let ticker = tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    loop {
                        let n = made();
                        b.set_message(format!("{what}: {n} requests"));
                        b.tick();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                });
                Progress {
                    bar: Some(bar),
                    done: Arc::new(AtomicUsize::new(0)),
                    ticker: Some(ticker),
                }
            }
        }
    }

    /// A bar of `len` steps.
    pub fn bar(show: Show, len: usize, what: &'static str) -> Progress {
        match show {
            Show::Nothing => Progress::none(),
            Show::Lines(p, every) => {
                Progress::lines(p, every, what, Some((len, "")), Arc::default(), |done| done)
            }
            Show::Terminal => {
                let bar = ProgressBar::new(len as u64);
                bar.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
                        .expect("a valid template"),
                );
                bar.set_message(what);
                Progress {
                    bar: Some(bar),
                    done: Arc::new(AtomicUsize::new(0)),
                    ticker: None,
                }
            }
        }
    }

    /// A line every `every` (the first after `every`, so a short run
    /// prints none), counting what `count` reads from the steps done.
    fn lines(
        p: Printer,
        every: Duration,
        what: &'static str,
        len: Option<(usize, &'static str)>,
        done: Arc<AtomicUsize>,
        count: impl Fn(usize) -> usize + Send + 'static,
    ) -> Progress {
        let steps = done.clone();
        let start = Instant::now();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let n = count(steps.load(Ordering::Relaxed));
                p.note(&line(what, n, len, start.elapsed()));
            }
        });
        Progress {
            bar: None,
            done,
            ticker: Some(ticker),
        }
    }

    /// Actions of a plan being carried out: the caller adds each one that
    /// ends to [`Progress::counter`].
    pub fn actions(show: Show, len: usize, what: &'static str) -> Progress {
        let done = Arc::new(AtomicUsize::new(0));
        match show {
            Show::Nothing => Progress::none(),
            Show::Lines(p, every) => {
                Progress::lines(p, every, what, Some((len, " actions")), done, |done| done)
            }
            Show::Terminal => {
                let bar = ProgressBar::new(len as u64);
                bar.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} actions {msg} ({elapsed})")
                        .expect("a valid template"),
                );
                bar.set_message(what);
                let (b, steps) = (bar.clone(), done.clone());
                let ticker = tokio::spawn(async move {
                    loop {
                        b.set_position(steps.load(Ordering::Relaxed) as u64);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                });
                Progress {
                    bar: Some(bar),
                    done,
                    ticker: Some(ticker),
                }
            }
        }
    }

    /// What counts the steps done.
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.done.clone()
    }

    pub fn inc(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_with_thousands_separators() {
        assert_eq!(
            line(
                "applying",
                400,
                Some((1513, " actions")),
                Duration::from_secs(10)
            ),
            "applying: 400/1,513 actions after 10 s…"
        );
        assert_eq!(
            line(
                "workspaces planned",
                3,
                Some((10, "")),
                Duration::from_secs(20)
            ),
            "workspaces planned: 3/10 after 20 s…"
        );
        assert_eq!(
            line("applying", 1_234_567, None, Duration::from_millis(20_500)),
            "applying: 1,234,567 requests after 20 s…"
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }
}
