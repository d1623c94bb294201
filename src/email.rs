//! `Email`: an email address as written or received, compared by one rule.
//!
//! The contract says emails compare case-insensitively. The rule lives in
//! [`Email::fold`] alone; an `Email` folds once, when it is made, and its
//! equality, hash and order are those of the folded key, so maps keyed by
//! `Email` and comparisons between them are right by construction.

use crate::escape::invisible as is_invisible;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

#[derive(Clone)]
pub struct Email {
    /// As written in the file or answered by the API.
    raw: String,
    /// `fold(raw)`.
    key: String,
}

impl Email {
    pub fn new(raw: impl Into<String>) -> Email {
        let raw = raw.into();
        let key = Email::fold(&raw);
        Email { raw, key }
    }

    /// The one rule by which emails compare: the lower-cased address.
    /// Everything that compares or indexes emails goes through it.
    pub fn fold(s: &str) -> String {
        s.to_lowercase()
    }

    /// The address as written or received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The folded form: what identifies the address (and shows in plan
    /// addresses).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether `other`, a plain string (a search term, a mapping's
    /// `resource_id`), is this address.
    pub fn is(&self, other: &str) -> bool {
        self.key == Email::fold(other)
    }
}

/// Why a string written as an email address in a desired-state file is
/// not one, or `None` when it is. `allow_non_ascii` is the file's
/// `policy.allow_non_ascii_emails`.
///
/// Beyond the shape (one `@`, a dotted domain), an address may hold no
/// invisible or format characters (zero-width, bidi controls, BOM), no
/// whitespace or control characters, and no label that mixes Latin, Greek
/// and Cyrillic letters: each makes an address that looks like another one.
/// Any other non-ASCII letter needs the opt-in.
pub fn problem(s: &str, allow_non_ascii: bool) -> Option<Problem> {
    if let Some(c) = s.chars().find(|&c| is_invisible(c)) {
        return Some(Problem {
            message: format!(
                "`{}` contains an invisible character, {}",
                shown(s),
                name(c)
            ),
            help: "delete it (retype the address): an invisible character makes an address that looks like another".into(),
        });
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let what = if c.is_whitespace() {
            "whitespace"
        } else {
            "a control character"
        };
        return Some(Problem {
            message: format!("`{}` contains {what}, {}", shown(s), name(c)),
            help: "an email address has no spaces or control characters; remove them".into(),
        });
    }
    let (local, domain) = s.split_once('@').unwrap_or((s, ""));
    // `%` (source routing: `eve%evil.com@acme.com` may be relayed to
    // evil.com) and parentheses (comments: `eve(x)@acme.com`) make an
    // address whose domain is not the one it delivers to, or that another
    // system reads differently: an allowed domain would not hold.
    if let Some(c) = local.chars().find(|c| matches!(c, '%' | '(' | ')')) {
        return Some(Problem {
            message: format!("`{}` has `{c}` before the `@`", shown(s)),
            help: "`%` routes mail to another domain and parentheses are comments, so the address may not be the one it looks like; write the plain address".into(),
        });
    }
    for part in std::iter::once(local).chain(domain.split('.')) {
        if let Some((first, other, c)) = mixed_scripts(part) {
            return Some(Problem {
                message: format!(
                    "`{}` mixes scripts: {other} `{c}` ({}) among {first} letters",
                    shown(s),
                    codepoint(c)
                ),
                help: "a look-alike letter from another script makes a different address; retype it in one script".into(),
            });
        }
    }
    if !allow_non_ascii && let Some(c) = s.chars().find(|c| !c.is_ascii()) {
        return Some(Problem {
            message: format!("`{}` is not plain ASCII: `{c}` ({})", shown(s), codepoint(c)),
            help: "if the address really is internationalised, set `policy.allow_non_ascii_emails: true`".into(),
        });
    }
    None
}

/// What is wrong with an address, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: String,
}

/// The script of a letter, for the scripts whose letters look alike.
fn script(c: char) -> Option<&'static str> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Some("Latin"),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some("Greek"),
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Some("Cyrillic"),
        _ => None,
    }
}

/// The first script met in `part` and the first letter of another, if any.
fn mixed_scripts(part: &str) -> Option<(&'static str, &'static str, char)> {
    let mut first = None;
    for c in part.chars() {
        let Some(s) = script(c) else { continue };
        match first {
            None => first = Some(s),
            Some(f) if f != s => return Some((f, s, c)),
            Some(_) => {}
        }
    }
    None
}

fn codepoint(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A character by its code point, and its name for the common ones.
fn name(c: char) -> String {
    let what = match c {
        ' ' => "space",
        '\t' => "tab",
        '\u{00A0}' => "no-break space",
        '\u{00AD}' => "soft hyphen",
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidirectional control",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "byte order mark",
        _ => "",
    };
    if what.is_empty() {
        codepoint(c)
    } else {
        format!("{} ({what})", codepoint(c))
    }
}

/// `s` with invisible, whitespace (other than a space) and control
/// characters written as `\u{…}`, so a message shows what is there.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_invisible(c) || c.is_control() || (c.is_whitespace() && c != ' ') {
                format!("\\u{{{:X}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl PartialEq for Email {
    fn eq(&self, other: &Email) -> bool {
        self.key == other.key
    }
}

impl Eq for Email {}

impl Hash for Email {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.key.hash(h);
    }
}

impl PartialOrd for Email {
    fn partial_cmp(&self, other: &Email) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Email {
    fn cmp(&self, other: &Email) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl From<&str> for Email {
    fn from(s: &str) -> Email {
        Email::new(s)
    }
}

impl From<String> for Email {
    fn from(s: String) -> Email {
        Email::new(s)
    }
}

impl From<&String> for Email {
    fn from(s: &String) -> Email {
        Email::new(s.as_str())
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Email, D::Error> {
        String::deserialize(d).map(Email::new)
    }
}

impl JsonSchema for Email {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Email".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_once() {
        let e = Email::new("Sam@Acme.com");
        assert_eq!(e.as_str(), "Sam@Acme.com");
        assert_eq!(e.key(), "sam@acme.com");
        assert!(e.is("SAM@acme.COM"));
        assert_eq!(e, Email::new("sam@acme.com"));
    }

    #[test]
    fn problems() {
        let msg = |s: &str, allow| problem(s, allow).map(|p| p.message);
        assert_eq!(msg("sam@acme.com", false), None);
        assert_eq!(
            msg("sa\u{200B}m@acme.com", false).as_deref(),
            Some(
                "`sa\\u{200B}m@acme.com` contains an invisible character, U+200B (zero width space)"
            )
        );
        assert_eq!(
            msg("p\u{0430}ypal@acme.com", true).as_deref(),
            Some(
                "`p\u{0430}ypal@acme.com` mixes scripts: Cyrillic `\u{0430}` (U+0430) among Latin letters"
            )
        );
        assert_eq!(msg("\u{0438}\u{0432}\u{0430}\u{043D}@acme.com", true), None);
        assert!(
            msg("j\u{00F6}rg@acme.com", false)
                .unwrap()
                .contains("not plain ASCII")
        );
        assert_eq!(msg("j\u{00F6}rg@acme.com", true), None);
        assert!(msg("a b@acme.com", true).unwrap().contains("whitespace"));
        assert_eq!(
            msg("eve%evil.com@acme.com", true).as_deref(),
            Some("`eve%evil.com@acme.com` has `%` before the `@`")
        );
        assert!(msg("eve(comment)@acme.com", true).is_some());
        assert_eq!(msg("eve+tag@acme.com", false), None);
    }
}
