//! `/custom-tags` and `toggle-resource`: tags and which resources carry them.
// Handlers answer HTTP on both paths; boxing the error one buys nothing.
#![allow(clippy::result_large_err)]

use super::routes::{Answer, Req, bad, error, no_route, not_found, ok, paginate};
use super::state::{SandboxState, new_id, now_iso};
use crate::api_types::*;
use crate::email::Email;
use axum::http::Method;
use std::collections::HashSet;

/// 409: labels are unique per workspace once trimmed, on create and rename.
fn duplicate() -> axum::response::Response {
    error(
        axum::http::StatusCode::CONFLICT,
        "A tag with the same normalized label already exists in this workspace",
    )
}

pub(super) fn tags(st: &mut SandboxState, r: &Req, rest: &[&str]) -> Answer {
    let find = |st: &SandboxState, id: &str| st.tags.iter().position(|t| t.id == id);
    match (r.method.clone(), rest) {
        (Method::GET, []) => {
            let tag_ids: HashSet<String> = r.list_param("tag_ids").into_iter().collect();
            let res: HashSet<String> = r.list_param("resource_ids").into_iter().collect();
            let on: Option<HashSet<&str>> = (!res.is_empty()).then(|| {
                st.mappings
                    .iter()
                    .filter(|m| res.contains(&m.resource_id))
                    .map(|m| m.tag_id.as_str())
                    .collect()
            });
            let search = r.query.get("search").map(|s| s.to_lowercase());
            let items: Vec<&Tag> = st
                .tags
                .iter()
                .filter(|t| tag_ids.is_empty() || tag_ids.contains(&t.id))
                .filter(|t| on.as_ref().is_none_or(|set| set.contains(t.id.as_str())))
                .filter(|t| {
                    search
                        .as_ref()
                        .is_none_or(|s| t.label.to_lowercase().contains(s))
                })
                .collect();
            paginate(r, items, |t| &t.id, false)
        }
        (Method::POST, []) => {
            let c: CreateTag = r.json()?;
            if c.label.trim().is_empty() {
                return Err(bad("body/label must not be empty"));
            }
            if st.tags.iter().any(|t| t.label.trim() == c.label.trim()) {
                return Err(duplicate());
            }
            let now = now_iso();
            let t = Tag {
                id: new_id(),
                label: c.label,
                description: c.description,
                organization_id: st.workspace.id.clone(),
                timestamp_created: now.clone(),
                timestamp_updated: now,
            };
            st.tags.push(t.clone());
            ok(&t)
        }
        (Method::GET, [id]) => match find(st, id) {
            Some(i) => ok(&st.tags[i]),
            None => Err(not_found()),
        },
        (Method::PATCH, [id]) => {
            let i = find(st, id).ok_or_else(not_found)?;
            let p: PatchTag = r.json()?;
            if let Some(label) = p.label {
                if st
                    .tags
                    .iter()
                    .any(|t| t.label.trim() == label.trim() && t.id != *id)
                {
                    return Err(duplicate());
                }
                st.tags[i].label = label;
            }
            if p.description.is_some() {
                st.tags[i].description = p.description;
            }
            st.tags[i].timestamp_updated = now_iso();
            ok(&st.tags[i])
        }
        (Method::DELETE, [id]) => {
            let i = find(st, id).ok_or_else(not_found)?;
            let t = st.tags.remove(i);
            st.mappings.retain(|m| m.tag_id != t.id);
            ok(&t)
        }
        _ => Err(no_route()),
    }
}

pub(super) fn toggle(st: &mut SandboxState, r: &Req) -> Answer {
    let t: ToggleResource = r.json()?;
    if t.tag_ids.is_empty() || t.resource_ids.is_empty() {
        return Err(bad("body/tag_ids and body/resource_ids must not be empty"));
    }
    // Sets, not a scan of the workspace per id: a toggle names up to
    // hundreds of resources of a workspace with tens of thousands.
    let tags: HashSet<&str> = st.tags.iter().map(|x| x.id.as_str()).collect();
    if let Some(id) = t.tag_ids.iter().find(|id| !tags.contains(id.as_str())) {
        return Err(bad(format!("unknown tag id {id}")));
    }
    let resources: HashSet<&str> = match t.resource_type {
        ResourceType::Account => st.accounts.iter().map(|a| a.email.key()).collect(),
        ResourceType::Campaign => st.campaigns.iter().map(|c| c.id.as_str()).collect(),
        ResourceType::Other(_) => HashSet::new(),
    };
    let known = |id: &String| match t.resource_type {
        ResourceType::Account => resources.contains(Email::fold(id).as_str()),
        _ => resources.contains(id.as_str()),
    };
    if let ResourceType::Other(_) = t.resource_type {
        return Err(bad(
            "body/resource_type must be 1 (account) or 2 (campaign)",
        ));
    }
    if let Some(id) = t.resource_ids.iter().find(|id| !known(id)) {
        return Err(bad(format!("unknown resource id {id}")));
    }
    // One pass over the mappings, not one per (tag, resource) pair.
    let pairs: std::collections::HashSet<(&String, &String)> = t
        .tag_ids
        .iter()
        .flat_map(|tag| t.resource_ids.iter().map(move |res| (tag, res)))
        .collect();
    if t.assign {
        let existing: std::collections::HashSet<(String, String)> = st
            .mappings
            .iter()
            .filter(|m| m.resource_type == t.resource_type && t.tag_ids.contains(&m.tag_id))
            .map(|m| (m.tag_id.clone(), m.resource_id.clone()))
            .collect();
        for (tag, res) in &t
            .tag_ids
            .iter()
            .flat_map(|tag| t.resource_ids.iter().map(move |res| (tag, res)))
            .collect::<Vec<_>>()
        {
            if !existing.contains(&((*tag).clone(), (*res).clone())) {
                let m = TagMapping {
                    id: new_id(),
                    tag_id: (*tag).clone(),
                    resource_id: (*res).clone(),
                    resource_type: t.resource_type,
                    timestamp_created: now_iso(),
                    organization_id: st.workspace.id.clone(),
                };
                st.mappings.push(m);
            }
        }
    } else {
        st.mappings.retain(|m| {
            !(m.resource_type == t.resource_type && pairs.contains(&(&m.tag_id, &m.resource_id)))
        });
    }
    ok(&serde_json::json!({"success": true}))
}
