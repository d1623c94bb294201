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
        // A diagnostic's first line (the whole of it was on stderr),
        // without the file's name the line starts with already.
        let error = |e: &str| {
            let first = e.lines().next().unwrap_or_default();
            esc(first
                .strip_prefix(&format!("{}: ", l.file))
                .unwrap_or(first))
        };
        match (&l.workspace_name, &l.error, markdown) {
            (Some(n), _, true) => out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                esc(&l.file),
                esc(n),
                l.members,
                l.api_keys,
                l.findings
            )),
            (Some(n), _, false) => out.push_str(&format!(
                "  {}: {}: {}, {}, {}\n",
                esc(&l.file),
                esc(n),
                plural(l.members, "member", "members"),
                plural(l.api_keys, "API key", "API keys"),
                plural(l.findings, "finding", "findings")
            )),
            (None, e, true) => out.push_str(&format!(
                "| {} | not reviewed: {} | – | – | – |\n",
                esc(&l.file),
                error(e.as_deref().unwrap_or_default())
            )),
            (None, e, false) => out.push_str(&format!(
                "  {}: not reviewed: {}\n",
                esc(&l.file),
                error(e.as_deref().unwrap_or_default())
            )),
        }
    }
    let by_kind: Vec<String> = s.findings.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let total = format!(
        "{} ({} not reviewed), {}, {}, findings: {}",
        plural(s.workspaces.len(), "workspace", "workspaces"),
        s.errors,
        plural(s.members, "member", "members"),
        plural(s.api_keys, "API key", "API keys"),
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

/// `1 member`, `2 members`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
