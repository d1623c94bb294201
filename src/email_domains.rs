//! `policy.allowed_email_domains`: which addresses a workspace's members may
//! have. A domain matches exactly, compared by `Email`'s folding: `acme.com`
//! allows `Ann@ACME.com` but not `ann@eu.acme.com` (a subdomain is another
//! organisation's as often as one's own, so each is listed on purpose).

use crate::config::Config;
use crate::email::Email;

/// Whether `email`'s domain is one of `domains` (kept in lower case by the
/// loader); any address when `domains` is empty.
pub fn allowed(email: &Email, domains: &[String]) -> bool {
    domains.is_empty()
        || email
            .key()
            .rsplit_once('@')
            .is_some_and(|(_, d)| domains.iter().any(|a| Email::fold(a) == d))
}

/// The plan's warnings for live members outside the allowed domains. Under
/// an authoritative members policy an undeclared one is removed anyway (a
/// declared one cannot be outside: the loader refuses it).
pub fn live_warnings(config: &Config, live: &crate::live::Live) -> Vec<String> {
    let domains = &config.policy.allowed_email_domains;
    live.members
        .iter()
        .filter(|m| !allowed(&m.email, domains))
        .map(|m| {
            format!(
                "{}: `{}` is outside policy.allowed_email_domains ({})",
                crate::planner::member_address(&m.email),
                m.email,
                domains.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_exactly_and_without_case() {
        let d = vec!["acme.com".to_owned()];
        assert!(allowed(&Email::new("Ann@ACME.com"), &d));
        assert!(!allowed(&Email::new("ann@eu.acme.com"), &d));
        assert!(!allowed(&Email::new("ann@notacme.com"), &d));
        assert!(!allowed(&Email::new("acme.com"), &d));
        assert!(allowed(&Email::new("anyone@else.org"), &[]));
    }
}
