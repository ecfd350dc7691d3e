//! The daemon's state: what the handlers and the session thread share, and the session
//! thread itself.
//!
//! Threads: the HTTP handlers run on the tokio runtime. [`Shared::start_session`] spawns one
//! std thread per session ("ringside-session") that runs the session through
//! [`SessionBuilder`] (which spawns the capture and Whisper threads) with the live stream as
//! one of its sinks ([`LiveEvent`]s on a broadcast channel); a role-play runs through
//! [`roleplay::run`] on that thread instead (which adds the counterpart's voice thread), its
//! records going to the same live sink. A drill of a recorded session runs through
//! [`drill::run`] on that thread too (the CLI's runner: its lines go out as `drill_*` events,
//! its run is appended to `drill.json` as `ringside drill` does). Handlers only take short std
//! mutex locks (never across an `.await`), so a busy Whisper never stalls the API.
//!
//! Channel edges: session thread -> SSE clients is a `tokio::sync::broadcast` of
//! [`EVENT_CAPACITY`]: when full, the oldest events are overwritten for a lagging client, which
//! gets a `lagged` event with the count (also summed in `lagged_events` of the status). The
//! session thread never blocks on a client.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{broadcast, oneshot, watch};

use super::events::{LevelMeter, LiveEvent, LiveOnly, LIVE_FORMAT_VERSION};
use crate::app::{Input, Outcome, SessionBuilder};
use crate::config::Config;
use crate::drill::{self, DrillEvent, DrillItem, DrillLine, DrillOptions, TryCursor};
use crate::event::{samples_to_secs, AudioBlock, Event, SessionEvent, Stats};
use crate::roleplay::{self, PlayerNote, RoleplayEvent, RoleplayOptions};
use crate::session::index::Store;
use crate::session::meta::session_meta;
use crate::session::SessionInfo;
use crate::sinks::Sink;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::Transcriber;

/// Events buffered per SSE client before it lags (a session makes a few per second).
pub const EVENT_CAPACITY: usize = 1024;
/// Level events: at most one per this much wall time.
const LEVEL_EVERY: Duration = Duration::from_millis(200);

/// A session a client asked for, with its input resolved.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub input: Input,
    /// Human-readable input, for status and `session_started`.
    pub description: String,
    pub mic: Option<String>,
    pub counterpart: Option<String>,
    /// A role-play: the input is the practitioner's microphone (live, no counterpart device);
    /// the counterpart is the scenario's voice.
    pub roleplay: Option<RoleplaySpec>,
    /// A drill of a recorded session instead: the input is the practitioner's microphone.
    pub drill: Option<DrillSpec>,
}

/// A drill a client asked for, planned ([`drill::plan`]) and with its voice resolved.
#[derive(Debug, Clone)]
pub struct DrillSpec {
    /// The session drilled.
    pub session: String,
    pub dir: PathBuf,
    pub items: Vec<DrillItem>,
    pub options: DrillOptions,
    /// The drilled session's lock, held until the drill ends (the last clone drops).
    pub lock: Arc<crate::session::SessionLock>,
}

/// A role-play a client asked for, resolved (scenario loaded, script parsed).
#[derive(Debug, Clone)]
pub struct RoleplaySpec {
    pub scenario: roleplay::Scenario,
    pub player: roleplay::PlayerConfig,
    /// The simulated practitioner (a test and demo aid).
    pub practitioner: Option<(roleplay::Script, roleplay::PractitionerConfig)>,
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
    /// The session being drilled (a drill records nothing: `id` stays `None`).
    drill: Option<String>,
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

    /// The session being drilled now, if any.
    pub fn drilling_id(&self) -> Option<String> {
        lock(&self.session)
            .running
            .as_ref()
            .and_then(|r| r.drill.clone())
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
            drill: spec.drill.as_ref().map(|d| d.session.clone()),
            spec,
            stop,
            stats,
            started: Instant::now(),
        });
        Ok(rx)
    }

    /// Asks the running session (or drill) to stop; returns its id (`Some(None)`: still
    /// starting; a drill: the session drilled), or `None` when idle. The session ends within
    /// a block of audio; a drill keeps the tries made.
    pub fn stop_session(&self) -> Option<Option<String>> {
        let st = lock(&self.session);
        st.running.as_ref().map(|r| {
            r.stop.store(true, Ordering::Relaxed);
            r.id.clone().or_else(|| r.drill.clone())
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
        if let Some(d) = spec.drill.clone() {
            return self.drill_thread(&spec, d, stop, id_tx);
        }
        let mut live = LiveSink {
            shared: &self,
            description: spec.description.clone(),
            id_tx: Some(id_tx),
            id: None,
            meter: LevelMeter::new(LEVEL_EVERY),
        };
        let result = self.run_one(&spec, stop, stats, &mut live);
        let (id, mut id_tx) = (live.id.take(), live.id_tx.take());
        // Whatever happened, the recording (if any) was finished by the session: index it so
        // the history shows the call even after a failure.
        let (ended, last) = match result {
            Ok(out) => {
                *lock(&self.transcriber) = Some(out.transcriber);
                let rec = out.recording;
                let id = rec.as_ref().map(|r| r.info.id.clone()).or(id);
                if let Some(r) = &rec {
                    if let Err(e) = lock(&self.store).index_dir(&r.dir) {
                        self.publish(LiveEvent::warning(format!("call history: {e}")));
                    }
                }
                let duration = rec
                    .as_ref()
                    .map_or(samples_to_secs(out.summary.stream_samples), |r| {
                        r.info.duration
                    });
                (
                    LiveOnly::SessionEnded {
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
                    LiveOnly::SessionEnded {
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
        self.publish(ended.into());
    }

    /// The body of the session thread for a drill: `drill_started`, the drill's lines,
    /// `drill_summary` once its run is saved, then `drill_ended` (after the state is idle).
    fn drill_thread(
        self: Arc<Self>,
        spec: &SessionSpec,
        d: DrillSpec,
        stop: Arc<AtomicBool>,
        id_tx: oneshot::Sender<Result<String, String>>,
    ) {
        let started = Instant::now();
        let _ = id_tx.send(Ok(d.session.clone()));
        self.publish(
            LiveOnly::DrillStarted {
                version: LIVE_FORMAT_VERSION,
                session: d.session.clone(),
                moments: d.items.len(),
                max_tries: d.options.max_tries,
                input: spec.description.clone(),
            }
            .into(),
        );
        let error = self.run_drill(&d, stop).err().map(|e| format!("{e:#}"));
        {
            let mut st = lock(&self.session);
            st.running = None;
            st.last = Some(LastSession {
                id: Some(d.session.clone()),
                error: error.clone(),
                duration: started.elapsed().as_secs_f64(),
            });
        }
        self.publish(
            LiveOnly::DrillEnded {
                session: d.session,
                error,
            }
            .into(),
        );
    }

    /// Runs the drill with the CLI's runner and appends its run to `drill.json` (when a try
    /// was made) as `ringside drill` does.
    fn run_drill(&self, d: &DrillSpec, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let transcriber = match lock(&self.transcriber).take() {
            Some(t) => t,
            None => Transcriber::new(&self.model_path, &self.config.asr)?,
        };
        let mut coach = Coach::load(self.config.coach.rules.as_deref())?;
        let mut cursor = TryCursor::default();
        let mut on_event = |ev: &DrillEvent| -> anyhow::Result<()> {
            let at = cursor.see(ev);
            match ev {
                DrillEvent::Warning(m) => self.publish(LiveEvent::warning(m.clone())),
                DrillEvent::Pipeline(Event::Record(r @ SessionEvent::Warning { .. })) => {
                    self.publish(LiveEvent::Record((*r).clone()))
                }
                _ => {
                    if let Some(line) = DrillLine::of(ev, at) {
                        self.publish(LiveEvent::Drill(line));
                    }
                }
            }
            Ok(())
        };
        let out = drill::run(
            &self.config,
            &d.items,
            transcriber,
            &mut coach,
            stop,
            d.options.clone(),
            &mut on_event,
        )?;
        *lock(&self.transcriber) = Some(out.transcriber);
        let run = out.run;
        let saved = if run.tries > 0 {
            let log = crate::session::drill::append_run(&d.dir, run.clone())?;
            let file = d.dir.join(crate::session::drill::DRILL_FILE);
            Some((log.runs.len(), file.display().to_string()))
        } else {
            None
        };
        self.publish(LiveEvent::Drill(DrillLine::summary(
            &d.session, &run, saved,
        )));
        Ok(())
    }

    fn run_one(
        &self,
        spec: &SessionSpec,
        stop: Arc<AtomicBool>,
        stats: Arc<Stats>,
        live: &mut LiveSink<'_>,
    ) -> anyhow::Result<Outcome> {
        // anyhow here only because the app wiring speaks it; the error is flattened to a
        // message for the client right away.
        let transcriber = match lock(&self.transcriber).take() {
            Some(t) => t,
            None => Transcriber::new(&self.model_path, &self.config.asr)?,
        };
        let mut coach = Coach::load(self.config.coach.rules.as_deref())?;
        let mut meta = session_meta(spec.input.devices(), &self.model_path, &self.config);
        if let Some(rp) = &spec.roleplay {
            meta.counterpart_device = Some(format!(
                "roleplay:{} ({})",
                rp.scenario.name, rp.scenario.voice
            ));
            meta.config
                .insert("roleplay.scenario".into(), rp.scenario.source.clone());
            let mic = match &spec.input {
                Input::Live { mic, .. } => mic.clone(),
                _ => None,
            };
            let opts = RoleplayOptions {
                mic,
                player: rp.player.clone(),
                practitioner: rp.practitioner.clone(),
                record_dir: Some(self.sessions_dir.clone()),
                meta,
                stats,
                ..Default::default()
            };
            // The role-play's events reach the live stream through the same sink as a
            // session's; its own notes (voice ready, lines said) stay out of the stream, but
            // for its warnings.
            let mut on_event = |ev: &RoleplayEvent| -> anyhow::Result<()> {
                match ev {
                    RoleplayEvent::Began(info) => live.begin(info)?,
                    RoleplayEvent::Pipeline(Event::Audio(b)) => live.audio(b)?,
                    RoleplayEvent::Pipeline(Event::Record(r)) => live.handle(r)?,
                    RoleplayEvent::Counterpart {
                        note: PlayerNote::Warning { message },
                        ..
                    } => self.publish(LiveEvent::warning(format!(
                        "{}'s voice: {message}",
                        rp.scenario.persona_name
                    ))),
                    _ => {}
                }
                Ok(())
            };
            let out = roleplay::run(
                &self.config,
                &rp.scenario,
                transcriber,
                &mut coach,
                stop,
                opts,
                &mut on_event,
            )?;
            return Ok(Outcome {
                summary: out.summary,
                recording: out.recording,
                transcriber: out.transcriber,
            });
        }
        SessionBuilder::new(&self.config, spec.input.clone())
            .stop_flag(stop)
            .stats(stats)
            .record(Some(self.sessions_dir.clone()), meta)
            .sink(live)
            .run(transcriber, &mut coach)
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
            drill_session: running.and_then(|r| r.drill.clone()),
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
    pub(super) fn close(&self) -> bool {
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
    /// The session being drilled (state "running", `session_id` null: a drill records nothing).
    pub drill_session: Option<String>,
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

/// The live stream as a sink of the daemon's session: records go out as they are, audio
/// becomes `level` events, and `begin` announces the session (its id comes from the
/// recording, so nothing has to look for the new directory).
struct LiveSink<'s> {
    shared: &'s Shared,
    description: String,
    id_tx: Option<oneshot::Sender<Result<String, String>>>,
    id: Option<String>,
    meter: LevelMeter,
}

impl Sink for LiveSink<'_> {
    fn begin(&mut self, info: &SessionInfo) -> std::io::Result<()> {
        let id = info.id.clone();
        if let Some(r) = lock(&self.shared.session).running.as_mut() {
            r.id = Some(id.clone());
        }
        self.shared.publish(
            LiveOnly::SessionStarted {
                version: LIVE_FORMAT_VERSION,
                id: id.clone(),
                input: self.description.clone(),
            }
            .into(),
        );
        if let Some(tx) = self.id_tx.take() {
            let _ = tx.send(Ok(id.clone()));
        }
        self.id = Some(id);
        Ok(())
    }

    fn audio(&mut self, b: &AudioBlock) -> std::io::Result<()> {
        if let Some(level) = self.meter.push(b.speaker, b.start_sample, &b.samples) {
            for (slot, v) in self.shared.levels.iter().zip(self.meter.dbfs) {
                slot.store(v.unwrap_or(f64::NAN).to_bits(), Ordering::Relaxed);
            }
            self.shared.publish(level);
        }
        Ok(())
    }

    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        self.shared.publish(LiveEvent::Record(ev.clone()));
        Ok(())
    }
}

/// Locks the history index (short SQLite calls; callers on the runtime use `spawn_blocking`).
pub fn lock_store(shared: &Shared) -> MutexGuard<'_, Store> {
    lock(&shared.store)
}
