//! commitment: "them" commits.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct Commitment;

impl Commitment {
    pub fn new(_rules: &CueRules) -> Commitment {
        Commitment
    }
}

impl CueRule for Commitment {
    fn id(&self) -> CueId {
        CueId::Commitment
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if cu.utterance.speaker == Speaker::Them && cu.act == Act::CommitmentYes {
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {}
}
