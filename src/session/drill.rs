//! Drills of a session's weak moments: which moments to drill (the debrief's, in its ranking),
//! the counterpart's line that came before each (the prompt, cut from `audio.wav`), the
//! verdict on an answer, and `drill.json`, where every drill of the session is kept as one
//! run. Pure functions and file I/O; the spoken drill itself (playback, capture, Whisper, the
//! classifier) is [`crate::drill`]. Runs on the caller's thread: the `drill`, `report` and
//! `review` commands, and the daemon's API (in `spawn_blocking`).
//!
//! A try hits when the act of the answer, as the live classifier heard it, is the act the
//! rewrite is meant to be ([`crate::transforms::rewrite::Rewrite::act`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::debrief::{self, Debrief, Moment};
use super::format::SessionEvent;
use super::write_atomic;
use crate::event::{Act, Speaker, SAMPLE_RATE_HZ};
use crate::transforms::rewrite::{Flag, Ranking};

/// File name of the drill log inside a session directory.
pub const DRILL_FILE: &str = "drill.json";
/// Version of `drill.json`. Readers accept every version up to this one.
pub const DRILL_VERSION: u32 = 1;

/// `drill.json` (version [`DRILL_VERSION`]): every drill of the session, oldest first. A drill
/// appends one run; the file is rewritten atomically (temporary file, rename), never
/// truncated in place. Times are seconds into the call; `latency_ms` is from the end of the
/// prompt's playback (or, for a moment without a prompt, from the start of listening) to the
/// start of the answer; `verdict_ms` from the end of the answer (as the VAD heard it) to the
/// verdict. `act` is `null` when no answer came before the timeout.
///
/// ```text
/// {"version":1,
///  "runs":[{"started":"2026-11-26T14:05:09+01:00","finished":true,"max_tries":2,
///           "moments":[{"utterance_id":2,"time":7.584,"flag":"yes_ladder",
///                       "said":"You want to protect your family, right?",
///                       "prompt":"Well, I guess so.","target":"label",
///                       "rewrite":"It seems like protecting your family matters a lot to you.",
///                       "tries":[{"text":"Do you want to protect your family?","act":"yes_question",
///                                 "hit":false,"latency_ms":812.0,"verdict_ms":530.0},
///                                {"text":"It sounds like protecting your family matters a lot to you.",
///                                 "act":"label","hit":true,"latency_ms":790.0,"verdict_ms":610.0}]}],
///           "tries":2,"hits":1}]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillLog {
    pub version: u32,
    pub runs: Vec<DrillRun>,
}

impl Default for DrillLog {
    fn default() -> Self {
        DrillLog {
            version: DRILL_VERSION,
            runs: Vec::new(),
        }
    }
}

/// One drill of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRun {
    /// Wall-clock start, RFC 3339.
    pub started: String,
    /// False when the drill was stopped before its last moment (Ctrl-C, script exhausted).
    pub finished: bool,
    /// Tries allowed per moment (`--tries`).
    pub max_tries: u32,
    pub moments: Vec<DrillMoment>,
    /// Tries over all moments.
    pub tries: u32,
    /// Tries that hit the target act.
    pub hits: u32,
}

/// One weak moment as drilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillMoment {
    /// The debrief moment's utterance id (`debrief.json`).
    pub utterance_id: u64,
    /// Start of the weak line, seconds into the call.
    pub time: f64,
    /// The moment's main flag (the technique of the rewrite).
    pub flag: Flag,
    /// What was said in the call.
    pub said: String,
    /// The counterpart's line played before the practitioner answered; `None`: no line of
    /// theirs came just before (the situation was shown in text).
    pub prompt: Option<String>,
    /// The act the answer must be: the rewrite's.
    pub target: Act,
    /// The rewrite, shown as the hint after a miss.
    pub rewrite: String,
    pub tries: Vec<DrillTry>,
}

/// One spoken answer and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillTry {
    /// What Whisper heard (empty when no answer came).
    pub text: String,
    /// The act the classifier gave it (`None`: no answer).
    pub act: Option<Act>,
    pub hit: bool,
    pub latency_ms: Option<f64>,
    pub verdict_ms: Option<f64>,
}

impl DrillRun {
    /// Counts tries and hits from the moments.
    pub fn tally(&mut self) {
        self.tries = self.moments.iter().map(|m| m.tries.len() as u32).sum();
        self.hits = self
            .moments
            .iter()
            .map(|m| m.tries.iter().filter(|t| t.hit).count() as u32)
            .sum();
    }

    /// Hits per try; `None` before the first try.
    pub fn hit_rate(&self) -> Option<f64> {
        (self.tries > 0).then(|| self.hits as f64 / self.tries as f64)
    }
}

/// Totals of a session's drills: `GET /api/sessions` gives one per session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillSummary {
    pub runs: usize,
    pub tries: u32,
    pub hits: u32,
    /// Hits per try over every run.
    pub hit_rate: Option<f64>,
    /// Hits per try of the latest run.
    pub last_hit_rate: Option<f64>,
}

impl DrillLog {
    pub fn summary(&self) -> DrillSummary {
        let tries = self.runs.iter().map(|r| r.tries).sum::<u32>();
        let hits = self.runs.iter().map(|r| r.hits).sum::<u32>();
        DrillSummary {
            runs: self.runs.len(),
            tries,
            hits,
            hit_rate: (tries > 0).then(|| hits as f64 / tries as f64),
            last_hit_rate: self.runs.last().and_then(DrillRun::hit_rate),
        }
    }

    /// The drill section of `report` and `review`: one line per run.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.runs.is_empty() {
            return s;
        }
        let _ = writeln!(
            s,
            "Drills            {} run{} (drill.json)",
            self.runs.len(),
            if self.runs.len() == 1 { "" } else { "s" }
        );
        for r in &self.runs {
            let date: String = r.started.chars().take(16).collect();
            let rate = r
                .hit_rate()
                .map_or("-".to_string(), |h| format!("{:.0}%", h * 100.0));
            let _ = writeln!(
                s,
                "  {}  {} moment{}, {} tries, {} hits, hit rate {rate}{}",
                date.replace('T', " "),
                r.moments.len(),
                if r.moments.len() == 1 { "" } else { "s" },
                r.tries,
                r.hits,
                if r.finished { "" } else { " (stopped early)" }
            );
        }
        s
    }
}

/// Why `drill.json` could not be read or written. One line each, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    #[error("cannot read {path}: {source}; check its permissions")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a readable drill log ({message}); it was left as it is: move it aside (e.g. to drill.json.bad) to start a new log, or fix it")]
    Corrupt { path: PathBuf, message: String },
    #[error("{path} has version {version}, newer than this Ringside reads ({DRILL_VERSION}); it was left as it is: update Ringside to add runs to it")]
    Newer { path: PathBuf, version: u32 },
    #[error(transparent)]
    Write(#[from] super::SessionError),
}

/// The session's drill log: empty when there is no `drill.json` yet.
pub fn load(dir: &Path) -> Result<DrillLog, DrillError> {
    let path = dir.join(DRILL_FILE);
    // A FIFO here hung the daemon's session detail (and then its SIGTERM).
    let bytes = match crate::files::read_regular(
        &path,
        crate::files::MAX_DRILL_JSON_BYTES,
        crate::files::Links::Refuse,
    ) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DrillLog::default()),
        Err(source) => return Err(DrillError::Read { path, source }),
    };
    // The version first, so a newer file is named as newer, not as corrupt.
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let v: Version = serde_json::from_slice(&bytes).map_err(|e| DrillError::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if v.version > DRILL_VERSION {
        return Err(DrillError::Newer {
            path,
            version: v.version,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| DrillError::Corrupt {
        path,
        message: e.to_string(),
    })
}

/// Appends `run` to the session's drill log and writes it atomically. A log that cannot be
/// read is an error and is left untouched (its earlier runs are not lost silently).
pub fn append_run(dir: &Path, run: DrillRun) -> Result<DrillLog, DrillError> {
    let mut log = load(dir)?;
    log.version = DRILL_VERSION;
    log.runs.push(run);
    let mut bytes = serde_json::to_vec_pretty(&log).map_err(|e| DrillError::Corrupt {
        path: dir.join(DRILL_FILE),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(dir, DRILL_FILE, &bytes)?;
    Ok(log)
}

/// The moments a drill goes through, best first: the debrief's summary (its `top`, in the
/// ranking of `[ranking]`), or with `limit` the first `limit` of the same ranking (more than
/// the summary lists when asked). Moments without a rewrite are never drilled (nothing to aim
/// for).
pub fn select_moments<'d>(
    d: &'d Debrief,
    ranking: &Ranking,
    limit: Option<usize>,
) -> Vec<&'d Moment> {
    let ids = match limit {
        None => d.top.clone(),
        Some(n) if n <= d.top.len() => d.top[..n].to_vec(),
        Some(n) => debrief::rank(&d.moments, ranking.one_per_flag, n),
    };
    ids.iter()
        .filter_map(|id| d.moments.iter().find(|m| m.utterance_id == *id))
        .filter(|m| m.rewrite.is_some())
        .collect()
}

/// The counterpart's line played before a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub text: String,
    /// Seconds into the call.
    pub start: f64,
    pub end: f64,
}

/// The "them" utterance the debrief names as said just before `m` (`them_before`), with its
/// times from the events; `None` when they did not speak since the last line of "me".
pub fn prompt_before(events: &[SessionEvent], m: &Moment) -> Option<Prompt> {
    let want = m.them_before.as_deref()?;
    let mut found = None;
    for e in events {
        let Some(t) = e.turn() else { continue };
        if t.id == Some(m.utterance_id) {
            break;
        }
        if t.id.is_some() && t.speaker == Speaker::Them && t.text == want {
            found = Some(Prompt {
                text: t.text.to_string(),
                start: t.start,
                end: t.end,
            });
        }
    }
    found
}

/// The situation in words, for a moment without a prompt.
pub fn situation(events: &[SessionEvent], m: &Moment) -> String {
    let before: Vec<_> = events
        .iter()
        .filter_map(SessionEvent::turn)
        .take_while(|t| t.id != Some(m.utterance_id))
        .filter(|t| t.id.is_some())
        .collect();
    match before.iter().rev().find(|t| t.speaker == Speaker::Them) {
        None => "The call starts: they have just picked up, and you speak first.".to_string(),
        Some(t) => format!(
            "You are still talking; the last thing they said was \"{}\".",
            t.text
        ),
    }
}

/// Cuts `[start, end]` seconds (plus `pad` on both sides) out of a 16 kHz channel.
pub fn cut(channel: &[f32], start: f64, end: f64, pad: f64) -> Vec<f32> {
    let at = |s: f64| ((s.max(0.0) * SAMPLE_RATE_HZ as f64) as usize).min(channel.len());
    let (a, b) = (at(start - pad), at(end + pad));
    channel[a..b.max(a)].to_vec()
}

/// The verdict on one answer: it hits when its act is the target.
pub fn judge(target: Act, answer: Option<Act>) -> bool {
    answer == Some(target)
}

/// A land-it try hits when its measured ending fell or stayed level (an unknown ending is no
/// hit: the voice gave too little to tell).
pub fn landed(p: Option<&crate::event::Prosody>) -> bool {
    use crate::event::Ending;
    p.is_some_and(|p| matches!(p.end, Ending::Fall | Ending::Level))
}

/// Whether a moment gets another try after `tries` (at most `max_tries`; a hit ends it).
pub fn another_try(tries: &[DrillTry], max_tries: usize) -> bool {
    tries.len() < max_tries && !tries.iter().any(|t| t.hit)
}

/// What a target act asks for, in a few words (shown with the moment).
pub fn technique(act: Act) -> &'static str {
    match act {
        Act::Label => "a label: name what they feel or face (\"It sounds like ...\")",
        Act::NoQuestion => "a no-oriented question: one whose safe answer is no",
        Act::CalibratedQuestion => "a calibrated question: an open How or What about them",
        Act::Mirror => "a mirror: repeat their last few words as a question",
        _ => "the technique of the rewrite",
    }
}

/// A moment as the drill records it (before any try).
pub fn drill_moment(m: &Moment, prompt: Option<&Prompt>) -> Option<DrillMoment> {
    let r = m.rewrite.as_ref()?;
    Some(DrillMoment {
        utterance_id: m.utterance_id,
        time: m.start,
        flag: *m.flags.first()?,
        said: m.text.clone(),
        prompt: prompt.map(|p| p.text.clone()),
        target: r.act,
        rewrite: r.text.clone(),
        tries: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::format::read_events;
    use crate::transforms::rewrite::RewriteRules;

    fn golden_events() -> Vec<SessionEvent> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/sample_call/events.jsonl");
        read_events(&p).unwrap().events
    }

    fn a_try(hit: bool) -> DrillTry {
        DrillTry {
            text: "It sounds like you're busy.".into(),
            act: Some(if hit { Act::Label } else { Act::YesQuestion }),
            hit,
            latency_ms: Some(700.0),
            verdict_ms: Some(450.0),
        }
    }

    fn a_run(hits: &[&[bool]]) -> DrillRun {
        let mut r = DrillRun {
            started: "2026-11-26T14:05:09Z".into(),
            finished: true,
            max_tries: 2,
            moments: hits
                .iter()
                .enumerate()
                .map(|(i, h)| DrillMoment {
                    utterance_id: i as u64,
                    time: i as f64,
                    flag: Flag::YesLadder,
                    said: "You want that, right?".into(),
                    prompt: (i == 0).then(|| "Well, I guess so.".into()),
                    target: Act::Label,
                    rewrite: "It seems like that matters to you.".into(),
                    tries: h.iter().map(|x| a_try(*x)).collect(),
                })
                .collect(),
            tries: 0,
            hits: 0,
        };
        r.tally();
        r
    }

    #[test]
    fn drill_json_round_trips_and_runs_append() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(load(tmp.path()).unwrap(), DrillLog::default());
        let first = a_run(&[&[false, true], &[false, true]]);
        assert_eq!((first.tries, first.hits), (4, 2));
        append_run(tmp.path(), first.clone()).unwrap();
        let second = a_run(&[&[true], &[false, false]]);
        let log = append_run(tmp.path(), second.clone()).unwrap();
        let back = load(tmp.path()).unwrap();
        assert_eq!(back, log);
        assert_eq!(back.runs, vec![first, second]);
        let s = back.summary();
        assert_eq!((s.runs, s.tries, s.hits), (2, 7, 3));
        assert_eq!(s.last_hit_rate, Some(1.0 / 3.0));
        // The documented field names.
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join(DRILL_FILE)).unwrap()).unwrap();
        assert_eq!(v["version"], 1);
        let m = &v["runs"][0]["moments"][0];
        for k in [
            "time", "flag", "said", "prompt", "target", "rewrite", "tries",
        ] {
            assert!(m.get(k).is_some(), "{k} in {m}");
        }
        assert_eq!(m["tries"][1]["act"], "label");
        assert_eq!(v["runs"][0]["tries"], 4);
        assert_eq!(v["runs"][0]["hits"], 2);
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(DRILL_FILE)]);
        let text = back.render();
        assert!(text.contains("2 runs"), "{text}");
        assert!(
            text.contains("2 moments, 4 tries, 2 hits, hit rate 50%"),
            "{text}"
        );
    }

    #[test]
    fn a_corrupt_drill_json_is_named_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(DRILL_FILE);
        std::fs::write(&path, "{\"version\":1,\"runs\":[{\"started\"").unwrap();
        let e = append_run(tmp.path(), a_run(&[&[true]]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("move it aside"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"version\":1,\"runs\":[{\"started\"",
            "not overwritten"
        );
        // A newer version is not called corrupt, and is not overwritten either.
        std::fs::write(&path, "{\"version\":9,\"runs\":[]}").unwrap();
        let e = load(tmp.path()).unwrap_err().to_string();
        assert!(
            e.contains("version 9") && e.contains("update Ringside"),
            "{e}"
        );
        assert!(append_run(tmp.path(), a_run(&[&[true]])).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"version\":9,\"runs\":[]}"
        );
    }

    #[test]
    fn moments_follow_the_debrief_ranking_and_prompts_come_from_the_events() {
        let rules = RewriteRules::builtin().unwrap();
        let ev = golden_events();
        let d = debrief::build(&ev, &rules);
        let ids = |ms: Vec<&Moment>| ms.iter().map(|m| m.utterance_id).collect::<Vec<_>>();
        // Default: the debrief's summary, in its order.
        assert_eq!(ids(select_moments(&d, &rules.ranking, None)), d.top);
        assert_eq!(d.top, vec![2, 6, 0]);
        assert_eq!(ids(select_moments(&d, &rules.ranking, Some(2))), vec![2, 6]);
        // More than the summary: the same ranking goes on.
        let five = ids(select_moments(&d, &rules.ranking, Some(10)));
        assert_eq!(five.len(), d.moments.len());
        assert_eq!(five[..3], d.top[..]);
        assert_eq!(
            ids(select_moments(&Debrief::default(), &rules.ranking, None)),
            Vec::<u64>::new()
        );

        let m2 = d.moments.iter().find(|m| m.utterance_id == 2).unwrap();
        let p = prompt_before(&ev, m2).unwrap();
        assert_eq!(p.text, "Well, I guess so.");
        assert_eq!((p.start, p.end), (5.056, 6.56));
        let dm = drill_moment(m2, Some(&p)).unwrap();
        assert_eq!(dm.target, Act::Label, "the rewrite's act");
        assert_eq!(dm.flag, Flag::YesLadder);
        // The opening line has no prompt: the situation is said in words.
        let m0 = d.moments.iter().find(|m| m.utterance_id == 0).unwrap();
        assert_eq!(prompt_before(&ev, m0), None);
        assert!(situation(&ev, m0).contains("you speak first"));
    }

    #[test]
    fn verdicts_and_retries() {
        assert!(judge(Act::Label, Some(Act::Label)));
        assert!(!judge(Act::Label, Some(Act::YesQuestion)));
        assert!(!judge(Act::Label, None), "no answer is a miss");
        assert!(another_try(&[], 2));
        assert!(another_try(&[a_try(false)], 2));
        assert!(
            !another_try(&[a_try(false), a_try(false)], 2),
            "out of tries"
        );
        assert!(!another_try(&[a_try(true)], 2), "a hit ends the moment");
        assert!(!another_try(&[a_try(false)], 1));
    }

    #[test]
    fn a_prompt_is_cut_with_its_padding_and_clamped() {
        let ch: Vec<f32> = (0..32_000).map(|i| i as f32).collect();
        let c = cut(&ch, 0.5, 1.0, 0.1);
        assert_eq!(c.len(), 11_200, "0.4 s to 1.1 s");
        assert_eq!(c[0], 6_400.0);
        assert_eq!(cut(&ch, 1.9, 3.0, 0.2).len(), 32_000 - 27_200);
        assert!(cut(&ch, 5.0, 6.0, 0.0).is_empty());
    }
}
