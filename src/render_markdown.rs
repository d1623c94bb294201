//! `plan --format markdown`: a pull-request comment (or a drift issue) body.
//! A hidden marker lets a pipeline find and update its previous comment. The
//! headline, counts and risky actions always come first; the rest sits in
//! collapsible sections, cut (with a note) to stay under GitHub's limit.

use crate::access_impact::{self, Privilege, Risk};
use crate::escape::{self, code_block, code_span, markdown_inline};
use crate::plan::{Action, Kind, Op, Plan};
use crate::render_text::{self, Paint};
use std::fmt::Write as _;

/// GitHub refuses comment bodies longer than this many characters.
pub const GITHUB_LIMIT: usize = 65_536;

pub fn marker(workspace_id: &str) -> String {
    format!(
        "<!-- instantly-rbac:{} -->",
        escape::html_comment(workspace_id)
    )
}

fn is_risky(a: &Action) -> bool {
    a.risk >= Risk::Medium
}

/// A section of the body that may be cut: a title and its items.
struct Section {
    title: String,
    open: String,
    close: String,
    items: Vec<String>,
}

/// The PR comment; `diff` (from `--diff`) goes in a fenced block of its own.
pub fn render(plan: &Plan, diff: Option<&str>) -> String {
    render_with_limit(plan, GITHUB_LIMIT, diff)
}

pub fn render_with_limit(plan: &Plan, limit: usize, diff: Option<&str>) -> String {
    let ws = &plan.workspace;
    let mut head = String::new();
    let _ = writeln!(head, "{}", marker(&ws.id));
    let _ = writeln!(
        head,
        "## instantly-rbac plan: {} ({})\n",
        markdown_inline(&ws.name),
        code_span(&ws.id)
    );
    if let Some(row) = &ws.group_member_id {
        let _ = writeln!(
            head,
            "This workspace is itself a sub-workspace of an agency (group membership {}).\n",
            code_span(row)
        );
    }
    if plan.is_empty() {
        let _ = writeln!(head, "**No changes.** The live workspace matches the file.");
    } else {
        let _ = writeln!(head, "**{}**\n", plan.summary().line());
        let ops: Vec<String> = Op::ALL.iter().map(Op::to_string).collect();
        let _ = writeln!(head, "| | {} |\n|---|---:|---:|---:|---:|", ops.join(" | "));
        for kind in Kind::ALL {
            let n = |op| {
                plan.actions
                    .iter()
                    .filter(|a| a.kind == kind && a.op == op)
                    .count()
            };
            let row = Op::ALL.map(n);
            if row.iter().sum::<usize>() > 0 {
                let _ = writeln!(
                    head,
                    "| {} | {} | {} | {} | {} |",
                    kind.heading(),
                    row[0],
                    row[1],
                    row[2],
                    row[3]
                );
            }
        }
    }
    if !plan.blocks.is_empty() {
        let _ = writeln!(
            head,
            "\n> [!CAUTION]\n> **Blocked**: apply refuses this plan until each limit is dealt with."
        );
        for b in &plan.blocks {
            let ack = b
                .ack
                .as_ref()
                .map(|a| {
                    format!(
                        " — acknowledge with {}",
                        code_span(&format!("--ack-deletes {a}"))
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                head,
                "> - {}: {}{ack}",
                code_span(&b.limit),
                markdown_inline(&b.message)
            );
        }
    }
    let mut risky: Vec<&Action> = plan.actions.iter().filter(|a| is_risky(a)).collect();
    risky.sort_by_key(|a| std::cmp::Reverse(a.risk));
    let mut sections = Vec::new();
    if !risky.is_empty() {
        let items = risky
            .iter()
            .map(|a| {
                let why = access_impact::impact(a)
                    .map(|i| i.why.join("; "))
                    .filter(|w| !w.is_empty())
                    .or_else(|| a.reason.clone())
                    .unwrap_or_default();
                let icon = if a.risk == Risk::High {
                    "🔴 high"
                } else {
                    "🟠 medium"
                };
                format!(
                    "| {icon} | {} {} | {} |\n",
                    a.op,
                    code_span(&a.address),
                    markdown_inline(&why)
                )
            })
            .collect();
        sections.push(Section {
            title: format!(
                "\n### ⚠️ Risky changes ({})\n\n| risk | action | why |\n|---|---|---|\n",
                risky.len()
            ),
            open: "".into(),
            close: "".into(),
            items,
        });
    }
    let impacts = access_impact::impacts(&plan.actions);
    if !impacts.is_empty() {
        let items = impacts
            .iter()
            .map(|i| {
                format!(
                    "| {} | {} | {} | {} |\n",
                    i.change.word(),
                    code_span(&i.address),
                    markdown_inline(&Privilege::describe(i.before.as_ref())),
                    markdown_inline(&Privilege::describe(i.after.as_ref()))
                )
            })
            .collect();
        sections.push(Section {
            title: format!(
                "\n<details><summary>Access impact ({})</summary>\n\n| change | who | before | after |\n|---|---|---|---|\n",
                impacts.len()
            ),
            open: "".into(),
            close: "\n</details>\n".into(),
            items,
        });
    }
    let plain = Paint { color: false };
    for kind in Kind::ALL {
        let items: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| {
                let mut s = String::new();
                // Live strings come out of it escaped for a terminal.
                render_text::action(&mut s, a, &plain);
                s.lines()
                    .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
                    .collect()
            })
            .collect();
        if !items.is_empty() {
            // A fence no backtick run in any item can close.
            let (open, _, close) = code_block("diff", &items.concat());
            sections.push(Section {
                title: format!(
                    "\n<details><summary>{} ({})</summary>\n\n",
                    kind.heading(),
                    items.len()
                ),
                open,
                close: format!("{close}\n</details>\n"),
                items,
            });
        }
    }
    let mut tail_items: Vec<String> = plan
        .warnings
        .iter()
        .map(|w| format!("- ⚠️ {}\n", markdown_inline(w)))
        .collect();
    tail_items.extend(plan.unmanaged.iter().map(|u| {
        let by = u
            .attribution
            .as_ref()
            .map(|a| format!(": {}", markdown_inline(&a.line())))
            .unwrap_or_default();
        format!(
            "- {} ({}){by}\n",
            code_span(&u.address),
            markdown_inline(&u.why)
        )
    }));
    if !tail_items.is_empty() {
        sections.push(Section {
            title: format!(
                "\n<details><summary>Warnings and objects left alone ({})</summary>\n\n",
                tail_items.len()
            ),
            open: "".into(),
            close: "\n</details>\n".into(),
            items: tail_items,
        });
    }
    if let Some(d) = diff {
        sections.push(diff_section(d));
    }
    assemble(head, sections, limit)
}

/// The `--diff` output inside `<details>`, fenced so that no line of it
/// (names come from the API) can close the block early.
fn diff_section(diff: &str) -> Section {
    let (open, items, close) = code_block(
        "diff",
        if diff.is_empty() {
            "(no differences)"
        } else {
            diff
        },
    );
    Section {
        title: "\n<details><summary>Diff of the live and the desired workspace</summary>\n\n"
            .into(),
        open,
        close: format!("{close}\n</details>\n"),
        items,
    }
}

/// Adds sections in order while they fit; a section that does not fit is
/// cut with a note of how many entries were left out.
fn assemble(head: String, sections: Vec<Section>, limit: usize) -> String {
    const NOTE_ROOM: usize = 200;
    // Characters of `out`, kept as it grows: counting them again for each
    // item made a long plan quadratic.
    let chars = |s: &str| s.chars().count();
    let mut len = chars(&head);
    let mut out = head;
    let mut left_out = 0;
    for s in sections {
        let close = chars(&s.close);
        let fixed = chars(&s.title) + chars(&s.open) + close;
        if len + fixed + NOTE_ROOM * 2 > limit {
            left_out += s.items.len();
            continue;
        }
        out.push_str(&s.title);
        out.push_str(&s.open);
        len += chars(&s.title) + chars(&s.open);
        let mut shown = 0;
        for item in &s.items {
            let n = chars(item);
            if len + n + close + NOTE_ROOM * 2 > limit {
                break;
            }
            out.push_str(item);
            len += n;
            shown += 1;
        }
        if shown < s.items.len() {
            let note = format!("… {} more not shown\n", s.items.len() - shown);
            len += chars(&note);
            out.push_str(&note);
            left_out += s.items.len() - shown;
        }
        out.push_str(&s.close);
        len += close;
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n_{left_out} entries were left out to stay under GitHub's {GITHUB_LIMIT}-character comment limit; run `instantly-rbac plan` for the full plan._"
        );
    }
    out
}
