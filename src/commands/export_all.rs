//! `export --all -o DIR`: the agency workspace and every accepted
//! sub-workspace of its group, one file each, so that `plan -f DIR` plans
//! no changes. Files are named from the workspace names
//! (`export_group::file_names`) and replaced whole, as `export -o` does.

use crate::client::Client;
use crate::group_types::{GroupMember, GroupStatus};
use crate::output::{ExitStatus, Printer};
use crate::{escape, export, export_group, live_group, pipeline};
use anyhow::Context as _;
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use std::collections::HashSet;
use std::path::Path;

pub async fn run(dir: &Path, client: &Client, p: &Printer) -> anyhow::Result<ExitStatus> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "{} is not a directory: `export --all` writes one file per workspace into -o DIR",
            dir.display()
        );
    }
    let home = pipeline::read_for_export(client).await?;
    let rows: Vec<GroupMember> = live_group::read(client).await?.members;
    let mut seen = HashSet::new();
    let accepted: Vec<&str> = rows
        .iter()
        .filter(|r| r.status == GroupStatus::Accepted)
        .map(|r| r.sub_workspace_id.as_str())
        .filter(|id| seen.insert(id.to_lowercase()))
        .collect();
    // Several workspaces at once, each through a client (and a rate
    // limit) of its own; in the group's order.
    let subs: Vec<crate::live::Live> = stream::iter(accepted.iter().map(|id| async move {
        let sub = client.for_sub_workspace(id);
        pipeline::read_for_export(&sub)
            .await
            .with_context(|| format!("cannot read sub-workspace {}", escape::terminal(id)))
    }))
    .buffered(client.options().parallelism.clamp(1, 8))
    .try_collect()
    .await?;
    let mut lives = vec![home];
    lives.extend(subs);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let names: Vec<&str> = lives.iter().map(|l| l.workspace.name.as_str()).collect();
    let files = export_group::file_names(&names, &HashSet::new());
    for (i, (live, file)) in lives.iter().zip(&files).enumerate() {
        let (mut config, mut warnings) = export::to_config(live);
        crate::commands::export::allow_own_key_lints(&mut config, live, &client.key_mask());
        if i == 0 {
            // The agency's own file declares its group.
            let (group, ignored, group_warnings) = export_group::group(&rows);
            config.workspace_group = Some(group);
            config.policy.ignore.sub_workspaces = ignored;
            warnings.extend(group_warnings);
        }
        for w in live.warnings.iter().cloned().chain(warnings) {
            p.note(&format!(
                "warning: {}: {}",
                escape::terminal(&live.workspace.name),
                escape::terminal(&w)
            ));
        }
        let path = dir.join(file);
        // Whole or not at all, never over a device, a fifo or a link.
        crate::durable_file::replace(&path, &export::to_yaml(&config, &live.workspace.name))
            .with_context(|| format!("cannot write {}", path.display()))?;
        p.note(&format!(
            "wrote {} ({})",
            path.display(),
            escape::terminal(&live.workspace.name)
        ));
    }
    Ok(ExitStatus::Success)
}
