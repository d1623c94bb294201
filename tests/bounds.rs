//! Bounds on what the tool accepts and reads (issue 11, items 7 and 8):
//! addresses that hide characters, endless or oversized inputs, redirects,
//! duplicate answers, numeric flags. Each refusal is a clear message.

use crate::support::Test;

#[test]
fn addresses_with_hidden_characters_or_mixed_scripts_are_located_errors() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers:\n  - email: \"sa\\u200bm@acme.com\"\n    role: admin\n  - email: p\u{430}ypal@acme.com\n    role: view\n  - email: j\u{f6}rg@acme.com\n    role: view\n  - email: \"bob @acme.com\"\n    role: view\ntags:\n  - label: t\n    accounts: [\"\\u202einfo@acme.com\"]\npolicy:\n  protect:\n    members: [\"z\\ufeff@acme.com\"]\n  ignore:\n    members: [\"x\\u2060@acme.com\", \"*@example.com\"]\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: `sa\\u{200B}m@acme.com` contains an invisible character, U+200B (zero width space)
 --> w.yaml:3:12
  |
3 |   - email: \"sa\\u200bm@acme.com\"
  |            ^^^^^^^^^^^^^^^^^^^^
  |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `p\u{430}ypal@acme.com` mixes scripts: Cyrillic `\u{430}` (U+0430) among Latin letters
 --> w.yaml:5:12
  |
5 |   - email: p\u{430}ypal@acme.com
  |            ^^^^^^^^^^^^^^^
  |
help: a look-alike letter from another script makes a different address; retype it in one script

error: `j\u{f6}rg@acme.com` is not plain ASCII: `\u{f6}` (U+00F6)
 --> w.yaml:7:12
  |
7 |   - email: j\u{f6}rg@acme.com
  |            ^^^^^^^^^^^^^
  |
help: if the address really is internationalised, set `policy.allow_non_ascii_emails: true`

error: `bob @acme.com` contains whitespace, U+0020 (space)
 --> w.yaml:9:12
  |
9 |   - email: \"bob @acme.com\"
  |            ^^^^^^^^^^^^^^^
  |
help: an email address has no spaces or control characters; remove them

error: `\\u{202E}info@acme.com` contains an invisible character, U+202E (a bidirectional control)
  --> w.yaml:13:16
   |
13 |     accounts: [\"\\u202einfo@acme.com\"]
   |                ^^^^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `z\\u{FEFF}@acme.com` contains an invisible character, U+FEFF (byte order mark)
  --> w.yaml:16:15
   |
16 |     members: [\"z\\ufeff@acme.com\"]
   |               ^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: `x\\u{2060}@acme.com` contains an invisible character, U+2060 (word joiner)
  --> w.yaml:18:15
   |
18 |     members: [\"x\\u2060@acme.com\", \"*@example.com\"]
   |               ^^^^^^^^^^^^^^^^^^
   |
help: delete it (retype the address): an invisible character makes an address that looks like another

error: 7 errors in w.yaml
",
        );
}

#[test]
fn non_ascii_addresses_need_the_opt_in_and_never_mix_scripts() {
    Test::new()
        .file(
            "w.yaml",
            "version: 1\nmembers:\n  - email: j\u{f6}rg@acme.com\n    role: view\n  - email: \u{438}\u{432}\u{430}\u{43d}@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.com\n    role: view\n  - email: \u{3b1}lice@acme.com\n    role: view\npolicy:\n  allow_non_ascii_emails: true\n",
        )
        .args(&["validate", "-f", "w.yaml"])
        .run()
        .status(1)
        .stdout("")
        .stderr(
            "error: `\u{3b1}lice@acme.com` mixes scripts: Latin `l` (U+006C) among Greek letters
 --> w.yaml:7:12
  |
7 |   - email: \u{3b1}lice@acme.com
  |            ^^^^^^^^^^^^^^
  |
help: a look-alike letter from another script makes a different address; retype it in one script

error: 1 error in w.yaml
",
        );
}
