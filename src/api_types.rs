//! Wire types of the Instantly API v2 (docs/api-contract.md), shared by the
//! client and the sandbox so that both speak exactly one contract.

use crate::email::Email;
use crate::role::Role;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_starting_after: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    /// The owner's user id.
    pub owner: String,
    #[serde(default)]
    pub timestamp_created: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub id: String,
    pub email: Email,
    #[serde(default)]
    pub user_id: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub accepted: bool,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    /// The member's nickname in this workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The address of the user's account, when the API gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    #[serde(default)]
    pub workspace_id: String,
    #[serde(default)]
    pub timestamp_created: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Masked (`abcd…wxyz`) in lists; complete only in the create answer.
    pub key: String,
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub timestamp_created: String,
    #[serde(default)]
    pub timestamp_updated: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tag {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub timestamp_created: String,
    #[serde(default)]
    pub timestamp_updated: String,
}

/// `resource_type` of mappings and toggle-resource, a number on the wire:
/// 1 an account, 2 a campaign. Any other number (the API may grow new
/// kinds) is kept as `Other(n)`, never taken for one of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
pub enum ResourceType {
    Account,
    Campaign,
    /// A number this tool does not know; never 1 or 2 when read.
    Other(u8),
}

impl From<u8> for ResourceType {
    fn from(code: u8) -> Self {
        match code {
            1 => ResourceType::Account,
            2 => ResourceType::Campaign,
            n => ResourceType::Other(n),
        }
    }
}

impl From<ResourceType> for u8 {
    fn from(t: ResourceType) -> u8 {
        match t {
            ResourceType::Account => 1,
            ResourceType::Campaign => 2,
            ResourceType::Other(n) => n,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TagMapping {
    pub id: String,
    pub tag_id: String,
    /// A campaign uuid, or an account's email.
    pub resource_id: String,
    pub resource_type: ResourceType,
    #[serde(default)]
    pub timestamp_created: String,
    #[serde(default)]
    pub organization_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: i64,
    #[serde(default)]
    pub timestamp_created: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub email: Email,
    #[serde(default)]
    pub timestamp_created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<AccountTag>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccountTag {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InviteMember {
    pub email: Email,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// `PATCH /workspace-members/{id}`: at least one field is sent.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PatchMember {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CreateApiKey {
    pub name: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CreateTag {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PatchTag {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToggleResource {
    pub tag_ids: Vec<String>,
    pub resource_type: ResourceType,
    pub resource_ids: Vec<String>,
    pub assign: bool,
}

/// The error body the API answers with.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status_code: u16,
    pub error: String,
    pub message: String,
}

/// One entry of the audit log (`/audit-logs`). Only what attributing API
/// keys needs is typed; the rest is kept as it came.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditEvent {
    pub id: String,
    pub timestamp: String,
    #[serde(default)]
    pub organization_id: String,
    /// 37 an API key created, 38 one deleted; other codes are kept as
    /// numbers (new ones appear over time).
    pub activity_type: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub ip_address: String,
    #[serde(default)]
    pub from_api: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    /// (our choice) the sandbox writes `{"name": …}` for key events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_metadata: Option<serde_json::Value>,
}
