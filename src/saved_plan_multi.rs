//! Saved plans of several workspaces (`plan -f DIR --out PLAN`): one saved
//! plan (`saved_plan`) per workspace, each with the file it was made from,
//! and the files that could not be planned. `apply PLAN` verifies and
//! applies each workspace on its own, exactly as a single saved plan.

use crate::pipeline::{PlanError, Planned};
use crate::saved_plan::{SavedPlan, SavedPlanError};
use serde::{Deserialize, Serialize};

/// Distinct from `saved_plan::FORMAT_VERSION`, so that neither format is
/// taken for the other.
pub const FORMAT_VERSION: &str = "multi-1";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MultiPlan {
    pub format_version: String,
    /// The instantly-rbac version that wrote it (informational).
    pub tool_version: String,
    pub workspaces: Vec<Entry>,
    /// Files that could not be planned when the plan was made: applying
    /// the plan reports them as failed, so that nothing looks done that
    /// was never reviewed.
    #[serde(default)]
    pub failed: Vec<Failed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub file: String,
    /// A saved plan of one workspace, as `saved_plan` writes and reads it.
    pub plan: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
                    let saved =
                        SavedPlan::new(&p.plan, &p.live, &p.file.shown(), &p.file.digest_input())
                            .with_group(&p.live, p.group.as_ref());
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
            workspaces,
            failed,
        }
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
        Some(
            serde_json::from_value(value).map_err(|e| SavedPlanError::Corrupt {
                path: path.into(),
                detail: e.to_string(),
            }),
        )
    }
}

impl Entry {
    /// The workspace's saved plan, checked as a single saved plan is.
    pub fn saved(&self, path: &str) -> Result<SavedPlan, SavedPlanError> {
        SavedPlan::parse(&format!("{path} ({})", self.file), &self.plan.to_string())
    }
}
