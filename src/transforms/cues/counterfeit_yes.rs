//! counterfeit_yes: "them" gives a yes that does not commit.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct CounterfeitYes;

impl CounterfeitYes {
    pub fn new(_rules: &CueRules) -> CounterfeitYes {
        CounterfeitYes
    }
}

impl CueRule for CounterfeitYes {
    fn id(&self) -> CueId {
        CueId::CounterfeitYes
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Them && cu.act == Act::CounterfeitYes {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
