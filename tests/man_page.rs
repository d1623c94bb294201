//! The man page: one page, every command inline, the sections readers
//! look for; roff that groff reads without a warning.

#[test]
fn the_man_page_has_its_sections_and_every_command_inline() {
    let page = instantly_rbac::commands::generate::man_page();
    let sections: Vec<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .collect();
    assert_eq!(
        sections,
        [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "COMMANDS",
            "OPTIONS",
            "\"GLOBAL OPTIONS\"",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "\"SEE ALSO\"",
        ]
    );
    let commands: Vec<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".SS "))
        .collect();
    // Every visible command, in the order of `--help`.
    let cli = <instantly_rbac::cli::Cli as clap::CommandFactory>::command();
    let visible: Vec<String> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| format!("\"instantly\\-rbac {}\"", c.get_name()))
        .collect();
    assert_eq!(commands, visible);
    assert!(commands.contains(&"\"instantly\\-rbac plan\""));
    // No page it refers to is missing: it refers to none.
    assert!(!page.contains("(1)"), "refers to another page");
    assert!(
        !page.contains("manpage"),
        "the hidden command is not documented"
    );
    assert!(page.contains("\\fB\\-\\-detailed\\-exitcode\\fR"));
}

#[test]
fn groff_reads_the_man_page_without_warnings() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("instantly-rbac.1");
    std::fs::write(&path, instantly_rbac::commands::generate::man_page()).unwrap();
    match std::process::Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .arg(&path)
        .output()
    {
        Err(e) => println!("skipped: groff is not installed ({e})"),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && stderr.is_empty(), "{stderr}");
        }
    }
}
