//! The report of a plan over many workspaces: each workspace's plan or
//! error, then one aggregated summary, in every format. The exit status is
//! the worst of all: an error, else changes, else in sync.

use crate::api_types::Workspace;
use crate::cli::PlanFormat;
use crate::escape::{code_block, code_span, html, html_comment, markdown_inline, terminal};
use crate::output::ExitStatus;
use crate::pipeline::PlanError;
use crate::plan::{Plan, Summary};
use crate::render_markdown::GITHUB_LIMIT;
use crate::{access_impact, render_markdown, render_text};
use serde::Serialize;
use std::fmt::Write as _;

/// One workspace of the run.
pub struct Outcome {
    pub file: String,
    pub result: Result<Plan, PlanError>,
}

pub fn render(outcomes: &[Outcome], home: &Workspace, format: PlanFormat, color: bool) -> String {
    match format {
        PlanFormat::Text => text(outcomes, color),
        PlanFormat::Json => json(outcomes),
        PlanFormat::Markdown => markdown(outcomes, home),
    }
}

pub fn status(outcomes: &[Outcome]) -> ExitStatus {
    outcomes
        .iter()
        .map(|o| match &o.result {
            Err(_) => ExitStatus::Error,
            Ok(p) if !p.is_empty() => ExitStatus::Changes,
            Ok(_) => ExitStatus::Success,
        })
        .fold(ExitStatus::Success, ExitStatus::worst)
}

fn total(outcomes: &[Outcome]) -> Summary {
    let mut t = Summary::default();
    for p in outcomes.iter().filter_map(|o| o.result.as_ref().ok()) {
        let s = p.summary();
        t.create += s.create;
        t.update += s.update;
        t.replace += s.replace;
        t.delete += s.delete;
    }
    t
}

fn counts(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let errors = outcomes.iter().filter(|o| o.result.is_err()).count();
    let changes = outcomes
        .iter()
        .filter(|o| o.result.as_ref().is_ok_and(|p| !p.is_empty()))
        .count();
    (outcomes.len() - errors - changes, changes, errors)
}

fn text(outcomes: &[Outcome], color: bool) -> String {
    let paint = render_text::Paint { color };
    let mut out = String::new();
    for o in outcomes {
        let _ = writeln!(out, "── {} ──", terminal(&o.file));
        match &o.result {
            Ok(p) => out.push_str(&render_text::render(p, &paint)),
            Err(e) => {
                let _ = writeln!(out, "{}", e.render(false));
            }
        }
        out.push('\n');
    }
    let (in_sync, changes, errors) = counts(outcomes);
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!(
            "Summary of {} workspace{}: {in_sync} in sync, {changes} with changes, {errors} failed.",
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        ))
    );
    for o in outcomes {
        let line = match &o.result {
            Ok(p) if p.is_empty() => format!(
                "{} ({}): no changes",
                terminal(&p.workspace.name),
                terminal(&p.workspace.id)
            ),
            Ok(p) => format!(
                "{} ({}): {}",
                terminal(&p.workspace.name),
                terminal(&p.workspace.id),
                p.summary().line()
            ),
            Err(e) => e
                .render(false)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        let _ = writeln!(out, "  {}  {line}", terminal(&o.file));
    }
    let _ = writeln!(out, "Total: {}", total(outcomes).line());
    out
}

#[derive(Serialize)]
struct JsonWorkspace<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<&'a crate::plan::WorkspaceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<&'a [crate::plan::Action]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks: Option<&'a [crate::safety::Block]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_impact: Option<Vec<access_impact::Impact>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unmanaged: Option<&'a [crate::plan::Unmanaged]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonTotal {
    workspaces: usize,
    in_sync: usize,
    with_changes: usize,
    errors: usize,
    #[serde(flatten)]
    actions: Summary,
}

fn json(outcomes: &[Outcome]) -> String {
    serde_json::to_string_pretty(&json_doc(outcomes)).expect("a summary serializes") + "\n"
}

fn json_doc(outcomes: &[Outcome]) -> serde_json::Value {
    let workspaces: Vec<JsonWorkspace> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(p) => JsonWorkspace {
                file: &o.file,
                workspace: Some(&p.workspace),
                summary: Some(p.summary()),
                actions: Some(&p.actions),
                blocks: Some(&p.blocks),
                access_impact: Some(access_impact::impacts(&p.actions)),
                unmanaged: Some(&p.unmanaged),
                warnings: Some(&p.warnings),
                error: None,
            },
            Err(e) => JsonWorkspace {
                file: &o.file,
                workspace: None,
                summary: None,
                actions: None,
                blocks: None,
                access_impact: None,
                unmanaged: None,
                warnings: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    let (in_sync, with_changes, errors) = counts(outcomes);
    serde_json::json!({
        "format_version": "1",
        "workspaces": workspaces,
        "summary": JsonTotal { workspaces: outcomes.len(), in_sync, with_changes, errors, actions: total(outcomes) },
    })
}

fn markdown(outcomes: &[Outcome], home: &Workspace) -> String {
    let (in_sync, changes, errors) = counts(outcomes);
    let mut head = String::new();
    let _ = writeln!(
        head,
        "<!-- instantly-rbac:agency:{} -->",
        html_comment(&home.id)
    );
    let _ = writeln!(
        head,
        "## instantly-rbac plan: {} workspaces\n",
        outcomes.len()
    );
    let _ = writeln!(
        head,
        "**{in_sync} in sync, {changes} with changes, {errors} failed.** Total: {}\n",
        total(outcomes).line()
    );
    let _ = writeln!(
        head,
        "| file | workspace | create | update | replace | delete |\n|---|---|---:|---:|---:|---:|"
    );
    for o in outcomes {
        match &o.result {
            Ok(p) => {
                let s = p.summary();
                let _ = writeln!(
                    head,
                    "| {} | {} | {} | {} | {} | {} |",
                    code_span(&o.file),
                    markdown_inline(&p.workspace.name),
                    s.create,
                    s.update,
                    s.replace,
                    s.delete
                );
            }
            Err(_) => {
                let _ = writeln!(head, "| {} | ❌ error | | | | |", code_span(&o.file));
            }
        }
    }
    let budget = GITHUB_LIMIT.saturating_sub(head.chars().count() + 200) / outcomes.len().max(1);
    let mut out = head;
    for o in outcomes {
        match &o.result {
            Ok(p) if !p.is_empty() => {
                out.push('\n');
                out.push_str(&render_markdown::render_with_limit(p, budget, None));
            }
            Ok(_) => {}
            Err(e) => {
                let e: String = e.text().chars().take(budget.saturating_sub(100)).collect();
                let (open, lines, close) = code_block("", &e);
                let _ = writeln!(
                    out,
                    "\n<details><summary>❌ {}</summary>\n\n{open}{}{close}</details>",
                    html(&o.file),
                    lines.concat()
                );
            }
        }
    }
    out
}

/// An agency run's view of its group: the accepted sub-workspaces in the
/// group that no file describes (known when the agency's own file declares
/// `workspace_group`, so the group was read), and the files whose
/// workspace the key cannot reach.
#[derive(Serialize, Default)]
pub struct AgencyView {
    pub unmanaged_workspaces: Vec<crate::plan::WorkspaceRef>,
    pub unreachable: Vec<Unreachable>,
}

#[derive(Serialize)]
pub struct Unreachable {
    pub file: String,
    pub workspace_id: String,
}

impl AgencyView {
    pub fn new(outcomes: &[Outcome], group: Option<&crate::live_group::LiveGroup>) -> AgencyView {
        let planned: std::collections::HashSet<String> = outcomes
            .iter()
            .filter_map(|o| match &o.result {
                Ok(p) => Some(p.workspace.id.to_lowercase()),
                Err(PlanError::Unreachable { id, .. }) => Some(id.to_lowercase()),
                Err(_) => None,
            })
            .collect();
        AgencyView {
            unmanaged_workspaces: group
                .iter()
                .flat_map(|g| g.members.iter())
                .filter(|m| m.status == crate::group_types::GroupStatus::Accepted)
                .filter(|m| !planned.contains(&m.sub_workspace_id.to_lowercase()))
                .map(|m| crate::plan::WorkspaceRef {
                    id: m.sub_workspace_id.clone(),
                    name: m.sub_workspace_name.clone().unwrap_or_default(),
                    group_member_id: Some(m.id.clone()),
                })
                .collect(),
            unreachable: outcomes
                .iter()
                .filter_map(|o| match &o.result {
                    Err(PlanError::Unreachable { id, .. }) => Some(Unreachable {
                        file: o.file.clone(),
                        workspace_id: id.clone(),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.unmanaged_workspaces.is_empty() && self.unreachable.is_empty()
    }

    /// The lines of the view, each escaped by `esc` for the output.
    fn lines(&self, esc: impl Fn(&str) -> String) -> Vec<String> {
        let mut out = Vec::new();
        if !self.unmanaged_workspaces.is_empty() {
            out.push(format!(
                "Unmanaged workspaces ({}): in the agency's group, but no file describes them:",
                self.unmanaged_workspaces.len()
            ));
            for w in &self.unmanaged_workspaces {
                out.push(format!("  {} ({})", esc(&w.name), esc(&w.id)));
            }
        }
        if !self.unreachable.is_empty() {
            out.push(format!(
                "Unreachable ({}): files for workspaces the API key cannot reach (not accepted sub-workspaces of its group):",
                self.unreachable.len()
            ));
            for u in &self.unreachable {
                out.push(format!(
                    "  {}  workspace {}",
                    esc(&u.file),
                    esc(&u.workspace_id)
                ));
            }
        }
        out
    }
}

/// `render`, with the agency's view of its group after the summary (text,
/// Markdown) or as `agency` (JSON, when there is something to say).
pub fn render_agency(
    outcomes: &[Outcome],
    home: &Workspace,
    format: PlanFormat,
    color: bool,
    group: Option<&crate::live_group::LiveGroup>,
) -> String {
    let view = AgencyView::new(outcomes, group);
    if view.is_empty() {
        return render(outcomes, home, format, color);
    }
    match format {
        PlanFormat::Text => {
            let mut out = text(outcomes, color);
            for line in view.lines(terminal) {
                // A blank line before each heading.
                if !line.starts_with(' ') {
                    out.push('\n');
                }
                out.push_str(&line);
                out.push('\n');
            }
            out
        }
        PlanFormat::Json => {
            let mut doc = json_doc(outcomes);
            doc["agency"] = serde_json::to_value(&view).expect("a view serializes");
            serde_json::to_string_pretty(&doc).expect("a summary serializes") + "\n"
        }
        PlanFormat::Markdown => {
            let mut out = markdown(outcomes, home);
            out.push('\n');
            for line in view.lines(markdown_inline) {
                match line.strip_prefix("  ") {
                    Some(item) => out.push_str(&format!("- {item}\n")),
                    None => out.push_str(&format!("\n**{line}**\n\n")),
                }
            }
            out
        }
    }
}
