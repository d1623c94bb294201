//! `export --like FILE`: the exported file in FILE's words, so that the
//! export of a converged workspace reproduces FILE's meaning. A pass over
//! what `export::to_config` made (pure): team roles get FILE's names, the
//! policy (modes, ignore, protect, limits) is FILE's, keys keep FILE's
//! `rotate_after_days`, members, keys and tags keep FILE's `allow:` lists,
//! and what FILE's `policy.ignore` covers is left out, as FILE leaves it out.

use crate::config::{Config, MemberSpec, RoleRef, TeamRole};
use crate::ignore::IgnoreSet;
use std::collections::BTreeMap;

/// `exported` (from `export::to_config`) rewritten like `like`.
pub fn apply(mut exported: Config, like: &Config) -> Config {
    let ignore = IgnoreSet::new(&like.policy.ignore);
    exported.members.retain(|m| !ignore.member(&m.email.value));
    exported.api_keys.retain(|k| !ignore.api_key(&k.name.value));
    exported.tags.retain(|t| !ignore.tag(&t.label.value));

    // Each member's role in FILE's words: the team role FILE gives the
    // member when it stands for the same grant, else any of FILE's team
    // roles that does, else the exported one.
    let generated = Config {
        roles: std::mem::take(&mut exported.roles),
        ..Config::default()
    };
    let mut roles: BTreeMap<String, TeamRole> = BTreeMap::new();
    let declared = like.declared();
    for m in &mut exported.members {
        let (role, permissions) = generated.resolve_role(&m.role.value);
        let declared_role = declared.members.get(&m.email.value).map(|s| &s.role.value);
        let same = |r: &RoleRef| {
            let (lr, lp) = like.resolve_role(r);
            lr == role && lp == permissions
        };
        let chosen = match declared_role {
            Some(r) if same(r) => Some(r.clone()),
            _ => crate::team_roles::matching(like, &role, &permissions, None).map(RoleRef::Team),
        };
        match chosen {
            Some(r) => set_role(m, r, like, &mut roles),
            // A grant FILE has no name for: the exported team role, unless
            // its generated name is taken by one of FILE's.
            None => {
                if let RoleRef::Team(name) = &m.role.value {
                    let mut name = name.clone();
                    while like.roles.contains_key(&name) {
                        name.push('_');
                    }
                    if let Some(t) = generated.roles.get(m.role.value.as_str()) {
                        roles.insert(name.clone(), t.clone());
                    }
                    m.role.value = RoleRef::Team(name);
                }
            }
        }
    }
    // FILE's other team roles too: unused, they change nothing, and the
    // file keeps them for the members to come.
    for (name, t) in &like.roles {
        roles.entry(name.clone()).or_insert_with(|| t.clone());
    }
    exported.roles = roles;

    for k in &mut exported.api_keys {
        let Some(spec) = declared.api_keys.get(k.name.value.as_str()) else {
            continue;
        };
        k.rotate_after_days = spec.rotate_after_days;
        k.allow = spec.allow.clone();
        // The same scopes in FILE's order.
        let mut theirs = spec.scopes.clone();
        theirs.sort();
        theirs.dedup();
        if theirs == k.scopes {
            k.scopes = spec.scopes.clone();
        }
    }

    // The lints FILE allows on an entry, on the same entry.
    for m in &mut exported.members {
        if let Some(spec) = declared.members.get(&m.email.value) {
            m.allow = spec.allow.clone();
        }
    }
    for t in &mut exported.tags {
        if let Some(spec) = declared.tags.get(t.label.value.as_str()) {
            t.allow = spec.allow.clone();
        }
    }

    // FILE's policy, plus what the export had to ignore to stay valid.
    let mut policy = like.policy.clone();
    for (mine, theirs) in [
        (&mut policy.ignore.members, &exported.policy.ignore.members),
        (
            &mut policy.ignore.api_keys,
            &exported.policy.ignore.api_keys,
        ),
        (&mut policy.ignore.tags, &exported.policy.ignore.tags),
    ] {
        for g in theirs {
            if !mine.contains(g) {
                mine.push(g.clone());
            }
        }
    }
    policy.allow_non_ascii_emails |= exported.policy.allow_non_ascii_emails;
    exported.policy = policy;
    exported
}

fn set_role(m: &mut MemberSpec, r: RoleRef, like: &Config, roles: &mut BTreeMap<String, TeamRole>) {
    if let RoleRef::Team(name) = &r
        && let Some(t) = like.roles.get(name)
    {
        roles.insert(name.clone(), t.clone());
    }
    m.role.value = r;
}
