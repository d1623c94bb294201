//! Properties over arbitrary workspace shapes, through the production
//! pipeline (`pipeline::plan_path` reads the file and the live workspace
//! exactly as `plan` and `apply` do; `applier::apply` is what `apply` runs):
//! - plan → apply → plan is empty;
//! - export → plan is empty;
//! - the sandbox sees no write the plan does not list.
//!
//! Shapes include what the demo never reaches: no tags, no campaigns, no
//! accounts, no keys but the tool's own, pending invites, team roles,
//! assignments of a resource type the tool does not know, and emails that
//! differ from the live ones only in case.

use crate::support::OPERATOR_KEY;
use instantly_rbac::api_types::{ApiKey, Member, ResourceType, TagMapping};
use instantly_rbac::client::{Client, ClientOptions};
use instantly_rbac::pipeline;
use instantly_rbac::plan::{Kind, Op, Plan};
use instantly_rbac::sandbox::Sandbox;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use proptest::prelude::*;
use proptest::sample::subsequence;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const EMAILS: &[&str] = &[
    "a@acme.com",
    "b@acme.com",
    "c@acme.com",
    "d@acme.com",
    "e@acme.com",
];
const ROLES: &[&str] = &["admin", "editor", "view", "team1", "team2"];
const KEYS: &[&str] = &["k1", "k2", "k3"];
const SCOPES: &[&str] = &["campaigns:read", "leads:all", "all:read", "accounts:update"];
const TAGS: &[&str] = &["t1", "t2", "t3"];

/// Team roles: (name, base role, permissions).
const TEAMS: &[(&str, &str, &[&str])] = &[
    ("team1", "editor", &["campaigns.view", "leads.move"]),
    ("team2", "view", &["dashboard.view"]),
];

fn team(role: &str) -> Option<(&'static str, &'static [&'static str])> {
    TEAMS
        .iter()
        .find(|(n, _, _)| *n == role)
        .map(|(_, r, p)| (*r, *p))
}

#[derive(Debug, Clone)]
struct Person {
    email: usize,
    role: usize,
    /// A pending invitation (live only).
    pending: bool,
    /// The address written with capitals (`A@Acme.com`).
    upper: bool,
}

#[derive(Debug, Clone)]
struct TagW {
    label: usize,
    /// Indices into the demo's campaigns and accounts.
    campaigns: Vec<usize>,
    accounts: Vec<usize>,
    /// Live only: an assignment of a resource type the tool does not know.
    unknown: bool,
}

#[derive(Debug, Clone)]
struct Shape {
    /// Which of the demo's campaigns and accounts exist (live only).
    campaigns: Vec<usize>,
    accounts: Vec<usize>,
    members: Vec<Person>,
    keys: Vec<(usize, Vec<usize>)>,
    tags: Vec<TagW>,
}

fn indices(n: usize, max: usize) -> impl Strategy<Value = Vec<usize>> {
    subsequence((0..n).collect::<Vec<_>>(), 0..=max.min(n))
}

fn shape() -> impl Strategy<Value = Shape> {
    let person = (0..ROLES.len(), any::<bool>(), any::<bool>());
    let members = indices(EMAILS.len(), EMAILS.len()).prop_flat_map(move |emails| {
        let n = emails.len();
        (Just(emails), prop::collection::vec(person.clone(), n)).prop_map(|(e, p)| {
            e.into_iter()
                .zip(p)
                .map(|(email, (role, pending, upper))| Person {
                    email,
                    role,
                    pending,
                    upper,
                })
                .collect::<Vec<_>>()
        })
    });
    let keys = indices(KEYS.len(), KEYS.len()).prop_flat_map(|names| {
        let n = names.len();
        (
            Just(names),
            prop::collection::vec(subsequence((0..SCOPES.len()).collect::<Vec<_>>(), 1..=2), n),
        )
            .prop_map(|(n, s)| n.into_iter().zip(s).collect::<Vec<_>>())
    });
    let tags = indices(TAGS.len(), TAGS.len()).prop_flat_map(|labels| {
        let n = labels.len();
        let tag = (indices(4, 2), indices(3, 2), any::<bool>());
        (Just(labels), prop::collection::vec(tag, n)).prop_map(|(l, t)| {
            l.into_iter()
                .zip(t)
                .map(|(label, (campaigns, accounts, unknown))| TagW {
                    label,
                    campaigns,
                    accounts,
                    unknown,
                })
                .collect::<Vec<_>>()
        })
    });
    (indices(4, 4), indices(3, 3), members, keys, tags).prop_map(
        |(campaigns, accounts, members, keys, tags)| Shape {
            campaigns,
            accounts,
            members,
            keys,
            tags,
        },
    )
}

fn email(p: &Person) -> String {
    let e = EMAILS[p.email];
    if p.upper {
        let (local, domain) = e.split_once('@').unwrap();
        format!("{}@{}", local.to_uppercase(), domain.to_uppercase())
    } else {
        e.to_owned()
    }
}

/// The live workspace: the demo's owner and operator key, plus `s`.
fn live_state(s: &Shape) -> SandboxState {
    let demo = demo_state();
    let mut st = demo.clone();
    st.members.truncate(1);
    st.api_keys.truncate(1);
    st.tags.clear();
    st.mappings.clear();
    st.campaigns = s
        .campaigns
        .iter()
        .map(|&i| demo.campaigns[i].clone())
        .collect();
    st.accounts = s
        .accounts
        .iter()
        .map(|&i| demo.accounts[i].clone())
        .collect();
    for (i, p) in s.members.iter().enumerate() {
        let (role, permissions) = match team(ROLES[p.role]) {
            Some((r, perms)) => (
                r.to_owned(),
                Some(perms.iter().map(|x| x.to_string()).collect()),
            ),
            None => (ROLES[p.role].to_owned(), None),
        };
        st.members.push(Member {
            id: format!("01946416-1000-7000-9000-{i:012}"),
            email: email(p).as_str().into(),
            role: role.as_str().into(),
            permissions,
            accepted: !p.pending,
            ..demo.members[1].clone()
        });
    }
    for (i, (k, scopes)) in s.keys.iter().enumerate() {
        st.api_keys.push(ApiKey {
            id: format!("01946416-3000-7000-9000-{i:012}"),
            name: KEYS[*k].into(),
            scopes: scopes.iter().map(|&x| SCOPES[x].to_owned()).collect(),
            key: format!("sbx_prop_key_{i}_0000000000"),
            ..demo.api_keys[1].clone()
        });
    }
    for (i, t) in s.tags.iter().enumerate() {
        let mut tag = demo.tags[0].clone();
        tag.id = format!("01946416-4000-7000-9000-{i:012}");
        tag.label = TAGS[t.label].into();
        let mut map = |n: String, resource_type: ResourceType, resource_id: String| {
            st.mappings.push(TagMapping {
                id: format!("01946416-6000-7000-{n}"),
                tag_id: tag.id.clone(),
                resource_id,
                resource_type,
                ..demo.mappings[0].clone()
            })
        };
        for &c in t.campaigns.iter().filter(|c| s.campaigns.contains(c)) {
            map(
                format!("9{i:03}-{c:012}"),
                ResourceType::Campaign,
                demo.campaigns[c].id.clone(),
            );
        }
        for &a in t.accounts.iter().filter(|a| s.accounts.contains(a)) {
            map(
                format!("a{i:03}-{a:012}"),
                ResourceType::Account,
                demo.accounts[a].email.to_string(),
            );
        }
        if t.unknown {
            map(
                format!("b{i:03}-000000000000"),
                ResourceType::Other(7),
                format!("thing-{i}"),
            );
        }
        st.tags.push(tag);
    }
    st
}

/// The desired file for `want`, naming only campaigns and accounts that
/// exist in `live` (a name that does not exist is a located error, tested
/// elsewhere). Policies from `modes` (additive when true); deletion
/// limits off (they are tested in safety.rs).
fn desired_yaml(want: &Shape, live: &Shape, modes: (bool, bool, bool)) -> String {
    let demo = demo_state();
    let mode = |additive: bool| {
        if additive {
            "additive"
        } else {
            "authoritative"
        }
    };
    let mut y = String::from("version: 1\n");
    let _ = writeln!(
        y,
        "policy:\n  members: {}\n  api_keys: {}\n  tags: {}\n  max_delete_percent: 100",
        mode(modes.0),
        mode(modes.1),
        mode(modes.2)
    );
    y.push_str("roles:\n");
    for (name, role, perms) in TEAMS {
        let _ = writeln!(
            y,
            "  {name}:\n    role: {role}\n    permissions: [{}]",
            perms.join(", ")
        );
    }
    y.push_str("members:\n  - email: owner@acme.com\n    role: owner\n");
    for p in &want.members {
        let _ = writeln!(y, "  - email: {}\n    role: {}", email(p), ROLES[p.role]);
    }
    y.push_str("api_keys:\n");
    for (k, scopes) in &want.keys {
        let s: Vec<&str> = scopes.iter().map(|&i| SCOPES[i]).collect();
        let _ = writeln!(
            y,
            "  - name: {}\n    scopes: [\"{}\"]",
            KEYS[*k],
            s.join("\", \"")
        );
    }
    y.push_str("tags:\n");
    for t in &want.tags {
        let c: Vec<&str> = t
            .campaigns
            .iter()
            .filter(|c| live.campaigns.contains(c))
            .map(|&c| demo.campaigns[c].name.as_str())
            .collect();
        let a: Vec<String> = t
            .accounts
            .iter()
            .filter(|a| live.accounts.contains(a))
            .map(|&a| demo.accounts[a].email.to_string())
            .collect();
        let _ = writeln!(
            y,
            "  - label: {}\n    campaigns: [{}]\n    accounts: [{}]",
            TAGS[t.label],
            c.join(", "),
            a.join(", ")
        );
    }
    y
}

fn client(url: &str) -> Client {
    let opts = ClientOptions {
        rate_limit: 10_000.0,
        ..Default::default()
    };
    Client::with_options(url, SecretString::from(OPERATOR_KEY.to_owned()), opts).unwrap()
}

/// The writes (`METHOD /path` → count) that carrying out `plan` may send:
/// exactly one per action, toggles aside (batched, counted apart).
fn writes_of(plan: &Plan) -> BTreeMap<String, usize> {
    let mut w = BTreeMap::new();
    let mut add = |k: String| *w.entry(k).or_insert(0) += 1;
    for a in &plan.actions {
        let id = a.live_id.clone().unwrap_or_default();
        match (a.kind, a.op) {
            (Kind::Member, Op::Create) => add("POST /workspace-members".into()),
            (Kind::Member, Op::Update) => add(format!("PATCH /workspace-members/{id}")),
            (Kind::Member, Op::Replace) => {
                add(format!("DELETE /workspace-members/{id}"));
                add("POST /workspace-members".into());
            }
            (Kind::Member, Op::Delete) => add(format!("DELETE /workspace-members/{id}")),
            (Kind::ApiKey, Op::Create) => add("POST /api-keys".into()),
            (Kind::ApiKey, Op::Replace) => {
                add("POST /api-keys".into());
                add(format!("DELETE /api-keys/{id}"));
            }
            (Kind::ApiKey, Op::Delete) => add(format!("DELETE /api-keys/{id}")),
            (Kind::ApiKey, Op::Update) => panic!("keys have no update: {a:?}"),
            (Kind::Tag, Op::Create) => add("POST /custom-tags".into()),
            (Kind::Tag, Op::Update) => add(format!("PATCH /custom-tags/{id}")),
            (Kind::Tag, Op::Delete) => add(format!("DELETE /custom-tags/{id}")),
            (Kind::Tag, Op::Replace) => panic!("tags are not replaced: {a:?}"),
            (Kind::Assignment, _) => {}
            (Kind::SubWorkspace, Op::Create) => add("POST /workspace-group-members".into()),
            (Kind::SubWorkspace, Op::Replace) => {
                add(format!("DELETE /workspace-group-members/{id}"));
                add("POST /workspace-group-members".into());
            }
            (Kind::SubWorkspace, Op::Delete) => {
                add(format!("DELETE /workspace-group-members/{id}"))
            }
            (Kind::SubWorkspace, Op::Update) => panic!("the group has no update: {a:?}"),
        }
    }
    w
}

/// The writes the sandbox served since `before`, toggles apart.
fn writes_seen(
    sandbox: &Sandbox,
    before: &BTreeMap<String, usize>,
) -> (BTreeMap<String, usize>, usize) {
    let mut writes = BTreeMap::new();
    let mut toggles = 0;
    for (endpoint, n) in sandbox.requests_by_endpoint() {
        let n = n - before.get(&endpoint).copied().unwrap_or(0);
        let (method, path) = endpoint.split_once(' ').unwrap();
        let path = path.strip_prefix("/api/v2").unwrap_or(path);
        if n == 0 || method == "GET" {
            continue;
        }
        if path == "/custom-tags/toggle-resource" {
            toggles += n;
        } else {
            writes.insert(format!("{method} {path}"), n);
        }
    }
    (writes, toggles)
}

fn write_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    crate::support::write(dir, name, text)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Export, then plan the export: nothing to do, whatever the shape.
    #[test]
    fn an_export_plans_to_no_changes(live in shape()) {
        runtime().block_on(async {
            let sandbox = Sandbox::start(live_state(&live), None, 0).await.unwrap();
            let c = client(&sandbox.url);
            let exported = pipeline::read_for_export(&c).await.unwrap();
            let (config, _) = instantly_rbac::export::to_config(&exported);
            let yaml = instantly_rbac::export::to_yaml(&config, &exported.workspace.name);
            let dir = tempfile::tempdir().unwrap();
            let file = write_file(dir.path(), "exported.yaml", &yaml);
            let planned = pipeline::plan_path(&c, &file).await
                .unwrap_or_else(|e| panic!("{}\n{yaml}", e.render(false)));
            assert!(planned.plan.is_empty(), "{yaml}\n{:?}", planned.plan.actions);
            sandbox.stop().await;
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Plan any file against any shape, apply it: the sandbox saw exactly
    /// the writes the plan lists, and the next plan is empty.
    #[test]
    fn applying_any_plan_writes_only_what_it_lists_and_converges(
        live in shape(),
        want in shape(),
        modes in any::<(bool, bool, bool)>(),
    ) {
        let yaml = desired_yaml(&want, &live, modes);
        runtime().block_on(async {
            let sandbox = Sandbox::start(live_state(&live), None, 0).await.unwrap();
            let c = client(&sandbox.url);
            let dir = tempfile::tempdir().unwrap();
            let file = write_file(dir.path(), "w.yaml", &yaml);
            let first = pipeline::plan_path(&c, &file).await
                .unwrap_or_else(|e| panic!("{}\n{yaml}", e.render(false)));
            assert!(first.plan.blocks.is_empty(), "{:?}", first.plan.blocks);
            let before = sandbox.requests_by_endpoint();
            let mut secrets = instantly_rbac::secret_sink::SecretSink::file(
                instantly_rbac::secrets_out::SecretsOut::create(&dir.path().join("s.json")).unwrap(),
            );
            let report = instantly_rbac::applier::apply(&c, &first.plan, Some(&mut secrets), None).await;
            assert!(report.ok(), "{report:?}\n{yaml}");
            let (writes, toggles) = writes_seen(&sandbox, &before);
            assert_eq!(writes, writes_of(&first.plan), "{yaml}");
            let assignments = first.plan.actions.iter().any(|a| a.kind == Kind::Assignment);
            assert_eq!(toggles > 0, assignments, "{yaml}");
            let second = pipeline::plan_path(&c, &file).await.unwrap();
            assert!(
                second.plan.is_empty(),
                "{yaml}\nafter {:?}\nstill {:?}",
                first.plan.actions.iter().map(|a| &a.address).collect::<Vec<_>>(),
                second.plan.actions
            );
            // Assignments of unknown resource types are never touched.
            let unknown = |s: &SandboxState| s.mappings.iter()
                .filter(|m| matches!(m.resource_type, ResourceType::Other(_)))
                .map(|m| m.id.clone()).collect::<Vec<_>>();
            let kept_tags: Vec<String> = sandbox.state().tags.iter().map(|t| t.id.clone()).collect();
            let expected: Vec<String> = live_state(&live).mappings.iter()
                .filter(|m| matches!(m.resource_type, ResourceType::Other(_)) && kept_tags.contains(&m.tag_id))
                .map(|m| m.id.clone()).collect();
            assert_eq!(unknown(&sandbox.state()), expected, "{yaml}");
            sandbox.stop().await;
        });
    }
}
