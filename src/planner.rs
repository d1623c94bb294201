//! The planner: desired × live → Plan. Pure and deterministic: no I/O, no
//! clock, so the same inputs always give the same plan, and every choice the
//! applier needs (ids, order) is made here.

use crate::api_types::{ApiKey, Campaign, Member, Tag};
use crate::config::{Config, MemberSpec, Mode, TagSpec};
use crate::diagnostic::Diagnostic;
use crate::email::Email;
use crate::ignore::IgnoreSet;
use crate::live::{Index, Live};
use crate::plan::*;
use crate::role::Role;
use crate::vocab;
use std::collections::{BTreeMap, BTreeSet};

/// What else the planner must know: the mask of the key the tool
/// authenticates with, which it never revokes or replaces.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub auth_key_mask: Option<String>,
    /// Now, in seconds since the epoch, for `rotate_after_days`; the planner
    /// reads no clock itself. `None` plans no rotation.
    pub now: Option<i64>,
    /// Key creates of earlier applies whose secret was never delivered
    /// (`intents`, read by the pipeline): a live key one of them may have
    /// made is replaced, never adopted.
    pub undelivered: Vec<crate::intents::Intent>,
    /// Key events of the audit log (read by the pipeline when the plan has
    /// keys to attribute): attached to key actions and keys left alone.
    pub key_events: Option<crate::attribution::KeyEvents>,
}

/// Why a key whose secret was never delivered is replaced.
pub const UNDELIVERED_REPLACED: &str = "its secret was never delivered: an earlier apply was killed after creating it; a new key is created and this one revoked";
/// Why such a key is revoked when another key of its name is kept.
pub const UNDELIVERED_REVOKED: &str =
    "its secret was never delivered: an earlier apply was killed after creating it; it is revoked";

/// How many errors of a plan may suggest similar names (each suggestion
/// scans a whole list).
const SUGGESTED_ERRORS: usize = 20;

/// Plans, or returns every error found (each located in the file).
pub fn plan(desired: &Config, live: &Live, ctx: &Context) -> Result<Plan, Vec<Diagnostic>> {
    plan_with_group(desired, live, ctx, None)
}

/// `plan`, with the workspace group as read (`live_group`) for a file
/// that declares `workspace_group`.
pub fn plan_with_group(
    desired: &Config,
    live: &Live,
    ctx: &Context,
    group: Option<&crate::live_group::LiveGroup>,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut p = Planner {
        desired,
        live,
        index: Index::new(live),
        ctx,
        ignore: IgnoreSet::new(&desired.policy.ignore),
        actions: Vec::new(),
        unmanaged: Vec::new(),
        // What reading noticed (an id listed twice) comes first.
        warnings: live.warnings.clone(),
        errors: Vec::new(),
    };
    p.members();
    p.api_keys();
    p.tags();
    if !p.errors.is_empty() {
        p.errors.sort();
        return Err(p.errors);
    }
    let mut actions = p.actions;
    let group_plan = group.map(|g| crate::planner_group::plan(desired, g));
    if let Some(g) = &group_plan {
        actions.extend(g.actions.iter().cloned());
        p.unmanaged.extend(g.unmanaged.iter().cloned());
        p.warnings.extend(g.warnings.iter().cloned());
    }
    for a in &mut actions {
        a.phase = phase(a);
        a.risk = crate::access_impact::risk(a);
    }
    actions.sort_by(|a, b| (a.phase, &a.address).cmp(&(b.phase, &b.address)));
    p.unmanaged.sort_by(|a, b| a.address.cmp(&b.address));
    let mut blocks = crate::safety::blocks(&actions, live, &desired.policy);
    if let Some(g) = group {
        blocks.extend(crate::planner_group::blocks(&actions, g, desired));
    }
    Ok(Plan {
        blocks,
        live_key_ids: {
            let mut ids: Vec<String> = live.api_keys.iter().map(|k| k.id.clone()).collect();
            ids.sort();
            ids
        },
        workspace: WorkspaceRef {
            id: live.workspace.id.clone(),
            name: live.workspace.name.clone(),
            group_member_id: group.and_then(|g| g.admin.workspace_group_member_id.clone()),
        },
        actions,
        unmanaged: p.unmanaged,
        warnings: p.warnings,
    })
}

/// The order of execution, recorded in each action as `Action::phase` (the
/// applier reads it there): every action's prerequisites come first. Tags
/// exist before assignments use them; access is granted (promotions, invites,
/// new keys) before it is taken away (demotions, deletions); a tag goes last.
pub fn phase(a: &Action) -> u8 {
    match (a.kind, a.op) {
        (Kind::Tag, Op::Create | Op::Update) => 0,
        (Kind::Member, Op::Update) if is_promotion(a) => 1,
        (Kind::Member, Op::Create) => 2,
        (Kind::Member, Op::Replace) => 3,
        (Kind::ApiKey, Op::Create) => 4,
        (Kind::ApiKey, Op::Replace) => 5,
        (Kind::Assignment, Op::Delete) => 6,
        (Kind::Assignment, _) => 7,
        (Kind::Member, Op::Update) => 8,
        (Kind::ApiKey, _) => 9,
        (Kind::Member, _) => 10,
        (Kind::Tag, _) => 11,
        // The group last: a client reached or lost is apart from the rest.
        (Kind::SubWorkspace, Op::Create) => 12,
        (Kind::SubWorkspace, Op::Replace) => 13,
        (Kind::SubWorkspace, _) => 14,
    }
}

/// Whether a member update grants anything (an escalation, or a change that
/// gains some and loses some), compared as privilege sets.
fn is_promotion(a: &Action) -> bool {
    use crate::access_impact::{Change, classify};
    matches!(classify(a), Some(Change::Escalation | Change::Change))
}

fn sorted(v: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = v.iter().collect();
    set.into_iter().cloned().collect()
}

/// `member[<folded email>]`: one address whatever the case it is written in.
pub fn member_address(email: &Email) -> String {
    format!("member[{}]", email.key())
}

pub fn key_address(name: &str) -> String {
    format!("api_key[{name}]")
}

pub fn tag_address(label: &str) -> String {
    format!("tag[{label}]")
}

pub fn assignment_address(tag: &str, kind: &str, resource: &str) -> String {
    format!("assignment[{tag} -> {kind}:{resource}]")
}

pub fn member_state(m: &Member) -> MemberState {
    MemberState {
        email: m.email.clone(),
        role: m.role.clone(),
        permissions: sorted(m.permissions.as_deref().unwrap_or_default()),
        pending: !m.accepted,
        nickname: m.nickname.clone().filter(|n| !n.is_empty()),
        team_role: None,
    }
}

pub fn key_state(k: &ApiKey) -> KeyState {
    KeyState {
        name: k.name.clone(),
        scopes: sorted(&k.scopes),
    }
}

pub fn tag_state(t: &Tag) -> TagState {
    TagState {
        label: t.label.clone(),
        description: t.description.clone().filter(|d| !d.is_empty()),
    }
}

struct Planner<'a> {
    desired: &'a Config,
    live: &'a Live,
    index: Index<'a>,
    ctx: &'a Context,
    ignore: IgnoreSet,
    actions: Vec<Action>,
    unmanaged: Vec<Unmanaged>,
    warnings: Vec<String>,
    errors: Vec<Diagnostic>,
}

impl Planner<'_> {
    fn push(
        &mut self,
        address: String,
        kind: Kind,
        op: Op,
        before: Option<State>,
        after: Option<State>,
    ) -> &mut Action {
        self.actions.push(Action {
            address,
            kind,
            op,
            phase: 0,
            before,
            after,
            reason: None,
            live_id: None,
            risk: Default::default(),
            attribution: None,
            source: None,
        });
        self.actions.last_mut().expect("just pushed")
    }

    /// A change `policy.protect` forbids: left alone, with a warning.
    fn protected(&mut self, address: String, would: &str) {
        self.warnings.push(format!(
            "{address} is protected by policy.protect: it would be {would}, so it is left as it is"
        ));
        self.leave(address, "protected by policy.protect");
    }

    fn leave(&mut self, address: String, why: &str) {
        self.unmanaged.push(Unmanaged {
            address,
            why: why.to_owned(),
            attribution: None,
        });
    }

    /// Who created the live key `k`, if the audit log says.
    fn created(&self, k: &ApiKey) -> Option<crate::attribution::Attribution> {
        self.ctx.key_events.as_ref()?.created(&k.id)
    }

    /// Attributes the entry just left alone to the creation of `k`.
    fn attribute_left(&mut self, k: &ApiKey) {
        let a = self.created(k);
        if let Some(u) = self.unmanaged.last_mut() {
            u.attribution = a;
        }
    }

    fn members(&mut self) {
        let live = self.live;
        let owner = live.members.iter().find(|m| m.role == Role::Owner);
        let mut declared = BTreeSet::new();
        for spec in &self.desired.members {
            let email = &spec.email.value;
            declared.insert(email);
            let found = match self.index.members.get(email).map(Vec::as_slice) {
                Some([m]) => Some(*m),
                Some(twins @ [_, _, ..]) => {
                    let named: Vec<String> = twins
                        .iter()
                        .map(|m| format!("`{}` ({})", m.email, m.id))
                        .collect();
                    self.errors.push(
                        Diagnostic::new(
                            spec.email.loc,
                            format!(
                                "{} live members have the address `{}` in different cases: {}",
                                twins.len(),
                                spec.email.value,
                                named.join(", ")
                            ),
                        )
                        .help("addresses compare without case, so the tool cannot tell which one the file means; remove all but one in Instantly"),
                    );
                    continue;
                }
                _ => None,
            };
            let is_owner = owner.is_some_and(|o| &o.email == email);
            if spec.role.value.is_owner() {
                if !is_owner {
                    let now = owner.map_or("nobody".to_owned(), |o| format!("`{}`", o.email));
                    self.errors.push(
                        Diagnostic::new(
                            spec.role.loc,
                            format!("`{}` is not the owner of this workspace (the owner is {now})", spec.email.value),
                        )
                        .help("ownership is transferred in the Instantly app, never by this tool; declare the current owner with `role: owner`"),
                    );
                } else if let Some(o) = owner {
                    // The owner's role is never changed; a declared nickname is kept.
                    self.nickname_only(spec, o);
                }
                continue;
            }
            if is_owner {
                self.errors.push(
                    Diagnostic::new(
                        spec.role.loc,
                        format!("`{}` owns this workspace; the owner's role cannot be changed", spec.email.value),
                    )
                    .help("declare the owner with `role: owner`; ownership is transferred in the Instantly app"),
                );
                continue;
            }
            let (role, permissions) = self.desired.resolve_role(&spec.role.value);
            let address = member_address(email);
            let want = MemberState {
                email: found.map_or(spec.email.value.clone(), |m| m.email.clone()),
                role,
                permissions,
                pending: found.is_some_and(|m| !m.accepted),
                // Not declared: not managed, so the live one is kept (and
                // carried by a re-invite).
                nickname: spec
                    .nickname
                    .clone()
                    .or_else(|| found.and_then(|m| m.nickname.clone().filter(|n| !n.is_empty()))),
                team_role: match &spec.role.value {
                    crate::config::RoleRef::Team(name) => Some(name.clone()),
                    crate::config::RoleRef::Builtin(_) => None,
                },
            };
            let Some(m) = found else {
                let want = MemberState {
                    pending: true,
                    ..want
                };
                self.push(
                    address,
                    Kind::Member,
                    Op::Create,
                    None,
                    Some(State::Member(want)),
                );
                continue;
            };
            let mut have = member_state(m);
            have.team_role = crate::team_roles::matching(
                self.desired,
                &have.role,
                &have.permissions,
                want.team_role.as_deref(),
            );
            let protect = self.desired.policy.protect.member(email);
            if protect && have.permissions != want.permissions {
                self.protected(address, "re-invited, losing access until they accept");
            } else if protect && want.role.rank() < have.role.rank() {
                self.protected(
                    address,
                    &format!("demoted from {} to {}", have.role, want.role),
                );
            } else if have.permissions != want.permissions {
                let a = self.push(
                    address,
                    Kind::Member,
                    Op::Replace,
                    Some(State::Member(have)),
                    Some(State::Member(MemberState {
                        pending: true,
                        ..want
                    })),
                );
                a.reason = Some("permissions cannot be changed in place (PATCH takes only the role): the member is removed and re-invited, and has no access until they accept".into());
                a.live_id = Some(m.id.clone());
            } else if have.role != want.role || have.nickname != want.nickname {
                // PATCH sends only what changed: the role, the nickname, or both.
                let a = self.push(
                    address,
                    Kind::Member,
                    Op::Update,
                    Some(State::Member(have)),
                    Some(State::Member(want)),
                );
                a.live_id = Some(m.id.clone());
            }
        }
        for m in &live.members {
            if declared.contains(&m.email) || m.role == Role::Owner {
                continue;
            }
            // Twins differing only in case are told apart by their ids.
            let twins = self.index.members.get(&m.email).map_or(1, Vec::len);
            let address = if twins > 1 {
                format!("member[{} ({})]", m.email, m.id)
            } else {
                member_address(&m.email)
            };
            if self.ignore.member(&m.email) {
                self.leave(address, "ignored by policy.ignore.members");
            } else if self.desired.policy.members == Mode::Additive {
                self.leave(address, "not declared; policy.members is additive");
            } else if self.desired.policy.protect.member(&m.email) {
                self.protected(address, "removed");
            } else {
                let a = self.push(
                    address,
                    Kind::Member,
                    Op::Delete,
                    Some(State::Member(member_state(m))),
                    None,
                );
                a.live_id = Some(m.id.clone());
            }
        }
    }

    /// The owner's entry: only a declared nickname can change.
    fn nickname_only(&mut self, spec: &MemberSpec, m: &Member) {
        let have = member_state(m);
        if spec.nickname.is_none() || spec.nickname == have.nickname {
            return;
        }
        let want = MemberState {
            nickname: spec.nickname.clone(),
            ..have.clone()
        };
        let a = self.push(
            member_address(&m.email),
            Kind::Member,
            Op::Update,
            Some(State::Member(have)),
            Some(State::Member(want)),
        );
        a.live_id = Some(m.id.clone());
    }

    /// "rotation due: …" when the key is older than `rotate_after_days`
    /// (`is_rotation_due`).
    fn rotation_due(&self, days: Option<u32>, k: &ApiKey) -> Option<String> {
        let (days, now) = (days?, self.ctx.now?);
        let created = crate::timestamp::parse(&k.timestamp_created)?;
        let age = (now - created) / 86_400;
        is_rotation_due(age, days).then(|| {
            format!(
                "rotation due: created {}, {age} days ago (rotate_after_days: {days}); a new key is created, then the old one is revoked",
                crate::timestamp::date(created)
            )
        })
    }

    /// Why a key's age is unknown when `rotate_after_days` needs it: an
    /// unreadable or future creation time never plans a rotation silently.
    fn unknown_age(&self, days: Option<u32>, k: &ApiKey) -> Option<String> {
        let (days, now) = (days?, self.ctx.now?);
        match crate::timestamp::parse(&k.timestamp_created) {
            None => Some(format!(
                "rotate_after_days is {days}, but the key's creation time {:?} cannot be read, so no rotation is planned: rotate it by hand",
                k.timestamp_created
            )),
            Some(created) if created > now + 86_400 => Some(format!(
                "rotate_after_days is {days}, but the key was created in the future ({}), so no rotation is planned: rotate it by hand",
                k.timestamp_created
            )),
            Some(_) => None,
        }
    }

    /// Whether `k` may be the key this tool authenticates with: its mask
    /// (first four and last four characters) is the tool's. Several keys
    /// can share a mask; each of them is treated as the tool's own.
    fn is_auth_key(&self, k: &ApiKey) -> bool {
        self.ctx.auth_key_mask.as_deref() == Some(k.key.as_str())
    }

    fn api_keys(&mut self) {
        let live = self.live;
        let own: Vec<&ApiKey> = live
            .api_keys
            .iter()
            .filter(|k| self.is_auth_key(k))
            .collect();
        if own.len() > 1 {
            let names: Vec<String> = own
                .iter()
                .map(|k| format!("`{}` ({})", k.name, k.id))
                .collect();
            self.warnings.push(format!(
                "{} live API keys match the mask {} of the key this tool authenticates with: {}; the tool cannot tell which one it authenticates with, so none of them is revoked, replaced or rotated",
                own.len(),
                own[0].key,
                names.join(", ")
            ));
        }
        let mut used = BTreeSet::new();
        let declared_names: std::collections::HashSet<&str> = self
            .desired
            .api_keys
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        for spec in &self.desired.api_keys {
            let name = &spec.name.value;
            let address = key_address(name);
            let want = KeyState {
                name: name.clone(),
                scopes: sorted(&spec.scopes),
            };
            let candidates: Vec<&ApiKey> = self
                .index
                .keys_by_name
                .get(name.as_str())
                .cloned()
                .unwrap_or_default();
            // Names are not unique in the API: adopt the key that already
            // matches, whose secret was delivered, and is not due for
            // rotation (after an interrupted rotation that is the new key),
            // else one that matches and was delivered, else the one this
            // tool authenticates with, else the oldest.
            let fresh = |k: &&&ApiKey| {
                key_state(k) == want
                    && !self.undelivered(k)
                    && self.rotation_due(spec.rotate_after_days, k).is_none()
            };
            let Some(k) = candidates
                .iter()
                .find(fresh)
                .or_else(|| {
                    candidates
                        .iter()
                        .find(|k| key_state(k) == want && !self.undelivered(k))
                })
                .or_else(|| candidates.iter().find(|k| self.is_auth_key(k)))
                .or(candidates.first())
                .copied()
            else {
                let deleted = self
                    .ctx
                    .key_events
                    .as_ref()
                    .and_then(|e| e.deleted_named(name));
                let a = self.push(
                    address,
                    Kind::ApiKey,
                    Op::Create,
                    None,
                    Some(State::ApiKey(want)),
                );
                a.attribution = deleted;
                continue;
            };
            used.insert(k.id.clone());
            let have = key_state(k);
            let rotation = self.rotation_due(spec.rotate_after_days, k);
            if let Some(why) = self.unknown_age(spec.rotate_after_days, k) {
                self.warnings.push(format!("{address}: {why}"));
            }
            let undelivered = self.undelivered(k);
            if have == want && rotation.is_none() && !undelivered {
                continue;
            }
            if self.desired.policy.protect.api_key(name) {
                self.protected(
                    address,
                    if have == want {
                        "rotated (its old key revoked)"
                    } else {
                        "replaced (its old key revoked)"
                    },
                );
                self.attribute_left(k);
                continue;
            }
            if have == want && self.is_auth_key(k) {
                self.warnings.push(format!(
                    "{address} is due for rotation, but it is the key this tool authenticates with: rotate it by hand, then give the tool the new key"
                ));
                continue;
            }
            if self.is_auth_key(k) {
                self.warnings.push(format!(
                    "{address} is the key this tool authenticates with; it is never replaced, so its scopes stay {:?}",
                    have.scopes
                ));
                continue;
            }
            let attribution = self.created(k);
            let a = self.push(
                address,
                Kind::ApiKey,
                Op::Replace,
                Some(State::ApiKey(have)),
                Some(State::ApiKey(want)),
            );
            a.reason = Some(match rotation {
                _ if undelivered => UNDELIVERED_REPLACED.into(),
                Some(why) if a.before == a.after => why,
                _ => "API keys have no PATCH: a new key with the new scopes is created, then the old one is revoked".into(),
            });
            a.live_id = Some(k.id.clone());
            a.attribution = attribution;
        }
        for k in &live.api_keys {
            if used.contains(&k.id) {
                continue;
            }
            let declared = declared_names.contains(k.name.as_str());
            let address = if declared {
                format!("api_key[{} ({})]", k.name, k.id)
            } else {
                key_address(&k.name)
            };
            if self.ignore.api_key(&k.name) {
                self.leave(address, "ignored by policy.ignore.api_keys");
                self.attribute_left(k);
            } else if self.desired.policy.api_keys == Mode::Additive && !declared {
                self.leave(address, "not declared; policy.api_keys is additive");
                self.attribute_left(k);
            } else if self.is_auth_key(k) {
                // Warned only where the file would have it revoked.
                self.warnings.push(format!(
                    "{address} is the key this tool authenticates with; it is protected and never revoked"
                ));
                self.leave(address, "the key this tool authenticates with");
                self.attribute_left(k);
            } else if self.desired.policy.protect.api_key(&k.name) {
                self.protected(address, "revoked");
                self.attribute_left(k);
            } else {
                let undelivered = self.undelivered(k);
                let attribution = self.created(k);
                let a = self.push(
                    address,
                    Kind::ApiKey,
                    Op::Delete,
                    Some(State::ApiKey(key_state(k))),
                    None,
                );
                if undelivered {
                    a.reason = Some(UNDELIVERED_REVOKED.into());
                } else if declared {
                    a.reason = Some("a second key with a declared name".into());
                }
                a.live_id = Some(k.id.clone());
                a.attribution = attribution;
            }
        }
    }

    /// Whether `k` may be a key an earlier apply created and was killed
    /// before delivering its secret.
    fn undelivered(&self, k: &ApiKey) -> bool {
        self.ctx
            .undelivered
            .iter()
            .any(|i| i.may_be(&k.id, &k.name))
    }

    fn tags(&mut self) {
        let live = self.live;
        for spec in &self.desired.tags {
            let label = &spec.label.value;
            let address = tag_address(label);
            let found = self.index.tags.get(label.trim()).copied();
            let want = TagState {
                label: label.clone(),
                description: spec.description.clone().filter(|d| !d.is_empty()),
            };
            match found {
                None => {
                    self.push(address, Kind::Tag, Op::Create, None, Some(State::Tag(want)));
                }
                Some(t) => {
                    let have = tag_state(t);
                    // An omitted description is not managed.
                    if want.description.is_some() && have.description != want.description {
                        let a = self.push(
                            address,
                            Kind::Tag,
                            Op::Update,
                            Some(State::Tag(have)),
                            Some(State::Tag(want)),
                        );
                        a.live_id = Some(t.id.clone());
                    }
                }
            }
            self.assignments(spec, found);
        }
        let declared: std::collections::HashSet<&str> = self
            .desired
            .tags
            .iter()
            .map(|s| s.label.value.trim())
            .collect();
        for t in &live.tags {
            if declared.contains(t.label.trim()) {
                continue;
            }
            let address = tag_address(&t.label);
            if self.ignore.tag(&t.label) {
                self.leave(address, "ignored by policy.ignore.tags");
            } else if self.desired.policy.tags == Mode::Additive {
                self.leave(address, "not declared; policy.tags is additive");
            } else {
                let n = self.index.mappings.get(t.id.as_str()).map_or(0, Vec::len);
                let a = self.push(
                    address,
                    Kind::Tag,
                    Op::Delete,
                    Some(State::Tag(tag_state(t))),
                    None,
                );
                a.live_id = Some(t.id.clone());
                a.reason = Some(if live.assignments_read {
                    format!(
                        "its {n} assignment{} go{} with it",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "es" } else { "" }
                    )
                } else {
                    "its assignments go with it".to_owned()
                });
            }
        }
    }

    /// The assignments of a declared tag are authoritative, except those to
    /// a resource type this tool does not know: it can neither name nor
    /// declare them, so they are left alone.
    fn assignments(&mut self, spec: &TagSpec, tag: Option<&Tag>) {
        let live = self.live;
        let label = &spec.label.value;
        // (resource kind, resource id) -> display name
        let mut want: BTreeMap<(ResourceKind, String), String> = BTreeMap::new();
        for name in &spec.campaigns {
            let matches: Vec<&Campaign> = self
                .index
                .campaigns_by_name
                .get(name.value.as_str())
                .cloned()
                .unwrap_or_default();
            match matches.as_slice() {
                [c] => {
                    want.insert((ResourceKind::Campaign, c.id.clone()), c.name.clone());
                }
                [] => {
                    let lower = name.value.to_lowercase();
                    // Each suggestion scans every campaign: only for the
                    // first errors, so a file of thousands of wrong names
                    // stays linear.
                    let suggest = self.errors.len() < SUGGESTED_ERRORS;
                    let near: Vec<String> = live.campaigns
                        [..if suggest { live.campaigns.len() } else { 0 }]
                        .iter()
                        .filter(|c| {
                            let n = c.name.to_lowercase();
                            n.contains(&lower)
                                || lower.contains(&n)
                                || vocab::closest(&lower, &[n.as_str()]).is_some()
                        })
                        .take(5)
                        .map(|c| format!("`{}` ({})", c.name, c.id))
                        .collect();
                    let help = if near.is_empty() {
                        "names are matched exactly; check the campaign's name in Instantly"
                            .to_owned()
                    } else {
                        format!("names are matched exactly; similar: {}", near.join(", "))
                    };
                    self.errors.push(
                        Diagnostic::new(name.loc, format!("no campaign is named `{}`", name.value))
                            .help(help),
                    );
                }
                many => {
                    let ids: Vec<String> = many.iter().map(|c| c.id.clone()).collect();
                    self.errors.push(
                        Diagnostic::new(
                            name.loc,
                            format!("{} campaigns are named `{}`", many.len(), name.value),
                        )
                        .help(format!(
                            "rename all but one in Instantly so the name is unique; candidates: {}",
                            ids.join(", ")
                        )),
                    );
                }
            }
        }
        for email in &spec.accounts {
            match self.index.accounts.get(&email.value).copied() {
                Some(a) => {
                    let id = a.email.as_str().to_owned();
                    want.insert((ResourceKind::Account, id.clone()), id);
                }
                None => self.errors.push(
                    Diagnostic::new(email.loc, format!("no sending account `{}` in this workspace", email.value))
                        .help("list sending accounts by their email address, as shown under Email Accounts"),
                ),
            }
        }
        let mut have: BTreeMap<(ResourceKind, String), String> = BTreeMap::new();
        let mut unknown: Vec<(u8, &str)> = Vec::new();
        if let Some(t) = tag {
            for m in self.index.mappings.get(t.id.as_str()).into_iter().flatten() {
                let Some(kind) = ResourceKind::from_api(m.resource_type) else {
                    unknown.push((m.resource_type.into(), &m.resource_id));
                    continue;
                };
                let name = match kind {
                    ResourceKind::Campaign => self
                        .index
                        .campaigns_by_id
                        .get(m.resource_id.as_str())
                        .map_or(m.resource_id.clone(), |c| c.name.clone()),
                    ResourceKind::Account => m.resource_id.clone(),
                };
                have.insert((kind, m.resource_id.clone()), name);
            }
        }
        for (n, id) in unknown {
            self.leave(
                assignment_address(label, &format!("type {n}"), id),
                &format!("resource type {n} is not one this tool knows; left alone"),
            );
        }
        let tag_id = tag.map(|t| t.id.clone());
        let state = |(kind, id): &(ResourceKind, String), name: &String| AssignmentState {
            tag: label.clone(),
            resource_type: *kind,
            resource: name.clone(),
            resource_id: id.clone(),
        };
        for (key, name) in &want {
            if !have.contains_key(key) {
                let s = state(key, name);
                let a = self.push(
                    assignment_address(label, s.resource_type.as_str(), name),
                    Kind::Assignment,
                    Op::Create,
                    None,
                    Some(State::Assignment(s)),
                );
                a.live_id = tag_id.clone();
            }
        }
        for (key, name) in &have {
            if !want.contains_key(key) {
                let s = state(key, name);
                let a = self.push(
                    assignment_address(label, s.resource_type.as_str(), name),
                    Kind::Assignment,
                    Op::Delete,
                    Some(State::Assignment(s)),
                    None,
                );
                a.live_id = tag_id.clone();
            }
        }
    }
}

/// The rotation rule, shared with `review`: a key is due once its age in
/// whole days is more than `rotate_after_days` (not at exactly that age).
pub fn is_rotation_due(age_days: i64, rotate_after_days: u32) -> bool {
    age_days > i64::from(rotate_after_days)
}
