//! `policy.ignore`: glob patterns of live objects the tool never plans.

use crate::config::Ignore;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Clone, Debug)]
pub struct IgnoreSet {
    members: GlobSet,
    api_keys: GlobSet,
    tags: GlobSet,
}

impl IgnoreSet {
    /// Patterns were validated at load time; an invalid one matches nothing.
    pub fn new(ignore: &Ignore) -> Self {
        IgnoreSet {
            // Emails compare case-insensitively everywhere, so do their patterns.
            members: build(&ignore.members, true),
            api_keys: build(&ignore.api_keys, false),
            tags: build(&ignore.tags, false),
        }
    }
    pub fn member(&self, email: &str) -> bool {
        self.members.is_match(email)
    }
    pub fn api_key(&self, name: &str) -> bool {
        self.api_keys.is_match(name)
    }
    pub fn tag(&self, label: &str) -> bool {
        self.tags.is_match(label)
    }
}

fn build(patterns: &[String], case_insensitive: bool) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = GlobBuilder::new(p)
            .case_insensitive(case_insensitive)
            .literal_separator(false)
            .build()
        {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}
