//! Chaos: apply plans with dozens of actions of every kind while the
//! sandbox injects a 20% mix of faults. Every run must end converged, with
//! nothing duplicated, no key revoked that a plan did not list, and every
//! new key's secret delivered exactly once — or, when its create answer was
//! lost, the apply stopped with a conflict naming it.

use crate::support::OPERATOR_KEY;
use instantly_rbac::api_types::{Account, ApiKey, Campaign, Member, Tag, TagMapping};
use instantly_rbac::client::{Client, ClientOptions};
use instantly_rbac::pipeline;
use instantly_rbac::plan::{Kind, Op};
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use instantly_rbac::sandbox::{FaultKind, Faults, Sandbox};
use instantly_rbac::secret_sink::SecretSink;
use instantly_rbac::secrets_out::SecretsOut;
use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A workspace with 20 extra members, 8 keys, 8 tags, 450 campaigns (five
/// pages) and 250 accounts (three), and a file that changes most of it.
fn fixture() -> (SandboxState, String) {
    let mut s = demo_state();
    let id = |kind: u32, i: usize| format!("01946416-{kind}000-7000-a000-{i:012}");
    for i in 0..20 {
        s.members.push(Member {
            id: id(1, i),
            email: format!("rep{i:02}@acme.com").into(),
            role: "editor".into(),
            ..s.members[1].clone()
        });
    }
    for i in 0..8 {
        s.api_keys.push(ApiKey {
            id: id(3, i),
            name: format!("key-{i}"),
            scopes: vec!["campaigns:read".into()],
            key: format!("sbx_chaos_key_{i:04}_abcdefgh"),
            ..s.api_keys[1].clone()
        });
    }
    for i in 0..450 {
        s.campaigns.push(Campaign {
            id: id(5, i),
            name: format!("Campaign {i:03}"),
            ..s.campaigns[0].clone()
        });
    }
    for i in 0..250 {
        s.accounts.push(Account {
            email: format!("box{i:02}@acme-mail.com").into(),
            ..s.accounts[0].clone()
        });
    }
    for i in 0..8 {
        let tag = Tag {
            id: id(4, i),
            label: format!("team-{i}"),
            description: Some(format!("Team {i}")),
            ..s.tags[0].clone()
        };
        for c in 0..6 {
            s.mappings.push(TagMapping {
                id: format!("01946416-6000-7000-a{i:03}-{c:012}"),
                tag_id: tag.id.clone(),
                resource_id: id(5, i * 10 + c),
                resource_type: instantly_rbac::api_types::ResourceType::Campaign,
                ..s.mappings[0].clone()
            });
        }
        s.tags.push(tag);
    }
    let mut y = String::from(
        "version: 1\nroles:\n  sdr: {role: editor, permissions: [campaigns.view, leads.move]}\nmembers:\n  - {email: owner@acme.com, role: owner}\n  - {email: alice@acme.com, role: admin}\n",
    );
    for i in 0..5 {
        y += &format!("  - {{email: rep{i:02}@acme.com, role: view}}\n"); // demotions
    }
    for i in 5..8 {
        y += &format!("  - {{email: rep{i:02}@acme.com, role: sdr}}\n"); // re-invites
    }
    for i in 8..10 {
        y += &format!("  - {{email: rep{i:02}@acme.com, role: admin}}\n"); // promotions
    }
    for i in 0..10 {
        let role = if i % 2 == 0 { "sdr" } else { "editor" };
        y += &format!("  - {{email: new{i:02}@acme.com, role: {role}}}\n"); // invites
    }
    // rep10..rep19, bob, carol, dave, erin: removed.
    y += "api_keys:\n  - {name: instantly-rbac (automation), scopes: ['all:all']}\n";
    for i in 0..3 {
        y += &format!("  - {{name: key-{i}, scopes: ['campaigns:read', 'leads:read']}}\n"); // replaced
    }
    for i in 3..5 {
        y += &format!("  - {{name: key-{i}, scopes: ['campaigns:read']}}\n"); // kept
    }
    for i in 0..5 {
        y += &format!("  - {{name: new-key-{i}, scopes: ['accounts:read']}}\n"); // created
    }
    y += "tags:\n";
    for i in 0..5 {
        // Existing tags: a new description for some, and a new set of campaigns.
        let desc = if i < 3 {
            format!("Team {i}, renamed")
        } else {
            format!("Team {i}")
        };
        let campaigns: Vec<String> = (0..4)
            .map(|c| format!("Campaign {:03}", i * 10 + c + 3))
            .collect();
        y += &format!(
            "  - label: team-{i}\n    description: {desc}\n    campaigns: [{}]\n    accounts: [box{i:02}@acme-mail.com]\n",
            campaigns.join(", ")
        );
    }
    for i in 0..5 {
        let campaigns: Vec<String> = (0..5)
            .map(|c| format!("Campaign {:03}", 100 + i * 5 + c))
            .collect();
        let accounts: Vec<String> = (0..3)
            .map(|a| format!("box{:02}@acme-mail.com", 5 + i * 3 + a))
            .collect();
        y += &format!(
            "  - label: fresh-{i}\n    campaigns: [{}]\n    accounts: [{}]\n",
            campaigns.join(", "),
            accounts.join(", ")
        );
    }
    y += "policy:\n  max_delete_percent: 100\n  max_deletes: 1000\n  ignore: {members: ['*@instantly.ai']}\n";
    (s, y)
}

fn client(url: &str) -> Client {
    let opts = ClientOptions {
        max_attempts: 8,
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(500),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    };
    Client::with_options(url, SecretString::from(OPERATOR_KEY.to_owned()), opts).unwrap()
}

#[derive(Debug, Default)]
struct Figures {
    actions: usize,
    runs: usize,
    reruns: usize,
    faults: usize,
    retries: usize,
    /// New keys whose create answer was lost: each stopped its run.
    lost_keys: usize,
    /// Why the first run stopped, when it did.
    stopped: Option<String>,
    injected: BTreeMap<FaultKind, usize>,
}

/// How an apply stops when a key of a planned name appears that the plan did
/// not show (see `create::api_key`).
const KEY_APPEARED: &str = "appeared that the plan did not show";

/// Runs at most: the first may stop for any reason; each re-run only for a
/// key whose create answer was lost, which nothing can recover.
const MAX_RUNS: usize = 4;

/// Plans and applies until converged; returns figures.
async fn chaos(seed: u64, config_text: &str, state: SandboxState) -> Figures {
    let initial_keys: BTreeSet<String> = state.api_keys.iter().map(|k| k.id.clone()).collect();
    let sandbox = Sandbox::start(state, None, 0).await.unwrap();
    sandbox.set_faults(Faults {
        fault_rate: 0.2,
        seed,
        rate_limit: Some(100.0),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let file = crate::support::write(dir.path(), "chaos.yaml", config_text);
    let mut figures = Figures::default();
    let c = client(&sandbox.url);
    // Keys a plan listed for revocation (deletes and replacements).
    let mut planned_revocations: BTreeSet<String> = BTreeSet::new();
    // The errors of the actions stopped by a key that appeared.
    let mut conflicts: Vec<String> = Vec::new();
    for run in 0..MAX_RUNS {
        figures.runs += 1;
        let p = match pipeline::plan_path(&c, &file).await {
            Ok(planned) => planned.plan,
            Err(e) => {
                assert_eq!(run, 0, "seed {seed}: the re-run could not read: {e}");
                figures.stopped = Some(e.to_string());
                figures.reruns += 1;
                continue;
            }
        };
        planned_revocations.extend(
            p.actions
                .iter()
                .filter(|a| a.kind == Kind::ApiKey && matches!(a.op, Op::Delete | Op::Replace))
                .filter_map(|a| a.live_id.clone()),
        );
        if run == 0 {
            figures.actions = p.actions.len();
            assert!(p.actions.len() >= 60, "{}", p.actions.len());
        }
        let path = dir.path().join(format!("secrets-{run}.json"));
        let mut sink = SecretSink::file(SecretsOut::create(&path).unwrap());
        let report = instantly_rbac::applier::apply(&c, &p, Some(&mut sink), None).await;
        conflicts.extend(
            report
                .failed
                .iter()
                .filter(|f| f.error.contains(KEY_APPEARED))
                .map(|f| f.error.clone()),
        );
        if report.ok() {
            break;
        }
        assert!(
            run == 0 || report.failed.iter().all(|f| f.error.contains(KEY_APPEARED)),
            "seed {seed}: re-run {run} failed: {:?}",
            report.failed
        );
        assert!(
            run + 1 < MAX_RUNS,
            "seed {seed}: not done after {MAX_RUNS} runs"
        );
        if run == 0 {
            figures.stopped = report
                .failed
                .first()
                .map(|f| format!("{}: {}", f.address, f.error));
        }
        figures.reruns += 1;
    }
    figures.retries = c.stats().retries.load(Ordering::SeqCst);
    figures.injected = sandbox.injected();
    figures.faults = figures.injected.values().sum();

    // Converged: with faults off, nothing left to do.
    sandbox.set_faults(Faults::default());
    let after = pipeline::plan_path(&c, &file)
        .await
        .unwrap_or_else(|e| panic!("{}", e.render(false)))
        .plan;
    assert!(
        after.is_empty(),
        "seed {seed}: still {:?}",
        after.actions.iter().map(|a| &a.address).collect::<Vec<_>>()
    );

    // Nothing duplicated.
    let state = sandbox.state();
    let unique = |v: Vec<String>| {
        let n = v.len();
        let set: BTreeSet<String> = v.into_iter().collect();
        set.len() == n
    };
    assert!(
        unique(
            state
                .members
                .iter()
                .map(|m| m.email.key().to_owned())
                .collect()
        ),
        "seed {seed}: duplicate member"
    );
    assert!(
        unique(state.api_keys.iter().map(|k| k.name.clone()).collect()),
        "seed {seed}: duplicate key"
    );
    assert!(
        unique(state.tags.iter().map(|t| t.label.clone()).collect()),
        "seed {seed}: duplicate tag"
    );

    // No key was revoked that a plan did not list.
    for (endpoint, _) in sandbox.requests_by_endpoint() {
        if let Some(id) = endpoint.strip_prefix("DELETE /api-keys/") {
            assert!(
                planned_revocations.contains(id),
                "seed {seed}: key {id} was revoked, but no plan listed it"
            );
        }
    }

    // Every key created is alive, and had its secret delivered exactly
    // once, or its create answer was lost and one conflict names it.
    let mut delivered: Vec<serde_json::Value> = Vec::new();
    for run in 0..2 {
        if let Ok(text) = std::fs::read_to_string(dir.path().join(format!("secrets-{run}.json"))) {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            delivered.extend(doc["keys"].as_array().unwrap().iter().cloned());
        }
    }
    let delivered_ids: Vec<String> = delivered
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let new_ids: BTreeSet<String> = state
        .api_keys
        .iter()
        .map(|k| k.id.clone())
        .filter(|id| !initial_keys.contains(id))
        .collect();
    let delivered_set: BTreeSet<String> = delivered_ids.iter().cloned().collect();
    assert_eq!(
        delivered_set.len(),
        delivered_ids.len(),
        "seed {seed}: one secret per new key"
    );
    assert!(delivered_set.is_subset(&new_ids), "seed {seed}");
    let lost: BTreeSet<&String> = new_ids.difference(&delivered_set).collect();
    assert_eq!(
        conflicts.len(),
        lost.len(),
        "seed {seed}: one conflict per key whose create answer was lost: {conflicts:?}"
    );
    for id in &lost {
        let naming: Vec<&String> = conflicts
            .iter()
            .filter(|c| c.contains(id.as_str()))
            .collect();
        assert_eq!(naming.len(), 1, "seed {seed}: key {id}: {conflicts:?}");
        assert!(
            naming[0].contains(&format!("(id {id}) {KEY_APPEARED}"))
                && naming[0].contains("nothing was revoked; run plan again and review it"),
            "{}",
            naming[0]
        );
    }
    figures.lost_keys = lost.len();
    for d in &delivered {
        let live = state
            .api_keys
            .iter()
            .find(|k| k.id == d["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            live.key,
            d["key"].as_str().unwrap(),
            "seed {seed}: the delivered secret is the key's"
        );
    }
    sandbox.stop().await;
    figures
}

#[test]
fn chaos_under_a_twenty_percent_fault_mix_converges_without_duplicates() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (state, yaml) = fixture();
    let seeds = [1u64, 2, 3, 4, 5, 6];
    let all: Vec<Figures> = rt.block_on(async {
        let runs = seeds.iter().map(|&seed| chaos(seed, &yaml, state.clone()));
        futures_util::future::join_all(runs).await
    });
    let mut kinds: BTreeMap<FaultKind, usize> = BTreeMap::new();
    eprintln!(
        "seed | actions | runs | re-runs | faults injected | retries | keys whose create answer was lost"
    );
    for (seed, f) in seeds.iter().zip(&all) {
        eprintln!(
            "{seed} | {} | {} | {} | {} | {} | {}",
            f.actions, f.runs, f.reruns, f.faults, f.retries, f.lost_keys
        );
        if let Some(why) = &f.stopped {
            eprintln!("  seed {seed}: the first run stopped at {why}");
        }
        for (k, n) in &f.injected {
            *kinds.entry(*k).or_default() += n;
        }
    }
    eprintln!("faults by kind: {kinds:?}");
    for k in FaultKind::ALL {
        assert!(
            kinds.get(&k).copied().unwrap_or(0) > 0,
            "{k:?} was never injected"
        );
    }
}

/// SIGKILL at several points of an apply; each time, a re-run converges
/// without duplicating anything.
#[test]
fn a_killed_apply_is_finished_by_a_rerun() {
    use crate::support::{Server, example};
    let ex = example().display().to_string();
    let handles: Vec<_> = [150u64, 400, 650, 900]
        .into_iter()
        .map(|after_ms| {
            let ex = ex.clone();
            std::thread::spawn(move || {
                let d = tempfile::tempdir().unwrap();
                let server = Server::demo();
                server.sandbox.set_faults(Faults {
                    latency_ms: 40,
                    ..Faults::default()
                });
                let args = [
                    "apply",
                    "--allow-reinvite",
                    "-f",
                    &ex,
                    "--auto-approve",
                    "--secrets-out",
                    "s1.json",
                ];
                let mut child = crate::support::spawn_at(&server, d.path(), &args);
                std::thread::sleep(Duration::from_millis(after_ms));
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                server.sandbox.set_faults(Faults::default());
                let o = crate::support::apply_example(&server, d.path(), "s2.json", &[]);
                assert_eq!(
                    o.code, 0,
                    "killed after {after_ms} ms; the re-run: {}\n{}",
                    o.stdout, o.stderr
                );
                crate::support::assert_converged(&server, d.path());
                let state = server.sandbox.state();
                let names: BTreeSet<&str> =
                    state.api_keys.iter().map(|k| k.name.as_str()).collect();
                assert_eq!(
                    names.len(),
                    state.api_keys.len(),
                    "killed after {after_ms} ms: a duplicate key"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// The command-line faults of `sandbox` and the client's pacing flags, end to end.
#[test]
fn the_sandbox_command_injects_faults_and_the_cli_rides_them_out() {
    let d = tempfile::tempdir().unwrap();
    let (mut child, url) = crate::support::start_sandbox_command(
        d.path(),
        &[
            "--fault-rate",
            "0.3",
            "--seed",
            "3",
            "--latency-ms",
            "5",
            "--rate-limit",
            "50",
        ],
    );
    let env = [
        ("INSTANTLY_API_URL", url.as_str()),
        ("INSTANTLY_API_KEY", OPERATOR_KEY),
    ];
    let ex = crate::support::example().display().to_string();
    let flags = [
        "--rate-limit",
        "40",
        "--parallelism",
        "2",
        "--max-attempts",
        "10",
    ];
    let mut apply = vec![
        "apply",
        "--allow-reinvite",
        "-f",
        &ex,
        "--auto-approve",
        "--secrets-out",
        "s.json",
    ];
    apply.extend(flags);
    let o = crate::support::run(d.path(), &apply, &env);
    let mut plan = vec!["plan", "-f", &ex, "--detailed-exitcode"];
    plan.extend(flags);
    let again = crate::support::run(d.path(), &plan, &env);
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let sandbox_log = String::from_utf8_lossy(&out.stderr);
    assert!(
        sandbox_log.contains("injecting faults into 30% of requests (seed 3)"),
        "{sandbox_log}"
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("retrying"),
        "faults were met and retried: {}",
        o.stderr
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}
