//! closing_up (them): after a run of my questions, their answers get shorter and slower than
//! their first answers in this call. Voss: "your client's tone will sound more defensive as you
//! put another question on them." Stop asking; label.

use super::{median, CallState, CueRule, Verdict};
use crate::event::{Act, ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

/// Answers of "them" that set what their usual answer is.
const FIRST_ANSWERS: usize = 3;
/// Answers compared against them (the latest ones).
const LATEST: usize = 2;

pub struct ClosingUp {
    min_questions: usize,
    shorter: f32,
    slower_ms: f32,
    /// Questions of "me" in a row (a mirror or a label breaks the run).
    run: usize,
    /// The last utterance was a question of "me".
    asked: bool,
    /// (words, pause ms) of their answers to my questions, in order.
    answers: Vec<(f32, f32)>,
    fired_in_run: bool,
}

impl ClosingUp {
    pub fn new(rules: &CueRules) -> ClosingUp {
        let r = &rules.closing_up;
        ClosingUp {
            min_questions: r.questions.max(1),
            shorter: r.shorter,
            slower_ms: r.slower_ms,
            run: 0,
            asked: false,
            answers: Vec::new(),
            fired_in_run: false,
        }
    }
}

impl CueRule for ClosingUp {
    fn id(&self) -> CueId {
        CueId::ClosingUp
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, _sure: bool) -> Verdict {
        let u = &cu.utterance;
        match u.speaker {
            Speaker::Me => {
                self.asked = cu.act.is_question() && !cu.unsure;
                if self.asked {
                    self.run += 1;
                } else if matches!(cu.act, Act::Label | Act::Mirror) {
                    self.run = 0;
                    self.fired_in_run = false;
                }
                Verdict::Quiet
            }
            Speaker::Them => {
                let asked = std::mem::replace(&mut self.asked, false);
                let pause = u.hesitation.as_ref().and_then(|h| h.pause_before_ms);
                let (true, Some(pause), true) = (asked, pause, call.timed) else {
                    return Verdict::Quiet;
                };
                let words = u
                    .text
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .count() as f32;
                self.answers.push((words, pause as f32));
                if self.answers.len() < FIRST_ANSWERS + LATEST
                    || self.run < self.min_questions
                    || self.fired_in_run
                {
                    return Verdict::Quiet;
                }
                let first = &self.answers[..FIRST_ANSWERS];
                let latest = &self.answers[self.answers.len() - LATEST..];
                let (w0, p0) = (
                    median(&first.iter().map(|a| a.0).collect::<Vec<_>>()),
                    median(&first.iter().map(|a| a.1).collect::<Vec<_>>()),
                );
                let (w1, p1) = (
                    median(&latest.iter().map(|a| a.0).collect::<Vec<_>>()),
                    median(&latest.iter().map(|a| a.1).collect::<Vec<_>>()),
                );
                if w1 <= w0 * self.shorter && p1 >= p0 + self.slower_ms {
                    self.fired_in_run = true;
                    Verdict::Fire(call.at)
                } else {
                    Verdict::Quiet
                }
            }
        }
    }

    fn reset(&mut self) {
        self.run = 0;
        self.asked = false;
        self.answers.clear();
        self.fired_in_run = false;
    }

    fn delivery(&self) -> bool {
        true
    }
}
