//! The one pipeline every command, test and benchmark runs: load the file
//! (once), check the workspace guard, read the live workspace, plan.
//! Nothing here prints; errors come back typed for the caller to render.

use crate::api_error::ApiError;
use crate::api_types::Workspace;
use crate::attribution;
use crate::client::Client;
use crate::config::Config;
use crate::diagnostic::FileErrors;
use crate::live::{self, Live, Needs};
use crate::plan::Plan;
use crate::planner::{self, Context};
use crate::saved_plan::sha256_hex;
use std::path::{Path, PathBuf};

/// A desired-state file, read once: the bytes that were validated and
/// planned are the bytes a saved plan's digest describes.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// Of `digest_input`: the file and its bases.
    pub sha256: String,
    /// With its bases merged in.
    pub config: Config,
    /// The bases it extends (`config_extends`), read once with it.
    pub bases: Vec<crate::config_extends::Base>,
}

impl LoadedFile {
    /// What a saved plan's digest covers: the file's bytes, and when it
    /// extends bases, each base's path and digest too (a changed base
    /// changes the plan).
    pub fn digest_input(&self) -> std::borrow::Cow<'_, [u8]> {
        digest_input(&self.bytes, &self.bases)
    }

    /// The bases as sources that diagnostics may point into.
    pub fn sources(&self) -> Vec<crate::diagnostic::Source> {
        self.bases
            .iter()
            .map(|b| crate::diagnostic::Source {
                path: b.shown.clone(),
                text: String::from_utf8_lossy(&b.bytes).into_owned(),
            })
            .collect()
    }

    /// The paths of the file and its bases as shown, by `Loc::file`.
    pub fn places(&self) -> Vec<String> {
        std::iter::once(self.shown())
            .chain(self.bases.iter().map(|b| b.shown.clone()))
            .collect()
    }

    /// The path as shown in messages.
    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }

    /// The file's warnings `plan` and `apply` show (W007: permissions this
    /// tool does not know), rendered; `None` when there are none.
    pub fn plan_warnings(&self, color: bool) -> Option<String> {
        let warnings = crate::lints::unknown_permission_warnings(&self.config);
        (!warnings.is_empty()).then(|| self.errors(warnings).render(color))
    }

    fn errors(&self, errors: Vec<crate::diagnostic::Diagnostic>) -> FileErrors {
        FileErrors {
            path: self.shown(),
            source: String::from_utf8_lossy(&self.bytes).into_owned(),
            errors,
            others: self.sources(),
        }
    }
}

/// A plan and what it was made from.
#[derive(Clone, Debug)]
pub struct Planned {
    pub file: LoadedFile,
    pub live: Live,
    pub plan: Plan,
    /// The workspace group, read only for a file that declares
    /// `workspace_group` (`live_group`).
    pub group: Option<crate::live_group::LiveGroup>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The file is invalid, or names what the workspace does not have;
    /// every error located in the file.
    #[error("{}", .0.render(false))]
    File(FileErrors),
    #[error(
        "{path}:{line}: the file is for workspace {declared}, but the API key reaches workspace {reached} ({name}); nothing was changed"
    )]
    Guard {
        path: String,
        line: u32,
        declared: String,
        reached: String,
        name: String,
    },
    #[error(
        "{path}: `workspace.id` is required when planning several workspaces: the file must say which workspace it is for"
    )]
    Unbound { path: String },
    #[error(
        "{path} is for workspace {id}, which {other} plans too: one file per workspace, so that each has one plan (and one PR comment)"
    )]
    SameWorkspace {
        path: String,
        other: String,
        id: String,
    },
    #[error(
        "{path} is for workspace {id}, which the API key cannot reach (403: {detail}); a key reaches its own workspace and the sub-workspaces that accepted its group's invitation"
    )]
    Unreachable {
        path: String,
        id: String,
        detail: String,
    },
    #[error(
        "{path}: this file declares no workspace, members, api_keys or tags: it looks like a base for `extends`, and as a workspace file it would delete every member, API key and tag (a review would find them all undeclared); extend it from a workspace file (`extends: [{name}]` beside `workspace:`) and use that; nothing was changed"
    )]
    Base { path: String, name: String },
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("cannot read the intents of earlier applies: {0}; nothing was changed")]
    Intents(std::io::Error),
}

impl PlanError {
    /// The error as printed on stderr: located file errors with their
    /// snippets, anything else on an `error:` line.
    pub fn render(&self, color: bool) -> String {
        match self {
            PlanError::File(e) => e.render(color),
            e => format!("error: {}", e.text()),
        }
    }

    /// The error as text for a terminal, without colour: located file
    /// errors keep their lines (their messages come escaped), any other
    /// error (which may quote a name or an answer from the API) is one
    /// line with hidden characters escaped.
    pub fn text(&self) -> String {
        match self {
            PlanError::File(e) => e.render(false),
            e => crate::escape::terminal(&crate::diagnostic::scrub(&e.to_string())),
        }
    }
}

/// The largest desired-state file read: far more than any workspace needs,
/// and a bound on what `-f /dev/zero` or a wrong path can make the tool read.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Reads and validates a desired-state file.
pub fn load(path: &Path) -> Result<LoadedFile, PlanError> {
    parse(path, read(path)?)
}

/// Reads and validates a desired-state file of a run over many, whose
/// bases are read once for the whole run.
pub fn load_with(
    path: &Path,
    loader: &mut crate::config_extends::Loader,
) -> Result<LoadedFile, PlanError> {
    parse_with(path, read(path)?, loader)
}

/// The bytes a saved plan's digest is of: the file alone when it extends
/// nothing (as before bases existed), else the file and each base's path
/// and digest.
pub fn digest_input<'a>(
    bytes: &'a [u8],
    bases: &[crate::config_extends::Base],
) -> std::borrow::Cow<'a, [u8]> {
    if bases.is_empty() {
        return bytes.into();
    }
    let mut all = bytes.to_vec();
    for b in bases {
        all.extend_from_slice(b"\0extends\0");
        all.extend_from_slice(b.shown.as_bytes());
        all.push(0);
        all.extend_from_slice(sha256_hex(&b.bytes).as_bytes());
    }
    all.into()
}

/// Reads a desired-state file's bytes (at most `MAX_FILE_BYTES`), for
/// `parse`: whoever must check them before anything of them is shown (a
/// saved plan's digest) goes between.
pub fn read(path: &Path) -> Result<Vec<u8>, PlanError> {
    read_bounded(path, MAX_FILE_BYTES, "a desired-state file").map_err(|source| PlanError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// A regular file's bytes, at most `max` of them: a FIFO, a device
/// (`/dev/zero`) or a file too large is an error, never a hang or a
/// machine's memory (a saved plan comes from a CI artifact).
pub fn read_bounded(path: &Path, max: usize, what: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(format!(
            "it is not a regular file, as {what} is"
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MiB, the most {what} may be",
            max / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// Validates the bytes `read` returned.
pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<LoadedFile, PlanError> {
    parse_with(path, bytes, &mut crate::config_extends::Loader::default())
}

/// Validates the bytes `read` returned, with the bases of the run.
pub fn parse_with(
    path: &Path,
    bytes: Vec<u8>,
    loader: &mut crate::config_extends::Loader,
) -> Result<LoadedFile, PlanError> {
    let shown = path.display().to_string();
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        // Not text: described, never quoted (it may be an environment dump).
        return Err(PlanError::File(FileErrors {
            path: shown,
            errors: vec![
                crate::diagnostic::Diagnostic::new(
                    crate::yaml_node::Loc::default(),
                    format!("the file is not text: it holds a NUL byte (byte {})", i + 1),
                )
                .help("a desired-state file is YAML saved as UTF-8"),
            ],
            ..FileErrors::default()
        }));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| PlanError::File(not_utf8(&shown, &bytes, e.valid_up_to())))?;
    let loaded = loader.load(path, text).map_err(PlanError::File)?;
    Ok(LoadedFile {
        path: path.to_owned(),
        sha256: sha256_hex(&digest_input(&bytes, &loaded.bases)),
        bytes,
        config: loaded.config,
        bases: loaded.bases,
    })
}

/// The error of a file that is not UTF-8, at the line and column of its
/// first bad byte (shown as U+FFFD in the snippet).
fn not_utf8(path: &str, bytes: &[u8], valid_up_to: usize) -> FileErrors {
    let good = std::str::from_utf8(&bytes[..valid_up_to]).expect("valid up to here");
    let line_start = good.rfind('\n').map_or(0, |i| i + 1);
    let loc = crate::yaml_node::Loc::at(
        good.matches('\n').count() as u32 + 1,
        good[line_start..].chars().count() as u32 + 1,
    );
    FileErrors {
        path: path.to_owned(),
        source: String::from_utf8_lossy(bytes).into_owned(),
        others: Vec::new(),
        errors: vec![
            crate::diagnostic::Diagnostic::new(
                loc,
                format!(
                    "the file is not valid UTF-8: byte 0x{:02X} here",
                    bytes[valid_up_to]
                ),
            )
            .help("save the file as UTF-8"),
        ],
    }
}

/// The workspace the client reaches, checked against the file's guard.
pub async fn guard(client: &Client, file: &LoadedFile) -> Result<Workspace, PlanError> {
    refuse_base(file)?;
    let current: Workspace = client.get("/workspaces/current", &[]).await?;
    match &file.config.workspace {
        // Ids are uuids: the same workspace whatever their case.
        Some(g) if !g.id.value.eq_ignore_ascii_case(&current.id) => Err(PlanError::Guard {
            path: file.shown(),
            line: g.id.loc.line,
            declared: g.id.value.clone(),
            reached: current.id,
            name: current.name,
        }),
        _ => Ok(current),
    }
}

/// The client for a file's workspace, and that workspace. The key's own
/// workspace, or, when the file names another and the client is not
/// already scoped to one, the same key with `x-as-workspace` (an agency
/// planning a client's file on its own: one request more, only then). When
/// the API refuses it (the key cannot reach that workspace), the error is
/// the guard's.
pub async fn reach(client: &Client, file: &LoadedFile) -> Result<(Client, Workspace), PlanError> {
    refuse_base(file)?;
    let current: Workspace = client.get("/workspaces/current", &[]).await?;
    let other = file
        .config
        .workspace
        .as_ref()
        .filter(|g| !g.id.value.eq_ignore_ascii_case(&current.id));
    let Some(g) = other else {
        return Ok((client.clone(), current));
    };
    let refused = |current: Workspace| PlanError::Guard {
        path: file.shown(),
        line: g.id.loc.line,
        declared: g.id.value.clone(),
        reached: current.id,
        name: current.name,
    };
    if client.options().as_workspace.is_some() {
        return Err(refused(current));
    }
    let sub = client.for_sub_workspace(&g.id.value.to_ascii_lowercase());
    match sub.get::<Workspace>("/workspaces/current", &[]).await {
        Ok(ws) if ws.id.eq_ignore_ascii_case(&g.id.value) => Ok((sub, ws)),
        Ok(_) => Err(refused(current)),
        Err(e) if matches!(e.kind, crate::api_error::ApiErrorKind::MissingScope(_)) => {
            Err(refused(current))
        }
        Err(e) => Err(e.into()),
    }
}

/// `plan_path` through `reach`: with the client that reaches the file's
/// workspace, which an apply of the plan must use.
pub async fn plan_path_reached(
    client: &Client,
    path: &Path,
) -> Result<(Client, Planned), PlanError> {
    let file = load(path)?;
    let (client, workspace) = reach(client, &file).await?;
    let planned = plan_in(&client, file, workspace).await?;
    Ok((client, planned))
}

/// Guard, read what the plan needs, plan.
pub async fn plan(client: &Client, file: LoadedFile) -> Result<Planned, PlanError> {
    let workspace = guard(client, &file).await?;
    plan_in(client, file, workspace).await
}

/// Read what the plan needs from `workspace` (as `guard` returned it), plan.
pub async fn plan_in(
    client: &Client,
    file: LoadedFile,
    workspace: Workspace,
) -> Result<Planned, PlanError> {
    let id = workspace.id.clone();
    // The group needs nothing from the workspace's lists: read alongside.
    let group_read = async {
        if crate::live_group::needed(&file.config) {
            crate::live_group::read(client).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (live, group) = tokio::try_join!(
        async {
            live::read_for_plan(client, workspace, &file.config)
                .await
                .map_err(PlanError::from)
        },
        async { group_read.await.map_err(PlanError::from) },
    )?;
    // Key creates of earlier applies in this folder whose secret was never
    // delivered (`intents`). Read after the live keys: an intent is
    // recorded before its POST, so any key read above has its intent here.
    let undelivered =
        crate::intents::read(Path::new(crate::intents::DIR), &id).map_err(PlanError::Intents)?;
    let now = crate::timestamp::now();
    let mut ctx = Context {
        auth_key_mask: Some(client.key_mask()),
        now: Some(now),
        undelivered,
        key_events: None,
    };
    let mut plan = match planner::plan_with_group(&file.config, &live, &ctx, group.as_ref()) {
        Ok(plan) => plan,
        Err(errors) => return Err(PlanError::File(file.errors(errors))),
    };
    if attribution::needed(&plan) {
        // Read after planning, since only a plan with keys to attribute
        // reads the log; then planned again (pure, and the same plan) with
        // the events, which the planner attaches where it has each key.
        let since = attribution::start_date(&plan, &live, now);
        match attribution::read(client, &since).await {
            Ok(events) if !events.is_empty() => {
                ctx.key_events = Some(attribution::KeyEvents::new(&events));
                plan = planner::plan_with_group(&file.config, &live, &ctx, group.as_ref())
                    .map_err(|errors| PlanError::File(file.errors(errors)))?;
            }
            // No events: unknown, shown as no attribution (the contract:
            // a plan without the feature may answer an empty log).
            Ok(_) => {}
            Err(e) => plan.warnings.push(attribution::unread_note(&e.to_string())),
        }
    }
    // W007 in the plan itself, so JSON and Markdown (a PR comment) carry
    // it, not only the terminal: a typo there is refused only at apply.
    let places = file.places();
    for d in crate::lints::unknown_permission_warnings(&file.config) {
        plan.warnings.push(format!(
            "{}:{}: {} (W007){}",
            places.get(d.loc.file as usize).map_or("?", String::as_str),
            d.loc.line,
            d.message,
            d.help.map(|h| format!(": {h}")).unwrap_or_default()
        ));
    }
    plan.warnings
        .extend(crate::email_domains::live_warnings(&file.config, &live));
    if !file.bases.is_empty() {
        // Where each declared object was written, now that it may be a base.
        let sources = crate::config_extends::sources(&file.config, &file.places());
        for a in &mut plan.actions {
            let key = match a.state() {
                Some(crate::plan::State::SubWorkspace(w)) => {
                    crate::config_extends::sub_workspace_key(&w.sub_workspace_id)
                }
                _ => a.address.clone(),
            };
            a.source = sources.get(&key).cloned();
        }
    }
    Ok(Planned {
        file,
        live,
        plan,
        group,
    })
}

/// Load, then plan.
pub async fn plan_path(client: &Client, path: &Path) -> Result<Planned, PlanError> {
    plan(client, load(path)?).await
}

/// The whole workspace, for `export`. A file names accounts by the email
/// the mappings already carry, so the account list itself is not read.
pub async fn read_for_export(client: &Client) -> Result<Live, ApiError> {
    let current: Workspace = client.get("/workspaces/current", &[]).await?;
    let needs = Needs {
        accounts: false,
        ..Needs::all(true)
    };
    live::read_lists(client, current, needs).await
}

/// The top-level keys that make a file a workspace file: a file (with its
/// bases) that has none of them is a base meant for `extends` (team roles,
/// a policy), and planning it as a workspace would delete everything.
const WORKSPACE_KEYS: [&str; 5] = [
    "workspace",
    "workspace_group",
    "members",
    "api_keys",
    "tags",
];

/// Whether the file (with its bases) is a base meant for `extends`: it
/// declares none of `WORKSPACE_KEYS`. The keys must be absent: `members:
/// []` says on purpose that there are none. `review` refuses a base.
pub fn is_base(file: &LoadedFile) -> bool {
    let declares = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        match crate::yaml_node::parse(&text).map(|n| n.value) {
            Ok(crate::yaml_node::Value::Map(entries)) => entries
                .iter()
                .any(|(k, _)| WORKSPACE_KEYS.contains(&k.name.as_str())),
            // Loaded already, so a mapping; anything else is not a base.
            _ => true,
        }
    };
    !(declares(&file.bytes) || file.bases.iter().any(|b| declares(&b.bytes)))
}

/// The error of a base given as a workspace file.
pub fn base_error(file: &LoadedFile) -> PlanError {
    PlanError::Base {
        path: file.shown(),
        name: file
            .path
            .file_name()
            .map_or_else(|| file.shown(), |n| n.to_string_lossy().into_owned()),
    }
}

/// Refuses a base as a workspace file (`plan`, `apply`), unless its policy
/// makes members, keys and tags all additive: then it deletes nothing.
pub fn refuse_base(file: &LoadedFile) -> Result<(), PlanError> {
    let p = &file.config.policy;
    let harmless = [p.members, p.api_keys, p.tags]
        .iter()
        .all(|m| *m == crate::config::Mode::Additive);
    if harmless || !is_base(file) {
        return Ok(());
    }
    Err(base_error(file))
}
