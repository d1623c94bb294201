//! How a plan reads the assignments it needs, chosen from what is known
//! before reading them: the file and the live tag list. Pure.
//!
//! Either one filtered list per tag and resource type (`/campaigns?tag_ids=`,
//! `/accounts?tag_ids=`), read in parallel; or the mapping walk
//! (`/custom-tag-mappings`, every tag's assignments in one sequential cursor
//! chain) plus the campaign list to name them — whichever needs fewer
//! requests by the estimate below.

use crate::api_types::Tag;
use crate::client::PAGE_LIMIT;
use crate::config::{Config, Mode};
use crate::ignore::IgnoreSet;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignmentRead {
    /// The file declares no assignments and no live tag's assignments are
    /// needed: nothing to read.
    Nothing,
    /// One list per tag and resource type; with no tags to read (the first
    /// tags of a workspace), only the declared campaigns and accounts are
    /// looked up.
    PerTag,
    Walk,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub how: AssignmentRead,
    /// Ids of the live tags whose assignments the plan needs: the declared
    /// ones, and those it would delete (to say how many assignments go).
    pub tags: Vec<String>,
    /// Estimated requests of each way, for reports.
    pub per_tag_estimate: usize,
    pub walk_estimate: usize,
}

fn pages(n: usize) -> usize {
    n.div_ceil(PAGE_LIMIT).max(1)
}

pub fn choose(config: &Config, live_tags: &[Tag]) -> Choice {
    let ignore = IgnoreSet::new(&config.policy.ignore);
    // Labels compare trimmed, as the API makes them unique.
    let declared: BTreeSet<&str> = config.tags.iter().map(|t| t.label.value.trim()).collect();
    let tags: Vec<String> = live_tags
        .iter()
        .filter(|t| {
            declared.contains(t.label.trim())
                || (config.policy.tags == Mode::Authoritative && !ignore.tag(&t.label))
        })
        .map(|t| t.id.clone())
        .collect();
    let declared_assignments: usize = config
        .tags
        .iter()
        .map(|t| t.campaigns.len() + t.accounts.len())
        .sum();
    if tags.is_empty() && declared_assignments == 0 {
        return Choice {
            how: AssignmentRead::Nothing,
            tags,
            per_tag_estimate: 0,
            walk_estimate: 0,
        };
    }
    // Per tag: a campaign and an account list each, a page or more.
    let per_tag_estimate: usize = live_tags
        .iter()
        .filter(|t| tags.contains(&t.id))
        .map(|t| {
            match config
                .tags
                .iter()
                .find(|s| s.label.value.trim() == t.label.trim())
            {
                Some(s) => pages(s.campaigns.len()) + pages(s.accounts.len()),
                None => 2,
            }
        })
        .sum();
    // The walk reads every tag's assignments: assume the tags the file does
    // not describe carry as many as those it does, on average.
    let declared_live = live_tags
        .iter()
        .filter(|t| declared.contains(t.label.trim()))
        .count()
        .max(1);
    let estimated_mappings = declared_assignments * live_tags.len() / declared_live;
    let campaign_names: BTreeSet<&str> = config
        .tags
        .iter()
        .flat_map(|t| t.campaigns.iter().map(|c| c.value.as_str()))
        .collect();
    let walk_estimate = pages(estimated_mappings) + pages(campaign_names.len());
    let how = if walk_estimate < per_tag_estimate {
        AssignmentRead::Walk
    } else {
        AssignmentRead::PerTag
    };
    Choice {
        how,
        tags,
        per_tag_estimate,
        walk_estimate,
    }
}

/// How many pages a whole list may take and still cost fewer requests than
/// `lookups` look-ups of one item each (`search` by campaign name, GET by
/// account email). A list longer than that is abandoned at this many pages
/// for the look-ups, so resolving never costs more than twice the cheaper way.
pub fn list_budget(lookups: usize) -> usize {
    lookups.saturating_sub(1)
}
