//! Solo role-play: a scripted counterpart that talks back through the headset.
//!
//! ```text
//!  mic (cpal) -> VAD -> Whisper -> coach --ClassifiedUtterance--> policy (session thread)
//!     |  VadActivity (barge-in)                                        | Say(line)
//!     v                                                                v
//!  counterpart thread: ring -> cpal output (headset)  +  exact played samples -> "them" channel
//!                                                         -> VAD -> Whisper -> coach, recording
//!  practitioner thread (optional, headless): TTS lines -> paplay -> virtual mic
//! ```
//!
//! Threads: the pipeline's (see [`crate::app`]); `ringside-counterpart` ([`player`]) owns the
//! output stream; `ringside-practitioner` ([`practitioner`]) when a script speaks for the
//! practitioner. The policy runs on the session thread (the caller of [`run`]), inside the
//! event handler: one decision per classified "me" utterance, nothing slow.
//!
//! Modules: [`scenario`] (load and validate the TOML), [`policy`] (which line next),
//! [`voice`] (festival/flite/Piper synthesis and cache), [`piper`] (the Piper voice in
//! process: espeak-ng phonemes, ONNX Runtime), [`playback`] (cpal output, real-time
//! callback), [`player`] (turn-taking, barge-in, the "them" feed), [`practitioner`] (a
//! simulated practitioner).
pub mod piper;
pub mod playback;
pub mod player;
pub mod policy;
pub mod practitioner;
pub mod scenario;
pub mod voice;
pub mod voice_error;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use playback::OutputChannels;
pub use player::{PlayerConfig, PlayerNote};
pub use policy::{LineKind, Policy, Turn};
pub use practitioner::{PractitionerConfig, Script};
pub use scenario::{Scenario, ScenarioError};

use crate::app::{Input, SessionBuilder, SessionHooks};
use crate::config::{Config, CounterpartInput};
use crate::event::{samples_to_secs, AudioBlock, Event, SessionEvent, Speaker, Stats, Summary};
use crate::session::{FinishedSession, SessionMeta};
use crate::sinks::Sink;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::Transcriber;
use player::{Player, PlayerCmd};
use voice::{Tts, VoiceError, VoiceSpec};

/// The role-play log written beside a recording.
pub const LOG_FILE: &str = "roleplay.json";

#[derive(Debug, thiserror::Error)]
pub enum RoleplayError {
    #[error(transparent)]
    Voice(#[from] VoiceError),
    #[error("{0}")]
    Output(String),
    #[error("simulated practitioner: {0}")]
    Practitioner(String),
    #[error("{0:#}")]
    Session(anyhow::Error),
}

/// How a role-play runs.
#[derive(Debug, Clone)]
pub struct RoleplayOptions {
    /// Input device of the practitioner (`None`: the default input).
    pub mic: Option<String>,
    pub player: PlayerConfig,
    /// A simulated practitioner (headless runs).
    pub practitioner: Option<(Script, PractitionerConfig)>,
    /// TTS cache directory ([`voice::default_cache_dir`]).
    pub tts_cache: PathBuf,
    /// Where the session directory goes; `None`: not recorded.
    pub record_dir: Option<PathBuf>,
    pub meta: SessionMeta,
    /// Stop after this much stream time.
    pub limit_secs: Option<f64>,
    /// Start of the variant rotation (e.g. how many times the scenario ran before).
    pub rotation_offset: usize,
    /// Transcribe the counterpart's channel with Whisper like a person's. Off (the default):
    /// its utterances are the lines it said, placed where they were played (exact text, and
    /// the transcriber stays free for the practitioner, which keeps replies quick on 2 cores).
    pub transcribe_counterpart: bool,
    /// The counterpart picks up after this long (capture is running by then).
    pub opening_delay: Duration,
    pub stats: Arc<Stats>,
}

impl Default for RoleplayOptions {
    fn default() -> Self {
        RoleplayOptions {
            mic: None,
            player: PlayerConfig::default(),
            practitioner: None,
            tts_cache: voice::default_cache_dir(),
            record_dir: None,
            meta: SessionMeta::default(),
            limit_secs: None,
            rotation_offset: 0,
            transcribe_counterpart: false,
            opening_delay: Duration::from_millis(800),
            stats: Arc::default(),
        }
    }
}

/// What a role-play reports while it runs.
#[derive(Debug)]
pub enum RoleplayEvent<'a> {
    /// The session started: when it is recorded, `info.id` is its id (the directory exists).
    /// Comes after the voice is ready and the output open, before any pipeline event.
    Began(&'a crate::session::SessionInfo),
    /// Counterpart lines synthesized (or found in the cache) before the call.
    Prepared { synthesized: usize, cached: usize },
    /// The pipeline's audio and records (transcript, cues, warnings), as in practice.
    Pipeline(Event<'a>),
    /// The counterpart chose its next line.
    Decided { turn: &'a Turn, text: &'a str },
    /// The counterpart's voice thread reported something.
    Counterpart {
        note: &'a PlayerNote,
        text: Option<&'a str>,
    },
}

/// How the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// The counterpart said a commitment line.
    Commitment,
    /// The counterpart hung up.
    HangUp,
    /// Stopped before either (Ctrl-C, duration, script exhausted).
    Open,
}

impl CallResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Commitment => "commitment",
            CallResult::HangUp => "hang_up",
            CallResult::Open => "open",
        }
    }
}

/// One counterpart line in the log.
#[derive(Debug, Clone, Serialize)]
pub struct LineLog {
    pub line: usize,
    pub text: String,
    pub kind: LineKind,
    pub why: String,
    /// Stream seconds; `None` when it never played (cut before it started).
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// End of the practitioner's utterance to the first sample's predicted playback.
    pub latency_ms: Option<f64>,
    pub interrupted: bool,
    /// The persona's pause before this answer (`[timing]` of the scenario, by what the line
    /// says), and how long the ready line was held back for it; `None` for the opening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_ms: Option<f64>,
}

/// A barge-in.
#[derive(Debug, Clone, Serialize)]
pub struct InterruptionLog {
    /// Where the counterpart stopped (stream seconds).
    pub time: f64,
    /// Where "me" started speaking.
    pub me_onset: f64,
    pub line: usize,
}

/// `roleplay.json` (version 1): the scenario, how the call ended, the counterpart's lines
/// with their reply latency, and the interruptions. Times are stream seconds (`audio.wav`).
#[derive(Debug, Clone, Serialize)]
pub struct RoleplayLog {
    pub version: u32,
    pub scenario: String,
    pub title: String,
    pub voice: String,
    pub result: CallResult,
    pub lines: Vec<LineLog>,
    pub interruptions: Vec<InterruptionLog>,
    /// Output device as opened: name, rate, channels.
    pub output: Option<String>,
}

impl RoleplayLog {
    /// Reply latencies (ms) of the lines that answered the practitioner: end of speech to the
    /// first audio, as heard (with the persona's pause).
    pub fn reply_latencies_ms(&self) -> Vec<f64> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Opening)
            .filter_map(|l| l.latency_ms)
            .collect()
    }

    /// The machine's part of each reply latency (ms): the heard latency less the time the
    /// ready line was held back for the persona's pause.
    pub fn machine_latencies_ms(&self) -> Vec<f64> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Opening)
            .filter_map(|l| l.latency_ms.map(|ms| ms - l.held_ms.unwrap_or(0.0)))
            .collect()
    }
}

/// The outcome of [`run`].
pub struct RoleplayOutcome {
    pub result: CallResult,
    pub log: RoleplayLog,
    pub summary: Summary,
    pub recording: Option<FinishedSession>,
    pub transcriber: Transcriber,
}

/// Runs a role-play until the counterpart commits or hangs up, the simulated practitioner has
/// said everything, `stop` is set or the duration limit is reached. The practitioner's mic is
/// captured live; the counterpart speaks through the output device and its played samples are
/// the "them" channel of the session (recorded when `opts.record_dir` is set, with
/// `roleplay.json` beside). `on_event` runs on the calling thread.
pub fn run(
    cfg: &Config,
    scenario: &Scenario,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    opts: RoleplayOptions,
    on_event: &mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
) -> Result<RoleplayOutcome, RoleplayError> {
    let session_err = RoleplayError::Session;
    // Every line of the scenario, synthesized before the call so a reply starts at once.
    let tts = Tts::new(opts.tts_cache.clone()).with_models_dir(&cfg.models.dir);
    let spec = VoiceSpec::parse(&scenario.voice)
        .map_err(|m| RoleplayError::Output(format!("{}: voice: {m}", scenario.source)))?;
    let (lines16, st) = tts.lines(&spec, &scenario.lines)?;
    let interrupts = opts
        .practitioner
        .as_ref()
        .map(|(s, _)| s.interrupts.clone())
        .unwrap_or_default();
    let clips = match &opts.practitioner {
        Some((script, _)) => {
            practitioner::check_paplay().map_err(RoleplayError::Practitioner)?;
            practitioner::prepare(script, &tts)?
        }
        None => Vec::new(),
    };
    on_event(&RoleplayEvent::Prepared {
        synthesized: st.synthesized,
        cached: st.cached,
    })
    .map_err(session_err)?;
    // Whisper's first decode is slower than the rest (buffers, caches): pay it now, on the
    // opening line, rather than on the practitioner's first utterance.
    let mut transcriber = transcriber;
    // The voice, its playback and the VAD of both channels run beside the decoder for the
    // whole call: unless the config chose, leave them a core (restored for the caller).
    let threads_before = transcriber.threads();
    if !transcriber.threads_configured() {
        transcriber.set_threads(crate::transforms::transcribe::threads_beside_realtime());
    }
    if let Some(first) = scenario.opening.first().and_then(|l| lines16.get(*l)) {
        let _ = transcriber.transcribe(first, crate::transforms::transcribe::DecodeMode::Utterance);
    }
    let gaps = answer_gaps(scenario, coach);

    let (feed_tx, feed_rx) = crossbeam_channel::bounded::<crate::app::FeedItem>(256);
    let (vad_tx, vad_rx) = crossbeam_channel::bounded(1024);
    let t0 = Instant::now();
    let texts = (!opts.transcribe_counterpart).then(|| scenario.lines.clone());
    let player = Player::spawn(
        opts.player.clone(),
        lines16,
        t0,
        stop.clone(),
        feed_tx,
        vad_rx,
        texts,
    )
    .map_err(|e| RoleplayError::Output(format!("cannot start the counterpart thread: {e}")))?;
    let mut log = RoleplayLog {
        version: 1,
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        voice: scenario.voice.clone(),
        result: CallResult::Open,
        lines: Vec::new(),
        interruptions: Vec::new(),
        output: None,
    };
    // Wait for the output to open: without it there is no role-play.
    let wait = opts.player.start_timeout + Duration::from_secs(2);
    match player.notes.recv_timeout(wait) {
        Ok(PlayerNote::Ready {
            device,
            rate,
            channels,
        }) => {
            log.output = Some(format!("{device} ({channels} ch, {rate} Hz)"));
            let note = PlayerNote::Ready {
                device,
                rate,
                channels,
            };
            on_event(&RoleplayEvent::Counterpart {
                note: &note,
                text: None,
            })
            .map_err(session_err)?;
        }
        Ok(PlayerNote::Failed { message }) => {
            stop.store(true, Ordering::Relaxed);
            player.join();
            return Err(RoleplayError::Output(message));
        }
        other => {
            stop.store(true, Ordering::Relaxed);
            player.join();
            return Err(RoleplayError::Output(format!(
                "the output did not open within {wait:?} ({other:?})"
            )));
        }
    }

    let mut policy = Policy::new(scenario).with_rotation_offset(scenario, opts.rotation_offset);
    let opening = policy.opening(scenario);
    let call_over = Arc::new(AtomicBool::new(false));
    let practitioner_done = Arc::new(AtomicBool::new(false));
    let (perr_tx, perr_rx) = crossbeam_channel::bounded::<String>(64);
    let mut pthread = None;
    if let Some((_, pcfg)) = &opts.practitioner {
        pthread = Some(
            practitioner::spawn(
                pcfg.clone(),
                clips,
                interrupts,
                player.shared.clone(),
                call_over.clone(),
                stop.clone(),
                practitioner_done.clone(),
                perr_tx,
            )
            .map_err(|e| RoleplayError::Practitioner(e.to_string()))?,
        );
    }

    let mut ctl = Controller {
        scenario,
        policy: &mut policy,
        player: &player,
        log: &mut log,
        call_over: call_over.clone(),
        practitioner_done: practitioner_done.clone(),
        has_practitioner: opts.practitioner.is_some(),
        stop: stop.clone(),
        end_at: None,
        failed: None,
        gaps,
        stats: opts.stats.clone(),
    };
    ctl.say(
        &opening,
        None,
        Some(Instant::now() + opts.opening_delay),
        on_event,
    )
    .map_err(session_err)?;

    let input = Input::Live {
        mic: opts.mic.clone(),
        counterpart: CounterpartInput::None,
    };
    // The counterpart plugs into the session's wiring as a source (the "them" feed of its
    // played samples, with VAD notices for barge-in) and a sink (the controller below).
    let hooks = SessionHooks {
        them_feed: Some(feed_rx),
        transcribe_them_feed: opts.transcribe_counterpart,
        vad: Some(vad_tx),
    };
    let mut sink = CounterpartSink {
        ctl,
        on_event,
        practitioner_errors: perr_rx,
    };
    let result = SessionBuilder::new(cfg, input)
        .stop_flag(stop.clone())
        .limit_secs(opts.limit_secs)
        .stats(opts.stats.clone())
        .record(opts.record_dir.clone(), opts.meta.clone())
        .hooks(hooks)
        .sink(&mut sink)
        .run(transcriber, coach);
    let CounterpartSink {
        mut ctl, on_event, ..
    } = sink;
    stop.store(true, Ordering::Relaxed);
    // Notes that came after the last pipeline event.
    let _ = ctl.drain_notes(on_event);
    let failed = ctl.failed.take();
    drop(ctl);
    player.join();
    if let Some(t) = pthread {
        let _ = t.join();
    }
    let out = result.map_err(session_err)?;
    if let Some(f) = failed {
        return Err(RoleplayError::Output(f));
    }
    log.result = match policy.ended() {
        Some(LineKind::Commitment) => CallResult::Commitment,
        Some(LineKind::HangUp) => CallResult::HangUp,
        _ => CallResult::Open,
    };
    if let Some(r) = &out.recording {
        let path = r.dir.join(LOG_FILE);
        let text = serde_json::to_string_pretty(&log).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, text + "\n") {
            let _ = warn(on_event, format!("cannot write {}: {e}", path.display()));
        }
    }
    let mut transcriber = out.transcriber;
    transcriber.set_threads(threads_before);
    Ok(RoleplayOutcome {
        result: log.result,
        log,
        summary: out.summary,
        recording: out.recording,
        transcriber,
    })
}

/// The answer gap of every line of `scenario` (ms), by the act the coach hears in it as an
/// answer to a yes/no question: "Uhm, I guess so." is a counterfeit yes and comes after a
/// beat, "No." at once. The coach is reset before and after.
fn answer_gaps(scenario: &Scenario, coach: &mut Coach) -> Vec<u32> {
    let mut cues = Vec::new();
    let gaps = scenario
        .lines
        .iter()
        .map(|text| {
            coach.reset();
            let mut said = |speaker, id, text: &str| {
                cues.clear();
                coach
                    .process(
                        crate::event::Utterance {
                            id,
                            speaker,
                            start_sample: 0,
                            end_sample: 0,
                            text: text.to_string(),
                            latency_ms: None,
                            hesitation: None,
                            prosody: None,
                        },
                        &mut cues,
                    )
                    .act
            };
            said(Speaker::Me, 0, "Is now a good time to talk?");
            scenario.timing.gap_ms(said(Speaker::Them, 1, text))
        })
        .collect();
    coach.reset();
    gaps
}

/// Shows a warning as a record of the session (not recorded in `events.jsonl`).
fn warn(
    on_event: &mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
    message: String,
) -> anyhow::Result<()> {
    on_event(&RoleplayEvent::Pipeline(Event::Record(
        &SessionEvent::Warning { message },
    )))
}

/// The role-play as a sink of its session: every record and block goes to the caller's
/// `on_event`, and the controller answers the practitioner's utterances.
struct CounterpartSink<'c, 'f> {
    ctl: Controller<'c>,
    on_event: &'f mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
    practitioner_errors: crossbeam_channel::Receiver<String>,
}

impl CounterpartSink<'_, '_> {
    fn on(&mut self, ev: Event<'_>) -> anyhow::Result<()> {
        (self.on_event)(&RoleplayEvent::Pipeline(ev))?;
        self.ctl.on_pipeline(ev, self.on_event)?;
        while let Ok(e) = self.practitioner_errors.try_recv() {
            warn(self.on_event, format!("simulated practitioner: {e}"))?;
        }
        Ok(())
    }
}

impl Sink for CounterpartSink<'_, '_> {
    fn begin(&mut self, info: &crate::session::SessionInfo) -> std::io::Result<()> {
        (self.on_event)(&RoleplayEvent::Began(info))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }

    fn audio(&mut self, block: &AudioBlock) -> std::io::Result<()> {
        self.on(Event::Audio(block))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }

    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        self.on(Event::Record(ev))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }
}

/// The session-thread side of the role-play: policy decisions, notes, the end of the call.
struct Controller<'a> {
    scenario: &'a Scenario,
    policy: &'a mut Policy,
    player: &'a Player,
    log: &'a mut RoleplayLog,
    call_over: Arc<AtomicBool>,
    practitioner_done: Arc<AtomicBool>,
    has_practitioner: bool,
    stop: Arc<AtomicBool>,
    /// When to stop the session (the call is over and its last words are in).
    end_at: Option<Instant>,
    failed: Option<String>,
    /// The answer gap of each line (ms), by what it says.
    gaps: Vec<u32>,
    /// The session's stats: stream time 0 on the wall clock.
    stats: Arc<Stats>,
}

/// After the final line: time for the "them" segment to close before stopping (its tail is
/// flushed through the VAD at stop, then transcribed and classified).
const END_TAIL: Duration = Duration::from_millis(700);

impl Controller<'_> {
    fn say(
        &mut self,
        turn: &Turn,
        reply_to: Option<u64>,
        not_before: Option<Instant>,
        on_event: &mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let text = self.scenario.line(turn.line);
        on_event(&RoleplayEvent::Decided { turn, text })?;
        // A reply waits for the persona's pause after the end of the practitioner's speech
        // (stream time on the wall clock), when it is ready sooner.
        let mut not_before = not_before;
        let (mut gap_ms, mut held_ms) = (None, None);
        if let (Some(end), Some(started)) = (reply_to, self.stats.started.get()) {
            let gap = self.gaps.get(turn.line).copied().unwrap_or(0);
            let at = *started
                + Duration::from_secs_f64(samples_to_secs(end))
                + Duration::from_millis(u64::from(gap));
            let now = Instant::now();
            gap_ms = Some(gap);
            held_ms = Some(at.saturating_duration_since(now).as_secs_f64() * 1000.0);
            if at > now {
                not_before = Some(not_before.map_or(at, |t| t.max(at)));
            }
        }
        self.log.lines.push(LineLog {
            line: turn.line,
            text: text.to_string(),
            kind: turn.kind,
            why: turn.why.clone(),
            start: None,
            end: None,
            latency_ms: None,
            interrupted: false,
            gap_ms,
            held_ms,
        });
        if turn.kind.ends_call() {
            self.call_over.store(true, Ordering::Release);
        }
        let cmd = PlayerCmd::Say {
            line: turn.line,
            kind: turn.kind,
            reply_to,
            not_before,
        };
        if self.player.cmd.try_send(cmd).is_err() {
            warn(
                on_event,
                "the counterpart's voice thread is not taking lines".into(),
            )?;
        }
        Ok(())
    }

    fn on_pipeline(
        &mut self,
        ev: Event<'_>,
        on_event: &mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if let Event::Record(SessionEvent::Utterance {
            speaker: Speaker::Me,
            act,
            text,
            end,
            ..
        }) = ev
        {
            if let Some(turn) = self.policy.respond(self.scenario, *act, text) {
                let end_sample = crate::event::secs_to_samples(*end);
                self.say(&turn, Some(end_sample), None, on_event)?;
            }
        }
        self.drain_notes(on_event)?;
        let quiet = !self.player.shared.speaking.load(Ordering::Acquire);
        // A final line (commitment, hang-up) that was decided but has not started yet also
        // leaves the voice quiet: its own end starts the tail (see `drain_notes`), so a busy
        // voice thread cannot have the call stopped in the middle of it.
        if self.end_at.is_none()
            && self.has_practitioner
            && self.practitioner_done.load(Ordering::Acquire)
            && !self.call_over.load(Ordering::Acquire)
            && quiet
        {
            self.end_at = Some(Instant::now() + END_TAIL);
        }
        if self.end_at.is_some_and(|t| Instant::now() >= t) {
            self.stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    fn drain_notes(
        &mut self,
        on_event: &mut dyn FnMut(&RoleplayEvent) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        while let Ok(note) = self.player.notes.try_recv() {
            let line_of = |n: &PlayerNote| match n {
                PlayerNote::Started { line, .. }
                | PlayerNote::Finished { line, .. }
                | PlayerNote::Interrupted { line, .. } => Some(*line),
                _ => None,
            };
            let text = line_of(&note).map(|l| self.scenario.line(l));
            on_event(&RoleplayEvent::Counterpart { note: &note, text })?;
            // The log entry of a line: the latest one with that line id still open.
            let entry = line_of(&note).and_then(|l| {
                self.log
                    .lines
                    .iter_mut()
                    .rev()
                    .find(|x| x.line == l && x.end.is_none())
            });
            match (&note, entry) {
                (
                    PlayerNote::Started {
                        at_sample,
                        latency_ms,
                        ..
                    },
                    Some(e),
                ) => {
                    e.start = Some(samples_to_secs(*at_sample));
                    e.latency_ms = *latency_ms;
                }
                (
                    PlayerNote::Finished {
                        at_sample,
                        interrupted,
                        kind,
                        ..
                    },
                    e,
                ) => {
                    if let Some(e) = e {
                        e.end = Some(samples_to_secs(*at_sample));
                        e.interrupted = *interrupted;
                    }
                    if kind.ends_call() {
                        self.end_at = Some(Instant::now() + END_TAIL);
                    }
                }
                (
                    PlayerNote::Interrupted {
                        line,
                        at_sample,
                        me_onset_sample,
                    },
                    _,
                ) => {
                    self.log.interruptions.push(InterruptionLog {
                        time: samples_to_secs(*at_sample),
                        me_onset: samples_to_secs(*me_onset_sample),
                        line: *line,
                    });
                }
                (PlayerNote::Failed { message }, _) => {
                    self.failed.get_or_insert(message.clone());
                    self.stop.store(true, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Median and 95th percentile (nearest rank) of `v`; `None` when empty.
pub fn p50_p95(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    Some((
        crate::metrics::percentile(v, 50.0),
        crate::metrics::percentile(v, 95.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prospect_answers_no_at_once_and_a_counterfeit_yes_after_a_beat() {
        let scenario = Scenario::load("insurance_cold_call").unwrap();
        let mut coach = Coach::load(None).unwrap();
        let gaps = answer_gaps(&scenario, &mut coach);
        assert_eq!(gaps.len(), scenario.lines.len());
        let gap = |text: &str| {
            let i = scenario.lines.iter().position(|l| l == text).unwrap();
            gaps[i]
        };
        let t = scenario.timing;
        assert_eq!(
            gap("Uhm, I guess so. What is this about?"),
            t.counterfeit_yes_ms
        );
        assert_eq!(
            gap("Look, I'm not interested. Please take me off your list. Goodbye."),
            t.no_ms
        );
        assert_eq!(
            gap("Okay, let's do it. Book me for Thursday at ten and send me the invite."),
            t.commitment_yes_ms
        );
        assert!(t.no_ms < t.commitment_yes_ms && t.commitment_yes_ms < t.counterfeit_yes_ms);
    }

    #[test]
    fn percentiles() {
        assert_eq!(p50_p95(&[]), None);
        assert_eq!(p50_p95(&[3.0, 1.0, 2.0]), Some((2.0, 3.0)));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p50_p95(&v), Some((50.0, 95.0)));
    }
}
