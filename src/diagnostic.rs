//! Located errors in a desired-state file, rendered the way rustc and cargo
//! render theirs: file, line and column, the line itself with a caret, and
//! what would be valid.

use crate::escape;
use crate::yaml_node::Loc;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub loc: Loc,
    pub message: String,
    /// What would be valid, or how to fix it.
    pub help: Option<String>,
    /// A warning (a lint) rather than an error.
    pub warning: bool,
    /// A lint's stable code, e.g. `W001`.
    pub code: Option<&'static str>,
}

impl Diagnostic {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc,
            message: message.into(),
            help: None,
            warning: false,
            code: None,
        }
    }
    /// A lint: a warning with a stable code.
    pub fn lint(code: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            warning: true,
            code: Some(code),
            ..Diagnostic::new(loc, message)
        }
    }
    /// A warning without a lint code.
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every error found in one file (and in what it extends).
#[derive(Clone, Debug, Default)]
pub struct FileErrors {
    pub path: String,
    pub source: String,
    pub errors: Vec<Diagnostic>,
    /// The bases the file extends: a diagnostic whose `loc.file` is N is
    /// in the N-th of these (1-based; 0 is the file itself).
    pub others: Vec<Source>,
}

/// A source file diagnostics may point into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl FileErrors {
    /// The path and text of the file `loc` is in.
    fn file_of(&self, loc: Loc) -> (&str, &str) {
        match loc
            .file
            .checked_sub(1)
            .and_then(|i| self.others.get(i as usize))
        {
            Some(s) => (&s.path, &s.text),
            None => (&self.path, &self.source),
        }
    }

    /// `path:line:column` of a place, as messages name it.
    pub fn place(&self, loc: Loc) -> String {
        format!("{}:{}:{}", self.file_of(loc).0, loc.line, loc.col)
    }

    /// Renders every error; `color` adds ANSI styling. Messages and help
    /// texts may quote names from the API: hidden characters in them are
    /// shown escaped.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for d in &self.errors {
            let level = if d.warning {
                Level::WARNING
            } else {
                Level::ERROR
            };
            let message = escape::terminal(&d.message);
            let mut title = level.primary_title(message.as_str());
            if let Some(code) = d.code {
                title = title.id(code);
            }
            let (path, source) = self.file_of(d.loc);
            let group = match span_at(source, d.loc) {
                Some(span) => title.element(
                    Snippet::source(source)
                        .path(path)
                        .annotation(AnnotationKind::Primary.span(span)),
                ),
                None => title.element(annotate_snippets::Origin::path(path)),
            };
            let mut report = vec![group];
            let help = d.help.as_deref().map(escape::terminal);
            if let Some(help) = &help {
                report.push(Group::with_title(
                    Level::HELP.secondary_title(help.as_str()),
                ));
            }
            let _ = writeln!(out, "{}\n", renderer.render(&report));
        }
        let warnings = self.errors.iter().filter(|d| d.warning).count();
        let errors = self.errors.len() - warnings;
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let (label, counts) = match (errors, warnings) {
            (0, w) => ("warning", plural(w, "warning")),
            (e, 0) => ("error", plural(e, "error")),
            (e, w) => (
                "error",
                format!("{} and {}", plural(e, "error"), plural(w, "warning")),
            ),
        };
        let label = match (color, label) {
            (true, "error") => "\x1b[1;31merror\x1b[0m".to_owned(),
            (true, _) => "\x1b[1;33mwarning\x1b[0m".to_owned(),
            (false, l) => l.to_owned(),
        };
        let _ = write!(out, "{label}: {counts} in {}", self.path);
        out
    }

    /// For tools: every diagnostic with its place, severity and code.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.path,
            "diagnostics": self.errors.iter().map(|d| serde_json::json!({
                "file": self.file_of(d.loc).0,
                "severity": if d.warning { "warning" } else { "error" },
                "code": d.code,
                "line": d.loc.line,
                "column": d.loc.col,
                "message": d.message,
                "help": d.help,
            })).collect::<Vec<_>>(),
        })
    }

    /// One GitHub Actions annotation per error.
    pub fn render_github(&self) -> String {
        self.errors
            .iter()
            .map(|d| {
                let mut msg = d.message.clone();
                if let Some(h) = &d.help {
                    msg.push_str(" — ");
                    msg.push_str(h);
                }
                let title = d.code.map(|c| format!(",title={c}")).unwrap_or_default();
                format!(
                    "::{} file={},line={},col={}{title}::{}",
                    if d.warning { "warning" } else { "error" },
                    escape::annotation_property(self.file_of(d.loc).0),
                    d.loc.line,
                    d.loc.col,
                    escape::annotation(&msg)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The byte range of the token that starts at `loc`: a quoted string up to its
/// closing quote, otherwise up to the end of the plain scalar or key.
fn span_at(source: &str, loc: Loc) -> Option<std::ops::Range<usize>> {
    if loc.line == 0 {
        return None;
    }
    let line_start: usize = source
        .split_inclusive('\n')
        .take(loc.line as usize - 1)
        .map(str::len)
        .sum();
    let line = source[line_start..].lines().next().unwrap_or("");
    let col_byte = line
        .char_indices()
        .nth(loc.col.saturating_sub(1) as usize)
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[col_byte..];
    let len = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map_or(rest.len(), |i| i + 2),
        Some('-') => 1,
        _ => {
            let end = rest
                .char_indices()
                .find(|&(i, c)| {
                    matches!(c, ',' | ']' | '}' | '[' | '{')
                        || (c == ':' && rest[i + 1..].starts_with([' ', '\t']))
                        || (c == ':' && i + 1 == rest.len())
                        || (c == '#' && rest[..i].ends_with([' ', '\t']))
                })
                .map_or(rest.len(), |(i, _)| i);
            rest[..end].trim_end().len()
        }
    };
    let start = line_start + col_byte;
    Some(start..start + len.max(usize::from(!rest.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_token() {
        let src = "a: 1\nrole: admn # typo\nlist: [x, \"y z\"]\n";
        let s = span_at(src, Loc::at(2, 7)).unwrap();
        assert_eq!(&src[s], "admn");
        let s = span_at(src, Loc::at(2, 1)).unwrap();
        assert_eq!(&src[s], "role");
        let s = span_at(src, Loc::at(3, 11)).unwrap();
        assert_eq!(&src[s], "\"y z\"");
    }
}
