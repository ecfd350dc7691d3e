//! talk_ratio: after `min_call_secs`, "me" holds more than `max_share` of the speaking time of
//! the last `window_secs` (timed utterances only); at most once per `every_secs`. Checked on
//! every timed utterance and between utterances (`on_time`).

use std::collections::VecDeque;

use super::{CallState, CueRule, Verdict};
use crate::event::{secs_to_samples, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::{CueRules, TalkRatioRule};

pub struct TalkRatio {
    rule: TalkRatioRule,
    /// Timed speech of the last `window_secs`: (speaker, start, end) in samples.
    speech: VecDeque<(Speaker, u64, u64)>,
    /// When the cue last fired, in samples.
    last: Option<u64>,
}

impl TalkRatio {
    pub fn new(rules: &CueRules) -> TalkRatio {
        TalkRatio {
            rule: rules.talk_ratio.clone(),
            speech: VecDeque::new(),
            last: None,
        }
    }

    fn check(&mut self, now: u64) -> Verdict {
        let r = &self.rule;
        let from = now.saturating_sub(secs_to_samples(r.window_secs));
        while self.speech.front().is_some_and(|s| s.2 <= from) {
            self.speech.pop_front();
        }
        if now < secs_to_samples(r.min_call_secs) {
            return Verdict::Quiet;
        }
        if self
            .last
            .is_some_and(|t| now.saturating_sub(t) < secs_to_samples(r.every_secs))
        {
            return Verdict::Quiet;
        }
        let (mut me, mut them) = (0u64, 0u64);
        for &(sp, s, e) in &self.speech {
            let d = e.min(now).saturating_sub(s.max(from));
            match sp {
                Speaker::Me => me += d,
                Speaker::Them => them += d,
            }
        }
        let total = me + them;
        if total > 0 && me as f64 / total as f64 > r.max_share {
            self.last = Some(now);
            Verdict::Fire(now)
        } else {
            Verdict::Quiet
        }
    }
}

impl CueRule for TalkRatio {
    fn id(&self) -> CueId {
        CueId::TalkRatio
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        if !call.timed {
            return Verdict::Quiet;
        }
        let u = &cu.utterance;
        self.speech
            .push_back((u.speaker, u.start_sample, u.end_sample));
        self.check(call.now)
    }

    fn on_time(&mut self, call: &CallState) -> Verdict {
        self.check(call.now)
    }

    fn reset(&mut self) {
        self.speech.clear();
        self.last = None;
    }
}
