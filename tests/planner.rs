//! The pure planner: ordering, replacements, no-ops, policies, errors.

use instantly_rbac::config::Config;
use instantly_rbac::config_loader::parse;
use instantly_rbac::live::Live;
use instantly_rbac::plan::{Kind, Op, Plan};
use instantly_rbac::planner::{Context, plan};
use instantly_rbac::sandbox::demo::demo_state;

fn ctx() -> Context {
    Context {
        auth_key_mask: Some("sbx_…cdef".into()),
        now: None,
        undelivered: Vec::new(),
        key_events: None,
    }
}

fn config(text: &str) -> Config {
    parse("w.yaml", text).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

fn plan_of(text: &str, live: &Live) -> Plan {
    plan(&config(text), live, &ctx()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn ops(p: &Plan) -> Vec<String> {
    p.actions
        .iter()
        .map(|a| format!("{:?} {}", a.op, a.address))
        .collect()
}

#[test]
fn the_example_plan_is_ordered_so_prerequisites_come_first() {
    let text = std::fs::read_to_string(crate::support::example()).unwrap();
    let p = plan_of(&text, &demo_state().as_live());
    insta::assert_snapshot!(ops(&p).join("\n"));
    let pos = |addr: &str| p.actions.iter().position(|a| a.address == addr).unwrap();
    assert!(pos("tag[SDR-East]") < pos("assignment[SDR-East -> campaign:Q4 East Outbound]"));
    assert!(pos("member[bob@acme.com]") < pos("member[dave@acme.com]"));
    assert_eq!(p.actions.last().unwrap().address, "tag[Old-Team]");
    assert_eq!(
        p.actions.last().unwrap().reason.as_deref(),
        Some("its 2 assignments go with it")
    );
}

#[test]
fn promotions_come_before_demotions() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\nmembers:\n  - {email: alice@acme.com, role: view}\n  - {email: bob@acme.com, role: admin}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &live,
    );
    assert_eq!(
        ops(&p),
        vec![
            "Update member[bob@acme.com]",
            "Update member[alice@acme.com]"
        ]
    );
}

#[test]
fn what_the_api_cannot_patch_is_a_replacement() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\nroles:\n  r: {role: editor, permissions: [leads.move]}\nmembers:\n  - {email: carol@acme.com, role: r}\napi_keys:\n  - {name: Old Zapier, scopes: [campaigns:read]}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &live,
    );
    assert_eq!(
        ops(&p),
        vec![
            "Replace member[carol@acme.com]",
            "Replace api_key[Old Zapier]"
        ]
    );
    assert!(p.actions.iter().all(|a| a.reason.is_some()));
}

#[test]
fn an_export_of_the_live_workspace_plans_nothing() {
    let live = demo_state().as_live();
    let (c, _) = instantly_rbac::export::to_config(&live);
    let p = plan(&c, &live, &ctx()).unwrap();
    assert!(p.is_empty(), "{:?}", ops(&p));
}

#[test]
fn additive_never_deletes_and_lists_what_it_leaves() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &live,
    );
    assert!(p.is_empty(), "{:?}", ops(&p));
    assert_eq!(p.unmanaged.len(), 6 + 3 + 2, "{:?}", p.unmanaged);
    let authoritative = plan_of("version: 1\n", &live);
    let deletes = |k: Kind| {
        authoritative
            .actions
            .iter()
            .filter(|a| a.kind == k && a.op == Op::Delete)
            .count()
    };
    assert_eq!(
        (
            deletes(Kind::Member),
            deletes(Kind::ApiKey),
            deletes(Kind::Tag)
        ),
        (6, 2, 2)
    );
    assert_eq!(
        deletes(Kind::Assignment),
        0,
        "tag deletions take their assignments along"
    );
}

#[test]
fn ignore_globs_hide_live_objects() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\npolicy:\n  ignore:\n    members: ['*@ACME.com', 'support@*']\n    api_keys: ['Old *', 'Marketing*']\n    tags: ['*']\n",
        &live,
    );
    assert!(p.is_empty(), "{:?}", ops(&p));
    assert!(
        p.unmanaged
            .iter()
            .any(|u| u.address == "member[support@instantly.ai]" && u.why.contains("ignore"))
    );
}

#[test]
fn the_authenticating_key_is_never_revoked_or_replaced() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\napi_keys:\n  - {name: instantly-rbac (automation), scopes: [campaigns:read]}\npolicy: {members: additive, tags: additive}\n",
        &live,
    );
    assert_eq!(
        ops(&p),
        vec![
            "Delete api_key[Marketing — Analytics Read Only]",
            "Delete api_key[Old Zapier]"
        ]
    );
    assert!(p.warnings[0].contains("authenticates"), "{:?}", p.warnings);
    let p = plan_of(
        "version: 1\npolicy: {members: additive, tags: additive}\n",
        &live,
    );
    assert!(!ops(&p).iter().any(|o| o.contains("automation")));
}

#[test]
fn ownership_is_never_changed() {
    let live = demo_state().as_live();
    let c = config(
        "version: 1\nmembers:\n  - {email: alice@acme.com, role: owner}\n  - {email: owner@acme.com, role: admin}\n",
    );
    let errors = plan(&c, &live, &ctx()).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(errors[0].message.contains("is not the owner"));
    assert!(errors[0].help.as_deref().unwrap().contains("Instantly app"));
    assert!(errors[1].message.contains("owns this workspace"));
    // An undeclared owner is never deleted, even when members are authoritative.
    let p = plan_of("version: 1\n", &live);
    assert!(!ops(&p).iter().any(|o| o.contains("owner@")));
}

#[test]
fn campaign_names_must_match_exactly_one_campaign() {
    let mut state = demo_state();
    let mut dup = state.campaigns[3].clone();
    dup.id = "01946416-5000-7000-8000-000000000099".into();
    state.campaigns.push(dup);
    let c = config(
        "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 west outbound, Partner Webinar]\n    accounts: [nobody@acme-mail.com]\n",
    );
    let errors = plan(&c, &state.as_live(), &ctx()).unwrap_err();
    let text = instantly_rbac::diagnostic::FileErrors {
        path: "w.yaml".into(),
        source: "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 west outbound, Partner Webinar]\n    accounts: [nobody@acme-mail.com]\n".into(),
        errors,
        ..Default::default()
    }
    .render(false);
    insta::assert_snapshot!(text);
}

#[test]
fn declared_assignments_are_authoritative() {
    let live = demo_state().as_live();
    let p = plan_of(
        "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West Outbound, Q4 East Outbound]\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &live,
    );
    assert_eq!(
        ops(&p),
        vec![
            "Delete assignment[SDR-West -> account:west1@acme-mail.com]",
            "Delete assignment[SDR-West -> campaign:Legacy Promo]",
            "Create assignment[SDR-West -> campaign:Q4 East Outbound]",
        ]
    );
}

#[test]
fn planning_is_deterministic() {
    let text = std::fs::read_to_string(crate::support::example()).unwrap();
    let live = demo_state().as_live();
    let mut shuffled = live.clone();
    shuffled.members.reverse();
    shuffled.api_keys.reverse();
    shuffled.tags.reverse();
    shuffled.mappings.reverse();
    assert_eq!(plan_of(&text, &live), plan_of(&text, &shuffled));
}
