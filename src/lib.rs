//! instantly-rbac: a declarative reconciler for the access control of
//! Instantly workspaces. See docs/architecture.md for how data flows.

// Every line users see goes through `output::Printer`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod access;
pub mod access_impact;
pub mod api_error;
pub mod api_types;
pub mod applier;
pub mod attribution;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod config_extends;
pub mod config_loader;
pub mod connection;
pub mod create;
pub mod diagnostic;
pub mod diff_view;
pub mod durable_file;
pub mod email;
pub mod email_domains;
pub mod escape;
pub mod export;
pub mod export_group;
pub mod export_like;
pub mod group_types;
pub mod ignore;
pub mod intents;
pub mod lints;
pub mod live;
pub mod live_group;
pub mod man_page;
pub mod output;
pub mod output_path;
pub mod pipeline;
pub mod plan;
pub mod planner;
pub mod planner_group;
pub mod privileges;
pub mod progress;
pub mod rate_limiter;
pub mod read_strategy;
pub mod render_json;
pub mod render_markdown;
pub mod render_multi;
pub mod render_text;
pub mod review;
pub mod role;
pub mod run;
pub mod safety;
pub mod sandbox;
pub mod saved_plan;
pub mod saved_plan_multi;
pub mod secret_sink;
pub mod secrets_out;
pub mod settings;
pub mod stop_signal;
pub mod team_roles;
pub mod timestamp;
pub mod toggle_batch;
pub mod vocab;
pub mod workspace_files;
pub mod yaml_node;
