//! Saved plans of several workspaces (`plan -f DIR --out PLAN`): one saved
//! plan (`saved_plan`) per workspace, each with the file it was made from,
//! and the files that could not be planned. `apply PLAN` verifies every
//! workspace, exactly as a single saved plan, before it applies any: a
//! reviewed plan is applied whole or not at all.
//!
//! A digest over the entries (`sha256`) is checked before anything else is
//! read of them, so that an entry added, removed, reordered or edited by
//! hand is refused as a whole rather than judged entry by entry. (Anyone can
//! recompute it: it catches edits, not a determined forger, whom the
//! re-verification of every workspace against its file and the live state
//! stops.)

use crate::pipeline::{PlanError, Planned};
use crate::saved_plan::{SavedPlan, SavedPlanError};
use serde::{Deserialize, Serialize};

/// Distinct from `saved_plan::FORMAT_VERSION`, so that neither format is
/// taken for the other.
pub const FORMAT_VERSION: &str = "multi-1";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiPlan {
    pub format_version: String,
    /// The instantly-rbac version that wrote it (informational).
    pub tool_version: String,
    /// Of `workspaces`, `failed`, `inputs` and `shard` (`entries_digest`).
    pub sha256: String,
    pub workspaces: Vec<Entry>,
    /// The `-f` paths and the `--shard` (`I/N`) the plan was made from:
    /// applying it expands them again and refuses a plan that leaves out a
    /// workspace file they cover (the digest, which anyone can recompute,
    /// does not stop an entry being dropped).
    pub inputs: Vec<String>,
    pub shard: Option<String>,
    /// Files that could not be planned when the plan was made: applying
    /// the plan reports them as failed, so that nothing looks done that
    /// was never reviewed.
    #[serde(default)]
    pub failed: Vec<Failed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub file: String,
    /// A saved plan of one workspace, as `saved_plan` writes and reads it.
    pub plan: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failed {
    pub file: String,
    pub error: String,
}

impl MultiPlan {
    pub fn new(planned: &[(String, Result<Planned, PlanError>)]) -> MultiPlan {
        let mut workspaces = Vec::new();
        let mut failed = Vec::new();
        for (file, result) in planned {
            match result {
                Ok(p) => {
                    let saved = SavedPlan::of(
                        &p.plan,
                        &p.live,
                        p.group.as_ref(),
                        &p.file.shown(),
                        &p.file.digest_input(),
                    );
                    workspaces.push(Entry {
                        file: file.clone(),
                        plan: serde_json::to_value(&saved).expect("a saved plan serializes"),
                    });
                }
                Err(e) => failed.push(Failed {
                    file: file.clone(),
                    error: e.text(),
                }),
            }
        }
        MultiPlan {
            format_version: FORMAT_VERSION.into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            sha256: String::new(),
            workspaces,
            inputs: Vec::new(),
            shard: None,
            failed,
        }
        .sealed()
    }

    /// With its digest of what it holds, computed last.
    fn sealed(mut self) -> MultiPlan {
        let mut value = serde_json::to_value(&self).expect("a saved plan serializes");
        self.sha256 = entries_digest(&mut value);
        self
    }

    /// The plan, saying which `-f` paths and shard it covers.
    pub fn covering(
        mut self,
        inputs: &[std::path::PathBuf],
        shard: Option<crate::workspace_files::Shard>,
    ) -> MultiPlan {
        self.inputs = inputs.iter().map(|p| p.display().to_string()).collect();
        self.shard = shard.map(|s| format!("{}/{}", s.index, s.count));
        self.sealed()
    }

    /// The workspace files its inputs cover now that it leaves out, or
    /// holds without their covering them: a plan must be of exactly the
    /// run that made it.
    pub fn coverage_problem(&self) -> Option<String> {
        let inputs: Vec<std::path::PathBuf> = self.inputs.iter().map(Into::into).collect();
        let shard = match self
            .shard
            .as_deref()
            .map(crate::workspace_files::parse_shard)
        {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => return Some(format!("its shard is not valid: {e}")),
        };
        let files = match crate::workspace_files::expand(&inputs) {
            Ok((files, _)) => crate::workspace_files::shard(files, shard),
            Err(e) => return Some(format!("the files it was made from cannot be listed: {e}")),
        };
        let now: std::collections::BTreeSet<String> =
            files.iter().map(|f| f.display().to_string()).collect();
        let held: std::collections::BTreeSet<String> = self
            .workspaces
            .iter()
            .map(|e| e.file.clone())
            .chain(self.failed.iter().map(|f| f.file.clone()))
            .collect();
        let printable = |f: &String| crate::saved_plan::printable(f);
        if let Some(f) = now.difference(&held).next() {
            return Some(format!(
                "it leaves out {}, which `-f {}` covers (a workspace dropped from the plan, or a file added since)",
                printable(f),
                self.inputs
                    .iter()
                    .map(|i| crate::saved_plan::printable(i))
                    .collect::<Vec<_>>()
                    .join(" -f ")
            ));
        }
        if let Some(f) = held.difference(&now).next() {
            return Some(format!(
                "it holds {}, which its `-f` paths no longer cover",
                printable(f)
            ));
        }
        None
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a saved plan serializes") + "\n"
    }

    /// The plan of several workspaces in `text`, or `None` when `text` is
    /// not one (a single workspace's plan, or anything else, which
    /// `SavedPlan::parse` then judges).
    pub fn parse(path: &str, text: &str) -> Option<Result<MultiPlan, SavedPlanError>> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        if value.get("format_version")?.as_str()? != FORMAT_VERSION {
            return None;
        }
        Some(Self::check(path, value))
    }

    /// The digest first (nothing of an edited plan is judged entry by
    /// entry), then the shape, then one entry per file and per workspace.
    fn check(path: &str, value: serde_json::Value) -> Result<MultiPlan, SavedPlanError> {
        let corrupt = |detail: String| SavedPlanError::Corrupt {
            path: path.into(),
            detail,
        };
        let computed = entries_digest(&mut value.clone());
        if value.get("sha256").and_then(|v| v.as_str()) != Some(computed.as_str()) {
            return Err(corrupt(
                "its entries changed after `plan --out` wrote it (their digest does not match); nothing was changed: run plan --out again and review it".into(),
            ));
        }
        let multi: MultiPlan = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        let mut files = std::collections::BTreeSet::new();
        let mut ids = std::collections::BTreeSet::new();
        for e in &multi.workspaces {
            let id = e.plan["plan"]["workspace"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !files.insert(e.file.clone()) || !ids.insert(id) {
                return Err(corrupt(format!(
                    "it has two entries for {} or its workspace; nothing was changed",
                    crate::saved_plan::printable(&e.file)
                )));
            }
        }
        for f in &multi.failed {
            if !files.insert(f.file.clone()) {
                return Err(corrupt(format!(
                    "it has two entries for {}; nothing was changed",
                    crate::saved_plan::printable(&f.file)
                )));
            }
        }
        Ok(multi)
    }
}

/// The digest of a multi-workspace plan's entries, as JSON.
fn entries_digest(plan: &mut serde_json::Value) -> String {
    // Everything but the digest itself and the informational tool version:
    // the entries, the files that failed, and the -f paths and shard the
    // coverage check expands (editing those would shrink what it checks).
    let field = |v: &mut serde_json::Value, k: &str| {
        v.get_mut(k)
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null)
    };
    let covered = (
        field(plan, "workspaces"),
        field(plan, "failed"),
        field(plan, "inputs"),
        field(plan, "shard"),
    );
    let text = serde_json::to_string(&covered).expect("JSON serializes");
    crate::saved_plan::sha256_hex(text.as_bytes())
}

impl Entry {
    /// The workspace's saved plan, checked as a single saved plan is.
    pub fn saved(&self, path: &str) -> Result<SavedPlan, SavedPlanError> {
        let shown = format!("{path} ({})", self.file);
        let saved = SavedPlan::parse(&shown, &self.plan.to_string())?;
        if saved.desired.path != self.file {
            // The entry must name the file its plan is verified against.
            return Err(SavedPlanError::Corrupt {
                path: shown,
                detail: "the entry's file is not the desired file of its plan".into(),
            });
        }
        Ok(saved)
    }
}
