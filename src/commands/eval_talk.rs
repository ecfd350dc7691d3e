//! `ringside eval talk`: the coach on real conversation between real people, side by side with
//! the classifier as it was before it learned from real talk (`legacy`: the sales-script model,
//! no answer gate, no confidence thresholds).
//!
//! Input: JSON lines `{"conv", "speaker": "A"|"B", "text", "tag"}` in call order, tagged by
//! people (SwDA's DAMSL tags; CraigslistBargain's intents; "question"/"statement" for typed
//! chat). Every call is run twice, once with A as "me" and once with B, as a new user would try
//! it; every figure is computed on the text as given and again lower-cased with the punctuation
//! removed (the way telephone speech often comes out of a recogniser).
//!
//! Figures (per cue and overall): question-alert precision (`yes_ladder`, `opening_yes`,
//! `question_barrage` on a tagged question), false question alerts per call run, answer-cue
//! precision (`counterfeit_yes`, `commitment`, `no_heard` on a tagged answer), statements taken
//! for yes/no questions, yes/no-question recall, and the accuracy per act family of the tag
//! mapping (README, "Coaching on real talk"). Last line per file: `key=value`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::Globals;
use crate::event::{Act, Cue, CueId, Speaker, Utterance};
use crate::transforms::acts_data::plain_text as plain;
use crate::transforms::coach::Coach;
use crate::transforms::function::Function as Family;
use crate::transforms::rules::CoachRules;

/// One utterance of a tagged real conversation.
#[derive(Debug, Clone, Deserialize)]
pub struct TalkRow {
    pub conv: String,
    /// "A" or "B": who speaks, in the corpus' own naming.
    pub speaker: String,
    pub text: String,
    /// The human tag (DAMSL, an intent, or "question"/"statement").
    pub tag: String,
}

/// How a corpus' tags map onto the spec's questions, statements and answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scheme {
    /// Switchboard DAMSL tags.
    Swda,
    /// CraigslistBargain intents.
    Craigslist,
    /// Typed chat: "question" when the writer put a question mark, else "statement".
    Typed,
}

// The act families of the tag mapping are the function model's kinds of line.
impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::YesNoQuestion => "yes/no question (me)",
            Family::OpenQuestion => "open question (me)",
            Family::Statement => "statement (me)",
            Family::YesAnswer => "yes answer (them)",
            Family::NoAnswer => "no answer (them)",
            Family::Maybe => "maybe (them)",
            Family::Backchannel => "backchannel (them)",
        }
    }

    /// Whose classifier the family is judged on.
    fn speaker(self) -> Speaker {
        match self {
            Family::YesNoQuestion | Family::OpenQuestion | Family::Statement => Speaker::Me,
            _ => Speaker::Them,
        }
    }

    /// Whether `act` is right for this family; `text` decides open questions (what/how ->
    /// calibrated).
    fn accepts(self, act: Act, text: &str) -> bool {
        match self {
            Family::YesNoQuestion => matches!(act, Act::YesQuestion | Act::NoQuestion),
            Family::OpenQuestion => {
                if starts_what_how(text) {
                    act == Act::CalibratedQuestion
                } else {
                    !matches!(act, Act::YesQuestion | Act::NoQuestion)
                }
            }
            Family::Statement => !act.is_question(),
            Family::YesAnswer => matches!(
                act,
                Act::ConfirmationYes | Act::CounterfeitYes | Act::CommitmentYes | Act::ThatsRight
            ),
            Family::NoAnswer => act == Act::No,
            Family::Maybe => matches!(act, Act::CounterfeitYes | Act::ConfirmationYes),
            Family::Backchannel => act == Act::Other,
        }
    }
}

fn starts_what_how(text: &str) -> bool {
    const SKIP: &[&str] = &[
        "uh", "um", "oh", "well", "so", "and", "but", "now", "okay", "yeah",
    ];
    plain(text)
        .split_whitespace()
        .find(|w| !SKIP.contains(w))
        .is_some_and(|w| matches!(w, "what" | "whats" | "what's" | "how" | "hows" | "how's"))
}

impl Scheme {
    fn detect(rows: &[TalkRow]) -> Scheme {
        let tags: std::collections::HashSet<&str> = rows.iter().map(|r| r.tag.as_str()).collect();
        if tags.contains("sd") || tags.contains("qy") {
            Scheme::Swda
        } else if tags.iter().all(|t| matches!(*t, "question" | "statement")) {
            Scheme::Typed
        } else {
            Scheme::Craigslist
        }
    }

    /// A tagged question of any kind.
    fn question(self, tag: &str) -> bool {
        match self {
            Scheme::Swda => matches!(
                tag,
                "qy" | "qy^d" | "^g" | "qrr" | "qw" | "qo" | "qh" | "qw^d"
            ),
            Scheme::Craigslist => tag == "inquiry",
            Scheme::Typed => tag == "question",
        }
    }

    /// A tagged answer: reply, agreement, refusal.
    fn answer(self, tag: &str) -> Option<bool> {
        match self {
            Scheme::Swda => Some(matches!(
                tag,
                "ny" | "na" | "aa" | "nn" | "ng" | "ar" | "arp_nd" | "aap_am" | "no" | "^h"
            )),
            Scheme::Craigslist => Some(matches!(
                tag,
                "agree" | "disagree" | "accept" | "reject" | "affirm" | "deny"
            )),
            Scheme::Typed => None,
        }
    }

    fn family(self, tag: &str) -> Option<Family> {
        match self {
            Scheme::Swda => Some(match tag {
                "qy" | "^g" | "qy^d" | "qrr" => Family::YesNoQuestion,
                "qw" | "qo" | "qh" => Family::OpenQuestion,
                "sd" | "sv" => Family::Statement,
                "ny" | "aa" => Family::YesAnswer,
                "nn" | "ng" | "ar" | "arp_nd" => Family::NoAnswer,
                "aap_am" => Family::Maybe,
                "b" | "bk" | "bh" => Family::Backchannel,
                _ => return None,
            }),
            Scheme::Craigslist => Some(match tag {
                "inform" => Family::Statement,
                "agree" | "accept" => Family::YesAnswer,
                "disagree" | "reject" => Family::NoAnswer,
                _ => return None,
            }),
            Scheme::Typed => (tag == "statement").then_some(Family::Statement),
        }
    }

    fn yes_no_question(self, tag: &str) -> bool {
        self == Scheme::Swda && matches!(tag, "qy" | "^g" | "qy^d" | "qrr")
    }
}

/// What one classifier did with one utterance in one run.
struct Seen {
    row: usize,
    speaker: Speaker,
    act: Act,
    cues: Vec<CueId>,
}

const QUESTION_ALERTS: [CueId; 3] = [CueId::OpeningYes, CueId::YesLadder, CueId::QuestionBarrage];
const ANSWER_CUES: [CueId; 3] = [CueId::CounterfeitYes, CueId::Commitment, CueId::NoHeard];

/// Runs every call twice (each side as "me") through `coach`.
fn run_calls(coach: &mut Coach, rows: &[TalkRow], plain_text: bool) -> (Vec<Seen>, usize) {
    let mut out = Vec::with_capacity(rows.len() * 2);
    let mut runs = 0usize;
    let mut cues: Vec<Cue> = Vec::new();
    let mut start = 0usize;
    while start < rows.len() {
        let conv = &rows[start].conv;
        let end = rows[start..]
            .iter()
            .position(|r| &r.conv != conv)
            .map_or(rows.len(), |n| start + n);
        let mut sides: Vec<&str> = rows[start..end]
            .iter()
            .map(|r| r.speaker.as_str())
            .collect();
        sides.sort_unstable();
        sides.dedup();
        for me in sides {
            runs += 1;
            coach.reset();
            for (i, r) in rows.iter().enumerate().take(end).skip(start) {
                let speaker = if r.speaker == me {
                    Speaker::Me
                } else {
                    Speaker::Them
                };
                let text = if plain_text {
                    plain(&r.text)
                } else {
                    r.text.clone()
                };
                let u = Utterance {
                    id: (i - start) as u64,
                    speaker,
                    start_sample: 0,
                    end_sample: 0,
                    text,
                    latency_ms: None,
                    hesitation: None,
                    prosody: None,
                };
                cues.clear();
                let cu = coach.process(u, &mut cues);
                out.push(Seen {
                    row: i,
                    speaker,
                    act: cu.act,
                    cues: cues.iter().map(|c| c.id).collect(),
                });
            }
        }
        start = end;
    }
    (out, runs)
}

/// The figures of one classifier on one corpus in one text form.
#[derive(Default, Clone)]
struct Figures {
    runs: usize,
    q_alerts: usize,
    q_alerts_right: usize,
    a_cues: usize,
    a_cues_right: usize,
    statements: usize,
    statements_as_yn: usize,
    yn: usize,
    yn_found: usize,
    /// cue -> (fired, right)
    per_cue: BTreeMap<String, (usize, usize)>,
    /// family -> (n, right)
    families: BTreeMap<Family, (usize, usize)>,
    /// yes/no-question tag -> (n, found)
    yn_by_tag: BTreeMap<String, (usize, usize)>,
    /// Examples of false alerts, for the report.
    false_alerts: Vec<String>,
    /// Examples of yes/no questions of "me" that were not found, for the report.
    missed_yn: Vec<String>,
}

impl Figures {
    fn q_precision(&self) -> Option<f64> {
        ratio(self.q_alerts_right, self.q_alerts)
    }
    fn false_q_per_call(&self) -> Option<f64> {
        ratio(self.q_alerts - self.q_alerts_right, self.runs)
    }
    fn a_precision(&self) -> Option<f64> {
        ratio(self.a_cues_right, self.a_cues)
    }
    fn statements_yn(&self) -> Option<f64> {
        ratio(self.statements_as_yn, self.statements)
    }
    fn yn_recall(&self) -> Option<f64> {
        ratio(self.yn_found, self.yn)
    }
    fn family_mean(&self) -> Option<f64> {
        let accs: Vec<f64> = self
            .families
            .values()
            .filter_map(|(n, r)| ratio(*r, *n))
            .collect();
        (!accs.is_empty()).then(|| accs.iter().sum::<f64>() / accs.len() as f64)
    }
}

/// Missed yes/no questions listed per column by `--examples`.
const MISSED_SHOWN: usize = 30;

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn score(scheme: Scheme, rows: &[TalkRow], seen: &[Seen], runs: usize) -> Figures {
    let mut f = Figures {
        runs,
        ..Figures::default()
    };
    for s in seen {
        let r = &rows[s.row];
        let tag = r.tag.as_str();
        for c in &s.cues {
            let right = if QUESTION_ALERTS.contains(c) || *c == CueId::GoodNoQuestion {
                Some(scheme.question(tag))
            } else if ANSWER_CUES.contains(c) || *c == CueId::ThatsRight {
                scheme.answer(tag)
            } else {
                None
            };
            let e = f.per_cue.entry(c.as_str().to_string()).or_default();
            e.0 += 1;
            if right == Some(true) {
                e.1 += 1;
            }
            if QUESTION_ALERTS.contains(c) {
                f.q_alerts += 1;
                if right == Some(true) {
                    f.q_alerts_right += 1;
                } else if f.false_alerts.len() < 12 {
                    f.false_alerts
                        .push(format!("{c} on [{tag}] {:?}", truncate(&r.text, 70)));
                }
            }
            if ANSWER_CUES.contains(c) {
                if let Some(ok) = right {
                    f.a_cues += 1;
                    if ok {
                        f.a_cues_right += 1;
                    } else if f.false_alerts.len() < 12 {
                        f.false_alerts
                            .push(format!("{c} on [{tag}] {:?}", truncate(&r.text, 70)));
                    }
                }
            }
        }
        if s.speaker == Speaker::Me {
            if matches!(scheme.family(tag), Some(Family::Statement)) {
                f.statements += 1;
                if matches!(s.act, Act::YesQuestion | Act::NoQuestion) {
                    f.statements_as_yn += 1;
                }
            }
            if scheme.yes_no_question(tag) {
                let found = matches!(s.act, Act::YesQuestion | Act::NoQuestion);
                f.yn += 1;
                f.yn_found += usize::from(found);
                let e = f.yn_by_tag.entry(tag.to_string()).or_default();
                e.0 += 1;
                e.1 += usize::from(found);
                if !found && f.missed_yn.len() < MISSED_SHOWN {
                    f.missed_yn.push(format!(
                        "[{tag}] {:?} -> {}",
                        truncate(&r.text, 70),
                        s.act.as_str()
                    ));
                }
            }
        }
        if let Some(fam) = scheme.family(tag) {
            if fam.speaker() == s.speaker {
                let e = f.families.entry(fam).or_default();
                e.0 += 1;
                if fam.accepts(s.act, &r.text) {
                    e.1 += 1;
                }
            }
        }
    }
    f
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".to_string(), |x| format!("{x:.digits$}"))
}

/// Reads a tagged conversation file; the error names the file and line.
pub fn load_rows(path: &Path) -> Result<Vec<TalkRow>> {
    let src = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {}: give a JSONL file of tagged utterances",
            path.display()
        )
    })?;
    let mut rows = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: TalkRow = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a tagged utterance ({{\"conv\", \"speaker\", \"text\", \"tag\"}})",
                path.display(),
                i + 1
            )
        })?;
        rows.push(r);
    }
    if rows.is_empty() {
        bail!("{}: no tagged utterances", path.display());
    }
    Ok(rows)
}

/// `tests/fixtures/talk/*.jsonl`, found from the current directory (the repository root).
pub fn default_files() -> Result<Vec<PathBuf>> {
    let dir = Path::new("tests/fixtures/talk");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "reading {}: run from the repository root or name the files",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    if v.is_empty() {
        bail!(
            "{}: no .jsonl files; name the files to score",
            dir.display()
        );
    }
    Ok(v)
}

pub fn run(g: &Globals, files: &[PathBuf], examples: bool) -> Result<()> {
    let rules = CoachRules::load(g.config.coach.rules.as_deref()).context("loading coach rules")?;
    for file in files {
        let rows = load_rows(file)?;
        let scheme = Scheme::detect(&rows);
        let calls = {
            let mut c: Vec<&str> = rows.iter().map(|r| r.conv.as_str()).collect();
            c.dedup();
            c.len()
        };
        eprintln!(
            "eval talk: {}: {} utterances, {calls} calls, 4 passes...",
            file.display(),
            rows.len()
        );
        let mut cols: Vec<(&str, Figures)> = Vec::new();
        for (name, legacy, plain_text) in [
            ("ringside", false, false),
            ("ringside plain", false, true),
            ("legacy", true, false),
            ("legacy plain", true, true),
        ] {
            let mut coach = if legacy {
                Coach::legacy(&rules)
            } else {
                Coach::new(&rules)
            };
            let (seen, runs) = run_calls(&mut coach, &rows, plain_text);
            cols.push((name, score(scheme, &rows, &seen, runs)));
        }
        print!(
            "{}",
            report(file, scheme, calls, rows.len(), &cols, examples)
        );
    }
    Ok(())
}

fn report(
    file: &Path,
    scheme: Scheme,
    calls: usize,
    n: usize,
    cols: &[(&str, Figures)],
    examples: bool,
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{}: {calls} calls, {n} utterances, each call run with either side as \"me\" ({:?} tags)",
        file.display(),
        scheme
    );
    let _ = write!(t, "{:<44}", "figure");
    for (name, _) in cols {
        let _ = write!(t, " {name:>15}");
    }
    t.push('\n');
    type Getter = fn(&Figures) -> Option<f64>;
    let lines: [(&str, Getter, usize); 6] = [
        ("question-alert precision", Figures::q_precision, 3),
        (
            "false question alerts per call",
            Figures::false_q_per_call,
            2,
        ),
        ("answer-cue precision", Figures::a_precision, 3),
        (
            "statements taken for yes/no questions",
            Figures::statements_yn,
            3,
        ),
        ("yes/no-question recall", Figures::yn_recall, 3),
        ("act families, mean accuracy", Figures::family_mean, 3),
    ];
    for (label, get, d) in lines {
        let _ = write!(t, "{label:<44}");
        for (_, f) in cols {
            let _ = write!(t, " {:>15}", fmt_opt(get(f), d));
        }
        t.push('\n');
    }
    let fams: std::collections::BTreeSet<Family> = cols
        .iter()
        .flat_map(|(_, f)| f.families.keys().copied())
        .collect();
    for fam in fams {
        let _ = write!(t, "  {:<42}", fam.name());
        for (_, f) in cols {
            let v = f.families.get(&fam).and_then(|(n, r)| ratio(*r, *n));
            let _ = write!(t, " {:>15}", fmt_opt(v, 3));
        }
        t.push('\n');
    }
    let yn_tags: std::collections::BTreeSet<&String> =
        cols.iter().flat_map(|(_, f)| f.yn_by_tag.keys()).collect();
    for tag in yn_tags {
        let _ = write!(
            t,
            "  {:<42}",
            format!("yes/no questions tagged {tag}, found")
        );
        for (_, f) in cols {
            let (n, found) = f.yn_by_tag.get(tag).copied().unwrap_or_default();
            let _ = write!(t, " {:>15}", format!("{found}/{n}"));
        }
        t.push('\n');
    }
    let cues: std::collections::BTreeSet<&String> =
        cols.iter().flat_map(|(_, f)| f.per_cue.keys()).collect();
    for c in cues {
        let _ = write!(t, "  cue {:<38}", format!("{c} right/fired"));
        for (_, f) in cols {
            let (fired, right) = f.per_cue.get(c).copied().unwrap_or_default();
            let judged = QUESTION_ALERTS
                .iter()
                .chain(&ANSWER_CUES)
                .any(|q| q.as_str() == c)
                || c == "good_no_question"
                || c == "thats_right";
            let cell = if judged
                && !(scheme == Scheme::Typed
                    && c != "good_no_question"
                    && !QUESTION_ALERTS.iter().any(|q| q.as_str() == c))
            {
                format!("{right}/{fired}")
            } else {
                format!("-/{fired}")
            };
            let _ = write!(t, " {cell:>15}");
        }
        t.push('\n');
    }
    if examples {
        for (name, f) in cols.iter().take(2) {
            for e in &f.false_alerts {
                let _ = writeln!(t, "  false alert ({name}): {e}");
            }
            for e in &f.missed_yn {
                let _ = writeln!(t, "  missed yes/no question ({name}): {e}");
            }
        }
    }
    let (_, a) = &cols[0];
    let (_, p) = &cols[1];
    let _ = writeln!(
        t,
        "q_alert_precision={} false_q_alerts_per_call={} answer_cue_precision={} statements_as_yn={} statements_as_yn_plain={} yn_recall_plain={} family_accuracy={}",
        fmt_opt(a.q_precision(), 3),
        fmt_opt(a.false_q_per_call(), 2),
        fmt_opt(a.a_precision(), 3),
        fmt_opt(a.statements_yn(), 3),
        fmt_opt(p.statements_yn(), 3),
        fmt_opt(p.yn_recall(), 3),
        fmt_opt(a.family_mean(), 3),
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_drops_case_and_punctuation_but_keeps_contractions() {
        assert_eq!(
            plain("Well, I don't know. Do you?"),
            "well i don't know do you"
        );
        assert_eq!(plain("'Yes,' she said -- okay!"), "yes she said okay");
    }

    #[test]
    fn open_questions_need_what_or_how_for_calibrated() {
        assert!(Family::OpenQuestion.accepts(Act::CalibratedQuestion, "Uh, what do you do?"));
        assert!(!Family::OpenQuestion.accepts(Act::Other, "How's the weather?"));
        assert!(Family::OpenQuestion.accepts(Act::Other, "Where do you live?"));
        assert!(!Family::OpenQuestion.accepts(Act::YesQuestion, "Where do you live?"));
    }
}
