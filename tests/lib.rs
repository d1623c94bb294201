//! All integration tests in one binary (one link on a two-core machine).

mod support;

mod access_impact;
mod attribution;
mod bounds;
mod chaos;
mod ci_recipes;
mod cli_surface;
mod client;
mod commands;
mod completions;
mod config_errors;
mod docs_run;
mod domain_types;
mod e2e;
mod ecosystem;
mod hostile;
mod hostile_names;
mod lint_allow;
mod man_page;
mod nickname;
mod pipelines;
mod plan_domain;
mod planner;
mod properties;
mod render;
mod review;
mod safety;
mod saved_plan_forgery;
mod scale;
mod secrets;
mod snapshot_rehearsal;
mod team_roles;
mod vocabulary;
mod workspace_shapes;
