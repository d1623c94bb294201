//! Team role names survive: plans name them, JSON carries them, and
//! `export --like FILE` writes the workspace in FILE's words.

use crate::support::{Test, example};
use instantly_rbac::config::Config;
use instantly_rbac::sandbox::demo::demo_state;

#[test]
fn json_plans_carry_the_team_role_before_and_after() {
    let example = example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&["plan", "-f", &example, "--format", "json"])
        .run()
        .status(0)
        .unchanged();
    let v = ran.json();
    let action = |address: &str| {
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == address)
            .unwrap()
            .clone()
    };
    let carol = action("member[carol@acme.com]");
    // Live, carol is `editor + [campaigns.view]`: no team role of the file.
    assert_eq!(carol["before"]["team_role"], serde_json::Value::Null);
    assert_eq!(carol["after"]["team_role"], "sdr");
    assert_eq!(
        action("member[frank@acme.com]")["after"]["team_role"],
        "analyst"
    );
    // A built-in role is no team role.
    assert_eq!(
        action("member[bob@acme.com]")["after"].get("team_role"),
        None
    );
}

#[test]
fn text_plans_name_the_team_role_and_what_it_stands_for() {
    // carol already is the file's `sdr`, and only her nickname changes:
    // both sides are named.
    let file = "version: 1
policy: {members: additive, api_keys: additive, tags: additive}
roles:
  sdr: {role: editor, permissions: [campaigns.view]}
  lead: {role: editor, permissions: [campaigns.view, leads.move]}
members:
  - email: carol@acme.com
    role: lead
";
    let ran = Test::new()
        .file("w.yaml", file)
        .sandbox(demo_state())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(0);
    let out = &ran.output.stdout;
    assert!(
        out.contains(
            "  -/+ member[carol@acme.com]  (high risk)
      # permissions cannot be changed in place (PATCH takes only the role): the member is removed and re-invited, and has no access until they accept
      role: sdr (editor + 1 permission) -> lead (editor + 2 permissions)
      permissions: [campaigns.view] -> [campaigns.view, leads.move]
      status: accepted -> invited (pending)
"
        ),
        "{out}"
    );
}

/// A file's meaning, order aside: JSON of the config with its lists sorted.
fn meaning(c: &Config) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap();
    for (list, key) in [
        ("members", "email"),
        ("api_keys", "name"),
        ("tags", "label"),
    ] {
        if let Some(items) = v[list].as_array_mut() {
            items.sort_by_key(|i| i[key].as_str().unwrap_or_default().to_owned());
        }
    }
    v
}

#[test]
fn export_like_the_example_after_applying_it_is_the_example() {
    let example = example().display().to_string();
    let ran = Test::new()
        .sandbox(demo_state())
        .args(&[
            "apply",
            "--allow-reinvite",
            "-f",
            &example,
            "--auto-approve",
            "--secrets-out",
            "secrets.json",
        ])
        .run()
        .status(0)
        .again(&["export", "--like", &example, "-o", "like.yaml"])
        .status(0)
        .again(&["plan", "-f", "like.yaml", "--detailed-exitcode"])
        .status(0);
    let exported = std::fs::read_to_string(ran.path("like.yaml")).unwrap();
    let exported = instantly_rbac::config_loader::parse("like.yaml", &exported)
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let original = instantly_rbac::config_loader::parse(
        "workspace.yaml",
        &std::fs::read_to_string(&example).unwrap(),
    )
    .unwrap();
    assert_eq!(meaning(&exported), meaning(&original));
    // Without --like: generated names, no policy of the file, no rotation.
    let plain = ran.again(&["export"]).status(0);
    assert!(
        plain.output.stdout.contains("editor-team-1"),
        "{}",
        plain.output.stdout
    );
    assert!(!plain.output.stdout.contains("rotate_after_days"));
}

#[test]
fn export_like_a_bad_file_is_a_located_error_before_any_request() {
    Test::new()
        .file("bad.yaml", "version: 1\nroles:\n  sdr: {role: superuser}\n")
        .sandbox(demo_state())
        .args(&["export", "--like", "bad.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: invalid base role `superuser` for team role `sdr`
 --> bad.yaml:3:15
  |
3 |   sdr: {role: superuser}
  |               ^^^^^^^^^
  |
help: expected one of admin, editor, view

error: 1 error in bad.yaml
",
        )
        .unchanged();
}
