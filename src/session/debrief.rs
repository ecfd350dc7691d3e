//! The debrief of a call: every flagged line of "me" with one rewrite, and the changes that
//! would have helped most. A pure function of the session's events ([`build`]) and the
//! rewrite rules; written as `debrief.json` into the session directory when a recording
//! finishes, and computed on demand ([`load_or_build`]) for sessions that lack the file.
//! Runs on the coach/sink thread at the end of a session, and in `report`, `review` and the
//! daemon's API.
//!
//! Which lines are flagged: a "me" utterance with an `opening_yes`, `yes_ladder`,
//! `question_barrage` or `pitch_early` cue, or a missed chance: "them"'s utterance just before
//! was a `counterfeit_yes` or a `no` and "me" answered with a `pitch` or a `yes_question`.
//!
//! Ranking of the summary (`[ranking]` of `config/rewrites.toml`): a moment's severity is the
//! strongest severity of its cues as recorded (a missed chance no cue flagged counts as
//! `ranking.missed_chance`, a nudge by default). Moments are taken by severity (alert before
//! nudge), then earlier in the call first: an early mistake shapes the rest of the call. With
//! `one_per_flag` (the default), a moment whose main flag is not in the list yet goes before
//! a second moment of a flag already listed, so the summary shows different changes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::format::SessionEvent;
use super::review::TimelineItem;
use super::{write_atomic, SessionError};
use crate::event::mmss_tenths;
use crate::event::{Act, Severity, Speaker, TurnRef};
use crate::transforms::rewrite::{Flag, Rewrite, RewriteRules};

/// File name of the debrief inside a session directory.
pub const DEBRIEF_FILE: &str = "debrief.json";
/// Version of `debrief.json`. Readers accept every version up to this one.
pub const DEBRIEF_VERSION: u32 = 1;

/// `debrief.json` (version [`DEBRIEF_VERSION`]): the one record format of the debrief, read by
/// `report`, `review` and the web review page (`GET /api/sessions/{id}` has it as `debrief`).
///
/// ```text
/// {"version":1,
///  "moments":[{"utterance_id":2,"start":7.584,"end":9.92,"text":"You want to protect your family, right?",
///              "act":"yes_question","flags":["yes_ladder","missed_chance"],"severity":"alert",
///              "them_before":"Well, I guess so.","them_act":"counterfeit_yes",
///              "rewrite":{"text":"It seems like protecting your family matters a lot to you.","act":"label","rule":"want_to_label"}}],
///  "top":[2, 6, 0]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Debrief {
    pub version: u32,
    /// Every flagged line of "me", in call order.
    pub moments: Vec<Moment>,
    /// The changes that would have helped most, best first: utterance ids of `moments`.
    pub top: Vec<u64>,
}

/// One flagged line of "me" and its rewrite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    pub utterance_id: u64,
    /// Seconds into the call.
    pub start: f64,
    pub end: f64,
    /// What was said.
    pub text: String,
    pub act: Act,
    /// Why the line is weak; the first is the main flag, whose technique the rewrite uses.
    pub flags: Vec<Flag>,
    /// The strongest severity of the flags (see the ranking in the module docs).
    pub severity: Severity,
    /// What "them" said just before, if they spoke since the last line of "me".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub them_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub them_act: Option<Act>,
    /// `None` only when a custom rules file has no rule for the flags.
    pub rewrite: Option<Rewrite>,
}

impl Debrief {
    /// The moments of the summary, best first.
    pub fn top_moments(&self) -> Vec<&Moment> {
        self.top
            .iter()
            .filter_map(|id| self.moments.iter().find(|m| m.utterance_id == *id))
            .collect()
    }

    /// The summary for the terminal, shown under the scorecard.
    pub fn render_summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let top = self.top_moments();
        if top.is_empty() {
            let _ = writeln!(s, "Debrief           no flagged lines: nothing to rewrite");
            return s;
        }
        let _ = writeln!(
            s,
            "Debrief: the {} change{} that would have helped most",
            count_word(top.len()),
            if top.len() == 1 { "" } else { "s" }
        );
        for (i, m) in top.iter().enumerate() {
            let flags: Vec<&str> = m.flags.iter().map(|f| f.as_str()).collect();
            let _ = writeln!(
                s,
                "  {}. {}  {} ({})",
                i + 1,
                mmss_tenths(m.start),
                flags.join(", "),
                m.severity.as_str()
            );
            if let Some(t) = &m.them_before {
                let _ = writeln!(s, "     them said: {t}");
            }
            let _ = writeln!(s, "     you said:  {}", m.text);
            if let Some(r) = &m.rewrite {
                let _ = writeln!(s, "     try:       {}  [{}]", r.text, r.act);
            }
        }
        s
    }

    /// Every rewrite, one line each, in call order.
    pub fn render_rewrites(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.moments.is_empty() {
            return s;
        }
        let _ = writeln!(s, "Rewrites ({} flagged lines)", self.moments.len());
        for m in &self.moments {
            let _ = writeln!(
                s,
                "  {}  {}  \"{}\"",
                mmss_tenths(m.start),
                m.flags.first().map_or("", |f| f.as_str()),
                m.text
            );
            if let Some(r) = &m.rewrite {
                let _ = writeln!(s, "            -> \"{}\" [{}]", r.text, r.act);
            }
        }
        s
    }
}

fn count_word(n: usize) -> String {
    match n {
        1 => "one".into(),
        2 => "two".into(),
        3 => "three".into(),
        n => n.to_string(),
    }
}

/// Order of flags of equal severity when choosing the main flag: the most specific technique
/// first.
const FLAG_PRIORITY: [Flag; 6] = [
    Flag::PitchEarly,
    Flag::YesLadder,
    Flag::OpeningYes,
    Flag::MissedChance,
    Flag::QuestionBarrage,
    Flag::LandIt,
];

/// The debrief of a call, from its events alone.
pub fn build(events: &[SessionEvent], rules: &RewriteRules) -> Debrief {
    // Utterances only (unclear speech has no words to rewrite), each with its id.
    let utts: Vec<(u64, TurnRef)> = events
        .iter()
        .filter_map(|e| {
            let t = e.turn()?;
            Some((t.id?, t))
        })
        .collect();
    // Cues of "me" lines by utterance id; a cue without one (old logs) belongs to the "me"
    // line that ends at its time.
    let mut cues: Vec<(u64, Flag, Severity)> = Vec::new();
    for e in events {
        if let SessionEvent::Cue {
            id,
            severity,
            time,
            utterance_id,
            ..
        } = e
        {
            let Some(flag) = Flag::from_cue(*id) else {
                continue;
            };
            let uid = utterance_id.or_else(|| {
                utts.iter()
                    .find(|(_, u)| u.speaker == Speaker::Me && (u.end - time).abs() < 0.001)
                    .map(|(uid, _)| *uid)
            });
            if let Some(uid) = uid {
                cues.push((uid, flag, *severity));
            }
        }
    }
    let mut moments = Vec::new();
    for (i, (uid, u)) in utts.iter().enumerate() {
        if u.speaker != Speaker::Me {
            continue;
        }
        let mut flags: Vec<(Flag, Severity)> = cues
            .iter()
            .filter(|c| c.0 == *uid)
            .map(|c| (c.1, c.2))
            .collect();
        let prev = i.checked_sub(1).map(|p| &utts[p].1);
        let them_before = prev.filter(|p| p.speaker == Speaker::Them);
        if let Some(p) = them_before {
            if matches!(p.act, Act::CounterfeitYes | Act::No)
                && matches!(u.act, Act::Pitch | Act::YesQuestion)
            {
                flags.push((Flag::MissedChance, rules.ranking.missed_chance));
            }
        }
        if flags.is_empty() {
            continue;
        }
        let prio = |f: Flag| FLAG_PRIORITY.iter().position(|x| *x == f).unwrap_or(99);
        flags.sort_by(|a, b| b.1.cmp(&a.1).then(prio(a.0).cmp(&prio(b.0))));
        flags.dedup_by_key(|f| f.0);
        let severity = flags[0].1;
        let them = them_before.map(|p| (p.text, p.act));
        let rewrite = flags.iter().find_map(|(f, _)| match f {
            // A delivery moment: the same words, the end brought down ("you asked for the
            // meeting ending ↗; say it again, landing ↘").
            Flag::LandIt => Some(Rewrite {
                text: u.text.to_string(),
                act: u.act,
                rule: "land_it: the same words, landing the end \u{2198}".into(),
            }),
            _ => rules.rewrite(*f, u.text, them),
        });
        moments.push(Moment {
            utterance_id: *uid,
            start: u.start,
            end: u.end,
            text: u.text.to_string(),
            act: u.act,
            flags: flags.iter().map(|f| f.0).collect(),
            severity,
            them_before: them_before.map(|p| p.text.to_string()),
            them_act: them_before.map(|p| p.act),
            rewrite,
        });
    }
    let top = rank(&moments, rules.ranking.one_per_flag, rules.ranking.top);
    Debrief {
        version: DEBRIEF_VERSION,
        moments,
        top,
    }
}

/// The ids of the `n` moments that would have helped most (see the module docs).
pub fn rank(moments: &[Moment], one_per_flag: bool, n: usize) -> Vec<u64> {
    let mut left: Vec<&Moment> = moments.iter().filter(|m| m.rewrite.is_some()).collect();
    left.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.start.total_cmp(&b.start))
            .then(a.utterance_id.cmp(&b.utterance_id))
    });
    let mut picked: Vec<&Moment> = Vec::new();
    while picked.len() < n && !left.is_empty() {
        let i = if one_per_flag {
            left.iter()
                .position(|m| !picked.iter().any(|p| p.flags.first() == m.flags.first()))
                .unwrap_or(0)
        } else {
            0
        };
        picked.push(left.remove(i));
    }
    picked.iter().map(|m| m.utterance_id).collect()
}

/// Writes `debrief.json` atomically (mode 0600).
pub fn write(dir: &Path, d: &Debrief) -> Result<(), SessionError> {
    let mut bytes = serde_json::to_vec_pretty(d).map_err(|e| SessionError::Corrupt {
        path: dir.join(DEBRIEF_FILE),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(dir, DEBRIEF_FILE, &bytes)
}

/// The session's `debrief.json`, or the debrief computed from its events when the file is
/// missing, unreadable or of a newer version (older sessions, a crash before the end).
pub fn load_or_build(dir: &Path, events: &[SessionEvent], rules: &RewriteRules) -> Debrief {
    crate::files::read_regular(
        &dir.join(DEBRIEF_FILE),
        crate::files::MAX_DRILL_JSON_BYTES,
        crate::files::Links::Refuse,
    )
    .ok()
    .and_then(|b| serde_json::from_slice::<Debrief>(&b).ok())
    .filter(|d| d.version <= DEBRIEF_VERSION)
    .unwrap_or_else(|| build(events, rules))
}

/// The review timeline with a `TRY` line after every flagged utterance.
pub fn timeline_with_rewrites(events: &[SessionEvent], d: &Debrief) -> Vec<TimelineItem> {
    let mut items = super::review::timeline(events);
    for m in &d.moments {
        let Some(r) = &m.rewrite else { continue };
        let at = items
            .iter()
            .position(|it| !it.is_cue && it.time == m.start && it.text.contains(&m.text))
            .map_or(items.len(), |p| p + 1);
        items.insert(
            at,
            TimelineItem {
                time: m.start,
                is_cue: false,
                text: format!("TRY   {} [{}]  ({})", r.text, r.act, m.flags[0]),
            },
        );
    }
    items
}

/// [`timeline_with_rewrites`] as text, one `mm:ss.s  ...` line per item.
pub fn format_timeline(events: &[SessionEvent], d: &Debrief) -> String {
    timeline_with_rewrites(events, d)
        .iter()
        .map(|i| format!("{}  {}\n", mmss_tenths(i.time), i.text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ClassifiedUtterance, CueId, Utterance};
    use crate::session::scorecard::tests::call;
    use crate::transforms::acts_data::{builtin_corpus, parse_jsonl, LabelledRow};
    use crate::transforms::classify::Classifier;
    use crate::transforms::cues::CueEngine;
    use crate::transforms::rules::CoachRules;

    /// Classifies `rewrite` as "me" right after `before` (the conversation so far, in order),
    /// as the classifier would hear it in that call.
    fn classify_in_context(c: &mut Classifier, before: &[(Speaker, &str)], rewrite: &str) -> Act {
        c.reset();
        for (sp, t) in before {
            c.classify(*sp, t);
        }
        c.classify(Speaker::Me, rewrite).0
    }

    #[test]
    fn every_template_rewrite_classifies_as_its_act() {
        // Each rule is filled from every example of the file it applies to (its own example
        // must be one), and the rewrite is classified after "them"'s line.
        let rules = RewriteRules::builtin().unwrap();
        let coach = CoachRules::builtin().unwrap();
        let mut c = Classifier::new(&coach);
        let (mut n, mut ok, mut bad) = (0, 0, Vec::new());
        for (i, r) in rules.rules.iter().enumerate() {
            let mut own = false;
            for (j, e) in rules.rules.iter().enumerate() {
                let them = e.example_them.as_deref().map(|t| {
                    c.reset();
                    (t, c.classify(Speaker::Them, t).0)
                });
                let Some(w) = rules.apply_rule(i, &e.example, them) else {
                    continue;
                };
                own |= i == j;
                n += 1;
                let before: Vec<(Speaker, &str)> =
                    them.iter().map(|t| (Speaker::Them, t.0)).collect();
                let got = classify_in_context(&mut c, &before, &w.text);
                if got == r.act {
                    ok += 1;
                } else {
                    bad.push(format!(
                        "{}: {:?} -> {:?} is {got}, not {}",
                        r.name, e.example, w.text, r.act
                    ));
                }
            }
            assert!(
                own,
                "rule {} does not apply to its own example {:?}",
                r.name, r.example
            );
        }
        println!("template rewrites: {ok}/{n} classify as intended");
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(n >= rules.rules.len());
    }

    /// Events of a labelled conversation: its acts as labelled, and the cues they fire.
    fn labelled_events(rows: &[&LabelledRow], cues: &mut CueEngine) -> Vec<SessionEvent> {
        cues.reset();
        let mut ev = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let u = Utterance {
                prosody: None,
                id: i as u64,
                speaker: r.speaker,
                start_sample: 0,
                end_sample: 0,
                text: r.text.clone(),
                latency_ms: None,
                hesitation: None,
            };
            let cu = ClassifiedUtterance {
                utterance: u,
                act: r.act,
                why: String::new(),
                confidence: None,
                unsure: false,
            };
            ev.push(SessionEvent::from_utterance(&cu));
            let mut out = Vec::new();
            cues.on_utterance(&cu, &mut out);
            ev.extend(out.iter().map(SessionEvent::from_cue));
        }
        ev
    }

    #[test]
    fn rewrites_of_the_weak_lines_of_the_labelled_data_classify_as_intended() {
        // Weak lines: the "me" lines the debrief flags when the labelled conversations (train,
        // domains, test, heldout) run through the cue rules with their labelled acts.
        let rules = RewriteRules::builtin().unwrap();
        let coach = CoachRules::builtin().unwrap();
        let mut c = Classifier::new(&coach);
        let mut engine = CueEngine::new(&coach.cues);
        let mut rows = builtin_corpus();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acts");
        for f in ["test.jsonl", "heldout.jsonl"] {
            let src = std::fs::read_to_string(dir.join(f)).unwrap();
            rows.extend(parse_jsonl(&src, f).unwrap());
        }
        let mut convs: Vec<Vec<&LabelledRow>> = Vec::new();
        for r in &rows {
            match convs.last_mut() {
                Some(c) if c[0].conv == r.conv && r.conv.is_some() => c.push(r),
                _ => convs.push(vec![r]),
            }
        }
        let (mut n, mut ok) = (0usize, 0usize);
        let mut by_rule: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        let mut bad = Vec::new();
        for conv in &convs {
            let d = build(&labelled_events(conv, &mut engine), &rules);
            for m in &d.moments {
                let w = m.rewrite.as_ref().unwrap();
                let i = m.utterance_id as usize;
                let before: Vec<(Speaker, &str)> = conv[..i]
                    .iter()
                    .map(|r| (r.speaker, r.text.as_str()))
                    .collect();
                let got = classify_in_context(&mut c, &before, &w.text);
                n += 1;
                let e = by_rule.entry(w.rule.clone()).or_default();
                e.0 += 1;
                if got == w.act {
                    ok += 1;
                    e.1 += 1;
                } else {
                    bad.push(format!(
                        "{:?} -> {:?} ({}) is {got}, not {}",
                        m.text, w.text, w.rule, w.act
                    ));
                }
            }
        }
        let rate = ok as f64 / n.max(1) as f64;
        println!(
            "weak lines of the labelled data: {n}; rewrites classified as intended: {ok} ({:.1}%)",
            rate * 100.0
        );
        for (rule, (t, k)) in &by_rule {
            println!("  {rule}: {k}/{t}");
        }
        for b in &bad {
            println!("  miss: {b}");
        }
        if std::env::var_os("RINGSIDE_DEBRIEF_DUMP").is_some() {
            for conv in &convs {
                for m in &build(&labelled_events(conv, &mut engine), &rules).moments {
                    let w = m.rewrite.as_ref().unwrap();
                    println!(
                        "  {:?} {:?} | {:?} -> {:?} ({})",
                        m.flags, m.them_before, m.text, w.text, w.rule
                    );
                }
            }
        }
        assert!(n >= 200, "only {n} weak lines");
        assert!(rate >= 0.95, "{ok}/{n}");
    }

    fn cue(id: CueId, severity: Severity, time: f64, uid: u64) -> SessionEvent {
        SessionEvent::Cue {
            review_only: false,
            id,
            severity,
            message: String::new(),
            time,
            utterance_id: Some(uid),
        }
    }

    #[test]
    fn a_rising_ask_is_a_delivery_moment_with_the_same_words_landed() {
        let ev = vec![
            SessionEvent::Utterance {
                prosody: None,
                id: 0,
                speaker: Speaker::Me,
                start: 1.0,
                end: 3.0,
                text: "The price is 450 dollars a month.".into(),
                act: Act::Other,
                why: String::new(),
                confidence: None,
                unsure: false,
                latency_ms: None,
                hesitation: None,
            },
            cue(CueId::LandIt, Severity::Nudge, 3.0, 0),
        ];
        let d = build(&ev, &RewriteRules::builtin().unwrap());
        assert_eq!(d.moments.len(), 1);
        let m = &d.moments[0];
        assert_eq!(m.flags, vec![Flag::LandIt]);
        let r = m.rewrite.as_ref().unwrap();
        assert_eq!(r.text, "The price is 450 dollars a month.");
        assert!(r.rule.contains('\u{2198}'), "{}", r.rule);
        // It can rank among the top changes.
        assert_eq!(d.top, vec![0]);
    }

    #[test]
    fn flags_rewrites_and_ranking_of_a_hand_made_call() {
        let mut ev = call();
        // The hand-made call's cues carry no utterance id and no pitch_early: add one with an id.
        ev.push(cue(CueId::PitchEarly, Severity::Alert, 33.0, 11));
        let d = build(&ev, &RewriteRules::builtin().unwrap());
        let ids: Vec<u64> = d.moments.iter().map(|m| m.utterance_id).collect();
        // 1: opening_yes (cue matched by time), 3: yes_ladder + missed chance after "I guess",
        // 11: pitch_early.
        assert_eq!(ids, vec![1, 3, 11]);
        assert_eq!(
            d.moments[1].flags,
            vec![Flag::YesLadder, Flag::MissedChance]
        );
        assert_eq!(d.moments[1].severity, Severity::Nudge);
        assert_eq!(d.moments[0].flags, vec![Flag::OpeningYes]);
        assert_eq!(
            d.moments[0].rewrite.as_ref().unwrap().text,
            "Is now a bad time to talk?"
        );
        assert_eq!(d.moments[2].severity, Severity::Alert);
        // The alert first, then by time.
        assert_eq!(d.top, vec![11, 1, 3]);
        let text = d.render_summary();
        assert!(text.contains("three changes"), "{text}");
        assert!(text.contains("00:30.0  pitch_early (alert)"), "{text}");
    }

    #[test]
    fn a_pitch_after_a_counterfeit_yes_is_a_missed_chance_labelled() {
        let u = |id: u64, speaker, text: &str, act| SessionEvent::Utterance {
            prosody: None,
            id,
            speaker,
            start: id as f64,
            end: id as f64 + 0.5,
            text: text.into(),
            act,
            why: String::new(),
            confidence: None,
            unsure: false,
            latency_ms: None,
            hesitation: None,
        };
        let ev = vec![
            u(
                0,
                Speaker::Me,
                "It sounds like the price is the problem.",
                Act::Label,
            ),
            u(1, Speaker::Them, "I guess so.", Act::CounterfeitYes),
            u(2, Speaker::Me, "Our plan covers all of that.", Act::Pitch),
            u(3, Speaker::Them, "No.", Act::No),
            u(
                4,
                Speaker::Me,
                "What would you need to see?",
                Act::CalibratedQuestion,
            ),
        ];
        let d = build(&ev, &RewriteRules::builtin().unwrap());
        assert_eq!(d.moments.len(), 1, "{d:?}");
        let m = &d.moments[0];
        assert_eq!(
            (m.utterance_id, m.flags.as_slice()),
            (2, &[Flag::MissedChance][..])
        );
        assert_eq!(m.severity, Severity::Nudge);
        assert_eq!(m.them_before.as_deref(), Some("I guess so."));
        assert_eq!(
            m.rewrite.as_ref().unwrap().text,
            "It sounds like you're not sure this is worth your time."
        );
        assert_eq!(d.top, vec![2]);
    }

    #[test]
    fn ranking_prefers_severity_then_time_then_a_new_flag() {
        let m = |id: u64, start: f64, flag: Flag, severity: Severity| Moment {
            utterance_id: id,
            start,
            end: start + 1.0,
            text: String::new(),
            act: Act::YesQuestion,
            flags: vec![flag],
            severity,
            them_before: None,
            them_act: None,
            rewrite: Some(Rewrite {
                text: "x".into(),
                act: Act::Label,
                rule: "r".into(),
            }),
        };
        let ms = vec![
            m(0, 1.0, Flag::OpeningYes, Severity::Nudge),
            m(2, 5.0, Flag::YesLadder, Severity::Alert),
            m(4, 9.0, Flag::YesLadder, Severity::Alert),
            m(6, 12.0, Flag::PitchEarly, Severity::Alert),
        ];
        assert_eq!(rank(&ms, false, 3), vec![2, 4, 6]);
        assert_eq!(rank(&ms, true, 3), vec![2, 6, 0]);
        assert_eq!(rank(&ms, true, 10), vec![2, 6, 0, 4]);
    }

    #[test]
    fn debrief_json_round_trips_and_a_missing_file_is_computed() {
        let tmp = tempfile::tempdir().unwrap();
        let rules = RewriteRules::builtin().unwrap();
        let d = build(&call(), &rules);
        assert!(!d.moments.is_empty());
        assert_eq!(load_or_build(tmp.path(), &call(), &rules), d);
        write(tmp.path(), &d).unwrap();
        let back: Debrief =
            serde_json::from_slice(&std::fs::read(tmp.path().join(DEBRIEF_FILE)).unwrap()).unwrap();
        assert_eq!(back, d);
        // The stored file wins over the events.
        assert_eq!(load_or_build(tmp.path(), &[], &rules), d);
    }

    #[test]
    fn timeline_puts_the_rewrite_after_its_line() {
        let rules = RewriteRules::builtin().unwrap();
        let ev = call();
        let d = build(&ev, &rules);
        let t = format_timeline(&ev, &d);
        let lines: Vec<&str> = t.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains("Do you have a minute?"))
            .unwrap();
        assert!(
            lines[i + 1].contains("TRY   Is now a bad time to talk? [no_question]"),
            "{t}"
        );
    }
}
