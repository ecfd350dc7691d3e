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

mod closing_up;
mod commitment;
mod counterfeit_yes;
mod good_label;
mod good_no_question;
mod hold_silence;
pub mod land_it;
mod long_monologue;
mod no_heard;
mod opening_yes;
mod pitch_early;
mod question_barrage;
mod silence_held;
mod slow_down;
pub mod slow_yes;
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
    /// A delivery cue (how it was said, not what): live, at most one delivery cue per
    /// [`DELIVERY_EVERY_SAMPLES`]; the rest are recorded for the review only.
    fn delivery(&self) -> bool {
        false
    }
    /// Shown live at all (else recorded for the review only, whatever the pacing).
    fn live(&self) -> bool {
        true
    }
    /// The cue's message from its configured text: a rule that measured something fills in
    /// its `{...}` fields (the measurement, never the mind: "ended ↗ +4.8 st").
    fn message(&self, text: &str) -> String {
        text.to_string()
    }
}

/// Live pacing of the delivery cues: at most one every 30 s. Studies of live feedback found
/// sparse cues help and dense ones hurt; the rest go to the review and the debrief.
pub const DELIVERY_EVERY_SAMPLES: u64 = 30 * crate::event::SAMPLE_RATE_HZ as u64;

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
        Box::new(land_it::LandIt::new(r)),
        Box::new(hold_silence::HoldSilence::new(r)),
        Box::new(silence_held::SilenceHeld::new(r)),
        Box::new(slow_down::SlowDown::new(r)),
        Box::new(slow_yes::SlowYes::new(r)),
        Box::new(closing_up::ClosingUp::new(r)),
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
    /// Pauses (ms) before the answers of "them" to "me" before the current utterance: the
    /// call's usual answer gap is their median.
    pub them_gaps: Vec<u32>,
    /// The current utterance's gap, moved into `them_gaps` when the next one comes.
    pending_gap: Option<u32>,
    /// Each speaker's usual delivery: from the first minute of their voiced speech.
    pub baseline_me: Baseline,
    pub baseline_them: Baseline,
}

/// One speaker's usual delivery in this call: medians over the utterances of their first
/// minute of voiced speech ("higher than your usual", not than anyone's).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    voiced_s: f32,
    rates: Vec<f32>,
    f0s: Vec<f32>,
}

/// Voiced seconds that make a speaker's baseline.
const BASELINE_VOICED_S: f32 = 60.0;

impl Baseline {
    fn add(&mut self, p: &crate::event::Prosody) {
        if self.voiced_s >= BASELINE_VOICED_S || p.voiced_s <= 0.0 {
            return;
        }
        self.voiced_s += p.voiced_s;
        if let Some(r) = p.rate_syl_s {
            self.rates.push(r);
        }
        if let Some(f) = p.f0_median_hz {
            self.f0s.push(f);
        }
    }

    /// The usual speaking rate (syllables per voiced second), once `min_n` utterances had one.
    pub fn rate(&self, min_n: usize) -> Option<f32> {
        (self.rates.len() >= min_n).then(|| median(&self.rates))
    }

    /// The usual pitch (Hz), once `min_n` utterances had one.
    pub fn f0(&self, min_n: usize) -> Option<f32> {
        (self.f0s.len() >= min_n).then(|| median(&self.f0s))
    }
}

fn median(v: &[f32]) -> f32 {
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

impl CallState {
    /// The call's usual answer gap of "them" (ms): the median of at least `min_n` earlier
    /// gaps.
    pub fn usual_them_gap(&self, min_n: usize) -> Option<f32> {
        (self.them_gaps.len() >= min_n).then(|| {
            let v: Vec<f32> = self.them_gaps.iter().map(|g| *g as f32).collect();
            median(&v)
        })
    }
}

impl CallState {
    fn observe(&mut self, cu: &ClassifiedUtterance) {
        use crate::event::Act;
        let u = &cu.utterance;
        if let Some(g) = self.pending_gap.take() {
            self.them_gaps.push(g);
        }
        if u.speaker == Speaker::Them {
            self.pending_gap = u.hesitation.as_ref().and_then(|h| h.pause_before_ms);
        }
        if let Some(p) = &u.prosody {
            match u.speaker {
                Speaker::Me => self.baseline_me.add(p),
                Speaker::Them => self.baseline_them.add(p),
            }
        }
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
    /// Where the last delivery cue shown live was placed.
    last_live_delivery: Option<u64>,
}

impl CueEngine {
    pub fn new(rules: &CueRules) -> CueEngine {
        CueEngine {
            rules: rules.clone(),
            call: CallState::default(),
            cues: self::rules(rules),
            held: false,
            last_live_delivery: None,
        }
    }

    /// Forgets the conversation.
    pub fn reset(&mut self) {
        self.call = CallState::default();
        self.held = false;
        self.last_live_delivery = None;
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
        i: usize,
        sure: bool,
        uid: Option<u64>,
        out: &mut Vec<Cue>,
    ) {
        let id = self.cues[i].id();
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
            let message = self.cues[i].message(message);
            // Delivery cues are paced: one live per 30 s, the rest for the review.
            let review_only = !self.cues[i].live()
                || self.cues[i].delivery()
                    && self
                        .last_live_delivery
                        .is_some_and(|l| at_sample < l + DELIVERY_EVERY_SAMPLES);
            if self.cues[i].delivery() && !review_only {
                self.last_live_delivery = Some(at_sample);
            }
            out.push(Cue {
                id,
                severity,
                message,
                at_sample,
                utterance_id: uid,
                review_only,
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
            self.emit(v, i, sure, Some(cu.utterance.id), out);
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
            let v = self.cues[i].on_time(&self.call);
            self.emit(v, i, true, None, out);
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
                prosody: None,
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
        /// A timed utterance with its measured pause and prosody; the cues it raised (with
        /// their review-only flag).
        fn voiced(&mut self, v: Voiced) -> Vec<(CueId, bool)> {
            let u = Utterance {
                id: self.id,
                speaker: v.speaker,
                start_sample: secs_to_samples(v.start),
                end_sample: secs_to_samples(v.end),
                text: v.text.into(),
                latency_ms: None,
                hesitation: Some(crate::event::Hesitation {
                    pause_before_ms: v.pause_ms,
                    ..Default::default()
                }),
                prosody: Some(crate::event::Prosody {
                    version: crate::event::PROSODY_VERSION,
                    f0_median_hz: Some(180.0),
                    f0_range_st: Some(6.0),
                    end: v.end_dir,
                    end_slope_st_s: v.slope,
                    rate_syl_s: v.rate,
                    level_dbfs: -25.0,
                    voiced_s: v.voiced,
                    voice_start: Some(v.start),
                    voice_end: Some(v.end),
                    contour_hz: Vec::new(),
                }),
            };
            self.id += 1;
            let mut out = Vec::new();
            self.e.on_utterance(
                &ClassifiedUtterance {
                    utterance: u,
                    act: v.act,
                    why: String::new(),
                    confidence: None,
                    unsure: false,
                },
                &mut out,
            );
            out.iter().map(|c| (c.id, c.review_only)).collect()
        }
    }

    /// What `T::voiced` takes.
    struct Voiced {
        speaker: Speaker,
        act: Act,
        text: &'static str,
        start: f64,
        end: f64,
        pause_ms: Option<u32>,
        end_dir: crate::event::Ending,
        slope: Option<f32>,
        rate: Option<f32>,
        voiced: f32,
    }

    fn said(speaker: Speaker, act: Act, text: &'static str, start: f64, end: f64) -> Voiced {
        Voiced {
            speaker,
            act,
            text,
            start,
            end,
            pause_ms: None,
            end_dir: crate::event::Ending::Fall,
            slope: Some(-8.0),
            rate: Some(4.5),
            voiced: ((end - start) * 0.6) as f32,
        }
    }

    fn has(c: &[(CueId, bool)], id: CueId) -> bool {
        c.iter().any(|(i, _)| *i == id)
    }

    /// A call of `n` yes-questions answered "Yes." after `gap_ms`, then one answered after
    /// `last_ms`: the cues of the last answer.
    fn yes_after(n: usize, gap_ms: u32, last_ms: u32) -> Vec<(CueId, bool)> {
        let mut t = T::new();
        let mut at = 0.0;
        let mut last = Vec::new();
        for i in 0..=n {
            let gap = if i == n { last_ms } else { gap_ms };
            t.voiced(said(
                Speaker::Me,
                YesQuestion,
                "Does that work?",
                at,
                at + 1.5,
            ));
            at += 1.5 + f64::from(gap) / 1000.0;
            last = t.voiced(Voiced {
                pause_ms: Some(gap),
                ..said(Speaker::Them, ConfirmationYes, "Yes.", at, at + 0.5)
            });
            at += 8.0;
        }
        last
    }

    #[test]
    fn slow_yes_fires_on_a_late_yes_against_the_calls_usual_gap() {
        // Usual 0.3 s: a yes after 1.6 s is slow, after 0.3 s or 0.9 s it is not.
        let c = yes_after(3, 300, 1600);
        assert!(has(&c, CueId::SlowYes), "{c:?}");
        assert!(!has(&yes_after(3, 300, 300), CueId::SlowYes));
        assert!(!has(&yes_after(3, 300, 900), CueId::SlowYes));
        // A call whose usual gap is 1 s: 1.6 s is not twice that.
        assert!(!has(&yes_after(3, 1000, 1600), CueId::SlowYes));
        // Too few answers yet to know what is usual: quiet.
        assert!(!has(&yes_after(1, 300, 1600), CueId::SlowYes));
        // The message names the measurement.
        let mut t = T::new();
        let mut out = Vec::new();
        for (i, g) in [300u32, 300, 300, 1600].into_iter().enumerate() {
            let at = i as f64 * 10.0;
            t.voiced(said(
                Speaker::Me,
                YesQuestion,
                "Does that work?",
                at,
                at + 1.5,
            ));
            let u = Utterance {
                id: 100 + i as u64,
                speaker: Speaker::Them,
                start_sample: secs_to_samples(at + 3.0),
                end_sample: secs_to_samples(at + 3.5),
                text: "Yes.".into(),
                latency_ms: None,
                hesitation: Some(crate::event::Hesitation {
                    pause_before_ms: Some(g),
                    ..Default::default()
                }),
                prosody: None,
            };
            out.clear();
            t.e.on_utterance(
                &ClassifiedUtterance {
                    utterance: u,
                    act: ConfirmationYes,
                    why: String::new(),
                    confidence: None,
                    unsure: false,
                },
                &mut out,
            );
        }
        let m = out.iter().find(|c| c.id == CueId::SlowYes).unwrap();
        assert!(m.message.contains("1.6 s"), "{}", m.message);
    }

    #[test]
    fn land_it_fires_on_a_rising_ask_for_the_review_only() {
        let rising = |text: &'static str, act: Act, slope: f32| Voiced {
            end_dir: crate::event::Ending::Rise,
            slope: Some(slope),
            ..said(Speaker::Me, act, text, 1.0, 3.0)
        };
        let mut t = T::new();
        // +12 st/s over the 400 ms window: +4.8 st.
        let c = t.voiced(rising("The price is 450 dollars a month.", Other, 12.0));
        assert_eq!(
            c.iter().find(|(i, _)| *i == CueId::LandIt),
            Some(&(CueId::LandIt, true)),
            "recorded, not shown live"
        );
        // A landed ask, a small rise, a question and a plain remark: quiet.
        let mut t = T::new();
        assert!(!has(
            &t.voiced(said(
                Speaker::Me,
                Other,
                "The price is 450 dollars.",
                1.0,
                3.0
            )),
            CueId::LandIt
        ));
        assert!(!has(
            &t.voiced(rising("The price is 450 dollars.", Other, 5.0)),
            CueId::LandIt
        ));
        assert!(!has(
            &t.voiced(rising("Could we meet on Friday?", YesQuestion, 12.0)),
            CueId::LandIt
        ));
        assert!(!has(
            &t.voiced(rising("I saw the game last night.", Other, 12.0)),
            CueId::LandIt
        ));
        // A pitch is an ask.
        assert!(has(
            &t.voiced(rising("Our platform saves ten hours a week.", Pitch, 12.0)),
            CueId::LandIt
        ));
    }

    #[test]
    fn hold_silence_after_a_label_and_praise_for_a_silence_held() {
        let mut t = T::new();
        t.voiced(said(
            Speaker::Me,
            Label,
            "It sounds like the timing worries you.",
            0.0,
            2.0,
        ));
        // Speaking again 1.2 s later, "them" silent: too soon.
        let c = t.voiced(said(
            Speaker::Me,
            Other,
            "I mean, we can move it.",
            3.2,
            5.0,
        ));
        assert!(has(&c, CueId::HoldSilence), "{c:?}");
        // Waited, and they answered after 3.4 s: praise, no nudge.
        let mut t = T::new();
        t.voiced(said(Speaker::Me, Mirror, "The timing?", 0.0, 1.0));
        let c = t.voiced(Voiced {
            pause_ms: Some(3400),
            ..said(
                Speaker::Them,
                Other,
                "Yes, the quarter ends in May.",
                4.4,
                6.0,
            )
        });
        assert!(has(&c, CueId::SilenceHeld), "{c:?}");
        let c = t.voiced(said(Speaker::Me, Other, "Tell me more.", 6.5, 7.0));
        assert!(!has(&c, CueId::HoldSilence));
        // They answered quickly: nothing to praise. A label followed 2.5 s later: no nudge.
        let mut t = T::new();
        t.voiced(said(
            Speaker::Me,
            Label,
            "It seems like this matters.",
            0.0,
            2.0,
        ));
        assert!(!has(
            &t.voiced(Voiced {
                pause_ms: Some(400),
                ..said(Speaker::Them, Other, "It does.", 2.4, 3.0)
            }),
            CueId::SilenceHeld
        ));
        let mut t = T::new();
        t.voiced(said(
            Speaker::Me,
            Label,
            "It seems like this matters.",
            0.0,
            2.0,
        ));
        assert!(!has(
            &t.voiced(said(Speaker::Me, Other, "Right.", 4.5, 5.0)),
            CueId::HoldSilence
        ));
    }

    #[test]
    fn slow_down_against_my_own_first_minute() {
        let at_rate = |t: &mut T, i: usize, rate: f32| {
            let start = i as f64 * 6.0;
            t.voiced(Voiced {
                rate: Some(rate),
                voiced: 3.0,
                ..said(Speaker::Me, Other, "words", start, start + 4.0)
            })
        };
        let mut t = T::new();
        let mut fired = Vec::new();
        // The first minute of voice (20 utterances of 3 s) at 4.8 a second, then 6.0.
        for i in 0..20 {
            fired.extend(at_rate(&mut t, i, 4.8));
        }
        assert!(!has(&fired, CueId::SlowDown));
        let mut late = Vec::new();
        for i in 20..23 {
            late.extend(at_rate(&mut t, i, 6.0));
        }
        assert!(has(&late, CueId::SlowDown), "{late:?}");
        // A quick talker at their usual pace: quiet.
        let mut t = T::new();
        let mut all = Vec::new();
        for i in 0..30 {
            all.extend(at_rate(&mut t, i, 6.2));
        }
        assert!(!has(&all, CueId::SlowDown));
    }

    /// Questions of "me", each answered with `answers[i]` = (text, pause ms): the cues of the
    /// last answer.
    fn answered(answers: &[(&'static str, u32)], between: Act) -> Vec<(CueId, bool)> {
        let mut t = T::new();
        let mut last = Vec::new();
        for (i, (text, pause)) in answers.iter().enumerate() {
            let at = i as f64 * 40.0;
            let act = if i == 2 { between } else { CalibratedQuestion };
            t.voiced(said(
                Speaker::Me,
                act,
                "What matters most here?",
                at,
                at + 2.0,
            ));
            last = t.voiced(Voiced {
                pause_ms: Some(*pause),
                ..said(Speaker::Them, Other, text, at + 2.5, at + 6.0)
            });
        }
        last
    }

    #[test]
    fn closing_up_when_answers_shrink_and_slow_after_a_run_of_questions() {
        let long = "well we have been looking at a few options and the budget is tight this year";
        let closing = [
            (long, 300),
            (long, 350),
            (long, 300),
            ("not sure", 1200),
            ("maybe", 1400),
        ];
        assert!(has(
            &answered(&closing, CalibratedQuestion),
            CueId::ClosingUp
        ));
        // Short but quick: not closing up. Slow but as long: not either.
        let quick = [
            (long, 300),
            (long, 350),
            (long, 300),
            ("not sure", 300),
            ("maybe", 350),
        ];
        assert!(!has(
            &answered(&quick, CalibratedQuestion),
            CueId::ClosingUp
        ));
        let slow = [
            (long, 300),
            (long, 350),
            (long, 300),
            (long, 1200),
            (long, 1400),
        ];
        assert!(!has(&answered(&slow, CalibratedQuestion), CueId::ClosingUp));
        // A label in the run resets it: two questions since are not a run of three.
        assert!(!has(&answered(&closing, Label), CueId::ClosingUp));
    }

    #[test]
    fn delivery_cues_are_paced_one_live_per_30_seconds() {
        let mut t = T::new();
        let mut at = 0.0;
        let mut shown = Vec::new();
        // A label, then speaking again too soon, every 10 s: the nudge is due each time, live
        // at most every 30 s.
        for _ in 0..6 {
            t.voiced(said(
                Speaker::Me,
                Label,
                "It sounds like it matters.",
                at,
                at + 2.0,
            ));
            for (id, review_only) in
                t.voiced(said(Speaker::Me, Other, "So anyway.", at + 2.5, at + 3.5))
            {
                if id == CueId::HoldSilence {
                    shown.push((at, review_only));
                }
            }
            at += 10.0;
        }
        assert_eq!(shown.len(), 6);
        let live: Vec<f64> = shown.iter().filter(|s| !s.1).map(|s| s.0).collect();
        assert_eq!(live, vec![0.0, 30.0]);
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
        let i =
            t.e.cues
                .iter()
                .position(|c| c.id() == CueId::GoodLabel)
                .unwrap();
        t.e.emit(Verdict::Fire(0), i, true, None, &mut out);
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
                CueId::LandIt,
                CueId::HoldSilence,
                CueId::SilenceHeld,
                CueId::SlowDown,
                CueId::SlowYes,
                CueId::ClosingUp,
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
