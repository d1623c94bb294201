//! Timestamps from the API, which are untrusted: one that is not a date,
//! or that lies in the future, proves nothing — not a recent login, not an
//! age. The review shows such activity or age as unknown, with a finding.

/// How far in the future a timestamp may be and still be trusted (a clock
/// ahead of ours): the planner's tolerance for a key's creation time.
const SKEW: i64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// Seconds since the epoch, not in the future (beyond the skew).
    At(i64),
    NotADate,
    Future,
}

/// `ts` judged against `now`. A date that does not read back as written
/// (`2026-02-31`, hour 25) is not a date either.
pub fn stamp(ts: &str, now: i64) -> Stamp {
    let Some(t) = crate::timestamp::parse(ts) else {
        return Stamp::NotADate;
    };
    if ts.get(..16) != super::iso(t).get(..16) {
        return Stamp::NotADate;
    }
    if t > now + SKEW {
        Stamp::Future
    } else {
        Stamp::At(t)
    }
}

/// Whole days from `ts` to `now` (never negative), when `ts` is trusted.
pub fn age_days(ts: &str, now: i64) -> Option<i64> {
    match stamp(ts, now) {
        Stamp::At(t) => Some((now - t).max(0) / 86_400),
        _ => None,
    }
}

/// Why `ts` is untrusted (`None` when it is trusted), for a finding.
pub fn untrusted(ts: &str, now: i64) -> Option<String> {
    let shown = format!("`{ts}`");
    match stamp(ts, now) {
        Stamp::At(_) => None,
        Stamp::NotADate => Some(format!("{shown} is not a date")),
        Stamp::Future => Some(format!("{shown} is in the future")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_future_or_not_read_back_are_untrusted() {
        let now = crate::timestamp::parse("2026-11-30T12:00:00.000Z").unwrap();
        assert_eq!(age_days("2026-11-20T12:00:00.000Z", now), Some(10));
        assert_eq!(age_days("2026-11-30T18:00:00.000Z", now), Some(0));
        assert_eq!(stamp("2099-01-01T00:00:00.000Z", now), Stamp::Future);
        assert_eq!(stamp("garbage", now), Stamp::NotADate);
        assert_eq!(stamp("2026-02-31T00:00:00.000Z", now), Stamp::NotADate);
        assert_eq!(stamp("2026-11-01T25:00:00.000Z", now), Stamp::NotADate);
        assert_eq!(
            untrusted("2099-01-01T00:00:00.000Z", now).as_deref(),
            Some("`2099-01-01T00:00:00.000Z` is in the future")
        );
    }
}
