//! Which team role of a desired file a role and permissions are: plans show
//! `role: sdr (editor + 4 permissions)` rather than a bare list, `review`
//! names members' team roles, and `export --like` reuses the file's names.

use crate::config::{Config, RoleRef};
use crate::role::Role;

/// The team role of `config` whose base role and (sorted, deduplicated)
/// permissions are exactly `role` and `permissions`: `preferred` when it is
/// one, else the first by name; `None` when no team role matches (a
/// built-in role without permissions is no team role).
pub fn matching(
    config: &Config,
    role: &Role,
    permissions: &[String],
    preferred: Option<&str>,
) -> Option<String> {
    let mut want = permissions.to_vec();
    want.sort();
    want.dedup();
    let fits = |name: &str| {
        let (r, p) = config.resolve_role(&RoleRef::Team(name.to_owned()));
        config.roles.contains_key(name) && r == *role && p == want
    };
    if let Some(p) = preferred.filter(|p| fits(p)) {
        return Some(p.to_owned());
    }
    config.roles.keys().find(|n| fits(n)).cloned()
}

/// How plans show a member's role: `sdr (editor + 4 permissions)` for a
/// team role, else the role itself.
pub fn describe(team_role: Option<&str>, role: &Role, permissions: usize) -> String {
    match (team_role, permissions) {
        (None, _) => role.to_string(),
        (Some(t), 0) => format!("{t} ({role})"),
        (Some(t), 1) => format!("{t} ({role} + 1 permission)"),
        (Some(t), n) => format!("{t} ({role} + {n} permissions)"),
    }
}
