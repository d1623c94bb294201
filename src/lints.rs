//! Warnings about a valid file: things that work but deserve a second look.
//! Each lint has a stable code and points at the line it is about.
//!
//! | code | what |
//! |---|---|
//! | W001 | a key with a wildcard scope (`all:all`, `all:*`) and no `rotate_after_days` |
//! | W002 | a key that can grant itself more: write scopes over `api_keys` or `workspace_members` |
//! | W003 | a team role no member uses (not in a base: a file without `workspace` or members) |
//! | W004 | more admins than `policy.max_admins` (the owner counts) |
//! | W005 | a declared tag with no campaigns and no accounts |
//! | W006 | a permission the team role's base role already implies, or cannot have |
//! | W007 | a permission this tool does not know (kept: the API decides at apply) |
//! | W008 | a base of a directory no workspace file extends (`validate -f DIR`, in `commands/validate.rs`) |
//!
//! A lint read and accepted is allowed: `allow: [W002]` on the member, key
//! or tag it is about, or `policy.allow_lints` for the whole file. An
//! allowed lint is not reported, so `validate --strict` passes over it.

use crate::config::{Config, RoleRef};
use crate::diagnostic::Diagnostic;
use crate::role::Role;

/// Permissions a `view` member cannot use: they change things (our model of
/// Instantly's roles; the API documents none).
const WRITE_PERMISSIONS: &[&str] = &[
    "campaigns.create",
    "campaigns.edit",
    "campaigns.delete",
    "organization.manage",
    "organization.integrations",
    "organization.billing",
    "organization.users.manage",
    "customLeadLabels.create",
    "customLeadLabels.edit",
    "customLeadLabels.delete",
    "unibox.all",
    "agency.manage",
    "accounts.manage",
    "leads.move",
    "blocklist.manage",
    "preferences.manage",
    "aiAgents.manage",
    "workspaceGroupMembers.invite",
    "workspaceGroupMembers.remove",
    "websiteChat.manage",
];

/// The lint codes, for `allow:` lists.
pub const CODES: &[&str] = &[
    "W001", "W002", "W003", "W004", "W005", "W006", "W007", "W008",
];

/// Why `code` cannot be allowed (it is no lint's code), or `None`.
pub fn code_problem(code: &str) -> Option<String> {
    if CODES.contains(&code) {
        return None;
    }
    let hint = crate::vocab::closest(code, CODES)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    Some(format!("{hint}lint codes are {}", CODES.join(", ")))
}

/// The JSON Schema of an `allow:` list.
pub fn codes_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": { "enum": CODES },
        "uniqueItems": true
    })
}

/// Whether `entry` (its own `allow:` list) or the file allows `code`.
fn allowed(config: &Config, entry: &[String], code: &str) -> bool {
    entry
        .iter()
        .chain(&config.policy.allow_lints)
        .any(|c| c == code)
}

/// Every lint of `config` not allowed, in file order.
pub fn lint(config: &Config) -> Vec<Diagnostic> {
    let mut out = every_lint(config);
    out.retain(|d| {
        !d.code
            .is_some_and(|c| config.policy.allow_lints.iter().any(|a| a == c))
    });
    out
}

/// A key's wildcard scopes (W001 when it is never rotated).
fn wide_scopes(k: &crate::config::ApiKeySpec) -> Vec<&String> {
    k.scopes.iter().filter(|s| s.starts_with("all:")).collect()
}

/// A key's scopes that let it grant itself more (W002).
fn granting_scopes(k: &crate::config::ApiKeySpec) -> Vec<&String> {
    k.scopes
        .iter()
        .filter(|s| {
            let (res, action) = s.split_once(':').unwrap_or_default();
            matches!(res, "api_keys" | "workspace_members" | "all") && action != "read"
        })
        .collect()
}

/// The key lints (W001, W002) that `k` sets off, whatever it allows: an
/// export allows them on the key the tool runs with, which needs them.
pub fn key_codes(k: &crate::config::ApiKeySpec) -> Vec<String> {
    let mut codes = Vec::new();
    if !wide_scopes(k).is_empty() && k.rotate_after_days.is_none() {
        codes.push("W001".to_owned());
    }
    if !granting_scopes(k).is_empty() {
        codes.push("W002".to_owned());
    }
    codes
}

/// Every lint, less only those allowed on their own entry.
fn every_lint(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for k in &config.api_keys {
        let wide = wide_scopes(k);
        if !wide.is_empty() && k.rotate_after_days.is_none() && !allowed(config, &k.allow, "W001") {
            out.push(
                Diagnostic::lint(
                    "W001",
                    k.name.loc,
                    format!(
                        "API key `{}` has the wildcard scope{} {} and is never rotated",
                        k.name.value,
                        if wide.len() == 1 { "" } else { "s" },
                        wide.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .help("add `rotate_after_days: 90` (or narrower scopes) so a leaked key does not stay valid forever"),
            );
        }
        let granting = granting_scopes(k);
        if !granting.is_empty() && !allowed(config, &k.allow, "W002") {
            out.push(
                Diagnostic::lint(
                    "W002",
                    k.name.loc,
                    format!(
                        "API key `{}` can grant itself more access ({})",
                        k.name.value,
                        granting.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .help("a key that writes api_keys or workspace_members can mint keys or invite admins; give it only to the tool that manages access"),
            );
        }
    }
    // A base (no `workspace`, no members) defines team roles for the files
    // that extend it: unused here is what it is for.
    let base = config.workspace.is_none() && config.members.is_empty();
    for (name, team) in config.roles.iter().filter(|_| !base) {
        if !config
            .members
            .iter()
            .any(|m| matches!(&m.role.value, RoleRef::Team(t) if t == name))
        {
            out.push(
                Diagnostic::lint(
                    "W003",
                    team.loc,
                    format!("team role `{name}` is not given to any member"),
                )
                .help("remove it, or give it to a member"),
            );
        }
    }
    if let Some(max) = config.policy.max_admins {
        let admins: Vec<&crate::config::MemberSpec> = config
            .members
            .iter()
            // An admin whose entry allows W004 was accepted: not counted.
            .filter(|m| {
                config.resolve_role(&m.role.value).0.is_admin()
                    && !allowed(config, &m.allow, "W004")
            })
            .collect();
        if admins.len() > max as usize
            && let Some(last) = admins.last()
        {
            out.push(
                Diagnostic::lint("W004", last.role.loc, format!("{} admins (the owner counts), more than policy.max_admins ({max})", admins.len()))
                    .help("admins can change everything, billing and members included; prefer editor or a team role"),
            );
        }
    }
    for t in &config.tags {
        if t.campaigns.is_empty() && t.accounts.is_empty() && !allowed(config, &t.allow, "W005") {
            out.push(
                Diagnostic::lint("W005", t.label.loc, format!("tag `{}` is declared with no campaigns and no accounts", t.label.value))
                    .help("its assignments are authoritative: every campaign or account carrying it loses it; list them, or remove the tag"),
            );
        }
    }
    for (name, team) in &config.roles {
        let problem = match team.role {
            Role::Admin if !team.permissions.is_empty() => {
                Some("admin already has every permission".to_owned())
            }
            Role::View => {
                let write: Vec<&String> = team
                    .permissions
                    .iter()
                    .filter(|p| WRITE_PERMISSIONS.contains(&p.as_str()))
                    .collect();
                (!write.is_empty()).then(|| {
                    format!(
                        "a view member cannot use {}",
                        write
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            }
            _ => None,
        };
        if let Some(why) = problem {
            out.push(
                Diagnostic::lint("W006", team.loc, format!("team role `{name}` lists permissions its base role `{}` does not need: {why}", team.role))
                    .help("pick the base role that matches the permissions, or drop them"),
            );
        }
    }
    for team in config.roles.values() {
        out.extend(unknown_permissions(team));
    }
    out.sort();
    out
}

/// W007 for each permission of `team` this tool does not know.
fn unknown_permissions(team: &crate::config::TeamRole) -> Vec<Diagnostic> {
    team.unknown_permissions
        .iter()
        .map(|p| {
            let hint = crate::vocab::closest(&p.value, crate::vocab::PERMISSIONS)
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            Diagnostic::lint(
                "W007",
                p.loc,
                format!("permission `{}` is not one this tool knows", p.value),
            )
            .help(format!(
                "{hint}it is kept as written: if Instantly added it, the plan grants it; if it is a typo, the API refuses the invite at apply (400). See docs/config.md for the {} known permissions",
                crate::vocab::PERMISSIONS.len()
            ))
        })
        .collect()
}

/// The W007 warnings of `config`: shown by `plan` and `apply` too, since a
/// misspelt permission is otherwise found only when the API refuses it.
pub fn unknown_permission_warnings(config: &Config) -> Vec<Diagnostic> {
    if allowed(config, &[], "W007") {
        return Vec::new();
    }
    let mut out: Vec<Diagnostic> = config
        .roles
        .values()
        .flat_map(unknown_permissions)
        .collect();
    out.sort();
    out
}
