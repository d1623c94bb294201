//! Allowing lints: `allow:` on an entry, `policy.allow_lints` file-wide;
//! `validate --strict` fails only on lints still shown.

use crate::support::{Test, example};

#[test]
fn the_shipped_example_passes_validate_strict() {
    let ex = example().display().to_string();
    Test::new()
        .args(&["validate", "--strict", "-f", &ex])
        .run()
        .status(0)
        .stdout(&format!("{ex}: valid\n"))
        .stderr("");
}

const FILE: &str = "version: 1
members:
  - {email: owner@acme.com, role: owner}
  - {email: a@acme.com, role: admin}
  - {email: b@acme.com, role: admin, allow: [W004]}
api_keys:
  - name: ops
    scopes: [\"all:all\"]
    allow: [W002]
tags:
  - label: Empty
policy:
  max_admins: 2
  allow_lints: [W005]
";

/// W002 is allowed on the key and W005 file-wide; `b` is an accepted admin
/// (not counted), so W004 stays quiet; W001 on the same key is still shown
/// and still fails `--strict`.
#[test]
fn allowed_lints_are_not_shown_and_do_not_fail_strict() {
    let ran = Test::new()
        .file("w.yaml", FILE)
        .args(&["validate", "--strict", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("w.yaml: fails --strict (1 warning)\n");
    insta::assert_snapshot!(ran.output.stderr);
    // Allow W001 too, and the file passes.
    Test::new()
        .file(
            "w.yaml",
            &FILE.replace("allow: [W002]", "allow: [W002, W001]"),
        )
        .args(&["validate", "--strict", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
    // Without its allow, `b` counts: three admins, one more than allowed.
    let ran = Test::new()
        .file(
            "w.yaml",
            &FILE
                .replace(", allow: [W004]", "")
                .replace("allow: [W002]", "allow: [W002, W001]"),
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(0);
    assert!(
        ran.output.stderr.starts_with(
            "warning[W004]: 3 admins (the owner counts), more than policy.max_admins (2)\n"
        ),
        "{}",
        ran.output.stderr
    );
}

#[test]
fn an_unknown_lint_code_is_a_located_error() {
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\napi_keys:\n  - name: ops\n    scopes: [campaigns:read]\n    allow: [W01]\npolicy:\n  allow_lints: [E001, W003]\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

/// W007 allowed file-wide: neither `validate` nor `plan` shows it (a
/// permission Instantly added that this tool does not know yet).
#[test]
fn an_allowed_w007_is_not_shown_by_plan_either() {
    let file = "version: 1
policy: {members: additive, api_keys: additive, tags: additive, allow_lints: [W007]}
roles:
  sdr: {role: editor, permissions: [futureThing.manage]}
members:
  - email: frank@acme.com
    role: sdr
";
    let ran = Test::new()
        .file("w.yaml", file)
        .sandbox(instantly_rbac::sandbox::demo::demo_state())
        .args(&["validate", "--strict", "-f", "w.yaml"])
        .run()
        .status(0)
        .stdout("w.yaml: valid\n")
        .stderr("");
    let ran = ran.again(&["plan", "-f", "w.yaml"]).status(0).stderr("");
    assert!(
        ran.output.stdout.contains("+ member[frank@acme.com]")
            && !ran.output.stdout.contains("W007"),
        "{}",
        ran.output.stdout
    );
}
