//! silence_held (me, praise): "me" labelled or mirrored, then held the silence until "them"
//! answered, after a wait of several seconds. The silence did the work.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct SilenceHeld {
    wait_ms: f64,
    /// The last utterance was a label or mirror of "me".
    after_label: bool,
    last_wait_ms: u32,
}

impl SilenceHeld {
    pub fn new(rules: &CueRules) -> SilenceHeld {
        SilenceHeld {
            wait_ms: rules.silence_held.wait_secs * 1000.0,
            after_label: false,
            last_wait_ms: 0,
        }
    }
}

impl CueRule for SilenceHeld {
    fn id(&self) -> CueId {
        CueId::SilenceHeld
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        let after_label = std::mem::replace(
            &mut self.after_label,
            u.speaker == Speaker::Me && matches!(cu.act, Act::Label | Act::Mirror) && !cu.unsure,
        );
        if !after_label || u.speaker != Speaker::Them || !call.timed {
            return Verdict::Quiet;
        }
        match u.hesitation.as_ref().and_then(|h| h.pause_before_ms) {
            Some(p) if f64::from(p) >= self.wait_ms => {
                self.last_wait_ms = p;
                Verdict::Fire(u.start_sample)
            }
            _ => Verdict::Quiet,
        }
    }

    fn reset(&mut self) {
        self.after_label = false;
    }

    fn delivery(&self) -> bool {
        true
    }

    fn message(&self, text: &str) -> String {
        text.replace(
            "{wait}",
            &format!("{:.1} s", f64::from(self.last_wait_ms) / 1000.0),
        )
    }
}
