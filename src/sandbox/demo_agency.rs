//! The demo as an agency: the demo workspace (Acme Sales) is the admin
//! workspace of two client sub-workspaces, which its keys reach with
//! `x-as-workspace`; a third workspace exists but was never invited, so a
//! file can declare it and see the invitation planned.

use super::state::SandboxState;
use crate::api_types::{Member, Tag, Workspace};
use crate::group_types::{GroupMember, GroupStatus};
use crate::role::Role;

pub const GLOBEX_ID: &str = "01946416-09c9-7bef-bbc9-c1e000000001";
pub const INITECH_ID: &str = "01946416-09c9-7bef-bbc9-c1e000000002";
pub const HOOLI_ID: &str = "01946416-09c9-7bef-bbc9-c1e000000003";
const T0: &str = "2026-01-05T09:00:00.000Z";

/// One client workspace: its owner, the agency's admin (alice) and a
/// member of the client's own, and one tag.
fn client(n: u8, id: &str, name: &str, domain: &str) -> SandboxState {
    let member = |m: u8, email: String, role: Role| Member {
        id: format!("01946416-1{n}00-7000-8000-0000000000{m:02}"),
        email: email.into(),
        user_id: Some(format!("01946416-2{n}00-7000-8000-0000000000{m:02}")),
        role,
        accepted: true,
        permissions: None,
        nickname: None,
        user_email: None,
        workspace_id: id.into(),
        timestamp_created: T0.into(),
    };
    let owner = member(1, format!("owner@{domain}"), Role::Owner);
    SandboxState {
        workspace: Workspace {
            id: id.into(),
            name: name.into(),
            owner: owner.user_id.clone().unwrap_or_default(),
            timestamp_created: T0.into(),
        },
        members: vec![
            owner,
            member(2, "alice@acme.com".into(), Role::Admin),
            member(3, format!("sales@{domain}"), Role::Editor),
        ],
        api_keys: Vec::new(),
        tags: vec![Tag {
            id: format!("01946416-4{n}00-7000-8000-000000000001"),
            label: "Agency-Managed".into(),
            description: Some("Campaigns the agency runs".into()),
            organization_id: id.into(),
            timestamp_created: T0.into(),
            timestamp_updated: T0.into(),
        }],
        mappings: Vec::new(),
        campaigns: Vec::new(),
        accounts: Vec::new(),
        sub_workspaces: Vec::new(),
        workspace_group: None,
        payment_required: Vec::new(),
        audit_logs: Vec::new(),
        audit_log: Default::default(),
    }
}

fn accepted(n: u8, admin: &str, sub: &str) -> GroupMember {
    GroupMember {
        id: format!("01946416-7000-7000-8000-0000000000{n:02}"),
        admin_workspace_id: admin.into(),
        sub_workspace_id: sub.into(),
        status: GroupStatus::Accepted,
        timestamp_created: T0.into(),
        timestamp_updated: T0.into(),
        sub_workspace_name: None,
        admin_workspace_name: None,
    }
}

/// The demo the `--sandbox` flag and the `sandbox` command start from: the
/// demo workspace (`demo::demo_state`, which tests build on as a single
/// workspace) as the admin of its clients.
pub fn demo_agency_state() -> SandboxState {
    with_agency(super::demo::demo_state())
}

/// `top` with the agency's clients and its group.
pub fn with_agency(mut top: SandboxState) -> SandboxState {
    let admin = top.workspace.id.clone();
    top.sub_workspaces = vec![
        client(1, GLOBEX_ID, "Globex Outreach", "globex.com"),
        client(2, INITECH_ID, "Initech Growth", "initech.com"),
        client(3, HOOLI_ID, "Hooli Leads", "hooli.com"),
    ];
    top.workspace_group = Some(vec![
        accepted(1, &admin, GLOBEX_ID),
        accepted(2, &admin, INITECH_ID),
    ]);
    top
}
