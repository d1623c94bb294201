//! Properties of plan and apply over random workspaces: plan(x, x) is empty,
//! and applying any plan to the sandbox converges to an empty plan.

use crate::support::OPERATOR_KEY;
use instantly_rbac::api_types::{ApiKey, Member, TagMapping};
use instantly_rbac::config::{ApiKeySpec, At, Config, MemberSpec, Mode, Policy, TagSpec, TeamRole};
use instantly_rbac::planner::{Context, plan};
use instantly_rbac::sandbox::Sandbox;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;
use proptest::prelude::*;
use proptest::sample::subsequence;
use secrecy::SecretString;

const EMAILS: &[&str] = &[
    "a@acme.com",
    "b@acme.com",
    "c@acme.com",
    "d@acme.com",
    "e@acme.com",
    "f@acme.com",
];
const ROLES: &[&str] = &["admin", "editor", "view", "team1", "team2"];
const KEYS: &[&str] = &["k1", "k2", "k3", "k4"];
const SCOPES: &[&str] = &["campaigns:read", "leads:all", "all:read", "accounts:update"];
const TAGS: &[&str] = &["t1", "t2", "t3", "t4"];
const CAMPAIGNS: &[&str] = &[
    "Q4 West Outbound",
    "Q4 East Outbound",
    "Legacy Promo",
    "Partner Webinar",
];
const ACCOUNTS: &[&str] = &[
    "west1@acme-mail.com",
    "west2@acme-mail.com",
    "east1@acme-mail.com",
];

fn team(role: &str) -> Option<TeamRole> {
    match role {
        "team1" => Some(TeamRole {
            role: "editor".into(),
            permissions: vec!["campaigns.view".into(), "leads.move".into()],
            loc: Default::default(),
        }),
        "team2" => Some(TeamRole {
            role: "view".into(),
            permissions: vec!["dashboard.view".into()],
            loc: Default::default(),
        }),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct World {
    members: Vec<(usize, usize)>,
    keys: Vec<(usize, Vec<usize>)>,
    tags: Vec<(usize, Vec<usize>, Vec<usize>)>,
}

fn world() -> impl Strategy<Value = World> {
    let members = subsequence((0..EMAILS.len()).collect::<Vec<_>>(), 0..=EMAILS.len())
        .prop_flat_map(|emails| {
            let n = emails.len();
            (Just(emails), prop::collection::vec(0..ROLES.len(), n))
        })
        .prop_map(|(e, r)| e.into_iter().zip(r).collect());
    let keys = subsequence((0..KEYS.len()).collect::<Vec<_>>(), 0..=KEYS.len())
        .prop_flat_map(|names| {
            let n = names.len();
            (
                Just(names),
                prop::collection::vec(subsequence((0..SCOPES.len()).collect::<Vec<_>>(), 1..=2), n),
            )
        })
        .prop_map(|(n, s)| n.into_iter().zip(s).collect());
    let tags = subsequence((0..TAGS.len()).collect::<Vec<_>>(), 0..=TAGS.len())
        .prop_flat_map(|labels| {
            let n = labels.len();
            (
                Just(labels),
                prop::collection::vec(
                    subsequence((0..CAMPAIGNS.len()).collect::<Vec<_>>(), 0..=2),
                    n,
                ),
                prop::collection::vec(
                    subsequence((0..ACCOUNTS.len()).collect::<Vec<_>>(), 0..=2),
                    n,
                ),
            )
        })
        .prop_map(|(l, c, a)| {
            l.into_iter()
                .zip(c)
                .zip(a)
                .map(|((l, c), a)| (l, c, a))
                .collect()
        });
    (members, keys, tags).prop_map(|(members, keys, tags)| World {
        members,
        keys,
        tags,
    })
}

/// The demo workspace's owner, operator key, campaigns and accounts, plus `w`.
fn live_state(w: &World) -> SandboxState {
    let demo = demo_state();
    let mut s = demo.clone();
    s.members.truncate(1);
    s.api_keys.truncate(1);
    s.tags.clear();
    s.mappings.clear();
    for (i, (e, r)) in w.members.iter().enumerate() {
        let (role, permissions) = match team(ROLES[*r]) {
            Some(t) => (t.role, Some(t.permissions)),
            None => (ROLES[*r].into(), None),
        };
        s.members.push(Member {
            id: format!("01946416-1000-7000-9000-{i:012}"),
            email: EMAILS[*e].into(),
            role,
            permissions,
            ..demo.members[1].clone()
        });
    }
    for (i, (k, scopes)) in w.keys.iter().enumerate() {
        s.api_keys.push(ApiKey {
            id: format!("01946416-3000-7000-9000-{i:012}"),
            name: KEYS[*k].into(),
            scopes: scopes.iter().map(|&x| SCOPES[x].to_owned()).collect(),
            key: format!("sbx_prop_key_{i}_0000000000"),
            ..demo.api_keys[1].clone()
        });
    }
    for (i, (t, cs, accs)) in w.tags.iter().enumerate() {
        let mut tag = demo.tags[0].clone();
        tag.id = format!("01946416-4000-7000-9000-{i:012}");
        tag.label = TAGS[*t].into();
        for &c in cs {
            s.mappings.push(TagMapping {
                id: format!("01946416-6000-7000-9{i:03}-{c:012}"),
                tag_id: tag.id.clone(),
                resource_id: demo.campaigns[c].id.clone(),
                resource_type: instantly_rbac::api_types::ResourceType::Campaign,
                ..demo.mappings[0].clone()
            });
        }
        for &a in accs {
            s.mappings.push(TagMapping {
                id: format!("01946416-6000-7000-a{i:03}-{a:012}"),
                tag_id: tag.id.clone(),
                resource_id: ACCOUNTS[a].into(),
                resource_type: instantly_rbac::api_types::ResourceType::Account,
                ..demo.mappings[0].clone()
            });
        }
        s.tags.push(tag);
    }
    s
}

fn desired(w: &World, modes: (bool, bool, bool)) -> Config {
    let mode = |additive: bool| {
        if additive {
            Mode::Additive
        } else {
            Mode::Authoritative
        }
    };
    let mut c = Config {
        version: 1,
        policy: Policy {
            members: mode(modes.0),
            api_keys: mode(modes.1),
            tags: mode(modes.2),
            ..Policy::default()
        },
        ..Config::default()
    };
    for (e, r) in &w.members {
        if let Some(t) = team(ROLES[*r]) {
            c.roles.insert(ROLES[*r].into(), t);
        }
        c.members.push(MemberSpec {
            email: At::bare(EMAILS[*e].into()),
            role: At::bare(ROLES[*r].into()),
        });
    }
    for (k, scopes) in &w.keys {
        c.api_keys.push(ApiKeySpec {
            name: At::bare(KEYS[*k].into()),
            scopes: scopes.iter().map(|&s| SCOPES[s].to_owned()).collect(),
            rotate_after_days: None,
        });
    }
    for (t, cs, accs) in &w.tags {
        c.tags.push(TagSpec {
            label: At::bare(TAGS[*t].into()),
            description: None,
            campaigns: cs.iter().map(|&i| At::bare(CAMPAIGNS[i].into())).collect(),
            accounts: accs.iter().map(|&i| At::bare(ACCOUNTS[i].into())).collect(),
        });
    }
    c
}

fn ctx() -> Context {
    Context {
        auth_key_mask: Some(instantly_rbac::client::mask_key(OPERATOR_KEY)),
        now: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_workspace_planned_against_itself_is_empty(w in world()) {
        let live = live_state(&w).as_live();
        let (exported, _) = instantly_rbac::export::to_config(&live);
        let p = plan(&exported, &live, &ctx()).unwrap();
        prop_assert!(p.is_empty(), "{:?}", p.actions);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn applying_any_plan_converges(live_w in world(), want_w in world(), modes in any::<(bool, bool, bool)>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let config = desired(&want_w, modes);
        rt.block_on(async {
            let sandbox = Sandbox::start(live_state(&live_w), None, 0).await.unwrap();
            let opts = instantly_rbac::client::ClientOptions { rate_limit: 10_000.0, ..Default::default() };
            let client = instantly_rbac::client::Client::with_options(&sandbox.url, SecretString::from(OPERATOR_KEY.to_owned()), opts).unwrap();
            let live = instantly_rbac::live::read(&client, true).await.unwrap();
            let first = plan(&config, &live, &ctx()).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let mut secrets = instantly_rbac::secret_sink::SecretSink::File(instantly_rbac::secrets_out::SecretsOut::create(&dir.path().join("s.json")).unwrap());
            let report = instantly_rbac::applier::apply(&client, &first, Some(&mut secrets), None).await;
            assert!(report.ok(), "{report:?}");
            let again = instantly_rbac::live::read(&client, true).await.unwrap();
            let second = plan(&config, &again, &ctx()).unwrap();
            assert!(second.is_empty(), "after {:?}\nstill {:?}", first.actions, second.actions);
            drop(client);
            sandbox.stop().await;
        });
    }
}
