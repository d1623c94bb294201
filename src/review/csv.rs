//! `review --format csv`: one row per member and per key, the matrix's
//! columns included, for a spreadsheet. Fields are quoted as RFC 4180 asks,
//! and a field that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-` or `@`) gets a leading `'`.
//! Hidden characters (newlines, escapes, bidi controls) are shown as
//! escapes first (`escape::terminal`, so a leading tab is `\t`): a CSV is often looked at in a
//! terminal, and a name can then never break a row.

use super::Review;
use crate::access::Column;

/// One field, safe for a spreadsheet and quoted when it must be.
pub fn field(s: &str) -> String {
    let s = crate::escape::terminal(s);
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn line(out: &mut String, cells: &[String]) {
    let fields: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

/// The header line.
pub fn header() -> String {
    let mut out = String::new();
    let mut cells: Vec<String> = [
        "workspace_id",
        "type",
        "name",
        "role",
        "team_role",
        "grants",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    cells.extend(Column::ALL.iter().map(|c| c.as_str().to_owned()));
    cells.extend(
        [
            "pending",
            "last_login",
            "inactive",
            "created",
            "age_days",
            "rotation_due",
            "overprivileged",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    line(&mut out, &cells);
    out
}

fn flag(b: Option<bool>) -> String {
    b.map_or_else(String::new, |b| b.to_string())
}

/// The rows of one review, without the header.
pub fn rows(r: &Review) -> String {
    let mut out = String::new();
    for m in &r.members {
        let mut cells = vec![
            r.workspace.id.clone(),
            "member".into(),
            m.email.clone(),
            m.role.clone(),
            m.team_role.clone().unwrap_or_default(),
            m.permissions.join(" "),
        ];
        cells.extend(m.access.cells().map(|(_, l)| l.as_str().to_owned()));
        cells.extend([
            m.pending.to_string(),
            m.last_login.clone().unwrap_or_default(),
            flag(m.inactive),
            m.created.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
        line(&mut out, &cells);
    }
    for k in &r.api_keys {
        let mut cells = vec![
            r.workspace.id.clone(),
            "api_key".into(),
            k.name.clone(),
            String::new(),
            String::new(),
            k.scopes.join(" "),
        ];
        cells.extend(k.access.cells().map(|(_, l)| l.as_str().to_owned()));
        cells.extend([
            String::new(),
            String::new(),
            String::new(),
            k.created.clone(),
            k.age_days.map(|a| a.to_string()).unwrap_or_default(),
            k.rotation_due.to_string(),
            k.overprivileged.to_string(),
        ]);
        line(&mut out, &cells);
    }
    out
}

pub fn render(r: &Review) -> String {
    header() + &rows(r)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("two\nlines"), "two\\nlines");
        assert_eq!(field("\t=1"), "\\t=1");
    }
}
