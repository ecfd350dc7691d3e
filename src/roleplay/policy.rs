//! The counterpart's policy: a small state machine that turns each classified "me" utterance
//! into the counterpart's next line (reply, commitment or hang-up). Pure and synchronous; runs
//! on the session thread inside the role-play's event handler.
//!
//! State: rapport moves so far (no-question, label, mirror, calibrated question), strikes
//! (yes-questions and pitches before any label/mirror/calibrated question), the current
//! yes-question streak, the hidden needs already hit, and a rotation counter per response
//! group so repeated situations get the next variant (deterministic: same inputs, same lines).
//!
//! Order of decisions for one utterance: (1) a strike that reaches `patience` hangs up;
//! (2) once rapport and needs are there, an act of `commitment.on` gets a commitment;
//! (3) a label, mirror or calibrated question with a keyword of an unhit need gets that need's
//! reply; (4) the act's responses, most specific matching condition first; (5) after rapport,
//! a pitch gets the next objection if the scenario has none for it; (6) `responses.other`.

use std::collections::HashMap;

use serde::Serialize;

use super::scenario::{LineId, Scenario, When};
use crate::event::Act;

/// What the counterpart's line does to the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Opening,
    Reply,
    /// A commitment yes: the call ends after it, successfully.
    Commitment,
    /// The counterpart hangs up after it.
    HangUp,
}

impl LineKind {
    pub fn ends_call(self) -> bool {
        matches!(self, LineKind::Commitment | LineKind::HangUp)
    }
}

/// The counterpart's decision for one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub line: LineId,
    pub kind: LineKind,
    /// Why this line, for the terminal and the role-play log ("need hit: ...", "ladder", ...).
    pub why: String,
}

/// The counterpart's state during one call.
#[derive(Debug, Clone)]
pub struct Policy {
    rapport: u32,
    strikes: u32,
    yes_streak: u32,
    /// A label, mirror or calibrated question was used (for `when = "early"` pitches).
    listened: bool,
    needs_hit: Vec<bool>,
    /// Next variant per group (e.g. "label/any", "need/0", "opening").
    rotation: HashMap<String, usize>,
    /// Set once a commitment or hang-up line was chosen.
    ended: Option<LineKind>,
}

impl Policy {
    pub fn new(s: &Scenario) -> Policy {
        Policy {
            rapport: 0,
            strikes: 0,
            yes_streak: 0,
            listened: false,
            needs_hit: vec![false; s.needs.len()],
            rotation: HashMap::new(),
            ended: None,
        }
    }

    /// Starts the rotation at `offset` (e.g. a run counter), so a second call of the same
    /// scenario opens with the next variants. Deterministic for a given offset.
    pub fn with_rotation_offset(mut self, s: &Scenario, offset: usize) -> Policy {
        let mut groups = vec![
            "opening".to_string(),
            "commitment".into(),
            "hang_up".into(),
            "objection".into(),
        ];
        for (i, _) in s.needs.iter().enumerate() {
            groups.push(format!("need/{i}"));
        }
        for (act, list) in &s.responses {
            for w in When::PRIORITY {
                if list.iter().any(|r| r.when == w) {
                    groups.push(format!("{act}/{}", w.as_str()));
                }
            }
        }
        for g in groups {
            self.rotation.insert(g, offset);
        }
        self
    }

    pub fn rapport(&self) -> u32 {
        self.rapport
    }
    pub fn strikes(&self) -> u32 {
        self.strikes
    }
    pub fn needs_hit(&self) -> usize {
        self.needs_hit.iter().filter(|h| **h).count()
    }
    /// `Some(kind)` once the call is over.
    pub fn ended(&self) -> Option<LineKind> {
        self.ended
    }

    fn pick(&mut self, group: &str, options: &[LineId]) -> Option<LineId> {
        if options.is_empty() {
            return None;
        }
        let n = self.rotation.entry(group.to_string()).or_insert(0);
        let line = options[*n % options.len()];
        *n += 1;
        Some(line)
    }

    /// The opening line (the counterpart picks up the phone).
    pub fn opening(&mut self, s: &Scenario) -> Turn {
        let line = self.pick("opening", &s.opening).unwrap_or(0);
        Turn {
            line,
            kind: LineKind::Opening,
            why: "opening".into(),
        }
    }

    /// The counterpart's answer to one "me" utterance of act `act` and text `text`. `None`
    /// after the call has ended.
    pub fn respond(&mut self, s: &Scenario, act: Act, text: &str) -> Option<Turn> {
        if self.ended.is_some() {
            return None;
        }
        let early_pitch = act == Act::Pitch && !self.listened;
        let ladder = act == Act::YesQuestion && self.yes_streak >= 1;
        // Streak rules as in the coaching spec: a "me" `other` does not break it.
        match act {
            Act::YesQuestion => self.yes_streak += 1,
            Act::Other => {}
            _ => self.yes_streak = 0,
        }
        if matches!(
            act,
            Act::NoQuestion | Act::Label | Act::Mirror | Act::CalibratedQuestion
        ) {
            self.rapport += 1;
        }
        if matches!(act, Act::Label | Act::Mirror | Act::CalibratedQuestion) {
            self.listened = true;
        }
        if act == Act::YesQuestion || early_pitch {
            self.strikes += 1;
            if self.strikes >= s.patience {
                let line = self.pick("hang_up", &s.hang_up)?;
                self.ended = Some(LineKind::HangUp);
                let why = format!(
                    "patience {} used up ({} yes-questions/early pitches)",
                    s.patience, self.strikes
                );
                return Some(Turn {
                    line,
                    kind: LineKind::HangUp,
                    why,
                });
            }
        }
        // A need hit by this very utterance counts towards readiness, but the commitment
        // waits for an ask: the need's reply comes first.
        let hit = if matches!(act, Act::Label | Act::Mirror | Act::CalibratedQuestion) {
            self.hit_need(s, text)
        } else {
            None
        };
        let ready =
            self.rapport >= s.rapport_needed && self.needs_hit() as u32 >= s.needs_for_commitment;
        if hit.is_none() && ready && s.commitment_on.contains(&act) {
            let line = self.pick("commitment", &s.commitment)?;
            self.ended = Some(LineKind::Commitment);
            let why = format!(
                "ready (rapport {}, needs hit {}) and asked with a {act}",
                self.rapport,
                self.needs_hit()
            );
            return Some(Turn {
                line,
                kind: LineKind::Commitment,
                why,
            });
        }
        if let Some(i) = hit {
            self.rapport += 1;
            let replies = s
                .needs
                .get(i)
                .map(|n| n.replies.clone())
                .unwrap_or_default();
            if let Some(line) = self.pick(&format!("need/{i}"), &replies) {
                let why = format!(
                    "need hit: {}",
                    s.needs.get(i).map(|n| n.name.as_str()).unwrap_or("?")
                );
                return Some(Turn {
                    line,
                    kind: LineKind::Reply,
                    why,
                });
            }
        }
        let list = s.responses_for(act);
        for w in When::PRIORITY {
            let applies = match w {
                When::Any => true,
                When::NoRapport => self.rapport < s.rapport_needed,
                When::Rapport => self.rapport >= s.rapport_needed,
                When::Ladder => ladder,
                When::Early => early_pitch,
            };
            if !applies {
                continue;
            }
            let options: Vec<LineId> = list
                .iter()
                .filter(|r| r.when == w)
                .map(|r| r.line)
                .collect();
            if let Some(line) = self.pick(&format!("{act}/{}", w.as_str()), &options) {
                return Some(Turn {
                    line,
                    kind: LineKind::Reply,
                    why: format!("{act}, {}", w.as_str()),
                });
            }
        }
        if act == Act::Pitch {
            if let Some(line) = self.pick("objection", &s.objections.clone()) {
                return Some(Turn {
                    line,
                    kind: LineKind::Reply,
                    why: "pitch: objection".into(),
                });
            }
        }
        let options: Vec<LineId> = s
            .responses_for(Act::Other)
            .iter()
            .filter(|r| r.when == When::Any)
            .map(|r| r.line)
            .collect();
        let line = self.pick("other/any", &options)?;
        Some(Turn {
            line,
            kind: LineKind::Reply,
            why: format!("{act}: fallback"),
        })
    }

    /// The first unhit need with a keyword in `text` (whole words, any case); marks it hit.
    fn hit_need(&mut self, s: &Scenario, text: &str) -> Option<usize> {
        let words: String = text
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '\'' || c == '-' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        let padded = format!(
            " {} ",
            words.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for (i, need) in s.needs.iter().enumerate() {
            if self.needs_hit.get(i).copied().unwrap_or(true) {
                continue;
            }
            if need
                .keywords
                .iter()
                .any(|k| padded.contains(&format!(" {k} ")))
            {
                if let Some(h) = self.needs_hit.get_mut(i) {
                    *h = true;
                }
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insurance() -> Scenario {
        Scenario::load("insurance_cold_call").unwrap()
    }

    fn say(p: &mut Policy, s: &Scenario, act: Act, text: &str) -> (String, LineKind) {
        let t = p.respond(s, act, text).unwrap();
        (s.line(t.line).to_string(), t.kind)
    }

    #[test]
    fn a_yes_ladder_ends_with_a_hang_up() {
        let s = insurance();
        let mut p = Policy::new(&s);
        assert_eq!(s.line(p.opening(&s).line), "Hello, this is Dana.");
        let (l, k) = say(&mut p, &s, Act::YesQuestion, "Do you have a few minutes?");
        assert_eq!(
            (l.as_str(), k),
            ("Uhm, I guess so. What is this about?", LineKind::Reply)
        );
        let (l, _) = say(
            &mut p,
            &s,
            Act::YesQuestion,
            "You care about your family, right?",
        );
        assert_eq!(
            l, "Sure, I suppose. Where is this going?",
            "second in a row: a ladder reply"
        );
        let (_, k) = say(
            &mut p,
            &s,
            Act::YesQuestion,
            "You want to save money, don't you?",
        );
        assert_eq!(k, LineKind::HangUp);
        assert_eq!(p.ended(), Some(LineKind::HangUp));
        assert!(
            p.respond(&s, Act::Label, "It seems like...").is_none(),
            "nothing after the end"
        );
    }

    #[test]
    fn no_oriented_opener_labels_and_an_ask_get_a_commitment() {
        let s = insurance();
        let mut p = Policy::new(&s);
        let (l, _) = say(&mut p, &s, Act::NoQuestion, "Is now a bad time to talk?");
        assert_eq!(l, "No, it's fine. I have a minute. What is this about?");
        let (l, _) = say(
            &mut p,
            &s,
            Act::Label,
            "It sounds like you have a lot on your plate with the kids.",
        );
        assert!(
            l.starts_with("That's right."),
            "the label hits the hidden need: {l}"
        );
        // Ready now, but a calibrated question is not an ask in this scenario.
        let (l, k) = say(
            &mut p,
            &s,
            Act::CalibratedQuestion,
            "What worries you most about the coverage you have now?",
        );
        assert_eq!(k, LineKind::Reply);
        assert!(l.contains("through work"), "second need: {l}");
        let (l, k) = say(
            &mut p,
            &s,
            Act::NoQuestion,
            "Would it be a bad idea to look at the numbers on Thursday?",
        );
        assert_eq!(k, LineKind::Commitment, "{l}");
        assert_eq!(p.ended(), Some(LineKind::Commitment));
    }

    #[test]
    fn early_pitches_strike_and_late_pitches_get_objections() {
        let s = insurance();
        let mut p = Policy::new(&s);
        let (l, _) = say(&mut p, &s, Act::Pitch, "Our family plan saves you money.");
        assert_eq!(
            l,
            "I'm sure it's a great plan, but I really don't know you."
        );
        assert_eq!(p.strikes(), 1);
        say(
            &mut p,
            &s,
            Act::Label,
            "It seems like you get a lot of these calls.",
        );
        let (_, k) = say(&mut p, &s, Act::Pitch, "Our plan is the cheapest.");
        assert_eq!(k, LineKind::Reply);
        assert_eq!(p.strikes(), 1, "a pitch after listening is no strike");
    }

    #[test]
    fn repeated_situations_rotate_variants_deterministically() {
        let s = insurance();
        let run = |offset| {
            let mut p = Policy::new(&s).with_rotation_offset(&s, offset);
            let mut v = vec![s.line(p.opening(&s).line).to_string()];
            for _ in 0..4 {
                v.push(say(&mut p, &s, Act::Other, "okay").0);
            }
            v
        };
        let a = run(0);
        assert_eq!(a, run(0), "same inputs, same lines");
        assert_ne!(a[1], a[2], "a repeat gets the next variant");
        assert_eq!(a[1], a[3]);
        assert_ne!(run(1)[0], a[0], "the next run opens differently");
    }

    #[test]
    fn every_scenario_can_be_won_and_lost() {
        for (name, _) in super::super::scenario::BUILTIN {
            let s = Scenario::load(name).unwrap();
            // Fishing for yes until patience runs out: a hang-up.
            let mut p = Policy::new(&s);
            let mut last = None;
            for _ in 0..s.patience {
                last = p.respond(&s, Act::YesQuestion, "You want that, right?");
            }
            assert_eq!(last.map(|t| t.kind), Some(LineKind::HangUp), "{name}");
            // Rapport and the hidden needs, then an ask: a commitment.
            let mut p = Policy::new(&s);
            p.respond(&s, Act::NoQuestion, "Is now a bad time?")
                .unwrap();
            for need in &s.needs {
                let t = p
                    .respond(
                        &s,
                        Act::Label,
                        &format!("It seems like {} matters.", need.keywords[0]),
                    )
                    .unwrap();
                assert_eq!(t.why, format!("need hit: {}", need.name), "{name}");
            }
            let ask = s.commitment_on[0];
            let t = p
                .respond(&s, ask, "Would it be a bad idea to set up a time?")
                .unwrap();
            assert_eq!(t.kind, LineKind::Commitment, "{name}: {t:?}");
        }
    }

    #[test]
    fn keywords_match_whole_words_only() {
        let s = insurance();
        let mut p = Policy::new(&s);
        // "sonnet" contains "son" but is not the word.
        let (l, _) = say(
            &mut p,
            &s,
            Act::Label,
            "It seems like you like a good sonnet.",
        );
        assert!(!l.starts_with("That's right"), "{l}");
        let (l, _) = say(&mut p, &s, Act::Mirror, "Your son?");
        assert!(
            l.starts_with("That's right") || l.starts_with("Exactly"),
            "{l}"
        );
    }
}
