//! slow_down (me): speaking faster than usual. The rate over the last few utterances of
//! "me" (syllables per voiced second, pooled) against the first minute's baseline of this
//! call, and above an absolute floor so a naturally quick talker at their usual pace is left
//! alone. Voss's late-night FM DJ voice is slow.

use std::collections::VecDeque;

use super::{CallState, CueRule, Verdict};
use crate::event::{ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

/// Utterances of "me" with a rate before the baseline counts.
const BASELINE_MIN_UTTERANCES: usize = 3;

pub struct SlowDown {
    n: usize,
    over_usual: f32,
    min_rate: f32,
    /// (syllables, voiced seconds) of the last `n` utterances of "me".
    recent: VecDeque<(f32, f32)>,
    last: (f32, f32),
}

impl SlowDown {
    pub fn new(rules: &CueRules) -> SlowDown {
        let r = &rules.slow_down;
        SlowDown {
            n: r.utterances.max(1),
            over_usual: r.over_usual,
            min_rate: r.min_rate,
            recent: VecDeque::new(),
            last: (0.0, 0.0),
        }
    }
}

impl CueRule for SlowDown {
    fn id(&self) -> CueId {
        CueId::SlowDown
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        let Some((rate, voiced)) = u
            .prosody
            .as_ref()
            .filter(|_| u.speaker == Speaker::Me)
            .and_then(|p| p.rate_syl_s.map(|r| (r, p.voiced_s)))
        else {
            return Verdict::Quiet;
        };
        self.recent.push_back((rate * voiced, voiced));
        while self.recent.len() > self.n {
            self.recent.pop_front();
        }
        if self.recent.len() < self.n {
            return Verdict::Quiet;
        }
        let Some(usual) = call.baseline_me.rate(BASELINE_MIN_UTTERANCES) else {
            return Verdict::Quiet;
        };
        let (syl, secs): (f32, f32) = self
            .recent
            .iter()
            .fold((0.0, 0.0), |(a, b), (s, v)| (a + s, b + v));
        if secs <= 0.0 {
            return Verdict::Quiet;
        }
        let now = syl / secs;
        if now >= usual * (1.0 + self.over_usual) && now > self.min_rate {
            self.last = (now, usual);
            // Once said, the next cue needs a fresh run of fast utterances.
            self.recent.clear();
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {
        self.recent.clear();
    }

    fn delivery(&self) -> bool {
        true
    }

    fn message(&self, text: &str) -> String {
        text.replace("{rate}", &format!("{:.1}", self.last.0))
            .replace("{usual}", &format!("{:.1}", self.last.1))
    }
}
