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

/// A workspace without tags, with `campaigns` campaigns `Camp 000`… and
/// `accounts` sending accounts `box000@acme-mail.com`…, and a file whose
/// one new tag assigns the campaigns and accounts numbered `declared`.
fn untagged(
    campaigns: usize,
    accounts: usize,
    declared_campaigns: &[usize],
    declared_accounts: &[usize],
) -> (SandboxState, String) {
    let mut s = demo_state();
    s.tags.clear();
    s.mappings.clear();
    let (campaign, account) = (s.campaigns[0].clone(), s.accounts[0].clone());
    s.campaigns = (0..campaigns)
        .map(|c| Campaign {
            id: format!("01946416-5000-7000-b000-{c:012}"),
            name: format!("Camp {c:03}"),
            ..campaign.clone()
        })
        .collect();
    s.accounts = (0..accounts)
        .map(|a| instantly_rbac::api_types::Account {
            email: format!("box{a:03}@acme-mail.com").into(),
            ..account.clone()
        })
        .collect();
    let names: Vec<String> = declared_campaigns
        .iter()
        .map(|c| format!("Camp {c:03}"))
        .collect();
    let emails: Vec<String> = declared_accounts
        .iter()
        .map(|a| format!("box{a:03}@acme-mail.com"))
        .collect();
    let yaml = format!(
        "version: 1\npolicy: {{members: additive, api_keys: additive}}\ntags:\n  - label: new\n    campaigns: [{}]\n    accounts: [{}]\n",
        names.join(", "),
        emails.join(", ")
    );
    (s, yaml)
}

/// The requests a plan of `untagged(..)` makes to read campaigns and
/// accounts, by endpoint; and how many assignments it would make.
fn resolving(
    campaigns: usize,
    accounts: usize,
    declared_campaigns: &[usize],
    declared_accounts: &[usize],
) -> (BTreeMap<String, usize>, usize) {
    let d = tempfile::tempdir().unwrap();
    let (state, yaml) = untagged(campaigns, accounts, declared_campaigns, declared_accounts);
    let server = Server::start(state);
    write(d.path(), "w.yaml", &yaml);
    let o = run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--format", "json"],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let plan: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let creates = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "assignment")
        .count();
    let reads = endpoints(&server)
        .into_iter()
        .filter(|(e, _)| e.starts_with("GET /campaigns") || e.starts_with("GET /accounts"))
        .collect();
    (reads, creates)
}

fn reads(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(e, n)| (e.to_string(), *n)).collect()
}

#[test]
fn one_unmet_account_is_looked_up_not_listed() {
    assert_eq!(
        resolving(0, 450, &[], &[7]),
        (reads(&[("GET /accounts/box007@acme-mail.com", 1)]), 1)
    );
}

#[test]
fn unmet_accounts_are_listed_until_the_ones_left_cost_less_to_look_up() {
    // Two are on the first page; the third is looked up rather than four
    // more pages read.
    assert_eq!(
        resolving(0, 450, &[], &[0, 1, 449]),
        (
            reads(&[
                ("GET /accounts", 1),
                ("GET /accounts/box449@acme-mail.com", 1)
            ]),
            3
        )
    );
    // One a page: four pages, then the last one looked up — five
    // requests, as many as the whole list (450 accounts, five pages).
    assert_eq!(
        resolving(0, 450, &[], &[100, 200, 300, 400]),
        (
            reads(&[
                ("GET /accounts", 4),
                ("GET /accounts/box400@acme-mail.com", 1)
            ]),
            4
        )
    );
    // All of them met by the list: no look-up at all. (With one left
    // after the first page, a look-up and the second page cost the same:
    // the look-up is taken, as in the case above.)
    assert_eq!(
        resolving(0, 150, &[], &[3, 4, 130, 140]),
        (reads(&[("GET /accounts", 2)]), 4)
    );
}

#[test]
fn unmet_campaigns_are_searched_while_fewer_than_the_list_else_listed() {
    assert_eq!(
        resolving(250, 0, &[17], &[]),
        (reads(&[("GET /campaigns", 1)]), 1)
    );
    // Five searches would cost more than the three pages of the list.
    assert_eq!(
        resolving(250, 0, &[1, 50, 120, 200, 249], &[]),
        (reads(&[("GET /campaigns", 3)]), 5)
    );
}

#[test]
fn assignments_are_read_the_way_estimated_to_end_first() {
    use instantly_rbac::read_strategy::{AssignmentRead, Timing, choose};
    use std::time::Duration;
    // 200 declared tags of 20 campaigns and 5 accounts each: 400 per-tag
    // requests in parallel, or a walk of 50 mapping pages in sequence
    // (plus 40 pages of campaigns).
    let d = tempfile::tempdir().unwrap();
    let mut yaml = String::from("version: 1\ntags:\n");
    let mut tags = Vec::new();
    for t in 0..200 {
        let campaigns: Vec<String> = (0..20).map(|c| format!("C{t}-{c}")).collect();
        let accounts: Vec<String> = (0..5).map(|a| format!("b{t}-{a}@acme-mail.com")).collect();
        yaml += &format!(
            "  - label: t{t}\n    campaigns: [{}]\n    accounts: [{}]\n",
            campaigns.join(", "),
            accounts.join(", ")
        );
        tags.push(Tag {
            id: format!("tag-{t}"),
            label: format!("t{t}"),
            ..demo_state().tags[0].clone()
        });
    }
    let path = write(d.path(), "w.yaml", &yaml);
    let config = instantly_rbac::pipeline::load(&path).unwrap().config;
    let timing = |ms| Timing {
        rate: 100.0,
        parallelism: 32,
        latency: Duration::from_millis(ms),
    };
    let at = |ms| {
        let c = choose(&config, &tags, &timing(ms));
        (
            c.how,
            c.per_tag_estimate,
            c.walk_estimate,
            c.per_tag_wall,
            c.walk_wall,
        )
    };
    let s = Duration::from_secs_f64;
    // At no latency, the rate bounds both: the walk's 90 requests win.
    assert_eq!(at(0), (AssignmentRead::Walk, 400, 90, s(4.0), s(0.9)));
    // At 25 ms, the walk's 50-page chain takes 1.25 s: still sooner.
    assert_eq!(at(25), (AssignmentRead::Walk, 400, 90, s(4.0), s(1.25)));
    // At 100 ms, the chain takes 5 s and 400 requests in parallel 4 s.
    assert_eq!(at(100), (AssignmentRead::PerTag, 400, 90, s(4.0), s(5.0)));
}

#[test]
fn a_wall_time_estimate_is_bound_by_rate_chain_or_requests_in_flight() {
    use instantly_rbac::read_strategy::Timing;
    use std::time::Duration;
    let t = Timing {
        rate: 100.0,
        parallelism: 4,
        latency: Duration::from_millis(20),
    };
    let s = Duration::from_secs_f64;
    assert_eq!(t.wall(100, 1), s(1.0));
    assert_eq!(t.wall(10, 100), s(2.0));
    assert_eq!(t.wall(1000, 1), s(10.0));
    let few = Timing {
        parallelism: 1,
        ..t
    };
    assert_eq!(few.wall(100, 1), s(2.0));
}

#[test]
fn assignments_are_read_while_members_are_still_being_listed() {
    use instantly_rbac::api_types::{Member, ResourceType};
    use instantly_rbac::client::{Client, ClientOptions};
    use instantly_rbac::sandbox::{Faults, Sandbox};
    use std::time::Instant;
    // 1,500 members (16 pages in sequence) and 1,500 assignments of one
    // declared tag (16 pages): at 100 ms a request, some 2 s when they are
    // read as soon as the tag list arrives, 3.5 s when after the members.
    let mut s = demo_state();
    s.tags.truncate(1);
    s.mappings.clear();
    let tag = s.tags[0].clone();
    for i in 0..1500 {
        s.members.push(Member {
            id: format!("01946416-1000-7000-b000-{i:012}"),
            email: format!("m{i:04}@acme.com").into(),
            ..s.members[1].clone()
        });
    }
    let mut yaml = format!(
        "version: 1\npolicy: {{members: additive, api_keys: additive}}\ntags:\n  - label: {}\n    campaigns: [{}]\n",
        tag.label, s.campaigns[0].name
    );
    yaml += "    accounts: [";
    for i in 0..1500 {
        let email = format!("w{i:04}@acme-mail.com");
        s.accounts.push(instantly_rbac::api_types::Account {
            email: email.clone().into(),
            ..s.accounts[0].clone()
        });
        s.mappings.push(TagMapping {
            id: format!("01946416-6000-7000-b000-{i:012}"),
            tag_id: tag.id.clone(),
            resource_id: email.clone(),
            resource_type: ResourceType::Account,
            ..demo_state().mappings[0].clone()
        });
        yaml += &format!("{email}, ");
    }
    yaml += "]\n";
    s.mappings.push(TagMapping {
        id: "01946416-6000-7000-b000-999999999999".into(),
        tag_id: tag.id.clone(),
        resource_id: s.campaigns[0].id.clone(),
        resource_type: ResourceType::Campaign,
        ..demo_state().mappings[0].clone()
    });
    let d = tempfile::tempdir().unwrap();
    let path = write(d.path(), "w.yaml", &yaml);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sandbox = Sandbox::start(s, None, 0).await.unwrap();
        sandbox.set_faults(Faults {
            latency_ms: 100,
            ..Faults::default()
        });
        let client = Client::with_options(
            &sandbox.url,
            secrecy::SecretString::from(crate::support::OPERATOR_KEY.to_owned()),
            ClientOptions::default(),
        )
        .unwrap();
        let start = Instant::now();
        let planned = instantly_rbac::pipeline::plan_path(&client, &path)
            .await
            .unwrap();
        let took = start.elapsed();
        eprintln!("planned in {took:?}");
        assert_eq!(planned.plan.actions, Vec::new());
        let e = sandbox.requests_by_endpoint();
        // Per tag (as many requests as the walk, no longer a chain).
        assert_eq!(e.get("GET /accounts"), Some(&16), "{e:?}");
        assert_eq!(e.get("GET /workspace-members"), Some(&16), "{e:?}");
        // The assignments started while the members were still being
        // listed (16 pages in sequence): judged by the order the sandbox
        // saw the requests in, not by a clock a busy machine would upset.
        let spans = sandbox.endpoint_spans();
        let (first_accounts, _) = spans["GET /accounts"];
        let (_, last_members) = spans["GET /workspace-members"];
        assert!(
            first_accounts < last_members,
            "{spans:?}: the assignments waited for the members"
        );
        sandbox.stop().await;
    });
}

#[test]
fn the_sandbox_toggles_thousands_of_resources_of_a_large_workspace_at_once() {
    use instantly_rbac::api_types::{Account, ResourceType, ToggleResource};
    use instantly_rbac::client::{Client, ClientOptions};
    use instantly_rbac::sandbox::Sandbox;
    use std::time::Duration;
    let mut s = demo_state();
    s.mappings.clear();
    let account = s.accounts[0].clone();
    s.accounts = (0..20_000)
        .map(|a| Account {
            email: format!("Box{a:05}@acme-mail.com").into(),
            ..account.clone()
        })
        .collect();
    let tag = s.tags[0].id.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sandbox = Sandbox::start(s, None, 0).await.unwrap();
        let client = Client::with_options(
            &sandbox.url,
            secrecy::SecretString::from(crate::support::OPERATOR_KEY.to_owned()),
            ClientOptions::default(),
        )
        .unwrap();
        let toggle = |assign, from: usize| ToggleResource {
            tag_ids: vec![tag.clone()],
            resource_type: ResourceType::Account,
            // Addresses compare without case.
            resource_ids: (from..20_000)
                .step_by(4)
                .map(|a| format!("box{a:05}@ACME-mail.com"))
                .collect(),
            assign,
        };
        for (assign, from, left) in [(true, 0, 5000), (true, 2, 10_000), (false, 0, 5000)] {
            let answer: serde_json::Value = within("a toggle", Duration::from_millis(1500), || {
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(
                        client
                            .post_idempotent("/custom-tags/toggle-resource", &toggle(assign, from)),
                    )
                })
            })
            .unwrap();
            assert_eq!(answer, serde_json::json!({"success": true}));
            assert_eq!(sandbox.state().mappings.len(), left);
        }
        sandbox.stop().await;
    });
}

#[test]
fn thousands_of_unknown_campaign_names_are_reported_fast() {
    use std::time::Duration;
    let (live, mut config) = big_in_sync();
    let spec = &mut config.tags[0];
    let template = spec.campaigns[0].clone();
    // One misspelt name, then names like no campaign's: each of those
    // would have every campaign compared with it.
    spec.campaigns = (0..3000)
        .map(|i| instantly_rbac::config::At {
            value: if i == 0 {
                "Campaing 00000".to_owned()
            } else {
                format!("Webinar follow-up, wave {i:05}")
            },
            ..template.clone()
        })
        .collect();
    let errors = within("the plan", Duration::from_secs(3), || {
        instantly_rbac::planner::plan(&config, &live, &context()).unwrap_err()
    });
    assert_eq!(errors.len(), 3000);
    assert_eq!(errors[0].message, "no campaign is named `Campaing 00000`");
    assert_eq!(
        errors[2999].message,
        "no campaign is named `Webinar follow-up, wave 02999`"
    );
    assert_eq!(
        errors[0].help.as_deref(),
        Some(
            "names are matched exactly; similar: `Campaign 00000` (01946416-5000-7000-9000-000000000000), `Campaign 00001` (01946416-5000-7000-9000-000000000001), `Campaign 00002` (01946416-5000-7000-9000-000000000002), `Campaign 00003` (01946416-5000-7000-9000-000000000003), `Campaign 00004` (01946416-5000-7000-9000-000000000004)"
        )
    );
    // Past the first twenty, none is looked for.
    assert_eq!(
        errors[2999].help.as_deref(),
        Some("names are matched exactly; check the campaign's name in Instantly")
    );
}
