//! Shell completions, run by the shells themselves: bash completes flags
//! and values after a subcommand; zsh and fish accept their scripts.

use crate::support::run;
use std::process::Command;

fn script(shell: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["completions", shell], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    o.stdout
}

/// What bash offers for the command line `words` (the last one being
/// completed), through the generated script's own function.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("instantly-rbac.bash");
    std::fs::write(&path, script("bash")).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let probe = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={cword}\n_instantly_rbac instantly-rbac '{}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\ncomplete -p instantly-rbac >&2\n",
        path.display(),
        quoted.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(" -F _instantly_rbac instantly-rbac\n"),
        "the function is registered for the binary: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_flags_and_values_after_the_subcommand() {
    assert_eq!(
        bash_complete(&["instantly-rbac", "plan", "--det"]),
        ["--detailed-exitcode"]
    );
    assert_eq!(
        bash_complete(&["instantly-rbac", "apply", "--ack"]),
        ["--ack-deletes"]
    );
    assert_eq!(
        bash_complete(&["instantly-rbac", "plan", "--format", ""]),
        ["text", "json", "markdown"]
    );
    assert_eq!(
        bash_complete(&["instantly-rbac", "validate", "--format", "g"]),
        ["github"]
    );
    // Global options complete after a subcommand too.
    assert_eq!(
        bash_complete(&["instantly-rbac", "export", "--log-f"]),
        ["--log-format"]
    );
}

#[test]
fn hidden_commands_are_not_offered() {
    let subcommands = bash_complete(&["instantly-rbac", ""]);
    let visible: Vec<&str> = subcommands
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    let cli = <instantly_rbac::cli::Cli as clap::CommandFactory>::command();
    let expected: Vec<&str> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name())
        .chain(["help"])
        .collect();
    assert_eq!(visible, expected);
    assert!(visible.contains(&"plan") && !visible.contains(&"manpage"));
    assert!(
        cli.find_subcommand("manpage")
            .is_some_and(|c| c.is_hide_set())
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(
            !script(shell).contains("manpage"),
            "{shell} offers the hidden manpage"
        );
    }
}

/// Each shell parses its own script (`zsh -n`, `fish -n`), where installed.
#[test]
fn zsh_and_fish_accept_their_scripts() {
    for shell in ["zsh", "fish"] {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(format!("instantly-rbac.{shell}"));
        std::fs::write(&path, script(shell)).unwrap();
        match Command::new(shell).arg("-n").arg(&path).output() {
            Err(e) => println!("skipped `{shell} -n`: {shell} is not installed ({e})"),
            Ok(out) => assert!(
                out.status.success(),
                "{shell} -n: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    assert!(script("zsh").starts_with("#compdef instantly-rbac\n"));
    assert!(script("fish").contains("complete -c instantly-rbac -n \"__fish_instantly_rbac_using_subcommand plan\" -l detailed-exitcode"));
}

/// fish completes with its own engine (`complete -C`), where installed.
#[test]
fn fish_completes_flags_and_values() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("instantly-rbac.fish");
    std::fs::write(&path, script("fish")).unwrap();
    let probe = format!(
        "source '{}'; complete -C 'instantly-rbac plan --det'; complete -C 'instantly-rbac plan --format '",
        path.display()
    );
    match Command::new("fish")
        .args(["--no-config", "-c", &probe])
        .output()
    {
        Err(e) => println!("skipped: fish is not installed ({e})"),
        Ok(out) => assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "--detailed-exitcode\tExit 0 when in sync, 2 when there are changes, 1 on error
json\tFor tooling: every action with its fields (docs/planning.md)
markdown\tA pull-request comment or issue body
text\tFor people: the changes, their risk and access impact
"
        ),
    }
}

#[test]
fn bash_offers_kinds_for_ack_deletes_and_no_files_for_shard() {
    assert_eq!(
        bash_complete(&["instantly-rbac", "apply", "--ack-deletes", ""]),
        [
            "member=",
            "api_key=",
            "tag=",
            "assignment=",
            "sub_workspace="
        ]
    );
    assert_eq!(
        bash_complete(&["instantly-rbac", "apply", "--ack-deletes", "ap"]),
        ["api_key="]
    );
    assert_eq!(
        bash_complete(&["instantly-rbac", "plan", "--shard", ""]),
        Vec::<String>::new()
    );
}
