//! The human plan, like Terraform's: the summary line first, then actions
//! grouped by kind with `+` `~` `-/+` `-` markers and field-level changes.

use crate::access_impact::{self, Change, Privilege, Risk};
use crate::escape::terminal;
use crate::plan::{Action, Kind, Op, Plan, State};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }
    fn op(&self, op: Op) -> String {
        let (marker, color) = match op {
            Op::Create => ("+", AnsiColor::Green),
            Op::Update => ("~", AnsiColor::Yellow),
            Op::Replace => ("-/+", AnsiColor::Magenta),
            Op::Delete => ("-", AnsiColor::Red),
        };
        self.paint(Style::new().fg_color(Some(color.into())).bold(), marker)
    }
    pub fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }
    pub fn warn(&self, text: &str) -> String {
        self.paint(
            Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
            text,
        )
    }
}

/// The managed fields of a state, as `(name, value)` pairs for display;
/// the values hold live strings (roles, scopes, descriptions) as they are.
pub fn fields(state: &State) -> Vec<(&'static str, String)> {
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    match state {
        State::Member(m) => {
            // A team role is named, with what it stands for; the list of
            // permissions follows, so the grant is still shown exactly.
            let role =
                crate::team_roles::describe(m.team_role.as_deref(), &m.role, m.permissions.len());
            let mut f = vec![("role", role)];
            if !m.permissions.is_empty() {
                f.push(("permissions", list(&m.permissions)));
            }
            if let Some(n) = &m.nickname {
                f.push(("nickname", format!("{n:?}")));
            }
            if m.pending {
                f.push(("status", "invited (pending)".into()));
            }
            f
        }
        State::ApiKey(k) => vec![("scopes", list(&k.scopes))],
        State::Tag(t) => t
            .description
            .iter()
            .map(|d| ("description", format!("{d:?}")))
            .collect(),
        State::Assignment(_) => Vec::new(),
        State::SubWorkspace(w) => vec![
            ("id", w.sub_workspace_id.clone()),
            ("status", w.status.to_string()),
        ],
    }
}

pub fn action(out: &mut String, a: &Action, p: &Paint) {
    // Medium too, as the Markdown plan lists it (deleting or inviting a
    // member): the terminal reviewer sees the same risks as the PR's.
    let risk = match a.risk {
        Risk::High => format!("  {}", p.warn("(high risk)")),
        Risk::Medium => format!("  {}", p.warn("(medium risk)")),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  {} {}{risk}",
        p.op(a.op),
        p.bold(&terminal(&a.address))
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(out, "      {}", p.dim(&format!("# {}", terminal(reason))));
    }
    if let Some(by) = &a.attribution {
        let _ = writeln!(
            out,
            "      {}",
            p.dim(&format!("# {}", terminal(&by.line())))
        );
    }
    match (a.op, &a.before, &a.after) {
        (Op::Create, _, Some(s)) | (Op::Delete, Some(s), _) => {
            for (name, value) in fields(s) {
                let _ = writeln!(out, "      {name}: {}", terminal(&value));
            }
        }
        (_, Some(b), Some(n)) => {
            let (before, after) = (fields(b), fields(n));
            for (name, new) in &after {
                // A member without a status line has accepted.
                let missing = if *name == "status" {
                    "accepted"
                } else {
                    "(none)"
                };
                let old = before
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or(missing, |(_, v)| v.as_str());
                if old != new {
                    let _ = writeln!(out, "      {name}: {} -> {}", terminal(old), terminal(new));
                }
            }
            for (name, old) in &before {
                if !after.iter().any(|(k, _)| k == name) {
                    let _ = writeln!(out, "      {name}: {} -> (none)", terminal(old));
                }
            }
        }
        _ => {}
    }
}

/// One line for a state: its fields, or `assigned`, or `(absent)`; live
/// strings as they are.
pub fn one_line(state: Option<&State>) -> String {
    match state {
        None => "(absent)".into(),
        Some(State::Assignment(_)) => "assigned".into(),
        Some(s) => {
            let f: Vec<String> = fields(s)
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            if f.is_empty() {
                "present".into()
            } else {
                f.join(", ")
            }
        }
    }
}

/// What changed since a saved plan was made, per touched object.
pub fn render_changed(changed: &[crate::saved_plan::Changed]) -> String {
    let mut out = format!(
        "error: {} object{} the saved plan touches changed since it was made; nothing was changed.\n",
        changed.len(),
        if changed.len() == 1 { "" } else { "s" }
    );
    for c in changed {
        let (planned, now) = (
            terminal(&one_line(c.planned.as_ref())),
            terminal(&one_line(c.now.as_ref())),
        );
        let _ = writeln!(out, "  {}", terminal(&c.address));
        if planned == now {
            let _ = writeln!(
                out,
                "      changed by someone else since the plan (same fields, newer version): {now}"
            );
        } else {
            let _ = writeln!(out, "      planned against: {planned}");
            let _ = writeln!(out, "      now:             {now}");
        }
    }
    out.push_str("Run `instantly-rbac plan` again, review the new plan, and apply that.");
    out
}

pub fn render(plan: &Plan, p: &Paint) -> String {
    let mut out = String::new();
    let ws = &plan.workspace;
    let _ = writeln!(
        out,
        "Workspace: {} ({})",
        terminal(&ws.name),
        terminal(&ws.id)
    );
    if let Some(row) = &ws.group_member_id {
        let _ = writeln!(
            out,
            "This workspace is itself a sub-workspace of an agency (group membership {}).",
            terminal(row)
        );
    }
    let _ = writeln!(out);
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.bold("No changes. The live workspace matches the file.")
        );
    } else {
        let _ = writeln!(out, "{}", p.bold(&plan.summary().line()));
        if !plan.blocks.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                p.warn("Blocked: apply refuses this plan until each limit below is dealt with.")
            );
            for b in &plan.blocks {
                let _ = writeln!(out, "  ⛔ {}: {}", b.limit, terminal(&b.message));
                if let Some(ack) = &b.ack {
                    let _ = writeln!(
                        out,
                        "     after review, acknowledge with: --ack-deletes {}",
                        terminal(ack)
                    );
                }
            }
        }
        for kind in Kind::ALL {
            let actions: Vec<&Action> = plan.actions.iter().filter(|a| a.kind == kind).collect();
            if actions.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{}:", kind.heading());
            for a in actions {
                action(&mut out, a, p);
            }
        }
    }
    let impacts = access_impact::impacts(&plan.actions);
    if !impacts.is_empty() {
        let _ = writeln!(out, "\nAccess impact:");
        for i in &impacts {
            let label = format!(
                "{} {}{}",
                i.change.marker(),
                i.change.word(),
                if i.risk == Risk::High {
                    ", high risk"
                } else {
                    ""
                }
            );
            let label = if i.risk == Risk::High {
                p.warn(&label)
            } else {
                label
            };
            let _ = writeln!(
                out,
                "  {label}  {}: {} -> {}",
                terminal(&i.address),
                terminal(&Privilege::describe(i.before.as_ref())),
                terminal(&Privilege::describe(i.after.as_ref()))
            );
            // Neither side contains the other: say which way each part
            // went; a re-invite: say why it is a reduction.
            if i.change == Change::Change || i.why.iter().any(|w| w.starts_with("re-invited")) {
                let _ = writeln!(out, "      {}", p.dim(&terminal(&i.why.join("; "))));
            }
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\n{}:", p.warn("Warnings"));
        for w in &plan.warnings {
            let _ = writeln!(out, "  ! {}", terminal(w));
        }
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "\nLeft alone ({}):", plan.unmanaged.len());
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  {} {}",
                terminal(&u.address),
                p.dim(&format!("({})", terminal(&u.why)))
            );
            if let Some(by) = &u.attribution {
                let _ = writeln!(
                    out,
                    "      {}",
                    p.dim(&format!("# {}", terminal(&by.line())))
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{KeyState, WorkspaceRef};

    fn plan() -> Plan {
        Plan {
            workspace: WorkspaceRef {
                id: "w".into(),
                name: "W".into(),
                group_member_id: None,
            },
            actions: vec![Action {
                address: "api_key[k]".into(),
                kind: Kind::ApiKey,
                op: Op::Create,
                phase: 4,
                before: None,
                after: Some(State::ApiKey(KeyState {
                    name: "k".into(),
                    scopes: vec!["all:read".into()],
                })),
                reason: None,
                live_id: None,
                risk: Default::default(),
                attribution: None,
                source: None,
            }],
            blocks: vec![],
            unmanaged: vec![],
            warnings: vec![],
            live_key_ids: vec![],
        }
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(render(&plan(), &Paint { color: true }).contains("\x1b["));
        let plain = render(&plan(), &Paint { color: false });
        assert!(!plain.contains('\x1b'));
        assert!(plain.contains("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete."));
        assert!(
            !crate::output::color_wanted(crate::cli::ColorChoice::Auto, false),
            "never colour off a terminal"
        );
    }
}
