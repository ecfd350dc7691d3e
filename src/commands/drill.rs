//! `ringside drill SESSION`: the weak moments of a recorded call, drilled out loud (see
//! [`crate::drill`] for the runner, [`crate::session::drill`] for the moments, the verdict
//! and `drill.json`). Prints each moment, the verdicts and the run's figures; the last line
//! is `drill: moments=N tries=N hits=N` (or, with `--json`, a summary object).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Globals;
use crate::cli::DrillArgs;
use crate::drill::{self, DrillEvent, DrillItem, DrillOptions};
use crate::event::{mmss_tenths, Act, Event, SessionEvent};
use crate::roleplay::{PlayerConfig, PractitionerConfig, Script};
use crate::session::drill::{
    cut, drill_moment, prompt_before, select_moments, situation, technique, DrillRun, DRILL_FILE,
};
use crate::session::{self, debrief, AUDIO_FILE};
use crate::sinks::json::print_line;
use crate::transforms::coach::Coach;
use crate::transforms::rewrite::{Flag, RewriteRules};
use crate::transforms::transcribe::Transcriber;

/// Padding around a prompt cut from the recording: the VAD's times sit close to the words.
const PROMPT_PAD_SECS: f64 = 0.15;

/// One line of `drill --json` that is not a record of a try's session (those are printed as
/// [`SessionEvent`], like `practice --json`). Times are seconds into the recorded call.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DrillLine<'a> {
    /// A moment starts (`index` from 0).
    Moment {
        index: usize,
        total: usize,
        utterance_id: u64,
        time: f64,
        flag: Flag,
        said: &'a str,
        prompt: Option<&'a str>,
        situation: Option<&'a str>,
        target: Act,
        rewrite: &'a str,
    },
    /// The prompt has played (or listening starts): the practitioner's turn.
    Listening { moment: usize, try_number: usize },
    /// The verdict on one try (`act` null: no answer before the timeout).
    Verdict {
        moment: usize,
        try_number: usize,
        text: &'a str,
        act: Option<Act>,
        target: Act,
        hit: bool,
        latency_ms: Option<f64>,
        verdict_ms: Option<f64>,
        /// The rewrite, after a miss.
        hint: Option<&'a str>,
        more: bool,
    },
    /// The last line.
    Summary {
        session: &'a str,
        moments: usize,
        tries: u32,
        hits: u32,
        hit_rate: Option<f64>,
        finished: bool,
        drill_file: Option<String>,
    },
}

pub fn run(g: &Globals, a: DrillArgs) -> Result<()> {
    let sessions_dir = a
        .sessions_dir
        .clone()
        .unwrap_or_else(|| g.config.session.dir.clone());
    let dir = session::resolve_session(&sessions_dir, &a.session)?;
    let s = session::load_session(&dir)?;
    // A drill log that cannot be read stops the drill now, not after it.
    crate::session::drill::load(&dir)?;
    let rules = RewriteRules::load(g.config.coach.rewrites.as_deref())?;
    let d = debrief::load_or_build(&dir, &s.events, &rules);
    let chosen = select_moments(&d, &rules.ranking, a.moments.map(|n| n as usize));
    if chosen.is_empty() {
        let msg = format!(
            "Session {} has no weak moments to drill: its debrief flagged no line with a rewrite.",
            s.info.id
        );
        finish(&a, &s.info.id, &empty_run(a.tries), None, &msg)?;
        return Ok(());
    }

    let prompts: Vec<_> = chosen.iter().map(|m| prompt_before(&s.events, m)).collect();
    // The "them" channel of the recording, when there is a prompt to cut from it.
    let them = if prompts.iter().any(Option::is_some) {
        match crate::audio::wav::read_wav(&dir.join(AUDIO_FILE)) {
            Ok(w) if w.channels.len() >= 2 => w.channels.into_iter().nth(1),
            Ok(_) => None,
            Err(e) => {
                eprintln!("ringside: warning: {e}; their lines are shown in text instead");
                None
            }
        }
    } else {
        None
    };
    let items: Vec<DrillItem> = chosen
        .iter()
        .zip(&prompts)
        .filter_map(|(m, p)| {
            let moment = drill_moment(m, p.as_ref())?;
            let prompt_audio = match (p, &them) {
                (Some(p), Some(ch)) => {
                    let c = cut(ch, p.start, p.end, PROMPT_PAD_SECS);
                    (!c.is_empty()).then(|| c.into())
                }
                _ => None,
            };
            let situation = match p {
                Some(p) if prompt_audio.is_none() => Some(format!(
                    "They said: \"{}\" (their side was not recorded)",
                    p.text
                )),
                Some(_) => None,
                None => Some(situation(&s.events, m)),
            };
            Some(DrillItem {
                moment,
                prompt_audio,
                situation,
            })
        })
        .collect();

    let practitioner = match &a.practitioner {
        Some(p) => Some((
            Script::load(p)?,
            PractitionerConfig {
                sink: a.practitioner_sink.clone(),
                ..PractitionerConfig::default()
            },
        )),
        None => None,
    };
    if !(a.answer_timeout.is_finite() && a.answer_timeout > 0.0) {
        anyhow::bail!(
            "--answer-timeout {}: give a number of seconds above 0",
            a.answer_timeout
        );
    }
    let model = super::model_path(g, a.model.as_deref())?;
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    if !a.json {
        eprintln!("ringside: loading {}", model.display());
    }
    let transcriber = Transcriber::new(&model, &g.config.asr)?;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed))
        .context("cannot install the Ctrl-C handler")?;
    let opts = DrillOptions {
        mic: a.mic.clone().or_else(|| g.config.audio.mic.clone()),
        player: PlayerConfig {
            output: a.output.clone(),
            channels: super::roleplay::channels(a.output_channel),
            start_timeout: Duration::from_secs_f64(g.config.audio.start_timeout_secs),
            ..Default::default()
        },
        practitioner,
        max_tries: a.tries as usize,
        answer_timeout: Duration::from_secs_f64(a.answer_timeout),
        ..Default::default()
    };
    if !a.json {
        println!(
            "Drill of session {}: {} moment{}, up to {} tr{} each. Ctrl-C stops; what was drilled is kept.",
            s.info.id,
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            a.tries,
            if a.tries == 1 { "y" } else { "ies" }
        );
    }
    let json = a.json;
    // (moment, try) under way, for the `listening` line.
    let mut at = (0usize, 0usize);
    let mut on_event = |ev: &DrillEvent| -> Result<()> {
        if let DrillEvent::Try { moment, number, .. } = ev {
            at = (*moment, *number);
        }
        if json {
            print_json(ev, at)
        } else {
            print_text(ev);
            Ok(())
        }
    };
    let out = drill::run(
        &g.config,
        &items,
        transcriber,
        &mut coach,
        stop,
        opts,
        &mut on_event,
    )?;
    let run = out.run;
    if run.tries == 0 {
        let msg = format!(
            "Nothing was drilled (stopped before the first answer); {} is unchanged.",
            dir.join(DRILL_FILE).display()
        );
        finish(&a, &s.info.id, &run, None, &msg)?;
        return Ok(());
    }
    let log = crate::session::drill::append_run(&dir, run.clone())?;
    let file = dir.join(DRILL_FILE);
    let msg = format!(
        "Drill: {} moment{}, {} tries, {} hits (hit rate {:.0}%){}; saved as run {} in {}",
        run.moments.len(),
        if run.moments.len() == 1 { "" } else { "s" },
        run.tries,
        run.hits,
        run.hit_rate().unwrap_or(0.0) * 100.0,
        if run.finished { "" } else { ", stopped early" },
        log.runs.len(),
        file.display()
    );
    finish(&a, &s.info.id, &run, Some(&file), &msg)
}

fn empty_run(tries: u32) -> DrillRun {
    DrillRun {
        started: String::new(),
        finished: true,
        max_tries: tries,
        moments: Vec::new(),
        tries: 0,
        hits: 0,
    }
}

/// The closing lines: a sentence and the `key=value` line, or the JSON summary.
fn finish(a: &DrillArgs, id: &str, run: &DrillRun, file: Option<&Path>, msg: &str) -> Result<()> {
    if a.json {
        print_line(&DrillLine::Summary {
            session: id,
            moments: run.moments.len(),
            tries: run.tries,
            hits: run.hits,
            hit_rate: run.hit_rate(),
            finished: run.finished,
            drill_file: file.map(|f| f.display().to_string()),
        })?;
    } else {
        println!();
        println!("{msg}");
        println!(
            "drill: moments={} tries={} hits={}",
            run.moments.len(),
            run.tries,
            run.hits
        );
    }
    Ok(())
}

fn print_json(ev: &DrillEvent, (moment, try_number): (usize, usize)) -> Result<()> {
    let line = match ev {
        DrillEvent::Pipeline(Event::Record(r)) => return Ok(print_line(r)?),
        DrillEvent::Pipeline(Event::Audio(_)) | DrillEvent::Try { .. } | DrillEvent::Unclear => {
            return Ok(())
        }
        DrillEvent::Warning(message) => {
            return Ok(print_line(&SessionEvent::Warning {
                message: message.clone(),
            })?)
        }
        DrillEvent::Moment { index, total, item } => {
            let m = &item.moment;
            DrillLine::Moment {
                index: *index,
                total: *total,
                utterance_id: m.utterance_id,
                time: m.time,
                flag: m.flag,
                said: &m.said,
                prompt: m.prompt.as_deref(),
                situation: item.situation.as_deref(),
                target: m.target,
                rewrite: &m.rewrite,
            }
        }
        DrillEvent::Listening { .. } => DrillLine::Listening { moment, try_number },
        DrillEvent::Verdict {
            moment,
            number,
            item,
            attempt,
            more,
        } => DrillLine::Verdict {
            moment: *moment,
            try_number: *number,
            text: &attempt.text,
            act: attempt.act,
            target: item.target,
            hit: attempt.hit,
            latency_ms: attempt.latency_ms,
            verdict_ms: attempt.verdict_ms,
            hint: (!attempt.hit).then_some(item.rewrite.as_str()),
            more: *more,
        },
    };
    Ok(print_line(&line)?)
}

fn print_text(ev: &DrillEvent) {
    match ev {
        DrillEvent::Moment { index, total, item } => {
            let m = &item.moment;
            println!();
            println!(
                "Moment {} of {}   {}  {}",
                index + 1,
                total,
                mmss_tenths(m.time),
                m.flag
            );
            match (&m.prompt, &item.situation) {
                (_, Some(sit)) => println!("  situation:  {sit}"),
                (Some(p), None) => println!("  they say:   \"{p}\"   (played from the recording)"),
                (None, None) => {}
            }
            println!("  you said:   {}", m.said);
            println!("  aim for:    {} [{}]", technique(m.target), m.target);
        }
        DrillEvent::Try { number, max, .. } => {
            println!("  try {number} of {max}: listen, then answer out loud");
        }
        DrillEvent::Listening { .. } => {
            println!("  your turn ...");
        }
        DrillEvent::Unclear => println!("  (not understood: say it again)"),
        DrillEvent::Verdict { item, attempt, .. } => {
            let lat = attempt
                .latency_ms
                .map(|l| format!("  (answered after {l:.0} ms)"))
                .unwrap_or_default();
            match attempt.act {
                None => println!("  heard:      nothing before the timeout: a miss"),
                Some(act) if attempt.hit => {
                    println!("  heard:      \"{}\" [{act}]  HIT{lat}", attempt.text)
                }
                Some(act) => println!(
                    "  heard:      \"{}\" [{act}]  MISS: not {}{lat}",
                    attempt.text, item.target
                ),
            }
            if !attempt.hit {
                println!("  hint:       {}  [{}]", item.rewrite, item.target);
            }
        }
        DrillEvent::Warning(m) => eprintln!("ringside: warning: {m}"),
        DrillEvent::Pipeline(Event::Record(SessionEvent::Warning { message })) => {
            eprintln!("ringside: warning: {message}")
        }
        // The answer is shown with its verdict, the prompt with its moment.
        DrillEvent::Pipeline(_) => {}
    }
}
