//! The access table: what a member or an API key may do in the six areas
//! of the product brief's matrix (`campaigns`, `leads`, `accounts`,
//! `webhooks`, `api_keys`, `members`), as `none < view < edit < full`.
//! Pure. `review` shows it and the plan's access impact reports its
//! changes, so both read the same table (docs/access-review.md).
//!
//! Members go through `privileges::MemberPrivileges` (role floors plus
//! granted permissions, `owner`/`admin` everything), then
//! [`PERMISSION_ACCESS`]; keys through [`SCOPE_COLUMNS`] and the scope's
//! action. A permission, scope resource or role this table does not know
//! grants nothing here: the matrix shows what we can vouch for, and the
//! opaque privilege still counts in the access impact's gains and losses.

use crate::privileges::{MemberPrivileges, Scope};
use crate::role::Role;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    None,
    View,
    Edit,
    Full,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::View => "view",
            Level::Edit => "edit",
            Level::Full => "full",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Campaigns,
    Leads,
    Accounts,
    Webhooks,
    ApiKeys,
    Members,
}

impl Column {
    /// The matrix's columns, in its order.
    pub const ALL: [Column; 6] = [
        Column::Campaigns,
        Column::Leads,
        Column::Accounts,
        Column::Webhooks,
        Column::ApiKeys,
        Column::Members,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Column::Campaigns => "campaigns",
            Column::Leads => "leads",
            Column::Accounts => "accounts",
            Column::Webhooks => "webhooks",
            Column::ApiKeys => "api_keys",
            Column::Members => "members",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a member or key may do, one level per column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Access([Level; 6]);

impl Access {
    pub fn full() -> Access {
        Access([Level::Full; 6])
    }

    pub fn get(&self, c: Column) -> Level {
        self.0[c.index()]
    }

    /// Raises `c` to `level` (never lowers it).
    fn raise(&mut self, c: Column, level: Level) {
        let cell = &mut self.0[c.index()];
        *cell = (*cell).max(level);
    }

    /// Every column with its level, in the matrix's order.
    pub fn cells(&self) -> impl Iterator<Item = (Column, Level)> + '_ {
        Column::ALL.iter().map(|c| (*c, self.get(*c)))
    }
}

/// Serialized as `{"campaigns": "edit", …}` in the matrix's order.
impl Serialize for Access {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        for (c, l) in self.cells() {
            m.serialize_entry(c.as_str(), &l)?;
        }
        m.end()
    }
}

/// **The table** for members: which column and level each Instantly
/// permission gives. Our model (Instantly documents the permissions' names,
/// not what each allows): `*.view` is `view`; creating, editing, deleting or
/// moving is `edit`; `*.manage` of a whole area is `full`. API keys and
/// webhooks live on the workspace's Integrations settings, so
/// `organization.integrations` is `full` on both. A permission absent here
/// (dashboard, analytics, unibox, billing, …) touches none of the six columns.
pub const PERMISSION_ACCESS: &[(&str, Column, Level)] = &[
    ("campaigns.view", Column::Campaigns, Level::View),
    ("campaigns.create", Column::Campaigns, Level::Edit),
    ("campaigns.edit", Column::Campaigns, Level::Edit),
    ("campaigns.delete", Column::Campaigns, Level::Edit),
    ("leadManagement.view", Column::Leads, Level::View),
    ("leadFinder.view", Column::Leads, Level::View),
    ("crm.view", Column::Leads, Level::View),
    ("leads.move", Column::Leads, Level::Edit),
    ("customLeadLabels.create", Column::Leads, Level::Edit),
    ("customLeadLabels.edit", Column::Leads, Level::Edit),
    ("customLeadLabels.delete", Column::Leads, Level::Edit),
    ("accounts.view", Column::Accounts, Level::View),
    ("accounts.manage", Column::Accounts, Level::Full),
    ("organization.integrations", Column::Webhooks, Level::Full),
    ("organization.integrations", Column::ApiKeys, Level::Full),
    ("workspaceGroupMembers.invite", Column::Members, Level::Edit),
    ("workspaceGroupMembers.remove", Column::Members, Level::Edit),
    ("organization.users.manage", Column::Members, Level::Full),
];

/// **The table** for keys: which column each scope resource falls in
/// (`all` is every column). The action sets the level: `read` → `view`,
/// `create`/`update`/`delete` → `edit`, `all` → `full`.
pub const SCOPE_COLUMNS: &[(&str, Column)] = &[
    ("campaigns", Column::Campaigns),
    ("subsequences", Column::Campaigns),
    ("leads", Column::Leads),
    ("lead_lists", Column::Leads),
    ("lead-labels", Column::Leads),
    ("accounts", Column::Accounts),
    ("webhooks", Column::Webhooks),
    ("webhook_events", Column::Webhooks),
    ("api_keys", Column::ApiKeys),
    ("workspace_members", Column::Members),
    ("workspace_group_members", Column::Members),
];

/// A member's access, from what `MemberPrivileges` says they hold.
pub fn of_privileges(p: &MemberPrivileges) -> Access {
    match p {
        MemberPrivileges::All { .. } => Access::full(),
        MemberPrivileges::Only(set) => {
            let mut a = Access::default();
            for (perm, column, level) in PERMISSION_ACCESS {
                if set.contains(*perm) {
                    a.raise(*column, *level);
                }
            }
            a
        }
    }
}

/// A member's access from their role and permissions.
pub fn of_member(role: &Role, permissions: &[String]) -> Access {
    of_privileges(&MemberPrivileges::of(role, permissions))
}

/// A key's access from its scopes.
pub fn of_key(scopes: &[String]) -> Access {
    let mut a = Access::default();
    for s in scopes {
        let Scope::Grant { resource, action } = Scope::parse(s) else {
            continue;
        };
        let level = match action.as_deref() {
            None => Level::Full,
            Some("read") => Level::View,
            Some("create" | "update" | "delete") => Level::Edit,
            // An action this tool does not know: it may write, but how much
            // is unknown; the matrix shows what it can vouch for.
            Some(_) => continue,
        };
        match resource.as_deref() {
            None => Column::ALL.iter().for_each(|c| a.raise(*c, level)),
            Some(r) => {
                for (_, c) in SCOPE_COLUMNS.iter().filter(|(name, _)| *name == r) {
                    a.raise(*c, level);
                }
            }
        }
    }
    a
}

/// The scopes that make a key over-privileged, read from the table: `full`
/// in any column through `all` (`all:all`), or `edit`/`full` on `api_keys`
/// or `members` (a key that can mint keys or change who is in the
/// workspace). `all:read` is not (`view` everywhere), nor is a scope this
/// table does not know (it grants no column).
pub fn overprivileged_scopes(scopes: &[String]) -> Vec<&str> {
    scopes
        .iter()
        .filter(|s| {
            let a = of_key(std::slice::from_ref(*s));
            let everywhere = matches!(Scope::parse(s), Scope::Grant { resource: None, .. });
            (everywhere && a.cells().any(|(_, l)| l == Level::Full))
                || a.get(Column::ApiKeys) >= Level::Edit
                || a.get(Column::Members) >= Level::Edit
        })
        .map(String::as_str)
        .collect()
}

/// The columns whose level differs, as `(column, before, after)`.
pub fn changes(before: &Access, after: &Access) -> Vec<(Column, Level, Level)> {
    Column::ALL
        .iter()
        .filter(|c| before.get(**c) != after.get(**c))
        .map(|c| (*c, before.get(*c), after.get(*c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn every_mapped_permission_is_known() {
        for (p, _, _) in PERMISSION_ACCESS {
            assert!(crate::vocab::PERMISSIONS.contains(p), "{p}");
        }
        for (r, _) in SCOPE_COLUMNS {
            assert!(crate::vocab::SCOPE_RESOURCES.contains(r), "{r}");
        }
    }

    #[test]
    fn overprivileged_keys_reach_everything_fully_or_write_keys_or_members() {
        let o = |v: &[&str]| overprivileged_scopes(&s(v)).join(" ");
        assert_eq!(o(&["all:all"]), "all:all");
        assert_eq!(o(&["all:create"]), "all:create");
        assert_eq!(o(&["all:read", "all:unknown", "weird"]), "");
        assert_eq!(o(&["api_keys:create", "api_keys:read"]), "api_keys:create");
        assert_eq!(
            o(&["workspace_group_members:all"]),
            "workspace_group_members:all"
        );
        assert_eq!(
            o(&["campaigns:read", "workspace_members:delete"]),
            "workspace_members:delete"
        );
        assert_eq!(o(&["campaigns:all", "leads:all", "webhooks:all"]), "");
    }

    #[test]
    fn roles_and_scopes() {
        let cells = |a: Access| a.cells().map(|(_, l)| l.as_str()).collect::<Vec<_>>();
        assert_eq!(cells(of_member(&Role::Admin, &[])), ["full"; 6]);
        assert_eq!(
            cells(of_member(&Role::Editor, &[])),
            ["edit", "edit", "view", "none", "none", "none"]
        );
        assert_eq!(
            cells(of_member(&Role::View, &[])),
            ["view", "view", "view", "none", "none", "none"]
        );
        assert_eq!(cells(of_key(&s(&["all:read"]))), ["view"; 6]);
        assert_eq!(
            cells(of_key(&s(&[
                "campaigns:read",
                "leads:create",
                "webhooks:all"
            ]))),
            ["view", "edit", "none", "full", "none", "none"]
        );
        assert_eq!(
            cells(of_key(&s(&["weird", "leads:frobnicate"]))),
            ["none"; 6]
        );
    }
}
