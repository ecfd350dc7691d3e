//! slow_yes (them): a yes that came late. People answer within a few hundred milliseconds; a
//! yes after a pause well above this call's usual answer gap is a yes to check ("That yes
//! took 1.6 s. Check it with a label."). It counts as a counterfeit suspect in the scorecard
//! and the debrief. The usual gap is this call's, so a slow talker's every yes is not flagged.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct SlowYes {
    min_pause_ms: u32,
    times_usual: f32,
    min_answers: usize,
    last_pause_ms: u32,
}

impl SlowYes {
    pub fn new(rules: &CueRules) -> SlowYes {
        let r = &rules.slow_yes;
        SlowYes {
            min_pause_ms: r.min_pause_ms,
            times_usual: r.times_usual,
            min_answers: r.min_answers,
            last_pause_ms: 0,
        }
    }
}

/// The yes family of "them": every answer that says yes, counterfeit or not.
pub fn is_yes(act: Act) -> bool {
    matches!(
        act,
        Act::ConfirmationYes | Act::CommitmentYes | Act::CounterfeitYes
    )
}

impl CueRule for SlowYes {
    fn id(&self) -> CueId {
        CueId::SlowYes
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        if u.speaker != Speaker::Them || !is_yes(cu.act) {
            return Verdict::Quiet;
        }
        let Some(pause) = u.hesitation.as_ref().and_then(|h| h.pause_before_ms) else {
            return Verdict::Quiet;
        };
        // Before the call has shown its usual gap, no cue: a slow yes needs a usual to be
        // slow against.
        let Some(usual) = call.usual_them_gap(self.min_answers) else {
            return Verdict::Quiet;
        };
        if pause >= self.min_pause_ms && pause as f32 >= self.times_usual * usual {
            self.last_pause_ms = pause;
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {
        self.last_pause_ms = 0;
    }

    fn delivery(&self) -> bool {
        true
    }

    fn message(&self, text: &str) -> String {
        text.replace(
            "{pause}",
            &format!("{:.1} s", f64::from(self.last_pause_ms) / 1000.0),
        )
    }
}
