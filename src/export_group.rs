//! `export --all`: what the agency's file declares of its group, and the
//! file name of each workspace. Pure; `commands/export_all.rs` reads and writes.

use crate::config::{At, SubWorkspaceSpec, WorkspaceGroup};
use crate::group_types::{GroupMember, GroupStatus};
use std::collections::HashSet;

/// The `workspace_group` that plans to no change against `rows`: every
/// pending, accepted (or unknown) row declared with its live name; a
/// rejected one (declaring it would invite it again, leaving it out would
/// remove it) goes under `policy.ignore.sub_workspaces` by id, with a warning.
pub fn group(rows: &[GroupMember]) -> (WorkspaceGroup, Vec<String>, Vec<String>) {
    let mut declared = Vec::new();
    let mut ignored = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut names = HashSet::new();
    let active: HashSet<String> = rows
        .iter()
        .filter(|r| r.status.is_active())
        .map(|r| r.sub_workspace_id.to_lowercase())
        .collect();
    for r in rows {
        let id = r.sub_workspace_id.to_lowercase();
        if r.status == GroupStatus::Rejected {
            // Only when no newer invitation of the workspace stands.
            if !active.contains(&id) && seen.insert(id) {
                warnings.push(format!(
                    "sub-workspace {} rejected the agency's invitation; it is listed under policy.ignore.sub_workspaces (declare it to invite it again)",
                    r.sub_workspace_id
                ));
                ignored.push(globset::escape(&r.sub_workspace_id));
            }
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        // A name two rows share cannot be an address: each stays by id.
        let name = r
            .sub_workspace_name
            .clone()
            .filter(|n| !n.trim().is_empty() && names.insert(n.clone()));
        declared.push(SubWorkspaceSpec {
            id: At::bare(r.sub_workspace_id.clone()),
            name: name.map(At::bare),
        });
    }
    (
        WorkspaceGroup {
            sub_workspaces: declared,
        },
        ignored,
        warnings,
    )
}

/// A file name for each workspace name, in order: lower-case letters,
/// digits and single dashes, `.yaml`; never empty, never starting with `_`
/// (a base file in a directory), never the same as another's or as one of
/// `taken` (a suffix `-2`, `-3`, … tells them apart).
pub fn file_names(names: &[&str], taken: &HashSet<String>) -> Vec<String> {
    let mut used: HashSet<String> = taken.iter().map(|t| t.to_lowercase()).collect();
    names
        .iter()
        .map(|n| {
            let mut slug = String::new();
            for c in n.chars().flat_map(char::to_lowercase) {
                if c.is_ascii_alphanumeric() {
                    slug.push(c);
                } else if !slug.ends_with('-') {
                    slug.push('-');
                }
            }
            let slug = slug.trim_matches('-');
            let slug: String = slug.chars().take(60).collect();
            let base = if slug.is_empty() {
                "workspace".to_owned()
            } else {
                slug.trim_end_matches('-').to_owned()
            };
            let mut name = format!("{base}.yaml");
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}-{n}.yaml");
                n += 1;
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_distinct() {
        let taken = HashSet::from(["acme.yaml".to_owned()]);
        let names = file_names(
            &[
                "Acme",
                "Globex Outreach!",
                "../../etc/passwd",
                "",
                "_base",
                "Globex  outreach",
                "Ünïcode ✓",
            ],
            &taken,
        );
        assert_eq!(
            names,
            [
                "acme-2.yaml",
                "globex-outreach.yaml",
                "etc-passwd.yaml",
                "workspace.yaml",
                "base.yaml",
                "globex-outreach-2.yaml",
                "n-code.yaml",
            ]
        );
    }

    fn row(id: &str, name: &str, status: GroupStatus) -> GroupMember {
        GroupMember {
            id: format!("row-{id}"),
            admin_workspace_id: "a".into(),
            sub_workspace_id: id.into(),
            status,
            timestamp_created: String::new(),
            timestamp_updated: String::new(),
            sub_workspace_name: Some(name.into()),
            admin_workspace_name: None,
        }
    }

    #[test]
    fn rejected_rows_are_ignored_and_shared_names_left_out() {
        let (group, ignored, warnings) = group(&[
            row("1", "Same", GroupStatus::Accepted),
            row("2", "Same", GroupStatus::Pending),
            row("3", "Gone", GroupStatus::Rejected),
        ]);
        let shown: Vec<(String, Option<String>)> = group
            .sub_workspaces
            .iter()
            .map(|s| (s.id.value.clone(), s.name.as_ref().map(|n| n.value.clone())))
            .collect();
        assert_eq!(
            shown,
            [("1".into(), Some("Same".into())), ("2".into(), None)]
        );
        assert_eq!(ignored, ["3"]);
        assert_eq!(warnings.len(), 1);
    }
}
