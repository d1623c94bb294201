//! Turns a YAML document into a validated `Config`, collecting every error.

// `workspace_group:` (issue 13), kept apart from the rest of the file.
#[path = "config_group.rs"]
mod group;

use crate::config::{
    ApiKeySpec, At, Config, DEFAULT_MAX_DELETE_PERCENT, DEFAULT_MAX_DELETES, DEFAULT_MIN_ADMINS,
    Ignore, MemberSpec, Mode, Policy, Protect, RoleRef, TagSpec, TeamRole, WorkspaceGuard,
};
use crate::diagnostic::{Diagnostic, FileErrors};
use crate::email::Email;
use crate::role::Role;
use crate::vocab;
use crate::yaml_node::{self, Key, Loc, Node, Value};
use std::collections::{BTreeMap, HashMap};

/// Validates a desired-state document; `path` is only used in messages.
/// A file that `extends` bases is loaded by `config_extends`.
pub fn parse(path: &str, text: &str) -> Result<Config, FileErrors> {
    let fail = |errors: Vec<Diagnostic>| FileErrors {
        path: path.to_owned(),
        source: text.to_owned(),
        errors,
        others: Vec::new(),
    };
    let root = parse_node(text, 0).map_err(|e| fail(vec![e]))?;
    let doc = validate(&root, Kind::Workspace, &BTreeMap::new());
    if doc.errors.is_empty() {
        Ok(doc.config)
    } else {
        Err(fail(doc.errors))
    }
}

/// The YAML of a document as located nodes, every place marked as in
/// source file `file` (see `Loc`); a syntax error as a diagnostic.
pub fn parse_node(text: &str, file: u16) -> Result<Node, Diagnostic> {
    let mut root = yaml_node::parse(text).map_err(|e| {
        let mut d = syntax_error(&e);
        d.loc.file = file;
        d
    })?;
    root.set_file(file);
    Ok(root)
}

/// What a document may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A workspace's file: anything, `extends` included.
    Workspace,
    /// A base (`extends`): what several workspaces share, never which
    /// workspace it is.
    Base,
}

/// One document validated on its own.
pub struct Document {
    pub config: Config,
    /// The `extends` entries, as written.
    pub extends: Vec<At<String>>,
    /// The `policy` fields the document sets, where (for merging by field).
    pub policy_fields: Vec<(String, Loc)>,
    /// Every error, sorted.
    pub errors: Vec<Diagnostic>,
}

/// Validates a document; member roles may also name the team roles of
/// `inherited` (those of the bases it extends).
pub fn validate(root: &Node, kind: Kind, inherited: &BTreeMap<String, TeamRole>) -> Document {
    let mut v = Validator {
        kind,
        inherited: inherited.clone(),
        ..Validator::default()
    };
    let config = v.config(root);
    v.errors.sort();
    v.errors.dedup();
    Document {
        config,
        extends: v.extends,
        policy_fields: v.policy_fields,
        errors: v.errors,
    }
}

/// The checks of a whole workspace that only hold once its bases are
/// merged in: one owner, nothing both declared and ignored, members in the
/// allowed email domains.
pub fn check_merged(config: &Config) -> Vec<Diagnostic> {
    let mut v = Validator::default();
    v.check_ignored(config);
    v.check_ignored_sub_workspaces(config);
    v.check_domains(config);
    let owners: Vec<&MemberSpec> = config
        .members
        .iter()
        .filter(|m| m.role.value.is_owner())
        .collect();
    if let [first, rest @ ..] = owners.as_slice() {
        for m in rest {
            v.err(
                m.role.loc,
                "a workspace has one owner",
                format!(
                    "the owner `{}` is already declared (line {} of the file that declares it)",
                    first.email.value, first.role.loc.line
                ),
            );
        }
    }
    v.errors.sort();
    v.errors
}

fn syntax_error(e: &serde_saphyr::Error) -> Diagnostic {
    let loc = e.location().map_or(Loc::at(1, 1), |l| {
        Loc::at(l.line() as u32, l.column() as u32)
    });
    let (message, help) = match plain_message(e) {
        Some((message, help)) => (message.to_owned(), help.to_owned()),
        None => {
            let text = e.without_snippet().to_string();
            // The parser appends its own position; ours is shown with the snippet.
            let message = text
                .split(" at line ")
                .next()
                .unwrap_or(&text)
                .trim()
                .trim_end_matches(", set DuplicateKeyPolicy in Options if acceptable")
                .to_owned();
            let help = if message.contains("duplicate") {
                "each key may appear once in a mapping; merge the two entries"
            } else {
                "the file must be valid YAML"
            };
            (format!("invalid YAML: {message}"), help.to_owned())
        }
    };
    Diagnostic::new(loc, message).help(help)
}

/// The entry `name` of a top-level mapping, with its key's place.
fn top_entry<'a>(root: &'a Node, name: &str) -> Option<&'a (Key, Node)> {
    match &root.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.name == name),
        _ => None,
    }
}

/// A plain sentence for the parser's errors whose own text shows its
/// internals (budget counters, API names): the limits that keep a hostile
/// file from exhausting memory or the stack, and a second document.
fn plain_message(e: &serde_saphyr::Error) -> Option<(&'static str, &'static str)> {
    use serde_saphyr::Error as E;
    let mut e = e;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = e {
        e = error;
    }
    const TOO_BIG: &str = "the file is too deeply nested or too large";
    match e {
        E::Budget {
            breach: serde_saphyr::budget::BudgetBreach::Depth { .. },
            ..
        } => Some((
            TOO_BIG,
            "a desired-state file nests a few levels deep; values may nest at most 64 levels",
        )),
        E::Budget { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => Some((
            TOO_BIG,
            "anchors and aliases (`&a`, `*a`) expand to more values than a desired-state file holds; write the entries out",
        )),
        E::MultipleDocuments { .. } => Some((
            "the file holds more than one YAML document (a second `---`)",
            "one file describes one workspace; put each workspace in a file of its own",
        )),
        _ if e.to_string().contains("recursion limit exceeded") => {
            Some((TOO_BIG, "a desired-state file nests only a few levels deep"))
        }
        _ => None,
    }
}

struct Validator {
    errors: Vec<Diagnostic>,
    /// `policy.allow_non_ascii_emails`, read before any address is checked.
    allow_non_ascii: bool,
    kind: Kind,
    /// The team roles of the bases the document extends.
    inherited: BTreeMap<String, TeamRole>,
    extends: Vec<At<String>>,
    policy_fields: Vec<(String, Loc)>,
}

impl Default for Validator {
    fn default() -> Self {
        Validator {
            errors: Vec::new(),
            allow_non_ascii: false,
            kind: Kind::Workspace,
            inherited: BTreeMap::new(),
            extends: Vec::new(),
            policy_fields: Vec::new(),
        }
    }
}

/// The fields of one mapping, looked up by name once unknown ones were reported.
struct Fields<'a> {
    loc: Loc,
    map: HashMap<&'a str, &'a Node>,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a Node> {
        self.map
            .get(name)
            .copied()
            .filter(|n| n.value != Value::Null)
    }
}

impl Validator {
    fn err(&mut self, loc: Loc, message: impl Into<String>, help: impl Into<String>) {
        self.errors.push(Diagnostic::new(loc, message).help(help));
    }

    /// Reports `now` when an earlier entry (`first`) has the same identity.
    fn duplicate(
        &mut self,
        seen: &mut HashMap<String, Loc>,
        key: String,
        now: &At<String>,
        what: &str,
        why: &str,
    ) -> bool {
        if let Some(first) = seen.get(&key) {
            let line = first.line;
            self.err(
                now.loc,
                format!("{what} `{}` is declared twice", now.value),
                format!("{why}; the first entry is on line {line}"),
            );
            return true;
        }
        seen.insert(key, now.loc);
        false
    }

    /// Checks an address written in the file: its shape (`shape_help` says
    /// what belongs there), then the characters `email::problem` refuses.
    fn email(&mut self, e: &At<String>, shape_help: &str) -> bool {
        if let Some(p) = crate::email::problem(&e.value, self.allow_non_ascii) {
            self.err(e.loc, p.message, p.help);
            return false;
        }
        if !vocab::is_email(&e.value) {
            self.err(
                e.loc,
                format!("`{}` is not an email address", e.value),
                shape_help,
            );
            return false;
        }
        true
    }

    fn type_err(&mut self, node: &Node, what: &str, expected: &str) {
        self.err(
            node.loc,
            format!("{what} must be {expected}, found {}", node.value.kind()),
            format!("write {what} as {expected}"),
        );
    }

    /// Checks that `node` is a mapping with only `allowed` keys.
    fn fields<'a>(&mut self, node: &'a Node, what: &str, allowed: &[&str]) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            self.type_err(node, what, "a mapping");
            return None;
        };
        let mut map = HashMap::new();
        for (Key { name, loc }, value) in entries {
            if allowed.contains(&name.as_str()) {
                map.insert(name.as_str(), value);
            } else {
                let hint = vocab::closest(name, allowed)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                self.err(
                    *loc,
                    format!("unknown field `{name}` in {what}"),
                    format!("{hint}expected one of: {}", allowed.join(", ")),
                );
            }
        }
        Some(Fields { loc: node.loc, map })
    }

    fn required<'a>(&mut self, f: &Fields<'a>, name: &str, what: &str) -> Option<&'a Node> {
        let node = f.get(name);
        if node.is_none() {
            self.err(
                f.loc,
                format!("missing field `{name}` in {what}"),
                format!("add `{name}:` to this entry"),
            );
        }
        node
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<At<String>> {
        match &node.value {
            Value::Str(s) if s.trim().is_empty() => {
                self.err(
                    node.loc,
                    format!("{what} is empty"),
                    format!("give {what} a value"),
                );
                None
            }
            Value::Str(s) => Some(At::new(s.clone(), node.loc)),
            _ => {
                self.type_err(node, what, "a string");
                None
            }
        }
    }

    fn list<'a>(&mut self, node: Option<&'a Node>, what: &str) -> &'a [Node] {
        match node.map(|n| (n, &n.value)) {
            None => &[],
            Some((_, Value::Seq(items))) => items,
            Some((n, _)) => {
                self.type_err(n, what, "a list");
                &[]
            }
        }
    }

    fn strings(&mut self, node: Option<&Node>, what: &str) -> Vec<At<String>> {
        let mut out: Vec<At<String>> = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for item in self.list(node, what) {
            if let Some(s) = self.string(item, &format!("an entry of {what}")) {
                if let Some(first) = seen.get(&s.value) {
                    let line = first.line;
                    self.err(
                        s.loc,
                        format!("`{}` is listed twice in {what}", s.value),
                        format!("it is already listed on line {line}; remove one"),
                    );
                } else {
                    seen.insert(s.value.clone(), s.loc);
                    out.push(s);
                }
            }
        }
        out
    }

    fn config(&mut self, root: &Node) -> Config {
        const TOP: &[&str] = &[
            "version",
            "extends",
            "workspace",
            "roles",
            "members",
            "api_keys",
            "tags",
            "policy",
            "workspace_group",
        ];
        let Some(f) = self.fields(root, "the file", TOP) else {
            return Config::default();
        };
        let version = match f.get("version") {
            Some(Node {
                value: Value::Int(1),
                ..
            }) => 1,
            Some(n) => {
                self.err(
                    n.loc,
                    "unsupported `version`",
                    "this version of instantly-rbac reads `version: 1`",
                );
                1
            }
            None => {
                self.err(
                    Loc {
                        line: 1,
                        col: 1,
                        ..root.loc
                    },
                    "missing field `version` in the file",
                    "add `version: 1` at the top of the file",
                );
                1
            }
        };
        self.extends = self.strings(f.get("extends"), "`extends`");
        if self.kind == Kind::Base {
            // Which workspace a file is for is each workspace's own: a base
            // naming one would be planned against every workspace extending it.
            for name in ["workspace", "workspace_group"] {
                if let Some((key, _)) = top_entry(root, name) {
                    self.err(
                        key.loc,
                        format!("a base file may not declare `{name}`"),
                        "a base holds what several workspaces share (roles, members, api_keys, tags, policy); declare `workspace` in each workspace's own file",
                    );
                }
            }
        }
        let workspace = f.get("workspace").and_then(|n| self.workspace(n));
        let roles = f.get("roles").map(|n| self.roles(n)).unwrap_or_default();
        let policy = f.get("policy").map(|n| self.policy(n)).unwrap_or_default();
        let members = self.members(f.get("members"), &roles);
        let api_keys = self.api_keys(f.get("api_keys"));
        let tags = self.tags(f.get("tags"));
        let workspace_group = f
            .get("workspace_group")
            .map(|n| self.workspace_group(n, workspace.as_ref()));
        let config = Config {
            version,
            extends: self.extends.iter().map(|e| e.value.clone()).collect(),
            workspace,
            roles,
            members,
            api_keys,
            tags,
            policy,
            workspace_group,
        };
        self.check_ignored(&config);
        self.check_domains(&config);
        self.check_ignored_sub_workspaces(&config);
        config
    }

    fn workspace(&mut self, node: &Node) -> Option<WorkspaceGuard> {
        let f = self.fields(node, "`workspace`", &["id"])?;
        let id = self.required(&f, "id", "`workspace`")?;
        let mut id = self.string(id, "`workspace.id`")?;
        if !group::is_uuid(&id.value) {
            self.err(
                id.loc,
                format!("`{}` is not a workspace id", id.value),
                "a workspace id is a UUID as the API prints it, e.g. 01946416-09c9-7bef-bbc9-c1e000000001 (no braces, no spaces)",
            );
            return None;
        }
        // Ids are the API's uuids: compared and shown in lower case.
        id.value = id.value.to_ascii_lowercase();
        Some(WorkspaceGuard { id })
    }

    fn roles(&mut self, node: &Node) -> BTreeMap<String, TeamRole> {
        let mut out = BTreeMap::new();
        let Value::Map(entries) = &node.value else {
            self.type_err(node, "`roles`", "a mapping of team role names");
            return out;
        };
        for (key, value) in entries {
            if Role::known(&key.name).is_some() {
                self.err(
                    key.loc,
                    format!("team role `{}` has the name of a built-in role", key.name),
                    "choose another name, e.g. `sdr` or `manager`",
                );
                continue;
            }
            let what = format!("team role `{}`", key.name);
            let Some(f) = self.fields(value, &what, &["role", "permissions"]) else {
                continue;
            };
            let role = self
                .required(&f, "role", &what)
                .and_then(|n| self.string(n, "`role`"));
            let role = role.map(|r| match Role::known(&r.value) {
                Some(role) if role.is_settable() => role,
                _ => {
                    let settable: Vec<&str> = Role::SETTABLE.iter().map(Role::as_str).collect();
                    let hint = vocab::closest(&r.value, &settable)
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    self.err(
                        r.loc,
                        format!("invalid base role `{}` for {what}", r.value),
                        format!("{hint}expected one of {}", settable.join(", ")),
                    );
                    // Still defined, so members naming it are not reported
                    // too: the file is invalid either way.
                    Role::View
                }
            });
            let (permissions, unknown_permissions) = self.permissions(f.get("permissions"));
            if let Some(role) = role {
                out.insert(
                    key.name.clone(),
                    TeamRole {
                        role,
                        permissions,
                        unknown_permissions,
                        loc: key.loc,
                    },
                );
            }
        }
        out
    }

    /// The permissions, and those of them this tool does not know. The
    /// list of permissions grows over time: an unknown one is kept (lint
    /// W007 warns, naming the closest known one), and the API decides at
    /// apply; a typo is refused there with 400.
    fn permissions(&mut self, node: Option<&Node>) -> (Vec<String>, Vec<At<String>>) {
        let mut out = Vec::new();
        let mut unknown = Vec::new();
        for p in self.strings(node, "`permissions`") {
            if !vocab::PERMISSIONS.contains(&p.value.as_str()) {
                unknown.push(p.clone());
            }
            out.push(p.value);
        }
        (out, unknown)
    }

    fn members(
        &mut self,
        node: Option<&Node>,
        roles: &BTreeMap<String, TeamRole>,
    ) -> Vec<MemberSpec> {
        let mut out: Vec<MemberSpec> = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        let mut owner_line = None;
        for item in self.list(node, "`members`") {
            let Some(f) = self.fields(item, "a member", &["email", "role", "nickname", "allow"])
            else {
                continue;
            };
            let email = self
                .required(&f, "email", "a member")
                .and_then(|n| self.string(n, "`email`"));
            let role = self
                .required(&f, "role", "a member")
                .and_then(|n| self.string(n, "`role`"));
            let nickname = f
                .get("nickname")
                .and_then(|n| self.string(n, "`nickname`"))
                .map(|n| n.value);
            let allow = self.allowed_lints(f.get("allow"), "`allow`");
            let (Some(email), Some(role)) = (email, role) else {
                continue;
            };
            self.email(
                &email,
                "write the member's full address, e.g. alice@acme.com",
            );
            if self.duplicate(
                &mut seen,
                Email::fold(&email.value),
                &email,
                "member",
                "emails compare case-insensitively",
            ) {
                continue;
            }
            let declared = RoleRef::builtin(&role.value).or_else(|| {
                (roles.contains_key(&role.value) || self.inherited.contains_key(&role.value))
                    .then(|| RoleRef::Team(role.value.clone()))
            });
            // An unknown name is reported here; the entry is still kept
            // (as a team role of that name) so that later checks report
            // their errors too, and the file fails as a whole.
            let declared = declared.unwrap_or_else(|| {
                let names: Vec<&str> = roles
                    .keys()
                    .chain(self.inherited.keys())
                    .map(String::as_str)
                    .collect();
                let candidates: Vec<&str> = RoleRef::DECLARABLE
                    .iter()
                    .map(Role::as_str)
                    .chain(names.iter().copied())
                    .collect();
                let hint = vocab::closest(&role.value, &candidates)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                let expected = if names.is_empty() {
                    "expected one of owner, admin, editor, view (no team roles are defined under `roles`)".to_owned()
                } else {
                    format!("expected one of owner, admin, editor, view, or a team role: {}", names.join(", "))
                };
                self.err(
                    role.loc,
                    format!("unknown role `{}`", role.value),
                    format!("{hint}{expected}"),
                );
                RoleRef::Team(role.value.clone())
            });
            if declared.is_owner() {
                if let Some(line) = owner_line {
                    self.err(
                        role.loc,
                        "a workspace has one owner",
                        format!("the owner is already declared on line {line}"),
                    );
                }
                owner_line = Some(role.loc.line);
            }
            out.push(MemberSpec {
                email: At::new(Email::new(email.value), email.loc),
                role: At::new(declared, role.loc),
                nickname,
                allow,
            });
        }
        out
    }

    fn api_keys(&mut self, node: Option<&Node>) -> Vec<ApiKeySpec> {
        let mut out: Vec<ApiKeySpec> = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for item in self.list(node, "`api_keys`") {
            let Some(f) = self.fields(
                item,
                "an API key",
                &["name", "scopes", "rotate_after_days", "allow"],
            ) else {
                continue;
            };
            let name = self
                .required(&f, "name", "an API key")
                .and_then(|n| self.string(n, "`name`"));
            let scopes_node = self.required(&f, "scopes", "an API key");
            let scopes = self.strings(scopes_node, "`scopes`");
            if let Some(n) =
                scopes_node.filter(|n| scopes.is_empty() && matches!(n.value, Value::Seq(_)))
            {
                self.err(
                    n.loc,
                    "an API key needs at least one scope",
                    "e.g. `scopes: [campaigns:read]`",
                );
            }
            let mut valid = Vec::new();
            for s in scopes {
                match vocab::scope_problem(&s.value) {
                    None => valid.push(s.value),
                    Some(why) => self.err(s.loc, format!("invalid scope `{}`", s.value), why),
                }
            }
            let Some(name) = name else { continue };
            if self.duplicate(
                &mut seen,
                name.value.clone(),
                &name,
                "API key",
                "key names identify keys",
            ) {
                continue;
            }
            let rotate_after_days = f
                .get("rotate_after_days")
                .map(|n| self.number(Some(n), "`rotate_after_days`", 1..=36_500, 1));
            let allow = self.allowed_lints(f.get("allow"), "`allow`");
            out.push(ApiKeySpec {
                name,
                scopes: valid,
                rotate_after_days,
                allow,
            });
        }
        out
    }

    fn tags(&mut self, node: Option<&Node>) -> Vec<TagSpec> {
        let mut out: Vec<TagSpec> = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for item in self.list(node, "`tags`") {
            let allowed = ["label", "description", "campaigns", "accounts", "allow"];
            let Some(f) = self.fields(item, "a tag", &allowed) else {
                continue;
            };
            let label = self
                .required(&f, "label", "a tag")
                .and_then(|n| self.string(n, "`label`"));
            let description = match f.get("description") {
                None => None,
                Some(Node {
                    value: Value::Str(s),
                    ..
                }) => Some(s.clone()),
                Some(n) => {
                    self.type_err(n, "`description`", "a string");
                    None
                }
            };
            let campaigns = self.strings(f.get("campaigns"), "`campaigns`");
            let accounts = self.strings(f.get("accounts"), "`accounts`");
            let allow = self.allowed_lints(f.get("allow"), "`allow`");
            for a in &accounts {
                self.email(a, "sending accounts are named by their email address");
            }
            let Some(label) = label else { continue };
            if self.duplicate(
                &mut seen,
                label.value.clone(),
                &label,
                "tag",
                "labels identify tags",
            ) {
                continue;
            }
            out.push(TagSpec {
                label,
                description,
                campaigns,
                accounts: accounts
                    .into_iter()
                    .map(|a| At::new(Email::new(a.value), a.loc))
                    .collect(),
                allow,
            });
        }
        out
    }

    /// A whole number in `range`, or the default when absent.
    fn number(
        &mut self,
        node: Option<&Node>,
        what: &str,
        range: std::ops::RangeInclusive<u32>,
        default: u32,
    ) -> u32 {
        match node.map(|n| (n, &n.value)) {
            None => default,
            Some((_, Value::Int(i))) if u32::try_from(*i).is_ok_and(|v| range.contains(&v)) => {
                *i as u32
            }
            Some((n, _)) => {
                self.err(
                    n.loc,
                    format!("invalid {what}"),
                    format!(
                        "expected a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    fn protect(&mut self, node: &Node) -> Protect {
        let Some(f) = self.fields(node, "`policy.protect`", &["members", "api_keys"]) else {
            return Protect::default();
        };
        let members: Vec<Email> = self
            .strings(f.get("members"), "`policy.protect.members`")
            .into_iter()
            .filter(|e| self.email(e, "protect members by their email address"))
            .map(|e| Email::new(e.value))
            .collect();
        let api_keys = self
            .strings(f.get("api_keys"), "`policy.protect.api_keys`")
            .into_iter()
            .map(|k| k.value)
            .collect();
        Protect { members, api_keys }
    }

    fn policy(&mut self, node: &Node) -> Policy {
        let allowed = [
            "members",
            "api_keys",
            "tags",
            "workspace_group",
            "ignore",
            "protect",
            "max_delete_percent",
            "max_deletes",
            "min_admins",
            "max_admins",
            "allow_non_ascii_emails",
            "allowed_email_domains",
            "allow_lints",
        ];
        let Some(f) = self.fields(node, "`policy`", &allowed) else {
            return Policy::default();
        };
        self.policy_fields = f
            .map
            .iter()
            .filter(|(_, n)| n.value != Value::Null)
            .map(|(name, n)| (name.to_string(), n.loc))
            .collect();
        self.policy_fields.sort_by_key(|(_, loc)| *loc);
        // Before `protect` and `ignore`, whose addresses it governs.
        let allow_non_ascii_emails = match f.get("allow_non_ascii_emails") {
            None => false,
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => *b,
            Some(n) => {
                self.type_err(n, "`policy.allow_non_ascii_emails`", "true or false");
                false
            }
        };
        self.allow_non_ascii = allow_non_ascii_emails;
        let mut mode = |name: &str| match f.get(name) {
            None => Mode::Authoritative,
            Some(Node {
                value: Value::Str(s),
                ..
            }) if s == "authoritative" => Mode::Authoritative,
            Some(Node {
                value: Value::Str(s),
                ..
            }) if s == "additive" => Mode::Additive,
            Some(n) => {
                self.err(
                    n.loc,
                    format!("invalid `policy.{name}`"),
                    "expected `authoritative` (delete what is not declared) or `additive` (never delete)",
                );
                Mode::Authoritative
            }
        };
        let (members, api_keys, tags) = (mode("members"), mode("api_keys"), mode("tags"));
        let workspace_group = mode("workspace_group");
        let ignore = f.get("ignore").map(|n| self.ignore(n)).unwrap_or_default();
        let protect = f
            .get("protect")
            .map(|n| self.protect(n))
            .unwrap_or_default();
        let max_delete_percent = self.number(
            f.get("max_delete_percent"),
            "`policy.max_delete_percent`",
            0..=100,
            DEFAULT_MAX_DELETE_PERCENT,
        );
        let max_deletes = self.number(
            f.get("max_deletes"),
            "`policy.max_deletes`",
            0..=1_000_000,
            DEFAULT_MAX_DELETES,
        );
        let min_admins = self.number(
            f.get("min_admins"),
            "`policy.min_admins`",
            0..=1000,
            DEFAULT_MIN_ADMINS,
        );
        let max_admins = f
            .get("max_admins")
            .map(|n| self.number(Some(n), "`policy.max_admins`", 1..=100_000, 1));
        let allowed_email_domains =
            self.domains(f.get("allowed_email_domains"), allow_non_ascii_emails);
        let allow_lints = self.allowed_lints(f.get("allow_lints"), "`policy.allow_lints`");
        Policy {
            members,
            api_keys,
            tags,
            workspace_group,
            ignore,
            protect,
            max_delete_percent,
            max_deletes,
            min_admins,
            max_admins,
            allow_non_ascii_emails,
            allowed_email_domains,
            allow_lints,
        }
    }

    /// `policy.allowed_email_domains`: exact domains, kept in lower case.
    fn domains(&mut self, node: Option<&Node>, allow_non_ascii: bool) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.strings(node, "`policy.allowed_email_domains`") {
            let domain = d.value.to_lowercase();
            if let Some((message, help)) =
                crate::email_domains::domain_problem(&d.value, allow_non_ascii)
            {
                self.err(d.loc, message, help);
            } else if out.contains(&domain) {
                self.err(
                    d.loc,
                    format!(
                        "`{}` is listed twice in `policy.allowed_email_domains`",
                        d.value
                    ),
                    "domains compare case-insensitively; remove one",
                );
            } else {
                out.push(domain);
            }
        }
        out
    }

    /// Every declared member's address is in `policy.allowed_email_domains`
    /// (when the list is given).
    fn check_domains(&mut self, c: &Config) {
        let allowed = &c.policy.allowed_email_domains;
        if allowed.is_empty() {
            return;
        }
        for m in &c.members {
            if !crate::email_domains::allowed(&m.email.value, allowed) {
                self.err(
                    m.email.loc,
                    format!(
                        "`{}` is outside the allowed email domains ({})",
                        m.email.value,
                        allowed.join(", ")
                    ),
                    "policy.allowed_email_domains lists the domains members may have (exact domains: a subdomain is allowed only when listed); correct the address or add its domain",
                );
            }
        }
    }

    /// A list of lint codes (`allow:`, `policy.allow_lints`); an unknown
    /// code is an error where it is written.
    fn allowed_lints(&mut self, node: Option<&Node>, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for code in self.strings(node, what) {
            match crate::lints::code_problem(&code.value) {
                None => out.push(code.value),
                Some(help) => self.err(
                    code.loc,
                    format!("unknown lint `{}` in {what}", code.value),
                    help,
                ),
            }
        }
        out
    }

    fn ignore(&mut self, node: &Node) -> Ignore {
        let Some(f) = self.fields(
            node,
            "`policy.ignore`",
            &["members", "api_keys", "tags", "sub_workspaces"],
        ) else {
            return Ignore::default();
        };
        let mut globs = |name: &str| {
            let mut out = Vec::new();
            for g in self.strings(f.get(name), &format!("`policy.ignore.{name}`")) {
                // A plain address (no glob syntax) may not hide characters
                // an address must not have either.
                let plain = g.value.contains('@') && !g.value.contains(['*', '?', '[', '{']);
                if name == "members"
                    && plain
                    && let Some(p) = crate::email::problem(&g.value, self.allow_non_ascii)
                {
                    self.err(g.loc, p.message, p.help);
                    continue;
                }
                match globset::Glob::new(&g.value) {
                    Ok(_) => out.push(g.value),
                    Err(e) => self.err(
                        g.loc,
                        format!("invalid glob `{}`", g.value),
                        e.kind().to_string(),
                    ),
                }
            }
            out
        };
        Ignore {
            members: globs("members"),
            api_keys: globs("api_keys"),
            tags: globs("tags"),
            sub_workspaces: globs("sub_workspaces"),
        }
    }

    /// A declared object that an ignore pattern also matches is contradictory.
    fn check_ignored(&mut self, c: &Config) {
        let ig = crate::ignore::IgnoreSet::new(&c.policy.ignore);
        let clashes: Vec<(Loc, String, &str)> = c
            .members
            .iter()
            .filter(|m| ig.member(&m.email.value))
            .map(|m| (m.email.loc, m.email.value.to_string(), "members"))
            .chain(
                c.api_keys
                    .iter()
                    .filter(|k| ig.api_key(&k.name.value))
                    .map(|k| (k.name.loc, k.name.value.clone(), "api_keys")),
            )
            .chain(
                c.tags
                    .iter()
                    .filter(|t| ig.tag(&t.label.value))
                    .map(|t| (t.label.loc, t.label.value.clone(), "tags")),
            )
            .collect();
        for (loc, name, kind) in clashes {
            self.err(
                loc,
                format!("`{name}` is declared but also matches `policy.ignore.{kind}`"),
                "an ignored object is never planned; remove the entry or narrow the pattern",
            );
        }
    }
}
