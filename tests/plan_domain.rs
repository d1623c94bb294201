//! The plan as a domain object: phases recorded in it and applied as
//! recorded, an apply that deletes nothing the plan does not list, the
//! tool's own key, and the one spelling of each kind and operation.

use crate::support::{OPERATOR_KEY, Server, run_at, write};
use instantly_rbac::api_types::CreateApiKey;
use instantly_rbac::applier::{ApplyReport, apply};
use instantly_rbac::client::{Client, ClientOptions};
use instantly_rbac::config_loader::parse;
use instantly_rbac::plan::{Action, Kind, MemberState, Op, Plan, State};
use instantly_rbac::planner::{Context, member_address, member_state, phase, plan};
use instantly_rbac::sandbox::Faults;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::faults::{FaultKind, pick, request_key};
use instantly_rbac::sandbox::state::SandboxState;
use instantly_rbac::saved_plan::{SavedPlan, SavedPlanError};
use instantly_rbac::secret_sink::SecretSink;
use instantly_rbac::secrets_out::SecretsOut;
use secrecy::SecretString;
use std::path::Path;
use std::time::Duration;

fn ctx() -> Context {
    Context {
        auth_key_mask: Some(instantly_rbac::client::mask_key(OPERATOR_KEY)),
        now: None,
        undelivered: Vec::new(),
        key_events: None,
    }
}

fn plan_of(text: &str, state: &SandboxState) -> Plan {
    let config = parse("w.yaml", text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    plan(&config, &state.as_live(), &ctx()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn example_plan() -> (Plan, SandboxState, String) {
    let text = std::fs::read_to_string(crate::support::example()).unwrap();
    let state = demo_state();
    (plan_of(&text, &state), state, text)
}

fn client(url: &str) -> Client {
    let opts = ClientOptions {
        max_attempts: 8,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    };
    Client::with_options(url, SecretString::from(OPERATOR_KEY.to_owned()), opts).unwrap()
}

/// Applies `plan` against `server` from a runtime of its own.
fn apply_at(server: &Server, plan: &Plan, secrets: Option<&Path>) -> ApplyReport {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = client(server.url());
    let mut sink = secrets.map(|p| SecretSink::file(SecretsOut::create(p).unwrap()));
    rt.block_on(apply(&c, plan, sink.as_mut(), None))
}

#[test]
fn every_action_records_the_phase_it_runs_in() {
    let (p, state, text) = example_plan();
    assert!(p.actions.len() > 10);
    for a in &p.actions {
        assert_eq!(a.phase, phase(a), "{}", a.address);
    }
    assert!(p.actions.windows(2).all(|w| w[0].phase <= w[1].phase));
    assert!(p.actions.first().unwrap().phase < p.actions.last().unwrap().phase);

    let json: serde_json::Value =
        serde_json::from_str(&instantly_rbac::render_json::render(&p, None)).unwrap();
    let phases: Vec<u64> = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["phase"].as_u64().unwrap())
        .collect();
    let planned: Vec<u64> = p.actions.iter().map(|a| u64::from(a.phase)).collect();
    assert_eq!(phases, planned);

    let saved = SavedPlan::new(&p, &state.as_live(), "w.yaml", text.as_bytes());
    let again = SavedPlan::parse("plan.json", &saved.to_json()).unwrap();
    assert_eq!(again.format_version, "2");
    assert_eq!(
        again.plan.actions, p.actions,
        "a saved plan keeps order and phases"
    );
}

/// Swaps the first and last actions (and their version tokens).
fn out_of_order(saved: &SavedPlan) -> SavedPlan {
    let mut bad = saved.clone();
    let n = bad.plan.actions.len() - 1;
    bad.plan.actions.swap(0, n);
    bad.tokens.swap(0, n);
    bad
}

#[test]
fn a_saved_plan_out_of_phase_order_is_refused() {
    let (p, state, text) = example_plan();
    let saved = SavedPlan::new(&p, &state.as_live(), "w.yaml", text.as_bytes());
    let bad = out_of_order(&saved);
    let err = SavedPlan::parse("reordered.json", &bad.to_json()).unwrap_err();
    assert!(matches!(err, SavedPlanError::OutOfOrder { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("reordered.json lists its actions out of phase order"),
        "{msg}"
    );
    assert!(
        msg.contains("could revoke access before granting it"),
        "{msg}"
    );

    // The command refuses it before any write.
    let server = Server::demo();
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "reordered.json", &bad.to_json());
    let o = run_at(
        &server,
        d.path(),
        &["apply", "reordered.json", "--secrets-out", "s.json"],
    );
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("reordered.json lists its actions out of phase order"),
        "{}",
        o.stderr
    );
    assert_eq!(server.sandbox.state(), demo_state());
}

fn member_delete(state: &SandboxState, email: &str, phase: u8) -> Action {
    let m = state
        .members
        .iter()
        .find(|m| m.email == email.into())
        .unwrap();
    Action {
        address: member_address(&email.into()),
        kind: Kind::Member,
        op: Op::Delete,
        phase,
        before: Some(State::Member(member_state(m))),
        after: None,
        reason: None,
        live_id: Some(m.id.clone()),
        risk: Default::default(),
        attribution: None,
        source: None,
    }
}

fn invite(email: &str, phase: u8) -> Action {
    Action {
        address: member_address(&email.into()),
        kind: Kind::Member,
        op: Op::Create,
        phase,
        before: None,
        after: Some(State::Member(MemberState {
            email: email.into(),
            role: "view".into(),
            permissions: vec![],
            pending: true,
            nickname: None,
            team_role: None,
        })),
        reason: None,
        live_id: None,
        risk: Default::default(),
        attribution: None,
        source: None,
    }
}

fn hand_plan(state: &SandboxState, actions: Vec<Action>) -> Plan {
    let mut p = plan_of(
        "version: 1\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        state,
    );
    assert!(p.is_empty());
    p.actions = actions;
    p
}

#[test]
fn the_applier_runs_the_phases_the_plan_records() {
    let state = demo_state();
    // Two removals the planner would put in one phase, recorded in two: the
    // second waits for the first, and after its failure is not attempted.
    let p = hand_plan(
        &state,
        vec![
            member_delete(&state, "bob@acme.com", 0),
            member_delete(&state, "dave@acme.com", 1),
        ],
    );
    assert_eq!(phase(&p.actions[0]), phase(&p.actions[1]));
    let server = Server::start(state.clone());
    server.sandbox.set_faults(Faults {
        fail_write: Some(1),
        ..Faults::default()
    });
    let report = apply_at(&server, &p, None);
    assert_eq!(report.applied, Vec::<String>::new());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].address, "member[bob@acme.com]");
    assert_eq!(report.not_attempted, vec!["member[dave@acme.com]"]);

    // An invite and a removal the planner would order, recorded in one
    // phase: they run together, so the failure of one stops neither.
    let p = hand_plan(
        &state,
        vec![
            invite("zoe@acme.com", 0),
            member_delete(&state, "dave@acme.com", 0),
        ],
    );
    assert!(phase(&p.actions[0]) < phase(&p.actions[1]));
    let server = Server::start(state);
    server.sandbox.set_faults(Faults {
        fail_write: Some(1),
        latency_ms: 100,
        ..Faults::default()
    });
    let report = apply_at(&server, &p, None);
    assert_eq!(report.applied.len(), 1, "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.not_attempted.is_empty(), "{report:?}");
}

const NEW_KEY: &str = "version: 1
api_keys:
  - {name: ci-deploy, scopes: ['campaigns:read']}
policy: {members: additive, api_keys: additive, tags: additive}
";

/// A seed whose first `POST /api-keys` for ci-deploy gets a fault `fits`
/// and whose second gets none.
fn seed_for(fits: impl Fn(FaultKind) -> bool) -> Faults {
    let body = serde_json::to_vec(&CreateApiKey {
        name: "ci-deploy".into(),
        scopes: vec!["campaigns:read".into()],
    })
    .unwrap();
    let key = |n| request_key("POST", "/api/v2/api-keys", "", &body, n);
    (0..100_000)
        .map(|seed| Faults {
            fault_rate: 0.05,
            seed,
            ..Faults::default()
        })
        .find(|f| pick(f, key(1), false).is_some_and(&fits) && pick(f, key(2), false).is_none())
        .expect("a seed")
}

fn key_deletes(server: &Server) -> usize {
    server
        .sandbox
        .requests_by_endpoint()
        .iter()
        .filter(|(e, _)| e.starts_with("DELETE /api-keys"))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn a_lost_key_create_answer_stops_with_a_conflict_and_revokes_nothing() {
    let state = demo_state();
    let p = plan_of(NEW_KEY, &state);
    assert_eq!(p.actions.len(), 1);
    let server = Server::start(state.clone());
    server
        .sandbox
        .set_faults(seed_for(|k| k == FaultKind::DropAfterCommit));
    let d = tempfile::tempdir().unwrap();
    let secrets = d.path().join("s.json");
    let report = apply_at(&server, &p, Some(&secrets));

    assert_eq!(
        server.sandbox.injected().get(&FaultKind::DropAfterCommit),
        Some(&1)
    );
    let after = server.sandbox.state();
    let new: Vec<_> = after
        .api_keys
        .iter()
        .filter(|k| !state.api_keys.iter().any(|o| o.id == k.id))
        .collect();
    assert_eq!(new.len(), 1, "the lost create happened, once");
    assert_eq!(new[0].name, "ci-deploy");
    assert!(
        state
            .api_keys
            .iter()
            .all(|o| after.api_keys.iter().any(|k| k.id == o.id))
    );
    assert_eq!(key_deletes(&server), 0, "nothing revoked");
    assert_eq!(
        server.sandbox.requests_by_endpoint().get("POST /api-keys"),
        Some(&1),
        "not created again"
    );

    assert!(report.applied.is_empty() && report.keys_created.is_empty());
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].address, "api_key[ci-deploy]");
    let error = &report.failed[0].error;
    let expected = format!(
        "a key named ci-deploy (id {}) appeared that the plan did not show — it may be the key whose create answer was lost (its secret cannot be recovered) or one made by someone else; nothing was revoked; run plan again and review it (the create's answer was lost: ",
        new[0].id
    );
    assert!(error.starts_with(&expected), "{error}");
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&secrets).unwrap_or(r#"{"keys": []}"#.into()),
    )
    .unwrap();
    assert_eq!(file["keys"], serde_json::json!([]), "no secret to deliver");
}

#[test]
fn a_key_create_that_did_not_happen_is_made_again() {
    let state = demo_state();
    let p = plan_of(NEW_KEY, &state);
    let server = Server::start(state.clone());
    server.sandbox.set_faults(seed_for(|k| {
        matches!(
            k,
            FaultKind::Status500
                | FaultKind::Status502
                | FaultKind::Status503
                | FaultKind::DropBeforeProcessing
        )
    }));
    let d = tempfile::tempdir().unwrap();
    let secrets = d.path().join("s.json");
    let report = apply_at(&server, &p, Some(&secrets));
    assert!(report.ok(), "{report:?}");
    assert_eq!(server.sandbox.injected().values().sum::<usize>(), 1);
    assert_eq!(
        server.sandbox.requests_by_endpoint().get("POST /api-keys"),
        Some(&2),
        "the POST that did not happen is made again"
    );
    assert_eq!(key_deletes(&server), 0);
    let after = server.sandbox.state();
    assert_eq!(after.api_keys.len(), state.api_keys.len() + 1);
    assert_eq!(report.keys_created.len(), 1);
}

#[test]
fn keys_sharing_the_tools_mask_are_all_protected_and_named() {
    let mut state = demo_state();
    let twin = instantly_rbac::api_types::ApiKey {
        id: "01946416-3000-7000-8000-000000000009".into(),
        name: "CI copy".into(),
        key: "sbx_copy_of_something_else_cdef".into(),
        ..state.api_keys[2].clone()
    };
    state.api_keys.push(twin);
    assert_eq!(
        instantly_rbac::client::mask_key(&state.api_keys[3].key),
        instantly_rbac::client::mask_key(OPERATOR_KEY)
    );
    // Authoritative keys: the operator key is not declared (it would be
    // revoked), and CI copy is declared with other scopes (it would be
    // replaced); the tool cannot tell which of the two it is.
    let p = plan_of(
        "version: 1
api_keys:
  - {name: CI copy, scopes: ['campaigns:read']}
policy: {members: additive, tags: additive}
",
        &state,
    );
    let ops: Vec<String> = p
        .actions
        .iter()
        .map(|a| format!("{} {}", a.op, a.address))
        .collect();
    assert_eq!(
        ops,
        vec![
            "delete api_key[Marketing — Analytics Read Only]",
            "delete api_key[Old Zapier]"
        ]
    );
    let warning = p
        .warnings
        .iter()
        .find(|w| w.contains("cannot tell"))
        .unwrap_or_else(|| panic!("{:?}", p.warnings));
    assert_eq!(
        warning,
        "2 live API keys match the mask sbx_…cdef of the key this tool authenticates with: \
         `instantly-rbac (automation)` (01946416-3000-7000-8000-000000000001), \
         `CI copy` (01946416-3000-7000-8000-000000000009); the tool cannot tell which one it \
         authenticates with, so none of them is revoked, replaced or rotated"
    );
    assert!(
        p.unmanaged
            .iter()
            .any(|u| u.address == "api_key[instantly-rbac (automation)]")
    );
    // One match: no such warning.
    let p = plan_of(
        "version: 1\npolicy: {members: additive, tags: additive}\n",
        &demo_state(),
    );
    assert!(!p.warnings.iter().any(|w| w.contains("cannot tell")));
}

#[test]
fn kinds_and_ops_have_one_spelling() {
    for k in Kind::ALL {
        let name = k.to_string();
        assert_eq!(name.parse::<Kind>(), Ok(k));
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{name}\""));
    }
    for o in Op::ALL {
        let name = o.to_string();
        assert_eq!(name.parse::<Op>(), Ok(o));
        assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{name}\""));
    }
    let names: Vec<String> = Kind::ALL.iter().map(Kind::to_string).collect();
    assert_eq!(
        names,
        ["member", "api_key", "tag", "assignment", "sub_workspace"]
    );
    let names: Vec<String> = Op::ALL.iter().map(Op::to_string).collect();
    assert_eq!(names, ["create", "update", "replace", "delete"]);
    assert_eq!(
        "apikey".parse::<Kind>().unwrap_err().to_string(),
        "`apikey`: expected one of member, api_key, tag, assignment, sub_workspace"
    );
    assert!("Create".parse::<Op>().is_err());
    assert_eq!(
        instantly_rbac::safety::parse_ack("api_key=2"),
        Ok((Kind::ApiKey, 2))
    );
}

#[test]
fn an_action_knows_its_object_and_whether_it_is_a_reinvite() {
    let (p, _, _) = example_plan();
    let carol = p
        .actions
        .iter()
        .find(|a| a.address == "member[carol@acme.com]")
        .unwrap();
    assert!(carol.is_reinvite());
    assert_eq!(carol.state(), carol.after.as_ref());
    let dave = p
        .actions
        .iter()
        .find(|a| a.address == "member[dave@acme.com]")
        .unwrap();
    assert!(!dave.is_reinvite());
    assert_eq!(dave.state(), dave.before.as_ref());
    assert_eq!(p.actions.iter().filter(|a| a.is_reinvite()).count(), 1);
}

/// A key create the API refuses outright made nothing: its intent goes, so
/// the next plan cannot take another apply's same-named key for this
/// run's and replace it.
#[test]
fn a_refused_key_create_leaves_no_intent_open() {
    let state = demo_state();
    let mut p = plan_of(
        "version: 1\napi_keys:\n  - {name: ci-deploy, scopes: [campaigns:read]}\npolicy: {members: additive, api_keys: additive, tags: additive}\n",
        &state,
    );
    // A scope the sandbox (as the API) refuses with 400: the loader would
    // have refused it in a file.
    if let Some(State::ApiKey(k)) = &mut p.actions[0].after {
        k.scopes = vec!["nonsense:read".into()];
    }
    let server = Server::start(state);
    let d = tempfile::tempdir().unwrap();
    let intents = d.path().join(".instantly-rbac-intents");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = client(server.url());
    let mut sink = SecretSink::file(SecretsOut::create(&d.path().join("s.json")).unwrap())
        .with_intents(instantly_rbac::intents::Journal::new(intents.clone()));
    let report = rt.block_on(apply(&c, &p, Some(&mut sink), None));
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        report.failed[0].error.contains("400 Bad Request"),
        "{report:?}"
    );
    let open: Vec<_> = std::fs::read_dir(&intents)
        .map(|r| r.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert_eq!(open, Vec::<std::ffi::OsString>::new());
}
