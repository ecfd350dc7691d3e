//! pitch_early: "me" pitches before any discovery (a label, calibrated question or mirror).

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct PitchEarly;

impl PitchEarly {
    pub fn new(_rules: &CueRules) -> PitchEarly {
        PitchEarly
    }
}

impl CueRule for PitchEarly {
    fn id(&self) -> CueId {
        CueId::PitchEarly
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Me && cu.act == Act::Pitch && !call.discovered {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
