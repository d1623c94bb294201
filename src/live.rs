//! The live workspace, read through list endpoints (never one GET per object).

use crate::api_error::ApiError;
use crate::api_types::{Account, ApiKey, Campaign, Member, Tag, TagMapping, Workspace};
use crate::client::Client;

/// What the planner needs to know of the live workspace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub workspace: Workspace,
    pub members: Vec<Member>,
    pub api_keys: Vec<ApiKey>,
    pub tags: Vec<Tag>,
    /// Assignments of every tag, when `assignments_read`.
    pub mappings: Vec<TagMapping>,
    pub campaigns: Vec<Campaign>,
    pub accounts: Vec<Account>,
    /// False when the file declares no tags, so campaigns, accounts and
    /// mappings were not read at all.
    pub assignments_read: bool,
}

/// Reads the workspace. Assignments and the campaigns and accounts that name
/// them are read only when `with_assignments` (the file declares tags, or an
/// export).
pub async fn read(client: &Client, with_assignments: bool) -> Result<Live, ApiError> {
    let workspace = client.get::<Workspace>("/workspaces/current", &[]).await?;
    read_lists(client, workspace, with_assignments).await
}

/// The rest of `read`, for callers that fetched the workspace already (to
/// check the file's workspace guard first). Every list is read concurrently.
pub async fn read_lists(
    client: &Client,
    workspace: Workspace,
    with_assignments: bool,
) -> Result<Live, ApiError> {
    let none: &[(&str, String)] = &[];
    let access = async {
        tokio::try_join!(
            client.list::<Member>("/workspace-members", none),
            client.list::<ApiKey>("/api-keys", none),
            client.list::<Tag>("/custom-tags", none),
        )
    };
    let assignments = async {
        if with_assignments {
            tokio::try_join!(
                client.list::<TagMapping>("/custom-tag-mappings", none),
                client.list::<Campaign>("/campaigns", none),
                client.list::<Account>("/accounts", none),
            )
        } else {
            Ok(Default::default())
        }
    };
    let ((members, api_keys, tags), (mappings, campaigns, accounts)) =
        tokio::try_join!(access, assignments)?;
    tracing::info!(
        members = members.len(),
        api_keys = api_keys.len(),
        tags = tags.len(),
        mappings = mappings.len(),
        "read the live workspace"
    );
    Ok(Live {
        workspace,
        members,
        api_keys,
        tags,
        mappings,
        campaigns,
        accounts,
        assignments_read: with_assignments,
    })
}
