//! `plan --diff`: the live and the resulting workspace rendered as YAML, and
//! a unified diff between them. Team roles are flattened into each member's
//! role and permissions so that the diff shows what people can do.

use crate::api_types::ResourceType;
use crate::config::Config;
use crate::email::Email;
use crate::live::{Index, Live};
use crate::plan::Plan;
use crate::planner::{key_address, member_address, tag_address};
use crate::role::Role;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Serialize, Default)]
struct View {
    members: Vec<ViewMember>,
    api_keys: Vec<ViewKey>,
    tags: Vec<ViewTag>,
    /// The group rows the plan touches, as they are before and after (the
    /// group is not part of `Live`; rows left as they are are not shown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sub_workspaces: Vec<crate::plan::SubWorkspaceState>,
}

#[derive(Serialize, Clone)]
struct ViewMember {
    /// Shown folded, so that a case difference is no diff.
    email: Email,
    role: Role,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
}

#[derive(Serialize, Clone)]
struct ViewKey {
    name: String,
    scopes: Vec<String>,
}

#[derive(Serialize, Clone)]
struct ViewTag {
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    campaigns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<String>,
}

fn live_view(live: &Live) -> View {
    let index = Index::new(live);
    let mut v = View::default();
    for m in &live.members {
        let mut permissions = m.permissions.clone().unwrap_or_default();
        permissions.sort();
        v.members.push(ViewMember {
            email: Email::new(m.email.key()),
            role: m.role.clone(),
            permissions,
            nickname: m.nickname.clone().filter(|n| !n.is_empty()),
        });
    }
    for k in &live.api_keys {
        let mut scopes = k.scopes.clone();
        scopes.sort();
        v.api_keys.push(ViewKey {
            name: k.name.clone(),
            scopes,
        });
    }
    for t in &live.tags {
        let mut tag = ViewTag {
            label: t.label.clone(),
            description: t.description.clone().filter(|d| !d.is_empty()),
            campaigns: Vec::new(),
            accounts: Vec::new(),
        };
        for m in index.mappings_of(&t.id) {
            match m.resource_type {
                ResourceType::Campaign => {
                    let name = index
                        .campaigns_by_id
                        .get(m.resource_id.as_str())
                        .map_or(m.resource_id.clone(), |c| c.name.clone());
                    tag.campaigns.push(name);
                }
                ResourceType::Account => tag.accounts.push(Email::fold(&m.resource_id)),
                // Neither side of the diff can show what a file cannot declare.
                ResourceType::Other(_) => {}
            }
        }
        v.tags.push(tag);
    }
    v
}

/// The workspace as it will be: what the file declares, plus the live
/// objects the plan leaves alone (additive policy, ignored, protected).
fn desired_view(config: &Config, live_v: &View, plan: &Plan) -> View {
    // Sets and maps, not scans: a plan may leave thousands of objects alone.
    let unmanaged: HashSet<&str> = plan.unmanaged.iter().map(|u| u.address.as_str()).collect();
    let kept = |address: String| unmanaged.contains(address.as_str());
    let live_nicknames: HashMap<&Email, &Option<String>> = live_v
        .members
        .iter()
        .map(|l| (&l.email, &l.nickname))
        .rev()
        .collect();
    let declared: HashSet<&Email> = config.members.iter().map(|m| &m.email.value).collect();
    // By label trimmed, as the planner matches tags: a live `  Old-Team `
    // is the declared `Old-Team`, shown under its live label, unchanged.
    let live_tags: HashMap<&str, (&String, &Option<String>)> = live_v
        .tags
        .iter()
        .map(|l| (l.label.trim(), (&l.label, &l.description)))
        .rev()
        .collect();
    let mut v = View::default();
    for m in &config.members {
        let (role, permissions) = config.resolve_role(&m.role.value);
        let email = Email::new(m.email.value.key());
        // An undeclared nickname is left as it is.
        let nickname = m
            .nickname
            .clone()
            .or_else(|| live_nicknames.get(&email).and_then(|n| (*n).clone()));
        v.members.push(ViewMember {
            email,
            role,
            permissions,
            nickname,
        });
    }
    v.members.extend(
        live_v
            .members
            .iter()
            .filter(|m| m.role == Role::Owner && !declared.contains(&m.email))
            .cloned(),
    );
    v.members.extend(
        live_v
            .members
            .iter()
            .filter(|m| kept(member_address(&m.email)))
            .cloned(),
    );
    for k in &config.api_keys {
        let mut scopes = k.scopes.clone();
        scopes.sort();
        v.api_keys.push(ViewKey {
            name: k.name.value.clone(),
            scopes,
        });
    }
    v.api_keys.extend(
        live_v
            .api_keys
            .iter()
            .filter(|k| kept(key_address(&k.name)))
            .cloned(),
    );
    for t in &config.tags {
        let live = live_tags.get(t.label.value.trim());
        let live_desc = live.and_then(|(_, d)| (*d).clone());
        v.tags.push(ViewTag {
            label: live.map_or_else(|| t.label.value.clone(), |(l, _)| (*l).clone()),
            description: t.description.clone().or(live_desc),
            campaigns: t.campaigns.iter().map(|c| c.value.clone()).collect(),
            accounts: t
                .accounts
                .iter()
                .map(|a| a.value.key().to_owned())
                .collect(),
        });
    }
    v.tags.extend(
        live_v
            .tags
            .iter()
            .filter(|t| kept(tag_address(&t.label)))
            .cloned(),
    );
    v
}

fn normalize(mut v: View) -> String {
    v.members.sort_by(|a, b| a.email.cmp(&b.email));
    v.api_keys.sort_by(|a, b| a.name.cmp(&b.name));
    v.tags.sort_by(|a, b| a.label.cmp(&b.label));
    v.sub_workspaces
        .sort_by(|a, b| a.sub_workspace_id.cmp(&b.sub_workspace_id));
    for t in &mut v.tags {
        t.campaigns.sort();
        t.accounts.sort();
    }
    serde_saphyr::to_string(&v).expect("a view serializes")
}

/// A unified diff from the live workspace to the one the plan leads to.
pub fn render(config: &Config, live: &Live, plan: &Plan) -> String {
    let mut lv = live_view(live);
    let mut dv = desired_view(config, &lv, plan);
    let touched = |state: fn(&crate::plan::Action) -> Option<&crate::plan::State>| {
        plan.actions
            .iter()
            .filter_map(state)
            .filter_map(|s| match s {
                crate::plan::State::SubWorkspace(w) => Some(w.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    lv.sub_workspaces = touched(|a| a.before.as_ref());
    dv.sub_workspaces = touched(|a| a.after.as_ref());
    let after = normalize(dv);
    let before = normalize(lv);
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header("live", "desired")
        .to_string()
}
