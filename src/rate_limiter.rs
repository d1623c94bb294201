//! A token bucket per workspace, shared by every request to it: the API
//! allows 100 requests a second and 6,000 a minute per workspace, shared by
//! all its keys. Runs on tokio's clock, so tests with paused time are instant.

use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::time::{Duration, Instant};

pub const DEFAULT_PER_SECOND: f64 = 100.0;
pub const PER_MINUTE: usize = 6000;
/// Requests are paced a little under the limit, so that network jitter
/// never bunches them past it in any one-second window.
const MARGIN: f64 = 0.97;
/// How late a wake-up may be and still count as on time (timers fire on
/// whole milliseconds).
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Each request reserves a start time: evenly spaced at the rate, and never
/// more than 6,000 in any minute. Reserving slots (rather than sleeping
/// until a token appears) keeps the average exact although timers wake late.
#[derive(Debug)]
struct Slots {
    next: Instant,
    /// Start times of the last `PER_MINUTE` requests.
    recent: VecDeque<Instant>,
}

#[derive(Debug)]
pub struct RateLimiter {
    slots: Mutex<Slots>,
    interval: Duration,
    rate: f64,
}

impl RateLimiter {
    /// `per_second` requests a second (the API's 100 by default), and never
    /// more than 6,000 a minute.
    pub fn new(per_second: f64) -> RateLimiter {
        let rate = per_second.max(0.01);
        RateLimiter {
            slots: Mutex::new(Slots {
                next: Instant::now(),
                recent: VecDeque::new(),
            }),
            interval: Duration::from_secs_f64(1.0 / (rate * MARGIN)),
            rate,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Waits for this request's turn: a turn is taken when the caller is
    /// awake to take it, and the next one is an interval after it. (Turns
    /// booked in advance let callers woken late by a busy machine go out
    /// together and overrun the API's one-second window: 429s.)
    pub async fn acquire(&self) {
        loop {
            let turn = {
                let mut s = self.slots.lock().expect("rate limiter lock");
                let now = Instant::now();
                let mut turn = s.next;
                if s.recent.len() >= PER_MINUTE {
                    let oldest = *s.recent.front().expect("full");
                    turn = turn.max(oldest + Duration::from_secs_f64(60.0 / MARGIN));
                }
                if turn <= now {
                    if s.recent.len() >= PER_MINUTE {
                        s.recent.pop_front();
                    }
                    // On time within the timer's granularity: the next turn
                    // keeps the even pace; later: it counts from now.
                    let on_time = now.duration_since(turn) <= TIMER_SLACK;
                    s.next = if on_time { turn } else { now } + self.interval;
                    s.recent.push_back(now);
                    return;
                }
                turn
            };
            tokio::time::sleep_until(turn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_requests_evenly_under_the_rate() {
        let limiter = RateLimiter::new(100.0);
        let start = Instant::now();
        let mut stamps = Vec::new();
        for _ in 0..301 {
            limiter.acquire().await;
            stamps.push(start.elapsed().as_secs_f64());
        }
        // 300 intervals at 97 a second.
        let took = start.elapsed().as_secs_f64();
        assert!((3.05..3.15).contains(&took), "{took}");
        // Never more than 100 in any one-second window.
        for (i, t) in stamps.iter().enumerate() {
            let in_window = stamps[i..].iter().take_while(|u| **u < t + 1.0).count();
            assert!(in_window <= 100, "{in_window} at {t}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_minute_budget_caps_a_faster_rate() {
        let limiter = RateLimiter::new(1000.0);
        let start = Instant::now();
        for _ in 0..6000 {
            limiter.acquire().await;
        }
        // The minute's 6,000 come at the per-second pace (970 a second) ...
        assert!(
            start.elapsed() < Duration::from_secs(7),
            "{:?}",
            start.elapsed()
        );
        // ... then the 6,001st waits until the first is a minute old.
        limiter.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_secs(60),
            "{:?}",
            start.elapsed()
        );
    }
}
