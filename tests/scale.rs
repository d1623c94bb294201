//! Reading only what is needed, batching writes, and many workspaces.

use crate::support::{Server, example, run_at, write};
use instantly_rbac::api_types::{Campaign, Tag, TagMapping};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use std::collections::BTreeMap;

fn endpoints(server: &Server) -> BTreeMap<String, usize> {
    server.sandbox.requests_by_endpoint()
}

#[test]
fn a_file_without_assignments_lists_no_campaigns_or_accounts() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    write(
        d.path(),
        "w.yaml",
        "version: 1\nmembers:\n  - {email: owner@acme.com, role: owner}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
    );
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        endpoints(&server),
        // The keys left alone are attributed: one audit read per event type.
        BTreeMap::from([
            ("GET /api-keys".to_owned(), 1),
            ("GET /audit-logs".to_owned(), 2),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );
    assert!(
        o.stderr.is_empty(),
        "no progress output when piped: {}",
        o.stderr
    );
}

#[test]
fn the_example_plan_reads_each_list_once_and_looks_up_only_the_unknown_account() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", &example().display().to_string()],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Two tags to read (SDR-West declared, Old-Team to delete): the walk of
    // five mappings is one page, cheaper than four per-tag lists.
    assert_eq!(
        endpoints(&server),
        BTreeMap::from([
            ("GET /accounts/east1@acme-mail.com".to_owned(), 1),
            ("GET /api-keys".to_owned(), 1),
            ("GET /audit-logs".to_owned(), 2),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tag-mappings".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );
}

/// Three declared tags with 150 campaigns each, in sync.
fn three_big_tags() -> (SandboxState, String) {
    let mut s = demo_state();
    s.tags.clear();
    s.mappings.clear();
    let mut yaml =
        String::from("version: 1\npolicy: {members: additive, api_keys: additive}\ntags:\n");
    for t in 0..3 {
        let tag = Tag {
            id: format!("01946416-4000-7000-b000-{t:012}"),
            label: format!("big-{t}"),
            ..demo_state().tags[0].clone()
        };
        let mut names = Vec::new();
        for c in 0..150 {
            let campaign = Campaign {
                id: format!("01946416-5000-7000-b{t:03}-{c:012}"),
                name: format!("C{t}-{c:03}"),
                ..s.campaigns[0].clone()
            };
            s.mappings.push(TagMapping {
                id: format!("01946416-6000-7000-b{t:03}-{c:012}"),
                tag_id: tag.id.clone(),
                resource_id: campaign.id.clone(),
                resource_type: instantly_rbac::api_types::ResourceType::Campaign,
                ..demo_state().mappings[0].clone()
            });
            names.push(campaign.name.clone());
            s.campaigns.push(campaign);
        }
        yaml += &format!(
            "  - label: big-{t}\n    description: West coast SDR team\n    campaigns: [{}]\n",
            names.join(", ")
        );
        s.tags.push(tag);
    }
    (s, yaml)
}

#[test]
fn per_tag_lists_are_read_when_they_need_fewer_requests() {
    let d = tempfile::tempdir().unwrap();
    let (state, yaml) = three_big_tags();
    let server = Server::start(state);
    write(d.path(), "w.yaml", &yaml);
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(o.code, 0, "in sync: {}{}", o.stdout, o.stderr);
    let e = endpoints(&server);
    // Per tag: two pages of campaigns (150) and one of accounts.
    assert_eq!(e.get("GET /campaigns"), Some(&6), "{e:?}");
    assert_eq!(e.get("GET /accounts"), Some(&3), "{e:?}");
    assert_eq!(e.get("GET /custom-tag-mappings"), None, "{e:?}");
    // Four lists, nine per-tag pages, two audit reads (the keys left alone).
    assert_eq!(e.values().sum::<usize>(), 4 + 9 + 2, "{e:?}");
}

#[test]
fn assignment_changes_go_out_in_few_toggle_calls() {
    let d = tempfile::tempdir().unwrap();
    let (mut state, _) = three_big_tags();
    state.mappings.clear(); // every assignment is to be made
    let server = Server::start(state.clone());
    let (_, yaml) = three_big_tags();
    write(d.path(), "w.yaml", &yaml);
    let o = run_at(
        &server,
        d.path(),
        &["apply", "-f", "w.yaml", "--auto-approve"],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("Apply complete: 450 actions applied."),
        "{}",
        o.stdout
    );
    // 3 tags × 150 campaigns, each tag its own resources: 2 calls a tag (100 + 50).
    assert_eq!(
        endpoints(&server).get("POST /custom-tags/toggle-resource"),
        Some(&6)
    );
    assert_eq!(server.sandbox.state().mappings.len(), 450);
}

fn agency() -> SandboxState {
    let mut top = demo_state();
    for (n, name) in [(1, "Client One"), (2, "Client Two")] {
        let mut sub = demo_state();
        sub.workspace.id = format!("01946416-09c9-7bef-bbc9-00000000000{n}");
        sub.workspace.name = name.into();
        top.sub_workspaces.push(sub);
    }
    top
}

/// The example file for the agency and, with their ids, for two clients.
fn agency_files(dir: &std::path::Path) {
    let example = std::fs::read_to_string(example()).unwrap();
    std::fs::create_dir(dir.join("ws")).unwrap();
    write(&dir.join("ws"), "agency.yaml", &example);
    for n in [1, 2] {
        let text = example.replace(
            "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a",
            &format!("01946416-09c9-7bef-bbc9-00000000000{n}"),
        );
        write(&dir.join("ws"), &format!("client-{n}.yaml"), &text);
    }
}

#[test]
fn many_workspaces_are_planned_together_through_x_as_workspace() {
    let d = tempfile::tempdir().unwrap();
    agency_files(d.path());
    let server = Server::start(agency());
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "ws", "--detailed-exitcode"],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("Summary of 3 workspaces: 0 in sync, 3 with changes, 0 failed."),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("Client One (01946416-09c9-7bef-bbc9-000000000001): Plan:"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("Client Two (01946416-09c9-7bef-bbc9-000000000002): Plan:"),
        "{}",
        o.stdout
    );

    let j = run_at(&server, d.path(), &["plan", "-f", "ws", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["summary"]["workspaces"], 3);
    let names: Vec<&str> = v["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["workspace"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Acme Sales", "Client One", "Client Two"]);

    // Shards split the files deterministically and cover them all.
    let mut seen = Vec::new();
    for shard in ["1/2", "2/2"] {
        let s = run_at(
            &server,
            d.path(),
            &["plan", "-f", "ws", "--shard", shard, "--format", "json"],
        );
        let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
        seen.extend(
            v["workspaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["file"].as_str().unwrap().to_owned()),
        );
    }
    seen.sort();
    assert_eq!(
        seen,
        vec!["ws/agency.yaml", "ws/client-1.yaml", "ws/client-2.yaml"]
    );

    // A file without workspace.id, or for an unknown sub-workspace, fails alone; the exit code is the worst.
    write(&d.path().join("ws"), "stray.yaml", "version: 1\n");
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "ws", "--format", "markdown"],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .starts_with("<!-- instantly-rbac:agency:01946416-09c9-7bef-bbc9-b8c3ac2cdb2a -->"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("| `ws/stray.yaml` | ❌ error |"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("`workspace.id` is required when planning several workspaces"),
        "{}",
        o.stdout
    );
}

#[test]
fn export_reads_every_list_it_writes_and_no_other() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    let o = run_at(&server, d.path(), &["export"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        endpoints(&server),
        BTreeMap::from([
            ("GET /api-keys".to_owned(), 1),
            ("GET /campaigns".to_owned(), 1),
            ("GET /custom-tag-mappings".to_owned(), 1),
            ("GET /custom-tags".to_owned(), 1),
            ("GET /workspace-members".to_owned(), 1),
            ("GET /workspaces/current".to_owned(), 1),
        ])
    );
}

/// A live workspace of about M size and more assignments: `members`
/// members, a key per 4 members, a tag per 40 campaigns, an account per 5
/// campaigns, and two assignments per campaign (one of them to a campaign
/// whose name another campaign shares, every 50th).
fn big_live(members: usize, campaigns: usize) -> instantly_rbac::live::Live {
    use instantly_rbac::api_types::{Account, ApiKey, Member, ResourceType};
    let demo = demo_state();
    let mut live = demo.as_live();
    live.members.truncate(1);
    live.api_keys.truncate(1);
    live.tags.clear();
    live.mappings.clear();
    live.campaigns.clear();
    live.accounts.clear();
    let id = |kind: u32, i: usize| format!("01946416-{kind}000-7000-9000-{i:012}");
    for i in 0..members {
        live.members.push(Member {
            id: id(1, i),
            email: format!("member{i:05}@acme.com").into(),
            role: if i % 3 == 0 { "admin" } else { "editor" }.into(),
            ..demo.members[1].clone()
        });
    }
    for i in 0..members / 4 {
        live.api_keys.push(ApiKey {
            id: id(3, i),
            name: format!("key-{i:04}"),
            scopes: vec!["campaigns:read".into()],
            ..live.api_keys[0].clone()
        });
    }
    for i in 0..campaigns {
        live.campaigns.push(Campaign {
            id: id(5, i),
            name: format!("Campaign {:05}", if i % 50 == 49 { i - 1 } else { i }),
            ..demo.campaigns[0].clone()
        });
    }
    for i in 0..campaigns / 5 {
        live.accounts.push(Account {
            email: format!("box{i:05}@acme-mail.com").into(),
            ..demo.accounts[0].clone()
        });
    }
    let tags = campaigns / 40;
    for t in 0..tags {
        live.tags.push(Tag {
            id: id(4, t),
            label: format!("tag-{t:04}"),
            description: None,
            ..demo.tags[0].clone()
        });
    }
    for i in 0..campaigns * 2 {
        let (resource_type, resource_id) = if i % 10 == 9 {
            (
                ResourceType::Account,
                format!("box{:05}@acme-mail.com", i % (campaigns / 5)),
            )
        } else {
            (ResourceType::Campaign, id(5, (i * 7) % campaigns))
        };
        live.mappings.push(TagMapping {
            id: id(6, i),
            // Not `% tags`: a campaign would carry the same tag twice.
            tag_id: id(4, i % (tags - 1)),
            resource_id,
            resource_type,
            ..demo.mappings[0].clone()
        });
    }
    live
}

/// Runs `f`, and fails when it takes longer than `limit`: each bound is
/// some 10× what the linear code takes in a debug build, and a small part
/// of what a quadratic loop over these lists would take.
fn within<T>(what: &str, limit: std::time::Duration, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "{what} took {took:?}, more than {limit:?}");
    out
}

/// The number at the end of a `big_live` id.
fn number(id: &str) -> usize {
    id.get(24..).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn context() -> instantly_rbac::planner::Context {
    instantly_rbac::planner::Context::default()
}

#[test]
fn export_of_twenty_thousand_assignments_is_fast_and_plans_to_nothing() {
    use std::time::Duration;
    let live = big_live(1500, 10_000);
    let (config, warnings) = within("export", Duration::from_secs(3), || {
        instantly_rbac::export::to_config(&live)
    });
    // Every 50th campaign shares its name with the one before it.
    assert_eq!(
        warnings.len(),
        live.mappings
            .iter()
            .filter(|m| {
                m.resource_type == instantly_rbac::api_types::ResourceType::Campaign
                    && number(&m.resource_id) % 50 >= 48
            })
            .count()
    );
    assert_eq!(config.tags.len(), 250);
    assert_eq!(config.members.len(), 1501);
    assert_eq!(config.api_keys.len(), 376);
    let accounts: usize = config.tags.iter().map(|t| t.accounts.len()).sum();
    assert_eq!(accounts, 2000);
    // Without the campaigns whose name is shared, the export plans to
    // nothing (with them, the plan asks for them to be renamed).
    let mut live = live;
    live.campaigns.retain(|c| number(&c.id) % 50 < 48);
    live.mappings.retain(|m| {
        m.resource_type != instantly_rbac::api_types::ResourceType::Campaign
            || number(&m.resource_id) % 50 < 48
    });
    let (config, warnings) = instantly_rbac::export::to_config(&live);
    assert_eq!(warnings, Vec::<String>::new());
    let plan = within("the plan of the export", Duration::from_secs(3), || {
        instantly_rbac::planner::plan(&config, &live, &context()).unwrap()
    });
    assert_eq!(plan.actions, Vec::new());
}

/// `big_live` without the campaigns whose name is shared, and its export.
fn big_in_sync() -> (instantly_rbac::live::Live, instantly_rbac::config::Config) {
    let mut live = big_live(1500, 10_000);
    live.campaigns.retain(|c| number(&c.id) % 50 < 48);
    live.mappings.retain(|m| {
        m.resource_type != instantly_rbac::api_types::ResourceType::Campaign
            || number(&m.resource_id) % 50 < 48
    });
    let (config, _) = instantly_rbac::export::to_config(&live);
    (live, config)
}

#[test]
fn saved_plans_and_markdown_of_fifteen_thousand_changes_are_fast() {
    use instantly_rbac::plan::{Kind, Op};
    use instantly_rbac::saved_plan::SavedPlan;
    use std::time::Duration;
    let (live, mut config) = big_in_sync();
    for t in &mut config.tags {
        t.campaigns.clear();
    }
    let plan = instantly_rbac::planner::plan(&config, &live, &context()).unwrap();
    let removed = plan
        .actions
        .iter()
        .filter(|a| a.kind == Kind::Assignment && a.op == Op::Delete)
        .count();
    let campaigns = live
        .mappings
        .iter()
        .filter(|m| m.resource_type == instantly_rbac::api_types::ResourceType::Campaign)
        .count();
    assert_eq!((plan.actions.len(), removed), (campaigns, campaigns));
    assert!(campaigns > 14_000, "{campaigns}");
    let saved = within("saving the plan", Duration::from_secs(3), || {
        SavedPlan::new(&plan, &live, "w.yaml", b"")
    });
    let changed = within("checking the saved plan", Duration::from_secs(3), || {
        saved.changed(&live)
    });
    assert_eq!(changed.len(), 0);
    // Once applied, every assignment it removes is gone: each is changed.
    let mut applied = live.clone();
    applied
        .mappings
        .retain(|m| m.resource_type != instantly_rbac::api_types::ResourceType::Campaign);
    assert_eq!(saved.changed(&applied).len(), campaigns);
    let md = within("the markdown", Duration::from_secs(3), || {
        instantly_rbac::render_markdown::render(&plan, None)
    });
    assert!(md.chars().count() <= 65_536, "{}", md.len());
    assert!(md.contains("entries were left out"), "{md}");
}

#[test]
fn the_diff_of_a_workspace_left_mostly_alone_is_fast() {
    use instantly_rbac::config::Mode;
    use std::time::Duration;
    let (live, mut config) = big_in_sync();
    // Thousands of members and keys left alone (each of them looked up in
    // the plan's list of what it leaves alone), and one change.
    config.members.truncate(1);
    config.api_keys.truncate(1);
    config.policy.members = Mode::Additive;
    config.policy.api_keys = Mode::Additive;
    config.tags[0].description = Some("changed".into());
    let plan = instantly_rbac::planner::plan(&config, &live, &context()).unwrap();
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.unmanaged.len(), 1500 + 375);
    let diff = within("the diff view", Duration::from_secs(5), || {
        instantly_rbac::diff_view::render(&config, &live, &plan)
    });
    assert_eq!(
        diff.lines()
            .filter(|l| l.starts_with(['+', '-']))
            .collect::<Vec<_>>(),
        ["--- live", "+++ desired", "+  description: changed"]
    );
}
