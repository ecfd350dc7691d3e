//! opening_yes: the first question of "me" in the call is a yes-question. A mirror or a label is
//! not a question; a question the classifier is not sure of does not open the call's questions.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct OpeningYes {
    /// "me" has asked a (sure) question.
    asked: bool,
}

impl OpeningYes {
    pub fn new(_rules: &CueRules) -> OpeningYes {
        OpeningYes { asked: false }
    }
}

impl CueRule for OpeningYes {
    fn id(&self) -> CueId {
        CueId::OpeningYes
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, sure: bool) -> Verdict {
        let act = cu.act;
        if cu.utterance.speaker != Speaker::Me || !act.is_question() || self.asked {
            return Verdict::Quiet;
        }
        match (sure, act == Act::YesQuestion) {
            (true, yes) => {
                self.asked = true;
                if yes {
                    Verdict::Fire(call.at)
                } else {
                    Verdict::Quiet
                }
            }
            (false, true) => Verdict::Hold,
            (false, false) => Verdict::Quiet,
        }
    }

    fn reset(&mut self) {
        self.asked = false;
    }
}
