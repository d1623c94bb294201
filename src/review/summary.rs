//! The agency summary of `review -f DIR`: one line per workspace and the
//! totals, findings counted by kind.

use super::Review;
use super::findings::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// The desired file the workspace was reviewed against.
    pub file: String,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub members: usize,
    pub api_keys: usize,
    pub findings: usize,
    /// Why the workspace could not be reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub workspaces: Vec<Line>,
    pub members: usize,
    pub api_keys: usize,
    pub findings: BTreeMap<&'static str, usize>,
    pub errors: usize,
}

/// From each file's review, or the error that stopped it.
pub fn summarize(outcomes: &[(String, Result<Review, String>)]) -> Summary {
    let mut s = Summary {
        workspaces: Vec::new(),
        members: 0,
        api_keys: 0,
        findings: BTreeMap::new(),
        errors: 0,
    };
    for (file, outcome) in outcomes {
        match outcome {
            Ok(r) => {
                s.members += r.members.len();
                s.api_keys += r.api_keys.len();
                for f in &r.findings {
                    *s.findings.entry(Kind::as_str(f.kind)).or_default() += 1;
                }
                s.workspaces.push(Line {
                    file: file.clone(),
                    workspace_id: Some(r.workspace.id.clone()),
                    workspace_name: Some(r.workspace.name.clone()),
                    members: r.members.len(),
                    api_keys: r.api_keys.len(),
                    findings: r.findings.len(),
                    error: None,
                });
            }
            Err(e) => {
                s.errors += 1;
                s.workspaces.push(Line {
                    file: file.clone(),
                    workspace_id: None,
                    workspace_name: None,
                    members: 0,
                    api_keys: 0,
                    findings: 0,
                    error: Some(e.clone()),
                });
            }
        }
    }
    s
}

/// The summary as text (`escape` applied by the caller's `esc`).
pub fn render(s: &Summary, esc: fn(&str) -> String, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out.push_str("## Agency summary\n\n| file | workspace | members | API keys | findings |\n|---|---|---|---|---|\n");
    } else {
        out.push_str("Agency summary:\n");
    }
    for l in &s.workspaces {
        let who = match (&l.workspace_name, &l.error) {
            (Some(n), _) => esc(n),
            (None, Some(e)) => format!("not reviewed: {}", esc(e)),
            (None, None) => String::new(),
        };
        if markdown {
            out.push_str(&format!(
                "| {} | {who} | {} | {} | {} |\n",
                esc(&l.file),
                l.members,
                l.api_keys,
                l.findings
            ));
        } else {
            out.push_str(&format!(
                "  {}: {who}: {} members, {} API keys, {} findings\n",
                esc(&l.file),
                l.members,
                l.api_keys,
                l.findings
            ));
        }
    }
    let by_kind: Vec<String> = s.findings.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let total = format!(
        "{} workspaces ({} not reviewed), {} members, {} API keys, findings: {}",
        s.workspaces.len(),
        s.errors,
        s.members,
        s.api_keys,
        if by_kind.is_empty() {
            "none".to_owned()
        } else {
            by_kind.join(", ")
        }
    );
    if markdown {
        out.push_str(&format!("\n{total}\n"));
    } else {
        out.push_str(&format!("  {total}\n"));
    }
    out
}
