//! Shared definitions: a workspace file's `extends: [path, …]` names base
//! files (relative to it) whose roles, members, API keys, tags and policy
//! fields it takes in. Objects merge by identity (team role name, folded
//! email, key name, tag label, policy field); the same identity defined
//! differently in two files is an error naming both places, since letting
//! one win would silently change a workspace nobody looked at. A base read
//! in a run is read once (`Loader`), and its own errors are reported once,
//! at its own lines.

use crate::config::{Config, Policy, TeamRole};
use crate::config_loader::{self, Document, Kind};
use crate::diagnostic::{Diagnostic, FileErrors, Source};
use crate::yaml_node::{Loc, Node, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A base a workspace file extends, as read for this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    pub path: PathBuf,
    pub shown: String,
    pub bytes: Vec<u8>,
}

/// A workspace file's configuration with its bases merged in.
pub struct Loaded {
    pub config: Config,
    /// Every base, directly or through another base, in the order their
    /// places are numbered (`Loc::file` N is `bases[N - 1]`).
    pub bases: Vec<Base>,
}

/// Reads bases once per run and remembers which were used and whose errors
/// were already shown.
#[derive(Default)]
pub struct Loader {
    read: HashMap<PathBuf, Result<Vec<u8>, String>>,
    /// Bases whose own errors were shown (with the first workspace that
    /// extends them, or on their own by `validate`).
    reported: BTreeSet<PathBuf>,
    /// Bases some loaded workspace extends (canonical paths).
    pub used: BTreeSet<PathBuf>,
}

/// The most files one workspace may be made of: far beyond any real
/// layering, and a bound on what a hostile tree of bases can make us read.
const MAX_FILES: usize = 256;

/// One file of a workspace being loaded: the workspace itself (0) or a base.
struct Slot {
    canon: Option<PathBuf>,
    path: PathBuf,
    shown: String,
    text: String,
    bytes: Vec<u8>,
    root: Result<Node, Diagnostic>,
    /// Where the first file extending this one names it.
    via: Loc,
    /// The bases this file extends directly (slot numbers).
    bases: Vec<usize>,
}

impl Slot {
    fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    }
}

impl Loader {
    /// Marks a base's own errors as shown (`validate` shows each base on
    /// its own), so that workspaces extending it only refer to them.
    pub fn reported(&mut self, base: &Path) {
        if let Ok(canon) = base.canonicalize() {
            self.reported.insert(canon);
        }
    }

    /// Whether some loaded workspace extends `base`.
    pub fn is_used(&self, base: &Path) -> bool {
        base.canonicalize().is_ok_and(|c| self.used.contains(&c))
    }

    fn bytes(&mut self, canon: &Path) -> Result<Vec<u8>, String> {
        self.read
            .entry(canon.to_owned())
            .or_insert_with(|| {
                crate::pipeline::read_bounded(
                    canon,
                    crate::pipeline::MAX_FILE_BYTES,
                    "a desired-state file",
                )
                .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Validates a workspace file (`text`, read from `path`) and everything
    /// it extends, and merges them.
    pub fn load(&mut self, path: &Path, text: &str) -> Result<Loaded, FileErrors> {
        self.load_as(path, text, Kind::Workspace)
    }

    /// `load` for a file of either kind (`validate` checks bases alone).
    pub fn load_as(&mut self, path: &Path, text: &str, kind: Kind) -> Result<Loaded, FileErrors> {
        let top_kind = kind;
        let mut slots = vec![Slot {
            canon: path.canonicalize().ok(),
            path: path.to_owned(),
            shown: path.display().to_string(),
            text: text.to_owned(),
            bytes: Vec::new(),
            root: config_loader::parse_node(text, 0),
            via: Loc::default(),
            bases: Vec::new(),
        }];
        let mut errors = Vec::new();
        if slots[0].root.is_ok() {
            let root = bases_root(path);
            self.walk(&mut slots, 0, &mut vec![0], &root, &mut errors);
        }
        let fail = |slots: &[Slot], mut errors: Vec<Diagnostic>| {
            errors.sort();
            errors.dedup();
            FileErrors {
                path: slots[0].shown.clone(),
                source: slots[0].text.clone(),
                errors,
                others: slots[1..]
                    .iter()
                    .map(|s| Source {
                        path: s.shown.clone(),
                        text: s.text.clone(),
                    })
                    .collect(),
            }
        };
        // The team roles each file defines, then those it may name: its
        // own and its bases' (a member in a base may use a role the base
        // takes from its own base, never one a workspace defines).
        let own: Vec<BTreeMap<String, TeamRole>> = slots
            .iter()
            .map(|s| match &s.root {
                Ok(root) => {
                    config_loader::validate(root, Kind::Base, &BTreeMap::new())
                        .config
                        .roles
                }
                Err(_) => BTreeMap::new(),
            })
            .collect();
        let mut docs: Vec<Option<Document>> = Vec::new();
        // Whether the files can be merged to find conflicts too: the bases
        // are valid (the workspace's own errors do not hide conflicts).
        let mut sound = errors.is_empty();
        for (i, slot) in slots.iter().enumerate() {
            let mut inherited = BTreeMap::new();
            for j in reachable(&slots, i) {
                for (name, role) in &own[j] {
                    inherited
                        .entry(name.clone())
                        .or_insert_with(|| role.clone());
                }
            }
            let kind = if i == 0 { top_kind } else { Kind::Base };
            let (doc, own_errors) = match &slot.root {
                Ok(root) => {
                    let doc = config_loader::validate(root, kind, &inherited);
                    let e = doc.errors.clone();
                    (Some(doc), e)
                }
                Err(d) => (None, vec![d.clone()]),
            };
            docs.push(doc);
            if own_errors.is_empty() {
                continue;
            }
            sound &= i == 0 && slot.root.is_ok();
            let canon = slot.canon.clone().unwrap_or_else(|| slot.path.clone());
            if i == 0 || self.reported.insert(canon) {
                errors.extend(own_errors);
            } else {
                errors.push(
                    Diagnostic::new(slot.via, format!("the base `{}` has errors", slot.shown))
                        .help("they are reported once, with the base's own lines: fix them there"),
                );
            }
        }
        for s in &slots[1..] {
            if let Some(c) = &s.canon {
                self.used.insert(c.clone());
            }
        }
        if !sound {
            return Err(fail(&slots, errors));
        }
        let docs: Vec<Document> = docs.into_iter().flatten().collect();
        if docs.len() == 1 && errors.is_empty() {
            let doc = docs.into_iter().next().expect("one document");
            return Ok(Loaded {
                config: doc.config,
                bases: Vec::new(),
            });
        }
        let places: Vec<String> = slots.iter().map(|s| s.shown.clone()).collect();
        let (config, merged_errors) = merge(&docs, &places);
        if docs.len() > 1 {
            errors.extend(merged_errors);
            errors.extend(config_loader::check_merged(&config));
        }
        if !errors.is_empty() {
            return Err(fail(&slots, errors));
        }
        Ok(Loaded {
            config,
            bases: slots[1..]
                .iter()
                .map(|s| Base {
                    path: s.path.clone(),
                    shown: s.shown.clone(),
                    bytes: s.bytes.clone(),
                })
                .collect(),
        })
    }

    /// Reads the bases slot `i` extends, depth first; `stack` holds the
    /// slots being walked, for cycles.
    fn walk(
        &mut self,
        slots: &mut Vec<Slot>,
        i: usize,
        stack: &mut Vec<usize>,
        root: &Path,
        errors: &mut Vec<Diagnostic>,
    ) {
        let entries = match &slots[i].root {
            Ok(root) => extends_entries(root),
            Err(_) => return,
        };
        for (name, loc) in entries {
            let path = slots[i].dir().join(&name);
            let canon = match confined(&name, &path, root) {
                Ok(c) => c,
                Err(why) => {
                    errors.push(
                        Diagnostic::new(loc, format!("the base `{name}` is refused: {why}"))
                            .help("a base is a `.yaml` or `.yml` file named by a path relative to the file that extends it, inside the nearest folder above the workspace file that holds `.git` (else the workspace file's own folder)"),
                    );
                    continue;
                }
            };
            if let Some(pos) = stack
                .iter()
                .position(|&s| slots[s].canon.as_ref() == Some(&canon))
            {
                let mut chain: Vec<&str> = stack[pos..]
                    .iter()
                    .map(|&s| slots[s].shown.as_str())
                    .collect();
                chain.push(slots[stack[pos]].shown.as_str());
                errors.push(
                    Diagnostic::new(loc, format!("`{name}` extends itself: {}", chain.join(" → ")))
                        .help("a base cannot extend, directly or through others, the file that extends it; remove one of these entries"),
                );
                continue;
            }
            if let Some(j) = slots.iter().position(|s| s.canon.as_ref() == Some(&canon)) {
                slots[i].bases.push(j);
                continue;
            }
            if slots.len() >= MAX_FILES {
                errors.push(Diagnostic::new(
                    loc,
                    format!("a workspace may be made of at most {MAX_FILES} files"),
                ));
                return;
            }
            let bytes = match self.bytes(&canon) {
                Ok(b) => b,
                Err(e) => {
                    errors.push(Diagnostic::new(
                        loc,
                        format!("cannot read the base `{name}`: {e}"),
                    ));
                    continue;
                }
            };
            let j = slots.len();
            let shown = path.display().to_string();
            // A file that is not text is described, never quoted: it may be
            // anything the root holds, and its bytes are nobody's business.
            let (text, node) = match not_text(&bytes) {
                None => {
                    let t = std::str::from_utf8(&bytes).expect("checked by not_text");
                    (t.to_owned(), config_loader::parse_node(t, j as u16))
                }
                Some(why) => {
                    let mut d =
                        Diagnostic::new(Loc::default(), format!("the file is not text: {why}"))
                            .help("a base is a YAML file saved as UTF-8");
                    d.loc.file = j as u16;
                    (String::new(), Err(d))
                }
            };
            slots.push(Slot {
                canon: Some(canon),
                path,
                shown,
                text,
                bytes,
                root: node,
                via: loc,
                bases: Vec::new(),
            });
            slots[i].bases.push(j);
            stack.push(j);
            self.walk(slots, j, stack, root, errors);
            stack.pop();
        }
    }
}

/// The folder every base must be inside: the nearest folder above the
/// top-level file that holds `.git` (a repository's bases may be shared
/// across its folders), else the file's own folder. Anything further is
/// refused, since a pull request could otherwise point `extends` at
/// `/proc/self/environ` and have its content shown in an error.
pub fn bases_root(top: &Path) -> PathBuf {
    let dir = top
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map_or_else(|| dir.clone(), Path::to_owned)
}

/// The canonical path of the base `name` (at `path`), when it may be read:
/// a relative `.yaml`/`.yml` path to a regular file inside `root`, symbolic
/// links resolved. The reason otherwise, which quotes nothing of the target.
fn confined(name: &str, path: &Path, root: &Path) -> Result<PathBuf, String> {
    let written = Path::new(name);
    if written.is_absolute() || written.has_root() {
        return Err("it is an absolute path".into());
    }
    if !has_yaml_extension(written) {
        return Err("its name does not end in `.yaml` or `.yml`".into());
    }
    let canon = path
        .canonicalize()
        .map_err(|e| format!("it cannot be read ({})", io_reason(&e)))?;
    if !canon.starts_with(root) {
        return Err("it is outside the folder bases must be in".into());
    }
    if !has_yaml_extension(&canon) {
        return Err("it is a link to a file whose name does not end in `.yaml` or `.yml`".into());
    }
    match std::fs::metadata(&canon) {
        Ok(m) if m.is_file() => Ok(canon),
        Ok(_) => Err("it is not a regular file".into()),
        Err(e) => Err(format!("it cannot be read ({})", io_reason(&e))),
    }
}

/// Whether a file name ends in `.yaml` or `.yml`, in any case.
pub fn has_yaml_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"))
}

/// An I/O error's kind in words, without the OS's full message (which may
/// name the target).
fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "an I/O error",
    }
}

/// Why bytes are not text (a NUL byte, invalid UTF-8), if they are not.
pub fn not_text(bytes: &[u8]) -> Option<String> {
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Some(format!("it holds a NUL byte (byte {})", i + 1));
    }
    std::str::from_utf8(bytes)
        .err()
        .map(|e| format!("it is not valid UTF-8 (byte {})", e.valid_up_to() + 1))
}

/// The `extends` entries written as strings (anything else is reported by
/// the validator).
fn extends_entries(root: &Node) -> Vec<(String, Loc)> {
    let Value::Map(entries) = &root.value else {
        return Vec::new();
    };
    let Some((_, list)) = entries.iter().find(|(k, _)| k.name == "extends") else {
        return Vec::new();
    };
    let Value::Seq(items) = &list.value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|n| match &n.value {
            Value::Str(s) if !s.trim().is_empty() => Some((s.clone(), n.loc)),
            _ => None,
        })
        .collect()
}

/// The slots `i` extends, directly or not.
fn reachable(slots: &[Slot], i: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut todo = slots[i].bases.clone();
    while let Some(j) = todo.pop() {
        if seen.insert(j) {
            todo.extend(slots[j].bases.iter().copied());
        }
    }
    seen
}

/// Merges the documents (the workspace's first) by identity. `places` are
/// the files' paths as shown, by `Loc::file`.
fn merge(docs: &[Document], places: &[String]) -> (Config, Vec<Diagnostic>) {
    let place = |loc: Loc| {
        format!(
            "{}:{}:{}",
            places.get(loc.file as usize).map_or("?", String::as_str),
            loc.line,
            loc.col
        )
    };
    let mut errors = Vec::new();
    let conflict = |what: String, first: Loc, second: Loc| {
        Diagnostic::new(
                first,
                format!(
                    "{what} is defined differently in {} and {}",
                    place(first),
                    place(second)
                ),
            )
            .help("a definition may appear in several files only when identical: nothing is overridden; keep one, or make them equal")
    };
    // The workspace's own file, with what merges by identity emptied: what
    // only a workspace file holds (`workspace`, and any such field added
    // later) is kept as it is.
    let mut config = Config {
        roles: Default::default(),
        members: Vec::new(),
        api_keys: Vec::new(),
        tags: Vec::new(),
        policy: Policy::default(),
        ..docs[0].config.clone()
    };
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let mut policy_set: BTreeMap<String, (usize, Loc)> = BTreeMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let c = &doc.config;
        for (name, role) in &c.roles {
            match config.roles.get(name) {
                None => {
                    config.roles.insert(name.clone(), role.clone());
                }
                Some(have)
                    if have.role == role.role
                        && sorted(&have.permissions) == sorted(&role.permissions) => {}
                Some(have) => {
                    errors.push(conflict(format!("team role `{name}`"), have.loc, role.loc))
                }
            }
        }
        for m in &c.members {
            match config
                .members
                .iter()
                .find(|h| h.email.value == m.email.value)
            {
                None => config.members.push(m.clone()),
                Some(h) if h.role.value == m.role.value && h.nickname == m.nickname => {}
                Some(h) => errors.push(conflict(
                    format!("member `{}`", m.email.value),
                    h.email.loc,
                    m.email.loc,
                )),
            }
        }
        for k in &c.api_keys {
            match config
                .api_keys
                .iter()
                .find(|h| h.name.value == k.name.value)
            {
                None => config.api_keys.push(k.clone()),
                Some(h)
                    if sorted(&h.scopes) == sorted(&k.scopes)
                        && h.rotate_after_days == k.rotate_after_days => {}
                Some(h) => errors.push(conflict(
                    format!("API key `{}`", k.name.value),
                    h.name.loc,
                    k.name.loc,
                )),
            }
        }
        for t in &c.tags {
            let values = |t: &crate::config::TagSpec| {
                let campaigns: Vec<String> = t.campaigns.iter().map(|c| c.value.clone()).collect();
                let accounts: Vec<String> = t
                    .accounts
                    .iter()
                    .map(|a| a.value.key().to_owned())
                    .collect();
                (t.description.clone(), sorted(&campaigns), sorted(&accounts))
            };
            match config.tags.iter().find(|h| h.label.value == t.label.value) {
                None => config.tags.push(t.clone()),
                Some(h) if values(h) == values(t) => {}
                Some(h) => errors.push(conflict(
                    format!("tag `{}`", t.label.value),
                    h.label.loc,
                    t.label.loc,
                )),
            }
        }
        for (field, loc) in &doc.policy_fields {
            match policy_set.get(field) {
                None => {
                    policy_set.insert(field.clone(), (i, *loc));
                    if let Err(e) = copy_policy_field(&mut config.policy, &c.policy, field) {
                        errors.push(Diagnostic::new(*loc, e));
                    }
                }
                Some((j, first)) => {
                    let value = |p: &Policy| serde_json::to_value(p).ok().map(|v| v[field].clone());
                    if value(&docs[*j].config.policy) != value(&c.policy) {
                        errors.push(conflict(format!("`policy.{field}`"), *first, *loc));
                    }
                }
            }
        }
    }
    (config, errors)
}

/// Sets one field of `to` from `from`.
fn copy_policy_field(to: &mut Policy, from: &Policy, field: &str) -> Result<(), String> {
    match field {
        "members" => to.members = from.members,
        "api_keys" => to.api_keys = from.api_keys,
        "tags" => to.tags = from.tags,
        "workspace_group" => to.workspace_group = from.workspace_group,
        "ignore" => to.ignore = from.ignore.clone(),
        "protect" => to.protect = from.protect.clone(),
        "max_delete_percent" => to.max_delete_percent = from.max_delete_percent,
        "max_deletes" => to.max_deletes = from.max_deletes,
        "min_admins" => to.min_admins = from.min_admins,
        "max_admins" => to.max_admins = from.max_admins,
        "allow_non_ascii_emails" => to.allow_non_ascii_emails = from.allow_non_ascii_emails,
        "allowed_email_domains" => to.allowed_email_domains = from.allowed_email_domains.clone(),
        "allow_lints" => to.allow_lints = from.allow_lints.clone(),
        // A field added later and not merged yet: refused rather than
        // dropped, which would silently plan without it.
        other => {
            return Err(format!(
                "`policy.{other}` cannot be combined from several files yet: declare it in the workspace's own file"
            ));
        }
    }
    Ok(())
}

/// Where each declared object of a merged workspace is written, by plan
/// address (`file:line`), for the plan's `source` fields.
/// The key of a declared sub-workspace in `sources`.
pub fn sub_workspace_key(id: &str) -> String {
    format!("sub_workspace#{}", id.to_ascii_lowercase())
}

pub fn sources(config: &Config, places: &[String]) -> HashMap<String, String> {
    let at = |loc: Loc| {
        format!(
            "{}:{}",
            places.get(loc.file as usize).map_or("?", String::as_str),
            loc.line
        )
    };
    let mut out = HashMap::new();
    for m in &config.members {
        out.insert(
            crate::planner::member_address(&m.email.value),
            at(m.email.loc),
        );
    }
    for k in &config.api_keys {
        out.insert(crate::planner::key_address(&k.name.value), at(k.name.loc));
    }
    // A sub-workspace's address may be its live name: keyed by id.
    for w in config
        .workspace_group
        .iter()
        .flat_map(|g| &g.sub_workspaces)
    {
        out.insert(sub_workspace_key(&w.id.value), at(w.id.loc));
    }
    for t in &config.tags {
        let label = &t.label.value;
        out.insert(crate::planner::tag_address(label), at(t.label.loc));
        for c in &t.campaigns {
            let address = crate::planner::assignment_address(label, "campaign", &c.value);
            out.insert(address, at(c.loc));
        }
        for a in &t.accounts {
            for name in [a.value.as_str(), a.value.key()] {
                let address = crate::planner::assignment_address(label, "account", name);
                out.insert(address, at(a.loc));
            }
        }
    }
    out
}
