//! All integration tests in one binary (one link on a two-core machine).

mod support;

mod access_impact;
mod attribution;
mod bounds;
mod chaos;
mod client;
mod commands;
mod config_errors;
mod directories;
mod domain_types;
mod e2e;
mod ecosystem;
mod extends;
mod hostile;
mod hostile_names;
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
mod team_roles;
mod vocabulary;
mod workspace_group;
mod workspace_shapes;
