//! question_barrage: questions are consecutive while "me" says nothing but questions
//! (`is_question` acts; "them" utterances in between do not break the run). When the run holds
//! `questions` questions and "them" said fewer than `max_them_words` words since the first of
//! the last ones, the cue fires and the run starts over; otherwise the window slides. An unsure
//! question is neither counted nor breaks the run.

use std::collections::VecDeque;

use super::{CallState, CueRule, Verdict};
use crate::event::{ClassifiedUtterance, CueId, Speaker};
use crate::transforms::rules::CueRules;

pub struct QuestionBarrage {
    /// Consecutive questions that make a barrage.
    questions: usize,
    /// Fires while "them" said fewer than this many words since the first of them.
    max_them_words: u64,
    /// For each question of the current run: "them" words said before it.
    run: VecDeque<u64>,
}

impl QuestionBarrage {
    pub fn new(rules: &CueRules) -> QuestionBarrage {
        let r = &rules.question_barrage;
        QuestionBarrage {
            questions: r.questions.max(1) as usize,
            max_them_words: u64::from(r.max_them_words),
            run: VecDeque::new(),
        }
    }
}

impl CueRule for QuestionBarrage {
    fn id(&self) -> CueId {
        CueId::QuestionBarrage
    }

    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, sure: bool) -> Verdict {
        if cu.utterance.speaker != Speaker::Me {
            return Verdict::Quiet;
        }
        if !cu.act.is_question() {
            self.run.clear();
            return Verdict::Quiet;
        }
        if !sure {
            return Verdict::Quiet;
        }
        self.run.push_back(call.them_words);
        if self.run.len() < self.questions {
            return Verdict::Quiet;
        }
        while self.run.len() > self.questions {
            self.run.pop_front();
        }
        let since_first = call.them_words - self.run.front().copied().unwrap_or(0);
        if since_first < self.max_them_words {
            self.run.clear();
            Verdict::Fire(call.at)
        } else {
            Verdict::Quiet
        }
    }

    fn reset(&mut self) {
        self.run.clear();
    }
}
