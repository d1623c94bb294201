//! The typed domain: roles as `Role`, emails as `Email` compared by one rule.

use crate::support::Test;
use instantly_rbac::access_impact::{Change, impact};
use instantly_rbac::config_loader::parse;
use instantly_rbac::email::Email;
use instantly_rbac::plan::{Kind, MemberState, Op, Plan, State};
use instantly_rbac::planner::{Context, plan};
use instantly_rbac::role::Role;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use std::collections::HashSet;

const BILLING: &str = "billing_admin";

fn plan_of(text: &str, state: &SandboxState) -> Plan {
    let config = parse("w.yaml", text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    plan(&config, &state.as_live(), &Context::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The demo with `support@instantly.ai` holding a role this tool does not know.
fn with_unknown_role() -> SandboxState {
    let mut state = demo_state();
    state.members[5].role = Role::from(BILLING);
    state
}

#[test]
fn every_role_round_trips_through_its_api_spelling() {
    let known = [
        (Role::Owner, "owner"),
        (Role::Admin, "admin"),
        (Role::Editor, "editor"),
        (Role::View, "view"),
        (Role::Client, "client"),
        (Role::Other(BILLING.into()), BILLING),
    ];
    for (role, name) in known {
        assert_eq!(role.to_string(), name);
        assert_eq!(name.parse::<Role>().unwrap(), role);
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
    }
}

#[test]
fn an_unknown_role_is_never_guessed_into_a_known_one() {
    assert_eq!(Role::from("Admin"), Role::Other("Admin".into()));
    assert_eq!(Role::from(" view"), Role::Other(" view".into()));
    let r: Role = serde_json::from_str("\"billing_admin\"").unwrap();
    assert_eq!(r, Role::Other(BILLING.into()));
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"billing_admin\"");
}

#[test]
fn only_admin_editor_and_view_are_settable_and_ranks_order_them() {
    let settable: Vec<Role> = Role::KNOWN.into_iter().filter(Role::is_settable).collect();
    assert_eq!(settable, [Role::Admin, Role::Editor, Role::View]);
    assert!(!Role::Other(BILLING.into()).is_settable());
    let ranks: Vec<u8> = Role::KNOWN.iter().map(Role::rank).collect();
    assert_eq!(ranks, [4, 3, 2, 1, 0]);
    assert_eq!(Role::Other(BILLING.into()).rank(), 0);
}

#[test]
fn emails_equal_and_hash_alike_across_case() {
    let a = Email::from("Sam@Acme.com");
    let b = Email::from("sam@acme.com");
    assert_eq!(a, b);
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
    assert_eq!(HashSet::from([a.clone(), b.clone()]).len(), 1);
    assert_eq!(a.as_str(), "Sam@Acme.com");
    assert_eq!(a.key(), "sam@acme.com");
    assert_eq!(Email::fold("SAM@ACME.COM"), a.key());
    assert_ne!(a, Email::from("sam@acme.co"));
    // Serialized as written, not folded.
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"Sam@Acme.com\"");
}

#[test]
fn member_states_keep_their_json_format() {
    let json = r#"{"email":"Bob@Acme.com","role":"billing_admin","permissions":[],"pending":true}"#;
    let m: MemberState = serde_json::from_str(json).unwrap();
    assert_eq!(m.email.as_str(), "Bob@Acme.com");
    assert_eq!(m.role, Role::Other(BILLING.into()));
    assert_eq!(serde_json::to_string(&m).unwrap(), json);
}

#[test]
fn an_undeclared_member_with_an_unknown_role_is_deleted_when_authoritative() {
    let p = plan_of(
        "version: 1\nmembers:\n  - {email: alice@acme.com, role: admin}\n  - {email: bob@acme.com, role: view}\n  - {email: carol@acme.com, role: editor}\n  - {email: dave@acme.com, role: editor}\n  - {email: erin@acme.com, role: view}\npolicy: {api_keys: additive, tags: additive}\n",
        &with_unknown_role(),
    );
    let a = p
        .actions
        .iter()
        .find(|a| a.address == "member[support@instantly.ai]")
        .unwrap();
    assert_eq!(a.op, Op::Delete);
    match &a.before {
        Some(State::Member(m)) => assert_eq!(m.role, Role::Other(BILLING.into())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_undeclared_member_with_an_unknown_role_is_left_alone_when_additive() {
    let p = plan_of(
        "version: 1\nmembers:\n  - {email: bob@acme.com, role: view}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &with_unknown_role(),
    );
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert!(
        p.unmanaged
            .iter()
            .any(|u| u.address == "member[support@instantly.ai]")
    );
}

#[test]
fn a_declared_member_with_an_unknown_live_role_is_updated_to_the_declared_one() {
    let p = plan_of(
        "version: 1\nmembers:\n  - {email: support@instantly.ai, role: editor}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &with_unknown_role(),
    );
    let [a] = p.actions.as_slice() else {
        panic!("{:?}", p.actions)
    };
    assert_eq!((a.kind, a.op), (Kind::Member, Op::Update));
    let role = |s: &Option<State>| match s {
        Some(State::Member(m)) => m.role.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(role(&a.before), Role::Other(BILLING.into()));
    assert_eq!(role(&a.after), Role::Editor);
    // What an unknown role grants is not known: an opaque privilege, lost,
    // while the editor's are gained.
    let i = impact(a).unwrap();
    assert_eq!(i.change, Change::Change);
    assert!(
        i.why.iter().any(|w| w == "loses role:billing_admin"),
        "{:?}",
        i.why
    );
    assert_eq!(i.why[0], "role billing_admin → editor");
}

#[test]
fn a_member_declared_in_another_case_plans_no_change() {
    let yaml = "version: 1\nmembers:\n  - {email: Bob@Acme.com, role: view}\n  - {email: OWNER@acme.com, role: owner}\npolicy: {members: additive, api_keys: additive, tags: additive}\n";
    let ran = Test::new()
        .sandbox(demo_state())
        .file("w.yaml", yaml)
        .args(&["plan", "-f", "w.yaml", "--detailed-exitcode"])
        .run()
        .status(0)
        .stderr("");
    assert!(
        ran.output
            .stdout
            .contains("No changes. The live workspace matches the file."),
        "{}",
        ran.output.stdout
    );
    assert_eq!(ran.state.unwrap(), demo_state());
}

#[test]
fn a_sandbox_state_with_an_unknown_role_keeps_it_through_a_run() {
    let yaml = "version: 1\nmembers:\n  - {email: bob@acme.com, role: view}\npolicy: {members: additive, api_keys: additive, tags: additive}\n";
    let ran = Test::new()
        .sandbox(with_unknown_role())
        .file("w.yaml", yaml)
        .args(&["apply", "-f", "w.yaml", "--auto-approve"])
        .run()
        .status(0);
    let state = ran.state.unwrap();
    assert_eq!(state.members[5].role, Role::Other(BILLING.into()));
    let text = std::fs::read_to_string(ran.dir.path().join("state.json")).unwrap();
    assert!(text.contains("\"role\": \"billing_admin\""), "{text}");
}

#[test]
fn export_lists_a_member_with_an_unknown_role_as_ignored() {
    let (config, warnings) = instantly_rbac::export::to_config(&with_unknown_role().as_live());
    assert!(
        !config
            .members
            .iter()
            .any(|m| m.email.value.as_str() == "support@instantly.ai")
    );
    assert_eq!(config.policy.ignore.members, ["support@instantly.ai"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("the role `billing_admin`")),
        "{warnings:?}"
    );
}
