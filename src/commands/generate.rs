//! Files generated from the tool's own definitions: shell completions, the
//! JSON Schema of the desired-state file, the man page.

use crate::cli::Cli;
use crate::output::{ExitStatus, Printer};

pub fn completions(shell: clap_complete::Shell, p: &Printer) -> ExitStatus {
    let mut buf = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "instantly-rbac",
        &mut buf,
    );
    p.out(&String::from_utf8_lossy(&buf));
    ExitStatus::Success
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
    let mut buf = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
        .render(&mut buf)
        .expect("rendering to memory cannot fail");
    String::from_utf8_lossy(&buf).into_owned()
}
