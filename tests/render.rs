//! What reviewers read: text and Markdown plans, snapshotted for an empty,
//! a small, an escalation-heavy and a large plan, and the comment size cap.

use instantly_rbac::config_loader::parse;
use instantly_rbac::live::Live;
use instantly_rbac::plan::Plan;
use instantly_rbac::planner::{Context, plan};
use instantly_rbac::render_markdown::{self, GITHUB_LIMIT};
use instantly_rbac::render_text::{self, Paint};
use instantly_rbac::sandbox::demo::demo_state;

fn plan_of(text: &str, live: &Live) -> Plan {
    let config = parse("w.yaml", text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    plan(
        &config,
        live,
        &Context {
            auth_key_mask: Some("sbx_…cdef".into()),
            now: None,
            undelivered: Vec::new(),
            key_events: None,
        },
    )
    .unwrap()
}

fn text(p: &Plan) -> String {
    render_text::render(p, &Paint { color: false })
}

#[test]
fn empty_plan() {
    let live = demo_state().as_live();
    let (config, _) = instantly_rbac::export::to_config(&live);
    let p = plan(&config, &live, &Context::default()).unwrap();
    insta::assert_snapshot!("empty_markdown", render_markdown::render(&p, None));
    insta::assert_snapshot!("empty_text", text(&p));
}

#[test]
fn small_plan_markdown() {
    let example = std::fs::read_to_string(crate::support::example()).unwrap();
    let p = plan_of(&example, &demo_state().as_live());
    insta::assert_snapshot!(render_markdown::render(&p, None));
}

const ESCALATIONS: &str = "version: 1
roles:
  ops: {role: editor, permissions: [organization.users.manage, accounts.manage]}
members:
  - {email: owner@acme.com, role: owner}
  - {email: alice@acme.com, role: admin}
  - {email: bob@acme.com, role: admin}
  - {email: carol@acme.com, role: ops}
  - {email: dave@acme.com, role: view}
  - {email: mallory@partner.io, role: admin}
api_keys:
  - {name: instantly-rbac (automation), scopes: ['all:all']}
  - {name: Marketing — Analytics Read Only, scopes: ['campaigns:read', 'api_keys:all']}
  - {name: Old Zapier, scopes: ['all:read']}
  - {name: Backdoor, scopes: ['all:all']}
policy: {tags: additive}
";

#[test]
fn escalation_heavy_plan() {
    let p = plan_of(ESCALATIONS, &demo_state().as_live());
    insta::assert_snapshot!("escalations_text", text(&p));
    insta::assert_snapshot!("escalations_markdown", render_markdown::render(&p, None));
    let json: serde_json::Value =
        serde_json::from_str(&instantly_rbac::render_json::render(&p, None)).unwrap();
    let risk = |addr: &str| {
        json["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == addr)
            .unwrap()["risk"]
            .clone()
    };
    assert_eq!(risk("member[bob@acme.com]"), "high", "promoted to admin");
    assert_eq!(risk("member[mallory@partner.io]"), "high", "a new admin");
    assert_eq!(risk("member[carol@acme.com]"), "high", "permissions added");
    assert_eq!(risk("api_key[Backdoor]"), "high", "a new all:all key");
    assert_eq!(
        risk("api_key[Old Zapier]"),
        "medium",
        "narrowed, but replaced"
    );
    assert_eq!(risk("member[dave@acme.com]"), "low", "a demotion");
}

/// A workspace with `n` campaigns all tagged with one new tag.
fn large(n: usize) -> (Live, String) {
    let mut state = demo_state();
    let mut yaml = String::from(
        "version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n  - label: Bulk\n    campaigns:\n",
    );
    for i in 0..n {
        let mut c = state.campaigns[0].clone();
        c.id = format!("01946416-5000-7000-9000-{i:012}");
        c.name = format!("Bulk campaign number {i:05} with a long descriptive name");
        yaml.push_str(&format!("      - {}\n", c.name));
        state.campaigns.push(c);
    }
    (state.as_live(), yaml)
}

#[test]
fn a_large_plan_is_cut_below_githubs_limit_but_keeps_headline_and_risks() {
    let (live, yaml) = large(3000);
    let p = plan_of(&yaml, &live);
    assert_eq!(p.actions.len(), 3003);
    let md = render_markdown::render(&p, None);
    assert!(
        md.chars().count() <= GITHUB_LIMIT,
        "{} chars",
        md.chars().count()
    );
    assert!(md.starts_with("<!-- instantly-rbac:01946416-09c9-7bef-bbc9-b8c3ac2cdb2a -->\n"));
    assert!(md.contains("**Plan: 3001 to create, 0 to update, 0 to replace, 2 to delete.**"));
    assert!(
        md.contains("| 🟠 medium | delete `tag[Old-Team]` |"),
        "the risky list survives"
    );
    assert!(
        md.contains("entries were left out to stay under GitHub's 65536-character comment limit")
    );
    // The cut, in the same shape at a small limit so the snapshot stays readable.
    let (live, yaml) = large(40);
    insta::assert_snapshot!(render_markdown::render_with_limit(
        &plan_of(&yaml, &live),
        4000,
        None
    ));
}

#[test]
fn the_size_cap_holds_even_when_everything_is_risky() {
    let mut state = demo_state();
    for i in 0..3000 {
        let mut m = state.members[1].clone();
        m.id = format!("01946416-1000-7000-9000-{i:012}");
        m.email = format!("someone.with.a.long.address.{i:05}@example-agency-client.com").into();
        state.members.push(m);
    }
    let p = plan_of(
        "version: 1\npolicy: {api_keys: additive, tags: additive}\n",
        &state.as_live(),
    );
    let md = render_markdown::render(&p, None);
    assert!(
        md.chars().count() <= GITHUB_LIMIT,
        "{} chars",
        md.chars().count()
    );
    assert!(md.contains("more not shown"));
}
