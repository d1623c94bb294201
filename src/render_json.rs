//! `plan --format json`: one object for machines (format_version 1).
//! It never contains a secret: plans hold none.

use crate::access_impact::{self, Impact};
use crate::plan::{Action, Plan, Summary, Unmanaged, WorkspaceRef};
use serde::Serialize;

#[derive(Serialize)]
struct JsonPlan<'a> {
    format_version: &'static str,
    workspace: &'a WorkspaceRef,
    summary: Summary,
    actions: &'a [Action],
    blocks: &'a [crate::safety::Block],
    access_impact: Vec<Impact>,
    unmanaged: &'a [Unmanaged],
    warnings: &'a [String],
    /// `--diff`: the unified diff of the live and the desired workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<&'a str>,
}

pub fn render(plan: &Plan, diff: Option<&str>) -> String {
    let doc = JsonPlan {
        format_version: "1",
        workspace: &plan.workspace,
        summary: plan.summary(),
        actions: &plan.actions,
        blocks: &plan.blocks,
        access_impact: access_impact::impacts(&plan.actions),
        unmanaged: &plan.unmanaged,
        warnings: &plan.warnings,
        diff,
    };
    serde_json::to_string_pretty(&doc).expect("a plan serializes")
}
