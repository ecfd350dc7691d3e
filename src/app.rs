//! Pipeline wiring: the one place that spawns threads and creates channels. A session is
//! built with [`SessionBuilder`] (input, sinks, recording, extra edges) and run on the
//! caller's thread, which becomes the session thread.
//!
//! ```text
//!  source thread(s) ──AudioBlock──> segmenter (same thread) ──SegmentEvent──> transcriber thread
//!        │                                                                        │
//!        └──────────── Msg::Audio ──────────> session thread (caller) <── Msg::Utterance
//!                                   coach -> cues -> SessionEvent -> sinks (recording first,
//!                                   then terminal / JSON / live stream / the caller's own)
//! ```
//!
//! Channel edges and what happens when they are full:
//! - cpal callback -> capture thread: `rtrb` ring of `audio.ring_secs`; full: drop newest
//!   samples and count them (`dropped_samples` in the summary and status).
//! - capture -> transcriber (`SegmentEvent`, bounded 256): block. Segments are rare; blocking
//!   only happens when Whisper is far behind, and then the ring above absorbs it.
//! - capture/transcriber -> session thread (`Msg`, bounded 4096): block (the session thread
//!   only does cheap work: classify, write, print).
//! - a role-play "them" feed and VAD notices: see [`SessionHooks`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::config::{Config, CounterpartInput};
use crate::event::{
    samples_to_secs, AudioBlock, DeviceNotice, Hesitation, SessionEvent, Speaker, SpeechSegment,
    Speed, Stats, Summary, TurnTiming, Unclear, Utterance, SAMPLE_RATE_HZ,
};
use crate::session::{FinishedSession, SessionInfo, SessionMeta};
use crate::sinks::recording::RecordingSink;
use crate::sinks::Sink;
use crate::sources::live::{Channel, ChannelSel, LiveSource, Notice};
use crate::sources::replay::{Blocks, Replay};
use crate::transforms::coach::Coach;
use crate::transforms::early::{Decoded, EarlyDecode};
use crate::transforms::prosody::{self, PitchStream};
use crate::transforms::segment::{SegmentEvent, Segmenter};
use crate::transforms::transcribe::{AsrError, DecodeMode, Transcriber};
use crate::transforms::turns::Turns;

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

impl Input {
    /// How "me" and "them" are heard, for the session's metadata: (me, them).
    pub fn devices(&self) -> (Option<String>, Option<String>) {
        match self {
            Input::Replay { path, them, .. } => (
                Some(format!("replay:{}", path.display())),
                them.as_ref().map(|t| format!("replay:{}", t.display())),
            ),
            Input::Sample { .. } => (Some("replay:built-in sample call".into()), None),
            Input::Live { mic, counterpart } => (
                Some(mic.clone().unwrap_or_else(|| "default".into())),
                counterpart.describe(),
            ),
        }
    }
}

/// Messages into the session thread.
enum Msg {
    Audio(AudioBlock),
    Utterance(Utterance),
    Unclear(Unclear),
    Device(DeviceNotice),
    Warning(String),
    /// Stop at max speed: transcription ended at `at_sample`; `skipped` queued utterances were
    /// dropped.
    Stopped {
        at_sample: u64,
        skipped: usize,
    },
    /// A source could not start; the session cannot run.
    Fatal(String),
}

/// The outcome of [`SessionBuilder::run`].
pub struct Outcome {
    pub summary: Summary,
    /// The finished recording (directory, scorecard), when recorded.
    pub recording: Option<FinishedSession>,
    /// Handed back, so a daemon keeps the model loaded between sessions.
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

/// One session, built step by step and run once: the input, the sinks, whether it is
/// recorded, and the extra edges of a role-play. Replaces a family of `run_*` functions with
/// long argument lists.
///
/// ```no_run
/// # fn demo(cfg: &ringside::config::Config, t: ringside::transforms::transcribe::Transcriber,
/// #         coach: &mut ringside::transforms::coach::Coach) -> anyhow::Result<()> {
/// use ringside::app::{Input, SessionBuilder};
/// use ringside::sinks::terminal::TerminalSink;
/// let mut term = TerminalSink::new(true);
/// let out = SessionBuilder::new(cfg, Input::Sample { speed: Default::default(), blocks: Default::default() })
///     .sink(&mut term)
///     .run(t, coach)?;
/// # let _ = out; Ok(()) }
/// ```
pub struct SessionBuilder<'a> {
    cfg: &'a Config,
    input: Input,
    stop: Arc<AtomicBool>,
    limit_secs: Option<f64>,
    stats: Arc<Stats>,
    record: Option<(PathBuf, SessionMeta)>,
    hooks: SessionHooks,
    sinks: Vec<&'a mut dyn Sink>,
}

impl<'a> SessionBuilder<'a> {
    pub fn new(cfg: &'a Config, input: Input) -> SessionBuilder<'a> {
        SessionBuilder {
            cfg,
            input,
            stop: Arc::new(AtomicBool::new(false)),
            limit_secs: None,
            stats: Arc::default(),
            record: None,
            hooks: SessionHooks::default(),
            sinks: Vec::new(),
        }
    }

    /// Set from anywhere to end the session within a block of audio.
    pub fn stop_flag(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// Stop after this much stream time.
    pub fn limit_secs(mut self, secs: Option<f64>) -> Self {
        self.limit_secs = secs;
        self
    }

    /// Live counters (dropped samples, decodes), readable while the session runs.
    pub fn stats(mut self, stats: Arc<Stats>) -> Self {
        self.stats = stats;
        self
    }

    /// Records the session (audio, events, exports, scorecard) into a new directory under
    /// `sessions_dir` (`None`: not recorded). A recording failure (e.g. a full disk) is shown
    /// once as a warning record and the call goes on; what was recorded is kept.
    pub fn record(mut self, sessions_dir: Option<PathBuf>, meta: SessionMeta) -> Self {
        self.record = sessions_dir.map(|d| (d, meta));
        self
    }

    /// The extra edges of a role-play: a "them" feed and VAD notices.
    pub fn hooks(mut self, hooks: SessionHooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// Adds a sink; sinks see every record in the order they were added.
    pub fn sink(mut self, sink: &'a mut dyn Sink) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Runs the session to its end (source exhausted, stop flag set, or the duration limit)
    /// on this thread. `transcriber` is moved to its thread and handed back in the outcome.
    pub fn run(self, transcriber: Transcriber, coach: &mut Coach) -> Result<Outcome> {
        let SessionBuilder {
            cfg,
            input,
            stop,
            limit_secs,
            stats,
            record,
            hooks,
            mut sinks,
        } = self;
        let channels = if hooks.them_feed.is_some() {
            2
        } else {
            input_channels(&input)?
        };
        let (mut rec, info) = match record {
            Some((dir, meta)) => {
                // Loaded before the session starts, so a malformed file stops nothing mid-call.
                let rewrites =
                    crate::transforms::rewrite::RewriteRules::load(cfg.coach.rewrites.as_deref())?;
                let mut r = RecordingSink::create(&dir, meta, channels)?;
                r.set_rewrites(rewrites);
                let info = r.info().clone();
                (Some(r), info)
            }
            None => (
                None,
                SessionInfo::unrecorded(SessionMeta::default(), channels),
            ),
        };
        let mut out = Dispatch {
            rec: rec.as_mut(),
            sinks: &mut sinks,
            error: None,
        };
        out.begin(&info);
        let ran = if out.error.is_some() {
            Err(anyhow::anyhow!("a sink failed to begin"))
        } else {
            run_pipeline(
                cfg,
                &input,
                transcriber,
                coach,
                stop,
                limit_secs,
                stats,
                hooks,
                &mut out,
            )
        };
        let sink_error = out.error.take();
        // Finish the recording whatever happened to the session: what was captured is kept.
        let recording = match rec {
            Some(r) => Some(r.finish()?),
            None => None,
        };
        let ran = ran?;
        if let Some(e) = ran.fatal {
            anyhow::bail!(e);
        }
        if let Some(e) = sink_error {
            return Err(e.into());
        }
        for s in sinks.iter_mut() {
            s.finish(&ran.summary)?;
        }
        Ok(Outcome {
            summary: ran.summary,
            recording,
            transcriber: ran.transcriber,
        })
    }
}

/// Hands audio and records to the recording (first, so its warnings reach the others) and
/// then to every sink. The first sink error stops delivery and ends the session.
struct Dispatch<'s, 'a> {
    rec: Option<&'s mut RecordingSink>,
    sinks: &'s mut [&'a mut dyn Sink],
    error: Option<std::io::Error>,
}

impl Dispatch<'_, '_> {
    fn begin(&mut self, info: &SessionInfo) {
        for s in self.sinks.iter_mut() {
            if let Err(e) = s.begin(info) {
                self.error.get_or_insert(e);
            }
        }
    }

    fn audio(&mut self, block: &AudioBlock) {
        if self.error.is_some() {
            return;
        }
        if let Some(r) = self.rec.as_mut() {
            let _ = r.audio(block);
        }
        self.recording_warnings();
        for s in self.sinks.iter_mut() {
            if let Err(e) = s.audio(block) {
                self.error.get_or_insert(e);
                return;
            }
        }
    }

    fn record(&mut self, ev: &SessionEvent) {
        if self.error.is_some() {
            return;
        }
        if let Some(r) = self.rec.as_mut() {
            let _ = r.handle(ev);
        }
        self.recording_warnings();
        self.send_to_sinks(ev);
    }

    fn recording_warnings(&mut self) {
        while let Some(w) = self.rec.as_mut().and_then(|r| r.take_warning()) {
            self.send_to_sinks(&SessionEvent::Warning {
                message: format!("recording: {w}"),
            });
        }
    }

    fn send_to_sinks(&mut self, ev: &SessionEvent) {
        for s in self.sinks.iter_mut() {
            if self.error.is_some() {
                return;
            }
            if let Err(e) = s.handle(ev) {
                self.error = Some(e);
            }
        }
    }
}

/// What the pipeline gave, before the recording is finished.
struct Ran {
    summary: Summary,
    transcriber: Transcriber,
    /// A source could not start.
    fatal: Option<String>,
}

/// Spawns the sources and the transcriber, and runs the session loop on this thread.
#[allow(clippy::too_many_arguments)] // private: the builder's parts, taken apart once
fn run_pipeline(
    cfg: &Config,
    input: &Input,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    limit_secs: Option<f64>,
    stats: Arc<Stats>,
    hooks: SessionHooks,
    out: &mut Dispatch<'_, '_>,
) -> Result<Ran> {
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
            let warn = msg_tx.clone();
            let mut replay = replay;
            source_threads.push(
                std::thread::Builder::new()
                    .name("ringside-replay".into())
                    .spawn(move || {
                        let _ = stats2.started.set(Instant::now());
                        let played = replay.play(
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
                        // A read error mid-file: what was read is analysed; the log says why
                        // it ends there.
                        if let Err(e) = played {
                            let _ = warn.send(Msg::Warning(format!(
                                "{e}; the replay ends at the last block read"
                            )));
                        }
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
                let tx = msg_tx.clone();
                let live = LiveSource {
                    device,
                    ring_secs: cfg.audio.ring_secs,
                    start_timeout: Duration::from_secs_f64(cfg.audio.start_timeout_secs),
                    procs,
                    stop: stop.clone(),
                    notify: Box::new(move |n| {
                        let _ = tx.send(match n {
                            Notice::Device(d) => Msg::Device(d),
                            Notice::Fatal(e) => Msg::Fatal(e),
                        });
                    }),
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

    // Transcriber. A replay at max speed runs far ahead of Whisper: on Stop its queue of
    // speech is dropped (what was decoded is kept). Live and real-time input has no backlog,
    // and the last words before Stop are still transcribed.
    let tx = msg_tx.clone();
    let tstats = stats.clone();
    let drop_on_stop = matches!(
        input,
        Input::Replay {
            speed: Speed::Max,
            ..
        } | Input::Sample {
            speed: Speed::Max,
            ..
        }
    )
    .then(|| stop.clone());
    let transcriber_thread = std::thread::Builder::new()
        .name("ringside-whisper".into())
        .spawn(move || transcribe_loop(transcriber, seg_rx, tx, tstats, drop_on_stop))
        .context("cannot start the transcriber thread")?;
    drop(msg_tx);

    // Session loop on this thread.
    let mut summary = Summary {
        channels: channels.clone(),
        ..Summary::default()
    };
    let mut turns = Turns::new();
    let mut coach_clock = 0u64;
    let mut cues = Vec::new();
    let mut fatal = None;
    for msg in msg_rx.iter() {
        match msg {
            Msg::Audio(block) => {
                let end = block.start_sample + block.samples.len() as u64;
                if end > summary.stream_samples {
                    summary.stream_samples = end;
                    stats.stream_samples.store(end, Ordering::Relaxed);
                }
                out.audio(&block);
            }
            Msg::Utterance(mut u) => {
                turns.utterance(&mut u);
                // Timed cues advance with the utterances (the cue engine checks them on each
                // one), not with the audio: at replay speed the audio runs far ahead of
                // Whisper, and the cues must not depend on that race. Live, an utterance ends
                // at least every `vad.max_utterance_ms`.
                coach_clock = coach_clock.max(u.end_sample);
                let cu = coach.process(u, &mut cues);
                if let Some(Ok(mut list)) = stats.turn_timings.get().map(|l| l.lock()) {
                    if let Some(t) = list.iter_mut().rev().find(|t| {
                        t.speaker == cu.utterance.speaker && t.end_sample == cu.utterance.end_sample
                    }) {
                        t.classified_at = Some(Instant::now());
                    }
                }
                out.record(&SessionEvent::from_utterance(&cu));
                summary.utterances.push(cu);
            }
            Msg::Device(d) => out.record(&SessionEvent::Device(d)),
            Msg::Unclear(u) => {
                turns.unclear(&u);
                out.record(&SessionEvent::from_unclear(&u));
                summary.unclear.push(u);
            }
            Msg::Warning(message) => out.record(&SessionEvent::Warning { message }),
            Msg::Stopped { at_sample, skipped } => {
                let time = samples_to_secs(at_sample);
                out.record(&SessionEvent::Warning {
                    message: format!(
                        "stopped: transcription stopped at {}; {skipped} queued utterance(s) after it were not transcribed (the recording keeps their audio)",
                        crate::event::mmss(time)
                    ),
                });
                out.record(&SessionEvent::TranscriptStopped {
                    time,
                    skipped: u32::try_from(skipped).unwrap_or(u32::MAX),
                });
            }
            Msg::Fatal(e) => {
                stop.store(true, Ordering::Relaxed);
                fatal.get_or_insert(e);
            }
        }
        for c in cues.drain(..) {
            out.record(&SessionEvent::from_cue(&c));
            summary.cues.push(c);
        }
        if out.error.is_some() {
            // A sink failed (e.g. stdout closed): the session ends; the recording is kept.
            stop.store(true, Ordering::Relaxed);
        }
    }
    for t in source_threads {
        let _ = t.join();
    }
    if summary.stream_samples > coach_clock {
        coach.on_time(summary.stream_samples, &mut cues);
        for c in cues.drain(..) {
            out.record(&SessionEvent::from_cue(&c));
            summary.cues.push(c);
        }
    }
    let transcriber = transcriber_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the transcriber thread panicked"))?;
    summary.dropped_samples = stats.dropped_samples.load(Ordering::Relaxed);
    summary.decode_errors = stats.decode_errors.load(Ordering::Relaxed);
    summary.wall_secs = started.elapsed().as_secs_f64();
    Ok(Ran {
        summary,
        transcriber,
        fatal,
    })
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
    /// Pitch frames of this channel, computed as the audio arrives so that a closed segment's
    /// prosody costs only its summary (off the latency path).
    pitch: PitchStream,
}

impl Channel for ChannelProc {
    fn speaker(&self) -> Speaker {
        self.speaker
    }
    fn pos(&self) -> u64 {
        self.pos
    }
    fn push(&mut self, start_sample: u64, samples: &[f32]) {
        ChannelProc::push(self, start_sample, samples);
    }
    fn finish(&mut self) {
        ChannelProc::finish(self);
    }
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
            pitch: PitchStream::new(),
        }
    }

    fn with_vad(mut self, vad: Option<Sender<VadActivity>>) -> ChannelProc {
        self.vad = vad;
        self
    }

    fn push(&mut self, start: u64, samples: &[f32]) {
        self.pos = start + samples.len() as u64;
        self.pitch.push(start, samples);
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
        for mut e in self.events.drain(..) {
            if let SegmentEvent::Final(seg) = &mut e {
                seg.prosody = Some(prosody::measure_segment(&self.pitch, seg));
            }
            let _ = self.seg_tx.send(e);
        }
        // Frames older than any segment still to come (its pre-roll reaches back at most the
        // longest utterance plus a second) are no longer needed.
        if !self.segmenter.in_speech() {
            self.pitch
                .forget_before(self.pos.saturating_sub(SAMPLE_RATE_HZ as u64));
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
    drop_on_stop: Option<Arc<AtomicBool>>,
) -> Transcriber {
    let mut early = EarlyDecode::default();
    // Decode times (first pass, second look) by (speaker, start sample), for the turn timings
    // a bench asks for.
    type DecodeTimes = HashMap<(Speaker, u64), (f64, Option<f64>)>;
    let decode_times: std::cell::RefCell<DecodeTimes> = Default::default();
    let timed = stats.turn_timings.get().is_some();
    let decode = |t: &mut Transcriber, seg: &SpeechSegment| -> Option<Decoded> {
        let started = Instant::now();
        let result =
            t.transcribe_cancellable(&seg.samples, DecodeMode::Utterance, seg.cancel.as_deref());
        stats
            .decode_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        match result {
            Ok(tr) => {
                if timed {
                    decode_times
                        .borrow_mut()
                        .insert((seg.speaker, seg.start_sample), (tr.first_ms, tr.second_ms));
                }
                stats.segments_decoded.fetch_add(1, Ordering::Relaxed);
                if tr.retried {
                    stats.decodes_retried.fetch_add(1, Ordering::Relaxed);
                }
                Some((tr.text(), tr.unclear_reason()))
            }
            // Speech resumed: the final segment will be decoded whole.
            Err(AsrError::Cancelled) => {
                stats.decodes_cancelled.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(Msg::Warning(format!("{e}; the utterance is skipped")));
                None
            }
        }
    };
    let stopped = || {
        drop_on_stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    };
    while let Ok(ev) = rx.recv() {
        if stopped() {
            // Stop means stop: the queue is dropped, and the log says from where.
            let from = match &ev {
                SegmentEvent::Final(s) | SegmentEvent::Tentative(s) => Some(s.start_sample),
                _ => None,
            };
            let mut skipped = usize::from(matches!(ev, SegmentEvent::Final(_)));
            let mut first = from;
            for ev in rx.iter() {
                if let SegmentEvent::Final(s) = ev {
                    skipped += 1;
                    first = Some(first.map_or(s.start_sample, |f| f.min(s.start_sample)));
                }
            }
            if skipped > 0 {
                let _ = tx.send(Msg::Stopped {
                    at_sample: first.unwrap_or_default(),
                    skipped,
                });
            }
            break;
        }
        // A tentative segment is decoded at once; if speech resumes meanwhile, the segmenter
        // raises its cancel flag and the decode stops (or never starts).
        let Some(done) = early.on_event(ev, |seg| decode(&mut t, seg)) else {
            continue;
        };
        if done.reused {
            stats.segments_reused.fetch_add(1, Ordering::Relaxed);
        }
        let seg = done.segment;
        let (text, reason) = done.decoded;
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
        let hang_ms = samples_to_secs(seg.closed_at_sample.saturating_sub(seg.end_sample)) * 1000.0;
        if let Some(list) = stats.turn_timings.get() {
            let (first_ms, second_ms) = decode_times
                .borrow_mut()
                .remove(&(seg.speaker, seg.start_sample))
                .unwrap_or_default();
            if let Ok(mut list) = list.lock() {
                list.push(TurnTiming {
                    speaker: seg.speaker,
                    end_sample: seg.end_sample,
                    hang_ms,
                    decode_ms: wait_ms,
                    first_ms,
                    second_ms,
                    reused: done.reused,
                    ready_at: Instant::now(),
                    classified_at: None,
                });
            }
        }
        let _ = tx.send(Msg::Utterance(Utterance {
            id: 0,
            speaker: seg.speaker,
            start_sample: seg.start_sample,
            end_sample: seg.end_sample,
            latency_ms: Some(wait_ms + hang_ms),
            // Measured: fillers here, the pause before answering on the session thread.
            hesitation: Some(Hesitation {
                fillers,
                ..Hesitation::default()
            }),
            prosody: seg.prosody.map(|p| prosody::with_rate(p, &text)),
            text,
        }));
    }
    t
}

/// The segments of one channel's recording, cut and measured the way a live session does it:
/// 20 ms blocks through the segmenter (VAD) and the pitch tracker, each final segment with its
/// prosody (the rate waits for a text). `transcribe_offline` and `eval prosody` use it.
pub fn segments_offline(cfg: &Config, speaker: Speaker, samples: &[f32]) -> Vec<SegmentEvent> {
    let mut seg = Segmenter::new(speaker, &cfg.vad);
    let mut pitch = PitchStream::new();
    let mut events = Vec::new();
    let block = SAMPLE_RATE_HZ as usize / 50;
    let mut out = Vec::new();
    for (i, b) in samples.chunks(block).enumerate() {
        let start = (i * block) as u64;
        pitch.push(start, b);
        seg.process(start, b, &mut events);
        measure_finals(&pitch, &mut events, &mut out);
    }
    seg.finish(&mut events);
    measure_finals(&pitch, &mut events, &mut out);
    out
}

/// Moves `events` to `out`, each final segment measured.
fn measure_finals(
    pitch: &PitchStream,
    events: &mut Vec<SegmentEvent>,
    out: &mut Vec<SegmentEvent>,
) {
    for mut e in events.drain(..) {
        if let SegmentEvent::Final(s) = &mut e {
            s.prosody = Some(prosody::measure_segment(pitch, s));
        }
        out.push(e);
    }
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
    let events = segments_offline(cfg, Speaker::Me, samples);
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
