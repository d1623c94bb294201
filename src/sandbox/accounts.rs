//! `/accounts`: sending accounts, by email; their tags on request.
// Handlers answer HTTP on both paths; boxing the error one buys nothing.
#![allow(clippy::result_large_err)]

use super::routes::{Answer, Req, no_route, not_found, ok, paginate};
use super::routes::{paginate_with, tagged};
use super::state::SandboxState;
use crate::api_types::*;
use crate::email::Email;

pub(super) fn accounts(st: &mut SandboxState, r: &Req, rest: &[&str]) -> Answer {
    let with_tags = |st: &SandboxState, a: &Account| {
        let tags = st
            .mappings
            .iter()
            .filter(|m| m.resource_type == ResourceType::Account && a.email.is(&m.resource_id))
            .filter_map(|m| st.tags.iter().find(|t| t.id == m.tag_id))
            .map(|t| AccountTag {
                id: t.id.clone(),
                label: t.label.clone(),
                description: t.description.clone(),
            })
            .collect();
        Account {
            tags: Some(tags),
            ..a.clone()
        }
    };
    match rest {
        [] => {
            let tag_ids = r.list_param("tag_ids");
            let carrying =
                (!tag_ids.is_empty()).then(|| tagged(st, ResourceType::Account, &tag_ids));
            let search = r.query.get("search").map(|s| Email::fold(s));
            let items: Vec<&Account> = st
                .accounts
                .iter()
                .filter(|a| {
                    carrying
                        .as_ref()
                        .is_none_or(|set| set.contains(a.email.key()))
                })
                .filter(|a| {
                    search
                        .as_ref()
                        .is_none_or(|s| a.email.key().contains(s.as_str()))
                })
                .collect();
            if r.query.get("include_tags").is_some_and(|v| v == "true") {
                paginate_with(r, items, |a| a.email.as_str(), false, |a| with_tags(st, a))
            } else {
                paginate(r, items, |a| a.email.as_str(), false)
            }
        }
        [email] => match st.accounts.iter().find(|a| a.email.is(email)) {
            Some(a) => ok(&with_tags(st, a)),
            None => Err(not_found()),
        },
        _ => Err(no_route()),
    }
}
