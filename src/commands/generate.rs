//! Files generated from the tool's own definitions: shell completions, the
//! JSON Schema of the desired-state file, the man page.

use crate::cli::Cli;
use crate::output::{ExitStatus, Printer};

pub fn completions(shell: clap_complete::Shell, p: &Printer) -> ExitStatus {
    p.out(&completion_script(shell));
    ExitStatus::Success
}

/// The binary's name, which completions register for.
const BIN: &str = "instantly-rbac";

/// The completion script for `shell`: every visible command with its
/// flags and their values; hidden commands (`manpage`) left out.
pub fn completion_script(shell: clap_complete::Shell) -> String {
    let mut cmd = visible_command();
    let mut buf = Vec::new();
    if shell == clap_complete::Shell::Bash {
        // clap_complete names bash functions inconsistently for a hyphenated
        // binary (it sets `instantly__rbac__subcmd__plan` but matches
        // `instantly__subcmd__rbac__subcmd__plan`), so completion stops after
        // the subcommand. Generated for a name without a hyphen, then the
        // command the script registers for is renamed back.
        clap_complete::generate(shell, &mut cmd, BASH_NAME, &mut buf);
        return String::from_utf8_lossy(&buf)
            .lines()
            .map(|line| match line.strip_suffix(&format!(" {BASH_NAME}")) {
                Some(head) if line.trim_start().starts_with("complete ") => {
                    format!("{} {BIN}\n", head.replace(BASH_NAME, "instantly_rbac"))
                }
                _ => format!("{}\n", line.replace(BASH_NAME, "instantly_rbac")),
            })
            .collect();
    }
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A hyphen-free stand-in for [`BIN`] while generating bash completions.
const BASH_NAME: &str = "instantlyrbac";

/// The command line without its hidden subcommands: clap_complete lists
/// them otherwise.
fn visible_command() -> clap::Command {
    let full = <Cli as clap::CommandFactory>::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut cmd = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(visible);
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd
}

pub fn schema(p: &Printer) -> ExitStatus {
    p.out(&crate::config::json_schema());
    ExitStatus::Success
}

pub fn manpage(p: &Printer) -> ExitStatus {
    p.out(&man_page());
    ExitStatus::Success
}

/// The man page, generated from the command-line definition.
pub fn man_page() -> String {
    crate::man_page::render()
}
