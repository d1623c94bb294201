//! The words the Instantly API accepts: scopes and permissions, exactly as
//! spelled in the contract (docs/api-contract.md). Roles are `crate::role::Role`.

pub const SCOPE_ACTIONS: &[&str] = &["read", "create", "update", "delete", "all"];

pub const SCOPE_RESOURCES: &[&str] = &[
    "ai_agents",
    "api_keys",
    "audit_logs",
    "custom_prompt_templates",
    "account_campaign_mappings",
    "campaigns",
    "inbox_placement_tests",
    "inbox_placement_analytics",
    "inbox_placement_reports",
    "lead_lists",
    "leads",
    "background-jobs",
    "custom_tags",
    "custom_tag_mappings",
    "crm_actions",
    "accounts",
    "block_list_entries",
    "lead-labels",
    "emails",
    "email_templates",
    "workspaces",
    "workspace_billing",
    "workspace_group_members",
    "workspace_members",
    "subsequences",
    "ai_sdr",
    "ai_sdr_replies",
    "ai_inbox_manager_analytics",
    "sales_flows",
    "webhooks",
    "webhook_events",
    "security_tokens",
    "dfy_email_account_orders",
    "auth",
    "email_verifications",
];

pub const PERMISSIONS: &[&str] = &[
    "dashboard.view",
    "campaigns.view",
    "campaigns.create",
    "campaigns.edit",
    "campaigns.delete",
    "organization.manage",
    "organization.integrations",
    "organization.billing",
    "organization.users.manage",
    "leadFinder.view",
    "customLeadLabels.create",
    "customLeadLabels.edit",
    "customLeadLabels.delete",
    "unibox.all",
    "analytics.view",
    "agency.manage",
    "accounts.view",
    "accounts.manage",
    "leadManagement.view",
    "leads.move",
    "crm.view",
    "websiteVisitors.view",
    "blocklist.manage",
    "preferences.manage",
    "inboxPlacement.view",
    "aiAgents.manage",
    "workspaceGroupMembers.invite",
    "workspaceGroupMembers.remove",
    "workspaceGroupMembers.leave",
    "websiteChat.view",
    "websiteChat.manage",
];

/// Why a scope string is not valid, or `None` when it is.
pub fn scope_problem(scope: &str) -> Option<String> {
    let Some((resource, action)) = scope.split_once(':') else {
        return Some("a scope is `<resource>:<action>`, e.g. `campaigns:read`".into());
    };
    if resource == "all" {
        return (!SCOPE_ACTIONS.contains(&action)).then(|| {
            format!(
                "unknown action `{action}`; expected one of {}",
                SCOPE_ACTIONS.join(", ")
            )
        });
    }
    if !SCOPE_RESOURCES.contains(&resource) {
        let hint = closest(resource, SCOPE_RESOURCES)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        return Some(format!(
            "unknown resource `{resource}`{hint}; see docs/config.md for the list"
        ));
    }
    if resource == "email_verifications" {
        return (!["all", "create", "read"].contains(&action)).then(|| {
            format!("unknown action `{action}`; email_verifications takes only all, create, read")
        });
    }
    (!SCOPE_ACTIONS.contains(&action)).then(|| {
        format!(
            "unknown action `{action}`; expected one of {}",
            SCOPE_ACTIONS.join(", ")
        )
    })
}

/// Whether a key holding `scopes` may call an endpoint of `resource` with `action`.
pub fn scopes_allow(scopes: &[String], resource: &str, action: &str) -> bool {
    scopes.iter().any(|s| {
        s == &format!("{resource}:{action}")
            || s == &format!("{resource}:all")
            || s == &format!("all:{action}")
            || s == "all:all"
    })
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let len = word.chars().count();
    candidates
        .iter()
        .filter_map(|c| {
            let most = 2.max(c.len() / 4);
            // Lengths further apart than that cannot be within it: no
            // edit distance to compute (callers scan thousands of names).
            (len.abs_diff(c.chars().count()) <= most)
                .then(|| (edit_distance(word, c), *c))
                .filter(|(d, _)| *d <= most)
        })
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A plausible email: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(scope_problem("campaigns:read"), None);
        assert_eq!(scope_problem("all:all"), None);
        assert_eq!(scope_problem("background-jobs:delete"), None);
        assert!(
            scope_problem("campaign:read")
                .unwrap()
                .contains("campaigns")
        );
        assert!(scope_problem("campaigns:write").is_some());
        assert!(scope_problem("email_verifications:delete").is_some());
        assert!(scope_problem("campaigns").is_some());
    }

    #[test]
    fn allow() {
        let s = vec!["custom_tags:all".to_string()];
        assert!(scopes_allow(&s, "custom_tags", "delete"));
        assert!(!scopes_allow(&s, "api_keys", "read"));
        assert!(scopes_allow(&["all:read".into()], "api_keys", "read"));
    }

    #[test]
    fn emails_and_typos() {
        assert!(is_email("a@b.co"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.de"));
        let roles = ["admin", "editor", "view"];
        assert_eq!(closest("admn", &roles), Some("admin"));
        assert_eq!(closest("zzzzzz", &roles), None);
    }
}
