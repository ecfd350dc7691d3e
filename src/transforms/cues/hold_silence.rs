//! hold_silence (me): after a label or a mirror, "me" speaks again within a couple of seconds
//! while "them" is silent. Voss: a label or mirror needs silence to work; filling it takes it
//! back. "Let it sink in: wait."

use super::{CallState, CueRule, Verdict};
use crate::event::{samples_to_secs, Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;
use crate::transforms::turns::sound_bounds;

pub struct HoldSilence {
    wait_secs: f64,
    /// End of the last label or mirror of "me" with nothing after it yet (samples).
    pending: Option<u64>,
    last_wait: f64,
}

impl HoldSilence {
    pub fn new(rules: &CueRules) -> HoldSilence {
        HoldSilence {
            wait_secs: rules.hold_silence.wait_secs,
            pending: None,
            last_wait: 0.0,
        }
    }
}

impl CueRule for HoldSilence {
    fn id(&self) -> CueId {
        CueId::HoldSilence
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        if !call.timed {
            self.pending = None;
            return Verdict::Quiet;
        }
        let (start, end) = sound_bounds(u);
        let pending = self.pending.take();
        if u.speaker == Speaker::Them {
            return Verdict::Quiet;
        }
        let mut verdict = Verdict::Quiet;
        if let Some(p) = pending.filter(|p| start >= *p) {
            let wait = samples_to_secs(start - p);
            if wait < self.wait_secs {
                self.last_wait = wait;
                verdict = Verdict::Fire(u.start_sample);
            }
        }
        if matches!(cu.act, Act::Label | Act::Mirror) && !cu.unsure {
            self.pending = Some(end);
        }
        verdict
    }

    fn reset(&mut self) {
        self.pending = None;
    }

    fn delivery(&self) -> bool {
        true
    }

    fn message(&self, text: &str) -> String {
        text.replace("{wait}", &format!("{:.1} s", self.last_wait))
    }
}
