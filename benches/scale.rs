//! The scale benchmark: `cargo bench --bench scale [-- S M L 50M]`.
//!
//! Starts the sandbox in-process with a synthetic workspace, 25 ms of
//! latency per request and the 100 requests/second limit enforced, then
//! measures a plan (read + parse + diff + plan) of a file in sync with it,
//! and an apply of a change set. Each size runs in a child process so that
//! peak RSS is its own. Under `cargo test` it runs size S once as a smoke
//! test of the harness (its ratios are computed; timings are not judged).

use instantly_rbac::api_types::*;
use instantly_rbac::client::{Client, ClientOptions};
use instantly_rbac::pipeline;
use instantly_rbac::planner::{self, Context};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use instantly_rbac::sandbox::{Faults, Sandbox};
use instantly_rbac::secret_sink::SecretSink;
use instantly_rbac::secrets_out::SecretsOut;
use secrecy::SecretString;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const LATENCY_MS: u64 = 25;
const RATE: f64 = 100.0;
const OPERATOR: &str = "sbx_demo_operator_0123456789abcdef";

#[derive(Clone, Copy, Debug)]
struct Size {
    name: &'static str,
    members: usize,
    keys: usize,
    tags: usize,
    campaigns: usize,
    accounts: usize,
    assignments: usize,
    /// New tags the apply creates, each assigned to 100 campaigns.
    new_tags: usize,
    workspaces: usize,
}

const S: Size = Size {
    name: "S",
    members: 50,
    keys: 10,
    tags: 20,
    campaigns: 200,
    accounts: 50,
    assignments: 500,
    new_tags: 1,
    workspaces: 1,
};
const M: Size = Size {
    name: "M",
    members: 500,
    keys: 100,
    tags: 200,
    campaigns: 2000,
    accounts: 500,
    assignments: 5000,
    new_tags: 10,
    workspaces: 1,
};
const L: Size = Size {
    name: "L",
    members: 5000,
    keys: 500,
    tags: 500,
    campaigns: 20000,
    accounts: 5000,
    assignments: 50000,
    new_tags: 50,
    workspaces: 1,
};
const M50: Size = Size {
    workspaces: 50,
    name: "50M",
    ..M
};

fn id(kind: u32, ws: usize, i: usize) -> String {
    format!("01946416-{kind}000-7{ws:03}-9000-{i:012}")
}

/// A workspace of `size`, and a desired-state file in sync with it.
fn generate(size: &Size, ws: usize) -> (SandboxState, String) {
    let demo = demo_state();
    let mut s = demo.clone();
    s.workspace.id = if ws == 0 {
        demo.workspace.id.clone()
    } else {
        format!("01946416-09c9-7bef-b{ws:03}-000000000000")
    };
    s.workspace.name = format!("Bench {} #{ws}", size.name);
    s.members.truncate(1); // the owner
    s.api_keys.truncate(1); // the operator key
    s.tags.clear();
    s.mappings.clear();
    s.campaigns.clear();
    s.accounts.clear();
    let mut y = String::new();
    let _ = writeln!(
        y,
        "version: 1\nworkspace:\n  id: {}\nroles:\n  sdr: {{role: editor, permissions: [campaigns.view, leads.move]}}\nmembers:\n  - {{email: owner@acme.com, role: owner}}",
        s.workspace.id
    );
    for i in 0..size.members - 1 {
        let (role, perms, yaml_role) = match i % 4 {
            0 => ("admin", None, "admin"),
            1 => ("view", None, "view"),
            2 => (
                "editor",
                Some(vec!["campaigns.view".to_owned(), "leads.move".to_owned()]),
                "sdr",
            ),
            _ => ("editor", None, "editor"),
        };
        let email = format!("member{i:05}@acme.com");
        s.members.push(Member {
            id: id(1, ws, i),
            email: email.clone().into(),
            role: role.into(),
            permissions: perms,
            ..demo.members[1].clone()
        });
        let _ = writeln!(y, "  - {{email: {email}, role: {yaml_role}}}");
    }
    let _ = writeln!(
        y,
        "api_keys:\n  - {{name: instantly-rbac (automation), scopes: ['all:all']}}"
    );
    for i in 0..size.keys - 1 {
        let name = format!("key-{i:04}");
        s.api_keys.push(ApiKey {
            id: id(3, ws, i),
            name: name.clone(),
            scopes: vec!["campaigns:read".into()],
            key: format!("sbx_bench_{ws}_{i:06}_abcdefgh"),
            ..demo.api_keys[1].clone()
        });
        let _ = writeln!(y, "  - {{name: {name}, scopes: ['campaigns:read']}}");
    }
    for i in 0..size.campaigns {
        s.campaigns.push(Campaign {
            id: id(5, ws, i),
            name: format!("Campaign {i:05}"),
            ..demo.campaigns[0].clone()
        });
    }
    for i in 0..size.accounts {
        s.accounts.push(Account {
            email: format!("box{i:05}@acme-mail.com").into(),
            ..demo.accounts[0].clone()
        });
    }
    let _ = writeln!(y, "tags:");
    let per_tag = size.assignments / size.tags;
    let mut n = 0;
    for t in 0..size.tags {
        let tag = Tag {
            id: id(4, ws, t),
            label: format!("tag-{t:04}"),
            description: None,
            ..demo.tags[0].clone()
        };
        let accounts = per_tag / 5;
        let mut campaigns = Vec::new();
        let mut emails = Vec::new();
        for j in 0..per_tag {
            let (rt, rid) = if j < accounts {
                let e = format!("box{:05}@acme-mail.com", (t * accounts + j) % size.accounts);
                emails.push(e.clone());
                (ResourceType::Account, e)
            } else {
                let c = (t * (per_tag - accounts) + j) % size.campaigns;
                campaigns.push(format!("Campaign {c:05}"));
                (ResourceType::Campaign, id(5, ws, c))
            };
            s.mappings.push(TagMapping {
                id: id(6, ws, n),
                tag_id: tag.id.clone(),
                resource_id: rid,
                resource_type: rt,
                ..demo.mappings[0].clone()
            });
            n += 1;
        }
        let _ = writeln!(
            y,
            "  - label: {}\n    campaigns: [{}]\n    accounts: [{}]",
            tag.label,
            campaigns.join(", "),
            emails.join(", ")
        );
        s.tags.push(tag);
    }
    let _ = writeln!(
        y,
        "policy:\n  max_delete_percent: 100\n  max_deletes: 100000"
    );
    (s, y)
}

/// The file with changes: invites, promotions, two keys, and `new_tags`
/// tags each assigned to 100 campaigns of their own.
fn with_changes(size: &Size, yaml: &str) -> String {
    let mut y = yaml.replacen("members:\n", "members:\n  - {email: newcomer1@acme.com, role: view}\n  - {email: newcomer2@acme.com, role: sdr}\n", 1);
    y = y.replacen(
        "member00001@acme.com, role: view}",
        "member00001@acme.com, role: editor}",
        1,
    );
    y = y.replacen("api_keys:\n", "api_keys:\n  - {name: bench-new-1, scopes: ['leads:read']}\n  - {name: bench-new-2, scopes: ['accounts:read']}\n", 1);
    let mut tags = String::new();
    for t in 0..size.new_tags {
        let names: Vec<String> = (0..100)
            .map(|c| format!("Campaign {:05}", (t * 100 + c) % size.campaigns))
            .collect();
        let _ = writeln!(
            tags,
            "  - label: new-tag-{t:03}\n    campaigns: [{}]",
            names.join(", ")
        );
    }
    y.replacen("tags:\n", &format!("tags:\n{tags}"), 1)
}

fn pages(n: usize) -> usize {
    n / 100 + 1 // a full last page still carries a cursor: one more, empty, request
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time of the whole process (every thread: client and sandbox).
fn process_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn peak_rss_mb() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

fn client(url: &str) -> Client {
    Client::with_options(
        url,
        SecretString::from(OPERATOR.to_owned()),
        ClientOptions::default(),
    )
    .unwrap()
}

fn lower_bound(requests: usize, chain: usize) -> f64 {
    (requests as f64 / RATE).max(chain as f64 * LATENCY_MS as f64 / 1000.0)
}

/// The requests of the quickest way to read what a plan of an in-sync
/// workspace needs, and the longest sequential chain among them. With
/// `fresh` > 0, the file also assigns a new tag to that many campaigns and
/// accounts no tag carries, which only the whole lists can find cheaply.
/// Members, keys and tags start at once; assignments when the tags arrive.
fn minimum(size: &Size, fresh: usize) -> (usize, usize) {
    let per_tag_a = size.assignments / size.tags / 5;
    let per_tag_c = size.assignments / size.tags - per_tag_a;
    let base = 1 + pages(size.members) + pages(size.keys) + pages(size.tags);
    let (campaigns, accounts) = if fresh > 0 {
        (pages(size.campaigns + fresh), pages(size.accounts + fresh))
    } else {
        (0, 0)
    };
    let per_tag = (
        base + size.tags * (pages(per_tag_c) + pages(per_tag_a)) + campaigns + accounts,
        pages(size.tags) + pages(per_tag_c).max(pages(per_tag_a)) + campaigns.max(accounts),
    );
    // The walk names campaigns by the whole campaign list, read alongside.
    let walk = (
        base + pages(size.assignments) + pages(size.campaigns + fresh) + accounts,
        pages(size.tags) + pages(size.assignments).max(pages(size.campaigns + fresh)) + accounts,
    );
    let chain = |tagged: usize| 1 + pages(size.members).max(pages(size.keys)).max(tagged);
    let (per_tag, walk) = ((per_tag.0, chain(per_tag.1)), (walk.0, chain(walk.1)));
    let key = |(r, c): (usize, usize)| ((lower_bound(r, c) * 1000.0) as u64, r);
    if key(walk) <= key(per_tag) {
        walk
    } else {
        per_tag
    }
}

/// The requests of an export (every list at once) and its longest chain.
fn export_minimum(size: &Size) -> (usize, usize) {
    let lists = [
        size.members,
        size.keys,
        size.tags,
        size.assignments,
        size.campaigns,
    ];
    (
        1 + lists.iter().map(|&n| pages(n)).sum::<usize>(),
        1 + lists.iter().map(|&n| pages(n)).max().unwrap_or(0),
    )
}

struct Row {
    line: String,
    ratio_requests: f64,
    ratio_wall: f64,
}

/// What one run measured, before it becomes a table row.
struct Measure {
    run: String,
    requests: usize,
    minimum: usize,
    wall: f64,
    lower: f64,
    /// After the lower bound, e.g. "(slowest one)".
    lower_note: &'static str,
    cpu: String,
    rate_limited: usize,
    per_object: String,
}

impl From<Measure> for Row {
    fn from(m: Measure) -> Row {
        let (ratio_requests, ratio_wall) = (m.requests as f64 / m.minimum as f64, m.wall / m.lower);
        Row {
            line: format!(
                "| {} | {} | {} | {ratio_requests:.3} | {:.2} s | {:.2} s{} | {ratio_wall:.2} | {} | {:.0} MB | {} | {} |",
                m.run,
                m.requests,
                m.minimum,
                m.wall,
                m.lower,
                m.lower_note,
                m.cpu,
                peak_rss_mb(),
                m.rate_limited,
                m.per_object
            ),
            ratio_requests,
            ratio_wall,
        }
    }
}

async fn measure(size: Size) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut top: Option<SandboxState> = None;
    let mut files = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    // `apply` keeps its intents journal in the working directory.
    std::env::set_current_dir(dir.path()).unwrap();
    for ws in 0..size.workspaces {
        let (state, yaml) = generate(&size, ws);
        let path = dir.path().join(format!("ws-{ws:03}.yaml"));
        std::fs::write(&path, &yaml).unwrap();
        files.push(path);
        match &mut top {
            None => top = Some(state),
            Some(t) => t.sub_workspaces.push(state),
        }
    }
    let state = top.unwrap();
    // The single-workspace runs each start from the same workspace.
    let original = (size.workspaces == 1).then(|| state.clone());
    let sandbox = start_sandbox(state).await;
    let (min_requests, chain) = minimum(&size, 0);
    let lower = lower_bound(min_requests, chain);
    let objects = size.members + size.keys + size.tags + size.assignments;
    // Terraform's pattern: list to discover, then one GET per object.
    let per_object = objects
        + pages(size.members)
        + pages(size.keys)
        + pages(size.tags)
        + pages(size.assignments);
    if size.workspaces > 1 {
        let c = client(&sandbox.url);
        let start = Instant::now();
        let cpu0 = process_cpu();
        let progress = instantly_rbac::progress::Progress::none();
        let (home, outcomes) = instantly_rbac::commands::plan::plan_many(&files, &c, &progress)
            .await
            .unwrap();
        let _ = instantly_rbac::render_multi::render(
            &outcomes,
            &home,
            instantly_rbac::cli::PlanFormat::Json,
            false,
        );
        let wall = start.elapsed().as_secs_f64();
        let cpu = (process_cpu() - cpu0).as_secs_f64();
        assert_eq!(
            instantly_rbac::render_multi::status(&outcomes),
            instantly_rbac::output::ExitStatus::Success,
            "every workspace in sync"
        );
        let requests = sandbox.requests();
        let min_all = min_requests * size.workspaces + 1; // and the agency's own GET /workspaces/current
        rows.push(Row::from(Measure {
            run: format!("{} plan", size.name),
            requests,
            minimum: min_all,
            wall,
            lower,
            lower_note: " (slowest one)",
            cpu: format!("{cpu:.1} s, all threads"),
            rate_limited: sandbox.rate_limited(),
            per_object: (per_object * size.workspaces).to_string(),
        }));
        sandbox.stop().await;
        return rows;
    }
    // Plan: the pipeline `plan` runs (load, guard, read, plan).
    let yaml = std::fs::read_to_string(&files[0]).unwrap();
    let c = client(&sandbox.url);
    let start = Instant::now();
    let cpu0 = thread_cpu();
    let file = pipeline::load(&files[0]).unwrap();
    let parse_cpu = thread_cpu() - cpu0;
    let planned = pipeline::plan(&c, file).await.unwrap();
    let wall = start.elapsed().as_secs_f64();
    // The planner's share, measured again on the same inputs (it is pure).
    let cpu1 = thread_cpu();
    let plan = planner::plan(
        &planned.file.config,
        &planned.live,
        &Context {
            auth_key_mask: Some(c.key_mask()),
            now: None,
            undelivered: Vec::new(),
            key_events: None,
        },
    )
    .unwrap();
    let plan_cpu = thread_cpu() - cpu1;
    assert!(
        plan.is_empty(),
        "the generated file is in sync: {:?}",
        plan.actions
            .iter()
            .take(3)
            .map(|a| &a.address)
            .collect::<Vec<_>>()
    );
    let requests = sandbox.requests();
    let plan_lower = lower;
    let cpu_ms = (parse_cpu + plan_cpu).as_secs_f64() * 1000.0;
    rows.push(Row::from(Measure {
        run: format!("{} plan", size.name),
        requests,
        minimum: min_requests,
        wall,
        lower,
        lower_note: "",
        cpu: format!("{cpu_ms:.0} ms"),
        rate_limited: sandbox.rate_limited(),
        per_object: per_object.to_string(),
    }));

    // Plan --diff of the change set: the plan, then the diff view.
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, with_changes(&size, &yaml)).unwrap();
    let before_total = sandbox.requests();
    let start_wall = Instant::now();
    let cpu0 = thread_cpu();
    let file = pipeline::load(&changed).unwrap();
    let parse_cpu = thread_cpu() - cpu0;
    let planned = pipeline::plan(&c, file).await.unwrap();
    let cpu1 = thread_cpu();
    let diff =
        instantly_rbac::diff_view::render(&planned.file.config, &planned.live, &planned.plan);
    let diff_cpu = thread_cpu() - cpu1;
    let wall = start_wall.elapsed().as_secs_f64();
    assert!(diff.contains("newcomer1@acme.com"), "{diff}");
    let cpu1 = thread_cpu();
    let _ = planner::plan(&planned.file.config, &planned.live, &context(&c)).unwrap();
    let plan_cpu = thread_cpu() - cpu1;
    drop(planned);
    rows.push(Row::from(Measure {
        run: format!("{} plan --diff (the change set)", size.name),
        requests: sandbox.requests() - before_total,
        minimum: min_requests + AUDIT_READS,
        wall,
        lower,
        lower_note: "",
        cpu: format!(
            "{:.0} ms",
            (parse_cpu + plan_cpu + diff_cpu).as_secs_f64() * 1000.0
        ),
        rate_limited: sandbox.rate_limited(),
        per_object: per_object.to_string(),
    }));

    // Export: every list, then the file.
    let before_total = sandbox.requests();
    let start_wall = Instant::now();
    let live = pipeline::read_for_export(&c).await.unwrap();
    let cpu0 = thread_cpu();
    let (config, warnings) = instantly_rbac::export::to_config(&live);
    let text = instantly_rbac::export::to_yaml(&config, &live.workspace.name);
    let export_cpu = thread_cpu() - cpu0;
    let wall = start_wall.elapsed().as_secs_f64();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.tags.len(), size.tags);
    assert!(text.len() > 1000);
    drop((live, config, text));
    let (export_min, export_chain) = export_minimum(&size);
    rows.push(Row::from(Measure {
        run: format!("{} export", size.name),
        requests: sandbox.requests() - before_total,
        minimum: export_min,
        wall,
        lower: lower_bound(export_min, export_chain),
        lower_note: "",
        cpu: format!(
            "{:.0} ms (export + YAML)",
            export_cpu.as_secs_f64() * 1000.0
        ),
        rate_limited: sandbox.rate_limited(),
        per_object: per_object.to_string(),
    }));

    // Apply the change set.
    let plan = pipeline::plan_path(&c, &changed).await.unwrap().plan;
    let assignment_changes = plan
        .actions
        .iter()
        .filter(|a| a.kind == instantly_rbac::plan::Kind::Assignment)
        .count();
    let before = sandbox.requests_by_endpoint();
    let before_total = sandbox.requests();
    let mut sink = SecretSink::file(SecretsOut::create(&dir.path().join("secrets.json")).unwrap());
    let start = Instant::now();
    let report = instantly_rbac::applier::apply(&c, &plan, Some(&mut sink), None).await;
    let wall = start.elapsed().as_secs_f64();
    assert!(report.ok(), "{:?}", report.failed);
    let toggles = sandbox
        .requests_by_endpoint()
        .get("POST /custom-tags/toggle-resource")
        .copied()
        .unwrap_or(0)
        - before
            .get("POST /custom-tags/toggle-resource")
            .copied()
            .unwrap_or(0);
    let requests = sandbox.requests() - before_total;
    let other = plan.actions.len() - assignment_changes;
    let min_apply = other + size.new_tags; // one call per non-assignment action, one toggle per 100 campaigns
    // Phases run one after another (each needs the one before): each takes
    // at least a round trip, or its requests at the rate, whichever is longer.
    let mut per_phase: std::collections::BTreeMap<u8, usize> = std::collections::BTreeMap::new();
    for a in plan
        .actions
        .iter()
        .filter(|a| a.kind != instantly_rbac::plan::Kind::Assignment)
    {
        *per_phase.entry(a.phase).or_default() += 1;
    }
    for a in plan
        .actions
        .iter()
        .filter(|a| a.kind == instantly_rbac::plan::Kind::Assignment)
    {
        per_phase.entry(a.phase).or_insert(size.new_tags);
    }
    let apply_lower: f64 = per_phase
        .values()
        .map(|&n| (n as f64 / RATE).max(LATENCY_MS as f64 / 1000.0))
        .sum();
    let lower = apply_lower;
    rows.push(Row::from(Measure {
        run: format!(
            "{} apply ({} actions, {assignment_changes} assignment changes in {toggles} toggle calls)",
            size.name,
            plan.actions.len()
        ),
        requests,
        minimum: min_apply,
        wall,
        lower,
        lower_note: "",
        cpu: "–".into(),
        rate_limited: sandbox.rate_limited(),
        per_object: "–".into(),
    }));
    sandbox.stop().await;
    let original = original.expect("one workspace");

    // plan --out, then apply PLAN (which plans again and checks each
    // touched object's version before it writes), on a fresh workspace.
    let sandbox = start_sandbox(original.clone()).await;
    let saved_path = dir.path().join("plan.json");
    let start_wall = Instant::now();
    let planned = pipeline::plan_path(&c_for(&sandbox), &changed)
        .await
        .unwrap();
    let saved = instantly_rbac::saved_plan::SavedPlan::new(
        &planned.plan,
        &planned.live,
        &changed.display().to_string(),
        &planned.file.bytes,
    );
    std::fs::write(&saved_path, saved.to_json()).unwrap();
    drop((planned, saved));
    let opts = instantly_rbac::commands::apply::ApplyOptions {
        ask: false,
        saved: true,
        secrets_out: Some(dir.path().join("secrets-saved.json")),
        secrets_append: false,
        secrets_cmd: None,
        secrets_cmd_timeout: Duration::from_secs(10),
        acks: Vec::new(),
        allow_reinvite: false,
    };
    // The plan and report go to stdout: the parent keeps only table rows.
    let printer =
        instantly_rbac::output::Printer::new(instantly_rbac::cli::ColorChoice::Never, true);
    let status = instantly_rbac::commands::apply::saved(
        &saved_path,
        Some(&changed),
        &opts,
        &c_for(&sandbox),
        &printer,
    )
    .await
    .unwrap();
    let wall = start_wall.elapsed().as_secs_f64();
    assert_eq!(status, instantly_rbac::output::ExitStatus::Success);
    rows.push(Row::from(Measure {
        run: format!("{} plan --out, then apply PLAN (the change set)", size.name),
        requests: sandbox.requests(),
        minimum: 2 * (min_requests + AUDIT_READS) + min_apply,
        wall,
        lower: 2.0 * plan_lower + apply_lower,
        lower_note: "",
        cpu: "–".into(),
        rate_limited: sandbox.rate_limited(),
        per_object: "–".into(),
    }));
    sandbox.stop().await;

    // One new tag on 1,000 campaigns and 1,000 accounts no tag carries.
    let (fresh_state, fresh_yaml) = with_fresh_tag(original, &yaml, FRESH);
    let fresh = dir.path().join("fresh.yaml");
    std::fs::write(&fresh, fresh_yaml).unwrap();
    let sandbox = start_sandbox(fresh_state).await;
    let c = c_for(&sandbox);
    let start_wall = Instant::now();
    let cpu0 = thread_cpu();
    let file = pipeline::load(&fresh).unwrap();
    let parse_cpu = thread_cpu() - cpu0;
    let planned = pipeline::plan(&c, file).await.unwrap();
    let wall = start_wall.elapsed().as_secs_f64();
    let cpu1 = thread_cpu();
    let plan = planner::plan(&planned.file.config, &planned.live, &context(&c)).unwrap();
    let plan_cpu = thread_cpu() - cpu1;
    assert_eq!(
        plan.actions.len(),
        1 + 2 * FRESH,
        "the tag and its assignments"
    );
    let (fresh_min, fresh_chain) = minimum(&size, FRESH);
    rows.push(Row::from(Measure {
        run: format!(
            "{} plan: one new tag on {FRESH} campaigns and {FRESH} accounts no tag carries",
            size.name
        ),
        requests: sandbox.requests(),
        minimum: fresh_min,
        wall,
        lower: lower_bound(fresh_min, fresh_chain),
        lower_note: "",
        cpu: format!("{:.0} ms", (parse_cpu + plan_cpu).as_secs_f64() * 1000.0),
        rate_limited: sandbox.rate_limited(),
        per_object: "–".into(),
    }));
    sandbox.stop().await;
    rows
}

/// A plan that creates keys reads the audit log's key events (created and
/// deleted) to say who made the keys of those names: two requests.
const AUDIT_READS: usize = 2;

/// Campaigns and accounts a fresh tag is assigned to.
const FRESH: usize = 1000;

/// `state` with `n` more campaigns and accounts that no tag carries, and
/// `yaml` with a new tag assigned to all of them.
fn with_fresh_tag(mut state: SandboxState, yaml: &str, n: usize) -> (SandboxState, String) {
    let demo = demo_state();
    let mut names = Vec::new();
    let mut emails = Vec::new();
    for i in 0..n {
        let name = format!("Fresh campaign {i:05}");
        state.campaigns.push(Campaign {
            id: id(7, 0, i),
            name: name.clone(),
            ..demo.campaigns[0].clone()
        });
        names.push(name);
        let email = format!("fresh{i:05}@acme-mail.com");
        state.accounts.push(Account {
            email: email.clone().into(),
            ..demo.accounts[0].clone()
        });
        emails.push(email);
    }
    let tag = format!(
        "tags:\n  - label: fresh\n    campaigns: [{}]\n    accounts: [{}]\n",
        names.join(", "),
        emails.join(", ")
    );
    (state, yaml.replacen("tags:\n", &tag, 1))
}

async fn start_sandbox(state: SandboxState) -> Sandbox {
    let sandbox = Sandbox::start(state, None, 0).await.unwrap();
    sandbox.set_faults(Faults {
        latency_ms: LATENCY_MS,
        rate_limit: Some(RATE),
        ..Faults::default()
    });
    sandbox
}

fn c_for(sandbox: &Sandbox) -> Client {
    client(&sandbox.url)
}

fn context(c: &Client) -> Context {
    Context {
        auth_key_mask: Some(c.key_mask()),
        now: None,
        undelivered: Vec::new(),
        key_events: None,
    }
}

fn run_size(size: Size) -> Vec<Row> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(measure(size))
}

const HEADER: &str = "| run | requests | minimum | ratio | wall time | lower bound | ratio | parse+diff+plan CPU | peak RSS | 429s | one GET per object |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let size = match args[pos + 1].as_str() {
            "S" => S,
            "M" => M,
            "L" => L,
            _ => M50,
        };
        for row in run_size(size) {
            println!("{}", row.line);
        }
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test`: a smoke test of the harness at size S.
        let rows = run_size(S);
        for r in &rows {
            println!("{}", r.line);
            assert!(
                r.ratio_requests.is_finite() && r.ratio_requests >= 0.99,
                "{}",
                r.line
            );
            assert!(r.ratio_wall.is_finite() && r.ratio_wall > 0.0, "{}", r.line);
        }
        println!("scale benchmark smoke test at size S: ok (ratios computed)");
        return;
    }
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| ["S", "M", "L", "50M"].contains(a))
        .collect();
    let sizes: Vec<&str> = if wanted.is_empty() {
        vec!["S", "M", "L", "50M"]
    } else {
        wanted
    };
    println!(
        "Sandbox in-process, {LATENCY_MS} ms latency per request, {RATE} requests/second enforced per workspace.\n"
    );
    println!("{HEADER}");
    for s in sizes {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--child", s])
            .output()
            .unwrap();
        // Only the table's rows: `apply PLAN` prints its plan and report.
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if line.starts_with("| ") {
                println!("{line}");
            }
        }
        if !out.status.success() {
            eprintln!("{s} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
