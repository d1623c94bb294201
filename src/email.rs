//! `Email`: an email address as written or received, compared by one rule.
//!
//! The contract says emails compare case-insensitively. The rule lives in
//! [`Email::fold`] alone; an `Email` folds once, when it is made, and its
//! equality, hash and order are those of the folded key, so maps keyed by
//! `Email` and comparisons between them are right by construction.

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
}
