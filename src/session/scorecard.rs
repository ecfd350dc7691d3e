//! The post-call scorecard: talk ratio, monologues, questions by type, the counterpart's
//! no's and yeses, patience, pace, filler words and cue counts, computed from the session's
//! events only (so a repaired session gets the same card as a finished one). Pure logic; shown
//! at the end of practice and by `ringside report`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::event::{mmss, Act, CueId, SessionEvent, Speaker, TurnRef};
use crate::fillers::{fillers, is_filler_word, FillerUse};

/// Speaking statistics of one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SideStats {
    /// Turns: utterances with text, and unclear ones.
    pub utterances: u32,
    /// Turns that held speech but gave no accepted text ("(unclear)" in review).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unclear: u32,
    /// Seconds of speech (sum of utterance lengths).
    pub speaking_time: f64,
    /// Share of all speaking time, 0..1 (`None` when nobody spoke).
    pub share: Option<f64>,
    /// Longest run of consecutive utterances of this side without the other speaking, from
    /// the start of the first to the end of the last, seconds.
    pub longest_monologue: f64,
    pub words: u32,
    /// Words per minute of speaking time.
    pub wpm: Option<f64>,
    /// Filler words and phrases in total ...
    pub fillers: u32,
    /// ... and by filler.
    pub filler_words: BTreeMap<String, u32>,
}

/// Questions of "me" by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Questions {
    pub total: u32,
    /// Closed questions fishing for yes.
    pub yes: u32,
    /// Closed questions whose safe answer is no.
    pub no: u32,
    /// Open how/what questions.
    pub calibrated: u32,
}

/// The scorecard of a session (serialised into `session.json` and by `report --json`).
/// Times in seconds; ratios 0..1; values rounded to milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Length of the call (audio), seconds.
    pub duration: f64,
    pub me: SideStats,
    pub them: SideStats,
    pub questions: Questions,
    pub labels: u32,
    pub mirrors: u32,
    pub pitches: u32,
    /// Yes-ladder alerts: the `yes_ladder` cues recorded in the call (the same count as
    /// `cues["yes_ladder"]`). The cue fires on every yes-question of a run from the rule's
    /// `streak` on, when the classifier is sure enough of it, so a run of three yes-questions
    /// counts 2. Sessions scored before this counted runs instead (each run once, whatever its
    /// length or the classifier's confidence).
    pub yes_ladders: u32,
    pub nos_heard: u32,
    pub counterfeit_yeses: u32,
    pub confirmation_yeses: u32,
    pub commitment_yeses: u32,
    pub thats_rights: u32,
    pub commitment_reached: bool,
    /// Start of the first `pitch` of "me", seconds into the call.
    pub time_to_first_pitch: Option<f64>,
    /// Patience: mean gap between the end of a "them" utterance and the start of the "me"
    /// utterance that directly follows it (overlaps count as 0).
    pub avg_pause_before_me: Option<f64>,
    /// How many such answers were measured.
    pub answers_measured: u32,
    /// The other side's answer time: mean gap between the end of a "me" utterance and the
    /// start of the "them" utterance that directly follows it (in a role-play, how long the
    /// prospect took to answer). `None` in sessions written before it was kept.
    #[serde(default)]
    pub avg_pause_before_them: Option<f64>,
    #[serde(default)]
    pub them_answers_measured: u32,
    /// Cues fired, by id (all severities).
    pub cues: BTreeMap<CueId, u32>,
    /// How it was said, from the prosody records (`None` when no utterance carried one:
    /// typed text, sessions before prosody was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// Delivery in Voss's terms, from the measured voice of each utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Asks, prices, deadlines and pitches of "me" whose ending could be measured ...
    pub asks_measured: u32,
    /// ... of which landed: ended falling or level.
    pub asks_landed: u32,
    /// Asks in the late-night FM DJ voice: lower than my usual pitch, slower than my usual
    /// rate, and landed.
    pub dj_voice_asks: u32,
    /// Silences held after a label or mirror until "them" answered (`silence_held` cues) ...
    pub silences_held: u32,
    /// ... and silences filled too soon (`hold_silence` cues).
    pub silences_broken: u32,
    /// Yes answers that came late (`slow_yes` cues): counterfeit suspects.
    pub slow_yeses: u32,
    /// My usual speaking rate, syllables per voiced second (median of my first minute) ...
    pub rate_usual: Option<f64>,
    /// ... and over the rest of the call.
    pub rate_after: Option<f64>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    })
}

/// The delivery section from the turns (sorted by start) and the counted cues.
fn delivery(us: &[TurnRef], cues: &BTreeMap<CueId, u32>) -> Option<Delivery> {
    use crate::event::Ending;
    use crate::transforms::cues::land_it::is_ask;
    if !us.iter().any(|u| u.prosody.is_some()) {
        return None;
    }
    let cue = |id| cues.get(&id).copied().unwrap_or(0);
    let mut d = Delivery {
        silences_held: cue(CueId::SilenceHeld),
        silences_broken: cue(CueId::HoldSilence),
        slow_yeses: cue(CueId::SlowYes),
        ..Delivery::default()
    };
    // My usual: the first minute of voiced speech.
    let (mut voiced, mut first_rates, mut first_f0, mut later_rates) =
        (0.0f32, vec![], vec![], vec![]);
    for u in us.iter().filter(|u| u.speaker == Speaker::Me) {
        let Some(p) = u.prosody else { continue };
        if voiced < 60.0 {
            voiced += p.voiced_s;
            first_rates.extend(p.rate_syl_s.map(f64::from));
            first_f0.extend(p.f0_median_hz.map(f64::from));
        } else {
            later_rates.extend(p.rate_syl_s.map(f64::from));
        }
    }
    d.rate_usual = median(first_rates).map(r3);
    d.rate_after = median(later_rates).map(r3);
    let f0_usual = median(first_f0);
    for u in us {
        let Some(p) = u.prosody.filter(|_| is_ask(u.speaker, u.act, u.text)) else {
            continue;
        };
        if p.end == Ending::Unknown {
            continue;
        }
        d.asks_measured += 1;
        let landed = matches!(p.end, Ending::Fall | Ending::Level);
        d.asks_landed += u32::from(landed);
        let lower = matches!((p.f0_median_hz, f0_usual), (Some(f), Some(b)) if f64::from(f) < b);
        let slower = matches!((p.rate_syl_s, d.rate_usual), (Some(r), Some(b)) if f64::from(r) < b);
        d.dj_voice_asks += u32::from(landed && lower && slower);
    }
    Some(d)
}

/// Reference numbers from published call analyses, shown as hints.
pub const BEST_TALK_SHARE_ME: f64 = 0.43;
pub const QUESTIONS_SWEET_SPOT: (u32, u32) = (11, 14);

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// How many turns of `answerer` directly follow a turn of the other side in `turns` (sorted by
/// start), and the mean pause before them in seconds (overlaps count as 0).
fn answer_pauses(turns: &[TurnRef], answerer: Speaker) -> (u32, Option<f64>) {
    let pauses: Vec<f64> = turns
        .windows(2)
        .filter(|w| w[0].speaker != answerer && w[1].speaker == answerer)
        .map(|w| (w[1].start - w[0].end).max(0.0))
        .collect();
    let mean = (!pauses.is_empty()).then(|| r3(pauses.iter().sum::<f64>() / pauses.len() as f64));
    (pauses.len() as u32, mean)
}

/// Counts filler words. "like" only counts when set off by a comma ("it's, like, hard"), so
/// "I'd like to" is not a filler; "kind of"/"sort of" only when followed by a comma or at the
/// end, and "you know"/"I mean" always.
pub fn count_fillers(text: &str, into: &mut BTreeMap<String, u32>) -> u32 {
    let raw: Vec<&str> = text.split_whitespace().collect();
    let norm: Vec<String> = raw
        .iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        })
        .collect();
    let mut n = 0;
    let mut i = 0;
    while i < norm.len() {
        if i + 1 < norm.len() {
            if let Some((a, b)) = fillers(FillerUse::Scorecard)
                .filter_map(|f| f.split_once(' '))
                .find(|(a, b)| norm[i] == *a && norm[i + 1] == *b)
            {
                let hedge = a == "kind" || a == "sort";
                let set_off = raw[i + 1].ends_with(',') || i + 2 == norm.len();
                if !hedge || set_off {
                    *into.entry(format!("{a} {b}")).or_default() += 1;
                    n += 1;
                    i += 2;
                    continue;
                }
            }
        }
        let w = norm[i].as_str();
        if is_filler_word(FillerUse::Scorecard, w) {
            let counts =
                w != "like" || raw[i].ends_with(',') || (i > 0 && raw[i - 1].ends_with(','));
            if counts {
                *into.entry(w.to_string()).or_default() += 1;
                n += 1;
            }
        }
        i += 1;
    }
    n
}

impl Scorecard {
    /// Computes the scorecard from the events of a session; `duration` is the audio length
    /// (when unknown, the end of the last event is used).
    pub fn compute(events: &[SessionEvent], duration: Option<f64>) -> Scorecard {
        // Speech without accepted text is still a turn (time, monologues), with no words and
        // no act.
        let mut us: Vec<TurnRef> = events.iter().filter_map(SessionEvent::turn).collect();
        us.sort_by(|a, b| a.start.total_cmp(&b.start));

        let mut sc = Scorecard::default();
        let last = events.iter().map(|e| match e {
            SessionEvent::Utterance { end, .. } => *end,
            SessionEvent::SessionEnd { .. } => 0.0,
            other => other.time(),
        });
        sc.duration = r3(duration.unwrap_or_else(|| last.fold(0.0, f64::max)));

        for e in events {
            if let SessionEvent::Cue { id, .. } = e {
                *sc.cues.entry(*id).or_default() += 1;
            }
        }

        // Per side: time, words, fillers, monologues.
        let mut run: Option<(Speaker, f64, f64)> = None;
        let mut longest = [0.0f64; 2];
        let side = |s: Speaker| match s {
            Speaker::Me => 0usize,
            Speaker::Them => 1usize,
        };
        let mut sides = [SideStats::default(), SideStats::default()];
        for u in &us {
            let st = &mut sides[side(u.speaker)];
            st.utterances += 1;
            if u.text.is_empty() {
                st.unclear += 1;
            }
            st.speaking_time += u.end - u.start;
            st.words += u.text.split_whitespace().count() as u32;
            st.fillers += count_fillers(u.text, &mut st.filler_words);
            run = match run {
                Some((s, a, b)) if s == u.speaker => Some((s, a, b.max(u.end))),
                _ => Some((u.speaker, u.start, u.end)),
            };
            if let Some((s, a, b)) = run {
                let l = &mut longest[side(s)];
                *l = l.max(b - a);
            }
        }
        let total: f64 = sides.iter().map(|s| s.speaking_time).sum();
        for (i, st) in sides.iter_mut().enumerate() {
            st.longest_monologue = r3(longest[i]);
            st.share = (total > 0.0).then(|| r3(st.speaking_time / total));
            st.wpm =
                (st.speaking_time > 0.0).then(|| r3(st.words as f64 * 60.0 / st.speaking_time));
            st.speaking_time = r3(st.speaking_time);
        }
        let [me, them] = sides;
        sc.me = me;
        sc.them = them;

        // Acts.
        // What the cue rules found is what they recorded: the scorecard counts cues, it does
        // not re-derive the rules.
        sc.yes_ladders = sc.cues.get(&CueId::YesLadder).copied().unwrap_or(0);
        for u in &us {
            match (u.speaker, u.act) {
                (Speaker::Me, Act::YesQuestion) => sc.questions.yes += 1,
                (Speaker::Me, Act::NoQuestion) => sc.questions.no += 1,
                (Speaker::Me, Act::CalibratedQuestion) => sc.questions.calibrated += 1,
                (Speaker::Me, Act::Label) => sc.labels += 1,
                (Speaker::Me, Act::Mirror) => sc.mirrors += 1,
                (Speaker::Me, Act::Pitch) => {
                    sc.pitches += 1;
                    if sc.time_to_first_pitch.is_none() {
                        sc.time_to_first_pitch = Some(r3(u.start));
                    }
                }
                (Speaker::Them, Act::No) => sc.nos_heard += 1,
                (Speaker::Them, Act::CounterfeitYes) => sc.counterfeit_yeses += 1,
                (Speaker::Them, Act::ConfirmationYes) => sc.confirmation_yeses += 1,
                (Speaker::Them, Act::CommitmentYes) => sc.commitment_yeses += 1,
                (Speaker::Them, Act::ThatsRight) => sc.thats_rights += 1,
                _ => {}
            }
        }
        sc.questions.total = sc.questions.yes + sc.questions.no + sc.questions.calibrated;
        sc.commitment_reached = sc.commitment_yeses > 0;

        // Patience, and the other side's answer time.
        (sc.answers_measured, sc.avg_pause_before_me) = answer_pauses(&us, Speaker::Me);
        (sc.them_answers_measured, sc.avg_pause_before_them) = answer_pauses(&us, Speaker::Them);
        sc.delivery = delivery(&us, &sc.cues);
        sc
    }

    /// The scorecard as a few lines of text for the terminal, with reference numbers as hints.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Scorecard ({} call)", mmss(self.duration));
        match (self.me.share, self.them.share) {
            (Some(m), Some(t)) => {
                let hint = if m > 0.65 {
                    "too much talking: calls above 65% convert worse"
                } else if m <= 0.5 {
                    "good listening"
                } else {
                    "room to listen more"
                };
                let _ = writeln!(
                    s,
                    "  Talk ratio        me {:.0}% : them {:.0}%   (best calls: 43:57; {hint})",
                    m * 100.0,
                    t * 100.0
                );
            }
            _ => {
                let _ = writeln!(s, "  Talk ratio        no speech recorded");
            }
        }
        let _ = writeln!(
            s,
            "  Longest monologue me {:.1} s, them {:.1} s   (let them talk; winners let customers run ~4 min)",
            self.me.longest_monologue, self.them.longest_monologue
        );
        let (lo, hi) = QUESTIONS_SWEET_SPOT;
        let _ = writeln!(
            s,
            "  Questions         {} (calibrated {}, no-oriented {}, yes-fishing {})   ({lo}-{hi} per call is the sweet spot)",
            self.questions.total, self.questions.calibrated, self.questions.no, self.questions.yes
        );
        let _ = writeln!(
            s,
            "  Labels {}, mirrors {}, pitches {}, yes-ladders {}",
            self.labels, self.mirrors, self.pitches, self.yes_ladders
        );
        let _ = writeln!(
            s,
            "  Their answers     no {}, counterfeit yes {}, confirmation yes {}, commitment yes {}, that's right {}",
            self.nos_heard,
            self.counterfeit_yeses,
            self.confirmation_yeses,
            self.commitment_yeses,
            self.thats_rights
        );
        let _ = writeln!(
            s,
            "  Commitment        {}",
            if self.commitment_reached {
                "reached"
            } else {
                "not reached"
            }
        );
        let _ = writeln!(
            s,
            "  First pitch       {}",
            match self.time_to_first_pitch {
                Some(t) => format!("at {}", mmss(t)),
                None => "none".into(),
            }
        );
        let _ = writeln!(
            s,
            "  Patience          {}",
            match self.avg_pause_before_me {
                Some(p) => format!(
                    "{p:.1} s average pause before you answer ({} answers)",
                    self.answers_measured
                ),
                None => "no answers to measure".into(),
            }
        );
        if let Some(p) = self.avg_pause_before_them {
            let _ = writeln!(
                s,
                "  Their timing      {p:.1} s average pause before they answer ({} answers)",
                self.them_answers_measured
            );
        }
        if let Some(d) = &self.delivery {
            let _ = writeln!(
                s,
                "  Delivery          asks landed {} of {} (DJ voice {}), silences held {} (filled too soon {}), slow yeses {}",
                d.asks_landed,
                d.asks_measured,
                d.dj_voice_asks,
                d.silences_held,
                d.silences_broken,
                d.slow_yeses
            );
            if let (Some(u), Some(a)) = (d.rate_usual, d.rate_after) {
                let _ = writeln!(
                    s,
                    "  Pace vs usual     {a:.1} syllables/s after the first minute, your usual {u:.1} ({:+.0}%)",
                    (a / u - 1.0) * 100.0
                );
            }
        }
        let wpm = |w: Option<f64>| w.map_or("-".to_string(), |w| format!("{w:.0} wpm"));
        let _ = writeln!(
            s,
            "  Pace              me {}, them {}",
            wpm(self.me.wpm),
            wpm(self.them.wpm)
        );
        let fill = |st: &SideStats| {
            if st.filler_words.is_empty() {
                "0".to_string()
            } else {
                let parts: Vec<String> = st
                    .filler_words
                    .iter()
                    .map(|(w, n)| format!("{w} {n}"))
                    .collect();
                format!("{} ({})", st.fillers, parts.join(", "))
            }
        };
        let _ = writeln!(
            s,
            "  Filler words      me {}, them {}",
            fill(&self.me),
            fill(&self.them)
        );
        if self.cues.is_empty() {
            let _ = writeln!(s, "  Cues              none");
        } else {
            let parts: Vec<String> = self.cues.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  Cues              {}", parts.join(", "));
        }
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::Severity;

    fn u(id: u64, speaker: Speaker, start: f64, end: f64, text: &str, act: Act) -> SessionEvent {
        SessionEvent::Utterance {
            prosody: None,
            id,
            speaker,
            start,
            end,
            text: text.into(),
            act,
            why: String::new(),
            confidence: None,
            unsure: false,
            latency_ms: None,
            hesitation: None,
        }
    }

    fn cue(id: CueId, time: f64) -> SessionEvent {
        SessionEvent::Cue {
            review_only: false,
            id,
            severity: Severity::Nudge,
            message: String::new(),
            time,
            utterance_id: None,
        }
    }

    /// A short hand-made call, used by several tests.
    pub(crate) fn call() -> Vec<SessionEvent> {
        use Act::*;
        use Speaker::*;
        vec![
            u(0, Me, 1.0, 3.0, "Hi, this is Tom from Greenleaf.", Other),
            u(1, Me, 3.5, 5.5, "Do you have a minute?", YesQuestion),
            cue(CueId::OpeningYes, 5.5),
            u(2, Them, 6.0, 7.0, "Um, I guess.", CounterfeitYes),
            cue(CueId::CounterfeitYes, 7.0),
            u(
                3,
                Me,
                8.0,
                10.0,
                "You want to save money, right?",
                YesQuestion,
            ),
            cue(CueId::YesLadder, 10.0),
            u(4, Them, 10.5, 11.5, "No.", No),
            cue(CueId::NoHeard, 11.5),
            u(
                5,
                Me,
                13.5,
                16.5,
                "It sounds like, like, now is a bad time.",
                Label,
            ),
            u(
                6,
                Me,
                16.5,
                18.5,
                "Is it ridiculous to talk later?",
                NoQuestion,
            ),
            u(
                7,
                Them,
                19.0,
                23.0,
                "No, it's fine, you know, we already have a provider.",
                No,
            ),
            u(8, Me, 23.0, 24.0, "Already have a provider?", Mirror),
            u(
                9,
                Them,
                24.5,
                26.5,
                "That's right, uh, for years.",
                ThatsRight,
            ),
            u(
                10,
                Me,
                27.0,
                29.0,
                "What is the biggest challenge with it?",
                CalibratedQuestion,
            ),
            u(
                11,
                Me,
                30.0,
                33.0,
                "Our platform saves ten hours a week.",
                Pitch,
            ),
            u(
                12,
                Them,
                34.0,
                36.0,
                "Book me for Tuesday at ten.",
                CommitmentYes,
            ),
            cue(CueId::Commitment, 36.0),
        ]
    }

    #[test]
    fn every_metric_of_a_hand_made_call() {
        let sc = Scorecard::compute(&call(), Some(40.0));
        assert_eq!(sc.duration, 40.0);
        // me: 2+2+2+3+2+1+2+3 = 17 s; them: 1+1+4+2+2 = 10 s.
        assert_eq!(sc.me.speaking_time, 17.0);
        assert_eq!(sc.them.speaking_time, 10.0);
        assert_eq!(sc.me.share, Some(r3(17.0 / 27.0)));
        assert_eq!(sc.them.share, Some(r3(10.0 / 27.0)));
        assert_eq!(sc.me.utterances, 8);
        assert_eq!(sc.them.utterances, 5);
        // me runs: 1.0-5.5 (4.5), 8-10, 13.5-18.5 (5.0), 23-24, 27-33 (6.0); them: 19-23 (4.0).
        assert_eq!(sc.me.longest_monologue, 6.0);
        assert_eq!(sc.them.longest_monologue, 4.0);
        assert_eq!(sc.me.words, 6 + 5 + 6 + 9 + 6 + 4 + 7 + 7);
        assert_eq!(sc.them.words, 3 + 1 + 10 + 5 + 6);
        assert_eq!(sc.me.wpm, Some(r3(50.0 * 60.0 / 17.0)));
        assert_eq!(sc.them.wpm, Some(r3(25.0 * 60.0 / 10.0)));
        // me: "like," twice (set off by commas); "Hi," is not a filler.
        assert_eq!(sc.me.fillers, 2);
        assert_eq!(sc.me.filler_words.get("like"), Some(&2));
        // them: "Um", "you know", "uh".
        assert_eq!(sc.them.fillers, 3);
        assert_eq!(sc.them.filler_words.get("you know"), Some(&1));
        assert_eq!(
            sc.questions,
            Questions {
                total: 4,
                yes: 2,
                no: 1,
                calibrated: 1
            }
        );
        assert_eq!((sc.labels, sc.mirrors, sc.pitches), (1, 1, 1));
        assert_eq!(sc.yes_ladders, 1);
        assert_eq!(sc.nos_heard, 2);
        assert_eq!(sc.counterfeit_yeses, 1);
        assert_eq!(sc.confirmation_yeses, 0);
        assert_eq!(sc.commitment_yeses, 1);
        assert_eq!(sc.thats_rights, 1);
        assert!(sc.commitment_reached);
        assert_eq!(sc.time_to_first_pitch, Some(30.0));
        // them->me answers: 7.0->8.0 (1.0), 11.5->13.5 (2.0), 23.0->23.0 (0), 26.5->27.0 (0.5).
        assert_eq!(sc.answers_measured, 4);
        assert_eq!(sc.avg_pause_before_me, Some(0.875));
        // me->them answers: 5.5->6.0, 10.0->10.5, 18.5->19.0, 24.0->24.5 (0.5 each), 33->34 (1).
        assert_eq!(sc.them_answers_measured, 5);
        assert_eq!(sc.avg_pause_before_them, Some(0.6));
        assert_eq!(sc.cues.len(), 5);
        assert_eq!(sc.cues[&CueId::YesLadder], 1);
        let text = sc.render_text();
        assert!(text.contains("me 63% : them 37%"), "{text}");
        assert!(text.contains("43:57"));
        assert!(text.contains("Commitment        reached"));
    }

    #[test]
    fn empty_call() {
        let sc = Scorecard::compute(&[], None);
        assert_eq!(sc.me.share, None);
        assert_eq!(sc.avg_pause_before_me, None);
        assert_eq!(sc.avg_pause_before_them, None);
        assert!(!sc.commitment_reached);
        assert!(sc.render_text().contains("no speech recorded"));
    }

    #[test]
    fn yes_ladders_count_the_recorded_cues_not_the_acts() {
        use Act::*;
        use Speaker::*;
        // Four yes-questions in a row, but no cue recorded (held back, or switched off): no
        // ladder on the scorecard either.
        let mut ev = vec![
            u(0, Me, 0.0, 1.0, "a", YesQuestion),
            u(1, Me, 1.0, 2.0, "b", YesQuestion),
            u(2, Me, 2.0, 3.0, "c", YesQuestion),
            u(3, Me, 3.0, 4.0, "d", YesQuestion),
        ];
        assert_eq!(Scorecard::compute(&ev, None).yes_ladders, 0);
        ev.push(cue(CueId::YesLadder, 2.0));
        ev.push(cue(CueId::YesLadder, 4.0));
        let sc = Scorecard::compute(&ev, None);
        assert_eq!(sc.yes_ladders, 2);
        assert_eq!(sc.cues[&CueId::YesLadder], 2);
    }

    #[test]
    fn delivery_counts_landed_asks_the_dj_voice_and_the_delivery_cues() {
        use crate::event::{Ending, Prosody, PROSODY_VERSION};
        use Act::*;
        use Speaker::*;
        let voiced = |ev: SessionEvent, end: Ending, f0: f32, rate: f32| match ev {
            SessionEvent::Utterance {
                id,
                speaker,
                start,
                end: e,
                text,
                act,
                ..
            } => SessionEvent::Utterance {
                prosody: Some(Prosody {
                    version: PROSODY_VERSION,
                    f0_median_hz: Some(f0),
                    f0_range_st: Some(5.0),
                    end,
                    end_slope_st_s: None,
                    rate_syl_s: Some(rate),
                    level_dbfs: -25.0,
                    voiced_s: 1.0,
                    voice_start: None,
                    voice_end: None,
                    contour_hz: Vec::new(),
                }),
                id,
                speaker,
                start,
                end: e,
                text,
                act,
                why: String::new(),
                confidence: None,
                unsure: false,
                latency_ms: None,
                hesitation: None,
            },
            other => other,
        };
        // Without prosody: no delivery section (typed text, old sessions).
        assert_eq!(Scorecard::compute(&call(), None).delivery, None);
        let ev = vec![
            voiced(
                u(0, Me, 0.0, 2.0, "Hi, I'm calling about your plan.", Other),
                Ending::Fall,
                200.0,
                5.0,
            ),
            // Asks: a price landed low and slow (the DJ voice), a pitch rising, a deadline level.
            voiced(
                u(1, Me, 3.0, 5.0, "It's 40 dollars a month.", Other),
                Ending::Fall,
                180.0,
                4.0,
            ),
            voiced(
                u(2, Me, 6.0, 8.0, "Our plan covers the whole family.", Pitch),
                Ending::Rise,
                210.0,
                5.5,
            ),
            voiced(
                u(3, Me, 9.0, 11.0, "We need an answer by Friday.", Other),
                Ending::Level,
                205.0,
                5.2,
            ),
            // Not asks: a question and an unmeasured ending.
            voiced(
                u(4, Me, 12.0, 13.0, "Does that work?", YesQuestion),
                Ending::Rise,
                220.0,
                5.0,
            ),
            voiced(
                u(5, Me, 14.0, 15.0, "The price is 30 dollars.", Other),
                Ending::Unknown,
                200.0,
                5.0,
            ),
            cue(CueId::SlowYes, 16.0),
            cue(CueId::SilenceHeld, 17.0),
            cue(CueId::HoldSilence, 18.0),
        ];
        let d = Scorecard::compute(&ev, None).delivery.unwrap();
        assert_eq!((d.asks_measured, d.asks_landed, d.dj_voice_asks), (3, 2, 1));
        assert_eq!(
            (d.slow_yeses, d.silences_held, d.silences_broken),
            (1, 1, 1)
        );
        assert_eq!(d.rate_usual, Some(5.0));
        assert!(Scorecard::compute(&ev, None)
            .render_text()
            .contains("asks landed 2 of 3"));
    }

    #[test]
    fn fillers() {
        let mut m = BTreeMap::new();
        assert_eq!(
            count_fillers("I'd like to, um, sort of, you know, I mean it.", &mut m),
            4
        );
        assert_eq!(count_fillers("That kind of plan works.", &mut m), 0);
    }
}
