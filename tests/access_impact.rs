//! Access impact compares privilege sets: an escalation only gains, a
//! reduction only loses, a change does both, whatever the role names say.

use instantly_rbac::access_impact::{Change, Risk, classify, impact, impacts, risk};
use instantly_rbac::plan::{Action, KeyState, Kind, MemberState, Op, State};

fn member(role: &str, permissions: &[&str]) -> State {
    State::Member(MemberState {
        email: "x@acme.com".into(),
        role: role.into(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        pending: false,
        nickname: None,
        team_role: None,
    })
}

fn key(scopes: &[&str]) -> State {
    State::ApiKey(KeyState {
        name: "k".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    })
}

fn action(op: Op, before: Option<State>, after: Option<State>) -> Action {
    let kind = match before.as_ref().or(after.as_ref()) {
        Some(State::ApiKey(_)) => Kind::ApiKey,
        _ => Kind::Member,
    };
    Action {
        address: "x".into(),
        kind,
        op,
        before,
        after,
        reason: None,
        live_id: None,
        risk: Risk::Low,
        attribution: None,
        source: None,
        phase: 0,
    }
}

fn update(before: State, after: State) -> Action {
    action(Op::Update, Some(before), Some(after))
}

/// Keys cannot be patched: a new scope list is a replacement.
fn rekey(before: &[&str], after: &[&str]) -> Action {
    action(Op::Replace, Some(key(before)), Some(key(after)))
}

#[test]
fn classification_and_risk() {
    let cases: Vec<(&str, Action, Option<Change>, Risk)> = vec![
        (
            "admin to a team role on editor is a demotion",
            update(
                member("admin", &[]),
                member("editor", &["campaigns.view", "leads.move"]),
            ),
            Some(Change::Reduction),
            Risk::Low,
        ),
        (
            "view to editor gains the editor's writes",
            update(member("view", &[]), member("editor", &[])),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "view + a view permission it already holds is equal",
            update(member("view", &[]), member("view", &["crm.view"])),
            None,
            Risk::Low,
        ),
        (
            "editor + [a] to editor + [b] gains one, loses one",
            update(
                member("editor", &["campaigns.delete"]),
                member("editor", &["accounts.manage"]),
            ),
            Some(Change::Change),
            Risk::High,
        ),
        (
            "a change that gains only a view privilege is medium",
            update(member("client", &[]), member("view", &[])),
            Some(Change::Change),
            Risk::Medium,
        ),
        (
            "editor to admin",
            update(member("editor", &[]), member("admin", &[])),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "editor with every known permission to admin still gains the unknown ones",
            update(
                member("editor", instantly_rbac::vocab::PERMISSIONS),
                member("admin", &[]),
            ),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "owner and admin hold the same",
            update(member("owner", &[]), member("admin", &[])),
            None,
            Risk::Low,
        ),
        (
            "an unknown live permission is kept: dropping it is a loss",
            update(
                member("editor", &["futureThing.manage"]),
                member("editor", &[]),
            ),
            Some(Change::Reduction),
            Risk::Low,
        ),
        (
            "an unknown permission is held by admin",
            update(
                member("editor", &["futureThing.manage"]),
                member("admin", &[]),
            ),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "invite",
            action(Op::Create, None, Some(member("view", &["analytics.view"]))),
            Some(Change::Escalation),
            Risk::Medium,
        ),
        (
            "invite with writes",
            action(Op::Create, None, Some(member("editor", &[]))),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "removal",
            action(Op::Delete, Some(member("admin", &[])), None),
            Some(Change::Reduction),
            Risk::Medium,
        ),
        (
            "a re-invite to less is still high: no access until accepted",
            action(
                Op::Replace,
                Some(member("editor", &["campaigns.delete"])),
                Some(member("editor", &[])),
            ),
            Some(Change::Reduction),
            Risk::High,
        ),
        (
            "a re-invite to the same privileges is a reduction until accepted, and high",
            action(
                Op::Replace,
                Some(member("editor", &["campaigns.view"])),
                Some(member("editor", &["leads.move"])),
            ),
            Some(Change::Reduction),
            Risk::High,
        ),
        (
            "read to all on one resource",
            rekey(&["campaigns:read"], &["campaigns:all"]),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "read of one more resource",
            rekey(&["campaigns:read"], &["campaigns:read", "leads:read"]),
            Some(Change::Escalation),
            Risk::Medium,
        ),
        (
            "all:all narrowed",
            rekey(&["all:all"], &["campaigns:read"]),
            Some(Change::Reduction),
            Risk::Medium,
        ),
        (
            "read of one resource for another",
            rekey(&["campaigns:read"], &["leads:read"]),
            Some(Change::Change),
            Risk::Medium,
        ),
        (
            "all:read narrowed",
            rekey(&["all:read"], &["campaigns:read"]),
            Some(Change::Reduction),
            Risk::Medium,
        ),
        (
            "all:read to all:delete",
            rekey(&["all:read"], &["all:delete"]),
            Some(Change::Change),
            Risk::High,
        ),
        (
            "a scope already covered by a wildcard adds nothing",
            rekey(&["leads:all"], &["leads:all", "leads:delete"]),
            None,
            Risk::Medium,
        ),
        (
            "an unknown live scope is kept",
            rekey(&["campaigns:read", "mystery"], &["campaigns:read"]),
            Some(Change::Reduction),
            Risk::Medium,
        ),
        (
            "all:all holds even an unknown scope",
            rekey(&["mystery"], &["all:all"]),
            Some(Change::Escalation),
            Risk::High,
        ),
        (
            "new key",
            action(Op::Create, None, Some(key(&["campaigns:read"]))),
            Some(Change::Escalation),
            Risk::Medium,
        ),
        (
            "revoked key",
            action(Op::Delete, Some(key(&["all:all"])), None),
            Some(Change::Reduction),
            Risk::Medium,
        ),
        (
            "equal: editor holds leads.move anyway",
            update(member("editor", &["leads.move"]), member("editor", &[])),
            None,
            Risk::Low,
        ),
        (
            "equal: the same scopes in another order",
            rekey(
                &["leads:read", "campaigns:read"],
                &["campaigns:read", "leads:read"],
            ),
            None,
            Risk::Medium,
        ),
    ];
    for (name, a, change, want_risk) in cases {
        assert_eq!(classify(&a), change, "{name}");
        assert_eq!(risk(&a), want_risk, "{name}");
        assert_eq!(
            impacts(std::slice::from_ref(&a)).len(),
            usize::from(change.is_some()),
            "{name}: listed only when access changes"
        );
    }
}

#[test]
fn a_change_says_what_is_gained_and_lost() {
    let i = impact(&update(
        member("editor", &["campaigns.delete"]),
        member("view", &["accounts.manage"]),
    ))
    .unwrap();
    assert_eq!(i.change, Change::Change);
    assert_eq!(
        i.why,
        vec![
            "role editor → view",
            "gains accounts.manage",
            "loses campaigns.create, campaigns.delete, campaigns.edit, customLeadLabels.create, customLeadLabels.edit, leads.move",
        ]
    );
    let i = impact(&rekey(&["campaigns:read"], &["leads:read"])).unwrap();
    assert_eq!(i.why, vec!["gains leads:read", "loses campaigns:read"]);
}

#[test]
fn change_serializes_as_change() {
    let i = impact(&rekey(&["campaigns:read"], &["leads:read"])).unwrap();
    assert_eq!(serde_json::to_value(&i).unwrap()["change"], "change");
}

#[test]
fn plans_mark_a_change_and_say_which_way_each_part_went() {
    use instantly_rbac::plan::{Plan, WorkspaceRef};
    use instantly_rbac::render_text::{self, Paint};
    let mut a = rekey(&["campaigns:read"], &["leads:read"]);
    a.address = "api_key[k]".into();
    let p = Plan {
        workspace: WorkspaceRef {
            id: "w".into(),
            name: "W".into(),
            group_member_id: None,
        },
        actions: vec![a],
        blocks: Vec::new(),
        unmanaged: Vec::new(),
        warnings: Vec::new(),
        live_key_ids: Vec::new(),
    };
    let text = render_text::render(&p, &Paint { color: false });
    assert!(
        text.contains(
            "  ◆ change  api_key[k]: [campaigns:read] -> [leads:read]\n      gains leads:read; loses campaigns:read\n"
        ),
        "{text}"
    );
    let md = instantly_rbac::render_markdown::render(&p, None);
    assert!(
        md.contains("| change | `api_key[k]` | [campaigns:read] | [leads:read] |"),
        "{md}"
    );
}
