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

/// Why a domain written in `policy.allowed_email_domains` is refused, or
/// `None`. Spaces around it are refused rather than trimmed (`"acme.com "`
/// reads as a typo hiding something), and a non-ASCII domain needs
/// `allow_non_ascii` (a Cyrillic `а` makes `аcme.com` another domain).
pub fn domain_problem(written: &str, allow_non_ascii: bool) -> Option<(String, &'static str)> {
    const SHAPE: &str = "write the domain after the `@`, e.g. `acme.com` (a domain matches exactly: list each subdomain you allow)";
    if written.trim() != written {
        return Some((
            format!("`{written}` has spaces around it"),
            "remove them: a domain is written exactly",
        ));
    }
    if !allow_non_ascii && let Some(c) = written.chars().find(|c| !c.is_ascii()) {
        return Some((
            format!(
                "`{written}` is not plain ASCII: `{c}` (U+{:04X})",
                u32::from(c)
            ),
            "a look-alike letter from another script makes another domain; retype it, or set `policy.allow_non_ascii_emails: true` for a real internationalised domain",
        ));
    }
    let labels_ok = written.split('.').all(|l| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    (!written.contains('.') || !labels_ok)
        .then(|| (format!("`{written}` is not an email domain"), SHAPE))
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

    #[test]
    fn domains_are_written_exactly_and_in_ascii() {
        assert_eq!(domain_problem("acme.com", false), None);
        assert!(domain_problem("acme.com ", true).is_some());
        assert!(domain_problem("\u{0430}cme.com", false).is_some());
        assert_eq!(domain_problem("m\u{00FC}nchen.de", true), None);
        assert!(domain_problem("acme", true).is_some());
    }
}
