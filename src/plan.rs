//! A plan: the ordered actions that take the live workspace to the desired
//! one. Built by `planner` alone; the applier carries it out as it is.

use crate::api_types::ResourceType;
use crate::email::Email;
use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Member,
    ApiKey,
    Tag,
    Assignment,
    SubWorkspace,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Member,
        Kind::ApiKey,
        Kind::Tag,
        Kind::Assignment,
        Kind::SubWorkspace,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            Kind::Member => "Members",
            Kind::ApiKey => "API keys",
            Kind::Tag => "Tags",
            Kind::Assignment => "Tag assignments",
            Kind::SubWorkspace => "Sub-workspaces",
        }
    }

    /// The name used in addresses, `--ack-deletes`, JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Member => "member",
            Kind::ApiKey => "api_key",
            Kind::Tag => "tag",
            Kind::Assignment => "assignment",
            Kind::SubWorkspace => "sub_workspace",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind or op name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{found}`: expected one of {expected}")]
pub struct UnknownName {
    pub found: String,
    pub expected: &'static str,
}

impl FromStr for Kind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Kind, UnknownName> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                found: s.to_owned(),
                expected: "member, api_key, tag, assignment, sub_workspace",
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Replace,
    Delete,
}

impl Op {
    pub const ALL: [Op; 4] = [Op::Create, Op::Update, Op::Replace, Op::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Replace => "replace",
            Op::Delete => "delete",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Op {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Op, UnknownName> {
        Op::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| UnknownName {
                found: s.to_owned(),
                expected: "create, update, replace, delete",
            })
    }
}

/// The managed fields of one object, as shown in plans (`before`/`after`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum State {
    Member(MemberState),
    ApiKey(KeyState),
    Tag(TagState),
    Assignment(AssignmentState),
    SubWorkspace(SubWorkspaceState),
}

/// A sub-workspace in the agency's group (`workspace_group`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubWorkspaceState {
    pub sub_workspace_id: String,
    /// The declared name, else the live one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: crate::group_types::GroupStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberState {
    pub email: Email,
    pub role: Role,
    pub permissions: Vec<String>,
    /// An invitation not yet accepted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// The member's nickname: the declared one, else the live one (a
    /// nickname not declared is left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The desired file's team role these are (declared for the member, or
    /// whose role and permissions the live ones equal), shown in plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyState {
    pub name: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagState {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a tag is assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Campaign,
    Account,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Campaign => "campaign",
            ResourceKind::Account => "account",
        }
    }
    /// `resource_type` in the API.
    pub fn api_code(self) -> ResourceType {
        match self {
            ResourceKind::Campaign => ResourceType::Campaign,
            ResourceKind::Account => ResourceType::Account,
        }
    }
    /// The kind of a live mapping; `None` for a type this tool does not
    /// know, which it never plans.
    pub fn from_api(t: ResourceType) -> Option<Self> {
        match t {
            ResourceType::Campaign => Some(ResourceKind::Campaign),
            ResourceType::Account => Some(ResourceKind::Account),
            ResourceType::Other(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentState {
    pub tag: String,
    pub resource_type: ResourceKind,
    /// The campaign's name or the account's email.
    pub resource: String,
    /// The campaign uuid or the account email, as toggle-resource takes it.
    pub resource_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub address: String,
    pub kind: Kind,
    pub op: Op,
    /// When it runs: phases run in increasing order, the actions of one
    /// phase concurrently. Set by the planner (`planner::phase`) and kept in
    /// saved plans, so a plan is applied in the order it was reviewed.
    pub phase: u8,
    pub before: Option<State>,
    pub after: Option<State>,
    pub reason: Option<String>,
    /// The id of the live object acted on (update, replace, delete); for an
    /// assignment, the tag's id when the tag exists already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_id: Option<String>,
    /// High for privilege escalations, medium for other escalations,
    /// deletions and replacements (see `access_impact`).
    #[serde(default)]
    pub risk: crate::access_impact::Risk,
    /// For an API key: who created it (or, for a declared key that
    /// disappeared, deleted it), from the audit log (`attribution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<crate::attribution::Attribution>,
    /// Where the declared object is written (`file:line`), when the file
    /// extends bases and it may be in one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Action {
    /// The object the action is about: its state after, else before.
    pub fn state(&self) -> Option<&State> {
        self.after.as_ref().or(self.before.as_ref())
    }

    /// A member or sub-workspace replaced: removed and invited again,
    /// without access until they accept.
    pub fn is_reinvite(&self) -> bool {
        matches!(self.kind, Kind::Member | Kind::SubWorkspace) && self.op == Op::Replace
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceRef {
    pub id: String,
    pub name: String,
    /// When the workspace is itself a sub-workspace of an agency: its row
    /// in that agency's group (`/workspace-group-members/admin`, read only
    /// for files that declare `workspace_group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_member_id: Option<String>,
}

/// A live object the plan leaves alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    pub address: String,
    pub why: String,
    /// For an API key: who created it, from the audit log (`attribution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<crate::attribution::Attribution>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub workspace: WorkspaceRef,
    pub actions: Vec<Action>,
    /// Limits the plan exceeds; apply refuses until they are acknowledged.
    #[serde(default)]
    pub blocks: Vec<crate::safety::Block>,
    pub unmanaged: Vec<Unmanaged>,
    pub warnings: Vec<String>,
    /// Ids of the API keys that existed when planned: a key with a planned
    /// name but another id, found after a lost create answer, is one the
    /// plan did not show, and stops the apply.
    #[serde(default)]
    pub live_key_ids: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for a in &self.actions {
            match a.op {
                Op::Create => s.create += 1,
                Op::Update => s.update += 1,
                Op::Replace => s.replace += 1,
                Op::Delete => s.delete += 1,
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Whether applying needs somewhere to put new API key secrets.
    pub fn creates_keys(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.kind == Kind::ApiKey && matches!(a.op, Op::Create | Op::Replace))
    }
}

impl Summary {
    /// `Plan: 7 to create, 2 to update, 1 to replace, 4 to delete.`
    pub fn line(&self) -> String {
        format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete.",
            self.create, self.update, self.replace, self.delete
        )
    }
}
