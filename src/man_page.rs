//! The man page (`docs/instantly-rbac.1`, `instantly-rbac manpage`): one
//! page with every command described inline, built from the command-line
//! definition (clap_mangen renders the option lists) and the sections a
//! man page is expected to have.

use crate::cli::Cli;
use clap::CommandFactory as _;

/// The whole page, in roff.
pub fn render() -> String {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out).expect("rendering to memory");
    man.render_name_section(&mut out)
        .expect("rendering to memory");
    let mut page = String::from_utf8_lossy(&out).into_owned();
    page.push_str(SYNOPSIS);
    page.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page.push_str(&command(sub));
    }
    // The top level's own options (help, version) and the global ones
    // under their heading.
    let mut options = Vec::new();
    man.render_options_section(&mut options)
        .expect("rendering to memory");
    page.push_str(&String::from_utf8_lossy(&options));
    page.push_str(TAIL);
    page
}

/// One command: its synopsis, what it does, its own options, examples.
fn command(sub: &clap::Command) -> String {
    let name = sub.get_name();
    let mut s = format!(".SS \"instantly\\-rbac {}\"\n", roff(name));
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        s.push_str(&format!("{}\n", roff(&about.to_string())));
    }
    let mut options = Vec::new();
    clap_mangen::Man::new(sub.clone())
        .render_options_section(&mut options)
        .expect("rendering to memory");
    // The command's options as a list under its own heading, not a section.
    for line in String::from_utf8_lossy(&options).lines() {
        if line.starts_with(".SH ") {
            continue;
        }
        s.push_str(line);
        s.push('\n');
    }
    if let Some(after) = sub.get_after_help() {
        let after = after.to_string();
        let mut text = after.lines();
        if text.next() == Some("Examples:") {
            s.push_str(".PP\nExamples:\n.PP\n.RS 4\n.nf\n");
            for line in text.by_ref() {
                let Some(example) = line.strip_prefix("  ") else {
                    break;
                };
                s.push_str(&roff(example));
                s.push('\n');
            }
            s.push_str(".fi\n.RE\n");
            let rest: Vec<&str> = text.filter(|l| !l.is_empty()).collect();
            if !rest.is_empty() {
                s.push_str(&format!(".PP\n{}\n", roff(&rest.join(" "))));
            }
        }
    }
    s
}

/// Text escaped for roff: backslashes and hyphens, and a line that would
/// start with a control character.
fn roff(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e").replace('-', "\\-");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SYNOPSIS: &str = r#".SH SYNOPSIS
\fBinstantly\-rbac\fR [\fIGLOBAL OPTIONS\fR] \fICOMMAND\fR [\fIOPTIONS\fR]
.SH DESCRIPTION
\fBinstantly\-rbac\fR is a declarative reconciler for the access control of
Instantly workspaces: members and their roles, team roles, API keys, tags
and tag assignments. A YAML desired\-state file says what the workspace
should hold; \fBplan\fR reads the live workspace and shows the changes,
with their risk and access impact; \fBapply\fR carries them out, deleting
only what the plan lists. Mass deletions are blocked until acknowledged,
the key the tool runs with is never revoked, and the secrets of new API
keys go only to a file or a command of your choice.
.PP
Every command can run against a built\-in emulator of the API
(\fB\-\-sandbox\fR) instead of a real workspace.
"#;

const TAIL: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; for \fBplan\fR, no changes (or changes without \fB\-\-detailed\-exitcode\fR).
.TP
\fB1\fR
An error: a mistyped command line, an invalid file, a refused or failed apply, an API error.
.TP
\fB2\fR
\fBplan \-\-detailed\-exitcode\fR: there are changes; \fBreview \-\-fail\-on\-findings\fR: there are findings.
.TP
\fB129\fR, \fB130\fR, \fB143\fR
\fBapply\fR stopped by SIGHUP, SIGINT (Ctrl\-C) or SIGTERM: the actions in flight finished, and the report says what was done.
.SH ENVIRONMENT
.TP
\fBINSTANTLY_API_KEY\fR
The API key (prefer it to \fB\-\-api\-key\fR, which shows in process lists).
.TP
\fBINSTANTLY_API_URL\fR
The base URL of the API (\fB\-\-api\-url\fR).
.TP
\fBNO_COLOR\fR
When set and not empty, no colour (unless \fB\-\-color always\fR).
.TP
\fBRUST_LOG\fR
Log filter; overrides \fB\-v\fR and \fB\-q\fR for logs.
.SH FILES
.TP
\fIworkspace.yaml\fR
The desired\-state file given with \fB\-f\fR (its JSON Schema: \fBinstantly\-rbac schema\fR).
.TP
\fIplan.json\fR
A plan saved by \fBplan \-\-out\fR, applied by \fBapply PLAN\fR.
.TP
\fInew\-keys.json\fR
The \fB\-\-secrets\-out\fR file: secrets of new API keys, created with mode 0600.
.TP
\fI.instantly\-rbac\-intents/\fR
In the working directory: a record of each key create until its secret is delivered.
.TP
\fIstate.json\fR
A sandbox state (\fB\-\-sandbox=state.json\fR, \fBsandbox \-\-state\fR).
.SH EXAMPLES
Check a file, review a plan, apply exactly what was reviewed:
.PP
.RS 4
.nf
instantly\-rbac validate \-f workspace.yaml \-\-strict
instantly\-rbac plan \-f workspace.yaml \-\-out plan.json
instantly\-rbac apply plan.json \-\-secrets\-out new\-keys.json
.fi
.RE
.PP
Start from the live workspace, and rehearse a change on a copy of it (the emulator with a snapshot, mode 0600) first:
.PP
.RS 4
.nf
instantly\-rbac export \-o workspace.yaml
instantly\-rbac snapshot \-o state.json
instantly\-rbac \-\-sandbox=state.json plan \-f workspace.yaml
.fi
.RE
.SH "SEE ALSO"
The README and docs/ of the project: docs/getting\-started.md,
docs/config.md (the file format), docs/ci.md (CI recipes),
docs/safety.md, docs/sandbox.md.
"#;
