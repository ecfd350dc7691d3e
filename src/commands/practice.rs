//! `ringside practice` (a live session in the terminal) and `ringside devices`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Globals;
use crate::app::{run_recorded_session, Event, Input, SessionOptions};
use crate::cli::PracticeArgs;
use crate::config::CounterpartInput;
use crate::session::format::SessionEvent;
use crate::session::SessionMeta;
use crate::sinks::terminal::TerminalSink;
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
        match &counterpart {
            CounterpartInput::None => "none (coaching me only)".to_string(),
            CounterpartInput::RightChannel => "right channel of the mic".to_string(),
            CounterpartInput::Device(d) => d.clone(),
        }
    );
    Ok((Input::Live { mic, counterpart }, desc))
}

/// Session metadata for `session.json`.
pub fn session_meta(g: &Globals, input: &Input, model: &std::path::Path) -> SessionMeta {
    let mut meta = SessionMeta::default();
    match input {
        Input::Replay { path, them, .. } => {
            meta.mic_device = Some(format!("replay:{}", path.display()));
            meta.counterpart_device = them.as_ref().map(|t| format!("replay:{}", t.display()));
        }
        Input::Sample { .. } => {
            meta.mic_device = Some("replay:built-in sample call".into());
        }
        Input::Live { mic, counterpart } => {
            meta.mic_device = Some(mic.clone().unwrap_or_else(|| "default".into()));
            meta.counterpart_device = match counterpart {
                CounterpartInput::None => None,
                CounterpartInput::RightChannel => Some("right channel of the mic".into()),
                CounterpartInput::Device(d) => Some(d.clone()),
            };
        }
    }
    meta.model = crate::model::installed_name(model).or_else(|| Some(model.display().to_string()));
    meta.model_sha256 = crate::model::recorded_sha(model).ok().flatten();
    let v = &g.config.vad;
    for (k, val) in [
        ("vad.threshold", v.threshold.to_string()),
        ("vad.hangover_ms", v.hangover_ms.to_string()),
        ("vad.early_pause_ms", v.early_pause_ms.to_string()),
        ("vad.max_utterance_ms", v.max_utterance_ms.to_string()),
        (
            "coach.rules",
            g.config
                .coach
                .rules
                .as_ref()
                .map_or("built-in".into(), |p| p.display().to_string()),
        ),
    ] {
        meta.config.insert(k.to_string(), val);
    }
    meta
}

/// Repairs sessions a crash left unfinished, telling the user what was done.
pub fn repair_crashed(dir: &std::path::Path) {
    if let Ok(reports) = crate::session::repair_unfinished(dir) {
        for r in reports {
            match r {
                Ok(rep) => eprintln!("ringside: repaired an unfinished session: {rep}"),
                Err(crate::session::SessionError::InUse { .. }) => {}
                Err(e) => eprintln!("ringside: warning: {e}"),
            }
        }
    }
}

/// Prints events as JSON lines (`--json`), in the format of the session's `events.jsonl`
/// (`SessionEvent`), so a live consumer and a recording read the same records.
pub fn print_json(ev: &Event) -> Result<()> {
    let v = match ev {
        Event::Utterance(cu) => serde_json::to_value(SessionEvent::from_utterance(cu))?,
        Event::Cue(c) => serde_json::to_value(SessionEvent::from_cue(c))?,
        Event::Unclear(u) => serde_json::to_value(SessionEvent::from_unclear(u))?,
        Event::Device {
            speaker,
            change,
            at_sample,
            detail,
        } => serde_json::to_value(SessionEvent::Device {
            speaker: *speaker,
            event: *change,
            time: crate::event::samples_to_secs(*at_sample),
            detail: detail.clone(),
        })?,
        Event::Warning(w) => serde_json::json!({"type": "warning", "message": w}),
        Event::Audio(_) => return Ok(()),
    };
    let mut o = std::io::stdout().lock();
    writeln!(o, "{v}")?;
    o.flush()?;
    Ok(())
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
    let json = a.json;
    let mut on_event = |ev: &Event| -> Result<()> {
        if json {
            print_json(ev)
        } else {
            Ok(term.handle(ev)?)
        }
    };
    let opts = SessionOptions {
        record_dir: record.then(|| sessions_dir.clone()),
        meta: session_meta(g, &input, &model),
        limit_secs: a.duration,
        stats: Default::default(),
    };
    let out = run_recorded_session(
        &g.config,
        &input,
        transcriber,
        &mut coach,
        stop,
        opts,
        &mut on_event,
    )?;
    let s = &out.summary;
    if json {
        println!(
            "{}",
            serde_json::json!({"type": "summary", "stream_secs": crate::event::samples_to_secs(s.stream_samples),
                "utterances": s.utterances.len(), "cues": s.cues.len(), "dropped_samples": s.dropped_samples,
                "decode_errors": s.decode_errors,
                "session_dir": out.recording.as_ref().map(|r| r.dir.display().to_string())})
        );
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
        for w in &r.warnings {
            eprintln!("ringside: warning: {w}");
        }
        eprintln!(
            "ringside: recorded to {}; review it with `ringside review {}`",
            r.dir.display(),
            r.info.id
        );
    }
    Ok(())
}

pub fn devices(_g: &Globals) -> Result<()> {
    let (host, list) = microphone::list_devices()
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
