//! One index of the live workspace, built once per run and shared by the
//! planner, export, the diff view and saved-plan checks: every look-up by
//! id, email, label or name is a hash probe, so each of them stays linear
//! in the workspace (thousands of members, tens of thousands of
//! assignments).

use super::Live;
use crate::api_types::{Account, ApiKey, Campaign, Member, ResourceType, Tag, TagMapping};
use crate::email::Email;
use std::collections::{HashMap, HashSet};

pub struct Index<'a> {
    /// Email → members: several when live addresses differ only in case.
    pub members: HashMap<&'a Email, Vec<&'a Member>>,
    /// Name → keys, oldest listed first: names are not unique in the API.
    pub keys_by_name: HashMap<&'a str, Vec<&'a ApiKey>>,
    pub keys_by_id: HashMap<&'a str, &'a ApiKey>,
    /// Trimmed label → tag: labels are unique once trimmed (the contract),
    /// so a live `  Old-Team ` is the declared `Old-Team`.
    pub tags: HashMap<&'a str, &'a Tag>,
    pub campaigns_by_name: HashMap<&'a str, Vec<&'a Campaign>>,
    pub campaigns_by_id: HashMap<&'a str, &'a Campaign>,
    pub accounts: HashMap<&'a Email, &'a Account>,
    /// Tag id → its assignments, in the order listed.
    pub mappings: HashMap<&'a str, Vec<&'a TagMapping>>,
    /// (tag id, resource type, resource id) of every assignment.
    assigned: HashSet<(&'a str, ResourceType, &'a str)>,
}

impl<'a> Index<'a> {
    pub fn new(live: &'a Live) -> Self {
        let mut members: HashMap<&Email, Vec<&Member>> = HashMap::new();
        for m in &live.members {
            members.entry(&m.email).or_default().push(m);
        }
        let mut keys_by_name: HashMap<&str, Vec<&ApiKey>> = HashMap::new();
        for k in &live.api_keys {
            keys_by_name.entry(k.name.as_str()).or_default().push(k);
        }
        let mut campaigns_by_name: HashMap<&str, Vec<&Campaign>> = HashMap::new();
        for c in &live.campaigns {
            campaigns_by_name
                .entry(c.name.as_str())
                .or_default()
                .push(c);
        }
        let mut mappings: HashMap<&str, Vec<&TagMapping>> = HashMap::new();
        for m in &live.mappings {
            mappings.entry(m.tag_id.as_str()).or_default().push(m);
        }
        Index {
            members,
            keys_by_name,
            keys_by_id: live.api_keys.iter().map(|k| (k.id.as_str(), k)).collect(),
            tags: live.tags.iter().map(|t| (t.label.trim(), t)).collect(),
            campaigns_by_name,
            campaigns_by_id: live.campaigns.iter().map(|c| (c.id.as_str(), c)).collect(),
            accounts: live.accounts.iter().map(|a| (&a.email, a)).collect(),
            mappings,
            assigned: live
                .mappings
                .iter()
                .map(|m| (m.tag_id.as_str(), m.resource_type, m.resource_id.as_str()))
                .collect(),
        }
    }

    /// The live tag labelled `label`, compared trimmed.
    pub fn tag(&self, label: &str) -> Option<&'a Tag> {
        self.tags.get(label.trim()).copied()
    }

    /// The assignments of the tag `tag_id` (none when it has none).
    pub fn mappings_of(&self, tag_id: &str) -> &[&'a TagMapping] {
        self.mappings.get(tag_id).map_or(&[], Vec::as_slice)
    }

    /// Whether the tag `tag_id` is on the resource.
    pub fn is_assigned(
        &self,
        tag_id: &str,
        resource_type: ResourceType,
        resource_id: &str,
    ) -> bool {
        self.assigned
            .contains(&(tag_id, resource_type, resource_id))
    }
}
