//! The applier walks a plan in order and makes no choices of its own: every
//! id and order was decided by the planner, every batch by `toggle_batch`.
//! On the first failure it stops and reports applied / failed / not attempted,
//! so that a re-run plans exactly the remainder.

use crate::api_error::ApiError;
use crate::api_types::*;
use crate::client::Client;
use crate::create::{self, Outcome};
use crate::plan::{Action, Kind, Op, Plan, State};
use crate::secret_sink::{NewKey, SecretSink};
use crate::toggle_batch;
use secrecy::SecretString;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: Vec<String>,
    pub failed: Vec<Failure>,
    pub not_attempted: Vec<String>,
    /// New API keys whose secret went to the secrets file: (address, key id).
    pub keys_created: Vec<(String, String)>,
    /// Stopped by Ctrl-C before the end.
    pub interrupted: bool,
    /// What recovered from a lost answer, per action.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub address: String,
    pub error: String,
}

impl ApplyReport {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.not_attempted.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Other(String),
}

struct Applier<'a> {
    client: &'a Client,
    secrets: Option<&'a mut SecretSink>,
    stop: Option<Arc<AtomicBool>>,
    /// Tags created during this apply: label -> id.
    created_tags: HashMap<String, String>,
    /// Keys that existed when planned or were created here: never orphans.
    known_keys: HashSet<String>,
    report: ApplyReport,
}

/// Carries out `plan`. When `stop` is set (Ctrl-C), the action in flight
/// finishes and no new one starts.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    secrets: Option<&mut SecretSink>,
    stop: Option<Arc<AtomicBool>>,
) -> ApplyReport {
    let mut ap = Applier {
        client,
        secrets,
        stop,
        created_tags: HashMap::new(),
        known_keys: plan.live_key_ids.iter().cloned().collect(),
        report: ApplyReport::default(),
    };
    let actions = &plan.actions;
    let mut i = 0;
    while i < actions.len() {
        if ap.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
            ap.report.interrupted = true;
            ap.rest(&actions[i..]);
            break;
        }
        if actions[i].kind == Kind::Assignment {
            // A run of assignment actions with one op goes out as batches.
            let end = actions[i..]
                .iter()
                .position(|a| a.kind != Kind::Assignment || a.op != actions[i].op)
                .map_or(actions.len(), |n| i + n);
            let run: Vec<&Action> = actions[i..end].iter().collect();
            if !ap.assignments(&run).await {
                ap.rest(&actions[end..]);
                break;
            }
            i = end;
            continue;
        }
        let a = &actions[i];
        tracing::info!(address = %a.address, op = ?a.op, "applying");
        match ap.step(a).await {
            Ok(()) => ap.report.applied.push(a.address.clone()),
            Err(e) => {
                ap.report.failed.push(Failure {
                    address: a.address.clone(),
                    error: e.to_string(),
                });
                ap.rest(&actions[i + 1..]);
                break;
            }
        }
        i += 1;
    }
    ap.report
}

impl Applier<'_> {
    fn rest(&mut self, actions: &[Action]) {
        self.report
            .not_attempted
            .extend(actions.iter().map(|a| a.address.clone()));
    }

    fn id(a: &Action) -> Result<&str, StepError> {
        a.live_id
            .as_deref()
            .ok_or_else(|| StepError::Other(format!("{}: the plan carries no live id", a.address)))
    }

    async fn step(&mut self, a: &Action) -> Result<(), StepError> {
        let c = self.client;
        match (&a.after, a.op) {
            (Some(State::Member(m)), Op::Create) => {
                self.invite(a, m).await?;
            }
            (Some(State::Member(m)), Op::Update) => {
                let path = format!("/workspace-members/{}", Self::id(a)?);
                c.patch::<_, Member>(
                    &path,
                    &PatchMember {
                        role: m.role.clone(),
                    },
                )
                .await?;
            }
            (Some(State::Member(m)), Op::Replace) => {
                // Same email: the old membership must go before the new invite.
                c.delete(&format!("/workspace-members/{}", Self::id(a)?))
                    .await?;
                self.invite(a, m).await?;
            }
            (Some(State::ApiKey(k)), Op::Create) => {
                self.create_key(a, k).await?;
            }
            (Some(State::ApiKey(k)), Op::Replace) => {
                // The new key exists (and its secret is stored) before the old one goes.
                self.create_key(a, k).await?;
                c.delete(&format!("/api-keys/{}", Self::id(a)?)).await?;
            }
            (Some(State::Tag(t)), Op::Create) => {
                let id = match create::tag(c, t)
                    .await
                    .map_err(|e| StepError::Other(e.to_string()))?
                {
                    Outcome::Created(id) => id,
                    Outcome::Adopted(id) => {
                        self.note(
                            a,
                            "the create answer was lost; the tag exists and was adopted",
                        );
                        id
                    }
                };
                self.created_tags.insert(t.label.clone(), id);
            }
            (Some(State::Tag(t)), Op::Update) => {
                let body = PatchTag {
                    label: None,
                    description: t.description.clone(),
                };
                c.patch::<_, Tag>(&format!("/custom-tags/{}", Self::id(a)?), &body)
                    .await?;
            }
            (None, Op::Delete) => {
                let collection = match a.kind {
                    Kind::Member => "workspace-members",
                    Kind::ApiKey => "api-keys",
                    Kind::Tag => "custom-tags",
                    Kind::Assignment => {
                        return Err(StepError::Other(
                            "assignments are applied in batches".into(),
                        ));
                    }
                };
                c.delete(&format!("/{collection}/{}", Self::id(a)?)).await?;
            }
            _ => {
                return Err(StepError::Other(format!(
                    "{}: not an action this version can apply",
                    a.address
                )));
            }
        }
        Ok(())
    }

    fn note(&mut self, a: &Action, what: &str) {
        self.report.notes.push(format!("{}: {what}", a.address));
    }

    async fn invite(&mut self, a: &Action, m: &crate::plan::MemberState) -> Result<(), StepError> {
        let outcome = create::invite(self.client, m)
            .await
            .map_err(|e| StepError::Other(e.to_string()))?;
        if outcome == Outcome::Adopted(()) {
            self.note(
                a,
                "the invite's answer was lost; the invitation exists and was adopted",
            );
        }
        Ok(())
    }

    async fn create_key(&mut self, a: &Action, k: &crate::plan::KeyState) -> Result<(), StepError> {
        if self.secrets.is_none() {
            return Err(StepError::Other(
                "a new API key needs --secrets-out FILE or --secrets-cmd CMD for its secret".into(),
            ));
        }
        let (created, revoked) = create::api_key(self.client, k, &self.known_keys)
            .await
            .map_err(|e| StepError::Other(e.to_string()))?;
        for id in revoked {
            self.note(a, &format!("key {id} was created but the answer carrying its secret was lost, so it was revoked and created again"));
        }
        let id = created.id.clone();
        self.known_keys.insert(id.clone());
        let new = NewKey {
            name: created.name.clone(),
            id: id.clone(),
            scopes: created.scopes.clone(),
            key: SecretString::from(created.key),
        };
        let secrets = self.secrets.as_deref_mut().expect("checked above");
        secrets
            .deliver(new)
            .map_err(|e| StepError::Other(format!("key {id} was created, but {e}")))?;
        self.report.keys_created.push((a.address.clone(), id));
        Ok(())
    }

    /// Returns false when a call failed (the report says which actions).
    async fn assignments(&mut self, run: &[&Action]) -> bool {
        let batches = toggle_batch::batches(run);
        for (n, batch) in batches.iter().enumerate() {
            let addresses = |idx: &[usize]| {
                idx.iter()
                    .map(|&i| run[i].address.clone())
                    .collect::<Vec<_>>()
            };
            let tag_ids: Result<Vec<String>, String> = batch
                .tags
                .iter()
                .map(|label| {
                    let from_plan = batch
                        .actions
                        .iter()
                        .map(|&i| run[i])
                        .find(|a| tag_of(a) == Some(label))
                        .and_then(|a| a.live_id.clone());
                    from_plan
                        .or_else(|| self.created_tags.get(label).cloned())
                        .ok_or_else(|| format!("tag `{label}` has no id (was it created?)"))
                })
                .collect();
            let result = match tag_ids {
                Ok(tag_ids) => {
                    let body = ToggleResource {
                        tag_ids,
                        resource_type: batch.resource_type.api_code(),
                        resource_ids: batch.resource_ids.clone(),
                        assign: batch.assign,
                    };
                    tracing::info!(
                        tags = body.tag_ids.len(),
                        resources = body.resource_ids.len(),
                        assign = body.assign,
                        "toggle-resource"
                    );
                    self.client
                        .post_idempotent::<_, serde_json::Value>(
                            "/custom-tags/toggle-resource",
                            &body,
                        )
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => self.report.applied.extend(addresses(&batch.actions)),
                Err(error) => {
                    for address in addresses(&batch.actions) {
                        self.report.failed.push(Failure {
                            address,
                            error: error.clone(),
                        });
                    }
                    let later: Vec<usize> = batches[n + 1..]
                        .iter()
                        .flat_map(|b| b.actions.clone())
                        .collect();
                    self.report.not_attempted.extend(addresses(&later));
                    return false;
                }
            }
        }
        true
    }
}

fn tag_of(a: &Action) -> Option<&String> {
    match (&a.after, &a.before) {
        (Some(State::Assignment(s)), _) | (None, Some(State::Assignment(s))) => Some(&s.tag),
        _ => None,
    }
}
