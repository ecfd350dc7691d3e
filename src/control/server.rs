//! The daemon proper: shared state, the session thread, the listeners (loopback TCP and a Unix
//! socket) and the order of shutdown.
//!
//! Threads: [`run`] and the HTTP handlers run on the tokio runtime. [`Shared::start_session`]
//! spawns one std thread per session ("ringside-session") that calls
//! [`run_recorded_session`] (which spawns the capture and Whisper threads) and turns pipeline
//! events into [`LiveEvent`]s on a broadcast channel. Handlers only take short std mutex
//! locks (never across an `.await`), so a busy Whisper never stalls the API.
//!
//! Channel edges: session thread -> SSE clients is a `tokio::sync::broadcast` of
//! [`EVENT_CAPACITY`]: when full, the oldest events are overwritten for a lagging client, which
//! gets a `lagged` event with the count (also summed in `lagged_events` of the status). The
//! session thread never blocks on a client.
//!
//! Shutdown order (SIGINT/SIGTERM): refuse new sessions, set the running session's stop flag,
//! wait until its recording is finished and indexed, then end the SSE streams and close the
//! listeners, remove the runtime files, return (exit 0).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{broadcast, oneshot, watch};

use super::events::{LevelMeter, LiveEvent, LIVE_FORMAT_VERSION};
use super::shutdown::Signals;
use super::store::Store;
use super::token::{self, DaemonInfo};
use super::ControlError;
use crate::app::{run_recorded_session, Event, Input, SessionOptions, Stats};
use crate::config::Config;
use crate::event::samples_to_secs;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::Transcriber;

/// Events buffered per SSE client before it lags (a session makes a few per second).
pub const EVENT_CAPACITY: usize = 1024;
/// Level events: at most one per this much wall time.
const LEVEL_EVERY: Duration = Duration::from_millis(200);

/// What the daemon needs to run (validated by the `daemon` command).
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    pub bind: IpAddr,
    pub port: u16,
    pub allow_remote: bool,
    pub sessions_dir: PathBuf,
    pub model_path: PathBuf,
    pub token_file: PathBuf,
    /// The Unix socket path; `None`: TCP only.
    pub socket: Option<PathBuf>,
}

/// A session a client asked for, with its input resolved.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub input: Input,
    /// Human-readable input, for status and `session_started`.
    pub description: String,
    pub mic: Option<String>,
    pub counterpart: Option<String>,
}

/// The session that runs now.
#[derive(Debug)]
struct Running {
    /// Known once the recorder has created the session directory.
    id: Option<String>,
    spec: SessionSpec,
    stop: Arc<AtomicBool>,
    stats: Arc<Stats>,
    started: Instant,
}

/// What happened to the last session, for status.
#[derive(Debug, Clone, Serialize)]
pub struct LastSession {
    pub id: Option<String>,
    pub error: Option<String>,
    pub duration: f64,
}

#[derive(Debug, Default)]
struct SessionState {
    running: Option<Running>,
    last: Option<LastSession>,
    /// Set at shutdown: no new sessions.
    closing: bool,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("a session is already running ({0}); stop it first (POST /api/sessions/stop or `ringside stop`)")]
    Busy(String),
    #[error("the daemon is shutting down")]
    Closing,
    #[error("cannot start the session thread: {0}")]
    Spawn(std::io::Error),
}

/// State shared by the handlers and the session thread.
pub struct Shared {
    pub config: Config,
    pub token: String,
    pub model_path: PathBuf,
    pub sessions_dir: PathBuf,
    pub started: Instant,
    pub events: broadcast::Sender<LiveEvent>,
    /// Events dropped for lagging SSE clients, summed over clients.
    pub lagged_events: AtomicU64,
    /// SSE clients connected now.
    pub sse_clients: AtomicUsize,
    pub store: Mutex<Store>,
    session: Mutex<SessionState>,
    /// The loaded model between sessions (`None` while a session has it, or after a session
    /// failed and lost it: the next session loads it again).
    transcriber: Mutex<Option<Transcriber>>,
    /// Last level per speaker (dBFS as f64 bits; NaN: none).
    levels: [AtomicU64; 2],
    /// `true` once the listeners and SSE streams should end.
    pub shutdown: watch::Sender<bool>,
}

/// Locks a mutex even if a panicking thread poisoned it: the state stays usable (every
/// update is a single assignment, so there is no half-written state to fear).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn new(
        config: Config,
        token: String,
        model_path: PathBuf,
        sessions_dir: PathBuf,
        store: Store,
        transcriber: Transcriber,
    ) -> Shared {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (shutdown, _) = watch::channel(false);
        Shared {
            config,
            token,
            model_path,
            sessions_dir,
            started: Instant::now(),
            events,
            lagged_events: AtomicU64::new(0),
            sse_clients: AtomicUsize::new(0),
            store: Mutex::new(store),
            session: Mutex::new(SessionState::default()),
            transcriber: Mutex::new(Some(transcriber)),
            levels: [
                AtomicU64::new(f64::NAN.to_bits()),
                AtomicU64::new(f64::NAN.to_bits()),
            ],
            shutdown,
        }
    }

    fn publish(&self, ev: LiveEvent) {
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(ev);
    }

    /// The running session's id, if any (for the SSE hello).
    pub fn running_id(&self) -> Option<String> {
        lock(&self.session)
            .running
            .as_ref()
            .and_then(|r| r.id.clone())
    }

    pub fn is_running(&self) -> bool {
        lock(&self.session).running.is_some()
    }

    /// Starts a session on its own thread. The receiver yields the session id once the
    /// recording exists, or the error that ended the session before that.
    pub fn start_session(
        self: &Arc<Self>,
        spec: SessionSpec,
    ) -> Result<oneshot::Receiver<Result<String, String>>, StartError> {
        let mut st = lock(&self.session);
        if st.closing {
            return Err(StartError::Closing);
        }
        if let Some(r) = &st.running {
            return Err(StartError::Busy(
                r.id.clone().unwrap_or_else(|| "starting".into()),
            ));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Stats::default());
        let (tx, rx) = oneshot::channel();
        let shared = self.clone();
        let (stop2, stats2, spec2) = (stop.clone(), stats.clone(), spec.clone());
        std::thread::Builder::new()
            .name("ringside-session".into())
            .spawn(move || shared.session_thread(spec2, stop2, stats2, tx))
            .map_err(StartError::Spawn)?;
        st.running = Some(Running {
            id: None,
            spec,
            stop,
            stats,
            started: Instant::now(),
        });
        Ok(rx)
    }

    /// Asks the running session to stop; returns its id (`Some(None)`: still starting), or
    /// `None` when idle. The session ends within a block of audio.
    pub fn stop_session(&self) -> Option<Option<String>> {
        let st = lock(&self.session);
        st.running.as_ref().map(|r| {
            r.stop.store(true, Ordering::Relaxed);
            r.id.clone()
        })
    }

    /// The body of the session thread.
    fn session_thread(
        self: Arc<Self>,
        spec: SessionSpec,
        stop: Arc<AtomicBool>,
        stats: Arc<Stats>,
        id_tx: oneshot::Sender<Result<String, String>>,
    ) {
        let mut id_tx = Some(id_tx);
        let before: HashSet<PathBuf> = crate::session::store::session_dirs(&self.sessions_dir)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut id: Option<String> = None;
        let result = self.run_one(&spec, stop, stats, &before, &mut id, &mut id_tx);
        // Whatever happened, the recording (if any) was finished by run_recorded_session:
        // index it so the history shows the call even after a failure.
        let (ended, last) = match result {
            Ok(out) => {
                *lock(&self.transcriber) = Some(out.transcriber);
                let rec = out.recording;
                let id = rec.as_ref().map(|r| r.info.id.clone()).or(id);
                if let Some(r) = &rec {
                    if let Err(e) = lock(&self.store).index_dir(&r.dir) {
                        self.publish(LiveEvent::Warning {
                            message: format!("call history: {e}"),
                        });
                    }
                }
                let duration = rec
                    .as_ref()
                    .map_or(samples_to_secs(out.summary.stream_samples), |r| {
                        r.info.duration
                    });
                (
                    LiveEvent::SessionEnded {
                        id: id.clone(),
                        error: None,
                        duration,
                        utterances: out.summary.utterances.len(),
                        cues: out.summary.cues.len(),
                        scorecard: rec.map(|r| Box::new(r.scorecard)),
                    },
                    LastSession {
                        id,
                        error: None,
                        duration,
                    },
                )
            }
            Err(e) => {
                let msg = format!("{e:#}");
                if let Some(tx) = id_tx.take() {
                    let _ = tx.send(Err(msg.clone()));
                }
                if let Some(i) = &id {
                    let _ = lock(&self.store).index_dir(&self.sessions_dir.join(i));
                }
                (
                    LiveEvent::SessionEnded {
                        id: id.clone(),
                        error: Some(msg.clone()),
                        duration: 0.0,
                        utterances: 0,
                        cues: 0,
                        scorecard: None,
                    },
                    LastSession {
                        id,
                        error: Some(msg),
                        duration: 0.0,
                    },
                )
            }
        };
        for l in &self.levels {
            l.store(f64::NAN.to_bits(), Ordering::Relaxed);
        }
        {
            let mut st = lock(&self.session);
            st.running = None;
            st.last = Some(last);
        }
        // After the state is idle, so a client reacting to the event sees it so.
        self.publish(ended);
    }

    fn run_one(
        &self,
        spec: &SessionSpec,
        stop: Arc<AtomicBool>,
        stats: Arc<Stats>,
        before: &HashSet<PathBuf>,
        id: &mut Option<String>,
        id_tx: &mut Option<oneshot::Sender<Result<String, String>>>,
    ) -> anyhow::Result<crate::app::Outcome> {
        // anyhow here only because run_recorded_session (app wiring) speaks it; the error is
        // flattened to a message for the client right away.
        let transcriber = match lock(&self.transcriber).take() {
            Some(t) => t,
            None => Transcriber::new(&self.model_path, &self.config.asr)?,
        };
        let mut coach = Coach::load(self.config.coach.rules.as_deref())?;
        let g = crate::commands::Globals {
            config: self.config.clone(),
        };
        let opts = SessionOptions {
            record_dir: Some(self.sessions_dir.clone()),
            meta: crate::commands::practice::session_meta(&g, &spec.input, &self.model_path),
            limit_secs: None,
            stats,
        };
        let mut meter = LevelMeter::new(LEVEL_EVERY);
        let mut looked = false;
        let mut on_event = |ev: &Event| -> anyhow::Result<()> {
            if !looked {
                // The recorder creates the session directory before the first event; the
                // new directory is this session. (app.rs does not hand out the id earlier.)
                looked = true;
                if let Some(found) = new_session_id(&self.sessions_dir, before) {
                    if let Some(r) = lock(&self.session).running.as_mut() {
                        r.id = Some(found.clone());
                    }
                    self.publish(LiveEvent::SessionStarted {
                        version: LIVE_FORMAT_VERSION,
                        id: found.clone(),
                        input: spec.description.clone(),
                    });
                    if let Some(tx) = id_tx.take() {
                        let _ = tx.send(Ok(found.clone()));
                    }
                    *id = Some(found);
                }
            }
            match ev {
                Event::Audio(b) => {
                    if let Some(level) = meter.push(b.speaker, b.start_sample, &b.samples) {
                        for (slot, v) in self.levels.iter().zip(meter.dbfs) {
                            slot.store(v.unwrap_or(f64::NAN).to_bits(), Ordering::Relaxed);
                        }
                        self.publish(level);
                    }
                }
                other => {
                    if let Some(live) = LiveEvent::from_pipeline(other) {
                        self.publish(live);
                    }
                }
            }
            Ok(())
        };
        run_recorded_session(
            &self.config,
            &spec.input,
            transcriber,
            &mut coach,
            stop,
            opts,
            &mut on_event,
        )
    }

    /// The status document of `GET /api/status`.
    pub fn status(&self) -> Status {
        let st = lock(&self.session);
        let level = |i: usize| {
            let v = f64::from_bits(self.levels[i].load(Ordering::Relaxed));
            (!v.is_nan()).then_some(v)
        };
        let running = st.running.as_ref();
        Status {
            state: if running.is_some() { "running" } else { "idle" },
            session_id: running.and_then(|r| r.id.clone()),
            input: running.map(|r| r.spec.description.clone()),
            devices: Devices {
                mic: running
                    .and_then(|r| r.spec.mic.clone())
                    .or_else(|| self.config.audio.mic.clone()),
                counterpart: running.and_then(|r| r.spec.counterpart.clone()).or_else(
                    || match &self.config.audio.counterpart {
                        crate::config::CounterpartInput::None => None,
                        crate::config::CounterpartInput::RightChannel => Some("right".into()),
                        crate::config::CounterpartInput::Device(d) => Some(d.clone()),
                    },
                ),
            },
            levels: Levels {
                me_dbfs: level(0),
                them_dbfs: level(1),
            },
            stream_secs: running.map_or(0.0, |r| {
                samples_to_secs(r.stats.stream_samples.load(Ordering::Relaxed))
            }),
            session_wall_secs: running.map_or(0.0, |r| r.started.elapsed().as_secs_f64()),
            dropped_samples: running.map_or(0, |r| r.stats.dropped_samples.load(Ordering::Relaxed)),
            decode_errors: running.map_or(0, |r| r.stats.decode_errors.load(Ordering::Relaxed)),
            lagged_events: self.lagged_events.load(Ordering::Relaxed),
            sse_clients: self.sse_clients.load(Ordering::Relaxed),
            model: crate::model::installed_name(&self.model_path)
                .unwrap_or_else(|| self.model_path.display().to_string()),
            uptime_secs: self.started.elapsed().as_secs_f64(),
            last_session: st.last.clone(),
            closing: st.closing,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Shutdown, step 1: no new sessions; stop the running one. Returns whether one runs.
    fn close(&self) -> bool {
        let mut st = lock(&self.session);
        st.closing = true;
        match &st.running {
            Some(r) => {
                r.stop.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

/// `GET /api/status` (version 1 of the document; new fields may appear).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// "idle" or "running".
    pub state: &'static str,
    pub session_id: Option<String>,
    pub input: Option<String>,
    pub devices: Devices,
    pub levels: Levels,
    pub stream_secs: f64,
    pub session_wall_secs: f64,
    pub dropped_samples: u64,
    pub decode_errors: u64,
    pub lagged_events: u64,
    pub sse_clients: usize,
    pub model: String,
    pub uptime_secs: f64,
    pub last_session: Option<LastSession>,
    pub closing: bool,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Devices {
    pub mic: Option<String>,
    pub counterpart: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Levels {
    pub me_dbfs: Option<f64>,
    pub them_dbfs: Option<f64>,
}

/// Locks the history index (short SQLite calls; callers on the runtime use `spawn_blocking`).
pub fn lock_store(shared: &Shared) -> MutexGuard<'_, Store> {
    lock(&shared.store)
}

/// The id of the session directory created since `before` by this process.
fn new_session_id(sessions_dir: &Path, before: &HashSet<PathBuf>) -> Option<String> {
    let dirs = crate::session::store::session_dirs(sessions_dir).ok()?;
    let mine = |d: &PathBuf| {
        std::fs::read(d.join(crate::session::INFO_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<crate::session::SessionInfo>(&b).ok())
            .is_some_and(|i| i.pid == Some(std::process::id()) && !i.finished)
    };
    dirs.into_iter()
        .filter(|d| !before.contains(d))
        .find(mine)
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// Fails when a daemon with these runtime files answers on its address (a stale file left
/// by a killed daemon is fine: it is overwritten).
pub fn check_not_running(token_file: &Path) -> Result<(), ControlError> {
    if let Ok(old) = token::read_info(&token::info_path(token_file)) {
        if let Ok(addr) = old.http.parse::<SocketAddr>() {
            if old.pid != std::process::id()
                && std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
            {
                return Err(ControlError::AlreadyRunning {
                    pid: old.pid,
                    http: old.http,
                });
            }
        }
    }
    Ok(())
}

/// Refuses a non-loopback address unless allowed.
pub fn check_bind(addr: IpAddr, allow_remote: bool) -> Result<(), ControlError> {
    if addr.is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(ControlError::NotLoopback { addr })
    }
}

/// Runs the daemon until SIGINT/SIGTERM: binds, writes the runtime files, prints the address
/// (first line of stdout) and the page URL with the token, serves, shuts down in order.
pub async fn run(shared: Arc<Shared>, opts: DaemonOptions) -> Result<(), ControlError> {
    check_bind(opts.bind, opts.allow_remote)?;
    let info_path = token::info_path(&opts.token_file);
    check_not_running(&opts.token_file)?;
    let mut signals = Signals::install().map_err(ControlError::Signals)?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ControlError::Bind { addr, source })?;
    let local = tcp
        .local_addr()
        .map_err(|source| ControlError::Bind { addr, source })?;
    let unix = match &opts.socket {
        Some(p) => {
            if let Some(dir) = p.parent() {
                use std::os::unix::fs::DirBuilderExt;
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir);
            }
            // A socket file left by a killed daemon blocks the bind; the check above found
            // no live daemon, so it is stale.
            let _ = std::fs::remove_file(p);
            let l =
                tokio::net::UnixListener::bind(p).map_err(|source| ControlError::BindSocket {
                    path: p.clone(),
                    source,
                })?;
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
            Some(l)
        }
        None => None,
    };
    token::write_private(&opts.token_file, &shared.token)?;
    let info = DaemonInfo {
        version: 1,
        pid: std::process::id(),
        http: local.to_string(),
        socket: opts.socket.clone(),
    };
    let info_json = serde_json::to_string(&info).unwrap_or_default();
    token::write_private(&info_path, &info_json)?;

    let app = super::api::router(shared.clone(), local);
    let until = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let tcp_serve =
        axum::serve(tcp, app.clone()).with_graceful_shutdown(until(shared.shutdown.subscribe()));
    let tcp_task = tokio::spawn(async move { tcp_serve.await });
    let unix_task = unix.map(|l| {
        let serve = axum::serve(l, app).with_graceful_shutdown(until(shared.shutdown.subscribe()));
        tokio::spawn(async move { serve.await })
    });

    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // The first line is the contract with scripts and tests: they read the address here.
        writeln!(out, "listening on http://{local}")
            .and_then(|_| writeln!(out, "open http://{local}/?token={}", shared.token))
            .and_then(|_| out.flush())
            .map_err(ControlError::Stdout)?;
    }
    if let Some(p) = &opts.socket {
        eprintln!("ringside: API also on the Unix socket {}", p.display());
    }
    eprintln!(
        "ringside: token in {} ; SIGTERM or Ctrl-C stops the daemon",
        opts.token_file.display()
    );

    let sig = signals.recv().await;
    eprintln!("ringside: {sig}: shutting down");
    if shared.close() {
        eprintln!("ringside: stopping the session and finishing its recording");
        let wait_idle = async {
            while shared.is_running() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            _ = wait_idle => {}
            s = signals.recv() => {
                cleanup(&opts, &info_path);
                return Err(ControlError::Interrupted { signal: s });
            }
        }
    }
    // Ends SSE streams and lets both servers finish their in-flight requests.
    let _ = shared.shutdown.send(true);
    let wait_servers = async {
        let _ = tcp_task.await;
        if let Some(t) = unix_task {
            let _ = t.await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), wait_servers)
        .await
        .is_err()
    {
        eprintln!("ringside: some connections did not close within 5 s; exiting anyway");
    }
    cleanup(&opts, &info_path);
    eprintln!("ringside: daemon stopped");
    Ok(())
}

fn cleanup(opts: &DaemonOptions, info_path: &Path) {
    let _ = std::fs::remove_file(info_path);
    let _ = std::fs::remove_file(&opts.token_file);
    if let Some(p) = &opts.socket {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_bind_is_refused_unless_allowed() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let e = check_bind(any, false).unwrap_err().to_string();
        assert!(e.contains("allow_remote") && !e.contains('\n'), "{e}");
        check_bind(any, true).unwrap();
        check_bind("::1".parse().unwrap(), false).unwrap();
        check_bind("127.0.0.1".parse().unwrap(), false).unwrap();
    }
}
