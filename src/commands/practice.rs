//! `ringside practice` (a live session in the terminal) and `ringside devices`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Globals;
use crate::app::{Input, SessionBuilder};
use crate::cli::PracticeArgs;
use crate::config::CounterpartInput;
use crate::session::meta::session_meta;
use crate::session::repair::repair_crashed;
use crate::sinks::json::{print_line, JsonSink, SummaryLine};
use crate::sinks::terminal::TerminalSink;
use crate::sinks::Sink;
use crate::sources::microphone;
use crate::sources::replay::Blocks;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::Transcriber;

/// Chooses the input: a replay file, the sample, or live devices (the sample when no
/// microphone exists at all).
fn choose_input(g: &Globals, a: &PracticeArgs) -> Result<(Input, String)> {
    if let Some(p) = &a.replay {
        return Ok((
            Input::Replay {
                path: p.clone(),
                them: None,
                speed: a.speed,
                blocks: Blocks::default(),
            },
            format!("replaying {}", p.display()),
        ));
    }
    let mic = a.mic.clone().or_else(|| g.config.audio.mic.clone());
    // With no microphone named, make sure the default input really opens (on a machine
    // without a sound card ALSA still lists a "default" PCM that fails on open).
    let sample = a.sample
        || (mic.is_none()
            && microphone::find_input(None)
                .and_then(|d| microphone::open(&d, 0.5, std::time::Duration::from_secs(2)))
                .is_err());
    if sample {
        let why = if a.sample {
            ""
        } else {
            " (no microphone found)"
        };
        return Ok((
            Input::Sample {
                speed: a.speed,
                blocks: Blocks::default(),
            },
            format!("replaying the built-in sample call{why}"),
        ));
    }
    let counterpart = if a.counterpart_right {
        CounterpartInput::RightChannel
    } else if let Some(c) = &a.counterpart {
        CounterpartInput::Device(c.clone())
    } else {
        g.config.audio.counterpart.clone()
    };
    let desc = format!(
        "live: me = {}, them = {}",
        mic.as_deref().unwrap_or("default input"),
        counterpart
            .describe()
            .unwrap_or_else(|| "none (coaching me only)".into())
    );
    Ok((Input::Live { mic, counterpart }, desc))
}

pub fn run(g: &Globals, a: PracticeArgs) -> Result<()> {
    let (input, desc) = choose_input(g, &a)?;
    let model = super::model_path(g, a.model.as_deref())?;
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    let record = g.config.session.record && !a.no_record;
    let sessions_dir = a
        .sessions_dir
        .clone()
        .unwrap_or_else(|| g.config.session.dir.clone());
    if record {
        repair_crashed(&sessions_dir);
    }
    eprintln!("ringside: loading {}", model.display());
    let transcriber = Transcriber::new(&model, &g.config.asr)?;
    eprintln!("ringside: {desc}; Ctrl-C ends the session");
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed))
        .context("cannot install the Ctrl-C handler")?;
    let mut term = TerminalSink::new(g.config.coach.show_praise);
    let mut json_sink = JsonSink;
    let sink: &mut dyn Sink = if a.json { &mut json_sink } else { &mut term };
    let meta = session_meta(input.devices(), &model, &g.config);
    let out = SessionBuilder::new(&g.config, input)
        .stop_flag(stop)
        .limit_secs(a.duration)
        .record(record.then(|| sessions_dir.clone()), meta)
        .sink(sink)
        .run(transcriber, &mut coach)?;
    let s = &out.summary;
    if a.json {
        print_line(&SummaryLine {
            stream_secs: crate::event::samples_to_secs(s.stream_samples),
            utterances: s.utterances.len(),
            cues: s.cues.len(),
            dropped_samples: s.dropped_samples,
            decode_errors: s.decode_errors,
            session_dir: out.recording.as_ref().map(|r| r.dir.display().to_string()),
        })?;
    } else if let Some(r) = &out.recording {
        println!();
        println!("{}", r.scorecard.render_text());
        print!("{}", r.debrief.render_summary());
    }
    eprintln!(
        "ringside: session over: {:.1} s of audio, {} utterances, {} cues, {} dropped samples",
        crate::event::samples_to_secs(s.stream_samples),
        s.utterances.len(),
        s.cues.len(),
        s.dropped_samples
    );
    if let Some(r) = &out.recording {
        super::print_recorded(r);
    }
    Ok(())
}

pub fn devices(_g: &Globals) -> Result<()> {
    let (host, list) = crate::audio::device::list_devices()
        .map_err(|e| anyhow::anyhow!("cannot list audio devices: {e}"))?;
    println!("host: {host}   (* = default; pass the id or the name to --mic / --counterpart)");
    if list.is_empty() {
        println!("no audio devices found (on a machine without a sound card, use `ringside practice --sample`)");
    }
    for d in list {
        let dir = match (d.is_input, d.is_output) {
            (true, true) => "in/out",
            (true, false) => "in",
            (false, true) => "out",
            _ => "-",
        };
        println!(
            "{} {:6} {:32} {:40} {}",
            if d.is_default { "*" } else { " " },
            dir,
            d.id,
            d.name,
            d.default_format
        );
    }
    Ok(())
}
