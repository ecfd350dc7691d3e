//! The cue engine: derives the live cues of the coaching spec from the stream of classified
//! utterances and, for the timed cues (talk ratio, long monologue), from their start/end sample
//! positions. Runs on the coach/sink thread, inside [`crate::transforms::coach::Coach`].
//!
//! Conventions:
//! - An utterance whose `end_sample <= start_sample` carries no timing; it counts for the act
//!   rules but the timed rules ignore it (so `ringside classify` without timings never fires
//!   them).
//! - "The call" starts at sample 0 of the stream.
//! - "Question" means a question act (`yes_question`, `no_question`, `calibrated_question`);
//!   a mirror or a label is not one, for opening_yes as for question_barrage.
//! - question_barrage: questions are consecutive while "me" says nothing but questions
//!   (`is_question` acts; "them" utterances in between do not break the run). When the run
//!   holds three questions and "them" said fewer than 12 words since the first of the last
//!   three, the cue fires and the run starts over; otherwise the window slides.
//! - long_monologue fires once per monologue; "them" speaking ends it.

use std::collections::VecDeque;

use crate::event::{secs_to_samples, Act, ClassifiedUtterance, Cue, CueId, Speaker};
use crate::transforms::rules::CueRules;

/// Stateful cue rules over one conversation.
pub struct CueEngine {
    rules: CueRules,
    /// Whether "me" has asked a question yet (for opening_yes).
    asked: bool,
    /// Consecutive yes-questions of "me" ("me" `other` does not break the streak).
    yes_streak: u32,
    /// For each question of the current run: "them" words said before it.
    run: VecDeque<u64>,
    /// Words "them" said in the conversation so far.
    them_words: u64,
    /// "me" has used a label, calibrated question or mirror.
    discovered: bool,
    /// Timed speech of the last `window_secs`: (speaker, start, end) in samples.
    speech: VecDeque<(Speaker, u64, u64)>,
    last_talk_ratio: Option<u64>,
    /// Start of the current monologue of "me" (since "them" last spoke), and whether it fired.
    monologue_start: Option<u64>,
    monologue_fired: bool,
    /// Latest end of timed speech seen.
    now: u64,
    /// Confidence of the act of the utterance being handled (`None`: not measured).
    confidence: Option<f32>,
    /// A cue of the last utterance was held back for low confidence.
    held: bool,
}

impl CueEngine {
    pub fn new(rules: &CueRules) -> CueEngine {
        CueEngine {
            rules: rules.clone(),
            asked: false,
            yes_streak: 0,
            run: VecDeque::new(),
            them_words: 0,
            discovered: false,
            speech: VecDeque::new(),
            last_talk_ratio: None,
            monologue_start: None,
            monologue_fired: false,
            now: 0,
            confidence: None,
            held: false,
        }
    }

    /// Forgets the conversation.
    pub fn reset(&mut self) {
        *self = CueEngine::new(&self.rules);
    }

    fn emit(&mut self, id: CueId, at_sample: u64, utterance_id: Option<u64>, out: &mut Vec<Cue>) {
        let (severity, message, enabled) = self.rules.text(id);
        let sure = utterance_id.is_none()
            || self
                .confidence
                .is_none_or(|c| c >= self.rules.min_confidence(id));
        if enabled && !sure {
            self.held = true;
        }
        if enabled && sure {
            out.push(Cue {
                id,
                severity,
                message: message.to_string(),
                at_sample,
                utterance_id,
            });
        }
    }

    /// Takes one classified utterance; appends the cues it triggers.
    pub fn on_utterance(&mut self, cu: &ClassifiedUtterance, out: &mut Vec<Cue>) {
        self.confidence = cu.confidence;
        self.held = false;
        let u = &cu.utterance;
        let at = u.end_sample.max(u.start_sample);
        let uid = Some(u.id);
        let act = cu.act;
        // A question the classifier is not sure of is recorded (unsure) but neither opens the
        // call's questions nor counts toward a ladder or a barrage: an alert that rests on
        // an earlier doubtful question would be a doubtful alert.
        let conf = cu.confidence.unwrap_or(1.0);
        let sure = |id: CueId| conf >= self.rules.min_confidence(id);
        let (sure_open, sure_ladder, sure_barrage) = (
            sure(CueId::OpeningYes),
            sure(CueId::YesLadder),
            sure(CueId::QuestionBarrage),
        );
        match u.speaker {
            Speaker::Me => {
                if act.is_question() && !self.asked {
                    if sure_open {
                        self.asked = true;
                        if act == Act::YesQuestion {
                            self.emit(CueId::OpeningYes, at, uid, out);
                        }
                    } else if act == Act::YesQuestion {
                        self.held = true;
                    }
                }
                match act {
                    Act::YesQuestion if sure_ladder => {
                        self.yes_streak += 1;
                        if self.yes_streak >= self.rules.yes_ladder.streak {
                            self.emit(CueId::YesLadder, at, uid, out);
                        }
                    }
                    Act::YesQuestion => {
                        if self.yes_streak + 1 >= self.rules.yes_ladder.streak {
                            self.held = true;
                        }
                    }
                    Act::Other => {}
                    _ => self.yes_streak = 0,
                }
                // An unsure question is neither counted nor breaks the run.
                if !act.is_question() {
                    self.run.clear();
                } else if sure_barrage {
                    self.run.push_back(self.them_words);
                    let n = self.rules.question_barrage.questions.max(1) as usize;
                    if self.run.len() >= n {
                        while self.run.len() > n {
                            self.run.pop_front();
                        }
                        let since_first = self.them_words - self.run.front().copied().unwrap_or(0);
                        if since_first < u64::from(self.rules.question_barrage.max_them_words) {
                            self.emit(CueId::QuestionBarrage, at, uid, out);
                            self.run.clear();
                        }
                    }
                }
                match act {
                    Act::Label | Act::CalibratedQuestion | Act::Mirror => self.discovered = true,
                    Act::Pitch if !self.discovered => self.emit(CueId::PitchEarly, at, uid, out),
                    _ => {}
                }
                match act {
                    Act::NoQuestion => self.emit(CueId::GoodNoQuestion, at, uid, out),
                    Act::Label | Act::Mirror => self.emit(CueId::GoodLabel, at, uid, out),
                    _ => {}
                }
            }
            Speaker::Them => {
                self.them_words += u
                    .text
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .count() as u64;
                match act {
                    Act::CounterfeitYes => self.emit(CueId::CounterfeitYes, at, uid, out),
                    Act::No => self.emit(CueId::NoHeard, at, uid, out),
                    Act::ThatsRight => self.emit(CueId::ThatsRight, at, uid, out),
                    Act::CommitmentYes => self.emit(CueId::Commitment, at, uid, out),
                    _ => {}
                }
                // "them" spoke: any monologue of "me" is over, timed or not.
                self.monologue_start = None;
                self.monologue_fired = false;
            }
        }

        if u.end_sample > u.start_sample {
            self.speech
                .push_back((u.speaker, u.start_sample, u.end_sample));
            self.now = self.now.max(u.end_sample);
            if u.speaker == Speaker::Me {
                let start = *self.monologue_start.get_or_insert(u.start_sample);
                let max = secs_to_samples(self.rules.long_monologue.max_secs);
                if !self.monologue_fired && u.end_sample.saturating_sub(start) > max {
                    self.monologue_fired = true;
                    self.emit(CueId::LongMonologue, u.end_sample, uid, out);
                }
            }
            self.check_talk_ratio(self.now, uid, out);
        }
    }

    /// Whether a cue of the last utterance was held back because the classifier was not sure
    /// enough of its act.
    pub fn held(&self) -> bool {
        self.held
    }

    /// Stream time has reached `now_sample` (between utterances): checks the timed rules.
    pub fn on_time(&mut self, now_sample: u64, out: &mut Vec<Cue>) {
        if now_sample > self.now {
            self.now = now_sample;
        }
        self.check_talk_ratio(self.now, None, out);
    }

    fn check_talk_ratio(&mut self, now: u64, uid: Option<u64>, out: &mut Vec<Cue>) {
        let r = &self.rules.talk_ratio;
        let window = secs_to_samples(r.window_secs);
        let from = now.saturating_sub(window);
        while self.speech.front().is_some_and(|s| s.2 <= from) {
            self.speech.pop_front();
        }
        if now < secs_to_samples(r.min_call_secs) {
            return;
        }
        if self
            .last_talk_ratio
            .is_some_and(|t| now.saturating_sub(t) < secs_to_samples(r.every_secs))
        {
            return;
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
            self.last_talk_ratio = Some(now);
            self.emit(CueId::TalkRatio, now, uid, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Severity, Utterance};
    use crate::transforms::rules::CoachRules;

    struct T {
        e: CueEngine,
        id: u64,
    }

    impl T {
        fn new() -> T {
            T {
                e: CueEngine::new(&CoachRules::builtin().unwrap().cues),
                id: 0,
            }
        }
        fn timed(&mut self, sp: Speaker, act: Act, text: &str, start: f64, end: f64) -> Vec<CueId> {
            let u = Utterance {
                id: self.id,
                speaker: sp,
                start_sample: secs_to_samples(start),
                end_sample: secs_to_samples(end),
                text: text.into(),
                latency_ms: None,
                hesitation: None,
            };
            self.id += 1;
            let mut out = Vec::new();
            self.e.on_utterance(
                &ClassifiedUtterance {
                    utterance: u,
                    act,
                    why: String::new(),
                    confidence: None,
                    unsure: false,
                },
                &mut out,
            );
            out.iter().map(|c| c.id).collect()
        }
        fn me(&mut self, act: Act) -> Vec<CueId> {
            self.timed(Speaker::Me, act, "words", 0.0, 0.0)
        }
        fn them(&mut self, act: Act, text: &str) -> Vec<CueId> {
            self.timed(Speaker::Them, act, text, 0.0, 0.0)
        }
    }

    use Act::*;

    #[test]
    fn opening_yes_only_for_the_first_question() {
        let mut t = T::new();
        assert_eq!(t.me(Other), vec![]);
        assert_eq!(t.me(YesQuestion), vec![CueId::OpeningYes]);
        let mut t = T::new();
        assert_eq!(t.me(CalibratedQuestion), vec![]);
        assert!(!t.me(YesQuestion).contains(&CueId::OpeningYes));
        // A label is not a question: the first question is still to come.
        let mut t = T::new();
        t.me(Label);
        assert!(t.me(YesQuestion).contains(&CueId::OpeningYes));
    }

    #[test]
    fn yes_ladder_streak_rules() {
        let mut t = T::new();
        t.me(YesQuestion);
        t.them(ConfirmationYes, "yes");
        // "them" utterances and "me" other do not break the streak.
        t.me(Other);
        assert!(t.me(YesQuestion).contains(&CueId::YesLadder));
        t.them(ConfirmationYes, "yes");
        assert!(
            t.me(YesQuestion).contains(&CueId::YesLadder),
            "every further one fires"
        );
        // Any other "me" act breaks it.
        t.me(Label);
        assert!(!t.me(YesQuestion).contains(&CueId::YesLadder));
        assert!(t.me(YesQuestion).contains(&CueId::YesLadder));
        t.me(NoQuestion);
        assert!(!t.me(YesQuestion).contains(&CueId::YesLadder));
    }

    #[test]
    fn question_barrage_third_question_with_little_from_them() {
        let mut t = T::new();
        assert!(!t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage));
        t.them(Other, "one two three four five");
        assert!(!t.me(NoQuestion).contains(&CueId::QuestionBarrage));
        t.them(Other, "six seven eight nine ten eleven");
        // 11 words since the first question: fewer than 12.
        assert!(t.me(YesQuestion).contains(&CueId::QuestionBarrage));
        // The run starts over after firing.
        assert!(!t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage));
    }

    #[test]
    fn question_barrage_not_when_them_talked_enough() {
        let mut t = T::new();
        t.me(CalibratedQuestion);
        t.them(
            Other,
            "one two three four five six seven eight nine ten eleven twelve",
        );
        t.me(CalibratedQuestion);
        assert!(!t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage));
        // The window slides: the last three questions had no answer.
        assert!(t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage));
    }

    #[test]
    fn question_barrage_broken_by_a_non_question() {
        let mut t = T::new();
        t.me(CalibratedQuestion);
        t.me(CalibratedQuestion);
        t.me(Label);
        assert!(!t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage));
        t.me(CalibratedQuestion);
        t.me(Mirror);
        assert!(
            !t.me(CalibratedQuestion).contains(&CueId::QuestionBarrage),
            "a mirror is not a question act"
        );
    }

    #[test]
    fn pitch_early_until_discovery() {
        let mut t = T::new();
        assert!(t.me(Pitch).contains(&CueId::PitchEarly));
        assert!(t.me(Pitch).contains(&CueId::PitchEarly));
        t.me(YesQuestion);
        t.me(NoQuestion);
        assert!(
            t.me(Pitch).contains(&CueId::PitchEarly),
            "yes/no questions are not discovery"
        );
        t.me(Mirror);
        assert!(!t.me(Pitch).contains(&CueId::PitchEarly));
        for a in [Label, CalibratedQuestion] {
            let mut t = T::new();
            t.me(a);
            assert_eq!(t.me(Pitch), vec![]);
        }
    }

    #[test]
    fn them_act_cues() {
        let mut t = T::new();
        assert_eq!(
            t.them(CounterfeitYes, "i guess"),
            vec![CueId::CounterfeitYes]
        );
        assert_eq!(t.them(No, "no"), vec![CueId::NoHeard]);
        assert_eq!(t.them(ThatsRight, "thats right"), vec![CueId::ThatsRight]);
        assert_eq!(t.them(CommitmentYes, "book it"), vec![CueId::Commitment]);
        assert_eq!(t.them(ConfirmationYes, "yes"), vec![]);
        assert_eq!(t.them(Other, "we use excel"), vec![]);
    }

    #[test]
    fn praise_for_no_questions_labels_and_mirrors() {
        let mut t = T::new();
        assert_eq!(t.me(NoQuestion), vec![CueId::GoodNoQuestion]);
        assert_eq!(t.me(Label), vec![CueId::GoodLabel]);
        assert_eq!(t.me(Mirror), vec![CueId::GoodLabel]);
        let mut out = Vec::new();
        let e = &mut t.e;
        e.emit(CueId::GoodLabel, 0, None, &mut out);
        assert_eq!(out[0].severity, Severity::Praise);
    }

    #[test]
    fn talk_ratio_fires_after_a_minute_and_at_most_once_a_minute() {
        let mut t = T::new();
        // 0-50 s me talks: too early.
        assert!(!t
            .timed(Speaker::Me, Other, "x", 0.0, 50.0)
            .contains(&CueId::TalkRatio));
        t.timed(Speaker::Them, Other, "x", 50.0, 55.0);
        // At 70 s: me 60 s of 65 s speaking > 65%.
        assert!(t
            .timed(Speaker::Me, Other, "x", 60.0, 70.0)
            .contains(&CueId::TalkRatio));
        // 20 s later: still dominating but within the minute.
        assert!(!t
            .timed(Speaker::Me, Other, "x", 75.0, 90.0)
            .contains(&CueId::TalkRatio));
        let mut out = Vec::new();
        t.e.on_time(secs_to_samples(129.0), &mut out);
        assert!(out.is_empty());
        t.e.on_time(secs_to_samples(131.0), &mut out);
        assert_eq!(
            out.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![CueId::TalkRatio]
        );
        assert_eq!(out[0].utterance_id, None);
    }

    #[test]
    fn talk_ratio_not_when_balanced() {
        let mut t = T::new();
        let mut s = 0.0;
        while s < 200.0 {
            assert!(!t
                .timed(Speaker::Me, Other, "x", s, s + 10.0)
                .contains(&CueId::TalkRatio));
            assert!(!t
                .timed(Speaker::Them, Other, "x", s + 10.0, s + 20.0)
                .contains(&CueId::TalkRatio));
            s += 20.0;
        }
    }

    #[test]
    fn talk_ratio_uses_only_the_last_window() {
        let mut t = T::new();
        // A long "them" stretch early, then "me" dominating the last 120 s.
        t.timed(Speaker::Them, Other, "x", 0.0, 100.0);
        assert!(!t
            .timed(Speaker::Me, Other, "x", 100.0, 160.0)
            .contains(&CueId::TalkRatio));
        // At 250 s the window is 130..250: me 30 + 50 s, them 0 (the "them" stretch is out).
        assert!(t
            .timed(Speaker::Me, Other, "x", 200.0, 250.0)
            .contains(&CueId::TalkRatio));
    }

    #[test]
    fn long_monologue_once_until_them_speaks() {
        let mut t = T::new();
        assert!(!t
            .timed(Speaker::Me, Pitch, "x", 0.0, 30.0)
            .contains(&CueId::LongMonologue));
        assert!(!t
            .timed(Speaker::Me, Pitch, "x", 31.0, 60.0)
            .contains(&CueId::LongMonologue));
        assert!(t
            .timed(Speaker::Me, Pitch, "x", 60.5, 61.0)
            .contains(&CueId::LongMonologue));
        assert!(!t
            .timed(Speaker::Me, Pitch, "x", 62.0, 90.0)
            .contains(&CueId::LongMonologue));
        t.timed(Speaker::Them, Other, "hm", 90.0, 91.0);
        assert!(!t
            .timed(Speaker::Me, Pitch, "x", 92.0, 150.0)
            .contains(&CueId::LongMonologue));
        assert!(t
            .timed(Speaker::Me, Pitch, "x", 150.0, 153.0)
            .contains(&CueId::LongMonologue));
    }

    #[test]
    fn timed_cues_need_timings() {
        let mut t = T::new();
        for _ in 0..50 {
            let c = t.me(Other);
            assert!(!c.contains(&CueId::TalkRatio) && !c.contains(&CueId::LongMonologue));
        }
        let mut out = Vec::new();
        t.e.on_time(secs_to_samples(1000.0), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn reset_forgets_everything() {
        let mut t = T::new();
        t.me(YesQuestion);
        t.me(Pitch);
        t.e.reset();
        assert_eq!(t.me(YesQuestion), vec![CueId::OpeningYes]);
    }
}
