//! What the sandbox holds: one workspace, persisted as JSON.

use crate::api_types::{Account, ApiKey, AuditEvent, Campaign, Member, Tag, TagMapping, Workspace};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The whole emulated workspace. API keys are stored with their full secret
/// (the sandbox must authenticate requests); lists show them masked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SandboxState {
    pub workspace: Workspace,
    pub members: Vec<Member>,
    pub api_keys: Vec<ApiKey>,
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub mappings: Vec<TagMapping>,
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// An agency workspace's sub-workspaces, reached with `x-as-workspace`
    /// by the agency's keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_workspaces: Vec<SandboxState>,
    /// The agency's group (`/workspace-group-members`): which of
    /// `sub_workspaces` it invited, and how each answered. Absent (states
    /// written before groups): every sub-workspace is an accepted member.
    /// Only the top workspace's is read; `x-as-workspace` reaches accepted ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_group: Option<Vec<crate::group_types::GroupMember>>,
    /// Path prefixes (e.g. `/audit-logs`) of features this workspace's plan
    /// does not include: every request under one answers 402, as the API
    /// does for a plan without the feature.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_required: Vec<String>,
    /// The audit log, oldest first as appended (`/audit-logs` answers
    /// newest first). Key creates and deletes through the sandbox add to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_logs: Vec<AuditEvent>,
    /// `forbidden`: `/audit-logs` answers 403, as to a key without
    /// `audit_logs:read`. (A plan without the feature is `payment_required:
    /// ["/audit-logs"]`, as for any other endpoint.)
    #[serde(default, skip_serializing_if = "AuditAccess::is_default")]
    pub audit_log: AuditAccess,
}

/// Whether `/audit-logs` serves the log (see `SandboxState::audit_log`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuditAccess {
    #[default]
    Served,
    Forbidden,
}

impl AuditAccess {
    fn is_default(&self) -> bool {
        *self == AuditAccess::Served
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read sandbox state {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("sandbox state {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("cannot write sandbox state {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl SandboxState {
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StateError::Read {
            path: p.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StateError::Parse { path: p, source })
    }

    /// Writes through a temporary file and a rename, so a crash never leaves half a state.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let err = |source| StateError::Write {
            path: path.display().to_string(),
            source,
        };
        let text = serde_json::to_string_pretty(self).expect("state serializes");
        let tmp = path.with_extension("json.tmp");
        write_private(&tmp, (text + "\n").as_bytes()).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }

    /// The first key with `all:all`: what `--sandbox` authenticates with when
    /// no `--api-key` is given.
    pub fn operator_key(&self) -> Option<&str> {
        self.api_keys
            .iter()
            .find(|k| k.scopes.iter().any(|s| s == "all:all"))
            .map(|k| k.key.as_str())
    }
}

pub use crate::timestamp::now_iso;

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl SandboxState {
    /// The workspace as the tool would read it through the API (keys masked).
    pub fn as_live(&self) -> crate::live::Live {
        crate::live::Live {
            workspace: self.workspace.clone(),
            members: self.members.clone(),
            api_keys: self
                .api_keys
                .iter()
                .map(|k| crate::api_types::ApiKey {
                    key: crate::client::mask_key(&k.key),
                    ..k.clone()
                })
                .collect(),
            tags: self.tags.clone(),
            mappings: self.mappings.clone(),
            campaigns: self.campaigns.clone(),
            accounts: self.accounts.clone(),
            assignments_read: true,
            warnings: Vec::new(),
        }
    }
}

/// Writes `bytes` to a new file of mode 0600: a state holds full key
/// secrets. A leftover temporary file (of another mode) is removed first.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    crate::durable_file::create_new_private(path)?.write_all(bytes)
}
