//! Names from the API are untrusted (issue 11, item 6): a key name, tag
//! label, member email, role, campaign name, description or workspace name
//! can hold line breaks, terminal escape sequences, bidi overrides,
//! zero-width characters and Markdown. Every output shows them as what they
//! are: no faked plan line, no erased line, no window title, no broken
//! table, no closed `<details>`, no comment hiding the rest; JSON keeps them
//! exact.

use crate::support::{Test, example};
use instantly_rbac::api_types::Campaign;
use instantly_rbac::diagnostic::FileErrors;
use instantly_rbac::role::Role;
use instantly_rbac::sandbox::demo::demo_state;
use instantly_rbac::sandbox::state::SandboxState;

/// A key name whose second line looks like a plan line.
const FAKE_LINE: &str = "K0\n  + api_key[evil]";
/// Erases the line it is on and writes another in its place.
const ERASE: &str = "gone\x1b[2K\r  ~ tag[harmless]";
/// Sets the terminal's window title.
const OSC: &str = "\x1b]0;pwned\x07";
/// Everything that reshapes a PR comment.
const MARKDOWN: &str = "a|b</details><!-- ```\n## ✅ No changes\n``` <b>x</b> [l](https://e.x)";
/// Shows as `exe.txt` reversed: a name that reads as something else.
const BIDI: &str = "invoice\u{202e}txt.exe";
/// Looks like `admin@acme.com`, but is another address.
const ZERO_WIDTH: &str = "ad\u{200b}min@acme.com";

/// The demo workspace with hostile strings wherever the API gives one.
fn hostile() -> SandboxState {
    let mut s = demo_state();
    s.workspace.name = format!("Acme Sales\n## ✅ No changes{OSC}");
    let template = s.members[2].clone();
    for (n, email, role) in [
        (8, ZERO_WIDTH.to_owned(), Role::View),
        (9, format!("eve|`<!--`{BIDI}@acme.com"), Role::Editor),
        (
            10,
            "weird@acme.com".to_owned(),
            Role::Other(format!("root{OSC}")),
        ),
    ] {
        let mut m = template.clone();
        m.id = format!("01946416-1000-7000-8000-0000000000{n:02}");
        m.email = email.as_str().into();
        m.role = role;
        m.permissions = Some(vec![format!("campaigns.view{ERASE}")]);
        s.members.push(m);
    }
    let mut k = s.api_keys[2].clone();
    k.id = "01946416-3000-7000-8000-000000000009".into();
    k.name = FAKE_LINE.into();
    k.scopes = vec![format!("all:read\n  + scope{OSC}")];
    k.key = "sbx_hostile_0000000000000000".into();
    s.api_keys.push(k);
    let mut k = s.api_keys[2].clone();
    k.id = "01946416-3000-7000-8000-000000000010".into();
    k.name = format!("{MARKDOWN} {BIDI}");
    k.key = "sbx_hostile_1111111111111111".into();
    s.api_keys.push(k);
    // The tag of the plan's delete, and a description the file replaces.
    s.tags[1].label = ERASE.into();
    s.tags[1].description = Some(MARKDOWN.into());
    s.tags[0].description = Some(format!("West{OSC}\n- tag[SDR-East]"));
    s.campaigns.push(Campaign {
        id: "01946416-5000-7000-8000-000000000009".into(),
        name: format!("Q4 West Outbound\n+ assignment[evil]{MARKDOWN}"),
        status: 1,
        timestamp_created: String::new(),
    });
    let mut m = s.mappings[0].clone();
    m.id = "01946416-6000-7000-8000-000000000009".into();
    m.resource_id = "01946416-5000-7000-8000-000000000009".into();
    s.mappings.push(m);
    s
}

fn plan(format: &[&str]) -> crate::support::Ran {
    let example = std::fs::read_to_string(example()).unwrap();
    let mut args = vec!["plan", "-f", "w.yaml"];
    args.extend_from_slice(format);
    Test::new()
        .file("w.yaml", &example)
        .sandbox(hostile())
        .args(&args)
        .run()
        .status(0)
        .unchanged()
}

/// Nothing that acts on a terminal: no ESC, CR, BEL, other controls but
/// the line breaks, bidi controls or zero-width characters.
fn assert_inert(text: &str) {
    for (n, line) in text.lines().enumerate() {
        let bad: Vec<char> = line
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\t')
                    || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2060}' | '\u{FEFF}')
            })
            .collect();
        assert!(bad.is_empty(), "line {}: {bad:?} in {line:?}", n + 1);
    }
}

#[test]
fn the_text_plan_shows_hostile_names_as_escapes() {
    let ran = plan(&["--diff"]);
    let out = &ran.output;
    assert_inert(&out.stdout);
    assert_inert(&out.stderr);
    // The only plan lines are the tool's: none starts inside a name.
    for fake in [
        "  + api_key[evil]",
        "  ~ tag[harmless]",
        "+ assignment[evil]",
        "## ",
    ] {
        assert!(
            !out.stdout
                .lines()
                .any(|l| l.trim_start() == fake.trim_start() || l.starts_with(fake)),
            "a name made the line {fake:?}:\n{}",
            out.stdout
        );
    }
    insta::assert_snapshot!(out.stdout);
}

/// The lines of a Markdown document outside fenced code blocks.
fn outside_fences(md: &str) -> Vec<&str> {
    let mut fence: Option<String> = None;
    let mut out = Vec::new();
    for line in md.lines() {
        let run: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            None if run.len() >= 3 => fence = Some(run),
            None => out.push(line),
            Some(f) if run.len() >= f.len() && line.trim_end() == run => fence = None,
            Some(_) => {}
        }
    }
    assert!(fence.is_none(), "a code block is never closed:\n{md}");
    out
}

/// A line with its code spans taken out: what Markdown reads as markup.
fn markup(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + run..];
        // The span ends at the next run of exactly as many backticks.
        let mut end = None;
        let mut i = 0;
        while let Some(j) = after[i..].find('`') {
            let k = i + j;
            let n = after[k..].chars().take_while(|&c| c == '`').count();
            if n == run {
                end = Some(k);
                break;
            }
            i = k + n;
        }
        match end {
            Some(k) => rest = &after[k + run..],
            None => {
                out.push_str(&rest[start..start + run]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Cells of a table row: split at each `|` no backslash escapes.
fn columns(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

fn assert_markdown_holds(md: &str) {
    assert_inert(md);
    let lines = outside_fences(md);
    let markup: Vec<String> = lines.iter().map(|l| markup(l)).collect();
    let count = |tag: &str| markup.iter().map(|l| l.matches(tag).count()).sum::<usize>();
    assert_eq!(
        count("<details>"),
        count("</details>"),
        "unbalanced <details>:\n{md}"
    );
    for l in &markup {
        // The only comments are the tool's markers, whole lines.
        let marker = l
            .strip_prefix("<!-- instantly-rbac:")
            .and_then(|m| m.strip_suffix(" -->"))
            .is_some_and(|m| !m.contains(['<', '>']) && !m.contains("--"));
        if marker {
            continue;
        }
        assert!(!l.contains("<!--"), "a comment opened by content: {l:?}");
        assert!(!l.starts_with("## ✅"), "a heading made by content: {l:?}");
        if l.contains("<summary>") {
            assert_eq!(l.matches('<').count(), 3, "a tag made by content: {l:?}");
        } else {
            assert!(
                l == "<details>" || l == "</details>" || !l.contains('<'),
                "a tag made by content: {l:?}"
            );
        }
    }
    // Each table keeps the column count of its header.
    let mut header: Option<usize> = None;
    for l in &lines {
        if l.starts_with('|') {
            let n = columns(l);
            let h = *header.get_or_insert(n);
            assert_eq!(n, h, "a row with other columns than its table: {l:?}\n{md}");
        } else {
            header = None;
        }
    }
}

#[test]
fn the_markdown_plan_keeps_its_shape() {
    let ran = plan(&["--format", "markdown", "--diff"]);
    assert_markdown_holds(&ran.output.stdout);
    insta::assert_snapshot!(ran.output.stdout);
}

#[test]
fn the_json_plan_keeps_the_exact_strings() {
    let ran = plan(&["--format", "json", "--diff"]);
    let doc = ran.json();
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(&doc, &mut all);
    for exact in [
        FAKE_LINE.to_owned(),
        format!("api_key[{FAKE_LINE}]"),
        format!("tag[{ERASE}]"),
        MARKDOWN.to_owned(),
        format!("member[{ZERO_WIDTH}]"),
        format!("root{OSC}"),
    ] {
        assert!(
            all.contains(&exact),
            "{exact:?} is not a string of the JSON plan:\n{}",
            ran.output.stdout
        );
    }
    assert_eq!(
        doc["workspace"]["name"].as_str(),
        Some(hostile().workspace.name.as_str())
    );
}

#[test]
fn a_help_text_quoting_live_names_is_escaped_for_terminals_and_annotations() {
    let ran = Test::new()
        .file(
            "w.yaml",
            "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West]\n",
        )
        .sandbox(hostile())
        .args(&["plan", "-f", "w.yaml"])
        .run()
        .status(1)
        .unchanged();
    assert_inert(&ran.output.stderr);
    insta::assert_snapshot!("help_quoting_live_names", ran.output.stderr);

    // The same errors as GitHub annotations (as a pipeline would print them).
    let config = instantly_rbac::config_loader::parse(
        "w.yaml",
        "version: 1\ntags:\n  - label: SDR-West\n    campaigns: [Q4 West]\n",
    )
    .unwrap();
    let errors = instantly_rbac::planner::plan(
        &config,
        &hostile().as_live(),
        &instantly_rbac::planner::Context::default(),
    )
    .unwrap_err();
    let report = FileErrors {
        path: "dir,with:odd.yaml".into(),
        source: String::new(),
        errors,
        ..Default::default()
    };
    let github = report.render_github();
    assert_eq!(github.lines().count(), report.errors.len(), "{github}");
    assert_inert(&github);
    insta::assert_snapshot!("help_quoting_live_names_github", github);
}

#[test]
fn validate_for_github_keeps_one_command_per_annotation() {
    let ran = Test::new()
        .file(
            "a,b:c.yaml",
            "version: 1\nmembers:\n  - email: x@acme.com\n    role: \"admn\\n::error file=x::pwned 100%\\e]0;t\\a\"\n",
        )
        .args(&["validate", "--format", "github", "-f", "a,b:c.yaml"])
        .run()
        .status(1)
        .stderr("");
    let out = &ran.output.stdout;
    assert_inert(out);
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error file=a%2Cb%3Ac.yaml,")),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn export_escapes_its_warnings_and_header() {
    let mut state = hostile();
    // Names stay hostile; scopes and permissions a file can declare, so
    // that the export is a file that loads.
    for m in &mut state.members {
        m.permissions = None;
    }
    state.api_keys[3].scopes = vec!["all:read".into()];
    // Two keys of one name: export warns, quoting the name.
    let mut twin = state.api_keys[3].clone();
    twin.id = "01946416-3000-7000-8000-000000000011".into();
    twin.key = "sbx_hostile_2222222222222222".into();
    state.api_keys.push(twin);
    let ran = Test::new()
        .sandbox(state)
        .args(&["export"])
        .run()
        .status(0)
        .unchanged();
    assert_inert(&ran.output.stderr);
    let header = ran.output.stdout.lines().next().unwrap();
    assert_eq!(
        header,
        r#"# Desired state of the Instantly workspace "Acme Sales\n## ✅ No changes\u{1b}]0;pwned\u{7}", exported by instantly-rbac."#
    );
    insta::assert_snapshot!("export_warnings", ran.output.stderr);
    // The file holds the exact names, as YAML.
    let config = instantly_rbac::config_loader::parse("x.yaml", &ran.output.stdout)
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert!(config.api_keys.iter().any(|k| k.name.value == FAKE_LINE));
}

#[test]
fn a_report_over_many_workspaces_escapes_their_names() {
    let mut agency = demo_state();
    let mut client = hostile();
    client.workspace.id = "01946416-09c9-7bef-bbc9-000000000001".into();
    agency.sub_workspaces.push(client);
    let example = std::fs::read_to_string(example()).unwrap();
    let client_file = example.replace(
        "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a",
        "01946416-09c9-7bef-bbc9-000000000001",
    );
    let ran = Test::new()
        .file("agency.yaml", &example)
        .file("client.yaml", &client_file)
        .sandbox(agency)
        .args(&["plan", "-f", "agency.yaml", "-f", "client.yaml"])
        .run()
        .status(0);
    assert_inert(&ran.output.stdout);
    assert!(
        ran.output.stdout.contains(
            r"  client.yaml  Acme Sales\n## ✅ No changes\u{1b}]0;pwned\u{7} (01946416-09c9-7bef-bbc9-000000000001): Plan:"
        ),
        "{}",
        ran.output.stdout
    );
    let ran = ran.again(&[
        "plan",
        "-f",
        "agency.yaml",
        "-f",
        "client.yaml",
        "--format",
        "markdown",
    ]);
    assert_markdown_holds(&ran.output.stdout);
    let row = ran
        .output
        .stdout
        .lines()
        .find(|l| l.starts_with("| `client.yaml`"))
        .unwrap();
    assert_eq!(
        row,
        r"| `client.yaml` | Acme Sales\n## ✅ No changes\u{1b}]0;pwned\u{7} | 5 | 2 | 2 | 10 |"
    );
}

#[test]
fn a_mention_in_a_live_name_pings_nobody_in_a_pr_comment() {
    let mut agency = demo_state();
    let mut client = demo_state();
    client.workspace.id = "01946416-09c9-7bef-bbc9-000000000001".into();
    client.workspace.name = "@org/admins, ping (@here)".into();
    client.api_keys[0].name = "@org/admins key".into();
    agency.sub_workspaces.push(client);
    let example = std::fs::read_to_string(example()).unwrap();
    let client_file = example.replace(
        "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a",
        "01946416-09c9-7bef-bbc9-000000000001",
    );
    let ran = Test::new()
        .file("agency.yaml", &example)
        .file("client.yaml", &client_file)
        .sandbox(agency)
        .args(&[
            "plan",
            "-f",
            "agency.yaml",
            "-f",
            "client.yaml",
            "--format",
            "markdown",
        ])
        .run()
        .status(0);
    let md = &ran.output.stdout;
    assert_markdown_holds(md);
    let row = md
        .lines()
        .find(|l| l.starts_with("| `client.yaml`"))
        .unwrap();
    assert_eq!(
        row,
        "| `client.yaml` | @&#8203;org/admins, ping (@&#8203;here) | 6 | 2 | 2 | 4 |"
    );
    // Outside code (where GitHub mentions nobody), every `@` before a name
    // is neutralised; addresses (`owner@acme.com`) are left as they are.
    for line in outside_fences(md) {
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let line = prose.as_str();
        for (i, _) in line.match_indices('@') {
            let before = line[..i].chars().last();
            let after = line[i + 1..].chars().next();
            assert!(
                before.is_some_and(char::is_alphanumeric)
                    || !after.is_some_and(char::is_alphanumeric),
                "{line}"
            );
        }
    }
}
