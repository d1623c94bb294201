//! Where new keys' secrets go: `--secrets-cmd` (its timeout, environment and
//! output), intents that make sure no key lives without a delivered secret,
//! and applies that run at the same time.

use crate::support::Test;
use instantly_rbac::sandbox::demo::demo_state;

/// One new key; everything else in the demo workspace left alone.
const ONE_KEY: &str = "version: 1
api_keys:
  - name: ci-deploy
    scopes: [campaigns:read]
policy: {members: additive, api_keys: additive, tags: additive}
";

/// What `apply -f w.yaml` (ONE_KEY) shows before it applies.
fn one_key_plan() -> String {
    format!(
        "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.

API keys:
  + api_key[ci-deploy]  (medium risk)
      scopes: [campaigns:read]

Access impact:
  ▲ escalation  api_key[ci-deploy]: no access -> [campaigns:read]

{}",
        crate::support::DEMO_LEFT_ALONE
    )
}

const APPLIED: &str = "
Apply complete: 1 action applied.
1 new API key secret handed to --secrets-cmd.
";

fn apply_one_key(cmd: &str, extra: &[&str]) -> crate::support::Ran {
    let mut args = vec![
        "apply",
        "-f",
        "w.yaml",
        "--auto-approve",
        "--secrets-cmd",
        cmd,
    ];
    args.extend_from_slice(extra);
    Test::new()
        .sandbox(demo_state())
        .file("w.yaml", ONE_KEY)
        .args(&args)
        .run()
}

/// The id of the live key named `name`.
fn key_id(ran: &crate::support::Ran, name: &str) -> String {
    let state = ran.state.as_ref().unwrap();
    let ids: Vec<&str> = state
        .api_keys
        .iter()
        .filter(|k| k.name == name)
        .map(|k| k.id.as_str())
        .collect();
    assert_eq!(ids.len(), 1, "one key named {name}");
    ids[0].to_owned()
}

#[test]
fn a_secrets_cmd_that_hangs_is_stopped_and_its_secret_kept_in_the_recovery_file() {
    let started = std::time::Instant::now();
    let ran = apply_one_key("sleep 100", &["--secrets-cmd-timeout", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let id = key_id(&ran, "ci-deploy");
    let dir = ran.dir.path().canonicalize().unwrap();
    let recovery = dir.join(format!("instantly-rbac-recovered-{id}.json"));
    let plan = one_key_plan();
    let ran = ran.status(1).stderr("").stdout(&format!(
        "{plan}
Apply failed: 0 applied, 1 failed, 0 not attempted.

Failed:
  ✗ api_key[ci-deploy]: key {id} was created, but --secrets-cmd failed (it did not finish within 1 s (--secrets-cmd-timeout) and was stopped); the secret of key ci-deploy ({id}) is kept in {} (mode 0600): store it, then delete that file

Run plan again: it shows exactly what remains.
",
        recovery.display()
    ));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&recovery).unwrap()).unwrap();
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["name"], "ci-deploy");
    // The secret was kept: the key is not replaced by the next run.
    ran.again(&["plan", "-f", "w.yaml", "--detailed-exitcode"])
        .status(0);
}

#[test]
fn a_secrets_cmd_runs_without_the_tools_instantly_variables() {
    let ran = Test::new()
        .sandbox(demo_state())
        .file("w.yaml", ONE_KEY)
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-cmd",
            "cat > /dev/null; env > env.txt",
        ]);
    let ran = ran
        .env("INSTANTLY_API_KEY", crate::support::OPERATOR_KEY)
        .env("INSTANTLY_SOMETHING", "x")
        .run()
        .status(0)
        .stderr("")
        .stdout(&format!("{}{APPLIED}", one_key_plan()));
    let env = std::fs::read_to_string(ran.path("env.txt")).unwrap();
    assert!(env.contains("PATH="), "{env}");
    let leaked: Vec<&str> = env
        .lines()
        .filter(|l| l.starts_with("INSTANTLY_"))
        .collect();
    assert_eq!(leaked, Vec::<&str>::new());
}

#[test]
fn a_secrets_cmd_that_prints_its_input_prints_nothing() {
    apply_one_key("cat", &[])
        .status(0)
        .stderr("")
        .stdout(&format!("{}{APPLIED}", one_key_plan()));
    // Its standard error is shown.
    apply_one_key("cat > /dev/null; echo stored >&2", &[])
        .status(0)
        .stderr("stored\n")
        .stdout(&format!("{}{APPLIED}", one_key_plan()));
}

/// Asserts that no two live members, keys or tags share their natural key.
fn assert_no_duplicates(state: &instantly_rbac::sandbox::state::SandboxState) {
    let mut seen = std::collections::BTreeSet::new();
    for m in &state.members {
        assert!(
            seen.insert(format!("member {}", m.email)),
            "two {}",
            m.email
        );
    }
    for k in &state.api_keys {
        assert!(
            seen.insert(format!("key {}", k.name)),
            "two keys {}",
            k.name
        );
    }
    for t in &state.tags {
        assert!(
            seen.insert(format!("tag {}", t.label)),
            "two tags {}",
            t.label
        );
    }
}

/// The `{name, id, key}` entries of a secrets file, or none.
fn secrets_in(path: &std::path::Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            doc["keys"].as_array().unwrap().clone()
        }
        Err(_) => Vec::new(),
    }
}

#[test]
fn two_applies_at_once_create_each_object_once_and_the_other_stops() {
    let server = crate::support::Server::demo();
    server.sandbox.set_faults(instantly_rbac::sandbox::Faults {
        latency_ms: 30,
        ..Default::default()
    });
    let example = crate::support::example().display().to_string();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let args = [
        "apply",
        "--allow-reinvite",
        "-f",
        &example,
        "--auto-approve",
        "--secrets-out",
        "s.json",
    ];
    let children: Vec<_> = dirs
        .iter()
        .map(|d| crate::support::spawn_at(&server, d.path(), &args))
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let stdouts: Vec<String> = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .collect();
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    let stopped: Vec<usize> = (0..2)
        .filter(|&i| stdouts[i].contains("another apply is running or ran since the plan: `"))
        .collect();
    assert!(
        !stopped.is_empty(),
        "one of them stops: {codes:?}\n{}\n{}",
        stdouts[0],
        stdouts[1]
    );
    for &i in &stopped {
        assert_eq!(codes[i], Some(1), "{}", stdouts[i]);
        assert!(stdouts[i].contains("; run plan again"), "{}", stdouts[i]);
    }
    let state = server.sandbox.state();
    assert_no_duplicates(&state);
    // Every live key that either run made has its secret in exactly one file.
    let delivered: Vec<serde_json::Value> = dirs
        .iter()
        .flat_map(|d| secrets_in(&d.path().join("s.json")))
        .collect();
    for entry in &delivered {
        let id = entry["id"].as_str().unwrap();
        if let Some(k) = state.api_keys.iter().find(|k| k.id == id) {
            assert_eq!(entry["key"].as_str(), Some(k.key.as_str()));
            let times = delivered.iter().filter(|e| e["id"] == id).count();
            assert_eq!(times, 1, "{id} delivered once");
        }
    }
    // No intent stays open: a key create another apply's key beat made
    // nothing, and its intent goes (else the next plan would replace the
    // other apply's key, whose secret is held).
    for d in &dirs {
        let open: Vec<_> = std::fs::read_dir(d.path().join(".instantly-rbac-intents"))
            .map(|r| r.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert_eq!(open, Vec::<std::ffi::OsString>::new(), "{stdouts:?}");
    }
    // The one that stopped finishes what remains.
    server
        .sandbox
        .set_faults(instantly_rbac::sandbox::Faults::default());
    let o = crate::support::apply_example(&server, dirs[stopped[0]].path(), "s.json", &[]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    crate::support::assert_converged(&server, dirs[0].path());
    assert_no_duplicates(&server.sandbox.state());
}

/// Five new keys; everything else in the demo workspace left alone.
const FIVE_KEYS: &str = "version: 1
api_keys:
  - {name: k1, scopes: [campaigns:read]}
  - {name: k2, scopes: [campaigns:read]}
  - {name: k3, scopes: [accounts:read]}
  - {name: k4, scopes: [accounts:read]}
  - {name: k5, scopes: [campaigns:read, accounts:read]}
policy: {members: additive, api_keys: additive, tags: additive}
";

/// Every live key named k1…k5 has its secret in `secrets` exactly once (and
/// it is that key's), and no name is live twice.
fn assert_every_key_delivered_once(
    state: &instantly_rbac::sandbox::state::SandboxState,
    secrets: &[serde_json::Value],
) {
    let ours: Vec<_> = state
        .api_keys
        .iter()
        .filter(|k| k.name.len() == 2 && k.name.starts_with('k'))
        .collect();
    let names: std::collections::BTreeSet<&str> = ours.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names.len(), ours.len(), "no duplicate key");
    for k in ours {
        let entries: Vec<_> = secrets
            .iter()
            .filter(|e| e["id"] == k.id.as_str())
            .collect();
        assert_eq!(
            entries.len(),
            1,
            "{} ({}) delivered exactly once",
            k.name,
            k.id
        );
        assert_eq!(entries[0]["key"].as_str(), Some(k.key.as_str()));
    }
}

#[test]
fn a_killed_apply_never_leaves_a_key_whose_secret_was_not_delivered() {
    signal_sweep(libc::SIGKILL);
}

#[test]
fn a_terminated_apply_never_leaves_a_key_whose_secret_was_not_delivered() {
    signal_sweep(libc::SIGTERM);
}

/// Stops applies of five new keys with `signal` at eight moments (as each
/// key appears, then after fixed delays), then re-runs with the same
/// secrets file until converged: every live key's secret delivered once,
/// no intent left open.
fn signal_sweep(signal: i32) {
    let started = std::time::Instant::now();
    let server = crate::support::Server::demo();
    server.sandbox.set_faults(instantly_rbac::sandbox::Faults {
        latency_ms: 15,
        ..Default::default()
    });
    let d = tempfile::tempdir().unwrap();
    crate::support::write(d.path(), "w.yaml", FIVE_KEYS);
    let args = [
        "apply",
        "-f",
        "w.yaml",
        "--auto-approve",
        "--secrets-out",
        "s.json",
        "--parallelism",
        "2",
    ];
    let count = |server: &crate::support::Server| server.sandbox.state().api_keys.len();
    let mut replaced_undelivered = 0;
    // Killed as soon as the n-th new key exists (between its create and the
    // secrets file, when the kill lands there), then after fixed delays.
    let kills: Vec<Option<u64>> = (1..=4)
        .map(|_| None)
        .chain([40, 90, 140, 200].into_iter().map(Some))
        .collect();
    for kill in kills {
        let before = count(&server);
        let child = crate::support::spawn_at(&server, d.path(), &args);
        match kill {
            None => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while count(&server) == before && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
            Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
        }
        // SAFETY: a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        if signal == libc::SIGTERM {
            // Stopped cleanly (143), or it had finished everything (0), or
            // it was still planning: nothing written yet, the signal's
            // default action ended it.
            use std::os::unix::process::ExitStatusExt;
            assert!(
                matches!(out.status.code(), Some(143 | 0)) || out.status.signal() == Some(signal),
                "{:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        replaced_undelivered += stdout.matches("its secret was never delivered").count();
    }
    // Re-runs until converged.
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 4, "converges within four re-runs");
        let o = crate::support::run_at(&server, d.path(), &args);
        replaced_undelivered += o.stdout.matches("its secret was never delivered").count();
        if o.code == 0 {
            break;
        }
    }
    server
        .sandbox
        .set_faults(instantly_rbac::sandbox::Faults::default());
    let o = crate::support::run_at(
        &server,
        d.path(),
        &["plan", "-f", "w.yaml", "--detailed-exitcode"],
    );
    assert_eq!(o.code, 0, "converged:\n{}", o.stdout);
    let state = server.sandbox.state();
    assert_eq!(
        state.api_keys.iter().filter(|k| k.name.len() == 2).count(),
        5
    );
    assert_every_key_delivered_once(&state, &secrets_in(&d.path().join("s.json")));
    // Nothing left open: every intent was delivered or settled.
    let left: Vec<_> = std::fs::read_dir(d.path().join(".instantly-rbac-intents"))
        .map(|r| r.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert_eq!(left, Vec::<std::ffi::OsString>::new());
    eprintln!(
        "signal {signal} 8 times, {runs} re-runs, {replaced_undelivered} mentions of a never-delivered key in the runs' plans, {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_key_whose_secret_was_never_delivered_is_replaced_not_adopted() {
    let mut state = demo_state();
    let now = instantly_rbac::sandbox::state::now_iso();
    state.api_keys.push(instantly_rbac::api_types::ApiKey {
        id: "key-undelivered".into(),
        name: "ci-deploy".into(),
        scopes: vec!["campaigns:read".into()],
        key: "sbx_undelivered_secret_0000000000000".into(),
        organization_id: state.workspace.id.clone(),
        // Long before the intent: the API's clock may lag this
        // machine's, so creation times are not compared; the key is not
        // among those the run knew, and that decides.
        timestamp_created: "2026-01-05T08:55:00.000Z".into(),
        timestamp_updated: now.clone(),
    });
    let intent = serde_json::json!({
        "written_by": "instantly-rbac",
        "format_version": 1,
        "intents": [{
            "run": "r1",
            "workspace": state.workspace.id,
            "name": "ci-deploy",
            "scopes": ["campaigns:read"],
            "recorded_at": now,
            "known_ids": [],
        }],
    });
    let t = Test::new().sandbox(state).file("w.yaml", ONE_KEY);
    std::fs::create_dir(t.dir.path().join(".instantly-rbac-intents")).unwrap();
    crate::support::write(
        &t.dir.path().join(".instantly-rbac-intents"),
        "r1.json",
        &intent.to_string(),
    );
    let ran = t.args(&["plan", "-f", "w.yaml"]).run().status(0).stderr("");
    let plan = &ran.output.stdout;
    assert!(
        plan.contains(
            "Plan: 0 to create, 0 to update, 1 to replace, 0 to delete.\n\nAPI keys:\n  -/+ api_key[ci-deploy]  (medium risk)\n      # its secret was never delivered: an earlier apply was killed after creating it; a new key is created and this one revoked\n"
        ),
        "{plan}"
    );
    let ran = ran
        .again(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ])
        .status(0)
        .stderr("");
    let state = ran.state.as_ref().unwrap();
    let live: Vec<_> = state
        .api_keys
        .iter()
        .filter(|k| k.name == "ci-deploy")
        .collect();
    assert_eq!(live.len(), 1);
    assert_ne!(
        live[0].id, "key-undelivered",
        "the undelivered key is revoked"
    );
    let secrets = secrets_in(&ran.path("s.json"));
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["id"], live[0].id.as_str());
    assert_eq!(secrets[0]["key"], live[0].key.as_str());
    // Settled: the intent is gone, and the key is adopted from now on.
    assert!(!ran.path(".instantly-rbac-intents/r1.json").exists());
    ran.again(&["plan", "-f", "w.yaml", "--detailed-exitcode"])
        .status(0);
}

/// A slow `--secrets-cmd` does not hold up the other keys' creates: the
/// commands of two new keys run at the same time (each logs its start and
/// end; serialised, the log would read start, end, start, end).
#[test]
fn slow_secrets_cmds_of_two_keys_run_side_by_side() {
    let two_keys = "version: 1
api_keys:
  - name: ci-one
    scopes: [campaigns:read]
  - name: ci-two
    scopes: [campaigns:read]
policy: {members: additive, api_keys: additive, tags: additive}
";
    let ran = Test::new()
        .sandbox(demo_state())
        .file("w.yaml", two_keys)
        .args(&[
            "apply",
            "-f",
            "w.yaml",
            "--auto-approve",
            "--secrets-cmd",
            "echo start >> log; cat > /dev/null; sleep 1; echo end >> log",
        ])
        .run()
        .status(0);
    assert!(
        ran.output
            .stdout
            .ends_with("2 new API key secrets handed to --secrets-cmd.\n"),
        "{}",
        ran.output.stdout
    );
    let log = std::fs::read_to_string(ran.path("log")).unwrap();
    assert_eq!(log, "start\nstart\nend\nend\n");
}
