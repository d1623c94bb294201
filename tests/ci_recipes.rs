//! The CI recipes of examples/ci, run as their pipelines would run them:
//! each step's own shell text from the workflow file, the scripts it calls,
//! the built binary against a sandbox on loopback, and `gh`, `curl` and
//! `glab` replaced by recording stubs (tests/ci_stubs). What would be
//! posted, opened, updated or closed is asserted whole.

use crate::support::{OPERATOR_KEY, Server, apply_example, example};
use instantly_rbac::sandbox::demo::demo_state;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A repository checkout with the recipes' scripts in `ci/scripts`, the
/// desired file in `access/workspace.yaml`, and a sandbox holding the
/// workspace.
struct Ci {
    server: Server,
    dir: tempfile::TempDir,
}

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
    /// What the stubs recorded, in order.
    calls: String,
}

impl Ci {
    fn new(workspace: &str) -> Ci {
        let dir = tempfile::tempdir().unwrap();
        let scripts = dir.path().join("ci/scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        for entry in std::fs::read_dir(root().join("examples/ci/scripts")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, scripts.join(path.file_name().unwrap())).unwrap();
        }
        std::fs::create_dir_all(dir.path().join(".stub/answers")).unwrap();
        let ci = Ci {
            server: Server::start(demo_state()),
            dir,
        };
        ci.file("access/workspace.yaml", workspace);
        ci
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str, text: &str) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// What the stubbed API answers to a GET of `path`.
    fn answer(&self, path: &str, json: &str) {
        let name: String = path
            .chars()
            .map(|c| if "/?&=".contains(c) { '_' } else { c })
            .collect();
        self.file(&format!(".stub/answers/{name}.json"), json);
    }

    /// Runs the step `step` of `job` in the GitHub workflow, with the
    /// workflow's and the step's literal environment plus `env` (the
    /// values GitHub fills in from `${{ … }}`).
    fn github(&self, job: &str, step: &str, env: &[(&str, &str)]) -> Step {
        let flow = yaml("github-actions.yml");
        let steps = flow["jobs"][job]["steps"].as_array().unwrap();
        let found = steps
            .iter()
            .find(|s| s["name"] == step)
            .unwrap_or_else(|| panic!("no step `{step}` in job `{job}`"));
        let mut vars = literal_env(&flow["env"]);
        vars.extend(literal_env(&found["env"]));
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        vars.push(("GITHUB_REPOSITORY".into(), "acme/access".into()));
        self.run(found["run"].as_str().unwrap(), &vars)
    }

    /// Runs the script of the GitLab job `job`, with the pipeline's and the
    /// job's variables plus `env` (what GitLab sets).
    fn gitlab(&self, job: &str, env: &[(&str, &str)]) -> Step {
        let flow = yaml("gitlab-ci.yml");
        let lines: Vec<&str> = flow[job]["script"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let mut vars = literal_env(&flow["variables"]);
        vars.extend(literal_env(&flow[job]["variables"]));
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.run(&lines.join("\n"), &vars)
    }

    /// `script` in bash as CI runners start it (`-eo pipefail`), with the
    /// stubs and the binary first on PATH and nothing else inherited.
    fn run(&self, script: &str, vars: &[(String, String)]) -> Step {
        let bin = Path::new(env!("CARGO_BIN_EXE_instantly-rbac"))
            .parent()
            .unwrap();
        let path = format!(
            "{}:{}:{}",
            root().join("tests/ci_stubs").display(),
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .env("STUB_DIR", self.path(".stub"))
            .env("INSTANTLY_API_URL", self.server.url())
            .env("INSTANTLY_API_KEY", OPERATOR_KEY)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(self.path(".stub/calls")).unwrap_or_default();
        let _ = std::fs::remove_file(self.path(".stub/calls"));
        Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            calls,
        }
    }

    /// Makes the workspace what the example declares.
    fn converge(&self) {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(apply_example(&self.server, d.path(), "s.json", &[]).code, 0);
    }
}

impl Step {
    fn status(self, code: i32) -> Step {
        assert_eq!(
            self.code, code,
            "\n--- stdout\n{}\n--- stderr\n{}\n--- calls\n{}",
            self.stdout, self.stderr, self.calls
        );
        self
    }
}

fn yaml(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("examples/ci").join(name)).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The entries of an `env:` or `variables:` map that are plain values (not
/// `${{ … }}` expressions, which the test supplies).
fn literal_env(map: &serde_json::Value) -> Vec<(String, String)> {
    map.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (!v.contains("${{")).then(|| (k.clone(), v))
        })
        .collect()
}

fn example_text() -> String {
    std::fs::read_to_string(example()).unwrap()
}

const PR: &[(&str, &str)] = &[("PR_NUMBER", "12"), ("PR_LABELS", "")];
const MARKER: &str = "<!-- instantly-rbac-ci:plan:access/workspace.yaml -->";

#[test]
fn github_plan_posts_one_sticky_comment_and_updates_it_on_the_next_push() {
    let ci = Ci::new(&example_text());
    let first = ci.github("plan", "Plan and comment", PR).status(0);
    assert_eq!(first.stdout, "posted the plan of access/workspace.yaml\n");
    insta::assert_snapshot!(first.calls);
    assert!(ci.path("plan.json").exists(), "the saved plan is uploaded");

    // The next push finds its comment by the marker and edits it.
    ci.answer(
        "repos/acme/access/issues/12/comments",
        &serde_json::json!([
            {"id": 31, "body": "LGTM"},
            {"id": 55, "body": format!("{MARKER}\nan older plan")},
        ])
        .to_string(),
    );
    let again = ci.github("plan", "Plan and comment", PR).status(0);
    assert_eq!(
        again.calls,
        first.calls.replace(
            "gh api POST repos/acme/access/issues/12/comments\n",
            "gh api PATCH repos/acme/access/issues/comments/55\n"
        )
    );
}

#[test]
fn github_plan_without_changes_says_so() {
    let ci = Ci::new(&example_text());
    ci.converge();
    let step = ci.github("plan", "Plan and comment", PR).status(0);
    insta::assert_snapshot!(step.calls);
}

#[test]
fn github_plan_error_replaces_the_comment_with_the_error() {
    let ci = Ci::new(&example_text().replace("[Q4 East Outbound]", "[Q4 Weast Outbound]"));
    ci.answer(
        "repos/acme/access/issues/12/comments",
        &serde_json::json!([{"id": 55, "body": format!("{MARKER}\nthe plan before")}]).to_string(),
    );
    let step = ci.github("plan", "Plan and comment", PR).status(1);
    insta::assert_snapshot!(step.calls);
    assert!(
        step.stderr
            .starts_with("error: no campaign is named `Q4 Weast Outbound`\n"),
        "{}",
        step.stderr
    );
}

/// A plan over the deletion limits fails the check and says how to accept
/// it; acknowledged in the ack file and by a label, it passes, and the
/// merge's apply passes those acknowledgements on.
#[test]
fn github_blocked_plan_fails_until_acknowledged_then_applies() {
    let ci = Ci::new(&example_text().replace("max_deletes: 25", "max_deletes: 0"));
    let blocked = ci.github("plan", "Plan and comment", PR).status(1);
    insta::assert_snapshot!(blocked.calls);
    assert_eq!(
        blocked.stderr,
        "::error::the plan of access/workspace.yaml is blocked by deletion limits; the pull request comment says how to acknowledge it\n"
    );

    ci.file(
        ".instantly-rbac/ack",
        "# reviewed with the SDR leads: Dave left, the old team is gone\nmember=1\ntag=1\nassignment=1 # the Old-Team assignment\n",
    );
    let labels = "bug,instantly-rbac-ack:api_key=1";
    let acked = ci
        .github(
            "plan",
            "Plan and comment",
            &[("PR_NUMBER", "12"), ("PR_LABELS", labels)],
        )
        .status(0);
    assert!(
        !acked.calls.contains("Blocked: this plan fails"),
        "{}",
        acked.calls
    );
    assert!(
        acked.calls.contains("**Blocked**"),
        "the plan still shows its blocks"
    );

    ci.answer(
        "repos/acme/access/commits/abc123/pulls",
        r#"[{"number": 12}]"#,
    );
    ci.answer(
        "repos/acme/access/issues/12/labels",
        r#"[{"name": "bug"}, {"name": "instantly-rbac-ack:api_key=1"}]"#,
    );
    let applied = ci
        .github(
            "apply",
            "Apply the reviewed plan",
            &[("GITHUB_SHA", "abc123")],
        )
        .status(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 13 actions applied.\n"),
        "{}",
        applied.stdout
    );
}

#[test]
fn github_apply_stores_new_secrets_and_posts_the_result_to_the_merged_pr() {
    let ci = Ci::new(&example_text());
    ci.github("plan", "Plan and comment", PR).status(0);
    ci.answer(
        "repos/acme/access/commits/abc123/pulls",
        r#"[{"number": 12}]"#,
    );
    ci.answer("repos/acme/access/issues/12/labels", "[]");

    let output = ci.path("github_output");
    let output_var = output.display().to_string();
    let found = ci
        .github(
            "apply",
            "Find the merged pull request",
            &[("GITHUB_SHA", "abc123"), ("GITHUB_OUTPUT", &output_var)],
        )
        .status(0);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "number=12\n");
    assert_eq!(
        found.calls,
        "gh api GET repos/acme/access/commits/abc123/pulls\n"
    );

    let step = ci
        .github(
            "apply",
            "Apply the reviewed plan",
            &[("GITHUB_SHA", "abc123")],
        )
        .status(0);
    insta::assert_snapshot!(step.calls);
    assert!(
        !ci.path("new-keys.json").exists(),
        "the secrets file is gone"
    );
    for text in [&step.stdout, &step.stderr, &step.calls] {
        assert!(!text.contains("sbx_"), "a secret leaked: {text}");
    }
}

#[test]
fn github_drift_opens_one_issue_updates_it_and_closes_it_when_in_sync() {
    let ci = Ci::new(&example_text());
    let run_url = [("RUN_URL", "https://github.com/acme/access/actions/runs/99")];
    let opened = ci
        .github(
            "drift",
            "Detect drift, open, update or close the issue",
            &run_url,
        )
        .status(2);
    assert_eq!(opened.stdout, "drift: opened an issue\n");
    insta::assert_snapshot!(opened.calls);

    // The next day: the open issue (not the pull request with the same
    // marker quoted) is found and updated, not duplicated.
    let marker = "<!-- instantly-rbac-ci:drift:access/workspace.yaml -->";
    ci.answer(
        "repos/acme/access/issues?state=open&per_page=100",
        &serde_json::json!([
            {"number": 3, "pull_request": {}, "body": format!("{marker}\nquoted")},
            {"number": 9, "body": format!("{marker}\nyesterday's drift")},
        ])
        .to_string(),
    );
    let updated = ci
        .github(
            "drift",
            "Detect drift, open, update or close the issue",
            &run_url,
        )
        .status(2);
    assert_eq!(updated.stdout, "drift: updated issue #9\n");
    let body = opened
        .calls
        .split_once("  body:\n")
        .map(|(_, body)| body)
        .unwrap();
    assert_eq!(
        updated.calls,
        format!(
            "gh api GET repos/acme/access/issues?state=open&per_page=100\ngh api PATCH repos/acme/access/issues/9\n  body:\n{body}"
        )
    );

    ci.converge();
    let closed = ci
        .github(
            "drift",
            "Detect drift, open, update or close the issue",
            &run_url,
        )
        .status(0);
    assert_eq!(closed.stdout, "in sync: closed issue #9\n");
    assert_eq!(
        closed.calls,
        "gh api GET repos/acme/access/issues?state=open&per_page=100
gh api POST repos/acme/access/issues/9/comments
  body:
    | Back in sync with `access/workspace.yaml` (https://github.com/acme/access/actions/runs/99).
gh api PATCH repos/acme/access/issues/9
  state=closed
"
    );
    ci.answer("repos/acme/access/issues?state=open&per_page=100", "[]");
    let quiet = ci
        .github(
            "drift",
            "Detect drift, open, update or close the issue",
            &run_url,
        )
        .status(0);
    assert_eq!(quiet.stdout, "in sync\n");
}

const GITLAB: &[(&str, &str)] = &[
    ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
    ("CI_PROJECT_ID", "42"),
    ("CI_MERGE_REQUEST_IID", "5"),
    ("CI_MERGE_REQUEST_LABELS", ""),
    ("GITLAB_TOKEN", "glpat-not-for-logs"),
];

#[test]
fn gitlab_posts_one_mr_note_and_updates_it() {
    let ci = Ci::new(&example_text());
    let created = ci.gitlab("plan-mr", GITLAB).status(0);
    insta::assert_snapshot!(created.calls);
    ci.answer(
        "projects/42/merge_requests/5/notes?per_page=100&sort=asc",
        &serde_json::json!([
            {"id": 70, "body": "please review"},
            {"id": 77, "body": format!("{MARKER}\nthe last push's plan")},
        ])
        .to_string(),
    );
    let updated = ci.gitlab("plan-mr", GITLAB).status(0);
    assert_eq!(
        updated.calls,
        created.calls.replace(
            "curl POST https://gitlab.example.com/api/v4/projects/42/merge_requests/5/notes (",
            "curl PUT https://gitlab.example.com/api/v4/projects/42/merge_requests/5/notes/77 ("
        )
    );
    assert!(
        !created.calls.contains("glpat"),
        "the token is never logged"
    );
}

#[test]
fn gitlab_apply_passes_the_acknowledged_deletion_limits() {
    let ci = Ci::new(&example_text().replace("max_deletes: 25", "max_deletes: 0"));
    ci.gitlab("plan-mr", GITLAB).status(1);
    ci.file(".instantly-rbac/ack", "member=1\napi_key=1\n");
    // Two limits acknowledged in the file, two when running the manual job.
    let env: Vec<(&str, &str)> = GITLAB
        .iter()
        .copied()
        .chain([("ACKS", "tag=1, assignment=1")])
        .collect();
    let applied = ci.gitlab("apply", &env).status(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 13 actions applied.\n"),
        "{}",
        applied.stderr
    );
    // The new keys' secrets, created as CI/CD variables.
    insta::assert_snapshot!(applied.calls);
    assert!(
        !ci.path("new-keys.json").exists(),
        "the secrets file is gone"
    );
}

#[test]
fn gitlab_apply_stores_new_secrets_as_masked_protected_variables_not_artifacts() {
    let ci = Ci::new(&example_text());
    ci.gitlab("plan-mr", GITLAB).status(0);
    // Variables that exist already: the create is refused, they are updated.
    ci.file(
        ".stub/fail",
        "POST https://gitlab.example.com/api/v4/projects/42/variables\n",
    );
    let applied = ci.gitlab("apply", GITLAB).status(0);
    insta::assert_snapshot!(applied.calls);
    assert!(
        !ci.path("new-keys.json").exists(),
        "the secrets file is gone"
    );
    for text in [&applied.stdout, &applied.stderr, &applied.calls] {
        assert!(!text.contains("sbx_"), "a secret leaked: {text}");
        assert!(!text.contains("glpat"), "the token leaked: {text}");
    }
    let flow = yaml("gitlab-ci.yml");
    assert!(flow["apply"].get("artifacts").is_none(), "no artifact");
}

#[test]
fn the_agency_matrix_plans_its_slice() {
    let ci = Ci::new(&example_text());
    ci.file("access/clients/acme.yaml", &example_text());
    let summary = ci.path("summary.md");
    let summary_var = summary.display().to_string();
    let slice = |shard: &str, fail: &str| {
        let _ = std::fs::remove_file(&summary);
        let step = ci.github(
            "agency",
            "Plan this slice of the agency",
            &[
                ("SHARD", shard),
                ("FAIL_ON_CHANGES", fail),
                ("GITHUB_STEP_SUMMARY", &summary_var),
            ],
        );
        (step, std::fs::read_to_string(&summary).unwrap())
    };
    let (step, text) = slice("1/2", "false");
    step.status(0);
    assert!(
        text.contains("**0 in sync, 1 with changes, 0 failed.**"),
        "{text}"
    );
    let (step, text) = slice("2/2", "false");
    step.status(0);
    assert!(
        text.contains("## instantly-rbac plan: 0 workspaces"),
        "{text}"
    );
    // Scheduled: changes are drift and fail the job.
    slice("1/2", "true").0.status(2);
}

#[test]
fn secret_names_are_normalised() {
    let ci = Ci::new(&example_text());
    let name = |key: &str| {
        let step = ci.run(
            "ci/scripts/secret-name.sh \"$KEY\"",
            &[("KEY".into(), key.into())],
        );
        (step.code, step.stdout.trim_end().to_owned())
    };
    assert_eq!(
        name("SDR — Campaign Management"),
        (0, "INSTANTLY_KEY_SDR_CAMPAIGN_MANAGEMENT".into())
    );
    assert_eq!(
        name("  marketing / analytics (read-only) "),
        (0, "INSTANTLY_KEY_MARKETING_ANALYTICS_READ_ONLY".into())
    );
    assert_eq!(
        name("instantly-rbac (automation)"),
        (0, "INSTANTLY_KEY_INSTANTLY_RBAC_AUTOMATION".into())
    );
    assert_eq!(name("—— ——").0, 1);
}

/// A reviewed plan that no longer matches the workspace is refused, and the
/// refusal is what reaches the merged pull request.
#[test]
fn github_apply_failure_is_posted_to_the_merged_pr() {
    let ci = Ci::new(&example_text());
    ci.github("plan", "Plan and comment", PR).status(0);
    ci.converge();
    ci.answer(
        "repos/acme/access/commits/abc123/pulls",
        r#"[{"number": 12}]"#,
    );
    let step = ci
        .github(
            "apply",
            "Apply the reviewed plan",
            &[("GITHUB_SHA", "abc123")],
        )
        .status(1);
    let (head, body) = step.calls.split_once("  body:\n").unwrap();
    assert_eq!(
        head,
        "gh api GET repos/acme/access/commits/abc123/pulls\ngh api GET repos/acme/access/issues/12/labels\ngh api POST repos/acme/access/issues/12/comments\n"
    );
    assert!(
        body.starts_with("    | <!-- instantly-rbac-ci:apply:access/workspace.yaml -->\n    | ### instantly-rbac apply of `access/workspace.yaml`: failed (exit 1)\n    | \n    | ```\n"),
        "{body}"
    );
    assert!(body.contains("nothing was changed"), "{body}");
    assert!(!ci.path("new-keys.json").exists());
}

/// The scripts and the stubs pass shellcheck, where it is installed.
#[test]
fn the_scripts_pass_shellcheck() {
    let mut files = Vec::new();
    for dir in ["examples/ci/scripts", "tests/ci_stubs"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    match Command::new("shellcheck")
        .arg("-x")
        .args(&files)
        .current_dir(root().join("examples/ci/scripts"))
        .output()
    {
        Err(e) => println!("skipped: shellcheck is not installed ({e})"),
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}

/// The keys of one run over several workspaces may share a name: each
/// secret is then named after its workspace too, and a name two keys would
/// share stores nothing.
#[test]
fn secrets_of_several_workspaces_are_named_after_their_workspace() {
    let ci = Ci::new(&example_text());
    let key = |name: &str, id: &str, ws: &str| {
        format!(
            r#"{{"name": "{name}", "id": "k-{id}", "key": "sbx_{id}", "workspace_id": "w-{ws}", "workspace_name": "{ws}"}}"#
        )
    };
    let file = |keys: &[String]| {
        format!(
            r#"{{"written_by": "instantly-rbac", "format_version": 1, "keys": [{}]}}"#,
            keys.join(", ")
        )
    };
    ci.file(
        "keys.json",
        &file(&[
            key("Reporting", "1", "Globex Outreach"),
            key("Reporting", "2", "Initech Growth"),
        ]),
    );
    let step = ci
        .run("ci/scripts/github-store-secrets.sh keys.json", &[])
        .status(0);
    assert_eq!(
        step.calls,
        "gh secret set INSTANTLY_KEY_GLOBEX_OUTREACH_REPORTING <5 characters on stdin>\ngh secret set INSTANTLY_KEY_INITECH_GROWTH_REPORTING <5 characters on stdin>\n"
    );
    assert!(!ci.path("keys.json").exists());

    // One workspace, or a file written before keys named their workspace:
    // the names stay as they were.
    ci.file(
        "keys.json",
        r#"{"written_by": "instantly-rbac", "format_version": 1, "keys": [{"name": "Reporting", "id": "k-1", "key": "sbx_1"}]}"#,
    );
    let step = ci
        .run("ci/scripts/github-store-secrets.sh keys.json", &[])
        .status(0);
    assert_eq!(
        step.calls,
        "gh secret set INSTANTLY_KEY_REPORTING <5 characters on stdin>\n"
    );

    // Two workspaces whose names normalise alike: nothing is stored.
    let twice = file(&[
        key("Reporting", "1", "Globex"),
        key("Reporting", "2", "globex!"),
    ]);
    ci.file("keys.json", &twice);
    let step = ci
        .run("ci/scripts/github-store-secrets.sh keys.json", &[])
        .status(1);
    assert_eq!(step.calls, "");
    assert_eq!(
        step.stderr,
        "several new keys would be stored under one secret name, nothing was stored (the secrets stay in keys.json): INSTANTLY_KEY_GLOBEX_REPORTING\n"
    );
    assert_eq!(
        std::fs::read_to_string(ci.path("keys.json")).unwrap(),
        twice
    );
}

/// GitLab names the variables of several workspaces as GitHub names their
/// secrets, and a name two keys would share stores nothing.
#[test]
fn gitlab_variables_of_several_workspaces_are_named_after_their_workspace() {
    let ci = Ci::new(&example_text());
    let key = |name: &str, id: &str, ws: &str| {
        format!(
            r#"{{"name": "{name}", "id": "k-{id}", "key": "sbx_{id}", "workspace_id": "w-{ws}", "workspace_name": "{ws}"}}"#
        )
    };
    let file = |keys: &[String]| {
        format!(
            r#"{{"written_by": "instantly-rbac", "format_version": 1, "keys": [{}]}}"#,
            keys.join(", ")
        )
    };
    ci.file(
        "keys.json",
        &file(&[
            key("Reporting", "1", "Globex Outreach"),
            key("Reporting", "2", "Initech Growth"),
        ]),
    );
    let env: Vec<(String, String)> = GITLAB
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let step = ci
        .run("ci/scripts/gitlab-store-secrets.sh keys.json", &env)
        .status(0);
    let created: Vec<&str> = step
        .calls
        .lines()
        .filter(|l| l.starts_with("  key="))
        .collect();
    assert_eq!(
        created,
        [
            "  key=INSTANTLY_KEY_GLOBEX_OUTREACH_REPORTING",
            "  key=INSTANTLY_KEY_INITECH_GROWTH_REPORTING"
        ]
    );
    assert!(!step.calls.contains("sbx_"), "{}", step.calls);
    assert!(!ci.path("keys.json").exists());

    let twice = file(&[
        key("Reporting", "1", "Globex"),
        key("Reporting", "2", "globex!"),
    ]);
    ci.file("keys.json", &twice);
    let step = ci
        .run("ci/scripts/gitlab-store-secrets.sh keys.json", &env)
        .status(1);
    assert_eq!(step.calls, "");
    assert_eq!(
        step.stderr,
        "several new keys would be stored under one variable name, nothing was stored (the secrets stay in keys.json): INSTANTLY_KEY_GLOBEX_REPORTING\n"
    );
    assert_eq!(
        std::fs::read_to_string(ci.path("keys.json")).unwrap(),
        twice
    );
}
