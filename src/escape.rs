//! Everything the API returns is untrusted: a tag label, key name, member
//! email, campaign name or description can hold newlines, terminal escape
//! sequences, bidi overrides or Markdown. Renderers pass every live string
//! through the function for their output, so that it shows as what it is
//! and cannot fake a line, rewrite the screen or reshape a PR comment. Plans
//! keep the exact data; escaping happens only when it is shown. JSON needs
//! none of this: serde escapes it.

/// A character that must not reach a terminal as it is: control characters
/// (C0 with `\n` `\r` `\t` and ESC, DEL, C1), bidi overrides and isolates,
/// zero-width characters and the Unicode line and paragraph separators.
fn hidden(c: char) -> bool {
    c.is_control() || invisible(c) || matches!(c, '\u{2028}' | '\u{2029}') // line and paragraph separators
}

/// Characters that render as nothing or reorder what follows: zero-width
/// and joiner characters, bidi controls, word joiners and invisible
/// operators, fillers, variation selectors, the BOM, the soft hyphen. One
/// list, for what is escaped on output and refused in addresses.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.extend(c.escape_unicode()),
    }
}

/// For a terminal (and plain text): hidden characters as visible escapes
/// (`\n`, `\u{1b}`, `\u{202e}`); printable text unchanged.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if hidden(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// For text inside HTML (a `<summary>`): the terminal rule, and `&`, `<`,
/// `>` as character references.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_html(&mut out, c);
    }
    out
}

fn push_html(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c if hidden(c) => push_visible(out, c),
        c => out.push(c),
    }
}

/// For the text of an HTML comment (the marker a pipeline finds its
/// comment by): anything but ASCII letters, digits and `-_.:` as `%XX`
/// bytes, so that no `-->` or line break can end it. A uuid is unchanged.
pub fn html_comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// For Markdown text: a table cell, a heading, a list item. The HTML rule
/// (so no tag, `<!--` or `</details>` is ever opened or closed), and a
/// backslash before what would make Markdown of it, so that it is shown as
/// it is and never becomes code, emphasis, a link, an image or a table
/// column: `\` `` ` `` `*` `|` `~` always, `_` unless inside a word (where
/// it cannot emphasise), `]` before `(` `[` `:` (a link), `#` `-` `+` `=`
/// first. An `@` that would mention someone (`@org/admins`: not after a
/// letter or digit, before one) is followed by a zero-width space
/// (`&#8203;`), as Renovate does, so that a live name pings nobody in a PR
/// comment. Ordinary names and email addresses are unchanged.
pub fn markdown_inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let escaped = match c {
            '\\' | '`' | '*' | '|' | '~' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            ']' => matches!(chars.get(i + 1), Some('(' | '[' | ':')),
            '#' | '-' | '+' | '=' => i == 0,
            _ => false,
        };
        if escaped {
            out.push('\\');
            out.push(c);
        } else if c == '@' && !word(i.checked_sub(1)) && word(Some(i + 1)) {
            out.push_str("@&#8203;");
        } else {
            push_html(&mut out, c);
        }
    }
    out
}

/// A run of backticks longer than any run in `content`, so that nothing in
/// it can close a code span or a fenced block opened with it: at least
/// `min` long.
pub fn fence(content: &str, min: usize) -> String {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(min - 1) + 1)
}

/// An inline code span: its text shown as it is (hidden characters as
/// escapes), in a fence no backtick in it can close. A `|` is escaped too,
/// as GitHub splits table cells before it reads code spans (it is shown
/// as a backslash outside a table, so use this in table cells).
pub fn code_span(s: &str) -> String {
    let text = terminal(s).replace('|', "\\|");
    let fence = fence(&text, 1);
    // A space on each side keeps a leading or trailing backtick apart from
    // the fence; Markdown takes one off each side again.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A fenced code block of `text` with the `info` string: the opening
/// fence, the lines (hidden characters shown as escapes, each ending in a
/// newline) and the closing fence. The fence is longer than any backtick
/// run in the text, so no line of it can close the block early.
pub fn code_block(info: &str, text: &str) -> (String, Vec<String>, String) {
    let lines: Vec<String> = text.lines().map(|l| terminal(l) + "\n").collect();
    let fence = lines
        .iter()
        .map(|l| fence(l, 3))
        .max()
        .unwrap_or_else(|| "```".into());
    (format!("{fence}{info}\n"), lines, format!("{fence}\n"))
}

/// The message of a GitHub workflow command (`::error …::MESSAGE`): `%`,
/// `\r`, `\n` percent-encoded as the runner decodes them, other hidden
/// characters as visible escapes (the log view shows ANSI colours).
pub fn annotation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if hidden(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A property value of a workflow command (`file=VALUE,line=…`): the
/// message rule, and `:` and `,`, which would end the value.
pub fn annotation_property(s: &str) -> String {
    annotation(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_neutralised_addresses_are_not() {
        assert_eq!(
            markdown_inline("@org/admins (@here) alice@acme.com @ x@"),
            "@&#8203;org/admins (@&#8203;here) alice@acme.com @ x@"
        );
    }

    const HOSTILE: &str = "K0\n  + api_key[evil]\x1b[2K\r\x1b]0;title\x07\u{202e}x\u{200b}\u{85}";

    #[test]
    fn terminal_shows_hidden_characters_and_keeps_the_rest() {
        assert_eq!(
            terminal(HOSTILE),
            r"K0\n  + api_key[evil]\u{1b}[2K\r\u{1b}]0;title\u{7}\u{202e}x\u{200b}\u{85}"
        );
        let plain = "Q4 West — Outbound | <b> `x` é 🔴";
        assert_eq!(terminal(plain), plain);
        // Fillers and variation selectors look like nothing: shown too, as
        // the address check refuses them (one list for both).
        assert_eq!(terminal("prod\u{3164}\u{fe0f}"), r"prod\u{3164}\u{fe0f}");
    }

    #[test]
    fn markdown_inline_is_only_text() {
        assert_eq!(
            markdown_inline("## ✅ No changes\n</details><!-- | `x` *b* [l](u) ![i](u)"),
            r"\## ✅ No changes\n&lt;/details&gt;&lt;!-- \| \`x\` \*b\* [l\](u) ![i\](u)"
        );
        assert_eq!(
            markdown_inline("a&b\\c _x_ api_keys"),
            r"a&amp;b\\c \_x\_ api_keys"
        );
        assert_eq!(markdown_inline("[all:all] x_"), r"[all:all] x\_");
        assert_eq!(markdown_inline("Acme Sales"), "Acme Sales");
    }

    #[test]
    fn fences_outrun_the_content() {
        assert_eq!(code_span("api_key[x]"), "`api_key[x]`");
        assert_eq!(code_span("a``b"), "```a``b```");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("a|b\nc"), r"`a\|b\nc`");
        let (open, lines, close) = code_block("diff", "+ x\n```` y\u{1b}\n");
        assert_eq!((open.as_str(), close.as_str()), ("`````diff\n", "`````\n"));
        assert_eq!(lines, ["+ x\n", "```` y\\u{1b}\n"]);
        let (open, _, _) = code_block("", "plain");
        assert_eq!(open, "```\n");
    }

    #[test]
    fn annotations_cannot_start_a_command() {
        assert_eq!(
            annotation("50%\r\n::error::x\x1b"),
            r"50%25%0D%0A::error::x\u{1b}"
        );
        assert_eq!(annotation_property("a,b:c.yaml"), "a%2Cb%3Ac.yaml");
    }

    #[test]
    fn a_comment_cannot_be_closed() {
        let id = "01946416-09c9-7bef-bbc9-b8c3ac2cdb2a";
        assert_eq!(html_comment(id), id);
        assert_eq!(html_comment("x -->\n<b>"), "x%20--%3E%0A%3Cb%3E");
    }
}
