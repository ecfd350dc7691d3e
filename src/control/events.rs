//! The live event stream's wire format ([`LiveEvent`]) and the input level meter that turns
//! audio blocks into `level` events. Built on the daemon's session thread (by its live sink,
//! from the session's records and audio), fanned out by a tokio broadcast channel, serialised
//! by [`super::sse`].

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::drill::DrillLine;
use crate::event::{samples_to_secs, SessionEvent, Speaker};
use crate::session::Scorecard;

/// Version of the live event format; sent in `session_started` and `hello`. New optional
/// fields do not bump it.
pub const LIVE_FORMAT_VERSION: u32 = 1;

/// One message of `GET /api/events` (Server-Sent Events): the SSE `event:` field is the
/// `type`, `data:` is this object as JSON. Either a record of the session, in the one schema
/// of [`SessionEvent`] (utterance, unclear, cue, device, warning: the same lines as
/// `events.jsonl` and `--json`), a drill's progress in the one schema of
/// [`DrillLine`] (drill_moment, drill_listening, drill_verdict, drill_summary: the lines of
/// `ringside drill --json`), or a kind only the live stream has ([`LiveOnly`]: hello,
/// session_started, level, session_ended, drill_started, drill_ended, lagged).
///
/// ```text
/// event: utterance
/// data: {"type":"utterance","id":3,"speaker":"them","start":7.1,"end":8.0,"text":"No.","act":"no","why":"...","latency_ms":410.0}
///
/// event: level
/// data: {"type":"level","me_dbfs":-23.5,"them_dbfs":null,"stream_secs":8.2}
/// ```
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LiveEvent {
    Record(SessionEvent),
    Drill(DrillLine),
    Live(LiveOnly),
}

/// The kinds of the live stream that are not records of the session: the stream's own
/// greeting, the session's status (started, ended), input levels, and lag notices.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveOnly {
    /// First message of every stream: the format version and whether a session runs.
    Hello {
        version: u32,
        session_id: Option<String>,
    },
    SessionStarted {
        version: u32,
        id: String,
        /// Human-readable description of the input.
        input: String,
    },
    /// Input levels: RMS in dBFS over the last ~200 ms per speaker (`null`: no such channel
    /// or no audio yet). A few per second while a session runs.
    Level {
        me_dbfs: Option<f64>,
        them_dbfs: Option<f64>,
        stream_secs: f64,
    },
    /// The session is over (stopped, source exhausted, or failed: `error`).
    SessionEnded {
        id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        duration: f64,
        utterances: usize,
        cues: usize,
        /// Boxed: the scorecard is large and the other variants are small.
        #[serde(skip_serializing_if = "Option::is_none")]
        scorecard: Option<Box<Scorecard>>,
    },
    /// A drill of a recorded session starts (`POST /api/sessions/{id}/drill`): its progress
    /// follows as `drill_*` events, then `drill_summary` and `drill_ended`.
    DrillStarted {
        version: u32,
        session: String,
        moments: usize,
        max_tries: usize,
        /// Human-readable description of the input.
        input: String,
    },
    /// The drill is over (done, stopped, or failed: `error`); the daemon is idle again. What
    /// was drilled is in the session's `drill.json` by then.
    DrillEnded {
        session: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// This client fell behind and `missed` events were dropped for it (the channel keeps the
    /// newest; the session never waits for a slow client).
    Lagged { missed: u64 },
}

impl LiveEvent {
    /// The SSE event name: the `type` of the JSON object.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::Record(ev) => ev.kind(),
            LiveEvent::Drill(d) => match d {
                DrillLine::DrillMoment { .. } => "drill_moment",
                DrillLine::DrillListening { .. } => "drill_listening",
                DrillLine::DrillVerdict { .. } => "drill_verdict",
                DrillLine::DrillSummary { .. } => "drill_summary",
            },
            LiveEvent::Live(l) => match l {
                LiveOnly::Hello { .. } => "hello",
                LiveOnly::SessionStarted { .. } => "session_started",
                LiveOnly::Level { .. } => "level",
                LiveOnly::SessionEnded { .. } => "session_ended",
                LiveOnly::DrillStarted { .. } => "drill_started",
                LiveOnly::DrillEnded { .. } => "drill_ended",
                LiveOnly::Lagged { .. } => "lagged",
            },
        }
    }

    /// A warning of the daemon itself (e.g. the call history could not be written).
    pub fn warning(message: String) -> LiveEvent {
        LiveEvent::Record(SessionEvent::Warning { message })
    }
}

impl From<LiveOnly> for LiveEvent {
    fn from(l: LiveOnly) -> LiveEvent {
        LiveEvent::Live(l)
    }
}

/// Samples per level window: 200 ms at 16 kHz.
const WINDOW_SAMPLES: u32 = 3200;
/// Floor of the meter: digital silence reads as this, not minus infinity.
pub const FLOOR_DBFS: f64 = -90.0;

/// RMS level per speaker over 200 ms windows of stream time, and a wall-clock throttle so a
/// max-speed replay does not flood clients with level events.
#[derive(Debug)]
pub struct LevelMeter {
    sum_sq: [f64; 2],
    count: [u32; 2],
    /// Level of the last complete window per speaker.
    pub dbfs: [Option<f64>; 2],
    stream_samples: u64,
    last_emit: Option<Instant>,
    every: Duration,
}

fn idx(s: Speaker) -> usize {
    match s {
        Speaker::Me => 0,
        Speaker::Them => 1,
    }
}

impl LevelMeter {
    /// `every`: at most one level event per this much wall time.
    pub fn new(every: Duration) -> LevelMeter {
        LevelMeter {
            sum_sq: [0.0; 2],
            count: [0; 2],
            dbfs: [None; 2],
            stream_samples: 0,
            last_emit: None,
            every,
        }
    }

    /// Adds a block of samples; returns a level event when one is due.
    pub fn push(
        &mut self,
        speaker: Speaker,
        start_sample: u64,
        samples: &[f32],
    ) -> Option<LiveEvent> {
        let i = idx(speaker);
        for &x in samples {
            self.sum_sq[i] += f64::from(x) * f64::from(x);
            self.count[i] += 1;
            if self.count[i] == WINDOW_SAMPLES {
                let rms = (self.sum_sq[i] / f64::from(WINDOW_SAMPLES)).sqrt();
                self.dbfs[i] = Some(if rms > 0.0 {
                    (20.0 * rms.log10()).max(FLOOR_DBFS)
                } else {
                    FLOOR_DBFS
                });
                self.sum_sq[i] = 0.0;
                self.count[i] = 0;
            }
        }
        self.stream_samples = self.stream_samples.max(start_sample + samples.len() as u64);
        let due = self.last_emit.is_none_or(|t| t.elapsed() >= self.every);
        if due && self.dbfs.iter().any(Option::is_some) {
            self.last_emit = Some(Instant::now());
            return Some(LiveEvent::Live(LiveOnly::Level {
                me_dbfs: self.dbfs[0].map(round1),
                them_dbfs: self.dbfs[1].map(round1),
                stream_secs: round1(samples_to_secs(self.stream_samples)),
            }));
        }
        None
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_reads_about_minus_3_dbfs_and_silence_the_floor() {
        let mut m = LevelMeter::new(Duration::ZERO);
        let sine: Vec<f32> = (0..3200).map(|i| (i as f32 * 0.1).sin()).collect();
        let ev = m.push(Speaker::Me, 0, &sine).unwrap();
        let LiveEvent::Live(LiveOnly::Level {
            me_dbfs: Some(me),
            them_dbfs: None,
            stream_secs,
        }) = ev
        else {
            panic!("{ev:?}")
        };
        assert!((me + 3.0).abs() < 0.2, "{me}");
        assert_eq!(stream_secs, 0.2);
        m.push(Speaker::Them, 0, &[0.0; 3200]).unwrap();
        assert_eq!(m.dbfs[1], Some(FLOOR_DBFS));
    }

    #[test]
    fn level_events_are_throttled_by_wall_clock() {
        let mut m = LevelMeter::new(Duration::from_secs(3600));
        let block = vec![0.1f32; 3200];
        assert!(m.push(Speaker::Me, 0, &block).is_some());
        assert!(m.push(Speaker::Me, 3200, &block).is_none());
    }

    #[test]
    fn wire_format_is_tagged_snake_case() {
        let lagged = LiveEvent::Live(LiveOnly::Lagged { missed: 3 });
        let v = serde_json::to_value(&lagged).unwrap();
        assert_eq!(v, serde_json::json!({"type": "lagged", "missed": 3}));
        assert_eq!(lagged.name(), "lagged");
        // A record is sent as the record itself: the schema of events.jsonl.
        let w = LiveEvent::warning("x".into());
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v, serde_json::json!({"type": "warning", "message": "x"}));
        assert_eq!(w.name(), "warning");
        // A drill's line: its own type, which is also the SSE event name.
        let l = LiveEvent::Drill(DrillLine::DrillListening {
            moment: 1,
            try_number: 2,
        });
        let v = serde_json::to_value(&l).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "drill_listening", "moment": 1, "try_number": 2})
        );
        assert_eq!(l.name(), "drill_listening");
        let e = LiveEvent::Live(LiveOnly::DrillEnded {
            session: "s".into(),
            error: None,
        });
        assert_eq!(serde_json::to_value(&e).unwrap()["type"], e.name());
    }
}
