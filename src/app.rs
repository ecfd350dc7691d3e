//! Pipeline wiring: the one place that spawns threads and creates channels.
//!
//! ```text
//!  source thread(s) ──AudioBlock──> segmenter (same thread) ──SegmentEvent──> transcriber thread
//!        │                                                                        │
//!        └──────────── Msg::Audio ──────────> session thread (caller) <── Msg::Utterance
//!                                              coach -> cues -> sinks (terminal, recording)
//! ```
//!
//! Channel edges and what happens when they are full:
//! - cpal callback -> capture thread: `rtrb` ring of `audio.ring_secs`; full: drop newest
//!   samples and count them (`dropped_samples` in the summary and status).
//! - capture -> transcriber (`SegmentEvent`, bounded 256): block. Segments are rare; blocking
//!   only happens when Whisper is far behind, and then the ring above absorbs it.
//! - capture/transcriber -> session thread (`Msg`, bounded 4096): block (the session thread
//!   only does cheap work: classify, write, print).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::audio::resample::{downmix_into, pick_channel_into, Resampler};
use crate::cli::Speed;
use crate::config::{Config, CounterpartInput};
use crate::event::{
    samples_to_secs, AudioBlock, ClassifiedUtterance, Cue, Hesitation, Speaker, Unclear, Utterance,
    SAMPLE_RATE_HZ,
};
use crate::session::{FinishedSession, SessionMeta};
use crate::sinks::recording::RecordingSink;
use crate::sources::microphone;
use crate::sources::replay::{Blocks, Replay};
use crate::transforms::coach::Coach;
use crate::transforms::segment::{SegmentEvent, Segmenter};
use crate::transforms::transcribe::{DecodeMode, Transcriber};

/// Where the audio comes from.
#[derive(Debug, Clone)]
pub enum Input {
    Replay {
        path: PathBuf,
        them: Option<PathBuf>,
        speed: Speed,
        blocks: Blocks,
    },
    /// The built-in sample call, replayed from memory (see [`Replay::sample`]).
    Sample { speed: Speed, blocks: Blocks },
    Live {
        mic: Option<String>,
        counterpart: CounterpartInput,
    },
}

pub use crate::session::DeviceChange;

/// What the session thread hands to sinks.
#[derive(Debug, Clone)]
pub enum Event {
    /// Captured audio of one channel (16 kHz), for recording and level meters.
    Audio(AudioBlock),
    Utterance(ClassifiedUtterance),
    /// Speech that gave no accepted text (see [`Unclear`]).
    Unclear(Unclear),
    Cue(Cue),
    Device {
        speaker: Speaker,
        change: DeviceChange,
        at_sample: u64,
        detail: String,
    },
    /// A non-fatal problem worth showing once (e.g. a failed decode).
    Warning(String),
}

/// Messages into the session thread.
enum Msg {
    Audio(AudioBlock),
    Utterance(Utterance),
    Unclear(Unclear),
    Device {
        speaker: Speaker,
        change: DeviceChange,
        at_sample: u64,
        detail: String,
    },
    Warning(String),
    /// A source could not start; the session cannot run.
    Fatal(String),
}

/// Counters visible in status and at the end of a session.
#[derive(Debug, Default)]
pub struct Stats {
    /// Stream position reached (samples at 16 kHz), for status.
    pub stream_samples: AtomicU64,
    pub dropped_samples: AtomicU64,
    pub decode_errors: AtomicU64,
    pub segments_decoded: AtomicU64,
    pub segments_reused: AtomicU64,
    /// Time spent in Whisper decodes, microseconds (for the real-time factor).
    pub decode_micros: AtomicU64,
    /// When the first source started delivering: stream time 0 on the wall clock (at real-time
    /// pace stream second x arrives at `started + x`).
    pub started: std::sync::OnceLock<Instant>,
}

/// The outcome of a session.
#[derive(Debug, Default)]
pub struct Summary {
    pub utterances: Vec<ClassifiedUtterance>,
    /// Speech that gave no accepted text.
    pub unclear: Vec<Unclear>,
    pub cues: Vec<Cue>,
    pub stream_samples: u64,
    pub dropped_samples: u64,
    pub decode_errors: u64,
    pub channels: Vec<Speaker>,
    pub wall_secs: f64,
}

/// Options of a recorded session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Where the session directory goes; `None`: not recorded.
    pub record_dir: Option<PathBuf>,
    pub meta: SessionMeta,
    /// Stop after this much stream time.
    pub limit_secs: Option<f64>,
    /// Live counters (dropped samples, decodes), readable while the session runs.
    pub stats: Arc<Stats>,
}

/// The outcome of [`run_recorded_session`].
pub struct Outcome {
    pub summary: Summary,
    /// The finished recording (directory, scorecard), when recorded.
    pub recording: Option<FinishedSession>,
    pub transcriber: Transcriber,
}

/// Number of channels an input will deliver (1: "me" only, 2: "me" and "them").
pub fn input_channels(input: &Input) -> Result<u16> {
    Ok(match input {
        Input::Replay { path, them, .. } => {
            if them.is_some() || crate::audio::wav::probe_channels(path)? >= 2 {
                2
            } else {
                1
            }
        }
        Input::Sample { .. } => 2,
        Input::Live { counterpart, .. } => {
            if *counterpart == CounterpartInput::None {
                1
            } else {
                2
            }
        }
    })
}

/// Extra edges of a session beyond its [`Input`], for role-play (see [`crate::roleplay`]).
#[derive(Debug, Default)]
pub struct SessionHooks {
    /// The "them" channel from a feed instead of a device: 16 kHz mono blocks, contiguous from
    /// stream position 0 (the feed sends silence too). Its thread pushes each block through the
    /// VAD and on, like a capture thread; it ends when the sender is dropped or `stop` is set.
    /// Full (the feed's bounded channel): the feed's sender decides (role-play blocks briefly).
    pub them_feed: Option<Receiver<FeedItem>>,
    /// Run the feed's audio through VAD and Whisper like a person's channel. Off: the audio is
    /// recorded as is and the feed sends its utterances itself (a scripted counterpart knows
    /// what it said; this keeps the transcriber free for "me").
    pub transcribe_them_feed: bool,
    /// Told whenever a channel's VAD enters or leaves speech (barge-in). Full: the notice is
    /// dropped (`try_send`), a capture thread never waits on it.
    pub vad: Option<Sender<VadActivity>>,
}

/// What a "them" feed delivers, in stream order.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// The next 16 kHz samples of the channel.
    Audio(Vec<f32>),
    /// A finished utterance of the channel (used when the feed is not transcribed).
    Utterance(Utterance),
}

/// A channel's voice activity changed at `at_sample` (the end of the block that changed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VadActivity {
    pub speaker: Speaker,
    pub speaking: bool,
    pub at_sample: u64,
}

/// Runs a session like [`run_session`] and records it (audio, events, exports, scorecard)
/// when `opts.record_dir` is set. A recording failure (e.g. a full disk) is reported once as a
/// warning event and the call goes on; what was recorded is kept.
pub fn run_recorded_session(
    cfg: &Config,
    input: &Input,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    opts: SessionOptions,
    on_event: &mut dyn FnMut(&Event) -> Result<()>,
) -> Result<Outcome> {
    run_recorded_session_with(
        cfg,
        input,
        transcriber,
        coach,
        stop,
        opts,
        SessionHooks::default(),
        on_event,
    )
}

/// [`run_recorded_session`] with [`SessionHooks`].
#[allow(clippy::too_many_arguments)]
pub fn run_recorded_session_with(
    cfg: &Config,
    input: &Input,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    opts: SessionOptions,
    hooks: SessionHooks,
    on_event: &mut dyn FnMut(&Event) -> Result<()>,
) -> Result<Outcome> {
    let channels = if hooks.them_feed.is_some() {
        2
    } else {
        input_channels(input)?
    };
    let mut rec = match &opts.record_dir {
        Some(dir) => {
            // Loaded before the session starts, so a malformed file stops nothing mid-call.
            let rewrites =
                crate::transforms::rewrite::RewriteRules::load(cfg.coach.rewrites.as_deref())?;
            let mut r = RecordingSink::begin(dir, opts.meta.clone(), channels)?;
            r.set_rewrites(rewrites);
            Some(r)
        }
        None => None,
    };
    let mut forward = |ev: &Event| -> Result<()> {
        if let Some(r) = rec.as_mut() {
            let warning = match ev {
                Event::Audio(b) => r.handle_audio(b),
                Event::Utterance(cu) => r.handle_utterance(cu),
                Event::Unclear(u) => r.handle_unclear(u),
                Event::Cue(c) => r.handle_cue(c),
                Event::Device {
                    speaker,
                    change,
                    at_sample,
                    detail,
                } => r.handle_device(*speaker, *change, *at_sample, detail),
                Event::Warning(_) => None,
            };
            if let Some(w) = warning {
                on_event(&Event::Warning(format!("recording: {w}")))?;
            }
        }
        on_event(ev)
    };
    let result = run_session_with(
        cfg,
        input,
        transcriber,
        coach,
        stop,
        opts.limit_secs,
        opts.stats.clone(),
        hooks,
        &mut forward,
    );
    // Finish the recording whatever happened to the session: what was captured is kept.
    let recording = match rec {
        Some(r) => Some(r.finish()?),
        None => None,
    };
    let (summary, transcriber) = result?;
    Ok(Outcome {
        summary,
        recording,
        transcriber,
    })
}

#[allow(clippy::too_many_arguments)] // the pipeline's parts, each owned by the caller
/// Runs a session to its end (source exhausted, `stop` set, or the duration limit).
/// `transcriber` is moved to its thread and handed back with the summary, so a daemon keeps
/// the model loaded between sessions. `on_event` runs on the calling thread.
pub fn run_session(
    cfg: &Config,
    input: &Input,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    limit_secs: Option<f64>,
    stats: Arc<Stats>,
    on_event: &mut dyn FnMut(&Event) -> Result<()>,
) -> Result<(Summary, Transcriber)> {
    run_session_with(
        cfg,
        input,
        transcriber,
        coach,
        stop,
        limit_secs,
        stats,
        SessionHooks::default(),
        on_event,
    )
}

/// [`run_session`] with [`SessionHooks`].
#[allow(clippy::too_many_arguments)]
pub fn run_session_with(
    cfg: &Config,
    input: &Input,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    limit_secs: Option<f64>,
    stats: Arc<Stats>,
    hooks: SessionHooks,
    on_event: &mut dyn FnMut(&Event) -> Result<()>,
) -> Result<(Summary, Transcriber)> {
    if hooks.them_feed.is_some() && input_channels(input)? == 2 {
        anyhow::bail!(
            "the input already has a counterpart channel; a \"them\" feed cannot be added"
        );
    }
    let started = Instant::now();
    let (msg_tx, msg_rx) = bounded::<Msg>(4096);
    let (seg_tx, seg_rx) = bounded::<SegmentEvent>(256);
    let limit = limit_secs.map(|s| (s * SAMPLE_RATE_HZ as f64) as u64);

    // Sources.
    let mut channels = vec![Speaker::Me];
    let mut source_threads = Vec::new();
    match input {
        Input::Replay { .. } | Input::Sample { .. } => {
            let (replay, speed, blocks) = match input {
                Input::Replay {
                    path,
                    them,
                    speed,
                    blocks,
                } => (Replay::load(path, them.as_deref())?, speed, blocks),
                Input::Sample { speed, blocks } => (Replay::sample()?, speed, blocks),
                Input::Live { .. } => unreachable!("matched above"),
            };
            if replay.has_counterpart() {
                channels.push(Speaker::Them);
            }
            let (speed, blocks) = (*speed, *blocks);
            let mut procs: HashMap<Speaker, ChannelProc> = channels
                .iter()
                .map(|s| {
                    (
                        *s,
                        ChannelProc::new(*s, cfg, seg_tx.clone(), msg_tx.clone())
                            .with_vad(hooks.vad.clone()),
                    )
                })
                .collect();
            let stop2 = stop.clone();
            let stats2 = stats.clone();
            source_threads.push(
                std::thread::Builder::new()
                    .name("ringside-replay".into())
                    .spawn(move || {
                        let _ = stats2.started.set(Instant::now());
                        replay.play(
                            speed,
                            blocks,
                            limit,
                            || stop2.load(Ordering::Relaxed),
                            |speaker, pos, block| {
                                if let Some(p) = procs.get_mut(&speaker) {
                                    p.push(pos, block);
                                }
                            },
                        );
                        for p in procs.values_mut() {
                            p.finish();
                        }
                    })
                    .context("cannot start the replay thread")?,
            );
        }
        Input::Live { mic, counterpart } => {
            let mut plan = vec![(mic.clone(), vec![(Speaker::Me, ChannelSel::Mix)])];
            match counterpart {
                CounterpartInput::None => {}
                CounterpartInput::RightChannel => {
                    plan[0].1 = vec![
                        (Speaker::Me, ChannelSel::Index(0)),
                        (Speaker::Them, ChannelSel::Index(1)),
                    ];
                    channels.push(Speaker::Them);
                }
                CounterpartInput::Device(name) => {
                    plan.push((Some(name.clone()), vec![(Speaker::Them, ChannelSel::Mix)]));
                    channels.push(Speaker::Them);
                }
            }
            for (device, sels) in plan {
                let procs: Vec<(ChannelSel, ChannelProc)> = sels
                    .into_iter()
                    .map(|(s, sel)| {
                        (
                            sel,
                            ChannelProc::new(s, cfg, seg_tx.clone(), msg_tx.clone())
                                .with_vad(hooks.vad.clone()),
                        )
                    })
                    .collect();
                let live = LiveSource {
                    device,
                    ring_secs: cfg.audio.ring_secs,
                    start_timeout: Duration::from_secs_f64(cfg.audio.start_timeout_secs),
                    procs,
                    stop: stop.clone(),
                    msg_tx: msg_tx.clone(),
                    stats: stats.clone(),
                    limit,
                };
                source_threads.push(
                    std::thread::Builder::new()
                        .name("ringside-capture".into())
                        .spawn(move || live.run())
                        .context("cannot start a capture thread")?,
                );
            }
        }
    }
    if let Some(feed) = hooks.them_feed {
        channels.push(Speaker::Them);
        let mut p = ChannelProc::new(Speaker::Them, cfg, seg_tx.clone(), msg_tx.clone())
            .with_vad(hooks.vad.clone());
        let (stop2, tx, transcribe) = (stop.clone(), msg_tx.clone(), hooks.transcribe_them_feed);
        source_threads.push(
            std::thread::Builder::new()
                .name("ringside-them-feed".into())
                .spawn(move || {
                    for item in feed.iter() {
                        if stop2.load(Ordering::Relaxed) || limit.is_some_and(|l| p.pos >= l) {
                            break;
                        }
                        let at = p.pos;
                        match item {
                            FeedItem::Audio(block) if transcribe => p.push(at, &block),
                            FeedItem::Audio(samples) => {
                                p.pos += samples.len() as u64;
                                let _ = tx.send(Msg::Audio(AudioBlock {
                                    speaker: Speaker::Them,
                                    start_sample: at,
                                    samples,
                                }));
                            }
                            FeedItem::Utterance(u) => {
                                let _ = tx.send(Msg::Utterance(u));
                            }
                        }
                    }
                    p.finish();
                })
                .context("cannot start the them-feed thread")?,
        );
    }
    drop(seg_tx);

    // Transcriber.
    let tx = msg_tx.clone();
    let tstats = stats.clone();
    let transcriber_thread = std::thread::Builder::new()
        .name("ringside-whisper".into())
        .spawn(move || transcribe_loop(transcriber, seg_rx, tx, tstats))
        .context("cannot start the transcriber thread")?;
    drop(msg_tx);

    // Session loop on this thread.
    let mut summary = Summary {
        channels: channels.clone(),
        ..Summary::default()
    };
    let mut next_id = 0u64;
    // End of the last speech (utterance or unclear turn) of each speaker, for the pause before
    // answering.
    let mut last_end: HashMap<Speaker, u64> = HashMap::new();
    let mut coach_clock = 0u64;
    let mut cues = Vec::new();
    let mut fatal = None;
    let mut sink_error: Option<anyhow::Error> = None;
    let mut emit = |ev: &Event, sink_error: &mut Option<anyhow::Error>| {
        if sink_error.is_none() {
            if let Err(e) = on_event(ev) {
                *sink_error = Some(e);
            }
        }
    };
    for msg in msg_rx.iter() {
        match msg {
            Msg::Audio(block) => {
                let end = block.start_sample + block.samples.len() as u64;
                if end > summary.stream_samples {
                    summary.stream_samples = end;
                    stats.stream_samples.store(end, Ordering::Relaxed);
                }
                emit(&Event::Audio(block), &mut sink_error);
            }
            Msg::Utterance(mut u) => {
                u.id = next_id;
                next_id += 1;
                // The pause before answering: from the other side's last speech to this onset,
                // when this utterance answers a turn of the other side.
                let other_end = last_end.get(&u.speaker.other()).copied();
                let own_end = last_end.get(&u.speaker).copied().unwrap_or(0);
                if let Some(o) = other_end.filter(|o| *o >= own_end && *o <= u.start_sample) {
                    let pause_ms = samples_to_secs(u.start_sample - o) * 1000.0;
                    if let Some(h) = u.hesitation.as_mut().filter(|_| pause_ms < 10_000.0) {
                        h.pause_before_ms = Some(pause_ms.round() as u32);
                    }
                }
                let e = last_end.entry(u.speaker).or_insert(0);
                *e = (*e).max(u.end_sample);
                // Timed cues advance with the utterances (the cue engine checks them on each
                // one), not with the audio: at replay speed the audio runs far ahead of
                // Whisper, and the cues must not depend on that race. Live, an utterance ends
                // at least every `vad.max_utterance_ms`.
                coach_clock = coach_clock.max(u.end_sample);
                let cu = coach.process(u, &mut cues);
                emit(&Event::Utterance(cu.clone()), &mut sink_error);
                summary.utterances.push(cu);
            }
            Msg::Device {
                speaker,
                change,
                at_sample,
                detail,
            } => {
                emit(
                    &Event::Device {
                        speaker,
                        change,
                        at_sample,
                        detail,
                    },
                    &mut sink_error,
                );
            }
            Msg::Unclear(u) => {
                let e = last_end.entry(u.speaker).or_insert(0);
                *e = (*e).max(u.end_sample);
                summary.unclear.push(u.clone());
                emit(&Event::Unclear(u), &mut sink_error);
            }
            Msg::Warning(w) => emit(&Event::Warning(w), &mut sink_error),
            Msg::Fatal(e) => {
                stop.store(true, Ordering::Relaxed);
                fatal.get_or_insert(e);
            }
        }
        for c in cues.drain(..) {
            emit(&Event::Cue(c.clone()), &mut sink_error);
            summary.cues.push(c);
        }
        if sink_error.is_some() {
            // A sink failure (e.g. disk full while recording) is reported by the caller; the
            // pipeline keeps running only if the sink chose to swallow it.
            stop.store(true, Ordering::Relaxed);
        }
    }
    for t in source_threads {
        let _ = t.join();
    }
    if summary.stream_samples > coach_clock {
        coach.on_time(summary.stream_samples, &mut cues);
        for c in cues.drain(..) {
            emit(&Event::Cue(c.clone()), &mut sink_error);
            summary.cues.push(c);
        }
    }
    let transcriber = transcriber_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the transcriber thread panicked"))?;
    summary.dropped_samples = stats.dropped_samples.load(Ordering::Relaxed);
    summary.decode_errors = stats.decode_errors.load(Ordering::Relaxed);
    summary.wall_secs = started.elapsed().as_secs_f64();
    if let Some(e) = fatal {
        anyhow::bail!(e);
    }
    if let Some(e) = sink_error {
        return Err(e);
    }
    Ok((summary, transcriber))
}

/// Segmenter plus the senders of one channel; lives on the channel's source thread.
struct ChannelProc {
    speaker: Speaker,
    segmenter: Segmenter,
    pos: u64,
    seg_tx: Sender<SegmentEvent>,
    msg_tx: Sender<Msg>,
    events: Vec<SegmentEvent>,
    vad: Option<Sender<VadActivity>>,
}

impl ChannelProc {
    fn new(
        speaker: Speaker,
        cfg: &Config,
        seg_tx: Sender<SegmentEvent>,
        msg_tx: Sender<Msg>,
    ) -> ChannelProc {
        ChannelProc {
            speaker,
            segmenter: Segmenter::new(speaker, &cfg.vad),
            pos: 0,
            seg_tx,
            msg_tx,
            events: Vec::new(),
            vad: None,
        }
    }

    fn with_vad(mut self, vad: Option<Sender<VadActivity>>) -> ChannelProc {
        self.vad = vad;
        self
    }

    fn push(&mut self, start: u64, samples: &[f32]) {
        self.pos = start + samples.len() as u64;
        let was_speaking = self.segmenter.in_speech();
        self.segmenter.process(start, samples, &mut self.events);
        if let Some(v) = &self.vad {
            let speaking = self.segmenter.in_speech();
            if speaking != was_speaking {
                let _ = v.try_send(VadActivity {
                    speaker: self.speaker,
                    speaking,
                    at_sample: self.pos,
                });
            }
        }
        self.forward();
        let _ = self.msg_tx.send(Msg::Audio(AudioBlock {
            speaker: self.speaker,
            start_sample: start,
            samples: samples.to_vec(),
        }));
    }

    fn finish(&mut self) {
        if let (Some(v), true) = (&self.vad, self.segmenter.in_speech()) {
            let _ = v.try_send(VadActivity {
                speaker: self.speaker,
                speaking: false,
                at_sample: self.pos,
            });
        }
        self.segmenter.finish(&mut self.events);
        self.forward();
    }

    fn forward(&mut self) {
        for e in self.events.drain(..) {
            let _ = self.seg_tx.send(e);
        }
    }
}

/// Which samples of a device's frames feed a channel.
#[derive(Debug, Clone, Copy)]
enum ChannelSel {
    Mix,
    Index(usize),
}

/// A capture device feeding one or two channels, reopened when it fails.
struct LiveSource {
    device: Option<String>,
    ring_secs: f64,
    start_timeout: Duration,
    procs: Vec<(ChannelSel, ChannelProc)>,
    stop: Arc<AtomicBool>,
    msg_tx: Sender<Msg>,
    stats: Arc<Stats>,
    limit: Option<u64>,
}

/// How long a lost named device is retried before falling back to the default input.
const FALLBACK_GRACE: Duration = Duration::from_secs(5);

impl LiveSource {
    fn speaker0(&self) -> Speaker {
        self.procs
            .first()
            .map(|(_, p)| p.speaker)
            .unwrap_or(Speaker::Me)
    }

    fn run(mut self) {
        let t0 = Instant::now();
        let _ = self.stats.started.set(t0);
        let mut first = true;
        let mut use_default = false;
        let mut lost_since: Option<Instant> = None;
        while !self.stop.load(Ordering::Relaxed) && !self.past_limit() {
            let name = if use_default {
                None
            } else {
                self.device.as_deref()
            };
            let opened = microphone::find_input(name)
                .and_then(|d| microphone::open(&d, self.ring_secs, self.start_timeout));
            let mut cap = match opened {
                Ok(c) => c,
                Err(e) => {
                    if first {
                        let _ = self.msg_tx.send(Msg::Fatal(e.to_string()));
                        break;
                    }
                    // Only the practitioner's mic falls back to the default input: the default
                    // input is the mic, so a counterpart falling back to it would hear "me" twice.
                    if !use_default
                        && self.device.is_some()
                        && self.speaker0() == Speaker::Me
                        && lost_since.is_some_and(|t| t.elapsed() > FALLBACK_GRACE)
                    {
                        use_default = true;
                        let at = self.pos();
                        let _ = self.msg_tx.send(Msg::Device {
                            speaker: self.speaker0(),
                            change: DeviceChange::Fallback,
                            at_sample: at,
                            detail: format!("{e}; falling back to the default input"),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(500));
                    self.pad_to_wall_clock(t0);
                    continue;
                }
            };
            lost_since = None;
            if !first {
                let at = self.pos();
                let _ = self.msg_tx.send(Msg::Device {
                    speaker: self.speaker0(),
                    change: DeviceChange::Restored,
                    at_sample: at,
                    detail: cap.name.clone(),
                });
            }
            first = false;
            self.capture(&mut cap, t0);
            if self.stop.load(Ordering::Relaxed) || self.past_limit() {
                break;
            }
            // The stream failed: report, then reopen.
            let at = self.pos();
            let _ = self.msg_tx.send(Msg::Device {
                speaker: self.speaker0(),
                change: DeviceChange::Lost,
                at_sample: at,
                detail: format!("input {:?} stopped delivering audio", cap.name),
            });
            if lost_since.is_none() {
                lost_since = Some(Instant::now());
            }
        }
        for (_, p) in self.procs.iter_mut() {
            p.finish();
        }
    }

    fn pos(&self) -> u64 {
        self.procs.first().map(|(_, p)| p.pos).unwrap_or(0)
    }

    fn past_limit(&self) -> bool {
        self.limit.is_some_and(|l| self.pos() >= l)
    }

    /// While a device is gone, the timeline keeps running: pad with silence up to the wall
    /// clock so the recording's gap has the length of the outage.
    fn pad_to_wall_clock(&mut self, t0: Instant) {
        let want = (t0.elapsed().as_secs_f64() * SAMPLE_RATE_HZ as f64) as u64;
        for (_, p) in self.procs.iter_mut() {
            if want > p.pos {
                let zeros = vec![0.0f32; (want - p.pos) as usize];
                let start = p.pos;
                p.push(start, &zeros);
            }
        }
    }

    fn capture(&mut self, cap: &mut microphone::Capture, t0: Instant) {
        let ch = cap.channels.max(1) as usize;
        let mut resamplers: Vec<Option<Resampler>> = self
            .procs
            .iter()
            .map(|_| Resampler::new(cap.rate).ok())
            .collect();
        let mut raw: Vec<f32> = Vec::with_capacity(cap.rate as usize * ch);
        let mut mono = Vec::with_capacity(cap.rate as usize);
        let mut out16 = Vec::with_capacity(SAMPLE_RATE_HZ as usize);
        let mut last_dropped = 0u64;
        let mut last_data = Instant::now();
        // A reopened device starts where the timeline is now.
        self.pad_to_wall_clock(t0);
        loop {
            if self.stop.load(Ordering::Relaxed) || self.past_limit() {
                return;
            }
            if cap.stats.failed.load(Ordering::Relaxed) {
                return;
            }
            let n = cap.consumer.slots();
            let n = n - n % ch;
            if n == 0 {
                if last_data.elapsed() > Duration::from_secs(3) {
                    // No callback for 3 s: the device is gone without an error report.
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            last_data = Instant::now();
            raw.clear();
            if let Ok(chunk) = cap.consumer.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                raw.extend_from_slice(a);
                raw.extend_from_slice(b);
                chunk.commit_all();
            }
            let dropped = cap.stats.dropped.load(Ordering::Relaxed);
            if dropped > last_dropped {
                self.stats
                    .dropped_samples
                    .fetch_add((dropped - last_dropped) / ch as u64, Ordering::Relaxed);
                last_dropped = dropped;
            }
            for (i, (sel, proc_)) in self.procs.iter_mut().enumerate() {
                mono.clear();
                match sel {
                    ChannelSel::Mix => downmix_into(&raw, ch, &mut mono),
                    ChannelSel::Index(k) => pick_channel_into(&raw, ch, *k, &mut mono),
                }
                out16.clear();
                match resamplers.get_mut(i).and_then(|r| r.as_mut()) {
                    Some(r) => r.process(&mono, &mut out16),
                    None => out16.extend_from_slice(&mono),
                }
                if !out16.is_empty() {
                    let start = proc_.pos;
                    proc_.push(start, &out16);
                }
            }
        }
    }
}

/// The transcriber thread: decodes tentative segments at once and reuses the text when the
/// final segment is the same audio.
fn transcribe_loop(
    mut t: Transcriber,
    rx: Receiver<SegmentEvent>,
    tx: Sender<Msg>,
    stats: Arc<Stats>,
) -> Transcriber {
    // Per speaker: (start, end, text, why no text) of the last tentative decode.
    type Decoded = (String, &'static str);
    let mut pending: HashMap<Speaker, (u64, u64, Decoded)> = HashMap::new();
    let decode = |t: &mut Transcriber, samples: &[f32]| -> Option<Decoded> {
        let started = Instant::now();
        let result = t.transcribe(samples, DecodeMode::Utterance);
        stats
            .decode_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        match result {
            Ok(tr) => {
                stats.segments_decoded.fetch_add(1, Ordering::Relaxed);
                Some((tr.text(), tr.unclear_reason()))
            }
            Err(e) => {
                stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(Msg::Warning(format!("{e}; the utterance is skipped")));
                None
            }
        }
    };
    for ev in rx.iter() {
        match ev {
            SegmentEvent::Tentative(seg) => {
                // At max speed the final segment is often already queued: skip the guess.
                if let Some(d) = decode(&mut t, &seg.samples) {
                    pending.insert(seg.speaker, (seg.start_sample, seg.end_sample, d));
                }
            }
            SegmentEvent::Resumed { speaker, .. } => {
                pending.remove(&speaker);
            }
            SegmentEvent::Final(seg) => {
                let reused = match pending.remove(&seg.speaker) {
                    Some((s, e, d)) if s == seg.start_sample && e == seg.end_sample => {
                        stats.segments_reused.fetch_add(1, Ordering::Relaxed);
                        Some(d)
                    }
                    _ => None,
                };
                let decoded = match reused {
                    Some(x) => Some(x),
                    None => decode(&mut t, &seg.samples),
                };
                let Some((text, reason)) = decoded else {
                    continue;
                };
                if text.trim().is_empty() {
                    // Speech without accepted text is still a turn: say so, don't drop it.
                    let _ = tx.send(Msg::Unclear(Unclear {
                        speaker: seg.speaker,
                        start_sample: seg.start_sample,
                        end_sample: seg.end_sample,
                        reason: reason.to_string(),
                    }));
                    continue;
                }
                let fillers = crate::transforms::transcribe::count_fillers(&text);
                let wait_ms = seg.closed_at.elapsed().as_secs_f64() * 1000.0;
                let hang_ms =
                    samples_to_secs(seg.closed_at_sample.saturating_sub(seg.end_sample)) * 1000.0;
                let _ = tx.send(Msg::Utterance(Utterance {
                    id: 0,
                    speaker: seg.speaker,
                    start_sample: seg.start_sample,
                    end_sample: seg.end_sample,
                    text,
                    latency_ms: Some(wait_ms + hang_ms),
                    // Measured: fillers here, the pause before answering on the session thread.
                    hesitation: Some(Hesitation {
                        fillers,
                        ..Hesitation::default()
                    }),
                }));
            }
        }
    }
    t
}

/// Transcribes a whole recording offline the way a live session hears it: the segmenter (VAD)
/// cuts utterances and each is decoded like a live one. `ringside transcribe` uses it, so a
/// file and a call give the same text, and silence or noise, which the VAD does not pass,
/// gives none. Runs on the caller's thread.
pub fn transcribe_offline(
    cfg: &Config,
    t: &mut Transcriber,
    samples: &[f32],
) -> Result<Vec<crate::transforms::transcribe::TextSpan>, crate::transforms::transcribe::AsrError> {
    let mut seg = Segmenter::new(Speaker::Me, &cfg.vad);
    let mut events = Vec::new();
    // Blocks of 20 ms, as from a sound card.
    for (i, block) in samples.chunks(SAMPLE_RATE_HZ as usize / 50).enumerate() {
        seg.process(
            (i * (SAMPLE_RATE_HZ as usize / 50)) as u64,
            block,
            &mut events,
        );
    }
    seg.finish(&mut events);
    let mut spans = Vec::new();
    for ev in events {
        if let SegmentEvent::Final(s) = ev {
            let tr = t.transcribe(&s.samples, DecodeMode::Utterance)?;
            let text = tr.text();
            if !text.is_empty() {
                spans.push(crate::transforms::transcribe::TextSpan {
                    start_secs: samples_to_secs(s.start_sample),
                    end_secs: samples_to_secs(s.end_sample),
                    text,
                });
            }
        }
    }
    Ok(spans)
}
