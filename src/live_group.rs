//! Reading the workspace group: the agency's rows of
//! `/workspace-group-members` and whether this workspace is itself a
//! sub-workspace (`/admin`). Read only for a file that declares
//! `workspace_group`, so other plans cost no extra request.

use crate::api_error::ApiError;
use crate::client::Client;
use crate::config::Config;
use crate::group_types::{GroupAdmin, GroupMember};

/// The group as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveGroup {
    /// The rows this workspace administers, in the order listed.
    pub members: Vec<GroupMember>,
    /// Whether this workspace is itself in another workspace's group.
    pub admin: GroupAdmin,
}

/// Whether planning `config` needs the group.
pub fn needed(config: &Config) -> bool {
    config.workspace_group.is_some()
}

/// Both reads, concurrently.
pub async fn read(client: &Client) -> Result<LiveGroup, ApiError> {
    let (members, admin) = tokio::try_join!(
        client.list::<GroupMember>("/workspace-group-members", &[]),
        client.get::<GroupAdmin>("/workspace-group-members/admin", &[]),
    )?;
    Ok(LiveGroup { members, admin })
}
