//! Creates without duplicates. The API has no idempotency keys, so a POST
//! whose answer was lost (timeout, dropped connection, 5xx, garbled answer)
//! may or may not have happened. Instead of repeating it blindly, read back
//! by natural key (email, label, key name): adopt the object when it is
//! there, create it again when it is not. Nothing is ever deleted here: an
//! API key cannot be adopted (its secret is only in the lost answer), so a
//! key that appears stops the create for a person to review.
//!
//! Before the first POST each create reads back once more: an object of
//! its natural key that appeared since the plan (which said it was not
//! there) was made by another apply; the action stops, nothing created.

use crate::api_error::ApiError;
use crate::api_types::{ApiKey, CreateApiKey, CreateTag, InviteMember, Member, Tag};
use crate::client::Client;
use crate::plan::{KeyState, MemberState, TagState};
use std::collections::HashSet;

/// Rounds of create-then-read-back before giving up.
const ROUNDS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Conflict(String),
    /// The object appeared between the plan and its create: another apply
    /// made it. Not retried; nothing was created.
    #[error(
        "another apply is running or ran since the plan: `{name}` now exists ({}); {}; run plan again",
        ids_phrase(.ids),
        match .undone {
            None => "nothing was created".to_owned(),
            Some(own) => format!("the key this apply had just made ({own}) was revoked again, so nothing was created"),
        }
    )]
    Concurrent {
        name: String,
        ids: Vec<String>,
        /// A key this apply made in the same instant and revoked again.
        undone: Option<String>,
    },
}

fn ids_phrase(ids: &[String]) -> String {
    format!(
        "{} {}",
        if ids.len() == 1 { "id" } else { "ids" },
        ids.join(", ")
    )
}

/// Stops a create whose object appeared since the plan said it was not there.
fn not_there_yet(name: &str, ids: Vec<String>) -> Result<(), CreateError> {
    if ids.is_empty() {
        return Ok(());
    }
    tracing::warn!(name, ?ids, "appeared since the plan: another apply");
    Err(CreateError::Concurrent {
        name: name.to_owned(),
        ids,
        undone: None,
    })
}

/// How a create ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    Created(T),
    /// The object was found after an ambiguous answer, and matches.
    Adopted(T),
}

/// The answers that say "a member of that email exists": 400 (our choice
/// in the contract; a 409 would mean the same).
fn member_exists(e: &ApiError) -> bool {
    matches!(e.status(), Some(400 | 409))
}

/// The answer that says "a tag of that normalized label exists": 409 (the
/// contract's revision of 2026-11-29; a 400 is a bad body, not a duplicate).
fn tag_exists(e: &ApiError) -> bool {
    e.status() == Some(409)
}

/// A label as the API compares them: trimmed.
fn normalized(label: &str) -> &str {
    label.trim()
}

pub async fn invite(client: &Client, m: &MemberState) -> Result<Outcome<()>, CreateError> {
    let body = InviteMember {
        email: m.email.clone(),
        role: m.role.clone(),
        permissions: (!m.permissions.is_empty()).then(|| m.permissions.clone()),
        nickname: m.nickname.clone(),
    };
    // No look before the POST: a member another apply invited since the
    // plan makes the first POST answer "already a member" (round 0 below).
    let mut last = None;
    for round in 0..ROUNDS {
        let e = match client.post::<_, Member>("/workspace-members", &body).await {
            Ok(_) => return Ok(Outcome::Created(())),
            Err(e) if e.is_ambiguous() || member_exists(&e) => e,
            Err(e) => return Err(e.into()),
        };
        let found: Vec<Member> = client
            .list("/workspace-members", &[("search", m.email.to_string())])
            .await?;
        match found.iter().find(|x| x.email == m.email) {
            // Not there just before, refused as existing by the first POST:
            // another apply invited them in between.
            Some(x) if round == 0 && member_exists(&e) => {
                not_there_yet(m.email.as_str(), vec![x.id.clone()])?;
            }
            Some(x) => {
                let mut perms = x.permissions.clone().unwrap_or_default();
                perms.sort();
                if x.role == m.role && perms == m.permissions {
                    return Ok(Outcome::Adopted(()));
                }
                return Err(CreateError::Conflict(format!(
                    "{} is already a member with role {} and other permissions ({e})",
                    m.email, x.role
                )));
            }
            None if member_exists(&e) => return Err(e.into()),
            None => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || CreateError::Conflict("no answer".into()),
        CreateError::Api,
    ))
}

/// Creates a tag, or adopts the one with its label; returns its id.
pub async fn tag(client: &Client, t: &TagState) -> Result<Outcome<String>, CreateError> {
    let body = CreateTag {
        label: t.label.clone(),
        description: t.description.clone(),
    };
    // No look before the POST: a tag another apply made since the plan
    // makes the first POST answer 409 (round 0 below).
    let mut last = None;
    for round in 0..ROUNDS {
        let e = match client.post::<_, Tag>("/custom-tags", &body).await {
            Ok(tag) => return Ok(Outcome::Created(tag.id)),
            Err(e) if e.is_ambiguous() || tag_exists(&e) => e,
            Err(e) => return Err(e.into()),
        };
        let found: Vec<Tag> = client
            .list(
                "/custom-tags",
                &[("search", normalized(&t.label).to_owned())],
            )
            .await?;
        match found.iter().find(|x| x.label == t.label) {
            Some(x) if round == 0 && tag_exists(&e) => {
                not_there_yet(&t.label, vec![x.id.clone()])?;
            }
            // A description that differs is fixed by the next plan; the tag is the identity.
            Some(x) => return Ok(Outcome::Adopted(x.id.clone())),
            // Refused as a duplicate, and no tag of this exact label: one
            // whose label differs only by spaces holds it. Not ours, not retried.
            None if tag_exists(&e) => {
                let clashing: Vec<String> = found
                    .iter()
                    .filter(|x| normalized(&x.label) == normalized(&t.label))
                    .map(|x| format!("`{}` ({})", x.label, x.id))
                    .collect();
                if clashing.is_empty() {
                    return Err(e.into());
                }
                return Err(CreateError::Conflict(format!(
                    "the live tag {} has the same label once spaces are trimmed, so the API refuses `{}` ({e}); rename one of them",
                    clashing.join(", "),
                    t.label
                )));
            }
            None => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || CreateError::Conflict("no answer".into()),
        CreateError::Api,
    ))
}

/// A new key with its secret. A key cannot be adopted after a lost create
/// answer (its secret is gone), and this never revokes anything: when a key
/// of the planned name appears that is not in `known` (the ids that existed
/// when planned, or were created by this apply), the create stops with a
/// conflict for a person to review. When none appears, the POST did not
/// happen, and it is made again.
pub async fn api_key(
    client: &Client,
    k: &KeyState,
    known: &HashSet<String>,
) -> Result<ApiKey, CreateError> {
    let body = CreateApiKey {
        name: k.name.clone(),
        scopes: k.scopes.clone(),
    };
    // No look before the POST: names are not unique, so another apply's
    // key of this name is found after it (`first_of_its_name`), where the
    // later of the two is revoked by the apply that made it.
    let mut last = None;
    for _ in 0..ROUNDS {
        let e = match client.post::<_, ApiKey>("/api-keys", &body).await {
            Ok(key) => return first_of_its_name(client, key, known).await,
            Err(e) if e.is_ambiguous() => e,
            Err(e) => return Err(e.into()),
        };
        let keys: Vec<ApiKey> = client.list("/api-keys", &[]).await?;
        let unknown: Vec<&str> = keys
            .iter()
            .filter(|x| x.name == k.name && !known.contains(&x.id))
            .map(|x| x.id.as_str())
            .collect();
        if !unknown.is_empty() {
            tracing::warn!(ids = ?unknown, "a key the plan did not show appeared after a lost create answer");
            return Err(CreateError::Conflict(format!(
                "a key named {} ({} {}) appeared that the plan did not show — it may be the key whose create answer was lost (its secret cannot be recovered) or one made by someone else; nothing was revoked; run plan again and review it (the create's answer was lost: {e})",
                k.name,
                if unknown.len() == 1 { "id" } else { "ids" },
                unknown.join(", ")
            )));
        }
        last = Some(e);
    }
    Err(last.map_or_else(
        || CreateError::Conflict("no answer".into()),
        CreateError::Api,
    ))
}

/// Key names are not unique, so two applies that passed the check before
/// the POST at the same instant both create. Of the keys of a name that
/// neither plan knew, the first created (`timestamp_created`, then id) is
/// kept: the apply that made a later one sees the earlier (its own POST
/// came after it), revokes its own key (never delivered, so nobody holds
/// its secret) and stops. The apply that made the first never sees an
/// earlier one, and goes on. When the check or the revocation fails, the
/// key is kept (and its secret delivered): a duplicate the next plan
/// removes is better than a key nobody holds the secret of.
async fn first_of_its_name(
    client: &Client,
    key: ApiKey,
    known: &HashSet<String>,
) -> Result<ApiKey, CreateError> {
    // The key exists and its secret is in hand: when this check cannot be
    // made, the key is kept and delivered rather than its secret lost.
    let keys: Vec<ApiKey> = match client.list("/api-keys", &[]).await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check for a key made by another apply");
            return Ok(key);
        }
    };
    let order = |x: &ApiKey| (x.timestamp_created.clone(), x.id.clone());
    let earlier: Vec<String> = keys
        .iter()
        .filter(|x| x.name == key.name && x.id != key.id && !known.contains(&x.id))
        .filter(|x| order(x) < order(&key))
        .map(|x| x.id.clone())
        .collect();
    if earlier.is_empty() {
        return Ok(key);
    }
    tracing::warn!(name = %key.name, ?earlier, own = %key.id, "another apply created the same key");
    if let Err(e) = client.delete(&format!("/api-keys/{}", key.id)).await {
        // Kept, and its secret delivered: the next plan revokes one of the two.
        tracing::warn!(error = %e, "cannot revoke the key again; it is kept");
        return Ok(key);
    }
    Err(CreateError::Concurrent {
        name: key.name,
        ids: earlier,
        undone: Some(key.id),
    })
}

/// Invites a workspace into the agency's group. A lost answer, or a 409
/// after one, is resolved by reading the group back: an active row for the
/// workspace is adopted. A 409 on the first POST with the row there means
/// another apply invited it since the plan; without it, the workspace
/// belongs to another group, which only its owner can change.
pub async fn sub_workspace(
    client: &Client,
    s: &crate::plan::SubWorkspaceState,
) -> Result<Outcome<()>, CreateError> {
    use crate::group_types::{GroupMember, InviteSubWorkspace};
    let body = InviteSubWorkspace {
        sub_workspace_id: s.sub_workspace_id.clone(),
    };
    let conflict = |e: &ApiError| e.status() == Some(409);
    let mut last = None;
    for round in 0..ROUNDS {
        let e = match client
            .post::<_, GroupMember>("/workspace-group-members", &body)
            .await
        {
            Ok(_) => return Ok(Outcome::Created(())),
            Err(e) if e.is_ambiguous() || conflict(&e) => e,
            Err(e) => return Err(e.into()),
        };
        let rows: Vec<GroupMember> = client.list("/workspace-group-members", &[]).await?;
        let row = rows.iter().find(|r| {
            r.sub_workspace_id.eq_ignore_ascii_case(&s.sub_workspace_id) && r.status.is_active()
        });
        match row {
            Some(r) if round == 0 && conflict(&e) => {
                not_there_yet(&s.sub_workspace_id, vec![r.id.clone()])?;
            }
            Some(_) => return Ok(Outcome::Adopted(())),
            None if conflict(&e) => {
                return Err(CreateError::Conflict(format!(
                    "workspace {} is in another agency's group or invited by one ({e}); its owner must leave that group first",
                    s.sub_workspace_id
                )));
            }
            None => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || CreateError::Conflict("no answer".into()),
        CreateError::Api,
    ))
}
