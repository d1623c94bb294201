//! What people see when their file is wrong: one snapshot per class of error.

use instantly_rbac::config_loader::parse;

fn errors(text: &str) -> String {
    match parse("workspace.yaml", text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.render(false),
    }
}

#[test]
fn unknown_field_suggests_the_right_one() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: a@acme.com\n    rol: admin\n"
    ));
}

#[test]
fn unknown_top_level_field() {
    insta::assert_snapshot!(errors("version: 1\napi-keys: []\n"));
}

#[test]
fn duplicate_mapping_key() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: a@acme.com\n    role: admin\n    role: view\n"
    ));
}

#[test]
fn wrong_types() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers: {alice: admin}\ntags:\n  - label: [x]\n    campaigns: Q4\n"
    ));
}

#[test]
fn strict_booleans_are_not_strings() {
    insta::assert_snapshot!(errors(
        "version: 1\napi_keys:\n  - name: true\n    scopes: [campaigns:read]\n"
    ));
}

#[test]
fn invalid_role_names_the_valid_ones() {
    insta::assert_snapshot!(errors(
        "version: 1\nroles:\n  sdr: {role: editor, permissions: [leads.move]}\nmembers:\n  - email: a@acme.com\n    role: admn\n"
    ));
}

#[test]
fn undefined_team_role() {
    insta::assert_snapshot!(errors(
        "version: 1\nroles:\n  sdr: {role: editor}\n  manager: {role: admin}\nmembers:\n  - email: a@acme.com\n    role: closer\n"
    ));
}

#[test]
fn invalid_scopes() {
    insta::assert_snapshot!(errors(
        "version: 1\napi_keys:\n  - name: k\n    scopes: [campaign:read, leads:write, email_verifications:delete, everything]\n"
    ));
}

#[test]
/// An unknown permission is no error (lint W007 warns): the list grows.
fn invalid_base_role_but_an_unknown_permission_is_kept() {
    insta::assert_snapshot!(errors(
        "version: 1\nroles:\n  sdr:\n    role: owner\n    permissions: [campaigns.veiw]\n  admin:\n    role: admin\n"
    ));
}

#[test]
fn invalid_emails() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: alice-at-acme.com\n    role: admin\ntags:\n  - label: t\n    accounts: [west1]\n"
    ));
}

#[test]
fn duplicates_members_keys_tags() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: alice@acme.com\n    role: admin\n  - email: Alice@ACME.com\n    role: view\napi_keys:\n  - name: k\n    scopes: [all:read]\n  - name: k\n    scopes: [all:read]\ntags:\n  - label: t\n  - label: t\n    campaigns: [a, a]\n"
    ));
}

#[test]
fn version_missing_and_unsupported() {
    insta::assert_snapshot!("missing", errors("members: []\n"));
    insta::assert_snapshot!("unsupported", errors("version: 2\n"));
}

#[test]
fn policy_errors() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: bot@instantly.ai\n    role: view\npolicy:\n  members: addative\n  ignore:\n    members: ['*@instantly.ai']\n    tags: ['[unclosed']\n"
    ));
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(errors(
        "version: 1\nmembers:\n  - email: a@acme.com\n   role: [admin\n"
    ));
}

#[test]
fn every_error_is_reported_in_one_run() {
    let text = "version: 1\nmembers:\n  - email: nope\n    role: boss\napi_keys:\n  - name: k\n    scopes: [x:y]\ntags:\n  - label: t\n    colour: red\n";
    let e = parse("w.yaml", text).unwrap_err();
    assert_eq!(e.errors.len(), 4, "{}", e.render(false));
}

#[test]
fn the_example_is_valid() {
    let text = std::fs::read_to_string(crate::support::example()).unwrap();
    let c = parse("examples/workspace.yaml", &text).unwrap();
    assert_eq!(c.roles.len(), 2);
    assert!(!c.tags.is_empty() && !c.api_keys.is_empty());
}

#[test]
fn an_empty_file_needs_a_version() {
    insta::assert_snapshot!(errors("# nothing yet\n"));
}
