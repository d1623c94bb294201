//! The desired-state file, version 1, as validated types.
//!
//! `config_loader` builds these from YAML and reports every error with its
//! location; `export` builds them from a live workspace and serializes them;
//! `docs/schema.json` is generated from them (their doc comments become the
//! schema's descriptions).

use crate::email::Email;
use crate::role::Role;
use crate::yaml_node::Loc;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use std::borrow::Cow;
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

impl<T: JsonSchema> JsonSchema for At<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// The desired access control of one Instantly workspace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "instantly-rbac desired state, version 1")]
pub struct Config {
    /// The file format version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Base files, relative to this file, whose team roles, members, API
    /// keys, tags and policy fields this workspace takes in. The same one
    /// defined differently in two files is an error; a base holds no
    /// `workspace`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<String>,
    /// Guard: every command refuses to act on any other workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<WorkspaceGuard>,
    /// Team roles: an Instantly role plus fine-grained permissions, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, TeamRole>,
    /// The workspace's members and pending invitations.
    #[serde(default)]
    pub members: Vec<MemberSpec>,
    /// Scoped API keys, identified by name.
    #[serde(default)]
    pub api_keys: Vec<ApiKeySpec>,
    /// Custom tags, and the campaigns and sending accounts that carry each.
    #[serde(default)]
    pub tags: Vec<TagSpec>,
    /// What happens to live objects the file does not declare, and the safety limits.
    #[serde(default)]
    pub policy: Policy,
    /// An agency (admin) workspace's group: the client sub-workspaces it
    /// reaches (see `config_group.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_group: Option<WorkspaceGroup>,
}

/// The client sub-workspaces of an agency workspace
/// (`/workspace-group-members`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceGroup {
    /// The sub-workspaces the group holds: invited when missing.
    #[serde(default)]
    pub sub_workspaces: Vec<SubWorkspaceSpec>,
}

/// One client workspace of the group.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubWorkspaceSpec {
    /// The client workspace's id.
    pub id: At<String>,
    /// Its name: optional, checked against the live name (a warning if it
    /// differs), and the plan's address when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<At<String>>,
}

/// Which workspace the file is for.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceGuard {
    /// The workspace id, as `GET /workspaces/current` answers it.
    pub id: At<String>,
}

/// An Instantly role plus fine-grained permissions, named for reuse.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRole {
    /// The base role.
    // One of `Role::SETTABLE`, checked at load time.
    #[schemars(schema_with = "settable_role_schema")]
    pub role: Role,
    /// Fine-grained permissions, set when a member is invited.
    #[serde(default)]
    #[schemars(schema_with = "permissions_schema")]
    pub permissions: Vec<String>,
    /// The permissions of `permissions` this tool does not know, where
    /// they are written, for lint W007.
    #[serde(skip)]
    #[schemars(skip)]
    pub unknown_permissions: Vec<At<String>>,
    /// Where the role is defined, for lints.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
}

/// A member of the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    /// The member's email address (compared case-insensitively).
    #[schemars(email)]
    pub email: At<Email>,
    /// `owner` (asserts the current owner; never changed), `admin`, `editor`,
    /// `view`, or the name of a team role defined under `roles`.
    pub role: At<RoleRef>,
    /// The member's nickname in the workspace. When given, kept equal to the
    /// live nickname (and sent with an invite); when omitted, the live
    /// nickname is left as it is, never cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Lints not to report for this entry, by code (e.g. `[W002]`): for a
    /// warning that was read and accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::lints::codes_schema")]
    pub allow: Vec<String>,
}

/// The role a member entry names: a built-in one, or a team role defined
/// under `roles`. Written as the plain name in files; the loader checks the
/// name against the closed vocabulary (`RoleRef::DECLARABLE` and the team
/// roles) and reports an unknown one where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleRef {
    /// One of `RoleRef::DECLARABLE`.
    Builtin(Role),
    /// The name of a team role.
    Team(String),
}

impl RoleRef {
    /// The built-in roles a member entry may name (`client` cannot be set,
    /// and a role the tool does not know cannot be declared).
    pub const DECLARABLE: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::View];

    /// The built-in role named `name`, if a file may declare it.
    pub fn builtin(name: &str) -> Option<RoleRef> {
        RoleRef::DECLARABLE
            .into_iter()
            .find(|r| r.as_str() == name)
            .map(RoleRef::Builtin)
    }

    /// The name as written in the file.
    pub fn as_str(&self) -> &str {
        match self {
            RoleRef::Builtin(r) => r.as_str(),
            RoleRef::Team(name) => name,
        }
    }

    /// Whether the entry asserts the workspace's owner.
    pub fn is_owner(&self) -> bool {
        *self == RoleRef::Builtin(Role::Owner)
    }
}

impl std::fmt::Display for RoleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declarable built-in name, else a team role's name (for export and
/// tests; the loader also checks that the team role exists).
impl From<&str> for RoleRef {
    fn from(name: &str) -> RoleRef {
        RoleRef::builtin(name).unwrap_or_else(|| RoleRef::Team(name.to_owned()))
    }
}

impl From<Role> for RoleRef {
    fn from(role: Role) -> RoleRef {
        RoleRef::Builtin(role)
    }
}

impl Serialize for RoleRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl JsonSchema for RoleRef {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "RoleRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

/// A scoped API key. Its secret is shown only when created.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySpec {
    /// The key's name; it identifies the key.
    pub name: At<String>,
    /// Scopes: `<resource>:<action>` or `all:<action>`, action one of read,
    /// create, update, delete, all.
    #[schemars(schema_with = "scopes_schema")]
    pub scopes: Vec<String>,
    /// Replace the key when it is older than this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub rotate_after_days: Option<u32>,
    /// Lints not to report for this entry, by code (e.g. `[W002]`): for a
    /// warning that was read and accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::lints::codes_schema")]
    pub allow: Vec<String>,
}

/// A custom tag.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagSpec {
    /// The tag's label; it identifies the tag.
    pub label: At<String>,
    /// When given, kept equal to the live description; when omitted, left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Campaign names, matched exactly. The tag's campaigns are exactly these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<At<String>>,
    /// Sending accounts, by email. The tag's accounts are exactly these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<At<Email>>,
    /// Lints not to report for this entry, by code (e.g. `[W002]`): for a
    /// warning that was read and accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::lints::codes_schema")]
    pub allow: Vec<String>,
}

/// What happens to live objects the file does not declare, and the safety limits.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Members not declared: deleted (authoritative) or kept (additive).
    pub members: Mode,
    /// API keys not declared: revoked (authoritative) or kept (additive).
    pub api_keys: Mode,
    /// Tags not declared: deleted with their assignments (authoritative) or kept (additive).
    pub tags: Mode,
    /// Sub-workspaces in the group not declared in `workspace_group`:
    /// removed from it (authoritative) or kept (additive).
    #[serde(skip_serializing_if = "Mode::is_authoritative")]
    pub workspace_group: Mode,
    /// Glob patterns of live objects that are never planned.
    #[serde(skip_serializing_if = "Ignore::is_empty")]
    pub ignore: Ignore,
    /// Members and keys that are never deleted or downgraded.
    #[serde(skip_serializing_if = "Protect::is_empty")]
    pub protect: Protect,
    /// Block a plan deleting more than this percentage of the members, keys,
    /// tags or assignments (counted for collections of 10 or more).
    #[serde(skip_serializing_if = "is_default_percent")]
    #[schemars(range(max = 100))]
    pub max_delete_percent: u32,
    /// Block a plan deleting more than this many objects of one kind.
    #[serde(skip_serializing_if = "is_default_deletes")]
    pub max_deletes: u32,
    /// Block a plan leaving fewer admins (the owner counts).
    #[serde(skip_serializing_if = "is_default_admins")]
    pub min_admins: u32,
    /// Warn (lint W004) when more members than this are admins (the owner counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_admins: Option<u32>,
    /// Accept email addresses with non-ASCII letters (internationalised
    /// addresses). Invisible characters, whitespace and letters of mixed
    /// scripts in one part are refused even so.
    #[serde(skip_serializing_if = "is_false")]
    pub allow_non_ascii_emails: bool,
    /// The email domains members may have (compared case-insensitively,
    /// exactly: `acme.com` does not allow `eu.acme.com`). A declared member
    /// outside them is an error; a live one is a plan warning. Empty: any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_email_domains: Vec<String>,
    /// Lints not to report anywhere in the file, by code (e.g. `[W005]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::lints::codes_schema")]
    pub allow_lints: Vec<String>,
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
fn is_false(v: &bool) -> bool {
    !*v
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            members: Mode::default(),
            api_keys: Mode::default(),
            tags: Mode::default(),
            workspace_group: Mode::default(),
            ignore: Ignore::default(),
            protect: Protect::default(),
            max_delete_percent: DEFAULT_MAX_DELETE_PERCENT,
            max_deletes: DEFAULT_MAX_DELETES,
            min_admins: DEFAULT_MIN_ADMINS,
            max_admins: None,
            allow_non_ascii_emails: false,
            allowed_email_domains: Vec::new(),
            allow_lints: Vec::new(),
        }
    }
}

/// Members and keys that are never deleted or downgraded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Protect {
    /// Member emails.
    pub members: Vec<Email>,
    /// API key names.
    pub api_keys: Vec<String>,
}

impl Protect {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.api_keys.is_empty()
    }
    pub fn member(&self, email: &Email) -> bool {
        self.members.contains(email)
    }
    pub fn api_key(&self, name: &str) -> bool {
        self.api_keys.iter().any(|k| k == name)
    }
}

/// Whether live objects that the file does not declare are deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Delete what is not declared.
    #[default]
    Authoritative,
    /// Never delete.
    Additive,
}

impl Mode {
    pub fn is_authoritative(&self) -> bool {
        *self == Mode::Authoritative
    }
}

/// Glob patterns (`*`, `?`, `[...]`, `{a,b}`) of live objects that are never planned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Ignore {
    /// Member emails (case-insensitive).
    pub members: Vec<String>,
    /// API key names.
    pub api_keys: Vec<String>,
    /// Tag labels.
    pub tags: Vec<String>,
    /// Sub-workspaces of the group, by name or id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_workspaces: Vec<String>,
}

impl Ignore {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
            && self.api_keys.is_empty()
            && self.tags.is_empty()
            && self.sub_workspaces.is_empty()
    }
}

/// A file's members, keys and tags by identity: for looking each live
/// object up once, not scanning the file per object.
pub struct Declared<'a> {
    pub members: std::collections::HashMap<&'a Email, &'a MemberSpec>,
    pub api_keys: std::collections::HashMap<&'a str, &'a ApiKeySpec>,
    pub tags: std::collections::HashMap<&'a str, &'a TagSpec>,
}

impl Config {
    /// The declared objects by identity (email, key name, tag label).
    pub fn declared(&self) -> Declared<'_> {
        Declared {
            members: self.members.iter().map(|m| (&m.email.value, m)).collect(),
            api_keys: self
                .api_keys
                .iter()
                .map(|k| (k.name.value.as_str(), k))
                .collect(),
            tags: self
                .tags
                .iter()
                .map(|t| (t.label.value.as_str(), t))
                .collect(),
        }
    }

    /// The base role and sorted permissions a member entry stands for.
    /// Team roles were checked at load time; an unknown team name yields
    /// a role of that name, which no built-in one is taken for.
    pub fn resolve_role(&self, role: &RoleRef) -> (Role, Vec<String>) {
        match role {
            RoleRef::Builtin(r) => (r.clone(), Vec::new()),
            RoleRef::Team(name) => match self.roles.get(name) {
                Some(team) => {
                    let mut p = team.permissions.clone();
                    p.sort();
                    p.dedup();
                    (team.role.clone(), p)
                }
                None => (Role::Other(name.clone()), Vec::new()),
            },
        }
    }
}

fn settable_role_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = Role::SETTABLE.iter().map(Role::as_str).collect();
    json_schema!({ "type": "string", "enum": names })
}

fn permissions_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "uniqueItems": true,
        // The list grows over time: a name outside it is accepted (lint
        // W007 warns), so editors suggest the known ones without refusing others.
        "items": {
            "type": "string",
            "anyOf": [
                { "enum": crate::vocab::PERMISSIONS },
                { "type": "string", "description": "a permission this tool does not know yet (warning W007)" }
            ]
        }
    })
}

fn scopes_schema(_: &mut SchemaGenerator) -> Schema {
    let resources = crate::vocab::SCOPE_RESOURCES.join("|");
    json_schema!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {
            "type": "string",
            "pattern": format!("^(all|{resources}):(read|create|update|delete|all)$")
        }
    })
}

/// The JSON Schema of the desired-state file (`docs/schema.json`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Config);
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}
