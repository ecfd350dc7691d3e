//! good_no_question: "me" asks a no-oriented question (praise).

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct GoodNoQuestion;

impl GoodNoQuestion {
    pub fn new(_rules: &CueRules) -> GoodNoQuestion {
        GoodNoQuestion
    }
}

impl CueRule for GoodNoQuestion {
    fn id(&self) -> CueId {
        CueId::GoodNoQuestion
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Me && cu.act == Act::NoQuestion {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
