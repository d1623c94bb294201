//! Located errors in a desired-state file, rendered the way rustc and cargo
//! render theirs: file, line and column, the line itself with a caret, and
//! what would be valid.

use crate::escape;
use crate::yaml_node::Loc;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::RwLock;

/// The secrets of this run (the API key) that no diagnostic may show.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What a redacted secret is shown as.
const REDACTED: &str = "[redacted]";

/// Registers a secret (the run's API key) that diagnostics must never
/// show, whatever file they quote: a last line of defence behind the
/// checks on what may be read at all.
pub fn redact_secret(secret: &str) {
    let secret = secret.trim();
    // A very short "key" would redact ordinary words: it is no secret.
    if secret.len() < 8 {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| s == secret) {
        all.push(secret.to_owned());
    }
}

/// `text` with every registered secret, and the value of anything that
/// looks like `INSTANTLY_API_KEY=…` (an environment dump, a `.env`),
/// replaced by `[redacted]`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    const NAME: &str = "INSTANTLY_API_KEY";
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| text.contains(s.as_str())) && !text.contains(NAME) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), REDACTED);
    }
    let mut from = 0;
    while let Some(at) = out[from..].find(NAME).map(|i| from + i + NAME.len()) {
        let rest = &out[at..];
        let sep = rest.len() - rest.trim_start_matches([' ', '\t', '"', '\'']).len();
        let Some(after) = rest[sep..].strip_prefix(['=', ':']) else {
            from = at;
            continue;
        };
        let start = at + sep + 1 + (after.len() - after.trim_start_matches([' ', '\t']).len());
        // A quoted value ends at its quote; a bare one at a space or a NUL.
        let quote = out[start..]
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''));
        let start = start + quote.map_or(0, char::len_utf8);
        let end = out[start..]
            .find(|c: char| match quote {
                Some(q) => c == q || c == '\n' || c == '\0',
                None => c.is_whitespace() || c.is_control() || c == '"' || c == '\'',
            })
            .map_or(out.len(), |i| start + i);
        from = start;
        if end > start {
            out.replace_range(start..end, REDACTED);
            from += REDACTED.len();
        }
    }
    Cow::Owned(out)
}

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
            let message = escape::terminal(&scrub(&d.message));
            let mut title = level.primary_title(message.as_str());
            if let Some(code) = d.code {
                title = title.id(code);
            }
            let (path, source) = self.file_of(d.loc);
            let source = scrub(source);
            let source = source.as_ref();
            let group = match span_at(source, d.loc) {
                Some(span) => title.element(
                    Snippet::source(source)
                        .path(path)
                        .annotation(AnnotationKind::Primary.span(span)),
                ),
                None => title.element(annotate_snippets::Origin::path(path)),
            };
            let mut report = vec![group];
            let help = d.help.as_deref().map(|h| escape::terminal(&scrub(h)));
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
                "message": scrub(&d.message),
                "help": d.help.as_deref().map(scrub),
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
                let msg = scrub(&msg);
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
    fn scrub_hides_the_key_and_environment_assignments() {
        redact_secret("sbx_unit_test_secret_1234");
        assert_eq!(scrub("a sbx_unit_test_secret_1234 b"), "a [redacted] b");
        assert_eq!(
            scrub("PATH=/bin\0INSTANTLY_API_KEY=abc123\0HOME=/root"),
            "PATH=/bin\0INSTANTLY_API_KEY=[redacted]\0HOME=/root"
        );
        assert_eq!(
            scrub("export INSTANTLY_API_KEY = \"x y\"\nINSTANTLY_API_KEY"),
            "export INSTANTLY_API_KEY = \"[redacted]\"\nINSTANTLY_API_KEY"
        );
        assert_eq!(scrub("nothing here"), "nothing here");
    }

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
