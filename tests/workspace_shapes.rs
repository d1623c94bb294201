//! Workspaces in shapes the demo does not have: no tags yet (a first use),
//! no campaigns, no accounts, no keys but the operator's, no members but
//! the owner; and what a re-run finds after an interrupted apply.

use crate::support::{OPERATOR_KEY, Output, Server, run_at, write};
use instantly_rbac::api_types::{ResourceType, TagMapping};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use std::collections::BTreeMap;

/// The whole user-visible outcome of one run, for a snapshot.
fn shown(o: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    )
}

/// The demo workspace before anyone made a tag.
fn without_tags() -> SandboxState {
    let mut s = demo_state();
    s.tags.clear();
    s.mappings.clear();
    s
}

/// A workspace's first tag, on two campaigns and two accounts.
const FIRST_TAG: &str = "\
version: 1
policy: {members: additive, api_keys: additive}
tags:
  - label: SDR-West
    description: West coast SDR team
    campaigns: [Q4 West Outbound, Partner Webinar]
    accounts: [west1@acme-mail.com, east1@acme-mail.com]
";

/// Plans `yaml` (showing the changes), applies it, and plans again: the
/// three runs, shown, and the state after apply.
fn plan_apply_replan(state: SandboxState, yaml: &str) -> (String, Server) {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(state);
    write(d.path(), "w.yaml", yaml);
    let plan = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    let apply = run_at(
        &server,
        d.path(),
        &["apply", "-f", "w.yaml", "--auto-approve"],
    );
    let again = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(
        (plan.code, apply.code, again.code),
        (2, 0, 0),
        "{}\n{}\n{}",
        shown(&plan),
        shown(&apply),
        shown(&again)
    );
    let text = format!(
        "== plan\n{}\n== apply\n{}\n== plan again\n{}",
        shown(&plan),
        shown(&apply),
        shown(&again)
    );
    (text, server)
}

/// The mappings of `state` as (tag label, resource type, resource id).
fn assignments(state: &SandboxState) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = state
        .mappings
        .iter()
        .map(|m| {
            let tag = state.tags.iter().find(|t| t.id == m.tag_id).unwrap();
            (
                tag.label.clone(),
                format!("{:?}", m.resource_type),
                m.resource_id.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Regression: planning a workspace's first tag failed with `no campaign is
/// named …`, because with no live tag to read nothing named the campaigns.
#[test]
fn the_first_tag_of_a_workspace_is_planned_and_applied() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(without_tags());
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    // Two names and two emails: one page of each list is cheaper than
    // two searches and two look-ups.
    assert_eq!(
        server.sandbox.requests_by_endpoint(),
        BTreeMap::from([
            ("GET /accounts".to_owned(), 1),
            ("GET /api-keys".to_owned(), 1),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );

    let (text, server) = plan_apply_replan(without_tags(), FIRST_TAG);
    insta::assert_snapshot!(text);
    let campaigns = &demo_state().campaigns;
    assert_eq!(
        assignments(&server.sandbox.state()),
        vec![
            (
                "SDR-West".into(),
                "Account".into(),
                "east1@acme-mail.com".into()
            ),
            (
                "SDR-West".into(),
                "Account".into(),
                "west1@acme-mail.com".into()
            ),
            (
                "SDR-West".into(),
                "Campaign".into(),
                campaigns[0].id.clone()
            ),
            (
                "SDR-West".into(),
                "Campaign".into(),
                campaigns[3].id.clone()
            ),
        ]
    );
}

#[test]
fn one_declared_name_is_searched_for_not_listed() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(without_tags());
    write(
        d.path(),
        "w.yaml",
        "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: SDR-West\n    campaigns: [Partner Webinar]\n    accounts: [east1@acme-mail.com]\n",
    );
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(o.code, 2, "{}", shown(&o));
    assert_eq!(
        server.sandbox.requests_by_endpoint(),
        BTreeMap::from([
            ("GET /accounts/east1@acme-mail.com".to_owned(), 1),
            ("GET /api-keys".to_owned(), 1),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );
}

#[test]
fn a_campaign_in_a_workspace_without_campaigns_is_a_located_error() {
    let d = tempfile::tempdir().unwrap();
    let mut state = without_tags();
    state.campaigns.clear();
    let server = Server::start(state.clone());
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    insta::assert_snapshot!(shown(&o));
    assert_eq!(server.sandbox.state(), state);
}

#[test]
fn an_account_in_a_workspace_without_accounts_is_a_located_error() {
    let d = tempfile::tempdir().unwrap();
    let mut state = without_tags();
    state.accounts.clear();
    let server = Server::start(state);
    write(d.path(), "w.yaml", FIRST_TAG);
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn a_first_tag_on_campaigns_only_in_a_workspace_without_accounts() {
    let mut state = without_tags();
    state.accounts.clear();
    let (text, _) = plan_apply_replan(
        state,
        "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West Outbound, Partner Webinar]\n",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_first_tag_in_a_workspace_with_only_the_operators_key() {
    let mut state = without_tags();
    state.api_keys.retain(|k| k.key == OPERATOR_KEY);
    let (text, _) = plan_apply_replan(state, FIRST_TAG);
    insta::assert_snapshot!(text);
}

#[test]
fn a_first_tag_in_a_workspace_with_only_its_owner() {
    let mut state = without_tags();
    state.members.retain(|m| m.role == "owner");
    // Members authoritative: the owner alone is declared, and kept.
    let yaml = FIRST_TAG.replace(
        "policy: {members: additive, api_keys: additive}",
        "members:\n  - {email: owner@acme.com, role: owner}\npolicy: {api_keys: additive}",
    );
    let (text, _) = plan_apply_replan(state, &yaml);
    insta::assert_snapshot!(text);
}

/// The demo workspace with one more assignment on `SDR-West`, to a resource
/// type (7) the API may add but this tool does not know.
fn with_an_unknown_resource_type() -> SandboxState {
    let mut s = demo_state();
    s.mappings.push(TagMapping {
        id: "01946416-6000-7000-8000-000000000077".into(),
        resource_id: "inbox-7".into(),
        resource_type: ResourceType::Other(7),
        ..s.mappings[0].clone()
    });
    s
}

/// Both demo tags, `SDR-West` moved from `Legacy Promo` to `Partner Webinar`.
const BOTH_TAGS: &str = "\
version: 1
policy: {members: additive, api_keys: additive}
tags:
  - label: SDR-West
    description: West coast SDR team
    campaigns: [Q4 West Outbound, Partner Webinar]
    accounts: [west1@acme-mail.com]
  - label: Old-Team
    description: Disbanded in Q3
    campaigns: [Partner Webinar]
    accounts: [west2@acme-mail.com]
";

#[test]
fn an_assignment_of_an_unknown_resource_type_is_left_alone() {
    let state = with_an_unknown_resource_type();
    let unknown = state.mappings.last().unwrap().clone();
    let (text, server) = plan_apply_replan(state, BOTH_TAGS);
    insta::assert_snapshot!(text);
    let after = server.sandbox.state();
    assert!(after.mappings.contains(&unknown), "{:?}", after.mappings);
    assert_eq!(
        assignments(&after)
            .iter()
            .filter(|(tag, _, _)| tag == "SDR-West")
            .count(),
        4,
        "two campaigns, one account and the unknown one"
    );
}

#[test]
fn export_warns_of_an_unknown_resource_type_and_leaves_it_out() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(with_an_unknown_resource_type());
    let o = run_at(&server, d.path(), &["export"]);
    insta::assert_snapshot!(shown(&o));
}
