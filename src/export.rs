//! `export`: the live workspace as a desired-state file that plans to no changes.

use crate::api_types::{Campaign, ResourceType};
use crate::config::{
    ApiKeySpec, At, Config, MemberSpec, Policy, RoleRef, TagSpec, TeamRole, WorkspaceGuard,
};
use crate::email::Email;
use crate::live::{Index, Live};
use crate::role::Role;
use std::collections::{BTreeMap, BTreeSet};

/// The desired state that matches `live`, and warnings about what a file
/// cannot express (duplicate key names, ambiguous campaign names, `client`
/// members and roles this tool does not know, assignments to resource types
/// this tool does not know).
pub fn to_config(live: &Live) -> (Config, Vec<String>) {
    let mut warnings = Vec::new();
    let mut policy = Policy::default();
    // Members with permissions need a team role; one per distinct (role, permissions).
    let mut teams: BTreeMap<(String, Vec<String>), (Role, String)> = BTreeMap::new();
    let mut members: Vec<&crate::api_types::Member> = live.members.iter().collect();
    members.sort_by_key(|m| (m.role != Role::Owner, &m.email));
    let mut specs = Vec::new();
    let mut seen = BTreeSet::new();
    for m in members {
        let addr = m.email.as_str();
        if !crate::vocab::is_email(addr) || crate::email::problem(addr, true).is_some() {
            warnings.push(format!("{:?} ({}) is not an address a file can declare; it is listed under policy.ignore.members", addr, m.id));
            policy.ignore.members.push(unreadable_glob(addr));
            continue;
        }
        if !addr.is_ascii() {
            policy.allow_non_ascii_emails = true;
        }
        if !seen.insert(&m.email) {
            warnings.push(format!("{} ({}) has the address of another member in another case; a file names each address once, so it is left out, and a plan will ask you to remove one of them in Instantly", m.email, m.id));
            continue;
        }
        match &m.role {
            Role::Client => {
                warnings.push(format!("{} has the `client` role, which the API cannot set; it is listed under policy.ignore.members", m.email));
                policy
                    .ignore
                    .members
                    .push(globset::escape(m.email.as_str()));
                continue;
            }
            Role::Other(role) => {
                warnings.push(format!("{} has the role `{role}`, which this tool does not know and a file cannot declare; it is listed under policy.ignore.members", m.email));
                policy
                    .ignore
                    .members
                    .push(globset::escape(m.email.as_str()));
                continue;
            }
            _ => {}
        }
        let mut perms = m.permissions.clone().unwrap_or_default();
        perms.sort();
        perms.dedup();
        let role = if perms.is_empty() || m.role == Role::Owner {
            RoleRef::Builtin(m.role.clone())
        } else {
            let n = teams.len() + 1;
            let (_, name) = teams
                .entry((m.role.to_string(), perms))
                .or_insert_with(|| (m.role.clone(), format!("{}-team-{n}", m.role)));
            RoleRef::Team(name.clone())
        };
        specs.push(MemberSpec {
            email: At::bare(m.email.clone()),
            role: At::bare(role),
            nickname: m.nickname.clone().filter(|n| !n.trim().is_empty()),
            allow: Vec::new(),
        });
    }
    let roles = teams
        .into_iter()
        .map(|((_, permissions), (role, name))| {
            (
                name,
                TeamRole {
                    role,
                    permissions,
                    unknown_permissions: Vec::new(),
                    loc: Default::default(),
                },
            )
        })
        .collect();

    let mut names = BTreeSet::new();
    let mut api_keys = Vec::new();
    let mut keys: Vec<_> = live.api_keys.iter().collect();
    keys.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    for k in keys {
        // A scope Instantly added after this tool: a file cannot declare
        // it (scopes are a closed list), so the key is left alone.
        if let Some(scope) = k
            .scopes
            .iter()
            .find(|s| crate::vocab::scope_problem(s).is_some())
        {
            warnings.push(format!("API key `{}` has the scope `{scope}`, which this tool does not know and a file cannot declare; it is listed under policy.ignore.api_keys", k.name));
            let glob = globset::escape(&k.name);
            if !policy.ignore.api_keys.contains(&glob) {
                policy.ignore.api_keys.push(glob);
            }
            continue;
        }
        if !names.insert(k.name.clone()) {
            warnings.push(format!("two API keys are named `{}`; only the older is exported, so a plan would revoke the other", k.name));
            continue;
        }
        let mut scopes = k.scopes.clone();
        scopes.sort();
        api_keys.push(ApiKeySpec {
            name: At::bare(k.name.clone()),
            scopes,
            rotate_after_days: None,
            allow: Vec::new(),
        });
    }

    let index = Index::new(live);
    let mut tags: Vec<TagSpec> = Vec::new();
    let mut live_tags: Vec<_> = live.tags.iter().collect();
    live_tags.sort_by(|a, b| a.label.cmp(&b.label));
    for t in live_tags {
        let mut campaigns = Vec::new();
        let mut accounts = Vec::new();
        for m in index.mappings_of(&t.id) {
            if let ResourceType::Other(n) = m.resource_type {
                warnings.push(format!(
                    "tag `{}` is on {} of resource type {n}, which this tool does not know; left out (plans leave it alone)",
                    t.label, m.resource_id
                ));
            } else if m.resource_type == ResourceType::Campaign {
                // Every campaign that bears the name of the assigned one.
                let same: &[&Campaign] = index
                    .campaigns_by_id
                    .get(m.resource_id.as_str())
                    .and_then(|c| index.campaigns_by_name.get(c.name.as_str()))
                    .map_or(&[], Vec::as_slice);
                match same {
                    [c] => campaigns.push(At::bare(c.name.clone())),
                    [] => warnings.push(format!(
                        "tag `{}` is on campaign {} which is not listed; left out",
                        t.label, m.resource_id
                    )),
                    [c, ..] => {
                        warnings.push(format!("tag `{}` is on campaign `{}`, a name {} campaigns share; rename them so a file can name it", t.label, c.name, same.len()));
                        campaigns.push(At::bare(c.name.clone()));
                    }
                }
            } else if crate::email::problem(&m.resource_id, true).is_some() {
                warnings.push(format!(
                    "tag `{}` is on account {:?}, an address a file cannot declare; left out, so a plan would remove it",
                    t.label, m.resource_id
                ));
            } else {
                if !m.resource_id.is_ascii() {
                    policy.allow_non_ascii_emails = true;
                }
                accounts.push(At::bare(Email::new(m.resource_id.as_str())));
            }
        }
        campaigns.sort();
        campaigns.dedup();
        accounts.sort();
        tags.push(TagSpec {
            label: At::bare(t.label.clone()),
            description: t.description.clone().filter(|d| !d.is_empty()),
            campaigns,
            accounts,
            allow: Vec::new(),
        });
    }

    let config = Config {
        version: 1,
        extends: Vec::new(),
        workspace: Some(WorkspaceGuard {
            id: At::bare(live.workspace.id.clone()),
        }),
        roles,
        members: specs,
        api_keys,
        tags,
        policy,
        workspace_group: None,
    };
    (config, warnings)
}

/// An ignore pattern for an address a file cannot write: the address as a
/// glob, each character an address may not have matched by `?` (a plain
/// address with such characters is refused in a file).
fn unreadable_glob(addr: &str) -> String {
    addr.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != ' ' {
                globset::escape(&c.to_string())
            } else {
                "?".to_owned()
            }
        })
        .collect()
}

/// The file text: a header, then the YAML. The workspace's name goes in a
/// comment, escaped so that a line break in it cannot end the comment and
/// write YAML of its own.
pub fn to_yaml(config: &Config, workspace_name: &str) -> String {
    let body = serde_saphyr::to_string(config).expect("a config serializes");
    let workspace_name = crate::escape::terminal(workspace_name);
    format!(
        "# Desired state of the Instantly workspace \"{workspace_name}\", exported by instantly-rbac.\n\
         # Fields are documented in docs/config.md.\n{body}"
    )
}
