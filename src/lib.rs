//! instantly-rbac: a declarative reconciler for the access control of
//! Instantly workspaces. See docs/architecture.md for how data flows.

pub mod access_impact;
pub mod api_error;
pub mod api_types;
pub mod applier;
pub mod cli;
pub mod client;
pub mod config;
pub mod config_loader;
pub mod create;
pub mod diagnostic;
pub mod diff_view;
pub mod export;
pub mod ignore;
pub mod lints;
pub mod live;
pub mod multi;
pub mod plan;
pub mod planner;
pub mod rate_limiter;
pub mod read_strategy;
pub mod render_json;
pub mod render_markdown;
pub mod render_text;
pub mod run;
pub mod safety;
pub mod sandbox;
pub mod saved_plan;
pub mod secret_sink;
pub mod secrets_out;
pub mod settings;
pub mod timestamp;
pub mod toggle_batch;
pub mod vocab;
pub mod workspace_files;
pub mod yaml_node;
