//! no_heard: "them" says no.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct NoHeard;

impl NoHeard {
    pub fn new(_rules: &CueRules) -> NoHeard {
        NoHeard
    }
}

impl CueRule for NoHeard {
    fn id(&self) -> CueId {
        CueId::NoHeard
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Them && cu.act == Act::No {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
