//! `ringside drill SESSION`: the weak moments of a recorded call, drilled out loud (see
//! [`crate::drill`] for the runner, [`crate::session::drill`] for the moments, the verdict
//! and `drill.json`). Prints each moment, the verdicts and the run's figures; the last line
//! is `drill: moments=N tries=N hits=N` (or, with `--json`, a summary object).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Globals;
use crate::cli::DrillArgs;
use crate::drill::{self, DrillEvent, DrillLine, DrillOptions, TryCursor};
use crate::event::{mmss_tenths, Event, SessionEvent};
use crate::roleplay::{practitioner, PlayerConfig};
use crate::session;
use crate::session::drill::{technique, DrillRun, DRILL_FILE};
use crate::sinks::json::print_line;
use crate::transforms::coach::Coach;
use crate::transforms::rewrite::RewriteRules;
use crate::transforms::transcribe::Transcriber;
use anyhow::{Context, Result};

pub fn run(g: &Globals, a: DrillArgs) -> Result<()> {
    let sessions_dir = a
        .sessions_dir
        .clone()
        .unwrap_or_else(|| g.config.session.dir.clone());
    let dir = session::resolve_session(&sessions_dir, &a.session)?;
    // Held to the end, so a delete or export (CLI or daemon) meanwhile is refused.
    let _lock = session::lock_for_use(&dir)?;
    let rules = RewriteRules::load(g.config.coach.rewrites.as_deref())?;
    let plan = drill::plan(&dir, &rules, a.moments.map(|n| n as usize))?;
    for w in &plan.warnings {
        eprintln!("ringside: warning: {w}");
    }
    let (id, items) = (plan.id, plan.items);
    if items.is_empty() {
        let msg = format!(
            "Session {id} has no weak moments to drill: its debrief flagged no line with a rewrite."
        );
        finish(&a, &id, &empty_run(a.tries), None, &msg)?;
        return Ok(());
    }

    let practitioner = a
        .practitioner
        .as_deref()
        .map(|p| practitioner::load(p, Some(a.practitioner_sink.clone())))
        .transpose()?;
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
            id,
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            a.tries,
            if a.tries == 1 { "y" } else { "ies" }
        );
    }
    let json = a.json;
    // (moment, try) under way, for the `listening` line.
    let mut cursor = TryCursor::default();
    let mut on_event = |ev: &DrillEvent| -> Result<()> {
        let at = cursor.see(ev);
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
        finish(&a, &id, &run, None, &msg)?;
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
    finish(&a, &id, &run, Some((log.runs.len(), &file)), &msg)
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
fn finish(
    a: &DrillArgs,
    id: &str,
    run: &DrillRun,
    saved: Option<(usize, &Path)>,
    msg: &str,
) -> Result<()> {
    if a.json {
        let saved = saved.map(|(n, f)| (n, f.display().to_string()));
        print_line(&DrillLine::summary(id, run, saved))?;
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

fn print_json(ev: &DrillEvent, at: (usize, usize)) -> Result<()> {
    match ev {
        DrillEvent::Pipeline(Event::Record(r)) => Ok(print_line(r)?),
        DrillEvent::Warning(message) => Ok(print_line(&SessionEvent::Warning {
            message: message.clone(),
        })?),
        _ => match DrillLine::of(ev, at) {
            Some(line) => Ok(print_line(&line)?),
            None => Ok(()),
        },
    }
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
