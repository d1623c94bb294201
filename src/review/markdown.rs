//! `review --format markdown`: a document to attach as review evidence —
//! a header (workspace, date, the key it was read with), the matrix and
//! the findings. Every string from the API goes through
//! `escape::markdown_inline`, so no name can open a link, close a table
//! cell or hide text.

use super::Review;
use crate::access::Column;
use crate::escape::markdown_inline as md;
use std::fmt::Write as _;

fn head(first: &[&str], last: &[&str]) -> String {
    let cells: Vec<&str> = first
        .iter()
        .copied()
        .chain(Column::ALL.iter().map(|c| c.as_str()))
        .chain(last.iter().copied())
        .collect();
    format!(
        "| {} |\n|{}\n",
        cells.join(" | "),
        "---|".repeat(cells.len())
    )
}

fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

pub fn render(r: &Review) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Access review: {}\n", md(&r.workspace.name));
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(
        out,
        "| workspace | {} ({}) |",
        md(&r.workspace.name),
        crate::escape::code_span(&r.workspace.id)
    );
    let _ = writeln!(out, "| date | {} |", r.generated_at);
    let key = match &r.read_with {
        super::ReadWith::Key(name) => md(name),
        other => other.describe(md),
    };
    let _ = writeln!(out, "| read with the API key | {key} |");
    let _ = writeln!(
        out,
        "| inactive after | {} |",
        super::summary::plural(r.inactive_days as usize, "day", "days")
    );
    let _ = writeln!(out, "\n## Members ({})\n", r.members.len());
    out.push_str(&head(
        &["member", "role", "team role"],
        &["last login", "inactive"],
    ));
    for m in &r.members {
        let mut cells = vec![
            md(&m.email),
            md(&m.role),
            m.team_role.as_deref().map_or_else(|| "–".into(), md),
        ];
        cells.extend(m.access.cells().map(|(_, l)| l.as_str().to_owned()));
        cells.push(if m.pending {
            "invited (pending)".into()
        } else {
            m.last_login.as_deref().map_or_else(|| "–".into(), md)
        });
        cells.push(
            match m.inactive {
                _ if m.pending => "pending",
                Some(true) => "**yes**",
                Some(false) => "no",
                None => "unknown",
            }
            .into(),
        );
        out.push_str(&row(&cells));
    }
    let _ = writeln!(out, "\n## API keys ({})\n", r.api_keys.len());
    out.push_str(&head(
        &["key", "scopes"],
        &["age (days)", "over-privileged", "rotation due"],
    ));
    for k in &r.api_keys {
        let mut cells = vec![md(&k.name), md(&k.scopes.join(", "))];
        cells.extend(k.access.cells().map(|(_, l)| l.as_str().to_owned()));
        cells.push(
            k.age_days
                .map_or_else(|| "unknown".into(), |a| a.to_string()),
        );
        cells.push(if k.overprivileged { "**yes**" } else { "no" }.into());
        cells.push(if k.rotation_due { "**yes**" } else { "no" }.into());
        out.push_str(&row(&cells));
    }
    let _ = writeln!(out, "\n## Findings ({})\n", r.findings.len());
    if r.findings.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str("| finding | who | detail |\n|---|---|---|\n");
        for f in &r.findings {
            out.push_str(&row(&[
                f.kind.as_str().to_owned(),
                md(&f.address),
                md(&f.detail),
            ]));
        }
    }
    out
}
