//! Safety rails: protected objects, deletion limits, min_admins, rotation,
//! re-invites, where secrets go, and Ctrl-C.

use crate::support::{Server, apply_example, example, run, run_at, write};
use instantly_rbac::api_types::Member;
use instantly_rbac::config_loader::parse;
use instantly_rbac::plan::{Kind, Op, Plan};
use instantly_rbac::planner::{Context, plan};
use instantly_rbac::safety::check_acks;
use instantly_rbac::sandbox::Faults;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;

fn ex() -> String {
    example().display().to_string()
}

fn plan_at(text: &str, state: &SandboxState, now: Option<i64>) -> Plan {
    let config = parse("w.yaml", text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let ctx = Context {
        auth_key_mask: Some("sbx_…cdef".into()),
        now,
        undelivered: Vec::new(),
        key_events: None,
    };
    plan(&config, &state.as_live(), &ctx).unwrap()
}

fn addresses(p: &Plan) -> Vec<String> {
    p.actions
        .iter()
        .map(|a| format!("{:?} {}", a.op, a.address))
        .collect()
}

/// The demo workspace plus `n` accepted editors.
fn with_members(n: usize) -> SandboxState {
    let mut s = demo_state();
    for i in 0..n {
        s.members.push(Member {
            id: format!("01946416-1000-7000-9000-{i:012}"),
            email: format!("rep{i:02}@acme.com").into(),
            ..s.members[4].clone()
        });
    }
    s
}

#[test]
fn protected_members_and_keys_are_never_downgraded_or_deleted() {
    let p = plan_at(
        "version: 1
roles:
  r: {role: editor, permissions: [leads.move]}
members:
  - {email: owner@acme.com, role: owner}
  - {email: alice@acme.com, role: view}
  - {email: carol@acme.com, role: r}
  - {email: bob@acme.com, role: view}
  - {email: erin@acme.com, role: view}
api_keys:
  - {name: instantly-rbac (automation), scopes: ['all:all']}
  - {name: Marketing — Analytics Read Only, scopes: ['campaigns:read', 'accounts:read']}
policy:
  tags: additive
  ignore: {members: ['*@instantly.ai']}
  protect:
    members: [alice@acme.com, CAROL@acme.com, dave@acme.com]
    api_keys: [Old Zapier, Marketing — Analytics Read Only]
",
        &demo_state(),
        None,
    );
    assert!(p.is_empty(), "{:?}", addresses(&p));
    let protected: Vec<&str> = p
        .unmanaged
        .iter()
        .filter(|u| u.why == "protected by policy.protect")
        .map(|u| u.address.as_str())
        .collect();
    assert_eq!(
        protected,
        vec![
            "api_key[Marketing — Analytics Read Only]",
            "api_key[Old Zapier]",
            "member[alice@acme.com]",
            "member[carol@acme.com]",
            "member[dave@acme.com]"
        ]
    );
    insta::assert_snapshot!(p.warnings.join("\n"));
}

#[test]
fn deletion_limits_block_and_name_the_exact_acknowledgement() {
    // 16 of 19 members: over 30%.
    let state = with_members(12);
    let p = plan_at(
        "version: 1\nmembers:\n  - {email: owner@acme.com, role: owner}\n  - {email: alice@acme.com, role: admin}\npolicy: {api_keys: additive, tags: additive, ignore: {members: ['*@instantly.ai']}}\n",
        &state,
        None,
    );
    assert_eq!(p.blocks.len(), 1);
    assert_eq!(p.blocks[0].limit, "max_delete_percent");
    assert_eq!(p.blocks[0].ack.as_deref(), Some("member=16"));
    assert!(
        check_acks(&p.actions, &p.blocks, &[])
            .unwrap_err()
            .contains("--ack-deletes member=16")
    );
    assert!(
        check_acks(&p.actions, &p.blocks, &[(Kind::Member, 15)])
            .unwrap_err()
            .contains("--ack-deletes member=15 does not match: the plan deletes 16 members;")
    );
    assert!(check_acks(&p.actions, &p.blocks, &[(Kind::Member, 16)]).is_ok());
    assert!(
        check_acks(&p.actions, &p.blocks, &[(Kind::Member, 16), (Kind::Tag, 1)]).is_err(),
        "an ack for a count not planned"
    );

    // Under 10 objects the share is not counted; the absolute limit still is.
    let p = plan_at(
        "version: 1\npolicy: {members: additive, api_keys: additive, max_deletes: 1}\n",
        &demo_state(),
        None,
    );
    assert_eq!(p.blocks.len(), 1, "{:?}", p.blocks);
    assert_eq!(p.blocks[0].limit, "max_deletes");
    assert_eq!(p.blocks[0].ack.as_deref(), Some("tag=2"));

    // Fewer admins than min_admins cannot be acknowledged.
    let p = plan_at(
        "version: 1\nmembers:\n  - {email: alice@acme.com, role: view}\npolicy: {members: additive, api_keys: additive, tags: additive, min_admins: 3}\n",
        &demo_state(),
        None,
    );
    assert_eq!(p.blocks[0].limit, "min_admins");
    assert_eq!(p.blocks[0].count, 2, "the owner and support@ remain");
    assert!(
        check_acks(&p.actions, &p.blocks, &[])
            .unwrap_err()
            .contains("fewer than policy.min_admins (3)")
    );
}

#[test]
fn rotation_due_plans_a_replacement() {
    let text = "version: 1
api_keys:
  - {name: instantly-rbac (automation), scopes: ['all:all'], rotate_after_days: 20}
  - {name: Marketing — Analytics Read Only, scopes: ['campaigns:read'], rotate_after_days: 20}
  - {name: Old Zapier, scopes: ['all:all'], rotate_after_days: 60}
policy: {members: additive, tags: additive}
";
    let now = instantly_rbac::timestamp::now();
    let p = plan_at(text, &demo_state(), Some(now));
    assert_eq!(
        addresses(&p),
        vec!["Replace api_key[Marketing — Analytics Read Only]"]
    );
    let reason = p.actions[0].reason.as_deref().unwrap();
    assert!(
        reason.starts_with("rotation due: created ")
            && reason.contains("30 days ago (rotate_after_days: 20)"),
        "{reason}"
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("due for rotation") && w.contains("automation")),
        "{:?}",
        p.warnings
    );
    assert!(
        plan_at(text, &demo_state(), None).is_empty(),
        "no clock, no rotation"
    );
}

#[test]
fn validate_warns_about_wildcard_keys_without_rotation() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "w.yaml",
        "version: 1\napi_keys:\n  - name: ci\n    scopes: [\"all:all\"]\n  - name: ok\n    scopes: [\"all:read\"]\n    rotate_after_days: 30\n",
    );
    let o = run(d.path(), &["validate", "-f", "w.yaml"], &[]);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stdout, "w.yaml: valid (2 warnings)\n",
        "W001, and W002: all:all can grant itself more"
    );
    insta::assert_snapshot!(o.stderr);
    let o = run(
        d.path(),
        &["validate", "-f", "w.yaml", "--format", "github"],
        &[],
    );
    assert!(
        o.stdout
            .contains("::warning file=w.yaml,line=3,col=11,title=W001::API key `ci`"),
        "{}",
        o.stdout
    );
}

#[test]
fn apply_refuses_blocked_plans_until_acknowledged_exactly() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::start(with_members(12));
    write(
        d.path(),
        "w.yaml",
        "version: 1\nmembers:\n  - {email: owner@acme.com, role: owner}\n  - {email: alice@acme.com, role: admin}\npolicy: {api_keys: additive, tags: additive, ignore: {members: ['*@instantly.ai']}}\n",
    );
    let o = run_at(&server, d.path(), &["plan", "-f", "w.yaml"]);
    assert!(
        o.stdout
            .contains("after review, acknowledge with: --ack-deletes member=16"),
        "{}",
        o.stdout
    );
    let state = server.sandbox.state();
    let apply = |ack: &[&str]| {
        let mut args = vec!["apply", "-f", "w.yaml", "--auto-approve"];
        args.extend_from_slice(ack);
        run_at(&server, d.path(), &args)
    };
    let o = apply(&[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("(--ack-deletes member=16)"),
        "{}",
        o.stderr
    );
    let o = apply(&["--ack-deletes", "member=15"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("--ack-deletes member=15 does not match: the plan deletes 16 members; acknowledge the count the plan shows (if it changed since it was reviewed, review it again)"),
        "{}",
        o.stderr
    );
    let o = apply(&["--ack-deletes", "members=16"]);
    assert_eq!(o.code, 1, "clap rejects an unknown kind: {}", o.stderr);
    assert_eq!(server.sandbox.state(), state, "nothing was written");
    let o = apply(&["--ack-deletes", "member=16"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(server.sandbox.state().members.len(), 3);
}

#[test]
fn reinvites_need_allow_reinvite() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    let state = server.sandbox.state();
    let o = run_at(
        &server,
        d.path(),
        &[
            "apply",
            "-f",
            &ex(),
            "--auto-approve",
            "--secrets-out",
            "s.json",
        ],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("re-invites member[carol@acme.com]")
            && o.stderr.contains("--allow-reinvite"),
        "{}",
        o.stderr
    );
    assert_eq!(server.sandbox.state(), state);
}

/// The keys of a secrets file (`{"written_by", "format_version", "keys"}`).
fn secrets_in(dir: &std::path::Path, name: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    doc["keys"].as_array().unwrap().clone()
}

#[test]
fn secrets_cmd_receives_each_new_key_and_a_failure_keeps_the_secret_safe() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::demo();
    let apply = |cmd: &str| {
        run_at(
            &server,
            p,
            &[
                "apply",
                "--allow-reinvite",
                "-f",
                &ex(),
                "--auto-approve",
                "--secrets-cmd",
                cmd,
            ],
        )
    };

    let o = apply("exit 3");
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .contains("--secrets-cmd failed (it exited with exit status: 3)"),
        "{}",
        o.stdout
    );
    let recovered: Vec<_> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| f.to_string_lossy().contains("instantly-rbac-recovered-"))
        .collect();
    assert_eq!(recovered.len(), 1);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&recovered[0]).unwrap()).unwrap();
    assert_eq!(doc["name"], "SDR — Campaign Management");
    let key = doc["key"].as_str().unwrap().to_owned();
    assert!(!o.stdout.contains(&key) && !o.stderr.contains(&key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&recovered[0])
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    let o = apply("cat >> got.jsonl; echo >> got.jsonl");
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("1 new API key secret handed to --secrets-cmd."),
        "{}",
        o.stdout
    );
    let got: Vec<serde_json::Value> = std::fs::read_to_string(p.join("got.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["name"], "Marketing — Analytics Read Only");
    assert_eq!(
        got[0]["scopes"],
        serde_json::json!(["accounts:read", "campaigns:read"])
    );
    assert!(!o.stdout.contains(got[0]["key"].as_str().unwrap()));
    let again = run_at(&server, p, &["plan", "-f", &ex(), "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "converged: {}", again.stdout);
    let names: Vec<String> = server
        .sandbox
        .state()
        .api_keys
        .iter()
        .map(|k| k.name.clone())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.as_str() == "SDR — Campaign Management")
            .count(),
        1,
        "{names:?}"
    );
}

#[test]
fn secrets_append_keeps_earlier_secrets() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    write(
        d.path(),
        "s.json",
        "[{\"name\": \"earlier\", \"id\": \"x\", \"key\": \"k\"}]\n",
    );
    let o = apply_example(&server, d.path(), "s.json", &["--secrets-append"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(d.path().join("s.json")).unwrap();
    let all: Vec<serde_json::Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a plain list stays a plain list ({e}):\n{text}"));
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["name"], "earlier");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(d.path().join("s.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
}

#[test]
fn ctrl_c_finishes_the_action_in_flight_and_a_rerun_converges() {
    interrupted_apply(libc::SIGINT, 130);
}

#[test]
fn sigterm_stops_an_apply_like_ctrl_c() {
    interrupted_apply(libc::SIGTERM, 143);
}

#[test]
fn sighup_stops_an_apply_like_ctrl_c() {
    interrupted_apply(libc::SIGHUP, 129);
}

/// An apply stopped by `signal` mid-way: the requests in flight finish,
/// nothing new starts, exit `code`; the re-run with the same secrets file
/// adds to it and converges, every new key's secret delivered once.
fn interrupted_apply(signal: i32, code: i32) {
    let (d, server, child) = apply_until_it_writes(150);
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply interrupted:"), "{stdout}");
    assert!(stdout.contains("Not attempted:\n  · "), "{stdout}");
    assert_eq!(
        stderr,
        "Interrupted: finishing the requests in flight, starting no new ones…\n"
    );

    server.sandbox.set_faults(Faults::default());
    let o = apply_example(&server, d.path(), "s1.json", &[]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(
        o.stderr,
        "note: adding to s1.json, written by an earlier run\n"
    );
    crate::support::assert_converged(&server, d.path());
    assert_eq!(
        secrets_in(d.path(), "s1.json").len(),
        2,
        "every new key's secret delivered exactly once, in the one file"
    );
}

/// The example applied from a fresh directory against the demo, every
/// request `latency_ms` slow, returned once its first write has landed:
/// the moment to interrupt it.
fn apply_until_it_writes(latency_ms: u64) -> (tempfile::TempDir, Server, std::process::Child) {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    server.sandbox.set_faults(Faults {
        latency_ms,
        ..Faults::default()
    });
    let example = ex();
    let args = [
        "apply",
        "--allow-reinvite",
        "-f",
        &example,
        "--auto-approve",
        "--secrets-out",
        "s1.json",
    ];
    let child = crate::support::spawn_at(&server, d.path(), &args);
    let before = server.sandbox.state();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.sandbox.state() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the apply never wrote"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (d, server, child)
}

/// A second Ctrl-C does not wait for the requests in flight: it exits at
/// once, as a kill would, and the next apply settles what was in flight.
#[test]
fn a_second_ctrl_c_stops_at_once_and_a_rerun_converges() {
    let (d, server, child) = apply_until_it_writes(100);
    assert!(server.sandbox.requests() > 0);
    // From now on requests are slow enough that those in flight outlive
    // both signals.
    server.sandbox.set_faults(Faults {
        latency_ms: 3000,
        ..Faults::default()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: sending signals to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr,
        "Interrupted: finishing the requests in flight, starting no new ones…
Interrupted again: stopping now, without waiting for the requests in flight; run the same apply again to settle them
"
    );
    // It did not wait for the 3 s request in flight.
    assert!(started.elapsed() < std::time::Duration::from_millis(2500));

    server.sandbox.set_faults(Faults::default());
    let o = apply_example(&server, d.path(), "s1.json", &[]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    crate::support::assert_converged(&server, d.path());
}

#[test]
fn plan_ops_for_protected_owner_and_key_stay_empty_under_authoritative_policies() {
    // The owner and the authenticating key are protected without being listed.
    let p = plan_at(
        "version: 1\npolicy: {max_delete_percent: 100, max_deletes: 100, min_admins: 0}\n",
        &demo_state(),
        None,
    );
    assert!(
        p.actions
            .iter()
            .all(|a| !a.address.contains("owner@") && !a.address.contains("automation"))
    );
    assert!(
        p.actions
            .iter()
            .any(|a| a.op == Op::Delete && a.kind == Kind::Member)
    );
}

#[cfg(unix)]
#[test]
fn a_secrets_file_behind_a_symlink_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    write(d.path(), "elsewhere.json", "[]\n");
    std::os::unix::fs::symlink(d.path().join("elsewhere.json"), d.path().join("s.json")).unwrap();
    let state = server.sandbox.state();
    for extra in [&[][..], &["--secrets-append"][..]] {
        let o = apply_example(&server, d.path(), "s.json", extra);
        assert_eq!(o.code, 1, "{extra:?}: {}", o.stdout);
        assert!(
            o.stderr.contains("cannot open the secrets file s.json"),
            "{}",
            o.stderr
        );
    }
    assert_eq!(server.sandbox.state(), state);
    assert_eq!(
        std::fs::read_to_string(d.path().join("elsewhere.json")).unwrap(),
        "[]\n"
    );
}

#[cfg(unix)]
#[test]
fn the_secrets_file_is_replaced_whole_and_a_stale_partial_file_is_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    // What a killed run could leave beside the file, or an attacker plant.
    write(d.path(), "victim.txt", "precious");
    std::os::unix::fs::symlink("victim.txt", d.path().join(".s.json.partial")).unwrap();
    let o = apply_example(&server, d.path(), "s.json", &[]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("victim.txt")).unwrap(),
        "precious"
    );
    assert!(!d.path().join(".s.json.partial").exists());
    let meta = std::fs::metadata(d.path().join("s.json")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(secrets_in(d.path(), "s.json").len(), 2);
}

#[test]
fn a_secrets_file_that_cannot_be_written_is_not_left_behind() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    let state = server.sandbox.state();
    std::fs::create_dir(d.path().join(".s.json.partial")).unwrap();
    let o = apply_example(&server, d.path(), "s.json", &[]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(
        o.stderr,
        "error: cannot open the secrets file s.json: .s.json.partial: Is a directory (os error 21)\n"
    );
    assert!(!d.path().join("s.json").exists(), "nothing left behind");
    assert_eq!(server.sandbox.state(), state, "nothing was written");
    // Cleared, the same command goes through.
    std::fs::remove_dir(d.path().join(".s.json.partial")).unwrap();
    let o = apply_example(&server, d.path(), "s.json", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}
