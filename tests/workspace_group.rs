//! The workspace group (issue 13): the sandbox as an agency, and the
//! `workspace_group:` of a workspace file planned, applied and exported.

use crate::support::*;
use instantly_rbac::group_types::GroupStatus;
use instantly_rbac::sandbox::demo_agency::{GLOBEX_ID, HOOLI_ID, INITECH_ID, demo_agency_state};
use instantly_rbac::sandbox::state::SandboxState;
use serde_json::{Value, json};

const AGENCY_ID: &str = "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a";

/// One request to the sandbox as the operator key, `x-as-workspace` when
/// given: the status and the JSON answer.
fn call(
    server: &Server,
    method: &str,
    path: &str,
    as_workspace: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    call_with(server, OPERATOR_KEY, method, path, as_workspace, body)
}

fn call_with(
    server: &Server,
    key: &str,
    method: &str,
    path: &str,
    as_workspace: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let http = reqwest::Client::builder()
        .user_agent("test/1")
        .build()
        .unwrap();
    let mut req = http
        .request(method.parse().unwrap(), format!("{}{path}", server.url()))
        .bearer_auth(key);
    if let Some(ws) = as_workspace {
        req = req.header("x-as-workspace", ws);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    server.rt.block_on(async {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    })
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or_default()
}

#[test]
fn the_group_lists_its_members_with_names_and_pages() {
    let server = Server::start(demo_agency_state());
    let (status, page) = call(
        &server,
        "GET",
        "/workspace-group-members?limit=1",
        None,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let first = &page["items"][0];
    assert_eq!(first["sub_workspace_id"], GLOBEX_ID);
    assert_eq!(first["sub_workspace_name"], "Globex Outreach");
    assert_eq!(first["admin_workspace_name"], "Acme Sales");
    assert_eq!(first["status"], "accepted");
    let cursor = page["next_starting_after"].as_str().unwrap();
    let (_, rest) = call(
        &server,
        "GET",
        &format!("/workspace-group-members?starting_after={cursor}"),
        None,
        None,
    );
    let ids: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sub_workspace_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [INITECH_ID]);
    assert!(rest.get("next_starting_after").is_none_or(Value::is_null));
    let (status, one) = call(
        &server,
        "GET",
        &format!("/workspace-group-members/{}", first["id"].as_str().unwrap()),
        None,
        None,
    );
    assert_eq!((status, &one), (200, first));
}

#[test]
fn an_invitation_is_pending_and_a_second_one_conflicts() {
    let server = Server::start(demo_agency_state());
    let invite = json!({ "sub_workspace_id": HOOLI_ID });
    let (status, row) = call(
        &server,
        "POST",
        "/workspace-group-members",
        None,
        Some(invite.clone()),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["admin_workspace_id"], AGENCY_ID);
    assert_eq!(row["sub_workspace_name"], "Hooli Leads");
    let (status, again) = call(
        &server,
        "POST",
        "/workspace-group-members",
        None,
        Some(invite),
    );
    assert_eq!(status, 409);
    assert_eq!(
        message(&again),
        "The requested workspace hierarchy conflicts with an active workspace group relationship"
    );
    // A pending invitation does not reach the workspace yet.
    let (status, err) = call(&server, "GET", "/workspaces/current", Some(HOOLI_ID), None);
    assert_eq!(status, 403);
    assert_eq!(
        message(&err),
        format!(
            "x-as-workspace: workspace {HOOLI_ID} is not an accepted sub-workspace of this API key's workspace"
        )
    );
    // Nor the agency itself, nor a member of another group, nor from a sub-workspace.
    for (as_ws, id) in [
        (None, AGENCY_ID),
        (None, GLOBEX_ID),
        (Some(GLOBEX_ID), HOOLI_ID),
    ] {
        let (status, _) = call(
            &server,
            "POST",
            "/workspace-group-members",
            as_ws,
            Some(json!({ "sub_workspace_id": id })),
        );
        assert_eq!(status, 409, "{as_ws:?} inviting {id}");
    }
}

#[test]
fn unknown_ids_and_bad_bodies_are_refused() {
    let server = Server::start(demo_agency_state());
    let unknown = "01946416-09c9-7bef-bbc9-ffffffffffff";
    let (status, _) = call(
        &server,
        "POST",
        "/workspace-group-members",
        None,
        Some(json!({ "sub_workspace_id": unknown })),
    );
    assert_eq!(status, 404);
    let (status, _) = call(
        &server,
        "POST",
        "/workspace-group-members",
        None,
        Some(json!({ "sub_workspace_id": "not-a-uuid" })),
    );
    assert_eq!(status, 400);
    for method in ["GET", "DELETE"] {
        let (status, err) = call(
            &server,
            method,
            &format!("/workspace-group-members/{unknown}"),
            None,
            None,
        );
        assert_eq!((status, message(&err)), (404, "Resource not found"));
    }
    let (status, _) = call(&server, "GET", "/workspaces/current", Some(unknown), None);
    assert_eq!(status, 403);
}

#[test]
fn deleting_a_member_ends_the_reach_and_persists() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("state.json");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = rt
        .block_on(instantly_rbac::sandbox::Sandbox::start(
            demo_agency_state(),
            Some(path.clone()),
            0,
        ))
        .unwrap();
    let server = Server { rt, sandbox };
    let (status, ws) = call(
        &server,
        "GET",
        "/workspaces/current",
        Some(INITECH_ID),
        None,
    );
    assert_eq!((status, ws["name"].as_str()), (200, Some("Initech Growth")));
    let (_, page) = call(&server, "GET", "/workspace-group-members", None, None);
    let row = page["items"][1]["id"].as_str().unwrap().to_owned();
    let (status, gone) = call(
        &server,
        "DELETE",
        &format!("/workspace-group-members/{row}"),
        None,
        None,
    );
    assert_eq!(
        (status, gone["sub_workspace_id"].as_str()),
        (200, Some(INITECH_ID))
    );
    let (status, _) = call(
        &server,
        "GET",
        "/workspaces/current",
        Some(INITECH_ID),
        None,
    );
    assert_eq!(status, 403);
    let saved = SandboxState::load(&path).unwrap();
    let rows = saved.workspace_group.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].sub_workspace_id, GLOBEX_ID);
    assert_eq!(rows[0].status, GroupStatus::Accepted);
}

#[test]
fn admin_says_whether_the_workspace_is_a_sub_workspace() {
    let server = Server::start(demo_agency_state());
    let (status, top) = call(&server, "GET", "/workspace-group-members/admin", None, None);
    assert_eq!(status, 200);
    assert_eq!(
        top,
        json!({ "workspace_name": "Acme Sales", "has_admin_workspace": false })
    );
    let (_, sub) = call(
        &server,
        "GET",
        "/workspace-group-members/admin",
        Some(GLOBEX_ID),
        None,
    );
    assert_eq!(sub["workspace_name"], "Globex Outreach");
    assert_eq!(sub["has_admin_workspace"], true);
    assert_eq!(
        sub["workspace_group_member_id"],
        "01946416-7000-7000-8000-000000000001"
    );
    // A sub-workspace administers no group of its own.
    let (_, own) = call(
        &server,
        "GET",
        "/workspace-group-members",
        Some(GLOBEX_ID),
        None,
    );
    assert_eq!(own["items"], json!([]));
}

#[test]
fn the_group_endpoints_need_their_scopes() {
    let server = Server::start(demo_agency_state());
    // The demo's read-only marketing key has campaigns:read only.
    let key = "sbx_demo_marketing_fedcba9876543210";
    for (method, path, scope) in [
        ("GET", "/workspace-group-members", "read"),
        ("GET", "/workspace-group-members/admin", "read"),
        ("POST", "/workspace-group-members", "create"),
        (
            "DELETE",
            "/workspace-group-members/01946416-7000-7000-8000-000000000001",
            "delete",
        ),
    ] {
        let body = (method == "POST").then(|| json!({ "sub_workspace_id": HOOLI_ID }));
        let (status, err) = call_with(&server, key, method, path, None, body);
        assert_eq!(
            (status, message(&err)),
            (
                403,
                format!(
                    "API key does not have the required scope: workspace_group_members:{scope}"
                )
                .as_str()
            ),
        );
    }
}

#[test]
fn a_state_written_before_groups_serves_every_sub_workspace() {
    let mut top = instantly_rbac::sandbox::demo::demo_state();
    let mut client = instantly_rbac::sandbox::demo::demo_state();
    client.workspace.id = GLOBEX_ID.into();
    client.workspace.name = "Old Client".into();
    top.sub_workspaces.push(client);
    assert!(top.workspace_group.is_none());
    let server = Server::start(top);
    let (status, ws) = call(&server, "GET", "/workspaces/current", Some(GLOBEX_ID), None);
    assert_eq!((status, ws["name"].as_str()), (200, Some("Old Client")));
    let (_, page) = call(&server, "GET", "/workspace-group-members", None, None);
    assert_eq!(page["items"][0]["status"], "accepted");
    // A single workspace's state keeps no group it never had.
    let single = Server::demo();
    call(&single, "GET", "/workspace-group-members", None, None);
    assert_eq!(single.sandbox.state().workspace_group, None);
}

// ---- Plans of `workspace_group:` through the binary ----

/// The demo agency with extra rows: `(sub-workspace id, status)`.
fn agency_with(rows: &[(&str, &str)]) -> SandboxState {
    let mut s = demo_agency_state();
    let group = s.workspace_group.get_or_insert_with(Vec::new);
    for (n, (id, status)) in rows.iter().enumerate() {
        group.push(instantly_rbac::group_types::GroupMember {
            id: format!("01946416-7000-7000-8000-0000000001{n:02}"),
            admin_workspace_id: AGENCY_ID.into(),
            sub_workspace_id: (*id).into(),
            status: GroupStatus::from((*status).to_owned()),
            timestamp_created: "2026-02-01T00:00:00.000Z".into(),
            timestamp_updated: "2026-02-01T00:00:00.000Z".into(),
            sub_workspace_name: None,
            admin_workspace_name: None,
        });
    }
    s
}

/// The agency's file: its owner, every other collection additive,
/// `policy` lines added, and `entries` under `workspace_group.sub_workspaces`.
fn agency_file(policy: &str, entries: &str) -> String {
    format!(
        "version: 1
workspace:
  id: {AGENCY_ID}
members:
  - email: owner@acme.com
    role: owner
policy:
  members: additive
  api_keys: additive
  tags: additive
{policy}workspace_group:
  sub_workspaces:{entries}
"
    )
}

const GLOBEX: &str = "
    - id: 01946416-09c9-7bef-bbc9-c1e000000001
      name: Globex Outreach";
const INITECH: &str = "
    - id: 01946416-09c9-7bef-bbc9-c1e000000002
      name: Initech Growth";
const HOOLI: &str = "
    - id: 01946416-09c9-7bef-bbc9-c1e000000003
      name: Hooli Leads";

fn in_sync() -> String {
    format!(
        "Workspace: Acme Sales ({AGENCY_ID})\n\nNo changes. The live workspace matches the file.\n\n{DEMO_LEFT_ALONE}"
    )
}

#[test]
fn a_declared_group_that_matches_plans_no_change() {
    Test::new()
        .sandbox(demo_agency_state())
        .file("a.yaml", &agency_file("", &format!("{GLOBEX}{INITECH}")))
        .args(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
        .run()
        .status(0)
        .stdout(&in_sync())
        .unchanged();
}

#[test]
fn a_missing_workspace_is_invited_an_undeclared_one_removed_a_wrong_name_warned() {
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .file(
            "a.yaml",
            &agency_file(
                "",
                &format!("{}{HOOLI}", GLOBEX.replace("Globex Outreach", "Globex")),
            ),
        )
        .args(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
        .run()
        .status(2)
        .unchanged();
    insta::assert_snapshot!(ran.output.stdout);
    let json = ran
        .again(&["plan", "-f", "a.yaml", "--format", "json"])
        .json();
    let kinds: Vec<(&str, &str, &str)> = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap(),
                a["op"].as_str().unwrap(),
                a["address"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("sub_workspace", "create", "sub_workspace[Hooli Leads]"),
            ("sub_workspace", "delete", "sub_workspace[Initech Growth]"),
        ]
    );
    assert_eq!(
        json["actions"][1]["live_id"],
        "01946416-7000-7000-8000-000000000002"
    );
}

#[test]
fn apply_invites_and_removes_then_the_plan_is_empty() {
    let file = agency_file("", &format!("{GLOBEX}{HOOLI}"));
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .file("a.yaml", &file)
        .args(&["apply", "-f", "a.yaml", "--auto-approve"])
        .run()
        .status(0);
    let rows = ran.state.as_ref().unwrap().workspace_group.clone().unwrap();
    let now: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.sub_workspace_id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(now, [(GLOBEX_ID, "accepted"), (HOOLI_ID, "pending")]);
    // The pending invitation is declared: no change, nothing written.
    ran.again(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
        .status(0)
        .stdout(&in_sync())
        .unchanged();
}

#[test]
fn a_rejected_invitation_is_replaced_only_with_allow_reinvite() {
    let file = agency_file("", &format!("{GLOBEX}{INITECH}{HOOLI}"));
    let ran = Test::new()
        .sandbox(agency_with(&[(HOOLI_ID, "rejected")]))
        .file("a.yaml", &file)
        .args(&["plan", "-f", "a.yaml"])
        .run()
        .status(0)
        .unchanged();
    insta::assert_snapshot!(ran.output.stdout);
    let ran = ran
        .again(&["apply", "-f", "a.yaml", "--auto-approve"])
        .status(1)
        .unchanged();
    assert!(
        ran.output
            .stderr
            .contains("the plan re-invites sub_workspace[Hooli Leads]"),
        "{}",
        ran.output.stderr
    );
    let ran = ran
        .again(&[
            "apply",
            "-f",
            "a.yaml",
            "--auto-approve",
            "--allow-reinvite",
        ])
        .status(0);
    let rows = ran.state.as_ref().unwrap().workspace_group.clone().unwrap();
    let hooli: Vec<&str> = rows
        .iter()
        .filter(|r| r.sub_workspace_id == HOOLI_ID)
        .map(|r| r.status.as_str())
        .collect();
    assert_eq!(
        hooli,
        ["pending"],
        "the rejected row is gone, a new one pending"
    );
    ran.again(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
        .status(0)
        .stdout(&in_sync());
}

#[test]
fn additive_and_ignored_workspaces_are_left_alone() {
    let left = |policy: &str, why: &str| {
        let ran = Test::new()
            .sandbox(demo_agency_state())
            .file("a.yaml", &agency_file(policy, GLOBEX))
            .args(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
            .run()
            .status(0)
            .unchanged();
        assert!(
            ran.output
                .stdout
                .contains(&format!("  sub_workspace[Initech Growth] ({why})\n")),
            "{}",
            ran.output.stdout
        );
    };
    left(
        "  workspace_group: additive\n",
        "not declared; policy.workspace_group is additive",
    );
    left(
        "  ignore:\n    sub_workspaces: [\"Initech*\"]\n",
        "matches policy.ignore.sub_workspaces",
    );
}

#[test]
fn removals_past_the_deletion_limit_need_their_acknowledgement() {
    let file = agency_file("  max_deletes: 1\n", " []");
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .file("a.yaml", &file)
        .args(&["plan", "-f", "a.yaml"])
        .run()
        .status(0);
    assert!(
        ran.output.stdout.contains(
            "  ⛔ max_deletes: deletes 2 sub_workspaces, more than policy.max_deletes (1)\n     after review, acknowledge with: --ack-deletes sub_workspace=2\n"
        ),
        "{}",
        ran.output.stdout
    );
    let ran = ran
        .again(&["apply", "-f", "a.yaml", "--auto-approve"])
        .status(1)
        .unchanged();
    assert!(
        ran.output.stderr.contains("--ack-deletes sub_workspace=2"),
        "{}",
        ran.output.stderr
    );
    let ran = ran
        .again(&[
            "apply",
            "-f",
            "a.yaml",
            "--auto-approve",
            "--ack-deletes",
            "sub_workspace=2",
        ])
        .status(0);
    assert_eq!(ran.state.as_ref().unwrap().workspace_group, Some(vec![]));
}

#[test]
fn a_saved_plan_is_verified_against_the_group() {
    let file = agency_file("", GLOBEX);
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .file("a.yaml", &file)
        .args(&["plan", "-f", "a.yaml", "--out", "p.json"])
        .run()
        .status(0);
    // Initech's row changes after the plan: the apply stops.
    let mut state = ran.state.clone().unwrap();
    state.workspace_group.as_mut().unwrap()[1].status = GroupStatus::Rejected;
    state.save(&ran.path("state.json")).unwrap();
    let ran = ran.again(&["apply", "p.json", "-f", "a.yaml"]).status(1);
    insta::assert_snapshot!(ran.output.stderr);
    // Planned again and unchanged since: applied.
    let ran = ran
        .again(&["plan", "-f", "a.yaml", "--out", "p.json"])
        .status(0)
        .again(&["apply", "p.json", "-f", "a.yaml"])
        .status(0);
    let rows = ran.state.unwrap().workspace_group.unwrap();
    assert_eq!(rows.len(), 1);
}

#[test]
fn plans_without_workspace_group_read_no_group() {
    let server = Server::start(demo_agency_state());
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "a.yaml",
        &agency_file("", GLOBEX)
            .replace("workspace_group:\n  sub_workspaces:", "")
            .replace(GLOBEX, ""),
    );
    let o = run_at(&server, d.path(), &["plan", "-f", "a.yaml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let endpoints = server.sandbox.requests_by_endpoint();
    assert!(
        endpoints
            .keys()
            .all(|k| !k.contains("workspace-group-members")),
        "{endpoints:?}"
    );
    write(d.path(), "b.yaml", &agency_file("", GLOBEX));
    run_at(&server, d.path(), &["plan", "-f", "b.yaml"]);
    let endpoints = server.sandbox.requests_by_endpoint();
    assert_eq!(endpoints.get("GET /workspace-group-members"), Some(&1));
    assert_eq!(
        endpoints.get("GET /workspace-group-members/admin"),
        Some(&1)
    );
}

// ---- Directories: sub-workspaces, export --all ----

#[test]
fn export_all_then_plan_the_directory_is_empty() {
    let ran = Test::new()
        .sandbox(agency_with(&[(HOOLI_ID, "rejected")]))
        .args(&["export", "--all", "-o", "ws"])
        .run()
        .status(0)
        .unchanged();
    insta::assert_snapshot!(ran.output.stderr);
    let agency = std::fs::read_to_string(ran.path("ws/acme-sales.yaml")).unwrap();
    assert!(
        agency.ends_with(
            "  ignore:
    members: []
    api_keys: []
    tags: []
    sub_workspaces:
    - 01946416-09c9-7bef-bbc9-c1e000000003
workspace_group:
  sub_workspaces:
  - id: 01946416-09c9-7bef-bbc9-c1e000000001
    name: Globex Outreach
  - id: 01946416-09c9-7bef-bbc9-c1e000000002
    name: Initech Growth
"
        ),
        "{agency}"
    );
    let ran = ran
        .again(&["plan", "-f", "ws", "--detailed-exitcode"])
        .status(0)
        .unchanged();
    assert!(
        ran.output
            .stdout
            .contains("Summary of 3 workspaces: 3 in sync, 0 with changes, 0 failed.\n"),
        "{}",
        ran.output.stdout
    );
    assert!(
        !ran.output.stdout.contains("Unmanaged"),
        "{}",
        ran.output.stdout
    );
}

#[test]
fn export_all_needs_a_directory() {
    Test::new()
        .sandbox(demo_agency_state())
        .file("ws", "a file\n")
        .args(&["export", "--all", "-o", "ws"])
        .run()
        .status(1)
        .stdout("")
        .stderr("error: ws is not a directory: `export --all` writes one file per workspace into -o DIR\n");
}

#[test]
fn an_agency_run_lists_unmanaged_and_unreachable_workspaces() {
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .args(&["export", "--all", "-o", "ws"])
        .run()
        .status(0);
    std::fs::remove_file(ran.path("ws/initech-growth.yaml")).unwrap();
    let globex = std::fs::read_to_string(ran.path("ws/globex-outreach.yaml")).unwrap();
    std::fs::write(
        ran.path("ws/hooli.yaml"),
        globex.replace(GLOBEX_ID, HOOLI_ID),
    )
    .unwrap();
    let ran = ran.again(&["plan", "-f", "ws"]).status(1).unchanged();
    insta::assert_snapshot!(ran.output.stdout);
    let json = ran.again(&["plan", "-f", "ws", "--format", "json"]).json();
    assert_eq!(
        json["agency"],
        json!({
            "unmanaged_workspaces": [{
                "id": INITECH_ID,
                "name": "Initech Growth",
                "group_member_id": "01946416-7000-7000-8000-000000000002"
            }],
            "unreachable": [{ "file": "ws/hooli.yaml", "workspace_id": HOOLI_ID }]
        })
    );
}

#[test]
fn a_sub_workspace_says_so_in_its_plan_header() {
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .args(&["export", "--all", "-o", "ws"])
        .run()
        .status(0);
    // Globex's own file declares an (empty) group of its own: the group is read.
    let path = ran.path("ws/globex-outreach.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{text}workspace_group:\n  sub_workspaces: []\n"),
    )
    .unwrap();
    let ran = ran.again(&["plan", "-f", "ws"]).status(0);
    assert!(
        ran.output.stdout.contains(&format!(
            "Workspace: Globex Outreach ({GLOBEX_ID})\nThis workspace is itself a sub-workspace of an agency (group membership 01946416-7000-7000-8000-000000000001).\n\nNo changes."
        )),
        "{}",
        ran.output.stdout
    );
    let json = ran.again(&["plan", "-f", "ws", "--format", "json"]).json();
    let refs: Vec<&Value> = json["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["workspace"]["group_member_id"])
        .collect();
    assert_eq!(
        refs,
        [
            &Value::Null,
            &json!("01946416-7000-7000-8000-000000000001"),
            &Value::Null
        ]
    );
}

#[test]
fn declaring_the_group_validates_each_entry() {
    let file = agency_file(
        "  workspace_group: sometimes\n",
        &format!("{GLOBEX}{GLOBEX}\n    - id: {AGENCY_ID}\n    - name: No Id"),
    );
    let ran = Test::new()
        .file("a.yaml", &file)
        .args(&["validate", "-f", "a.yaml"])
        .run()
        .status(1)
        .stdout("");
    insta::assert_snapshot!(ran.output.stderr);
}

#[test]
fn a_status_this_version_does_not_know_is_left_alone() {
    let ran = Test::new()
        .sandbox(agency_with(&[(HOOLI_ID, "suspended")]))
        .file(
            "a.yaml",
            &agency_file("", &format!("{GLOBEX}{INITECH}{HOOLI}")),
        )
        .args(&["plan", "-f", "a.yaml", "--detailed-exitcode"])
        .run()
        .status(0)
        .unchanged();
    assert!(ran.output.stdout.contains(
        "  ! sub_workspace[Hooli Leads]: the group answers status `suspended`, which this version does not know; left as it is\n"
    ), "{}", ran.output.stdout);
    assert!(
        ran.output
            .stdout
            .contains("  sub_workspace[Hooli Leads] (unknown status `suspended`)\n")
    );
    // Undeclared, under the authoritative policy: still left alone.
    std::fs::write(
        ran.path("b.yaml"),
        agency_file("", &format!("{GLOBEX}{INITECH}")),
    )
    .unwrap();
    let ran = ran
        .again(&["plan", "-f", "b.yaml", "--detailed-exitcode"])
        .status(0);
    assert!(
        ran.output
            .stdout
            .contains("  sub_workspace[Hooli Leads] (unknown status `suspended`)\n"),
        "{}",
        ran.output.stdout
    );
}

// ---- Faults: invitations whose answers are lost are adopted, never doubled ----

/// An agency of 12 client workspaces: the first six accepted, the seventh
/// rejected; the file keeps three accepted, re-invites the rejected one and
/// invites the other five (three accepted ones go).
fn fault_fixture() -> (SandboxState, String) {
    let mut s = instantly_rbac::sandbox::demo::demo_state();
    let id = |i: usize| format!("01946416-09c9-7bef-bbc9-d00000000{i:03}");
    let mut rows = Vec::new();
    for i in 0..12 {
        let mut sub = instantly_rbac::sandbox::demo::demo_state();
        sub.workspace.id = id(i);
        sub.workspace.name = format!("Client {i:02}");
        s.sub_workspaces.push(sub);
        if i < 7 {
            rows.push(instantly_rbac::group_types::GroupMember {
                id: format!("01946416-7000-7000-8000-000000000{i:03}"),
                admin_workspace_id: AGENCY_ID.into(),
                sub_workspace_id: id(i),
                status: if i == 6 {
                    GroupStatus::Rejected
                } else {
                    GroupStatus::Accepted
                },
                timestamp_created: "2026-02-01T00:00:00.000Z".into(),
                timestamp_updated: "2026-02-01T00:00:00.000Z".into(),
                sub_workspace_name: None,
                admin_workspace_name: None,
            });
        }
    }
    s.workspace_group = Some(rows);
    let entries: String = (3..12).map(|i| format!("\n    - id: {}", id(i))).collect();
    (s, agency_file("", &entries))
}

#[test]
fn the_group_converges_under_faults_without_duplicate_invitations() {
    use instantly_rbac::client::{Client, ClientOptions};
    use instantly_rbac::sandbox::{Faults, Sandbox};
    use std::time::Duration;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut adopted = 0;
    for seed in 1..=4 {
        let (state, text) = fault_fixture();
        rt.block_on(async {
            let sandbox = Sandbox::start(state, None, 0).await.unwrap();
            sandbox.set_faults(Faults {
                fault_rate: 0.3,
                seed,
                ..Faults::default()
            });
            let dir = tempfile::tempdir().unwrap();
            let file = write(dir.path(), "a.yaml", &text);
            let opts = ClientOptions {
                max_attempts: 8,
                backoff_base: Duration::from_millis(10),
                backoff_cap: Duration::from_millis(200),
                timeout: Duration::from_secs(5),
                ..ClientOptions::default()
            };
            let c = Client::with_options(
                &sandbox.url,
                secrecy::SecretString::from(OPERATOR_KEY.to_owned()),
                opts,
            )
            .unwrap();
            let mut converged = false;
            for _ in 0..4 {
                let Ok(planned) = instantly_rbac::pipeline::plan_path(&c, &file).await else {
                    continue;
                };
                if planned.plan.is_empty() {
                    converged = true;
                    break;
                }
                let plan = planned.plan;
                let report = instantly_rbac::applier::apply(&c, &plan, None, None).await;
                adopted += report
                    .notes
                    .iter()
                    .filter(|n| n.contains("the invitation's answer was lost"))
                    .count();
            }
            assert!(converged, "seed {seed}: not converged after 4 runs");
            let rows = sandbox.state().workspace_group.unwrap();
            let mut active: Vec<&str> = rows
                .iter()
                .filter(|r| r.status.is_active())
                .map(|r| r.sub_workspace_id.as_str())
                .collect();
            active.sort();
            let want: Vec<String> = (3..12)
                .map(|i| format!("01946416-09c9-7bef-bbc9-d00000000{i:03}"))
                .collect();
            assert_eq!(
                active, want,
                "seed {seed}: one active row per declared workspace"
            );
            assert_eq!(
                rows.len(),
                9,
                "seed {seed}: no rejected row left, no extra row"
            );
            assert!(
                !sandbox.injected().is_empty(),
                "seed {seed}: no fault injected"
            );
            sandbox.stop().await;
        });
    }
}

#[test]
fn a_plan_without_workspace_groups_answers_402_and_the_plan_says_so() {
    let mut state = demo_agency_state();
    state.payment_required = vec!["/workspace-group-members".into()];
    let server = Server::start(state.clone());
    let (status, _) = call(&server, "GET", "/workspace-group-members/admin", None, None);
    assert_eq!(status, 402);
    let ran = Test::new()
        .sandbox(state)
        .file("a.yaml", &agency_file("", GLOBEX))
        .args(&["plan", "-f", "a.yaml"])
        .run()
        .status(1)
        .stdout("")
        .unchanged();
    assert!(
        ran.output
            .stderr
            .contains("402 Payment Required: Upgrade your plan to use this endpoint (the workspace's plan does not include workspace groups)"),
        "{}",
        ran.output.stderr
    );
}

#[test]
fn the_diff_shows_the_group_rows_the_plan_touches() {
    let ran = Test::new()
        .sandbox(demo_agency_state())
        .file("a.yaml", &agency_file("", &format!("{GLOBEX}{HOOLI}")))
        .args(&["plan", "-f", "a.yaml", "--diff"])
        .run()
        .status(0);
    let diff = &ran.output.stdout[ran.output.stdout.find("--- live").unwrap()..];
    assert!(
        diff.ends_with(
            " sub_workspaces:
-- sub_workspace_id: 01946416-09c9-7bef-bbc9-c1e000000002
-  name: Initech Growth
-  status: accepted
+- sub_workspace_id: 01946416-09c9-7bef-bbc9-c1e000000003
+  name: Hooli Leads
+  status: pending
"
        ),
        "{diff}"
    );
}

#[test]
fn addresses_fall_back_to_ids_when_names_are_shared() {
    use instantly_rbac::live_group::LiveGroup;
    let row =
        |n: u8, id: &str, name: &str, status: &str| instantly_rbac::group_types::GroupMember {
            id: format!("row-{n}"),
            admin_workspace_id: AGENCY_ID.into(),
            sub_workspace_id: id.into(),
            status: GroupStatus::from(status.to_owned()),
            timestamp_created: format!("2026-01-0{n}T00:00:00.000Z"),
            timestamp_updated: String::new(),
            sub_workspace_name: Some(name.into()),
            admin_workspace_name: None,
        };
    let live = LiveGroup {
        members: vec![
            row(1, "w-1", "Acme", "accepted"),
            row(2, "w-2", "Acme", "accepted"),
            row(
                3,
                "0000000a-0000-4000-8000-000000000003",
                "Solo",
                "rejected",
            ),
            row(4, "0000000a-0000-4000-8000-000000000003", "Solo", "pending"),
        ],
        admin: Default::default(),
    };
    let config = instantly_rbac::config_loader::parse(
        "a.yaml",
        "version: 1\nworkspace_group:\n  sub_workspaces:\n    - id: 0000000A-0000-4000-8000-000000000003\n",
    )
    .unwrap();
    let plan = instantly_rbac::planner_group::plan(&config, &live);
    let actions: Vec<(&str, String)> = plan
        .actions
        .iter()
        .map(|a| (a.address.as_str(), a.op.to_string()))
        .collect();
    // Two workspaces named alike are told apart by id; w-3's pending
    // invitation stands (ids compare without case), its rejected one is left.
    assert_eq!(
        actions,
        [
            ("sub_workspace[w-1]", "delete".to_owned()),
            ("sub_workspace[w-2]", "delete".to_owned())
        ]
    );
    let left: Vec<(&str, &str)> = plan
        .unmanaged
        .iter()
        .map(|u| (u.address.as_str(), u.why.as_str()))
        .collect();
    assert_eq!(
        left,
        [(
            "sub_workspace[Solo]",
            "an earlier invitation (rejected) of a declared workspace"
        )]
    );
}
