//! thats_right: "them" says "that's right".

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct ThatsRight;

impl ThatsRight {
    pub fn new(_rules: &CueRules) -> ThatsRight {
        ThatsRight
    }
}

impl CueRule for ThatsRight {
    fn id(&self) -> CueId {
        CueId::ThatsRight
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Them && cu.act == Act::ThatsRight {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
