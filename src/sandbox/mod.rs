//! The sandbox: an emulator of the API contract (docs/api-contract.md),
//! served over real HTTP on loopback, so that the tool and its tests run
//! against the same wire protocol as the live API.

mod accounts;
mod api_keys;
mod audit_logs;
pub mod demo;
pub mod demo_agency;
pub mod faults;
mod group;
mod members;
mod routes;
pub mod state;
mod tags;

pub use faults::{FaultKind, Faults};
use state::SandboxState;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) struct Shared {
    /// One lock per workspace: the agency's (index 0, without its
    /// sub-workspaces) and each sub-workspace's, so that requests to
    /// different workspaces do not wait for each other.
    workspaces: Vec<Mutex<SandboxState>>,
    /// Workspace id -> index in `workspaces`.
    index: std::collections::HashMap<String, usize>,
    /// Each workspace's id and name, by index (neither changes while served).
    ids: Vec<String>,
    names: Vec<String>,
    /// Saves one at a time.
    saving: Mutex<()>,
    path: Option<PathBuf>,
    faults: Mutex<Faults>,
    writes: AtomicUsize,
    requests: AtomicUsize,
    /// Faults injected, by kind; and 429s answered for the rate limit.
    injected: Mutex<BTreeMap<FaultKind, usize>>,
    rate_limited: AtomicUsize,
    windows: Mutex<std::collections::HashMap<String, faults::Window>>,
    /// How often each request (method, path, query) was seen, for faults.
    seen: Mutex<std::collections::HashMap<String, u64>>,
    /// Requests by method and path, for request-count tests.
    by_endpoint: Mutex<BTreeMap<String, usize>>,
    /// By endpoint, the order numbers of its first and last request.
    endpoint_spans: Mutex<BTreeMap<String, (usize, usize)>>,
    /// The audit-log reads, `GET /audit-logs?query` in order, for tests of
    /// what the tool asks the log.
    audit_reads: Mutex<Vec<String>>,
}

impl Shared {
    /// The name of workspace `id`, if the sandbox holds it.
    fn name_of(&self, id: &str) -> Option<String> {
        self.index.get(id).map(|&i| self.names[i].clone())
    }

    /// The whole state: the agency workspace with its sub-workspaces.
    fn snapshot(&self) -> SandboxState {
        let mut all = self
            .workspaces
            .iter()
            .map(|w| w.lock().expect("sandbox state lock").clone());
        let mut top = all.next().expect("the agency workspace");
        top.sub_workspaces = all.collect();
        top
    }

    /// Writes the whole state to `path`, one save at a time.
    fn persist(&self, path: &std::path::Path) -> Result<(), state::StateError> {
        let _one_at_a_time = self.saving.lock().expect("save lock");
        self.snapshot().save(path)
    }
}

/// A running sandbox; dropped or stopped, it stops serving.
pub struct Sandbox {
    pub url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Serves `state` on 127.0.0.1 (port 0 picks a free one). With `path`,
    /// every change is written back to that file.
    pub async fn start(
        state: SandboxState,
        path: Option<PathBuf>,
        port: u16,
    ) -> std::io::Result<Sandbox> {
        let mut state = state;
        if state.workspace_group.is_none() && !state.sub_workspaces.is_empty() {
            state.workspace_group = Some(group::legacy_rows(&state));
        }
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            index: std::iter::once(&state.workspace.id)
                .chain(state.sub_workspaces.iter().map(|s| &s.workspace.id))
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect(),
            ids: std::iter::once(&state.workspace)
                .chain(state.sub_workspaces.iter().map(|s| &s.workspace))
                .map(|w| w.id.clone())
                .collect(),
            names: std::iter::once(&state.workspace)
                .chain(state.sub_workspaces.iter().map(|s| &s.workspace))
                .map(|w| w.name.clone())
                .collect(),
            workspaces: {
                let mut top = state;
                let subs = std::mem::take(&mut top.sub_workspaces);
                std::iter::once(top).chain(subs).map(Mutex::new).collect()
            },
            saving: Mutex::new(()),
            path,
            faults: Mutex::new(Faults::default()),
            writes: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            injected: Mutex::new(BTreeMap::new()),
            rate_limited: AtomicUsize::new(0),
            windows: Mutex::new(std::collections::HashMap::new()),
            seen: Mutex::new(std::collections::HashMap::new()),
            by_endpoint: Mutex::new(BTreeMap::new()),
            endpoint_spans: Mutex::new(BTreeMap::new()),
            audit_reads: Mutex::new(Vec::new()),
        });
        let app = routes::router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sandbox {
            url: format!("http://{addr}/api/v2"),
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// A copy of the current state.
    pub fn state(&self) -> SandboxState {
        self.shared.snapshot()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.writes.store(0, Ordering::SeqCst);
        *self.shared.faults.lock().expect("faults lock") = faults;
    }

    /// Requests served so far (benchmarks and tests count them).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Requests served, by `METHOD /path` (ids included, query left out).
    pub fn requests_by_endpoint(&self) -> BTreeMap<String, usize> {
        self.shared
            .by_endpoint
            .lock()
            .expect("endpoint lock")
            .clone()
    }

    /// By `METHOD /path`, the order numbers (0 first) of its first and last
    /// request: which reads overlapped, whatever the machine's speed.
    pub fn endpoint_spans(&self) -> BTreeMap<String, (usize, usize)> {
        self.shared
            .endpoint_spans
            .lock()
            .expect("spans lock")
            .clone()
    }

    /// The audit-log reads served, as `GET /audit-logs?query`, in order.
    pub fn audit_reads(&self) -> Vec<String> {
        self.shared.audit_reads.lock().expect("audit lock").clone()
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> BTreeMap<FaultKind, usize> {
        self.shared.injected.lock().expect("injected lock").clone()
    }

    /// Requests refused with 429 for going over the rate limit.
    pub fn rate_limited(&self) -> usize {
        self.shared.rate_limited.load(Ordering::SeqCst)
    }

    /// Serves until the process is stopped.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
