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
