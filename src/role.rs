//! `Role`: a member's role in a workspace, as the API spells it.
//!
//! The API knows `owner | admin | editor | view | client`; only `admin`,
//! `editor` and `view` can be set through it. A role the API adds later,
//! read from a live workspace, is kept as `Other` and shown as it is: it is
//! never guessed into a known one, and never compared by name elsewhere.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Editor,
    View,
    Client,
    /// A role this tool does not know; never one of the names above.
    Other(String),
}

impl Role {
    /// Every role this tool knows, in the contract's order.
    pub const KNOWN: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Editor,
        Role::View,
        Role::Client,
    ];

    /// The roles the API can set (`owner` and `client` cannot be).
    pub const SETTABLE: [Role; 3] = [Role::Admin, Role::Editor, Role::View];

    /// The role named `s`, if it is one this tool knows.
    pub fn known(s: &str) -> Option<Role> {
        Role::KNOWN.into_iter().find(|r| r.as_str() == s)
    }

    /// The role as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::View => "view",
            Role::Client => "client",
            Role::Other(s) => s,
        }
    }

    /// Whether the API can give a member this role.
    pub fn is_settable(&self) -> bool {
        matches!(self, Role::Admin | Role::Editor | Role::View)
    }

    /// `owner` or `admin`: every privilege there is.
    pub fn is_admin(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The rank for promotions and demotions: owner 4, admin 3, editor 2,
    /// view 1; `client` and unknown roles 0.
    pub fn rank(&self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Editor => 2,
            Role::View => 1,
            Role::Client | Role::Other(_) => 0,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any string is a role: a name this tool does not know is `Other`.
impl FromStr for Role {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Role, Infallible> {
        Ok(Role::from(s))
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Role {
        Role::known(s).unwrap_or_else(|| Role::Other(s.to_owned()))
    }
}

impl From<String> for Role {
    fn from(s: String) -> Role {
        Role::known(&s).unwrap_or(Role::Other(s))
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        String::deserialize(d).map(Role::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_round_trips() {
        for r in Role::KNOWN {
            assert_eq!(Role::from(r.as_str()), r);
        }
        assert_eq!(Role::from("Admin"), Role::Other("Admin".into()));
        assert!(Role::SETTABLE.iter().all(Role::is_settable));
    }
}
