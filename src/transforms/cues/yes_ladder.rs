//! yes_ladder: "me" asks `streak` yes-questions in a row (a "me" `other` does not break the
//! streak, "them" speaking does not either; any other "me" act does); every further one fires
//! too. An unsure yes-question neither counts nor breaks it.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct YesLadder {
    /// Fires from this many consecutive yes-questions on.
    needed: u32,
    /// Consecutive yes-questions of "me" so far.
    streak: u32,
}

impl YesLadder {
    pub fn new(rules: &CueRules) -> YesLadder {
        YesLadder {
            needed: rules.yes_ladder.streak,
            streak: 0,
        }
    }
}

impl CueRule for YesLadder {
    fn id(&self) -> CueId {
        CueId::YesLadder
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, sure: bool) -> Verdict {
        if cu.utterance.speaker != Speaker::Me {
            return Verdict::Quiet;
        }
        match cu.act {
            Act::YesQuestion if sure => {
                self.streak += 1;
                if self.streak >= self.needed {
                    Verdict::Fire(call.at)
                } else {
                    Verdict::Quiet
                }
            }
            // Held: the ladder would have fired had the classifier been sure.
            Act::YesQuestion if self.streak + 1 >= self.needed => Verdict::Hold,
            Act::YesQuestion | Act::Other => Verdict::Quiet,
            _ => {
                self.streak = 0;
                Verdict::Quiet
            }
        }
    }

    fn reset(&mut self) {
        self.streak = 0;
    }
}
