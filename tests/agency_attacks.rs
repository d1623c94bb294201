//! What an attacker found in the agency features (issue 13's review): bases
//! outside the repository, files that are not text, the API key in an
//! error, forged saved plans of several workspaces, two files for one
//! workspace, workspace files disguised as bases, and malformed ids.

use crate::support::{OPERATOR_KEY, Test};
use instantly_rbac::sandbox::demo::WORKSPACE_ID;

const HELP: &str = "help: a base is a `.yaml` or `.yml` file named by a path relative to the file that extends it, inside the nearest folder above the workspace file that holds `.git` (else the workspace file's own folder)";

fn refused(line: &str, col: usize, name: &str, why: &str) -> String {
    let caret = format!("{}{}", " ".repeat(col - 1), "^".repeat(name.len()));
    format!(
        "error: the base `{name}` is refused: {why}\n --> d/w.yaml:2:{col}\n  |\n2 | {line}\n  | {caret}\n  |\n{HELP}\n\n"
    )
}

#[test]
fn bases_outside_the_root_or_not_yaml_are_refused_without_quoting_them() {
    let line = "extends: [/proc/self/environ, ../out/_o.yaml, _env.txt, _missing.yaml, _nul.yaml]";
    let t = Test::new()
        .file("out/_o.yaml", "secret: from outside\n")
        .file("d/_env.txt", "INSTANTLY_API_KEY=sbx_x\n")
        .file("d/_nul.yaml", "PATH=/bin\0INSTANTLY_API_KEY=sbx_x\0")
        .file("d/w.yaml", &format!("version: 1\n{line}\n"));
    let expected = [
        refused(line, 11, "/proc/self/environ", "it is an absolute path"),
        refused(line, 31, "../out/_o.yaml", "it is outside the folder bases must be in"),
        refused(line, 47, "_env.txt", "its name does not end in `.yaml` or `.yml`"),
        refused(line, 57, "_missing.yaml", "it cannot be read (no such file)"),
        "error: the file is not text: it holds a NUL byte (byte 10)\n--> d/_nul.yaml\n |\nhelp: a base is a YAML file saved as UTF-8\n\n".to_owned(),
        "error: 5 errors in d/w.yaml\n".to_owned(),
    ]
    .concat();
    t.args(&["validate", "-f", "d/w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(&expected);
}

#[test]
fn a_repository_is_the_root_so_bases_may_be_shared_across_its_folders() {
    let t = Test::new()
        .file("repo/.git/HEAD", "ref: refs/heads/main\n")
        .file(
            "repo/shared/_staff.yaml",
            "version: 1\nmembers:\n  - email: alice@acme.com\n    role: admin\n",
        )
        .file(
            "repo/clients/w.yaml",
            "version: 1\nextends: [../shared/_staff.yaml]\n",
        )
        .file("_above.yaml", "version: 1\n")
        .file(
            "repo/clients/x.yaml",
            "version: 1\nextends: [../../_above.yaml]\n",
        );
    t.args(&["validate", "-f", "repo/clients/w.yaml", "-f", "repo/clients/x.yaml"])
        .run()
        .status(1)
        .stdout("repo/clients/w.yaml: valid\n")
        .stderr(&format!(
            "error: the base `../../_above.yaml` is refused: it is outside the folder bases must be in\n --> repo/clients/x.yaml:2:11\n  |\n2 | extends: [../../_above.yaml]\n  |           ^^^^^^^^^^^^^^^^^\n  |\n{HELP}\n\nerror: 1 error in repo/clients/x.yaml\n"
        ));
}

#[cfg(unix)]
#[test]
fn links_out_of_the_directory_are_refused_and_never_read() {
    let t = Test::new()
        .file("d/w.yaml", "version: 1\nextends: [_link.yaml]\n")
        .file("secret.yaml", "version: 1\n");
    std::os::unix::fs::symlink("/etc/passwd", t.dir.path().join("d/evil.yaml")).unwrap();
    let ran = t
        .args(&["validate", "-f", "d"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: d/evil.yaml is a symbolic link to a file outside the directory (or the repository holding it); such links are refused, not read: copy the file in instead\n");
    // A base that is a link to a YAML file out of the root: refused too.
    std::fs::remove_file(ran.path("d/evil.yaml")).unwrap();
    std::os::unix::fs::symlink(ran.path("secret.yaml"), ran.path("d/_link.yaml")).unwrap();
    let line = "extends: [_link.yaml]";
    ran.again(&["validate", "-f", "d/w.yaml"])
        .status(1)
        .stdout("")
        .stderr(&format!(
            "{}error: 1 error in d/w.yaml\n",
            refused(
                line,
                11,
                "_link.yaml",
                "it is outside the folder bases must be in"
            )
        ));
}

#[test]
fn a_workspace_file_that_is_not_text_is_described_not_quoted() {
    Test::new()
        .file("w.yaml", "version: 1\n\0INSTANTLY_API_KEY=sbx_x\n")
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: the file is not text: it holds a NUL byte (byte 12)\n--> w.yaml\n |\nhelp: a desired-state file is YAML saved as UTF-8\n\nerror: 1 error in w.yaml\n");
}

#[test]
fn the_api_key_never_appears_in_an_error_whatever_file_it_quotes() {
    let base =
        format!("version: 1\nmembers: {OPERATOR_KEY} INSTANTLY_API_KEY=\"sbx_other 42\" x\n");
    let expected = "error: `members` must be a list, found a string
 --> d/_k.yaml:2:10
  |
2 | members: [redacted] INSTANTLY_API_KEY=\"[redacted]\" x
  |          ^
  |
help: write `members` as a list

";
    let ran = Test::new()
        .file("d/_k.yaml", &base)
        .file(
            "d/w.yaml",
            &format!("version: 1\nextends: [_k.yaml]\nworkspace:\n  id: {WORKSPACE_ID}\n"),
        )
        .env("INSTANTLY_API_KEY", OPERATOR_KEY)
        .args(&["validate", "-f", "d/w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(&format!("{expected}error: 1 error in d/w.yaml\n"));
    // A PR comment too (a directory's Markdown plan), with the key given
    // on the command line.
    let ran = ran.again(&[
        "--sandbox",
        "--api-key",
        OPERATOR_KEY,
        "plan",
        "-f",
        "d",
        "--format",
        "markdown",
    ]);
    assert!(!ran.output.stdout.contains("sbx_"), "{}", ran.output.stdout);
    assert!(
        ran.output.stdout.contains(expected),
        "{}",
        ran.output.stdout
    );
}

mod saved_plans {
    use crate::directories::{CLIENT_ONE, CLIENT_TWO, agency};
    use crate::support::Test;
    use instantly_rbac::saved_plan::sha256_hex;
    use serde_json::Value;

    fn client(id: &str, members: &[&str]) -> String {
        let members: String = members
            .iter()
            .map(|m| format!("  - email: {m}\n    role: view\n"))
            .collect();
        format!(
            "version: 1\nworkspace:\n  id: {id}\nmembers:\n{members}policy:\n  members: additive\n  api_keys: additive\n  tags: additive\n"
        )
    }

    /// A reviewed plan of two clients, each inviting people.
    fn planned() -> crate::support::Ran {
        Test::new()
            .file(
                "ws/one.yaml",
                &client(CLIENT_ONE, &["a1@acme.com", "b1@acme.com"]),
            )
            .file("ws/two.yaml", &client(CLIENT_TWO, &["a2@acme.com"]))
            .sandbox(agency())
            .args(&["plan", "-f", "ws", "--out", "p.json", "-q"])
            .run()
            .status(0)
    }

    fn edit(ran: &crate::support::Ran, resign: bool, f: impl FnOnce(&mut Value)) {
        let path = ran.path("p.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut v);
        if resign {
            // What a forger who read the source would do.
            let text =
                serde_json::to_string(&(&v["workspaces"], &v["failed"], &v["inputs"], &v["shard"]))
                    .unwrap();
            v["sha256"] = sha256_hex(text.as_bytes()).into();
        }
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    #[test]
    fn an_entry_edited_by_hand_refuses_the_whole_plan() {
        let ran = planned();
        edit(&ran, false, |v| {
            v["workspaces"][0]["plan"]["plan"]["actions"]
                .as_array_mut()
                .unwrap()
                .reverse();
        });
        ran.again(&["apply", "p.json", "-q"])
            .status(1)
            .stdout("")
            .stderr("error: p.json is not a plan file written by `instantly-rbac plan --out`: its entries changed after `plan --out` wrote it (their digest does not match); nothing was changed: run plan --out again and review it\n")
            .unchanged();
    }

    #[test]
    fn a_duplicated_entry_is_refused_even_with_its_digest_recomputed() {
        let ran = planned();
        edit(&ran, true, |v| {
            let first = v["workspaces"][0].clone();
            v["workspaces"].as_array_mut().unwrap().push(first);
        });
        ran.again(&["apply", "p.json", "-q"])
            .status(1)
            .stdout("")
            .stderr("error: p.json is not a plan file written by `instantly-rbac plan --out`: it has two entries for ws/one.yaml or its workspace; nothing was changed\n")
            .unchanged();
    }

    #[test]
    fn a_workspace_dropped_with_the_digest_recomputed_refuses_the_plan() {
        let ran = planned();
        edit(&ran, true, |v| {
            v["workspaces"].as_array_mut().unwrap().remove(1);
        });
        let ran = ran
            .again(&["apply", "p.json", "-q"])
            .status(1)
            .stdout("")
            .stderr("error: p.json: it leaves out ws/two.yaml, which `-f ws` covers (a workspace dropped from the plan, or a file added since); a reviewed plan is applied whole or not at all, so nothing was changed: run plan --out again and review it\n")
            .unchanged();
        // Nor may what it covers be edited without its digest.
        edit(&ran, false, |v| {
            v["inputs"] = serde_json::json!(["ws/one.yaml"]);
        });
        let ran = ran
            .again(&["apply", "p.json", "-q"])
            .status(1)
            .stdout("")
            .stderr("error: p.json is not a plan file written by `instantly-rbac plan --out`: its entries changed after `plan --out` wrote it (their digest does not match); nothing was changed: run plan --out again and review it\n")
            .unchanged();
        // Nor may the plan forget what it was made from.
        edit(&ran, true, |v| {
            v.as_object_mut().unwrap().remove("inputs");
        });
        let refused = ran.again(&["apply", "p.json", "-q"]).status(1).unchanged();
        assert!(
            refused.output.stderr.contains("missing field `inputs`"),
            "{}",
            refused.output.stderr
        );
    }

    #[test]
    fn a_forged_entry_with_a_recomputed_digest_stops_every_workspace() {
        let ran = planned();
        edit(&ran, true, |v| {
            v["workspaces"][0]["plan"]["plan"]["actions"]
                .as_array_mut()
                .unwrap()
                .reverse();
            v["workspaces"][1]["plan"]["plan"]["workspace"]["id"] =
                "01946416-09c9-7bef-bbc9-0000000000ff".into();
        });
        ran.again(&["apply", "p.json", "-q"])
            .status(1)
            .stdout("")
            .stderr("── ws/one.yaml ──
error: the saved plan differs from the plan of ws/one.yaml now: action 1 is member[b1@acme.com] in the plan, member[a1@acme.com] when recomputed; nothing was changed: run plan --out again and review it
── ws/two.yaml ──
error: GET /workspaces/current: 403 Forbidden: x-as-workspace: workspace 01946416-09c9-7bef-bbc9-0000000000ff is not an accepted sub-workspace of this API key's workspace (the API key lacks a scope this call needs)
error: p.json: the plan of 2 of its 2 workspaces no longer holds (ws/one.yaml, ws/two.yaml); a reviewed plan is applied whole or not at all, so nothing was changed: run plan --out again and review it
")
            .unchanged();
    }

    #[test]
    fn drift_in_one_workspace_stops_the_others_too() {
        let ran = planned();
        let mut state = ran.state.clone().unwrap();
        // Someone invites a2 by hand after the plan.
        let mut a2 = state.sub_workspaces[1].members[1].clone();
        a2.id = "m-a2".into();
        a2.email = "a2@acme.com".into();
        state.sub_workspaces[1].members.push(a2);
        state.save(&ran.path("state.json")).unwrap();
        let ran = ran.again(&["apply", "p.json", "-q"]).status(1).stdout("");
        insta::assert_snapshot!(ran.output.stderr);
        assert_eq!(ran.state.unwrap(), state);
    }
}

#[test]
fn two_files_for_one_workspace_are_both_refused_whatever_the_case_of_their_ids() {
    use crate::directories::{CLIENT_ONE, agency};
    let file = |id: &str, who: &str, role: &str| {
        format!(
            "version: 1\nworkspace:\n  id: {id}\nmembers:\n  - email: {who}\n    role: {role}\npolicy:\n  members: additive\n  api_keys: additive\n  tags: additive\n"
        )
    };
    Test::new()
        .file(
            "d/a-client.yaml",
            &file(&CLIENT_ONE.to_uppercase(), "mallory@acme.com", "admin"),
        )
        .file("d/client.yaml", &file(CLIENT_ONE, "sam@acme.com", "view"))
        .sandbox(agency())
        .args(&["apply", "-f", "d", "--auto-approve"])
        .run()
        .status(1)
        .stderr(&format!(
            "error: d/a-client.yaml is for workspace {CLIENT_ONE}, which d/client.yaml plans too: one file per workspace, so that each has one plan (and one PR comment)
error: d/client.yaml is for workspace {CLIENT_ONE}, which d/a-client.yaml plans too: one file per workspace, so that each has one plan (and one PR comment)
"
        ))
        .stdout(&format!(
            "── d/a-client.yaml ──
── d/client.yaml ──

Summary of 2 workspaces: 0 applied, 0 with nothing to do, 2 failed.
  d/a-client.yaml: failed: d/a-client.yaml is for workspace {CLIENT_ONE}, which d/client.yaml plans too: one file per workspace, so that each has one plan (and one PR comment)
  d/client.yaml: failed: d/client.yaml is for workspace {CLIENT_ONE}, which d/a-client.yaml plans too: one file per workspace, so that each has one plan (and one PR comment)
"
        ))
        .unchanged();
}

#[test]
fn sub_workspace_ids_are_uuids_and_the_own_id_is_refused_in_any_case() {
    let own = WORKSPACE_ID.to_uppercase();
    let file = format!(
        "version: 1
workspace:
  id: {WORKSPACE_ID}
workspace_group:
  sub_workspaces:
    - id: {own}
    - id: not-a-uuid
    - id: \"{{01946416-09c9-7bef-bbc9-c1e000000001}}\"
    - id: \" 01946416-09c9-7bef-bbc9-c1e000000001\"
    - id: 01946416-09C9-7BEF-BBC9-C1E000000001
    - id: 01946416-09c9-7bef-bbc9-c1e000000001
"
    );
    let help_uuid = "help: a workspace id is a UUID as the API prints it, e.g. 01946416-09c9-7bef-bbc9-c1e000000001 (no braces, no spaces)";
    let ran = Test::new()
        .file("w.yaml", &file)
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
    assert_eq!(ran.output.stderr.matches(help_uuid).count(), 3);
}

#[cfg(unix)]
#[test]
fn a_workspace_file_disguised_as_a_base_is_an_error_and_skipped_files_are_named() {
    use crate::directories::{CLIENT_ONE, CLIENT_TWO, agency};
    let client = |id: &str| {
        format!(
            "version: 1\nworkspace:\n  id: {id}\npolicy:\n  members: additive\n  api_keys: additive\n  tags: additive\n"
        )
    };
    let t = Test::new()
        .file("d/one.yaml", &client(CLIENT_ONE))
        .file("d/_two.yaml", &client(CLIENT_TWO))
        .file("d/two.YAML", &client(CLIENT_TWO))
        .sandbox(agency());
    let fifo = t.dir.path().join("d/three.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let ran = t.args(&["plan", "-f", "d"]).run().status(1);
    insta::assert_snapshot!("disguised_base_plan", ran.output.stderr);
    let ran = ran
        .again(&["apply", "-f", "d", "--auto-approve"])
        .status(1)
        .stdout("");
    insta::assert_snapshot!("disguised_base_apply", ran.output.stderr);
    ran.unchanged();
}

#[test]
fn a_single_client_file_is_planned_and_applied_through_the_agency_key() {
    use instantly_rbac::sandbox::demo_agency::demo_agency_state as demo_agency;
    let globex = "01946416-09c9-7bef-bbc9-c1e000000001";
    let file = format!(
        "version: 1\nworkspace:\n  id: {}\nmembers:\n  - email: sam@globex.com\n    role: view\npolicy:\n  members: additive\n  api_keys: additive\n  tags: additive\n",
        globex.to_uppercase()
    );
    let ran = Test::new()
        .file("globex.yaml", &file)
        .sandbox(demo_agency())
        .args(&["plan", "-f", "globex.yaml", "--format", "json"])
        .run()
        .status(0)
        .stderr("")
        .unchanged();
    let plan = ran.json();
    assert_eq!(plan["workspace"]["id"], globex);
    assert_eq!(plan["actions"][0]["address"], "member[sam@globex.com]");
    // A saved plan of it applies through the agency key too.
    let ran = ran
        .again(&["plan", "-f", "globex.yaml", "--out", "p.json", "-q"])
        .status(0)
        .again(&["apply", "p.json", "-f", "globex.yaml", "-q"])
        .status(0)
        .again(&["apply", "-f", "globex.yaml", "--auto-approve", "-q"])
        .status(0)
        .unchanged();
    let state = ran.state.clone().unwrap();
    assert!(
        state.sub_workspaces[0]
            .members
            .iter()
            .any(|m| m.email.to_string() == "sam@globex.com")
    );
    assert_eq!(state.members, demo_agency().members);
    // A workspace the key cannot reach: the guard's error, nothing changed.
    std::fs::write(
        ran.path("globex.yaml"),
        file.replace(
            &globex.to_uppercase(),
            "01946416-09c9-7bef-bbc9-0000000000ff",
        ),
    )
    .unwrap();
    ran.again(&["apply", "-f", "globex.yaml", "--auto-approve"])
        .status(1)
        .stdout("")
        .stderr(&format!("error: globex.yaml:3: the file is for workspace 01946416-09c9-7bef-bbc9-0000000000ff, but the API key reaches workspace {WORKSPACE_ID} (Acme Sales); nothing was changed\n"))
        .unchanged();
}

#[test]
fn allowed_domains_are_exact_and_addresses_cannot_route_elsewhere() {
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1
members:
  - email: eve%evil.com@acme.com
    role: admin
  - email: eve(comment)@acme.com
    role: admin
policy:
  allowed_email_domains: [\"acme.com \", \"\u{0430}cme.com\", acme.com]
",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn a_directory_that_drops_a_client_it_also_manages_is_warned_about() {
    use instantly_rbac::sandbox::demo_agency::demo_agency_state as demo_agency;
    let additive = "policy:\n  members: additive\n  api_keys: additive\n  tags: additive\n";
    let ran = Test::new()
        .file(
            "d/agency.yaml",
            &format!(
                "version: 1\nworkspace:\n  id: {WORKSPACE_ID}\nworkspace_group:\n  sub_workspaces:\n    - id: 01946416-09c9-7bef-bbc9-c1e000000002\n{additive}"
            ),
        )
        .file(
            "d/globex.yaml",
            &format!("version: 1\nworkspace:\n  id: 01946416-09c9-7bef-bbc9-c1e000000001\n{additive}"),
        )
        .sandbox(demo_agency())
        .args(&["plan", "-f", "d", "--format", "markdown"])
        .run()
        .status(0)
        .unchanged();
    assert!(
        ran.output.stdout.lines().any(|l| l == "- ⚠️ sub_workspace[Globex Outreach] is removed from the group, but d/globex.yaml in this run manages that workspace: the agency would lose the access that file needs; declare it under workspace_group, or remove d/globex.yaml"),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn workspace_ids_are_uuids_too() {
    Test::new()
        .file("w.yaml", "version: 1\nworkspace:\n  id: \"{acme}\"\n")
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: `{acme}` is not a workspace id
 --> w.yaml:3:7
  |
3 |   id: \"{acme}\"
  |       ^^^^^^^^
  |
help: a workspace id is a UUID as the API prints it, e.g. 01946416-09c9-7bef-bbc9-c1e000000001 (no braces, no spaces)

error: 1 error in w.yaml
");
}
