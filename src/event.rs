//! The data that flows through the pipeline: audio blocks from sources, utterances from the
//! segmenter and transcriber, acts from the classifier, cues from the cue engine.
//!
//! Time is a sample position in the 16 kHz stream of the session (`*_sample`), never the wall
//! clock; conversions to seconds happen at the edges (JSON, terminal, files).

use serde::{Deserialize, Serialize};

/// An input device changed state: sent by a capture thread, recorded and shown as a
/// [`SessionEvent::Device`]. Times in seconds of stream time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceNotice {
    pub speaker: Speaker,
    pub event: DeviceChange,
    pub time: f64,
    #[serde(default)]
    pub detail: String,
}

/// The pipeline's internal sample rate: every source is resampled to this, mono per channel.
pub const SAMPLE_RATE_HZ: u32 = 16_000;

/// Converts a sample position at [`SAMPLE_RATE_HZ`] to seconds.
pub fn samples_to_secs(samples: u64) -> f64 {
    samples as f64 / SAMPLE_RATE_HZ as f64
}

/// Converts seconds to a sample position at [`SAMPLE_RATE_HZ`] (rounded, clamped at 0).
pub fn secs_to_samples(secs: f64) -> u64 {
    (secs.max(0.0) * SAMPLE_RATE_HZ as f64).round() as u64
}

/// The one stream-time formatter: `mm:ss` (`h:mm:ss` from an hour), or `mm:ss.s` with
/// `tenths` (minutes keep counting past 59). Rounds once, to the shown precision, so 59.96 s
/// reads `01:00.0`, never `00:60.0`.
pub fn format_clock(secs: f64, tenths: bool) -> String {
    if tenths {
        let t = (secs.max(0.0) * 10.0).round() as u64;
        return format!("{:02}:{:02}.{}", t / 600, t / 10 % 60, t % 10);
    }
    let t = secs.max(0.0).round() as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{:02}:{:02}", t / 60, t % 60)
    }
}

/// `mm:ss` (or `h:mm:ss`): scorecards, session lists.
pub fn mmss(secs: f64) -> String {
    format_clock(secs, false)
}

/// `mm:ss.s`: the live transcript and the review timeline.
pub fn mmss_tenths(secs: f64) -> String {
    format_clock(secs, true)
}

/// Replay pace of a recorded input (CLI flag, API field and replay source alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Speed {
    /// Feed audio at the pace of the recording, as a live call would.
    #[default]
    Realtime,
    /// Feed audio as fast as the pipeline takes it.
    Max,
}

/// What happened to an input device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChange {
    Lost,
    Restored,
    Fallback,
}

impl DeviceChange {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceChange::Lost => "lost",
            DeviceChange::Restored => "restored",
            DeviceChange::Fallback => "fallback",
        }
    }
}

/// Who is speaking. Channel identity, not diarization: "me" is the practitioner's microphone,
/// "them" the counterpart channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Me,
    Them,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Me => "me",
            Speaker::Them => "them",
        }
    }
    pub fn other(self) -> Speaker {
        match self {
            Speaker::Me => Speaker::Them,
            Speaker::Them => Speaker::Me,
        }
    }
}

impl std::fmt::Display for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A block of 16 kHz mono samples of one channel, starting at `start_sample` of the session.
#[derive(Debug, Clone)]
pub struct AudioBlock {
    pub speaker: Speaker,
    pub start_sample: u64,
    pub samples: Vec<f32>,
}

/// A stretch of speech found by the segmenter, not yet transcribed.
#[derive(Debug, Clone)]
pub struct SpeechSegment {
    pub speaker: Speaker,
    /// First speech frame (the detected onset).
    pub start_sample: u64,
    /// End of the last speech frame.
    pub end_sample: u64,
    /// Where `samples` begins: the onset minus the pre-roll.
    pub audio_start_sample: u64,
    /// The audio to decode: pre-roll, speech and post-roll.
    pub samples: Vec<f32>,
    /// Stream position at which the segmenter decided the segment had ended (end of speech
    /// plus the hangover); used for latency measurement.
    pub closed_at_sample: u64,
    /// Monotonic instant when the segment was closed, for measuring processing latency.
    pub closed_at: std::time::Instant,
    /// Set when speech resumed after this segment was sent as tentative: a decode of it still
    /// queued or running is wasted and stops at the next check. `None` for final segments.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// How the segment was said, measured from its audio on the channel's thread while the
    /// audio arrived (the rate waits for the text). `None` for tentative segments.
    pub prosody: Option<Prosody>,
}

/// A transcribed utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    /// Sequence number within the session, from 0.
    pub id: u64,
    pub speaker: Speaker,
    pub start_sample: u64,
    pub end_sample: u64,
    pub text: String,
    /// Milliseconds from the end of speech (in stream time) until the text was ready,
    /// when measured on a live or real-time stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Evidence of hesitation measured by the pipeline (fillers kept in the text, the pause
    /// before answering, voiced sound before the first word); `None` when nothing was measured
    /// (typed text, old sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hesitation: Option<Hesitation>,
    /// How it was said (pitch, ending, rate, level), measured from the audio; `None` for typed
    /// text and old sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prosody: Option<Prosody>,
}

/// How hesitant an utterance sounded. Whisper drops "uhm" and "uh", yet that is how a
/// counterfeit yes sounds ("Uhm, I think so."), so the evidence is kept beside the text for the
/// classifier and the review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hesitation {
    /// Filler words ("uh", "um", "hmm", "er") found in the decoded text.
    #[serde(default)]
    pub fillers: u32,
    /// Milliseconds of silence between the other side's last speech and this onset, when this
    /// utterance answers a turn of the other side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_before_ms: Option<u32>,
    /// Milliseconds of voiced sound before the first word (a drawn-out "uhm" the decoder left
    /// out), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_in_ms: Option<u32>,
}

/// Version of the [`Prosody`] record and of the measures behind it.
pub const PROSODY_VERSION: u32 = 1;

/// How an utterance was said, measured from its audio (`transforms::prosody`). Version 1:
///
/// ```json
/// {"version":1,"f0_median_hz":196.3,"f0_range_st":7.9,"end":"fall","end_slope_st_s":-9.4,
///  "rate_syl_s":4.8,"level_dbfs":-23.1,"voiced_s":1.62,"voice_start":12.41,"voice_end":14.2,
///  "contour_hz":[null,201,204,...]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prosody {
    /// [`PROSODY_VERSION`].
    pub version: u32,
    /// Median F0 of the voiced frames; `None` when too little (reliable) voicing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f0_median_hz: Option<f32>,
    /// 5-95 % spread of the voiced F0, in semitones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f0_range_st: Option<f32>,
    /// Direction of the last 400 ms of voicing.
    pub end: Ending,
    /// Slope of that window, semitones per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_slope_st_s: Option<f32>,
    /// Syllables (estimated from the text) per voiced second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_syl_s: Option<f32>,
    /// RMS level of the speech part, dBFS (floor -120).
    pub level_dbfs: f32,
    /// Seconds of voicing in the speech part.
    pub voiced_s: f32,
    /// Where the sound of the utterance starts and ends in the stream (seconds), from the
    /// waveform: closer to the truth than the VAD's edges (which are up to ~150 ms off), so
    /// the pause before an answer is measured between these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_start: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_end: Option<f64>,
    /// F0 every 20 ms from the speech start (rounded Hz, `null` unvoiced), for drawing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contour_hz: Vec<Option<u16>>,
}

/// Direction of the pitch at the end of an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    Rise,
    Fall,
    Level,
    /// Too little voicing at the end, or a contour too unreliable to call: never a guess.
    Unknown,
}

impl Ending {
    /// The arrow shown after the act: ↗ rise, ↘ fall, → level, nothing when unknown.
    pub fn arrow(self) -> &'static str {
        match self {
            Ending::Rise => "↗",
            Ending::Fall => "↘",
            Ending::Level => "→",
            Ending::Unknown => "",
        }
    }
}

/// A pause before answering at least this long counts as hesitation. People answer within
/// 200-500 ms; a role-play or a TTS test call leaves up to ~1.2 s between turns, so the bar
/// sits well above that.
pub const HESITANT_PAUSE_MS: u32 = 2000;
/// Sound before the first word at least this long counts as hesitation (a drawn-out "uhm").
pub const HESITANT_LEAD_IN_MS: u32 = 400;

impl Hesitation {
    /// True when the evidence says the speaker hesitated: a filler, a pause of
    /// [`HESITANT_PAUSE_MS`] or more before answering, or [`HESITANT_LEAD_IN_MS`] or more of
    /// sound before the first word.
    pub fn hesitant(&self) -> bool {
        self.fillers > 0
            || self.pause_before_ms.is_some_and(|p| p >= HESITANT_PAUSE_MS)
            || self.lead_in_ms.is_some_and(|l| l >= HESITANT_LEAD_IN_MS)
    }
}

impl Utterance {
    pub fn start_secs(&self) -> f64 {
        samples_to_secs(self.start_sample)
    }
    pub fn end_secs(&self) -> f64 {
        samples_to_secs(self.end_sample)
    }
}

/// A stretch that held speech (the VAD fired) but gave no accepted text. It is still a turn:
/// recorded as an `unclear` event and shown as "(unclear)", never silently lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Unclear {
    pub speaker: Speaker,
    pub start_sample: u64,
    pub end_sample: u64,
    /// Why no text was kept: "no_speech", "repetition", "empty", "non_speech_tag".
    pub reason: String,
}

/// The negotiation act of one utterance (see shared coaching SPEC). "me" acts and "them" acts
/// share one enum; `Other` is valid for both speakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    // acts of "me"
    YesQuestion,
    NoQuestion,
    Label,
    CalibratedQuestion,
    Mirror,
    Pitch,
    // acts of "them"
    No,
    CounterfeitYes,
    ConfirmationYes,
    CommitmentYes,
    ThatsRight,
    // either
    Other,
}

impl Act {
    /// Every act, in declaration order.
    pub const ALL: [Act; 12] = [
        Act::YesQuestion,
        Act::NoQuestion,
        Act::Label,
        Act::CalibratedQuestion,
        Act::Mirror,
        Act::Pitch,
        Act::No,
        Act::CounterfeitYes,
        Act::ConfirmationYes,
        Act::CommitmentYes,
        Act::ThatsRight,
        Act::Other,
    ];
    pub const ME: [Act; 7] = [
        Act::YesQuestion,
        Act::NoQuestion,
        Act::Label,
        Act::CalibratedQuestion,
        Act::Mirror,
        Act::Pitch,
        Act::Other,
    ];
    pub const THEM: [Act; 6] = [
        Act::No,
        Act::CounterfeitYes,
        Act::ConfirmationYes,
        Act::CommitmentYes,
        Act::ThatsRight,
        Act::Other,
    ];

    /// The acts that can be given to an utterance of `speaker`.
    pub fn for_speaker(speaker: Speaker) -> &'static [Act] {
        match speaker {
            Speaker::Me => &Self::ME,
            Speaker::Them => &Self::THEM,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Act::YesQuestion => "yes_question",
            Act::NoQuestion => "no_question",
            Act::Label => "label",
            Act::CalibratedQuestion => "calibrated_question",
            Act::Mirror => "mirror",
            Act::Pitch => "pitch",
            Act::No => "no",
            Act::CounterfeitYes => "counterfeit_yes",
            Act::ConfirmationYes => "confirmation_yes",
            Act::CommitmentYes => "commitment_yes",
            Act::ThatsRight => "thats_right",
            Act::Other => "other",
        }
    }

    /// True for the question acts of "me".
    pub fn is_question(self) -> bool {
        matches!(
            self,
            Act::YesQuestion | Act::NoQuestion | Act::CalibratedQuestion
        )
    }
}

impl std::fmt::Display for Act {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How loudly a cue speaks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Praise,
    Nudge,
    Alert,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Praise => "praise",
            Severity::Nudge => "nudge",
            Severity::Alert => "alert",
        }
    }
}

/// The live cues of the coaching spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CueId {
    OpeningYes,
    YesLadder,
    QuestionBarrage,
    PitchEarly,
    CounterfeitYes,
    NoHeard,
    ThatsRight,
    Commitment,
    GoodNoQuestion,
    GoodLabel,
    TalkRatio,
    LongMonologue,
    LandIt,
    HoldSilence,
    SilenceHeld,
    SlowDown,
    SlowYes,
    ClosingUp,
}

impl CueId {
    pub const ALL: [CueId; 18] = [
        CueId::OpeningYes,
        CueId::YesLadder,
        CueId::QuestionBarrage,
        CueId::PitchEarly,
        CueId::CounterfeitYes,
        CueId::NoHeard,
        CueId::ThatsRight,
        CueId::Commitment,
        CueId::GoodNoQuestion,
        CueId::GoodLabel,
        CueId::TalkRatio,
        CueId::LongMonologue,
        CueId::LandIt,
        CueId::HoldSilence,
        CueId::SilenceHeld,
        CueId::SlowDown,
        CueId::SlowYes,
        CueId::ClosingUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CueId::OpeningYes => "opening_yes",
            CueId::YesLadder => "yes_ladder",
            CueId::QuestionBarrage => "question_barrage",
            CueId::PitchEarly => "pitch_early",
            CueId::CounterfeitYes => "counterfeit_yes",
            CueId::NoHeard => "no_heard",
            CueId::ThatsRight => "thats_right",
            CueId::Commitment => "commitment",
            CueId::GoodNoQuestion => "good_no_question",
            CueId::GoodLabel => "good_label",
            CueId::TalkRatio => "talk_ratio",
            CueId::LongMonologue => "long_monologue",
            CueId::LandIt => "land_it",
            CueId::HoldSilence => "hold_silence",
            CueId::SilenceHeld => "silence_held",
            CueId::SlowDown => "slow_down",
            CueId::SlowYes => "slow_yes",
            CueId::ClosingUp => "closing_up",
        }
    }
}

impl std::fmt::Display for CueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A live cue for the practitioner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    pub id: CueId,
    pub severity: Severity,
    pub message: String,
    /// Stream position the cue refers to (end of the triggering utterance, or the moment a
    /// timed rule fired).
    pub at_sample: u64,
    /// The utterance that triggered it, if any (timed cues may have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utterance_id: Option<u64>,
    /// Recorded for the review, not shown live: a delivery cue within 30 s of the last one
    /// shown (live pacing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review_only: bool,
}

/// An utterance with its act, and the explanation of the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifiedUtterance {
    pub utterance: Utterance,
    pub act: Act,
    /// Which rule or feature decided the act, human-readable.
    pub why: String,
    /// How sure the classifier is of `act` (0..1); `None` where nothing measured it.
    pub confidence: Option<f32>,
    /// A cue this act would trigger was held back because `confidence` was below the cue's
    /// threshold: the act is shown "(unsure)" in the review and never alerted live.
    pub unsure: bool,
}

/// The one record of what happened in a session: a line of `events.jsonl` (format version
/// [`crate::session::FORMAT_VERSION`]), a line of `practice --json` / `roleplay --json`, and
/// the `data:` of a record event on the live stream (`GET /api/events`, see
/// `control::events::LiveEvent`). One schema, documented here.
///
/// The file is append-only: one JSON object per line, tagged by `"type"` (snake_case), written
/// and flushed as each event happens so a killed process loses at most the line being written.
/// Times are seconds of stream time from the start of the session (f64), i.e. positions in
/// `audio.wav`, not the wall clock.
///
/// ```text
/// {"type":"session_start","version":1,"id":"20261126-140509-3fa2c1","started_at":"2026-11-26T14:05:09+01:00","sample_rate":16000,"channels":2}
/// {"type":"utterance","id":0,"speaker":"me","start":1.2,"end":2.5,"text":"Is now a bad time?","act":"no_question","why":"...","latency_ms":640.0}
/// {"type":"cue","id":"good_no_question","severity":"praise","message":"...","time":2.5,"utterance_id":0}
/// {"type":"device","speaker":"them","event":"lost","time":30.0,"detail":"USB headset"}
/// {"type":"gap","speaker":"them","start":41.0,"end":43.5}
/// {"type":"unclear","speaker":"them","start":50.2,"end":50.9,"reason":"low_confidence"}
/// {"type":"warning","message":"recording: disk full"}
/// {"type":"transcript_stopped","time":480.2,"skipped":12}
/// {"type":"session_end","duration":95.5,"utterances":31,"cues":12}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionEvent {
    /// First line of every log.
    SessionStart {
        version: u32,
        /// The session id (also the directory name).
        id: String,
        /// Wall clock at start, RFC 3339.
        started_at: String,
        sample_rate: u32,
        /// 2: left = me, right = them; 1: me only.
        channels: u16,
    },
    /// A transcribed, classified utterance.
    Utterance {
        /// Sequence number of the utterance in the session.
        id: u64,
        speaker: Speaker,
        start: f64,
        end: f64,
        text: String,
        act: Act,
        /// Why the classifier chose the act.
        why: String,
        /// How sure the classifier is of the act, 0..1 (absent in sessions before it was
        /// measured).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confidence: Option<f32>,
        /// A cue of this act was held back for low confidence: shown "(unsure)" in review.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unsure: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_ms: Option<f64>,
        /// Evidence of hesitation (fillers, pause before answering, sound before the first word).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hesitation: Option<Hesitation>,
        /// How it was said (absent for typed text and sessions before version 1 of the record).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prosody: Option<Prosody>,
    },
    /// A stretch that held speech (the VAD fired) but gave no accepted text: too unclear,
    /// rejected as a likely hallucination, or empty. Counted as a turn, shown as "(unclear)" in
    /// review, so a turn is never silently lost.
    Unclear {
        speaker: Speaker,
        start: f64,
        end: f64,
        /// Why no text was kept, e.g. "no_speech", "low_confidence", "empty", "repetition".
        reason: String,
    },
    /// A coaching cue (all severities are recorded, shown live or not).
    Cue {
        id: CueId,
        severity: Severity,
        message: String,
        time: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        utterance_id: Option<u64>,
        /// Recorded for the review, not shown live (delivery cues are paced: one per 30 s).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        review_only: bool,
    },
    /// An input device changed state.
    Device(DeviceNotice),
    /// A non-fatal problem worth showing once (e.g. a failed decode, a recording write that
    /// failed). Shown live and sent to `--json` and SSE; not written to `events.jsonl`.
    Warning { message: String },
    /// The recorder padded a channel with silence because its audio did not arrive
    /// (it fell more than 2 s behind the other channel); `start..end` in `audio.wav` is silence
    /// for that speaker.
    Gap {
        speaker: Speaker,
        start: f64,
        end: f64,
    },
    /// Stop during a replay at max speed: transcription ended at `time` (stream seconds),
    /// and the `skipped` utterances queued after it were dropped, not decoded (their audio is
    /// in `audio.wav`).
    TranscriptStopped { time: f64, skipped: u32 },
    /// Last line of a cleanly finished log (absent after a crash).
    SessionEnd {
        /// Length of `audio.wav` in seconds.
        duration: f64,
        utterances: u64,
        cues: u64,
    },
}

/// One turn of a session as its records hold it, borrowed: an utterance, or speech that gave
/// no accepted text (`id` `None`, empty text, act `other`). The one view the scorecard and the
/// debrief read the turns through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnRef<'a> {
    pub id: Option<u64>,
    pub speaker: Speaker,
    pub start: f64,
    /// Never before `start`.
    pub end: f64,
    pub text: &'a str,
    pub act: Act,
    /// How it was said, when measured.
    pub prosody: Option<&'a Prosody>,
}

impl SessionEvent {
    /// The turn this record holds, if it is an utterance or unclear speech.
    pub fn turn(&self) -> Option<TurnRef<'_>> {
        match self {
            SessionEvent::Utterance {
                id,
                speaker,
                start,
                end,
                text,
                act,
                prosody,
                ..
            } => Some(TurnRef {
                id: Some(*id),
                speaker: *speaker,
                start: *start,
                end: end.max(*start),
                text,
                act: *act,
                prosody: prosody.as_ref(),
            }),
            SessionEvent::Unclear {
                speaker,
                start,
                end,
                ..
            } => Some(TurnRef {
                id: None,
                speaker: *speaker,
                start: *start,
                end: end.max(*start),
                text: "",
                act: Act::Other,
                prosody: None,
            }),
            _ => None,
        }
    }

    pub fn from_utterance(cu: &ClassifiedUtterance) -> SessionEvent {
        let u = &cu.utterance;
        SessionEvent::Utterance {
            id: u.id,
            speaker: u.speaker,
            start: samples_to_secs(u.start_sample),
            end: samples_to_secs(u.end_sample),
            text: u.text.clone(),
            act: cu.act,
            why: cu.why.clone(),
            confidence: cu.confidence.map(|c| (c * 1000.0).round() / 1000.0),
            unsure: cu.unsure,
            latency_ms: u.latency_ms,
            hesitation: u.hesitation.clone(),
            prosody: u.prosody.clone(),
        }
    }

    pub fn from_unclear(u: &Unclear) -> SessionEvent {
        SessionEvent::Unclear {
            speaker: u.speaker,
            start: samples_to_secs(u.start_sample),
            end: samples_to_secs(u.end_sample),
            reason: u.reason.clone(),
        }
    }

    pub fn from_cue(c: &Cue) -> SessionEvent {
        SessionEvent::Cue {
            id: c.id,
            severity: c.severity,
            message: c.message.clone(),
            time: samples_to_secs(c.at_sample),
            utterance_id: c.utterance_id,
            review_only: c.review_only,
        }
    }

    /// The record's kind: its `type` tag (also the SSE event name).
    pub fn kind(&self) -> &'static str {
        match self {
            SessionEvent::SessionStart { .. } => "session_start",
            SessionEvent::Utterance { .. } => "utterance",
            SessionEvent::Unclear { .. } => "unclear",
            SessionEvent::Cue { .. } => "cue",
            SessionEvent::Device(_) => "device",
            SessionEvent::Warning { .. } => "warning",
            SessionEvent::Gap { .. } => "gap",
            SessionEvent::TranscriptStopped { .. } => "transcript_stopped",
            SessionEvent::SessionEnd { .. } => "session_end",
        }
    }

    /// The time the event refers to (start for utterances and gaps), for ordering.
    pub fn time(&self) -> f64 {
        match self {
            SessionEvent::SessionStart { .. } => 0.0,
            SessionEvent::Utterance { start, .. }
            | SessionEvent::Gap { start, .. }
            | SessionEvent::Unclear { start, .. } => *start,
            SessionEvent::Cue { time, .. }
            | SessionEvent::Device(DeviceNotice { time, .. })
            | SessionEvent::TranscriptStopped { time, .. } => *time,
            SessionEvent::Warning { .. } => 0.0,
            SessionEvent::SessionEnd { duration, .. } => *duration,
        }
    }
}

/// Counters visible in status and at the end of a session.
#[derive(Debug, Default)]
pub struct Stats {
    /// Stream position reached (samples at 16 kHz), for status.
    pub stream_samples: std::sync::atomic::AtomicU64,
    pub dropped_samples: std::sync::atomic::AtomicU64,
    pub decode_errors: std::sync::atomic::AtomicU64,
    pub segments_decoded: std::sync::atomic::AtomicU64,
    pub segments_reused: std::sync::atomic::AtomicU64,
    /// Tentative decodes stopped because speech resumed.
    pub decodes_cancelled: std::sync::atomic::AtomicU64,
    /// Decodes whose first pass was doubted and decoded again with the full context.
    pub decodes_retried: std::sync::atomic::AtomicU64,
    /// Time spent in Whisper decodes, microseconds (for the real-time factor).
    pub decode_micros: std::sync::atomic::AtomicU64,
    /// When the first source started delivering: stream time 0 on the wall clock (at real-time
    /// pace stream second x arrives at `started + x`).
    pub started: std::sync::OnceLock<std::time::Instant>,
    /// Where the time of each utterance went, kept only when a bench sets it (`bench roleplay
    /// --verbose`); filled by the transcriber thread, never by the audio callback.
    pub turn_timings: std::sync::OnceLock<std::sync::Mutex<Vec<TurnTiming>>>,
}

/// Where the time of one utterance went, from the end of its speech to its text.
#[derive(Debug, Clone, Copy)]
pub struct TurnTiming {
    pub speaker: Speaker,
    pub end_sample: u64,
    /// End of speech to the segment's close (the VAD's end-of-turn wait), ms.
    pub hang_ms: f64,
    /// Close of the segment to its text (queue and decode), ms.
    pub decode_ms: f64,
    /// The decoder's first pass and its second look (full context), ms; for a text reused from
    /// the tentative decode, that decode's.
    pub first_ms: f64,
    pub second_ms: Option<f64>,
    /// The text came from the tentative decode, started before the end-of-turn wait was over.
    pub reused: bool,
    /// When the text was ready, and when the coach had classified it.
    pub ready_at: std::time::Instant,
    pub classified_at: Option<std::time::Instant>,
}

/// What the session thread hands to sinks (see `crate::sinks::Sink`): a block of captured
/// audio (for recording and level meters) or a record of what happened.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Audio(&'a AudioBlock),
    Record(&'a SessionEvent),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_rounds_once_so_59_96_s_is_a_whole_minute() {
        assert_eq!(mmss_tenths(59.96), "01:00.0");
        assert_eq!(mmss_tenths(59.94), "00:59.9");
        assert_eq!(mmss_tenths(0.5), "00:00.5");
        assert_eq!(mmss_tenths(3725.0), "62:05.0");
        assert_eq!(mmss(59.6), "01:00");
        assert_eq!(mmss(3725.0), "1:02:05");
        assert_eq!(mmss(-3.0), "00:00");
    }

    #[test]
    fn device_record_keeps_its_wire_shape() {
        let ev = SessionEvent::Device(DeviceNotice {
            speaker: Speaker::Them,
            event: DeviceChange::Lost,
            time: 3.0,
            detail: "usb".into(),
        });
        let line = serde_json::to_string(&ev).unwrap();
        assert_eq!(
            line,
            r#"{"type":"device","speaker":"them","event":"lost","time":3.0,"detail":"usb"}"#
        );
        assert_eq!(serde_json::from_str::<SessionEvent>(&line).unwrap(), ev);
        let w = SessionEvent::Warning {
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"type":"warning","message":"m"}"#
        );
        assert_eq!(w.kind(), "warning");
    }
}
