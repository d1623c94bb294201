//! `snapshot`: the live workspace written as a sandbox state, to rehearse
//! an apply on a copy (`apply --sandbox=STATE`) before touching production.
//! No secret is written: the API lists keys masked, and each key gets a
//! placeholder that keeps its mask (`abcd…wxyz`), so plans against the copy
//! name and recognise the same keys.

use crate::client::Client;
use crate::live::{self, Needs};
use crate::output::{ExitStatus, Printer};
use crate::sandbox::state::SandboxState;
use crate::{api_types::Workspace, escape};
use anyhow::Context as _;
use std::path::Path;

pub async fn run(
    output: &Path,
    client: &Client,
    settings: &crate::settings::Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    // The state the run reads would be replaced by a copy without its
    // secrets, audit log and sub-workspaces.
    let stdout = output == Path::new("-");
    if !stdout {
        // Its own state would be replaced by a copy without its secrets.
        let own: Vec<(&Path, &str)> = crate::output_path::sandbox_state(settings)
            .map(|st| (st, "the sandbox state file this run reads"))
            .into_iter()
            .collect();
        crate::output_path::check_output("-o", output, &own, settings, "the snapshot")?;
    }
    let current: Workspace = client.get("/workspaces/current", &[]).await?;
    let live = live::read_lists(client, current, Needs::all(true)).await?;
    for w in &live.warnings {
        p.note(&format!("warning: {}", escape::terminal(w)));
    }
    let state = to_state(live, &client.key_mask());
    let text = serde_json::to_string_pretty(&state).expect("a state serializes") + "\n";
    if stdout {
        p.out(&text);
        return Ok(ExitStatus::Success);
    }
    crate::durable_file::replace(output, &text)
        .with_context(|| format!("cannot write {}", output.display()))?;
    p.note(&format!(
        "wrote {} ({} members, {} API keys with placeholder secrets, {} tags); rehearse with `instantly-rbac {} apply -f FILE`",
        escape::terminal(&output.display().to_string()),
        state.members.len(),
        state.api_keys.len(),
        state.tags.len(),
        escape::terminal(&crate::commands::plan::shell_quote(&format!(
            "--sandbox={}",
            output.display()
        )))
    ));
    Ok(ExitStatus::Success)
}

/// The sandbox state of `live`. The key this tool authenticates with (its
/// mask is `own_mask`) comes first, so that `--sandbox=STATE` (which
/// authenticates with the first `all:all` key) runs as it does.
pub fn to_state(live: live::Live, own_mask: &str) -> SandboxState {
    let mut api_keys = live.api_keys;
    for (i, k) in api_keys.iter_mut().enumerate() {
        k.key = placeholder(&k.key, i);
    }
    // Stable: the other keys keep their order.
    api_keys.sort_by_key(|k| crate::client::mask_key(&k.key) != own_mask);
    // The API lists mappings newest first; the state holds them by id.
    let mut mappings = live.mappings;
    mappings.sort_by(|a, b| a.id.cmp(&b.id));
    SandboxState {
        workspace: live.workspace,
        members: live.members,
        api_keys,
        tags: live.tags,
        mappings,
        campaigns: live.campaigns,
        accounts: live.accounts,
        sub_workspaces: Vec::new(),
        workspace_group: None,
        payment_required: Vec::new(),
        audit_logs: Vec::new(),
        audit_log: Default::default(),
    }
}

/// A stand-in secret with the mask of `masked` (`abcd…wxyz` ->
/// `abcd-snapshot-placeholder-3-wxyz`): the first and last four characters
/// the API shows anyway, never the secret.
fn placeholder(masked: &str, i: usize) -> String {
    match masked.split_once('…') {
        Some((head, tail)) if !head.is_empty() => {
            format!("{head}-snapshot-placeholder-{i}-{tail}")
        }
        _ => format!("snapshot-placeholder-{i}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_keep_the_mask_and_nothing_else() {
        let p = placeholder("sbx_…cdef", 3);
        assert_eq!(p, "sbx_-snapshot-placeholder-3-cdef");
        assert_eq!(crate::client::mask_key(&p), "sbx_…cdef");
        assert_eq!(placeholder("…", 0), "snapshot-placeholder-0");
    }
}
