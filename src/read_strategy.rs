//! How a plan reads the assignments it needs, chosen from what is known
//! before reading them: the file, the live tag list, and how long a
//! request took so far. Pure.
//!
//! Either one filtered list per tag and resource type (`/campaigns?tag_ids=`,
//! `/accounts?tag_ids=`), read in parallel; or the mapping walk
//! (`/custom-tag-mappings`, every tag's assignments in one sequential cursor
//! chain) plus the campaign list to name them — whichever is estimated to
//! end sooner: a read takes at least its requests at the rate limit, and at
//! least its longest cursor chain at one round trip per page. Ties go to
//! the way with fewer requests.

use crate::api_types::Tag;
use crate::client::PAGE_LIMIT;
use crate::config::{Config, Mode};
use crate::ignore::IgnoreSet;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

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
    /// Estimated time of each way.
    pub per_tag_wall: Duration,
    pub walk_wall: Duration,
}

/// What bounds the time of a read: the rate limit, the requests in flight
/// at once, and the round trip of one request as observed so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    pub rate: f64,
    pub parallelism: usize,
    pub latency: Duration,
}

impl Timing {
    /// The least time `requests` take when the longest sequential cursor
    /// chain among them is `chain` pages.
    pub fn wall(&self, requests: usize, chain: usize) -> Duration {
        let by_rate = requests as f64 / self.rate.max(f64::MIN_POSITIVE);
        let latency = self.latency.as_secs_f64();
        let by_chain = chain as f64 * latency;
        let by_flight = requests as f64 * latency / self.parallelism.max(1) as f64;
        Duration::from_secs_f64(by_rate.max(by_chain).max(by_flight).min(1e9))
    }
}

fn pages(n: usize) -> usize {
    n.div_ceil(PAGE_LIMIT).max(1)
}

pub fn choose(config: &Config, live_tags: &[Tag], timing: &Timing) -> Choice {
    let ignore = IgnoreSet::new(&config.policy.ignore);
    // Labels compare trimmed, as the API makes them unique.
    let specs: HashMap<&str, &crate::config::TagSpec> = config
        .tags
        .iter()
        .map(|t| (t.label.value.trim(), t))
        .collect();
    let needed: Vec<&Tag> = live_tags
        .iter()
        .filter(|t| {
            specs.contains_key(t.label.trim())
                || (config.policy.tags == Mode::Authoritative && !ignore.tag(&t.label))
        })
        .collect();
    let tags: Vec<String> = needed.iter().map(|t| t.id.clone()).collect();
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
            per_tag_wall: Duration::ZERO,
            walk_wall: Duration::ZERO,
        };
    }
    // Per tag: a campaign and an account list each, a page or more; the
    // two lists of every tag run at once, so the chain is the longest one.
    let (mut per_tag_estimate, mut per_tag_chain) = (0, 0);
    for t in &needed {
        let (c, a) = match specs.get(t.label.trim()) {
            Some(s) => (pages(s.campaigns.len()), pages(s.accounts.len())),
            None => (1, 1),
        };
        per_tag_estimate += c + a;
        per_tag_chain = per_tag_chain.max(c).max(a);
    }
    // The walk reads every live tag's assignments: assume the live tags the
    // file does not describe carry as many as the live ones it does, on
    // average (a tag the file adds has none yet).
    let declared_live: Vec<&crate::config::TagSpec> = live_tags
        .iter()
        .filter_map(|t| specs.get(t.label.trim()).copied())
        .collect();
    let live_declared_assignments: usize = declared_live
        .iter()
        .map(|s| s.campaigns.len() + s.accounts.len())
        .sum();
    let estimated_mappings =
        live_declared_assignments * live_tags.len() / declared_live.len().max(1);
    let campaign_names: BTreeSet<&str> = config
        .tags
        .iter()
        .flat_map(|t| t.campaigns.iter().map(|c| c.value.as_str()))
        .collect();
    // Per tag, the campaigns only tags the file adds name are met by no
    // list read: they are looked up after (by the campaign list, at most),
    // which the walk's campaign list does on its way.
    let live_names: BTreeSet<&str> = declared_live
        .iter()
        .flat_map(|t| t.campaigns.iter().map(|c| c.value.as_str()))
        .collect();
    let new_names = campaign_names.difference(&live_names).count();
    if new_names > 0 {
        per_tag_estimate += pages(new_names);
        per_tag_chain += pages(new_names);
    }
    let walk_estimate = pages(estimated_mappings) + pages(campaign_names.len());
    let walk_chain = pages(estimated_mappings).max(pages(campaign_names.len()));
    let per_tag_wall = timing.wall(per_tag_estimate, per_tag_chain);
    let walk_wall = timing.wall(walk_estimate, walk_chain);
    // Compared in whole milliseconds: closer than that is a tie, and the
    // way with fewer requests leaves more of the rate to other work.
    let ms = |d: Duration| d.as_millis();
    let how = match ms(walk_wall).cmp(&ms(per_tag_wall)) {
        std::cmp::Ordering::Less => AssignmentRead::Walk,
        std::cmp::Ordering::Greater => AssignmentRead::PerTag,
        std::cmp::Ordering::Equal if walk_estimate < per_tag_estimate => AssignmentRead::Walk,
        std::cmp::Ordering::Equal => AssignmentRead::PerTag,
    };
    Choice {
        how,
        tags,
        per_tag_estimate,
        walk_estimate,
        per_tag_wall,
        walk_wall,
    }
}

/// How many pages a list has at least, when `known` of its items were met
/// already (a list of exactly 100·k items takes k + 1 requests: the last
/// full page still carries a cursor).
pub fn pages_at_least(known: usize) -> usize {
    known / PAGE_LIMIT + 1
}

/// Whether `lookups` look-ups of one item each (`search` by campaign name,
/// GET by account email) cost no more than the list, which has at least
/// `list_pages` pages.
pub fn look_up(lookups: usize, list_pages: usize) -> bool {
    lookups <= list_pages
}
