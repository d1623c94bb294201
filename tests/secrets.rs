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
const ONE_KEY_PLAN: &str = "Workspace: Acme Sales (01946416-09c9-7bef-bbc9-b8c3ac2cdb2a)

Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.

API keys:
  + api_key[ci-deploy]
      scopes: [campaigns:read]

Access impact:
  ▲ escalation  api_key[ci-deploy]: no access -> [campaigns:read]

Left alone (11):
  api_key[Marketing — Analytics Read Only] (not declared; policy.api_keys is additive)
  api_key[Old Zapier] (not declared; policy.api_keys is additive)
  api_key[instantly-rbac (automation)] (not declared; policy.api_keys is additive)
  member[alice@acme.com] (not declared; policy.members is additive)
  member[bob@acme.com] (not declared; policy.members is additive)
  member[carol@acme.com] (not declared; policy.members is additive)
  member[dave@acme.com] (not declared; policy.members is additive)
  member[erin@acme.com] (not declared; policy.members is additive)
  member[support@instantly.ai] (not declared; policy.members is additive)
  tag[Old-Team] (not declared; policy.tags is additive)
  tag[SDR-West] (not declared; policy.tags is additive)
";

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
    let ran = ran.status(1).stderr("").stdout(&format!(
        "{ONE_KEY_PLAN}
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
        .stdout(&format!("{ONE_KEY_PLAN}{APPLIED}"));
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
        .stdout(&format!("{ONE_KEY_PLAN}{APPLIED}"));
    // Its standard error is shown.
    apply_one_key("cat > /dev/null; echo stored >&2", &[])
        .status(0)
        .stderr("stored\n")
        .stdout(&format!("{ONE_KEY_PLAN}{APPLIED}"));
}

/// Asserts that no two live members, keys or tags share their natural key.
fn assert_no_duplicates(state: &instantly_rbac::sandbox::state::SandboxState) {
    let mut seen = std::collections::BTreeSet::new();
    for m in &state.members {
        assert!(seen.insert(format!("member {}", m.email)), "two {}", m.email);
    }
    for k in &state.api_keys {
        assert!(seen.insert(format!("key {}", k.name)), "two keys {}", k.name);
    }
    for t in &state.tags {
        assert!(seen.insert(format!("tag {}", t.label)), "two tags {}", t.label);
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
        assert!(
            stdouts[i].contains("; run plan again"),
            "{}",
            stdouts[i]
        );
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
    // The one that stopped finishes what remains.
    server.sandbox.set_faults(instantly_rbac::sandbox::Faults::default());
    let o = crate::support::apply_example(&server, dirs[stopped[0]].path(), "s.json", &[]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    crate::support::assert_converged(&server, dirs[0].path());
    assert_no_duplicates(&server.sandbox.state());
}
