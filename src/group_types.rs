//! The workspace group's wire types (`/workspace-group-members`): an agency
//! (admin) workspace and the client sub-workspaces it reaches.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an invitation to the group stands. A status this tool does not
/// know is kept as it is (`Other`) and never guessed into a known one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupStatus {
    Pending,
    Accepted,
    Rejected,
    Other(String),
}

impl GroupStatus {
    pub fn as_str(&self) -> &str {
        match self {
            GroupStatus::Pending => "pending",
            GroupStatus::Accepted => "accepted",
            GroupStatus::Rejected => "rejected",
            GroupStatus::Other(s) => s,
        }
    }

    /// Pending or accepted: the API refuses a second invitation (409).
    pub fn is_active(&self) -> bool {
        matches!(self, GroupStatus::Pending | GroupStatus::Accepted)
    }
}

impl From<String> for GroupStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "pending" => GroupStatus::Pending,
            "accepted" => GroupStatus::Accepted,
            "rejected" => GroupStatus::Rejected,
            _ => GroupStatus::Other(s),
        }
    }
}

impl fmt::Display for GroupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GroupStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GroupStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(GroupStatus::from)
    }
}

/// One row of the group: a sub-workspace invited by an admin workspace.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GroupMember {
    pub id: String,
    pub admin_workspace_id: String,
    pub sub_workspace_id: String,
    pub status: GroupStatus,
    #[serde(default)]
    pub timestamp_created: String,
    #[serde(default)]
    pub timestamp_updated: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_workspace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_workspace_name: Option<String>,
}

/// `GET /workspace-group-members/admin`: whether this workspace is itself
/// a sub-workspace of an agency.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupAdmin {
    #[serde(default)]
    pub workspace_name: String,
    #[serde(default)]
    pub has_admin_workspace: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_group_member_id: Option<String>,
}

/// `POST /workspace-group-members`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InviteSubWorkspace {
    pub sub_workspace_id: String,
}
