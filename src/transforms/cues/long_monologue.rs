//! long_monologue: "me" has spoken for more than `max_secs` since "them" last spoke (timed
//! utterances only). Fires once per monologue; "them" speaking, timed or not, ends it.

use super::{CallState, CueRule, Verdict};
use crate::event::{secs_to_samples, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct LongMonologue {
    max_samples: u64,
    /// Start of the current monologue of "me", in samples.
    start: Option<u64>,
    /// The current monologue has fired.
    fired: bool,
}

impl LongMonologue {
    pub fn new(rules: &CueRules) -> LongMonologue {
        LongMonologue {
            max_samples: secs_to_samples(rules.long_monologue.max_secs),
            start: None,
            fired: false,
        }
    }
}

impl CueRule for LongMonologue {
    fn id(&self) -> CueId {
        CueId::LongMonologue
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        match u.speaker {
            Speaker::Them => {
                self.reset();
                Verdict::Quiet
            }
            Speaker::Me if call.timed => {
                let start = *self.start.get_or_insert(u.start_sample);
                if !self.fired && u.end_sample.saturating_sub(start) > self.max_samples {
                    self.fired = true;
                    Verdict::Fire(u.end_sample)
                } else {
                    Verdict::Quiet
                }
            }
            Speaker::Me => Verdict::Quiet,
        }
    }

    fn reset(&mut self) {
        self.start = None;
        self.fired = false;
    }
}
