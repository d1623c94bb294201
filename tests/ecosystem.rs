//! The tool in its ecosystem: the JSON Schema, the man page, completions,
//! lints, structured logs, and the getting-started guide, run as written.

use crate::support::{example, run, write};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares a generated artefact with its checked-in copy; with
/// INSTANTLY_RBAC_BLESS=1 it rewrites the copy instead.
fn fresh(path: &str, generated: &str, how: &str) {
    let file = root().join(path);
    if std::env::var_os("INSTANTLY_RBAC_BLESS").is_some() {
        std::fs::write(&file, generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{path} is stale: regenerate it with `{how}` (or INSTANTLY_RBAC_BLESS=1 cargo test)"
    );
}

#[test]
fn the_schema_and_man_page_are_fresh() {
    fresh(
        "docs/schema.json",
        &instantly_rbac::config::json_schema(),
        "instantly-rbac schema > docs/schema.json",
    );
    fresh(
        "docs/instantly-rbac.1",
        &instantly_rbac::commands::generate::man_page(),
        "instantly-rbac manpage > docs/instantly-rbac.1",
    );
}

fn schema() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/schema.json")).unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).unwrap()
}

#[test]
fn examples_pass_the_loader_and_the_schema() {
    let v = schema();
    let mut files = vec![example()];
    let d = tempfile::tempdir().unwrap();
    let e = run(
        d.path(),
        &["export", "--sandbox", "-o", "exported.yaml"],
        &[],
    );
    assert_eq!(e.code, 0);
    files.push(d.path().join("exported.yaml"));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        instantly_rbac::config_loader::parse("f.yaml", &text)
            .unwrap_or_else(|e| panic!("{}", e.render(false)));
        let errors: Vec<String> = v
            .iter_errors(&as_json(&text))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
    let text = std::fs::read_to_string(example()).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../docs/schema.json\n"));
    // The schema catches what the loader catches, so editors flag it inline.
    for bad in [
        "version: 1\nmembers:\n  - {email: a@acme.com, rol: admin}\n",
        "version: 2\n",
        "version: 1\napi_keys:\n  - {name: k, scopes: [campaign:read]}\n",
        "version: 1\npolicy: {members: addative}\n",
    ] {
        assert!(!v.is_valid(&as_json(bad)), "the schema accepts:\n{bad}");
        assert!(instantly_rbac::config_loader::parse("b.yaml", bad).is_err());
    }
    // A permission this tool does not know is a warning (W007), not an
    // error: Instantly adds permissions over time.
    let unknown = "version: 1\nroles:\n  r: {role: editor, permissions: [campaigns.veiw]}\n";
    assert!(v.is_valid(&as_json(unknown)));
    assert!(instantly_rbac::config_loader::parse("u.yaml", unknown).is_ok());
    // Descriptions come from the doc comments of the config types.
    let raw = std::fs::read_to_string(root().join("docs/schema.json")).unwrap();
    assert!(raw.contains("Replace the key when it is older than this many days."));
}

#[test]
fn completions_for_every_shell() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(d.path(), &["completions", shell], &[]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(
            o.stdout.contains("instantly-rbac")
                && o.stdout.contains("validate")
                && o.stdout.contains("detailed-exitcode"),
            "{shell}"
        );
    }
    assert_eq!(run(d.path(), &["completions", "tcsh"], &[]).code, 1);
}

fn lints(yaml: &str) -> Vec<&'static str> {
    let config = instantly_rbac::config_loader::parse("w.yaml", yaml)
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    instantly_rbac::lints::lint(&config)
        .iter()
        .filter_map(|d| d.code)
        .collect()
}

#[test]
fn each_lint_fires_when_it_should_and_not_otherwise() {
    // W001: wildcard without rotation.
    assert_eq!(
        lints("version: 1\napi_keys:\n  - {name: k, scopes: ['all:read']}\n"),
        vec!["W001"]
    );
    assert!(
        lints(
            "version: 1\napi_keys:\n  - {name: k, scopes: ['all:read'], rotate_after_days: 30}\n"
        )
        .is_empty()
    );
    // W002: can grant itself more.
    assert_eq!(
        lints("version: 1\napi_keys:\n  - {name: k, scopes: ['workspace_members:update']}\n"),
        vec!["W002"]
    );
    assert!(lints("version: 1\napi_keys:\n  - {name: k, scopes: ['workspace_members:read', 'api_keys:read']}\n").is_empty());
    // W003: unused team role.
    assert_eq!(
        lints(
            "version: 1\nroles:\n  sdr: {role: editor}\nmembers:\n  - {email: a@acme.com, role: view}\n"
        ),
        vec!["W003"]
    );
    // Not in a base (no workspace, no members): its roles are for others.
    assert!(lints("version: 1\nroles:\n  sdr: {role: editor}\n").is_empty());
    assert!(lints("version: 1\nroles:\n  sdr: {role: editor}\nmembers:\n  - {email: a@acme.com, role: sdr}\n").is_empty());
    // W004: too many admins.
    let admins = "version: 1\nmembers:\n  - {email: o@acme.com, role: owner}\n  - {email: a@acme.com, role: admin}\npolicy: {max_admins: MAX}\n";
    assert_eq!(lints(&admins.replace("MAX", "1")), vec!["W004"]);
    assert!(lints(&admins.replace("MAX", "2")).is_empty());
    // W005: a tag with no assignments.
    assert_eq!(lints("version: 1\ntags:\n  - label: t\n"), vec!["W005"]);
    assert!(lints("version: 1\ntags:\n  - {label: t, campaigns: [c]}\n").is_empty());
    // W006: permissions the base role implies or cannot have.
    let role = |base: &str, perm: &str| {
        format!(
            "version: 1\nroles:\n  r: {{role: {base}, permissions: [{perm}]}}\nmembers:\n  - {{email: a@acme.com, role: r}}\n"
        )
    };
    assert_eq!(lints(&role("admin", "leads.move")), vec!["W006"]);
    assert_eq!(lints(&role("view", "campaigns.edit")), vec!["W006"]);
    assert!(lints(&role("view", "analytics.view")).is_empty());
    assert!(lints(&role("editor", "campaigns.edit")).is_empty());
}

#[test]
fn validate_lints_in_text_json_and_strict() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "w.yaml", "version: 1\ntags:\n  - label: empty\n");
    let o = run(d.path(), &["validate", "-f", "w.yaml"], &[]);
    assert_eq!(o.code, 0);
    insta::assert_snapshot!(o.stderr);
    let o = run(d.path(), &["validate", "-f", "w.yaml", "--strict"], &[]);
    assert_eq!(o.code, 1, "warnings fail under --strict");
    let o = run(
        d.path(),
        &["validate", "-f", "w.yaml", "--format", "json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v[0]["diagnostics"][0]["code"], "W005");
    assert_eq!(v[0]["diagnostics"][0]["line"], 3);
    assert_eq!(v[0]["diagnostics"][0]["severity"], "warning");
    let o = run(d.path(), &["validate", "-f", "w.yaml", "-q"], &[]);
    assert!(o.stderr.is_empty(), "quiet hides warnings: {}", o.stderr);
}

#[test]
fn structured_logs_quiet_and_colour() {
    let d = tempfile::tempdir().unwrap();
    let ex = example().display().to_string();
    let o = run(
        d.path(),
        &["plan", "--sandbox", "-f", &ex, "-v", "--log-format", "json"],
        &[],
    );
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert!(!lines.is_empty());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v.get("level").is_some() && v.get("fields").is_some(), "{l}");
    }
    let o = run(
        d.path(),
        &["plan", "--sandbox", "-f", &ex, "--color", "always"],
        &[],
    );
    assert!(
        o.stdout.contains("\x1b["),
        "--color always colours even when piped"
    );
    let o = run(
        d.path(),
        &["plan", "--sandbox", "-f", &ex, "--color", "never"],
        &[("NO_COLOR", "")],
    );
    assert!(!o.stdout.contains('\x1b'));
    let o = run(
        d.path(),
        &["plan", "--sandbox=s.json", "-f", &ex, "-q"],
        &[],
    );
    assert_eq!(o.code, 0);
    assert!(o.stderr.is_empty(), "quiet: {}", o.stderr);
}

/// Runs every `sh` block of docs/getting-started.md, in order, in an empty
/// directory, with the built binary on PATH.
#[test]
fn the_getting_started_guide_runs_as_written() {
    let d = tempfile::tempdir().unwrap();
    let stdout = crate::support::run_doc(
        &crate::support::doc("docs/getting-started.md").script,
        d.path(),
        &[],
    );
    assert!(
        stdout.contains("Plan: 0 to create, 1 to update, 0 to replace, 1 to delete."),
        "{stdout}"
    );
    assert!(
        stdout.contains("▲ escalation, high risk  member[bob@acme.com]: view -> editor"),
        "{stdout}"
    );
    assert!(
        stdout.contains("~ member[alice@acme.com]"),
        "the drift shows: {stdout}"
    );
    assert!(d.path().join("comment.md").exists());
}
