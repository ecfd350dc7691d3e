//! The cue engine and its rules: derives the live cues of the coaching spec from the stream of
//! classified utterances and, for the timed cues (talk ratio, long monologue), from their
//! start/end sample positions. Runs on the coach/sink thread, inside
//! [`crate::transforms::coach::Coach`].
//!
//! One rule, one file: each cue is a [`CueRule`] in this folder, its severity, message,
//! thresholds and `min_confidence` in `[cues.<id>]` of the rules file (`config/coach.toml`).
//! The engine owns what every rule shares: the per-call state ([`CallState`], updated once per
//! utterance before any rule reads it) and the emit logic (the cue's switch, its
//! `min_confidence`, acts held back as unsure). To add a cue: its file here, a line in
//! [`rules`] (the order cues of one utterance are emitted in), its id in
//! [`crate::event::CueId`] and its table in the rules file.
//!
//! Conventions:
//! - An utterance whose `end_sample <= start_sample` carries no timing; it counts for the act
//!   rules but the timed rules ignore it (so `ringside classify` without timings never fires
//!   them).
//! - "The call" starts at sample 0 of the stream.
//! - "Question" means a question act (`yes_question`, `no_question`, `calibrated_question`);
//!   a mirror or a label is not one, for opening_yes as for question_barrage.
//! - A question the classifier is not sure of (below the rule's `min_confidence`) is recorded
//!   (unsure) but neither opens the call's questions nor counts toward a ladder or a barrage:
//!   an alert that rests on an earlier doubtful question would be a doubtful alert.

mod commitment;
mod counterfeit_yes;
mod good_label;
mod good_no_question;
mod long_monologue;
mod no_heard;
mod opening_yes;
mod pitch_early;
mod question_barrage;
mod talk_ratio;
mod thats_right;
mod yes_ladder;

use crate::event::{ClassifiedUtterance, Cue, CueId, Speaker};
use crate::transforms::rules::CueRules;

/// What a rule makes of an utterance (or of the time passing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to say.
    Quiet,
    /// The cue fires, placed at this sample position (the engine still applies its switch and
    /// `min_confidence`).
    Fire(u64),
    /// The cue would have fired had the classifier been sure of the act: the utterance is
    /// recorded "(unsure)" and nothing is cued.
    Hold,
}

/// One live cue. Rules keep only their own state; what several read lives in [`CallState`].
pub trait CueRule: Send {
    /// The cue this rule fires.
    fn id(&self) -> CueId;
    /// Takes one classified utterance, after `call` has been updated with it. `sure`: the
    /// classifier is at least this cue's `min_confidence` sure of the act (always true when
    /// the confidence was not measured).
    fn on_utterance(&mut self, call: &CallState, cu: &ClassifiedUtterance, sure: bool) -> Verdict;
    /// Stream time has reached `call.now` between utterances (only the timed rules care).
    fn on_time(&mut self, _call: &CallState) -> Verdict {
        Verdict::Quiet
    }
    /// Forgets the conversation.
    fn reset(&mut self);
}

/// Every cue rule, in the order the cues of one utterance are emitted.
pub fn rules(r: &CueRules) -> Vec<Box<dyn CueRule>> {
    vec![
        Box::new(opening_yes::OpeningYes::new(r)),
        Box::new(yes_ladder::YesLadder::new(r)),
        Box::new(question_barrage::QuestionBarrage::new(r)),
        Box::new(pitch_early::PitchEarly::new(r)),
        Box::new(good_no_question::GoodNoQuestion::new(r)),
        Box::new(good_label::GoodLabel::new(r)),
        Box::new(counterfeit_yes::CounterfeitYes::new(r)),
        Box::new(no_heard::NoHeard::new(r)),
        Box::new(thats_right::ThatsRight::new(r)),
        Box::new(commitment::Commitment::new(r)),
        Box::new(long_monologue::LongMonologue::new(r)),
        Box::new(talk_ratio::TalkRatio::new(r)),
    ]
}

/// The per-call state several rules read, updated once per utterance before the rules run.
#[derive(Debug, Clone, Default)]
pub struct CallState {
    /// Where the cues of the current utterance are placed: its end (its start when untimed).
    pub at: u64,
    /// The current utterance carries timing (`end_sample > start_sample`).
    pub timed: bool,
    /// Words "them" said in the conversation so far, the current utterance included.
    pub them_words: u64,
    /// "me" has used a label, calibrated question or mirror (the current utterance included).
    pub discovered: bool,
    /// Latest end of timed speech seen, or the stream time `on_time` reported, in samples.
    pub now: u64,
}

impl CallState {
    fn observe(&mut self, cu: &ClassifiedUtterance) {
        use crate::event::Act;
        let u = &cu.utterance;
        self.at = u.end_sample.max(u.start_sample);
        self.timed = u.end_sample > u.start_sample;
        match u.speaker {
            Speaker::Me => {
                if matches!(cu.act, Act::Label | Act::CalibratedQuestion | Act::Mirror) {
                    self.discovered = true;
                }
            }
            Speaker::Them => {
                self.them_words += u
                    .text
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .count() as u64;
            }
        }
        if self.timed {
            self.now = self.now.max(u.end_sample);
        }
    }
}

/// Stateful cue rules over one conversation.
pub struct CueEngine {
    rules: CueRules,
    call: CallState,
    cues: Vec<Box<dyn CueRule>>,
    /// A cue of the last utterance was held back for low confidence.
    held: bool,
}

impl CueEngine {
    pub fn new(rules: &CueRules) -> CueEngine {
        CueEngine {
            rules: rules.clone(),
            call: CallState::default(),
            cues: self::rules(rules),
            held: false,
        }
    }

    /// Forgets the conversation.
    pub fn reset(&mut self) {
        self.call = CallState::default();
        self.held = false;
        for c in &mut self.cues {
            c.reset();
        }
    }

    /// The one place a verdict becomes a cue: the cue's switch, whether the act was sure
    /// enough (`sure`: at least the cue's `min_confidence`; always for timed cues), and the
    /// held flag.
    fn emit(
        &mut self,
        verdict: Verdict,
        id: CueId,
        sure: bool,
        uid: Option<u64>,
        out: &mut Vec<Cue>,
    ) {
        let at_sample = match verdict {
            Verdict::Quiet => return,
            Verdict::Hold => {
                self.held = true;
                return;
            }
            Verdict::Fire(at) => at,
        };
        let (severity, message, enabled) = self.rules.text(id);
        if enabled && !sure {
            self.held = true;
        }
        if enabled && sure {
            out.push(Cue {
                id,
                severity,
                message: message.to_string(),
                at_sample,
                utterance_id: uid,
            });
        }
    }

    /// Takes one classified utterance; appends the cues it triggers.
    pub fn on_utterance(&mut self, cu: &ClassifiedUtterance, out: &mut Vec<Cue>) {
        self.held = false;
        self.call.observe(cu);
        let conf = cu.confidence.unwrap_or(1.0);
        for i in 0..self.cues.len() {
            let id = self.cues[i].id();
            let sure = conf >= self.rules.min_confidence(id);
            let v = self.cues[i].on_utterance(&self.call, cu, sure);
            self.emit(v, id, sure, Some(cu.utterance.id), out);
        }
    }

    /// Whether a cue of the last utterance was held back because the classifier was not sure
    /// enough of its act.
    pub fn held(&self) -> bool {
        self.held
    }

    /// Stream time has reached `now_sample` (between utterances): checks the timed rules.
    pub fn on_time(&mut self, now_sample: u64, out: &mut Vec<Cue>) {
        self.call.now = self.call.now.max(now_sample);
        for i in 0..self.cues.len() {
            let id = self.cues[i].id();
            let v = self.cues[i].on_time(&self.call);
            self.emit(v, id, true, None, out);
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{secs_to_samples, Act, Severity, Utterance};
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
        t.e.emit(Verdict::Fire(0), CueId::GoodLabel, true, None, &mut out);
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

    /// The cues of one utterance come out in this order (alerts on "me" first, as before the
    /// rules were split into files).
    #[test]
    fn rules_run_in_the_emission_order() {
        let ids: Vec<CueId> = rules(&CoachRules::builtin().unwrap().cues)
            .iter()
            .map(|r| r.id())
            .collect();
        assert_eq!(
            ids,
            vec![
                CueId::OpeningYes,
                CueId::YesLadder,
                CueId::QuestionBarrage,
                CueId::PitchEarly,
                CueId::GoodNoQuestion,
                CueId::GoodLabel,
                CueId::CounterfeitYes,
                CueId::NoHeard,
                CueId::ThatsRight,
                CueId::Commitment,
                CueId::LongMonologue,
                CueId::TalkRatio,
            ]
        );
        let all: std::collections::BTreeSet<CueId> = ids.into_iter().collect();
        assert_eq!(all.len(), CueId::ALL.len(), "one rule per cue id");
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
