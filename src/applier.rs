//! The applier carries out a plan and makes no choices of its own: every id
//! and order was decided by the planner, every batch by `toggle_batch`.
//! It walks the plan's actions in their order, grouping consecutive actions
//! of the same `Action::phase` (recorded by the planner, never recomputed
//! here); the actions of a group run concurrently, within the client's
//! parallelism and rate limit, and a group starts when the one before it is
//! done. It deletes only what the plan lists.
//! After a failure (or Ctrl-C) no new action starts, those in flight finish,
//! and the report says what was applied, what failed and what was not
//! attempted, so that a re-run plans exactly the remainder.

use crate::api_error::ApiError;
use crate::api_types::*;
use crate::client::Client;
use crate::create::{self, Outcome};
use crate::plan::{Action, KeyState, Kind, MemberState, Op, Plan, State, TagState};
use crate::secret_sink::{NewKey, SecretSink};
use crate::toggle_batch::{self, Batch};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: Vec<String>,
    pub failed: Vec<Failure>,
    pub not_attempted: Vec<String>,
    /// New API keys whose secret was delivered: (address, key id).
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

/// What one action (or batch) came to, by plan index.
enum Done {
    Applied(Vec<usize>),
    Failed(Vec<usize>, String),
    Skipped(Vec<usize>),
}

struct Applier<'a> {
    client: &'a Client,
    plan: &'a Plan,
    /// Held across a `--secrets-cmd` run: an async lock, so that the other
    /// actions go on meanwhile.
    secrets: Option<tokio::sync::Mutex<&'a mut SecretSink>>,
    stop: Option<Arc<AtomicBool>>,
    failed: AtomicBool,
    /// Tags created during this apply: label -> id.
    created_tags: Mutex<HashMap<String, String>>,
    /// Keys that existed when planned or were created here: a key of a
    /// planned name that is none of these stops its create.
    known_keys: Mutex<HashSet<String>>,
    keys_created: Mutex<Vec<(String, String)>>,
    notes: Mutex<Vec<String>>,
}

/// Carries out `plan`. When `stop` is set (Ctrl-C), the actions in flight
/// finish and no new one starts.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    secrets: Option<&mut SecretSink>,
    stop: Option<Arc<AtomicBool>>,
) -> ApplyReport {
    apply_counting(client, plan, secrets, stop, &AtomicUsize::new(0)).await
}

/// `apply`, adding to `done` each action as it ends (applied, failed or
/// skipped), for progress.
pub async fn apply_counting(
    client: &Client,
    plan: &Plan,
    mut secrets: Option<&mut SecretSink>,
    stop: Option<Arc<AtomicBool>>,
    done: &AtomicUsize,
) -> ApplyReport {
    let ap = Applier {
        client,
        plan,
        secrets: secrets.as_deref_mut().map(tokio::sync::Mutex::new),
        stop,
        failed: AtomicBool::new(false),
        created_tags: Mutex::new(HashMap::new()),
        known_keys: Mutex::new(plan.live_key_ids.iter().cloned().collect()),
        keys_created: Mutex::new(Vec::new()),
        notes: Mutex::new(Vec::new()),
    };
    let parallelism = client.options().parallelism.max(1);
    let mut outcomes: Vec<Done> = Vec::new();
    let actions = &plan.actions;
    let mut start = 0;
    while start < actions.len() {
        let p = actions[start].phase;
        let end = actions[start..]
            .iter()
            .position(|a| a.phase != p)
            .map_or(actions.len(), |n| start + n);
        let indices: Vec<usize> = (start..end).collect();
        if actions[start].kind == Kind::Assignment {
            let run: Vec<&Action> = indices.iter().map(|&i| &actions[i]).collect();
            let batches: Vec<Batch> = toggle_batch::batches(&run)
                .into_iter()
                .map(|mut b| {
                    b.actions = b.actions.iter().map(|&j| indices[j]).collect();
                    b
                })
                .collect();
            let ended: Vec<Done> = stream::iter(batches.iter().map(|b| ap.toggle(b)))
                .buffer_unordered(parallelism)
                .inspect(|d| count(done, d))
                .collect()
                .await;
            outcomes.extend(ended);
        } else {
            let ended: Vec<Done> = stream::iter(indices.iter().map(|&i| ap.one(i)))
                .buffer_unordered(parallelism)
                .inspect(|d| count(done, d))
                .collect()
                .await;
            outcomes.extend(ended);
        }
        start = end;
    }
    let mut report = ap.report(outcomes);
    // Applied in full: the intents of earlier runs this plan was made
    // knowing (a key of theirs replaced, or created anew) are settled.
    if report.ok()
        && let Some(s) = secrets
    {
        let names: Vec<&str> = plan
            .actions
            .iter()
            .filter_map(|a| match a.state() {
                Some(State::ApiKey(k)) => Some(k.name.as_str()),
                _ => None,
            })
            .collect();
        if let Err(e) = s.settle(&plan.workspace.id, &names) {
            report.notes.push(e);
        }
    }
    report
}

/// Adds the actions `d` ended to `done`.
fn count(done: &AtomicUsize, d: &Done) {
    let n = match d {
        Done::Applied(v) | Done::Failed(v, _) | Done::Skipped(v) => v.len(),
    };
    done.fetch_add(n, Ordering::Relaxed);
}

impl Applier<'_> {
    /// Whether no new work may start: a failure, or Ctrl-C.
    fn stopping(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
            || self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    async fn one(&self, i: usize) -> Done {
        if self.stopping() {
            return Done::Skipped(vec![i]);
        }
        let a = &self.plan.actions[i];
        tracing::info!(address = %a.address, op = %a.op, phase = a.phase, "applying");
        match self.step(a).await {
            Ok(()) => Done::Applied(vec![i]),
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                Done::Failed(vec![i], e.to_string())
            }
        }
    }

    fn report(self, outcomes: Vec<Done>) -> ApplyReport {
        let address = |i: &usize| self.plan.actions[*i].address.clone();
        let (mut applied, mut failed, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        for d in outcomes {
            match d {
                Done::Applied(v) => applied.extend(v),
                Done::Failed(v, e) => failed.extend(v.into_iter().map(|i| (i, e.clone()))),
                Done::Skipped(v) => skipped.extend(v),
            }
        }
        applied.sort_unstable();
        failed.sort_by_key(|(i, _)| *i);
        skipped.sort_unstable();
        let interrupted =
            self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) && !skipped.is_empty();
        ApplyReport {
            applied: applied.iter().map(address).collect(),
            failed: failed
                .iter()
                .map(|(i, e)| Failure {
                    address: address(i),
                    error: e.clone(),
                })
                .collect(),
            not_attempted: skipped.iter().map(address).collect(),
            keys_created: self.keys_created.into_inner().expect("keys lock"),
            interrupted,
            notes: self.notes.into_inner().expect("notes lock"),
        }
    }

    fn id(a: &Action) -> Result<&str, StepError> {
        a.live_id
            .as_deref()
            .ok_or_else(|| StepError::Other(format!("{}: the plan carries no live id", a.address)))
    }

    async fn step(&self, a: &Action) -> Result<(), StepError> {
        let c = self.client;
        match (&a.after, a.op) {
            (Some(State::Member(m)), Op::Create) => self.invite(a, m).await?,
            (Some(State::Member(m)), Op::Update) => {
                // Only the fields that change; a plan without `before` (none
                // made by this version) sends the role.
                let was = match &a.before {
                    Some(State::Member(b)) => Some(b),
                    _ => None,
                };
                let body = PatchMember {
                    role: (was.is_none_or(|b| b.role != m.role)).then(|| m.role.clone()),
                    nickname: m
                        .nickname
                        .clone()
                        .filter(|n| was.is_none_or(|b| b.nickname.as_ref() != Some(n))),
                };
                if body != PatchMember::default() {
                    let path = format!("/workspace-members/{}", Self::id(a)?);
                    c.patch::<_, Member>(&path, &body).await?;
                }
            }
            (Some(State::Member(m)), Op::Replace) => {
                // Same email: the old membership must go before the new invite.
                c.delete(&format!("/workspace-members/{}", Self::id(a)?))
                    .await?;
                self.invite(a, m).await.map_err(|e| {
                    StepError::Other(format!(
                        "removed, but the new invitation failed, so {} has no access now: {e}; fix the cause and run apply again (the plan then invites them)",
                        m.email
                    ))
                })?;
            }
            (Some(State::ApiKey(k)), Op::Create) => self.create_key(a, k).await?,
            (Some(State::ApiKey(k)), Op::Replace) => {
                // The new key exists (and its secret is delivered) before the old one goes.
                self.create_key(a, k).await?;
                c.delete(&format!("/api-keys/{}", Self::id(a)?)).await?;
            }
            (Some(State::Tag(t)), Op::Create) => self.create_tag(a, t).await?,
            (Some(State::Tag(t)), Op::Update) => {
                let body = PatchTag {
                    label: None,
                    description: t.description.clone(),
                };
                c.patch::<_, Tag>(&format!("/custom-tags/{}", Self::id(a)?), &body)
                    .await?;
            }
            (Some(State::SubWorkspace(s)), Op::Create) => self.invite_sub_workspace(a, s).await?,
            (Some(State::SubWorkspace(s)), Op::Replace) => {
                // The API has no PATCH: a rejected invitation is deleted, then sent again.
                c.delete(&format!("/workspace-group-members/{}", Self::id(a)?))
                    .await?;
                self.invite_sub_workspace(a, s).await?;
            }
            (None, Op::Delete) => {
                let collection = match a.kind {
                    Kind::SubWorkspace => "workspace-group-members",
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

    fn note(&self, a: &Action, what: &str) {
        self.notes
            .lock()
            .expect("notes lock")
            .push(format!("{}: {what}", a.address));
    }

    async fn invite(&self, a: &Action, m: &MemberState) -> Result<(), StepError> {
        let outcome = create::invite(self.client, m)
            .await
            .map_err(|e| StepError::Other(e.to_string()))?;
        if outcome == Outcome::Adopted(()) {
            self.note(
                a,
                "the invite's answer was lost; the invitation exists and was adopted",
            );
        }
        if let (Outcome::Adopted(()), Some(nickname)) = (&outcome, &m.nickname) {
            // The invite carries the nickname; an adopted one (its answer
            // was lost, maybe another run's) gets it set here.
            let found: Vec<Member> = self
                .client
                .list("/workspace-members", &[("search", m.email.to_string())])
                .await?;
            let Some(new) = found.iter().find(|x| x.email == m.email) else {
                return Err(StepError::Other(format!(
                    "{}: invited, but not found to set its nickname",
                    a.address
                )));
            };
            if new.nickname.as_ref() != Some(nickname) {
                let body = PatchMember {
                    role: None,
                    nickname: Some(nickname.clone()),
                };
                self.client
                    .patch::<_, Member>(&format!("/workspace-members/{}", new.id), &body)
                    .await?;
            }
        }
        Ok(())
    }

    async fn invite_sub_workspace(
        &self,
        a: &Action,
        s: &crate::plan::SubWorkspaceState,
    ) -> Result<(), StepError> {
        let outcome = create::sub_workspace(self.client, s)
            .await
            .map_err(|e| StepError::Other(e.to_string()))?;
        if outcome == Outcome::Adopted(()) {
            self.note(
                a,
                "the invitation's answer was lost; the invitation exists and was adopted",
            );
        }
        Ok(())
    }

    async fn create_tag(&self, a: &Action, t: &TagState) -> Result<(), StepError> {
        let id = match create::tag(self.client, t)
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
        self.created_tags
            .lock()
            .expect("tags lock")
            .insert(t.label.clone(), id);
        Ok(())
    }

    async fn create_key(&self, a: &Action, k: &KeyState) -> Result<(), StepError> {
        let Some(secrets) = &self.secrets else {
            return Err(StepError::Other(
                "a new API key needs --secrets-out FILE or --secrets-cmd CMD for its secret".into(),
            ));
        };
        let known = self.known_keys.lock().expect("keys lock").clone();
        // Recorded before the POST: if this run dies before the secret is
        // delivered, the next plan replaces the key instead of adopting it.
        secrets
            .lock()
            .await
            .intend(
                &self.plan.workspace.id,
                &k.name,
                &k.scopes,
                known.iter().cloned().collect(),
            )
            .map_err(|e| StepError::Other(format!("{e}; nothing was created")))?;
        let created = match create::api_key(self.client, k, &known).await {
            Ok(created) => created,
            Err(e) => {
                // Nothing of this run exists (refused outright, or another
                // apply's key won): an intent left open would have the next
                // plan replace that other key, revoking a secret it holds.
                let nothing_made = match &e {
                    create::CreateError::Concurrent { .. } => true,
                    create::CreateError::Api(api) => !api.is_ambiguous(),
                    create::CreateError::Conflict(_) => false,
                };
                if nothing_made {
                    secrets.lock().await.withdraw(&k.name);
                }
                return Err(StepError::Other(e.to_string()));
            }
        };
        let id = created.id.clone();
        self.known_keys
            .lock()
            .expect("keys lock")
            .insert(id.clone());
        let new = NewKey {
            name: created.name.clone(),
            id: id.clone(),
            scopes: created.scopes.clone(),
            key: SecretString::from(created.key),
        };
        // A command runs without the sink, so that other keys' creates go on
        // meanwhile; a file is written under it, one secret at a time.
        let job = secrets.lock().await.command_delivery();
        let delivered = match job {
            Some(job) => {
                let name = new.name.clone();
                let (kept, outcome) = job.deliver(&new, self.stop.as_deref()).await;
                if kept {
                    secrets.lock().await.delivered(&name);
                }
                outcome
            }
            None => {
                secrets
                    .lock()
                    .await
                    .deliver(new, self.stop.as_deref())
                    .await
            }
        };
        delivered.map_err(|e| StepError::Other(format!("key {id} was created, but {e}")))?;
        self.keys_created
            .lock()
            .expect("keys lock")
            .push((a.address.clone(), id));
        Ok(())
    }

    /// One toggle-resource call for a batch of assignment actions.
    async fn toggle(&self, batch: &Batch) -> Done {
        if self.stopping() {
            return Done::Skipped(batch.actions.clone());
        }
        let tag_ids: Result<Vec<String>, String> = batch
            .tags
            .iter()
            .map(|label| {
                let from_plan = batch
                    .actions
                    .iter()
                    .map(|&i| &self.plan.actions[i])
                    .find(|a| tag_of(a) == Some(label))
                    .and_then(|a| a.live_id.clone());
                from_plan
                    .or_else(|| {
                        self.created_tags
                            .lock()
                            .expect("tags lock")
                            .get(label)
                            .cloned()
                    })
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
                    .post_idempotent::<_, serde_json::Value>("/custom-tags/toggle-resource", &body)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => Done::Applied(batch.actions.clone()),
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                Done::Failed(batch.actions.clone(), e)
            }
        }
    }
}

fn tag_of(a: &Action) -> Option<&String> {
    match a.state() {
        Some(State::Assignment(s)) => Some(&s.tag),
        _ => None,
    }
}
