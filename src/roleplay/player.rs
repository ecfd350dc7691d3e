//! The counterpart's voice thread: turn-taking, barge-in, and the "them" channel.
//!
//! Runs on its own thread (`ringside-counterpart`), which opens the cpal output (a stream is
//! not `Send` everywhere) and every ~5 ms:
//! - takes commands (`Say` a line) from the session thread; a line waits while "me" speaks;
//! - takes VAD activity of "me" from the pipeline: speech onset while a line is under way is a
//!   barge-in: the rest of the line is dropped and the ring flushed, noted as an interruption;
//! - keeps the output ring filled `lead_ms` ahead with the current line;
//! - reads the callback's counters and rebuilds the exact stream the device played (voice
//!   samples and the silence between), resamples it to 16 kHz and sends it to the pipeline as
//!   the "them" channel. The counterpart is never re-captured. Unless that channel is
//!   transcribed, each line's text goes with it as a "them" utterance spanning where the line
//!   played (a cut line: the words in proportion to the audio played).
//!
//! Timeline: the "them" stream starts with silence up to the wall clock since the session's
//! start (as a capture device does), then follows the output device's clock. A sample sits at
//! the position where the callback handed it to the device; the device's reported latency
//! (callback to playback) is added to the measured reply latency.
//!
//! Edges: commands and notes are bounded crossbeam channels (256); a full note channel drops
//! the note. The "them" feed is bounded (256 blocks of ~5 ms); full: wait up to 500 ms, then
//! drop the block and count it (`feed_dropped`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;

use super::playback::{self, OutputChannels};
use super::policy::LineKind;
use super::scenario::LineId;
use crate::app::{FeedItem, VadActivity};
use crate::audio::resample::Resampler;
use crate::event::{Speaker, Utterance, SAMPLE_RATE_HZ};

/// How the voice goes out.
#[derive(Debug, Clone)]
pub struct PlayerConfig {
    /// Output device name (`None`: the default output).
    pub output: Option<String>,
    pub channels: OutputChannels,
    /// Device buffer asked for (the latency floor).
    pub buffer_ms: u32,
    /// How far ahead of the device the ring is kept filled while speaking. A barge-in flushes
    /// the ring, so this costs no reaction time.
    pub lead_ms: u32,
    pub start_timeout: Duration,
}

impl Default for PlayerConfig {
    fn default() -> Self {
        PlayerConfig {
            output: None,
            channels: OutputChannels::All,
            buffer_ms: 40,
            lead_ms: 120,
            start_timeout: Duration::from_secs(5),
        }
    }
}

/// A command to the voice thread.
#[derive(Debug, Clone)]
pub enum PlayerCmd {
    /// Say `line`. `reply_to`: end of the "me" utterance it answers (stream samples), for the
    /// latency figure. `not_before`: hold it until then (the opening waits for capture).
    Say {
        line: LineId,
        kind: LineKind,
        reply_to: Option<u64>,
        not_before: Option<Instant>,
    },
}

/// What the voice thread reports. Positions are samples of the session stream (16 kHz); as
/// JSON (`roleplay --json`, a `counterpart` line) the kind is `event` and positions are
/// seconds: `at_sample` is `time`, `me_onset_sample` is `me_onset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PlayerNote {
    /// The output device is open.
    Ready {
        device: String,
        rate: u32,
        channels: u16,
    },
    /// The first sample of a line went to the device at `at_sample`; `latency_ms`: from the end
    /// of the "me" utterance it answers to the predicted playback of that sample.
    Started {
        line: LineId,
        kind: LineKind,
        #[serde(rename = "time", serialize_with = "as_secs")]
        at_sample: u64,
        latency_ms: Option<f64>,
    },
    /// The line was played to its end, or cut by a barge-in (`interrupted`).
    Finished {
        line: LineId,
        kind: LineKind,
        #[serde(rename = "time", serialize_with = "as_secs")]
        at_sample: u64,
        interrupted: bool,
    },
    /// "me" started speaking at `me_onset_sample` while the counterpart was speaking: it stopped
    /// at `at_sample`.
    Interrupted {
        line: LineId,
        #[serde(rename = "time", serialize_with = "as_secs")]
        at_sample: u64,
        #[serde(rename = "me_onset", serialize_with = "as_secs")]
        me_onset_sample: u64,
    },
    /// A non-fatal problem (underruns, a dropped feed block).
    Warning { message: String },
    /// The output could not be opened; the role-play cannot run.
    Failed { message: String },
}

/// A stream position as seconds on the wire.
fn as_secs<S: serde::Serializer>(samples: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::event::samples_to_secs(*samples))
}

/// State the voice thread shares with the session thread and a simulated practitioner.
#[derive(Debug, Default)]
pub struct PlayerShared {
    /// A line is queued or playing.
    pub speaking: AtomicBool,
    /// "me" is inside a speech segment (VAD).
    pub me_speaking: AtomicBool,
    /// Lines started (their first sample went to the device).
    pub lines_started: AtomicU64,
    /// Lines finished (played out or interrupted).
    pub lines_done: AtomicU64,
    /// Position of the "them" stream sent so far.
    pub them_pos: AtomicU64,
    /// "them" blocks dropped because the pipeline did not take them.
    pub feed_dropped: AtomicU64,
}

/// Handle of the running voice thread.
pub struct Player {
    pub cmd: Sender<PlayerCmd>,
    pub notes: Receiver<PlayerNote>,
    pub shared: Arc<PlayerShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Player {
    /// Starts the voice thread. `lines` are the scenario's lines at 16 kHz (index = line id),
    /// `t0` the start of the session timeline; it runs until `stop` is set.
    pub fn spawn(
        cfg: PlayerConfig,
        lines: Vec<Arc<[f32]>>,
        t0: Instant,
        stop: Arc<AtomicBool>,
        feed: Sender<FeedItem>,
        vad: Receiver<VadActivity>,
        texts: Option<Vec<String>>,
    ) -> std::io::Result<Player> {
        let (cmd_tx, cmd_rx) = crossbeam_channel::bounded(256);
        let (note_tx, note_rx) = crossbeam_channel::bounded(256);
        let shared = Arc::new(PlayerShared::default());
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ringside-counterpart".into())
            .spawn(move || {
                let mut v = Voice {
                    cfg,
                    lines,
                    t0,
                    stop,
                    feed,
                    vad,
                    cmds: cmd_rx,
                    notes: note_tx,
                    shared: sh,
                    texts,
                    started_at: 0,
                };
                v.run();
            })?;
        Ok(Player {
            cmd: cmd_tx,
            notes: note_rx,
            shared,
            thread: Some(thread),
        })
    }

    /// Waits for the thread (after `stop` was set).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Voice {
    cfg: PlayerConfig,
    lines: Vec<Arc<[f32]>>,
    t0: Instant,
    stop: Arc<AtomicBool>,
    feed: Sender<FeedItem>,
    vad: Receiver<VadActivity>,
    cmds: Receiver<PlayerCmd>,
    notes: Sender<PlayerNote>,
    shared: Arc<PlayerShared>,
    /// The lines' texts when the feed sends utterances itself (not transcribed).
    texts: Option<Vec<String>>,
    /// Where the playing line started (stream samples).
    started_at: u64,
}

/// The line being pushed into the ring.
struct Current {
    line: LineId,
    kind: LineKind,
    reply_to: Option<u64>,
    not_before: Option<Instant>,
    /// Next device-rate sample of the line to push.
    pos: usize,
}

#[derive(Debug, Clone, Copy)]
enum Marker {
    Start {
        line: LineId,
        kind: LineKind,
        reply_to: Option<u64>,
    },
    End {
        line: LineId,
        kind: LineKind,
    },
}

const TICK: Duration = Duration::from_millis(5);
/// Longer than the VAD's longest utterance (`vad.max_utterance_ms`, 12 s by default).
const MAX_WAIT_FOR_ME: Duration = Duration::from_secs(15);

impl Voice {
    fn note(&self, n: PlayerNote) {
        let _ = self.notes.try_send(n);
    }

    fn run(&mut self) {
        let device = match playback::find_output(self.cfg.output.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                self.note(PlayerNote::Failed {
                    message: e.to_string(),
                });
                return;
            }
        };
        let mut out = match playback::open(
            &device,
            self.cfg.channels,
            self.cfg.buffer_ms,
            2.0,
            self.cfg.start_timeout,
        ) {
            Ok(o) => o,
            Err(e) => {
                self.note(PlayerNote::Failed {
                    message: e.to_string(),
                });
                return;
            }
        };
        self.note(PlayerNote::Ready {
            device: out.name.clone(),
            rate: out.rate,
            channels: out.channels,
        });
        let rate = out.rate;
        let dev_lines: Vec<Vec<f32>> = self
            .lines
            .iter()
            .map(|l| playback::upsample_16k(l, rate))
            .collect();
        let mut to16 = match Resampler::new(rate) {
            Ok(r) => r,
            Err(e) => {
                self.note(PlayerNote::Failed {
                    message: e.to_string(),
                });
                return;
            }
        };
        let lead = (rate as u64 * self.cfg.lead_ms as u64 / 1000) as usize;
        let stats = out.stats.clone();

        // The "them" stream starts at the session's start: silence until now.
        let mut last_out = stats.frames_out.load(Ordering::Acquire);
        let mut last_ring = stats.frames_from_ring.load(Ordering::Acquire);
        let mut last_disc = stats.frames_discarded.load(Ordering::Acquire);
        let pad = (self.t0.elapsed().as_secs_f64() * SAMPLE_RATE_HZ as f64) as usize;
        let mut them_pos: u64 = 0;
        for chunk in vec![0.0f32; pad].chunks(SAMPLE_RATE_HZ as usize / 10) {
            self.send_feed(chunk.to_vec(), &mut them_pos);
        }
        // Device-rate frames of the played stream since `last_out` was read, and the 16 kHz
        // position they started at (to place markers exactly within a tick).
        let mut played_dev: u64 = 0;
        let base16 = them_pos;
        let base_dev = base16 * rate as u64 / SAMPLE_RATE_HZ as u64;
        // The device's count of frames is not a clock: when the sound server underruns it
        // plays silence we never see. The wall clock is: the stream is padded to it (within
        // `slack`) with silence, placed before the tick's samples.
        let slack = rate as u64 / 10;
        let mut shadow: VecDeque<f32> = VecDeque::with_capacity(rate as usize * 2);
        let mut markers: VecDeque<(u64, Marker)> = VecDeque::new();
        let mut pushed_total: u64 = 0;
        let mut popped_total: u64 = 0;
        let mut current: Option<Current> = None;
        // Line playing (started, not finished) for barge-in and notes.
        let mut playing: Option<(LineId, LineKind)> = None;
        let mut pending_cut: Option<(LineId, LineKind, u64)> = None;
        let mut played = Vec::with_capacity(rate as usize);
        let mut out16 = Vec::with_capacity(SAMPLE_RATE_HZ as usize);
        let mut underrun_reported = false;
        // Since when "me" has been speaking; a lost "stopped" notice must not silence the
        // counterpart for good, so a line waits at most `MAX_WAIT_FOR_ME`.
        let mut me_since: Option<Instant> = None;
        let dev_to_16 = |d: u64| base16 + d * SAMPLE_RATE_HZ as u64 / rate as u64;

        loop {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if stats.failed.load(Ordering::Relaxed) {
                self.note(PlayerNote::Failed {
                    message: format!("output {:?} stopped working", out.name),
                });
                break;
            }
            // Commands.
            while let Ok(PlayerCmd::Say {
                line,
                kind,
                reply_to,
                not_before,
            }) = self.cmds.try_recv()
            {
                if let Some(c) = current.take() {
                    // A newer line replaces one not yet finished pushing (the practitioner
                    // spoke again): cut what is queued.
                    if c.pos > 0 {
                        stats.flush.store(true, Ordering::Release);
                        if let Some((l, k)) = playing.take() {
                            pending_cut = Some((l, k, u64::MAX));
                        }
                    }
                }
                current = Some(Current {
                    line,
                    kind,
                    reply_to,
                    not_before,
                    pos: 0,
                });
                self.shared.speaking.store(true, Ordering::Release);
            }
            // Voice activity of "me": barge-in.
            while let Ok(v) = self.vad.try_recv() {
                if v.speaker != Speaker::Me {
                    continue;
                }
                self.shared.me_speaking.store(v.speaking, Ordering::Release);
                me_since = v.speaking.then(Instant::now);
                let under_way = playing.is_some() || current.as_ref().is_some_and(|c| c.pos > 0);
                if v.speaking && under_way && pending_cut.is_none() {
                    let (line, kind) = match (&playing, &current) {
                        (Some(p), _) => *p,
                        (None, Some(c)) => (c.line, c.kind),
                        (None, None) => continue,
                    };
                    current = None;
                    stats.flush.store(true, Ordering::Release);
                    pending_cut = Some((line, kind, v.at_sample));
                }
            }
            // Fill the ring with the current line.
            if let Some(c) = current.as_mut() {
                let me_quiet = me_since.is_none_or(|t| t.elapsed() > MAX_WAIT_FOR_ME);
                let may_start =
                    c.pos > 0 || (me_quiet && c.not_before.is_none_or(|t| Instant::now() >= t));
                let samples = dev_lines.get(c.line).map(Vec::as_slice).unwrap_or(&[]);
                if may_start && pending_cut.is_none() {
                    let room = lead.saturating_sub(shadow.len()).min(out.producer.slots());
                    let n = room.min(samples.len() - c.pos);
                    if n > 0 {
                        if c.pos == 0 {
                            markers.push_back((
                                pushed_total,
                                Marker::Start {
                                    line: c.line,
                                    kind: c.kind,
                                    reply_to: c.reply_to,
                                },
                            ));
                        }
                        let src = &samples[c.pos..c.pos + n];
                        if let Ok(mut chunk) = out.producer.write_chunk_uninit(n) {
                            let (a, b) = chunk.as_mut_slices();
                            let la = a.len();
                            for (d, s) in a.iter_mut().zip(&src[..la]) {
                                d.write(*s);
                            }
                            for (d, s) in b.iter_mut().zip(&src[la..]) {
                                d.write(*s);
                            }
                            // SAFETY: all `n` slots were written just above.
                            unsafe { chunk.commit_all() };
                        }
                        shadow.extend(src.iter().copied());
                        pushed_total += n as u64;
                        c.pos += n;
                    }
                    if c.pos >= samples.len() {
                        markers.push_back((
                            pushed_total.saturating_sub(1),
                            Marker::End {
                                line: c.line,
                                kind: c.kind,
                            },
                        ));
                        current = None;
                    }
                }
            }
            // What did the device play since the last tick?
            let now_out = stats.frames_out.load(Ordering::Acquire);
            let now_ring = stats.frames_from_ring.load(Ordering::Acquire);
            let now_disc = stats.frames_discarded.load(Ordering::Acquire);
            let consumed = now_ring.saturating_sub(last_ring);
            let zeros = now_out.saturating_sub(last_out).saturating_sub(consumed);
            let discarded = now_disc.saturating_sub(last_disc);
            last_out = now_out;
            last_ring = now_ring;
            last_disc = now_disc;
            played.clear();
            // Silence before voice when a line starts in this tick, after it otherwise.
            let starts_here = markers
                .front()
                .is_some_and(|(i, m)| *i == popped_total && matches!(m, Marker::Start { .. }));
            let zeros_first = starts_here && playing.is_none();
            let want_dev =
                ((self.t0.elapsed().as_secs_f64() * rate as f64) as u64).saturating_sub(base_dev);
            let after = played_dev + consumed + zeros;
            if after + slack < want_dev {
                let catch_up = want_dev - slack - after;
                played.extend(std::iter::repeat_n(0.0, catch_up as usize));
                played_dev += catch_up;
            }
            if zeros > 0 && playing.is_some() && consumed > 0 && !underrun_reported && !zeros_first
            {
                underrun_reported = true;
                self.note(PlayerNote::Warning {
                    message:
                        "the counterpart's voice underran (the machine is busy); expect a click"
                            .into(),
                });
            }
            if zeros_first {
                played.extend(std::iter::repeat_n(0.0, zeros as usize));
                played_dev += zeros;
            }
            for _ in 0..consumed {
                let s = shadow.pop_front().unwrap_or(0.0);
                while let Some((i, m)) = markers.front().copied() {
                    if i > popped_total {
                        break;
                    }
                    markers.pop_front();
                    let at = dev_to_16(played_dev);
                    match m {
                        Marker::Start {
                            line,
                            kind,
                            reply_to,
                        } => {
                            playing = Some((line, kind));
                            self.started_at = at;
                            self.shared.lines_started.fetch_add(1, Ordering::AcqRel);
                            let dev_lat_ms =
                                stats.latency_us.load(Ordering::Relaxed) as f64 / 1000.0;
                            let latency_ms =
                                reply_to.map(|r| (at as f64 - r as f64) / 16.0 + dev_lat_ms);
                            self.note(PlayerNote::Started {
                                line,
                                kind,
                                at_sample: at,
                                latency_ms,
                            });
                        }
                        Marker::End { line, kind } => {
                            playing = None;
                            self.finish_line(line, kind, at, false);
                        }
                    }
                }
                played.push(s);
                popped_total += 1;
                played_dev += 1;
            }
            if !zeros_first {
                played.extend(std::iter::repeat_n(0.0, zeros as usize));
                played_dev += zeros;
            }
            for _ in 0..discarded {
                shadow.pop_front();
                popped_total += 1;
            }
            while markers.front().is_some_and(|(i, _)| *i < popped_total) {
                markers.pop_front();
            }
            if let Some((line, kind, onset)) = pending_cut {
                if !stats.flush.load(Ordering::Acquire) {
                    // The callback dropped the queued voice: the line stops here.
                    pending_cut = None;
                    playing = None;
                    let at = dev_to_16(played_dev);
                    if onset != u64::MAX {
                        self.note(PlayerNote::Interrupted {
                            line,
                            at_sample: at,
                            me_onset_sample: onset,
                        });
                    }
                    self.finish_line(line, kind, at, true);
                    if current.is_some() {
                        self.shared.speaking.store(true, Ordering::Release);
                    }
                }
            }
            if !played.is_empty() {
                out16.clear();
                to16.process(&played, &mut out16);
                if !out16.is_empty() {
                    let block =
                        std::mem::replace(&mut out16, Vec::with_capacity(SAMPLE_RATE_HZ as usize));
                    self.send_feed(block, &mut them_pos);
                }
            }
            std::thread::sleep(TICK);
        }
    }

    fn finish_line(&mut self, line: LineId, kind: LineKind, at: u64, interrupted: bool) {
        if let Some(text) = self.texts.as_ref().and_then(|t| t.get(line)) {
            let start = self.started_at.min(at);
            let full = self.lines.get(line).map(|l| l.len()).unwrap_or(0).max(1) as f64;
            // A cut line: the words said so far, in proportion to the audio played.
            let text = if interrupted {
                let words: Vec<&str> = text.split_whitespace().collect();
                let n = ((at - start) as f64 / full * words.len() as f64).floor() as usize;
                words[..n.min(words.len())].join(" ")
            } else {
                text.clone()
            };
            if !text.is_empty() {
                let u = Utterance {
                    id: 0,
                    speaker: Speaker::Them,
                    start_sample: start,
                    end_sample: at,
                    text,
                    latency_ms: None,
                    hesitation: None,
                    prosody: None,
                };
                let _ = self
                    .feed
                    .send_timeout(FeedItem::Utterance(u), Duration::from_millis(500));
            }
        }
        self.note(PlayerNote::Finished {
            line,
            kind,
            at_sample: at,
            interrupted,
        });
        self.shared.lines_done.fetch_add(1, Ordering::AcqRel);
        self.shared.speaking.store(false, Ordering::Release);
    }

    fn send_feed(&self, block: Vec<f32>, pos: &mut u64) {
        let n = block.len() as u64;
        match self
            .feed
            .send_timeout(FeedItem::Audio(block), Duration::from_millis(500))
        {
            Ok(()) => {
                *pos += n;
                self.shared.them_pos.store(*pos, Ordering::Release);
            }
            Err(_) => {
                self.shared.feed_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
