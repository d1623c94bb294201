//! Groups assignment changes into as few `toggle-resource` calls as the API
//! allows: one call assigns (or unassigns) many tags to many resources of one
//! type, at most `MAX_RESOURCES` resources a call. Pure, so the same plan
//! always gives the same calls.

use crate::plan::{Action, Op, ResourceKind, State};
use std::collections::BTreeMap;

pub const MAX_RESOURCES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub assign: bool,
    pub resource_type: ResourceKind,
    /// Tag labels; each either exists (`tag_ids`) or was created earlier in the apply.
    pub tags: Vec<String>,
    pub resource_ids: Vec<String>,
    /// Indices (into the slice given) of the actions this call carries out.
    pub actions: Vec<usize>,
}

/// tag label -> resource id -> index of the action.
type ByTag = BTreeMap<String, BTreeMap<String, usize>>;

/// Calls for a run of assignment actions. Every call carries the full
/// cartesian product of its tags and resources, so only groups whose product
/// is exactly wanted are merged: tags with identical resource sets, or
/// resources with identical tag sets, whichever needs fewer calls.
pub fn batches(actions: &[&Action]) -> Vec<Batch> {
    let mut groups: BTreeMap<(bool, ResourceKind), ByTag> = BTreeMap::new();
    for (i, a) in actions.iter().enumerate() {
        let Some(State::Assignment(s)) = a.state() else {
            continue;
        };
        groups
            .entry((a.op == Op::Create, s.resource_type))
            .or_default()
            .entry(s.tag.clone())
            .or_default()
            .insert(s.resource_id.clone(), i);
    }
    let mut out = Vec::new();
    // Unassign first, as the plan orders them.
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by_key(|(assign, t)| (*assign, *t));
    for key in keys {
        let by_tag = &groups[&key];
        let by_tags = merge_by_tag(by_tag);
        let by_resources = merge_by_resource(by_tag);
        let count = |v: &Vec<(Vec<String>, Vec<String>)>| -> usize {
            v.iter().map(|(_, r)| r.len().div_ceil(MAX_RESOURCES)).sum()
        };
        let chosen = if count(&by_resources) < count(&by_tags) {
            by_resources
        } else {
            by_tags
        };
        for (tags, resources) in chosen {
            for chunk in resources.chunks(MAX_RESOURCES) {
                let mut idx: Vec<usize> = tags
                    .iter()
                    .flat_map(|t| chunk.iter().map(move |r| by_tag[t][r]))
                    .collect();
                idx.sort_unstable();
                out.push(Batch {
                    assign: key.0,
                    resource_type: key.1,
                    tags: tags.clone(),
                    resource_ids: chunk.to_vec(),
                    actions: idx,
                });
            }
        }
    }
    out
}

/// Tags that change the same resources share calls.
fn merge_by_tag(by_tag: &ByTag) -> Vec<(Vec<String>, Vec<String>)> {
    let mut m: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (tag, res) in by_tag {
        m.entry(res.keys().cloned().collect())
            .or_default()
            .push(tag.clone());
    }
    m.into_iter().map(|(res, tags)| (tags, res)).collect()
}

/// Resources that change with the same tags share calls.
fn merge_by_resource(by_tag: &ByTag) -> Vec<(Vec<String>, Vec<String>)> {
    let mut tags_of: BTreeMap<&String, Vec<String>> = BTreeMap::new();
    for (tag, res) in by_tag {
        for r in res.keys() {
            tags_of.entry(r).or_default().push(tag.clone());
        }
    }
    let mut m: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (r, tags) in tags_of {
        m.entry(tags).or_default().push(r.clone());
    }
    m.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{AssignmentState, Kind};

    fn assign(tag: &str, res: &str) -> Action {
        Action {
            address: format!("{tag}->{res}"),
            kind: Kind::Assignment,
            op: Op::Create,
            phase: 7,
            before: None,
            after: Some(State::Assignment(AssignmentState {
                tag: tag.into(),
                resource_type: ResourceKind::Campaign,
                resource: res.into(),
                resource_id: res.into(),
            })),
            reason: None,
            live_id: None,
            risk: Default::default(),
            attribution: None,
            source: None,
        }
    }

    #[test]
    fn identical_sets_share_one_call() {
        let a: Vec<Action> = ["t1", "t2"]
            .iter()
            .flat_map(|t| ["c1", "c2", "c3"].iter().map(move |c| assign(t, c)))
            .collect();
        let refs: Vec<&Action> = a.iter().collect();
        let b = batches(&refs);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].tags, vec!["t1", "t2"]);
        assert_eq!(b[0].actions.len(), 6);
    }

    #[test]
    fn never_assigns_more_than_asked_and_chunks_at_100() {
        let mut a: Vec<Action> = (0..250)
            .map(|i| assign("t1", &format!("c{i:03}")))
            .collect();
        a.push(assign("t2", "c000"));
        let refs: Vec<&Action> = a.iter().collect();
        let b = batches(&refs);
        let pairs: usize = b.iter().map(|x| x.tags.len() * x.resource_ids.len()).sum();
        assert_eq!(pairs, 251, "every call carries exactly the wanted pairs");
        assert!(b.iter().all(|x| x.resource_ids.len() <= MAX_RESOURCES));
        assert_eq!(b.len(), 4);
    }
}
