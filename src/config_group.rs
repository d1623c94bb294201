//! `workspace_group:` of a workspace file: the client sub-workspaces an
//! agency workspace declares. A child of `config_loader`, whose validator
//! it extends, so that its errors are located and collected the same way.

use super::Validator;
use crate::config::{Config, SubWorkspaceSpec, WorkspaceGroup, WorkspaceGuard};
use crate::yaml_node::{Loc, Node};
use std::collections::HashMap;

impl Validator {
    pub(super) fn workspace_group(
        &mut self,
        node: &Node,
        guard: Option<&WorkspaceGuard>,
    ) -> WorkspaceGroup {
        let Some(f) = self.fields(node, "`workspace_group`", &["sub_workspaces"]) else {
            return WorkspaceGroup::default();
        };
        let mut out = Vec::new();
        let (mut ids, mut names): (HashMap<String, Loc>, HashMap<String, Loc>) = Default::default();
        let items = self.list(f.get("sub_workspaces"), "`workspace_group.sub_workspaces`");
        for item in items {
            let what = "an entry of `workspace_group.sub_workspaces`";
            let Some(e) = self.fields(item, what, &["id", "name"]) else {
                continue;
            };
            let Some(mut id) = self
                .required(&e, "id", what)
                .and_then(|n| self.string(n, "`id`"))
            else {
                continue;
            };
            let name = e.get("name").and_then(|n| self.string(n, "`name`"));
            if !is_uuid(&id.value) {
                self.err(
                    id.loc,
                    format!("`{}` is not a workspace id", id.value),
                    "a workspace id is a UUID as the API prints it, e.g. 01946416-09c9-7bef-bbc9-c1e000000001 (no braces, no spaces)",
                );
                continue;
            }
            // Ids are the API's uuids, compared and planned in lower case.
            id.value = id.value.to_ascii_lowercase();
            if guard.is_some_and(|g| g.id.value.eq_ignore_ascii_case(&id.value)) {
                self.err(
                    id.loc,
                    format!("`{}` is this file's own workspace", id.value),
                    "a workspace cannot be its own sub-workspace; list the client workspaces here",
                );
                continue;
            }
            // Ids compare as the API prints them: uuids, without case.
            let id_key = id.value.to_lowercase();
            if self.duplicate(
                &mut ids,
                id_key,
                &id,
                "sub-workspace",
                "each workspace is listed once",
            ) {
                continue;
            }
            if let Some(n) = &name
                && self.duplicate(
                    &mut names,
                    n.value.clone(),
                    n,
                    "sub-workspace name",
                    "a name is a sub-workspace's address in plans, so it must be unique",
                )
            {
                continue;
            }
            out.push(SubWorkspaceSpec { id, name });
        }
        WorkspaceGroup {
            sub_workspaces: out,
        }
    }

    /// A declared sub-workspace that `policy.ignore.sub_workspaces` also
    /// matches is contradictory, as for the other kinds.
    pub(super) fn check_ignored_sub_workspaces(&mut self, c: &Config) {
        let Some(group) = &c.workspace_group else {
            return;
        };
        let ig = crate::ignore::IgnoreSet::new(&c.policy.ignore);
        for s in &group.sub_workspaces {
            if ig.sub_workspace(s.name.as_ref().map(|n| n.value.as_str()), &s.id.value) {
                self.err(
                    s.id.loc,
                    format!(
                        "`{}` is declared but also matches `policy.ignore.sub_workspaces`",
                        s.name.as_ref().map_or(&s.id.value, |n| &n.value)
                    ),
                    "an ignored object is never planned; remove the entry or narrow the pattern",
                );
            }
        }
    }
}

/// Whether `s` is a hyphenated UUID (8-4-4-4-12 hex digits, any case).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
