//! The real binary against the sandbox over loopback HTTP.

use crate::support::{Server, apply_example, example, run, run_at, write};
use instantly_rbac::sandbox::Faults;
use std::collections::BTreeSet;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn ex() -> String {
    example().display().to_string()
}

#[test]
fn plan_against_the_demo_sandbox() {
    let d = tmp();
    let o = run(d.path(), &["plan", "--sandbox", "-f", &ex()], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains('\x1b'), "no colour when piped");
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn detailed_exitcode_and_json() {
    let d = tmp();
    let o = run(
        d.path(),
        &[
            "plan",
            "--sandbox",
            "-f",
            &ex(),
            "--format",
            "json",
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["format_version"], "1");
    assert_eq!(v["workspace"]["name"], "Acme Sales");
    assert_eq!(v["summary"]["replace"], 2);
    let actions = v["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 13);
    let first = &actions[0];
    for field in ["address", "kind", "op", "before", "after", "reason"] {
        assert!(first.get(field).is_some(), "field {field} in {first}");
    }
    assert!(!o.stdout.contains("sbx_demo"), "no secret in a plan");
}

#[test]
fn apply_then_plan_shows_no_changes_and_export_round_trips() {
    let d = tmp();
    let p = d.path();
    let o = run(
        p,
        &[
            "apply",
            "--allow-reinvite",
            "--sandbox=state.json",
            "-f",
            &ex(),
            "--auto-approve",
            "--secrets-out",
            "secrets.json",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("Apply complete: 13 actions applied."),
        "{}",
        o.stdout
    );

    // The secrets file holds every created key, readable by its owner only.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("secrets.json")).unwrap()).unwrap();
    assert_eq!(doc["written_by"], "instantly-rbac");
    assert_eq!(doc["format_version"], 1);
    let secrets = doc["keys"].as_array().unwrap();
    let names: BTreeSet<&str> = secrets
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "Marketing — Analytics Read Only",
            "SDR — Campaign Management"
        ])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for s in secrets {
        let key = s["key"].as_str().unwrap();
        assert!(key.len() > 20);
        assert!(
            !o.stdout.contains(key) && !o.stderr.contains(key),
            "a secret leaked into the output"
        );
    }

    let again = run(
        p,
        &[
            "plan",
            "--sandbox=state.json",
            "-f",
            &ex(),
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(again.stdout.contains("No changes."));

    let e = run(
        p,
        &["export", "--sandbox=state.json", "-o", "exported.yaml"],
        &[],
    );
    assert_eq!(e.code, 0, "{}", e.stderr);
    let round = run(
        p,
        &[
            "plan",
            "--sandbox=state.json",
            "-f",
            "exported.yaml",
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(round.code, 0, "{}", round.stdout);
    let valid = run(p, &["validate", "-f", "exported.yaml"], &[]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);
}

#[test]
fn export_of_the_demo_plans_nothing() {
    let d = tmp();
    let e = run(d.path(), &["export", "--sandbox"], &[]);
    assert_eq!(e.code, 0, "{}", e.stderr);
    write(d.path(), "demo.yaml", &e.stdout);
    let o = run(
        d.path(),
        &[
            "plan",
            "--sandbox",
            "-f",
            "demo.yaml",
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stdout);
}

#[test]
fn a_failure_midway_leaves_a_plan_of_exactly_the_remainder() {
    let d = tmp();
    let server = Server::demo();
    let before = run_at(
        &server,
        d.path(),
        &["plan", "-f", &ex(), "--format", "json"],
    );
    let all: Vec<String> =
        serde_json::from_str::<serde_json::Value>(&before.stdout).unwrap()["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["address"].as_str().unwrap().to_owned())
            .collect();
    server.sandbox.set_faults(Faults {
        fail_write: Some(5),
        ..Faults::default()
    });
    let o = apply_example(&server, d.path(), "s.json", &[]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("Apply failed:"), "{}", o.stdout);
    assert!(
        o.stdout.contains("400 Bad Request: Injected failure"),
        "{}",
        o.stdout
    );
    let section = |name: &str| -> BTreeSet<String> {
        let start = o.stdout.find(&format!("{name}:\n")).unwrap() + name.len() + 2;
        o.stdout[start..]
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| {
                l.trim_start()
                    .split_once(' ')
                    .unwrap()
                    .1
                    .split(": ")
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let (applied, failed, skipped) = (
        section("Applied"),
        section("Failed"),
        section("Not attempted"),
    );
    assert_eq!(applied.len() + failed.len() + skipped.len(), all.len());
    assert!(!failed.is_empty() && !applied.is_empty());

    server.sandbox.set_faults(Faults::default());
    let after = run_at(
        &server,
        d.path(),
        &["plan", "-f", &ex(), "--format", "json"],
    );
    let remaining: BTreeSet<String> = serde_json::from_str::<serde_json::Value>(&after.stdout)
        .unwrap()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["address"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = failed.union(&skipped).cloned().collect();
    assert_eq!(remaining, expected);

    // A second secrets file: the first one is never overwritten.
    let o = apply_example(&server, d.path(), "s2.json", &[]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    crate::support::assert_converged(&server, d.path());
}

#[test]
fn validate_offline_and_for_github() {
    let d = tmp();
    let o = run(d.path(), &["validate", "-f", &ex()], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    write(
        d.path(),
        "bad.yaml",
        "version: 1\nmembers:\n  - email: a@acme.com\n    role: admn\n",
    );
    let o = run(d.path(), &["validate", "-f", "bad.yaml"], &[]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("bad.yaml:4:11"), "{}", o.stderr);
    let o = run(
        d.path(),
        &["validate", "-f", "bad.yaml", "--format", "github"],
        &[],
    );
    assert_eq!(o.code, 1);
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn plan_diff_shows_the_workspace_before_and_after() {
    let d = tmp();
    let o = run(d.path(), &["plan", "--sandbox", "-f", &ex(), "--diff"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let diff = &o.stdout[o.stdout.find("--- live").expect("a unified diff")..];
    insta::assert_snapshot!(diff);
}

#[test]
fn secrets_stay_out_of_trace_logs() {
    let d = tmp();
    let o = run(
        d.path(),
        &[
            "apply",
            "--allow-reinvite",
            "--sandbox=st.json",
            "-f",
            &ex(),
            "--auto-approve",
            "--secrets-out",
            "s.json",
            "-vvv",
        ],
        &[("RUST_LOG", "trace")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.len() > 1000, "trace logs were written");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("s.json")).unwrap()).unwrap();
    let secrets = doc["keys"].as_array().unwrap();
    let mut keys: Vec<String> = secrets
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_owned())
        .collect();
    keys.push(crate::support::OPERATOR_KEY.to_owned());
    for k in keys {
        assert!(
            !o.stderr.contains(&k) && !o.stdout.contains(&k),
            "secret in output"
        );
    }
}

#[test]
fn the_sandbox_command_serves_a_state_file_and_persists_changes() {
    let d = tmp();
    let (mut child, url) = crate::support::start_sandbox_command(d.path(), &["--port", "0"]);
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v2"),
        "{url}"
    );
    let env = [
        ("INSTANTLY_API_URL", url.as_str()),
        ("INSTANTLY_API_KEY", crate::support::OPERATOR_KEY),
    ];
    let o = run(
        d.path(),
        &[
            "apply",
            "--allow-reinvite",
            "-f",
            &ex(),
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ],
        &env,
    );
    let again = run(
        d.path(),
        &["plan", "-f", &ex(), "--detailed-exitcode"],
        &env,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(again.code, 0, "{}", again.stdout);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("st.json")).unwrap()).unwrap();
    let emails: Vec<&str> = state["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&"frank@acme.com") && !emails.contains(&"dave@acme.com"),
        "{emails:?}"
    );
}

/// The confirmation prompt needs a terminal; util-linux `script` provides one.
#[test]
fn apply_asks_for_yes_on_a_terminal() {
    let script = std::path::Path::new("/usr/bin/script");
    assert!(
        script.exists(),
        "util-linux `script` is needed to test the prompt"
    );
    let d = tmp();
    let bin = env!("CARGO_BIN_EXE_instantly-rbac");
    let attempt = |answer: &str, state: &str| {
        let cmd = format!(
            "{bin} apply --allow-reinvite --sandbox={state} -f {} --secrets-out {state}.secrets",
            ex()
        );
        let mut child = std::process::Command::new(script)
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let no = attempt("no", "a.json");
    assert!(
        no.contains("Only 'yes' is accepted") && no.contains("Apply cancelled"),
        "{no}"
    );
    let yes = attempt("yes", "b.json");
    assert!(yes.contains("Apply complete: 13 actions applied."), "{yes}");
    let plan = run(
        d.path(),
        &[
            "plan",
            "--sandbox=a.json",
            "-f",
            &ex(),
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(plan.code, 2, "the cancelled apply changed nothing");
}

#[test]
fn export_says_what_a_file_cannot_express() {
    let d = tmp();
    let mut state = instantly_rbac::sandbox::demo::demo_state();
    state.members[5].role = "client".into(); // support@instantly.ai
    let mut twin = state.api_keys[2].clone();
    twin.id = "01946416-3000-7000-8000-000000000099".into();
    state.api_keys.push(twin); // a second "Old Zapier"
    state.save(&d.path().join("st.json")).unwrap();
    let o = run(d.path(), &["export", "--sandbox=st.json"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("support@instantly.ai has the `client` role"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("two API keys are named `Old Zapier`"),
        "{}",
        o.stderr
    );
    assert!(
        o.stdout
            .contains("ignore:\n    members:\n    - support@instantly.ai"),
        "{}",
        o.stdout
    );
}

#[test]
fn flags_that_do_not_fit_together_are_refused() {
    let d = tmp();
    let ex = ex();
    write(
        d.path(),
        "other.yaml",
        "version: 1\nworkspace: {id: 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a}\n",
    );
    let o = run(
        d.path(),
        &["plan", "--sandbox", "-f", &ex, "-f", "other.yaml", "--diff"],
        &[],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("--diff shows one workspace"),
        "{}",
        o.stderr
    );
    let o = run(d.path(), &["apply", "p.json", "--auto-approve"], &[]);
    assert_eq!(
        o.code, 1,
        "a saved plan was reviewed: --auto-approve does not apply to it (a usage error)"
    );
    assert!(o.stderr.contains("cannot be used with"), "{}", o.stderr);
    let o = run(
        d.path(),
        &[
            "apply",
            "--sandbox",
            "-f",
            &ex,
            "--secrets-out",
            "a.json",
            "--secrets-cmd",
            "cat",
        ],
        &[],
    );
    assert_eq!(o.code, 1, "a usage error");
    let o = run(
        d.path(),
        &["sandbox", "--state", "s.json", "--fault-rate", "1.5"],
        &[],
    );
    assert_eq!(o.code, 1, "a usage error");
    assert!(o.stderr.contains("a share from 0 to 1"), "{}", o.stderr);
}
