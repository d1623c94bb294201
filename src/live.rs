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

/// Which lists a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub members: bool,
    pub api_keys: bool,
    pub tags: bool,
    pub mappings: bool,
    /// Campaigns and accounts, to resolve names.
    pub resources: bool,
}

impl Needs {
    /// Everything; assignments only when `with_assignments`.
    pub fn all(with_assignments: bool) -> Needs {
        Needs {
            members: true,
            api_keys: true,
            tags: true,
            mappings: with_assignments,
            resources: with_assignments,
        }
    }
}

/// Reads the workspace. Assignments and the campaigns and accounts that name
/// them are read only when `with_assignments` (the file declares tags, or an
/// export).
pub async fn read(client: &Client, with_assignments: bool) -> Result<Live, ApiError> {
    let workspace = client.get::<Workspace>("/workspaces/current", &[]).await?;
    read_lists(client, workspace, Needs::all(with_assignments)).await
}

async fn list_if<T: serde::de::DeserializeOwned>(
    client: &Client,
    wanted: bool,
    path: &str,
) -> Result<Vec<T>, ApiError> {
    if wanted {
        client.list(path, &[]).await
    } else {
        Ok(Vec::new())
    }
}

/// The rest of `read`, for callers that fetched the workspace already (to
/// check a guard first). The lists asked for are read concurrently.
pub async fn read_lists(
    client: &Client,
    workspace: Workspace,
    needs: Needs,
) -> Result<Live, ApiError> {
    let (members, api_keys, tags, mappings, campaigns, accounts) = tokio::try_join!(
        list_if::<Member>(client, needs.members, "/workspace-members"),
        list_if::<ApiKey>(client, needs.api_keys, "/api-keys"),
        list_if::<Tag>(client, needs.tags, "/custom-tags"),
        list_if::<TagMapping>(client, needs.mappings, "/custom-tag-mappings"),
        list_if::<Campaign>(client, needs.resources, "/campaigns"),
        list_if::<Account>(client, needs.resources, "/accounts"),
    )?;
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
        assignments_read: needs.mappings,
    })
}
