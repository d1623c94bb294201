//! Warnings about a valid file: things that work but deserve a second look.

use crate::config::Config;
use crate::diagnostic::Diagnostic;

/// Every lint of `config`, in file order.
pub fn lint(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for k in &config.api_keys {
        let wide: Vec<&String> = k
            .scopes
            .iter()
            .filter(|s| s.as_str() == "all:all" || s.starts_with("all:"))
            .collect();
        if !wide.is_empty() && k.rotate_after_days.is_none() {
            out.push(
                Diagnostic::warning(
                    k.name.loc,
                    format!(
                        "API key `{}` has the wildcard scope{} {} and is never rotated",
                        k.name.value,
                        if wide.len() == 1 { "" } else { "s" },
                        wide.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .help("add `rotate_after_days: 90` (or narrower scopes) so a leaked key does not stay valid forever"),
            );
        }
    }
    out.sort();
    out
}
