//! Each member's last login, from the audit log: only logins
//! (`activity_type=1`) since the start of the review's window
//! (`start_date`), never the whole log, a page of 1000 at a time.
//!
//! A log that cannot be read (403: the key lacks `audit_logs:read`; 402:
//! the plan has no audit log) or that is empty is *unknown*: the contract
//! says a plan without the feature may answer an empty log, so nobody is
//! reported inactive on its word.

use super::stamp::{Stamp, stamp};
use crate::api_error::ApiError;
use crate::api_types::{AuditEvent, Page};
use crate::attribution::LIMIT;
use crate::client::Client;
use std::collections::HashMap;

/// `activity_type` of a user login.
pub const LOGIN: u32 = 1;
/// Pages read at most: the newest 20 000 logins of the window.
const MAX_PAGES: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logins {
    Known(Seen),
    /// Why last logins are unknown, for the review's note.
    Unknown(String),
}

/// The logins of the window, by user id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub users: HashMap<String, UserLogins>,
    /// Logins without a user id: whoever they were, a member without an
    /// attributed login may be one of them, so is not reported inactive.
    pub unattributed: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserLogins {
    /// The newest login with a trusted timestamp.
    pub newest: Option<String>,
    /// A login whose timestamp is not a date or in the future (`stamp`).
    pub untrusted: Option<String>,
}

impl Logins {
    /// From the login events of the window (any order), judged against
    /// `now`: `Unknown` when there are none at all.
    pub fn from_events(events: &[AuditEvent], now: i64) -> Logins {
        if events.is_empty() {
            return Logins::Unknown("the audit log has no logins in the window (a plan without audit logs may answer so)".into());
        }
        let mut seen = Seen::default();
        for e in events.iter().filter(|e| e.activity_type == LOGIN) {
            let Some(id) = &e.user_id else {
                seen.unattributed += 1;
                continue;
            };
            let user = seen.users.entry(id.clone()).or_default();
            match stamp(&e.timestamp, now) {
                Stamp::At(t) => {
                    let newer = user
                        .newest
                        .as_deref()
                        .is_none_or(|n| matches!(stamp(n, now), Stamp::At(u) if u < t));
                    if newer {
                        user.newest = Some(e.timestamp.clone());
                    }
                }
                _ => {
                    user.untrusted.get_or_insert_with(|| e.timestamp.clone());
                }
            }
        }
        Logins::Known(seen)
    }

    /// The note when some logins name no user (see `Seen::unattributed`).
    pub fn unattributed_note(&self) -> Option<String> {
        match self {
            Logins::Known(seen) if seen.unattributed > 0 => Some(format!(
                "{} in the window {} no user id: a member without a login of their own is unknown, not inactive",
                if seen.unattributed == 1 {
                    "1 login".to_owned()
                } else {
                    format!("{} logins", seen.unattributed)
                },
                if seen.unattributed == 1 {
                    "has"
                } else {
                    "have"
                },
            )),
            _ => None,
        }
    }

    /// The note when last logins are unknown.
    pub fn note(&self) -> Option<String> {
        match self {
            Logins::Known(_) => None,
            Logins::Unknown(why) => Some(format!(
                "last logins are unknown: {why}; no member is reported inactive"
            )),
        }
    }
}

/// `start_date` of the read: midnight (UTC) of the window's first day.
pub fn start_date(now: i64, days: u32) -> String {
    let start = now - i64::from(days) * 86_400;
    format!("{}T00:00:00.000Z", crate::timestamp::date(start))
}

/// Reads the logins since `start_date`, judged against `now`. 402 and 403
/// are unknown; any other failure is an error of the review.
pub async fn read(client: &Client, start_date: &str, now: i64) -> Result<Logins, ApiError> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0..=MAX_PAGES {
        // Past the last page read, one login more is enough to know the
        // window holds more than were read.
        let limit = if page_no == MAX_PAGES { 1 } else { LIMIT };
        let mut q = vec![
            ("activity_type", LOGIN.to_string()),
            ("start_date", start_date.to_owned()),
            ("limit", limit.to_string()),
        ];
        if let Some(c) = &cursor {
            q.push(("starting_after", c.clone()));
        }
        let page: Page<AuditEvent> = match client.get("/audit-logs", &q).await {
            Ok(page) => page,
            Err(e) if matches!(e.status(), Some(402 | 403)) => {
                return Ok(Logins::Unknown(format!(
                    "the audit log could not be read ({e})"
                )));
            }
            Err(e) => return Err(e),
        };
        let empty = page.items.is_empty();
        if page_no == MAX_PAGES {
            if empty {
                break;
            }
            // The oldest logins of the window were not read: someone seen
            // only there would look inactive.
            return Ok(Logins::Unknown(format!(
                "more than {} logins in the window",
                MAX_PAGES * LIMIT
            )));
        }
        events.extend(page.items);
        match page.next_starting_after {
            Some(next) if !empty && cursor.as_ref() != Some(&next) => cursor = Some(next),
            _ => break,
        }
    }
    Ok(Logins::from_events(&events, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(id: &str, user: Option<&str>, at: &str) -> AuditEvent {
        AuditEvent {
            id: id.into(),
            timestamp: at.into(),
            organization_id: String::new(),
            activity_type: LOGIN,
            user_id: user.map(str::to_owned),
            user_name: None,
            ip_address: String::new(),
            from_api: false,
            user_agent: None,
            api_key_id: None,
            audit_metadata: None,
        }
    }

    #[test]
    fn the_newest_login_of_each_user_and_an_empty_log_is_unknown() {
        let events = [
            login("1", Some("u1"), "2026-11-01T10:00:00.000Z"),
            login("2", Some("u1"), "2026-11-20T10:00:00.000Z"),
            login("3", Some("u2"), "2026-11-05T10:00:00.000Z"),
            login("4", None, "2026-11-29T10:00:00.000Z"),
            // Untrusted: never the newest, kept to say why activity is unknown.
            login("5", Some("u1"), "2099-01-01T00:00:00.000Z"),
            login("6", Some("u3"), "2026-11-29T99:00:00.000Z"),
        ];
        let now = crate::timestamp::parse("2026-11-30T00:00:00.000Z").unwrap();
        let Logins::Known(seen) = Logins::from_events(&events, now) else {
            panic!("known");
        };
        assert_eq!(
            seen.users["u1"].newest.as_deref(),
            Some("2026-11-20T10:00:00.000Z")
        );
        assert_eq!(
            seen.users["u2"].newest.as_deref(),
            Some("2026-11-05T10:00:00.000Z")
        );
        assert_eq!(
            seen.users["u1"].untrusted.as_deref(),
            Some("2099-01-01T00:00:00.000Z")
        );
        assert_eq!(
            seen.users["u3"],
            UserLogins {
                newest: None,
                untrusted: Some("2026-11-29T99:00:00.000Z".into())
            }
        );
        assert_eq!((seen.users.len(), seen.unattributed), (3, 1));
        assert!(matches!(Logins::from_events(&[], now), Logins::Unknown(_)));
        assert_eq!(
            start_date(86_400 * 100 + 5_000, 90),
            "1970-01-11T00:00:00.000Z"
        );
    }
}
