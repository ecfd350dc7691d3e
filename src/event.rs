//! The data that flows through the pipeline: audio blocks from sources, utterances from the
//! segmenter and transcriber, acts from the classifier, cues from the cue engine.
//!
//! Time is a sample position in the 16 kHz stream of the session (`*_sample`), never the wall
//! clock; conversions to seconds happen at the edges (JSON, terminal, files).

use serde::{Deserialize, Serialize};

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
}

impl CueId {
    pub const ALL: [CueId; 12] = [
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
}

/// An utterance with its act, and the explanation of the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifiedUtterance {
    pub utterance: Utterance,
    pub act: Act,
    /// Which rule or feature decided the act, human-readable.
    pub why: String,
}
