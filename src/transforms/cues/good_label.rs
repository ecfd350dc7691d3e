//! good_label: "me" labels or mirrors (praise).

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct GoodLabel;

impl GoodLabel {
    pub fn new(_rules: &CueRules) -> GoodLabel {
        GoodLabel
    }
}

impl CueRule for GoodLabel {
    fn id(&self) -> CueId {
        CueId::GoodLabel
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Me && matches!(cu.act, Act::Label | Act::Mirror) {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
