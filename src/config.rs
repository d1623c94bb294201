//! The desired-state file, version 1, as validated types.
//!
//! `config_loader` builds these from YAML and reports every error with its
//! location; `export` builds them from a live workspace and serializes them.

use crate::yaml_node::Loc;
use serde::Serialize;
use std::collections::BTreeMap;

/// A value with the place in the file where it was written (for errors
/// found later, e.g. a campaign name that matches no campaign).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct At<T> {
    pub value: T,
    #[serde(skip)]
    pub loc: Loc,
}

impl<T> At<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        At { value, loc }
    }
    /// A value that comes from no file (export, tests).
    pub fn bare(value: T) -> Self {
        At {
            value,
            loc: Loc::default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Config {
    pub version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<WorkspaceGuard>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, TeamRole>,
    pub members: Vec<MemberSpec>,
    pub api_keys: Vec<ApiKeySpec>,
    pub tags: Vec<TagSpec>,
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkspaceGuard {
    pub id: At<String>,
}

/// An Instantly role plus fine-grained permissions, named for reuse.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TeamRole {
    pub role: String,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberSpec {
    pub email: At<String>,
    /// `owner`, `admin`, `editor`, `view`, or the name of a team role.
    pub role: At<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiKeySpec {
    pub name: At<String>,
    pub scopes: Vec<String>,
    /// Replace the key when it is older than this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate_after_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TagSpec {
    pub label: At<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<At<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<At<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub members: Mode,
    pub api_keys: Mode,
    pub tags: Mode,
    #[serde(skip_serializing_if = "Ignore::is_empty")]
    pub ignore: Ignore,
    #[serde(skip_serializing_if = "Protect::is_empty")]
    pub protect: Protect,
    /// Block a plan deleting more than this share of a collection of 10+.
    #[serde(skip_serializing_if = "is_default_percent")]
    pub max_delete_percent: u32,
    /// Block a plan deleting more than this many objects of one kind.
    #[serde(skip_serializing_if = "is_default_deletes")]
    pub max_deletes: u32,
    /// Block a plan leaving fewer admins (the owner counts).
    #[serde(skip_serializing_if = "is_default_admins")]
    pub min_admins: u32,
}

pub const DEFAULT_MAX_DELETE_PERCENT: u32 = 30;
pub const DEFAULT_MAX_DELETES: u32 = 25;
pub const DEFAULT_MIN_ADMINS: u32 = 1;

fn is_default_percent(v: &u32) -> bool {
    *v == DEFAULT_MAX_DELETE_PERCENT
}
fn is_default_deletes(v: &u32) -> bool {
    *v == DEFAULT_MAX_DELETES
}
fn is_default_admins(v: &u32) -> bool {
    *v == DEFAULT_MIN_ADMINS
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            members: Mode::default(),
            api_keys: Mode::default(),
            tags: Mode::default(),
            ignore: Ignore::default(),
            protect: Protect::default(),
            max_delete_percent: DEFAULT_MAX_DELETE_PERCENT,
            max_deletes: DEFAULT_MAX_DELETES,
            min_admins: DEFAULT_MIN_ADMINS,
        }
    }
}

/// Members and keys that are never deleted or downgraded.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Protect {
    pub members: Vec<String>,
    pub api_keys: Vec<String>,
}

impl Protect {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.api_keys.is_empty()
    }
    pub fn member(&self, email: &str) -> bool {
        self.members.iter().any(|m| m.eq_ignore_ascii_case(email))
    }
    pub fn api_key(&self, name: &str) -> bool {
        self.api_keys.iter().any(|k| k == name)
    }
}

/// Whether live objects that the file does not declare are deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Authoritative,
    Additive,
}

/// Glob patterns of live objects that are never planned.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ignore {
    pub members: Vec<String>,
    pub api_keys: Vec<String>,
    pub tags: Vec<String>,
}

impl Ignore {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.api_keys.is_empty() && self.tags.is_empty()
    }
}

impl Config {
    /// The base role and sorted permissions a member entry stands for.
    /// Team roles were checked at load time; an unknown name yields the name itself.
    pub fn resolve_role(&self, role: &str) -> (String, Vec<String>) {
        match self.roles.get(role) {
            Some(team) => {
                let mut p = team.permissions.clone();
                p.sort();
                p.dedup();
                (team.role.clone(), p)
            }
            None => (role.to_owned(), Vec::new()),
        }
    }
}
