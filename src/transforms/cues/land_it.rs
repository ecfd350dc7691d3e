//! land_it (me): an ask, a price, a deadline or a pitch whose end rises. Voss: the downward
//! inflection lands a statement; an upward one invites doubt and haggling. A question may
//! rise (that is how English asks), so questions and mirrors are left alone.

use super::{CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Ending, Prosody, Speaker};
use crate::transforms::rules::CueRules;

/// The window the ending is measured over (the prosody record's `end`).
pub const END_WINDOW_S: f32 = 0.4;

pub struct LandIt {
    min_rise_st: f32,
    live: bool,
    last_rise: f32,
}

impl LandIt {
    pub fn new(rules: &CueRules) -> LandIt {
        LandIt {
            min_rise_st: rules.land_it.min_rise_st,
            live: rules.land_it.live,
            last_rise: 0.0,
        }
    }
}

/// Words that make a statement of "me" an ask, a price or a deadline.
const ASK_WORDS: &[&str] = &[
    "price",
    "cost",
    "costs",
    "fee",
    "fees",
    "rate",
    "budget",
    "discount",
    "dollars",
    "dollar",
    "euros",
    "pounds",
    "percent",
    "per",
    "month",
    "monthly",
    "year",
    "annual",
    "deadline",
    "by",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "tomorrow",
    "today",
    "need",
    "want",
    "ask",
    "asking",
    "offer",
    "propose",
    "proposing",
    "sign",
    "commit",
    "contract",
    "deal",
    "raise",
    "salary",
    "rent",
];

/// An ask, a price, a deadline or a pitch of "me": a pitch act, or a statement (not a
/// question, not a mirror or label) that names money, a number, a deadline or a request.
pub fn is_ask(speaker: Speaker, act: Act, text: &str) -> bool {
    if speaker != Speaker::Me {
        return false;
    }
    match act {
        Act::Pitch => true,
        Act::Other => {
            let t = text.to_lowercase();
            if t.trim_end().ends_with('?') {
                return false;
            }
            t.contains('$')
                || t.contains('%')
                || t.chars().any(|c| c.is_ascii_digit())
                || t.split(|c: char| !c.is_alphanumeric())
                    .any(|w| ASK_WORDS.contains(&w))
        }
        _ => false,
    }
}

/// The rise of an utterance's ending in semitones, when its prosody says it rose.
pub fn end_rise_st(p: Option<&Prosody>) -> Option<f32> {
    let p = p?;
    (p.end == Ending::Rise).then_some(())?;
    p.end_slope_st_s.map(|s| s * END_WINDOW_S)
}

impl CueRule for LandIt {
    fn id(&self) -> CueId {
        CueId::LandIt
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        if !is_ask(u.speaker, cu.act, &u.text) {
            return Verdict::Quiet;
        }
        match end_rise_st(u.prosody.as_ref()) {
            Some(r) if r >= self.min_rise_st => {
                self.last_rise = r;
                Verdict::Fire(call.at)
            }
            _ => Verdict::Quiet,
        }
    }

    fn reset(&mut self) {
        self.last_rise = 0.0;
    }

    fn delivery(&self) -> bool {
        true
    }

    fn live(&self) -> bool {
        self.live
    }

    fn message(&self, text: &str) -> String {
        text.replace("{rise}", &format!("+{:.1} st", self.last_rise))
    }
}
