//! `review --format text`: aligned tables for a terminal. Names from the
//! API are escaped for the terminal (`escape::terminal`).

use super::Review;
use crate::access::Column;
use crate::escape::terminal;
use std::fmt::Write as _;

/// Columns a cell takes on a terminal: a full-width character two.
fn width(cell: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(cell)
}

/// Rows of cells as aligned columns, two spaces apart, trailing spaces cut.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from(" ");
        for (cell, w) in r.iter().zip(&widths) {
            let pad = w - width(cell);
            let _ = write!(line, " {cell}{:pad$} ", "");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn header(first: &[&str], last: &[&str]) -> Vec<String> {
    first
        .iter()
        .copied()
        .chain(Column::ALL.iter().map(|c| c.as_str()))
        .chain(last.iter().copied())
        .map(str::to_owned)
        .collect()
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "-".to_owned(), terminal)
}

pub fn render(r: &Review) -> String {
    let mut out = String::new();
    let key = r.read_with.describe(terminal);
    let _ = writeln!(
        out,
        "Access review of {} ({}) at {}, read with {key}; inactive after {}",
        terminal(&r.workspace.name),
        terminal(&r.workspace.id),
        r.generated_at,
        super::summary::plural(r.inactive_days as usize, "day", "days")
    );
    let _ = writeln!(out, "\nMembers ({}):", r.members.len());
    let mut rows = vec![header(&["member", "role"], &["last login", "inactive"])];
    for m in &r.members {
        let role = match &m.team_role {
            Some(t) => format!("{} ({})", terminal(t), terminal(&m.role)),
            None => terminal(&m.role),
        };
        let mut row = vec![terminal(&m.email), role];
        row.extend(m.access.cells().map(|(_, l)| l.as_str().to_owned()));
        row.push(if m.pending {
            "invited (pending)".into()
        } else {
            opt(&m.last_login)
        });
        row.push(match m.inactive {
            _ if m.pending => "pending".into(),
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => "unknown".into(),
        });
        rows.push(row);
    }
    table(&mut out, &rows);
    let _ = writeln!(out, "\nAPI keys ({}):", r.api_keys.len());
    let mut rows = vec![header(&["key", "scopes"], &["age (days)", "flags"])];
    for k in &r.api_keys {
        let mut row = vec![terminal(&k.name), terminal(&k.scopes.join(", "))];
        row.extend(k.access.cells().map(|(_, l)| l.as_str().to_owned()));
        row.push(
            k.age_days
                .map_or_else(|| "unknown".into(), |a| a.to_string()),
        );
        let flags: Vec<&str> = [
            (k.overprivileged, "over-privileged"),
            (k.rotation_due, "rotation due"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
        row.push(flags.join(", "));
        rows.push(row);
    }
    table(&mut out, &rows);
    let _ = writeln!(out, "\nFindings ({}):", r.findings.len());
    // Kinds padded to the longest, so the addresses line up.
    let w = r
        .findings
        .iter()
        .map(|f| f.kind.as_str().len())
        .max()
        .unwrap_or(0);
    for f in &r.findings {
        let _ = writeln!(
            out,
            "  {:<w$}  {}: {}",
            f.kind.as_str(),
            terminal(&f.address),
            terminal(&f.detail)
        );
    }
    out
}
