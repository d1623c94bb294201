//! Pull-request and drift workflows: saved plans, drift exit codes, and the
//! CI examples that document them.

use crate::support::{OPERATOR_KEY, Server, example, run, run_at, write};
use instantly_rbac::api_types::{Member, PatchMember};
use instantly_rbac::client::Client;
use instantly_rbac::sandbox::demo::demo_state;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::Path;

const BOB: &str = "01946416-1000-7000-8000-000000000003";
const ERIN: &str = "01946416-1000-7000-8000-000000000007";

fn ex() -> String {
    example().display().to_string()
}

fn set_role(server: &Server, id: &str, role: &str) {
    let c = Client::new(
        server.url(),
        SecretString::from(OPERATOR_KEY.to_owned()),
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let body = PatchMember {
        role: Some(role.into()),
        nickname: None,
    };
    server
        .rt
        .block_on(c.patch::<_, Member>(&format!("/workspace-members/{id}"), &body))
        .unwrap();
}

fn save_plan(server: &Server, dir: &Path) {
    let o = run_at(server, dir, &["plan", "-f", &ex(), "--out", "plan.json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("Saved the plan to plan.json"),
        "{}",
        o.stderr
    );
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    assert!(!text.contains("sbx_demo"), "no secret in a plan file");
}

fn apply_saved(server: &Server, dir: &Path, secrets: &str) -> crate::support::Output {
    run_at(
        server,
        dir,
        &[
            "apply",
            "--allow-reinvite",
            "plan.json",
            "-f",
            &ex(),
            "--secrets-out",
            secrets,
        ],
    )
}

#[test]
fn a_saved_plan_is_refused_when_an_untouched_object_drifted_since() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    save_plan(&server, d.path());
    // erin is declared `view`; the plan does not touch her, but the plan of
    // the same file now would, so the saved one is no longer that plan.
    set_role(&server, ERIN, "editor");
    let before = server.sandbox.state();
    let o = apply_saved(&server, d.path(), "s.json");
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr,
        format!(
            "error: the saved plan differs from the plan of {} now: action 11 member[erin@acme.com] is recomputed but not in the plan; nothing was changed: run plan --out again and review it\n",
            ex()
        )
    );
    assert_eq!(server.sandbox.state(), before, "nothing was written");
    assert!(!d.path().join("s.json").exists());
}

#[test]
fn a_saved_plan_is_refused_when_a_touched_object_changed() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    save_plan(&server, d.path());
    set_role(&server, BOB, "admin");
    let before = server.sandbox.state();
    let o = apply_saved(&server, d.path(), "s.json");
    assert_eq!(o.code, 1);
    insta::assert_snapshot!(o.stderr);
    assert_eq!(server.sandbox.state(), before, "nothing was written");
    assert!(!d.path().join("s.json").exists());
}

#[test]
fn a_replayed_plan_is_refused_and_duplicates_nothing() {
    let d = tempfile::tempdir().unwrap();
    let server = Server::demo();
    save_plan(&server, d.path());
    assert_eq!(apply_saved(&server, d.path(), "s1.json").code, 0);
    let after_first = server.sandbox.state();
    let o = apply_saved(&server, d.path(), "s2.json");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("13 objects the saved plan touches changed"),
        "{}",
        o.stderr
    );
    let state = server.sandbox.state();
    assert_eq!(state, after_first);
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &state.api_keys {
        *names.entry(k.name.as_str()).or_default() += 1;
    }
    assert!(names.values().all(|&n| n == 1), "{names:?}");
}

#[test]
fn bad_plan_files_are_refused_before_any_write() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::demo();
    let state = server.sandbox.state();
    save_plan(&server, p);
    let good = std::fs::read_to_string(p.join("plan.json")).unwrap();

    write(p, "corrupt.json", "{\"format_version\": \"1\", \"plan\": ");
    let o = run_at(&server, p, &["apply", "corrupt.json"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("corrupt.json is not a plan file"),
        "{}",
        o.stderr
    );

    write(
        p,
        "future.json",
        &good.replacen("\"format_version\": \"2\"", "\"format_version\": \"9\"", 1),
    );
    let o = run_at(&server, p, &["apply", "future.json"]);
    assert!(o.stderr.contains("format_version \"9\""), "{}", o.stderr);

    let other = write(p, "other.yaml", "version: 1\n");
    let o = run_at(
        &server,
        p,
        &[
            "apply",
            "--allow-reinvite",
            "plan.json",
            "-f",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("different desired file"), "{}", o.stderr);

    let mut elsewhere = demo_state();
    elsewhere.workspace.id = "0194ffff-0000-7000-8000-000000000000".into();
    let second = Server::start(elsewhere);
    let o = run_at(
        &second,
        p,
        &[
            "apply",
            "--allow-reinvite",
            "plan.json",
            "--secrets-out",
            "x.json",
        ],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("is for workspace 01946416-09c9-7bef-bbc9-b8c3ac2cdb2a"),
        "{}",
        o.stderr
    );

    let o = run_at(
        &server,
        p,
        &[
            "apply",
            "--allow-reinvite",
            "plan.json",
            "--confirm",
            "--secrets-out",
            "y.json",
        ],
    );
    assert_eq!(o.code, 1, "--confirm needs a terminal to ask");
    assert_eq!(server.sandbox.state(), state, "no bad input wrote anything");
}

#[test]
fn drift_exit_codes_and_report() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::demo();
    let e = run_at(&server, p, &["export", "-o", "live.yaml"]);
    assert_eq!(e.code, 0);
    let text = std::fs::read_to_string(p.join("live.yaml")).unwrap();
    let additive = text
        .replace("  members: authoritative", "  members: additive")
        .replace("- email: dave@acme.com\n  role: editor\n", "");
    write(p, "live.yaml", &additive);
    let drift = |server: &Server| {
        run_at(
            server,
            p,
            &[
                "plan",
                "-f",
                "live.yaml",
                "--detailed-exitcode",
                "--format",
                "json",
            ],
        )
    };
    let o = drift(&server);
    assert_eq!(o.code, 0, "in sync: {}", o.stdout);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        v["unmanaged"][0]["address"], "member[dave@acme.com]",
        "undeclared under additive"
    );

    set_role(&server, BOB, "admin");
    let o = drift(&server);
    assert_eq!(o.code, 2);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["actions"][0]["address"], "member[bob@acme.com]");
    assert_eq!(
        v["actions"][0]["risk"], "low",
        "undoing a promotion reduces access"
    );
    assert_eq!(v["access_impact"][0]["change"], "reduction");

    write(p, "broken.yaml", "version: 1\nmembers: 3\n");
    let o = run_at(
        &server,
        p,
        &[
            "plan",
            "-f",
            "broken.yaml",
            "--detailed-exitcode",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1);
    let o = run(
        p,
        &[
            "plan",
            "-f",
            "live.yaml",
            "--detailed-exitcode",
            "--max-attempts",
            "1",
        ],
        &[
            ("INSTANTLY_API_URL", "http://127.0.0.1:9/api/v2"),
            ("INSTANTLY_API_KEY", OPERATOR_KEY),
        ],
    );
    assert_eq!(o.code, 1, "an unreachable API is an error, not drift");
}

/// Every `instantly-rbac …` command in a CI example, as argument lists.
fn commands(value: &serde_json::Value, out: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::String(s) => {
            for line in s.lines() {
                for part in line.split(&[';', '&'][..]).flat_map(|p| p.split("||")) {
                    let part = part
                        .trim()
                        .trim_start_matches("if ")
                        .trim_start_matches("! ")
                        .trim_start_matches("then ")
                        .trim_start_matches("exec ");
                    if let Some(rest) = part.strip_prefix("instantly-rbac ") {
                        let rest = rest.split(['>', '|']).next().unwrap();
                        out.push(
                            rest.split_whitespace()
                                // An array expansion ("${acks[@]}") holds flags given at run time.
                                .filter(|t| !t.starts_with("\"${"))
                                .map(|t| t.trim_matches('"').to_owned())
                                .collect(),
                        );
                    }
                }
            }
        }
        serde_json::Value::Array(items) => {
            if items.first().and_then(|v| v.as_str()) == Some("instantly-rbac") {
                out.push(
                    items[1..]
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().to_owned())
                        .collect(),
                );
            } else {
                items.iter().for_each(|v| commands(v, out));
            }
        }
        serde_json::Value::Object(map) => map.values().for_each(|v| commands(v, out)),
        _ => {}
    }
}

#[test]
fn ci_examples_parse_and_run_real_commands() {
    use clap::Parser;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci");
    let mut seen = 0;
    for name in ["github-actions.yml", "gitlab-ci.yml", "drift-cronjob.yaml"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let doc: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut found = Vec::new();
        commands(&doc, &mut found);
        assert!(!found.is_empty(), "{name} runs instantly-rbac");
        for args in found {
            let argv = std::iter::once("instantly-rbac".to_owned()).chain(args.iter().cloned());
            if let Err(e) = instantly_rbac::cli::Cli::try_parse_from(argv) {
                panic!(
                    "{name}: `instantly-rbac {}` does not parse:\n{e}",
                    args.join(" ")
                );
            }
            seen += 1;
        }
    }
    // The shell steps the workflows call.
    for entry in std::fs::read_dir(dir.join("scripts")).unwrap() {
        let path = entry.unwrap().path();
        // The matrix gives the slice at run time.
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"$SHARD\"", "1/4");
        let mut found = Vec::new();
        commands(&serde_json::Value::String(text), &mut found);
        for args in found {
            let argv = std::iter::once("instantly-rbac".to_owned()).chain(args.iter().cloned());
            if let Err(e) = instantly_rbac::cli::Cli::try_parse_from(argv) {
                panic!(
                    "{}: `instantly-rbac {}` does not parse:\n{e}",
                    path.display(),
                    args.join(" ")
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 8, "found {seen} commands");
}
