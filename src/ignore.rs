//! `policy.ignore`: glob patterns of live objects the tool never plans.

use crate::config::Ignore;
use crate::email::Email;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Clone, Debug)]
pub struct IgnoreSet {
    members: GlobSet,
    api_keys: GlobSet,
    tags: GlobSet,
    sub_workspaces: GlobSet,
}

impl IgnoreSet {
    /// Patterns were validated at load time; an invalid one matches nothing.
    pub fn new(ignore: &Ignore) -> Self {
        IgnoreSet {
            // Emails compare by `Email::fold`, so their patterns are folded
            // by it too and matched against the folded address.
            members: build(ignore.members.iter().map(|p| Email::fold(p))),
            api_keys: build(ignore.api_keys.iter().cloned()),
            tags: build(ignore.tags.iter().cloned()),
            sub_workspaces: build(ignore.sub_workspaces.iter().cloned()),
        }
    }
    pub fn member(&self, email: &Email) -> bool {
        self.members.is_match(email.key())
    }
    pub fn api_key(&self, name: &str) -> bool {
        self.api_keys.is_match(name)
    }
    pub fn tag(&self, label: &str) -> bool {
        self.tags.is_match(label)
    }
    /// A sub-workspace of the group, matched by its name or its id.
    pub fn sub_workspace(&self, name: Option<&str>, id: &str) -> bool {
        name.is_some_and(|n| self.sub_workspaces.is_match(n)) || self.sub_workspaces.is_match(id)
    }
}

fn build(patterns: impl Iterator<Item = String>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = GlobBuilder::new(&p).literal_separator(false).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}
