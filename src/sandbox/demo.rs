//! The built-in demo workspace that `--sandbox` starts from when no state
//! file is given. `examples/workspace.yaml` is written against it, so the
//! README's first command shows a plan with every kind of change.

use super::state::SandboxState;
use crate::api_types::{
    Account, ApiKey, AuditEvent, Campaign, Member, ResourceType, Tag, TagMapping, Workspace,
};
use crate::role::Role;

pub const WORKSPACE_ID: &str = "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a";
const ORG: &str = WORKSPACE_ID;
const T0: &str = "2026-01-05T09:00:00.000Z";

fn member(n: u8, email: &str, role: Role, permissions: Option<&[&str]>, accepted: bool) -> Member {
    Member {
        id: format!("01946416-1000-7000-8000-0000000000{n:02}"),
        email: email.into(),
        user_id: accepted.then(|| format!("01946416-2000-7000-8000-0000000000{n:02}")),
        role,
        accepted,
        permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
        nickname: None,
        user_email: None,
        workspace_id: WORKSPACE_ID.into(),
        timestamp_created: T0.into(),
    }
}

/// Keys are a month old whenever the demo starts, so that rotation policies
/// in examples behave the same on any day: midnight (UTC) 30 days before today: 30 whole days old at any hour of
/// the day, and the same value all day, so two demo states made seconds
/// apart are equal.
fn month_ago() -> String {
    days_ago(30)
}

/// Midnight (UTC) `days` before today.
fn days_ago(days: i64) -> String {
    let t = crate::timestamp::now() - days * 86_400;
    format!("{}T00:00:00.000Z", crate::timestamp::date(t))
}

/// The demo's logins (audit-log type 1), relative to today so that
/// `review` of the demo always finds exactly one inactive member: dave last
/// logged in 120 days ago, everyone else within a month; erin's invitation
/// is pending, so she has never logged in. At 09:30 UTC of the day, so a
/// demo state is the same all day.
fn logins(members: &[Member]) -> Vec<AuditEvent> {
    let days_ago = |email: &str| match email {
        "owner@acme.com" => Some(1),
        "alice@acme.com" => Some(2),
        "bob@acme.com" => Some(12),
        "carol@acme.com" => Some(5),
        "support@instantly.ai" => Some(30),
        "dave@acme.com" => Some(120),
        _ => None,
    };
    let mut events: Vec<AuditEvent> = members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let days: i64 = days_ago(&m.email.to_string())?;
            let day = crate::timestamp::date(crate::timestamp::now() - days * 86_400);
            let email = m.email.to_string();
            Some(AuditEvent {
                id: format!("01946416-7000-7000-8000-0000000000{:02}", i + 1),
                timestamp: format!("{day}T09:30:00.000Z"),
                organization_id: ORG.into(),
                activity_type: 1,
                user_id: m.user_id.clone(),
                user_name: email.split('@').next().map(str::to_owned),
                ip_address: "203.0.113.7".into(),
                from_api: false,
                user_agent: None,
                api_key_id: None,
                audit_metadata: None,
            })
        })
        .collect();
    // The log is kept oldest first, as appended.
    events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    events
}

fn key(n: u8, name: &str, scopes: &[&str], secret: &str) -> ApiKey {
    ApiKey {
        id: format!("01946416-3000-7000-8000-0000000000{n:02}"),
        name: name.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        key: secret.into(),
        organization_id: ORG.into(),
        timestamp_created: month_ago(),
        timestamp_updated: month_ago(),
    }
}

fn tag(n: u8, label: &str, description: &str) -> Tag {
    Tag {
        id: format!("01946416-4000-7000-8000-0000000000{n:02}"),
        label: label.into(),
        description: Some(description.into()),
        organization_id: ORG.into(),
        timestamp_created: T0.into(),
        timestamp_updated: T0.into(),
    }
}

fn campaign(n: u8, name: &str) -> Campaign {
    Campaign {
        id: format!("01946416-5000-7000-8000-0000000000{n:02}"),
        name: name.into(),
        status: 1,
        timestamp_created: T0.into(),
    }
}

fn mapping(n: u8, tag: &Tag, resource_type: ResourceType, resource_id: &str) -> TagMapping {
    TagMapping {
        id: format!("01946416-6000-7000-8000-0000000000{n:02}"),
        tag_id: tag.id.clone(),
        resource_id: resource_id.into(),
        resource_type,
        timestamp_created: T0.into(),
        organization_id: ORG.into(),
    }
}

pub fn demo_state() -> SandboxState {
    let owner = member(1, "owner@acme.com", Role::Owner, None, true);
    let west = tag(1, "SDR-West", "West coast SDR team");
    let old = tag(2, "Old-Team", "Disbanded in Q3");
    let campaigns = vec![
        campaign(1, "Q4 West Outbound"),
        campaign(2, "Q4 East Outbound"),
        campaign(3, "Legacy Promo"),
        campaign(4, "Partner Webinar"),
    ];
    let accounts = [
        "west1@acme-mail.com",
        "west2@acme-mail.com",
        "east1@acme-mail.com",
    ]
    .iter()
    .map(|e| Account {
        email: (*e).into(),
        timestamp_created: T0.into(),
        tags: None,
    })
    .collect();
    let mappings = vec![
        mapping(1, &west, ResourceType::Campaign, &campaigns[0].id),
        mapping(2, &west, ResourceType::Campaign, &campaigns[2].id),
        mapping(3, &west, ResourceType::Account, "west1@acme-mail.com"),
        mapping(4, &old, ResourceType::Campaign, &campaigns[3].id),
        mapping(5, &old, ResourceType::Account, "west2@acme-mail.com"),
    ];
    let mut state = SandboxState {
        workspace: Workspace {
            id: WORKSPACE_ID.into(),
            name: "Acme Sales".into(),
            owner: owner.user_id.clone().unwrap_or_default(),
            timestamp_created: T0.into(),
        },
        audit_logs: Vec::new(),
        members: vec![
            owner,
            member(2, "alice@acme.com", Role::Admin, None, true),
            member(3, "bob@acme.com", Role::View, None, true),
            member(
                4,
                "carol@acme.com",
                Role::Editor,
                Some(&["campaigns.view"]),
                true,
            ),
            member(5, "dave@acme.com", Role::Editor, None, true),
            member(6, "support@instantly.ai", Role::Admin, None, true),
            Member {
                // Invited 120 days ago (midnight UTC): `review` of the demo
                // finds an old pending invitation, in the same words any day.
                timestamp_created: days_ago(120),
                ..member(7, "erin@acme.com", Role::View, None, false)
            },
        ],
        api_keys: vec![
            key(
                1,
                "instantly-rbac (automation)",
                &["all:all"],
                "sbx_demo_operator_0123456789abcdef",
            ),
            key(
                2,
                "Marketing — Analytics Read Only",
                &["campaigns:read"],
                "sbx_demo_marketing_fedcba9876543210",
            ),
            key(
                3,
                "Old Zapier",
                &["all:all"],
                "sbx_demo_zapier_00112233445566778899",
            ),
        ],
        tags: vec![west, old],
        mappings,
        campaigns,
        accounts,
        sub_workspaces: Vec::new(),
        workspace_group: None,
        payment_required: Vec::new(),
        audit_log: Default::default(),
    };
    state.audit_logs = logins(&state.members);
    state
}
