//! `ringside roleplay SCENARIO` (a role-play in the terminal: transcript, cues, the
//! counterpart's lines; scorecard, outcome and cue timeline at the end), `ringside scenarios`
//! and `ringside bench roleplay` (reply latency over simulated role-plays).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Globals;
use crate::cli::{OutputChannel, RoleplayArgs, RoleplayBenchArgs};
use crate::event::mmss;
use crate::event::samples_to_secs;
use crate::event::{Event, SessionEvent, Speaker, TurnTiming};
use crate::roleplay::scenario::LineId;
use crate::roleplay::{
    self, p50_p95, CallResult, LineKind, OutputChannels, PlayerNote, PractitionerConfig,
    RoleplayEvent, RoleplayOptions, Scenario, Script,
};
use crate::sinks::json::print_line;
use crate::sinks::terminal::TerminalSink;
use crate::sinks::Sink;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::Transcriber;

/// The practitioner scripts of the tests, built in for the benchmark.
const BENCH_SCRIPTS: [(&str, &str); 2] = [
    (
        "yes_ladder",
        include_str!("../../assets/roleplay/yes_ladder.txt"),
    ),
    (
        "no_oriented",
        include_str!("../../assets/roleplay/no_oriented.txt"),
    ),
];

pub(super) fn channels(c: OutputChannel) -> OutputChannels {
    match c {
        OutputChannel::All => OutputChannels::All,
        OutputChannel::Left => OutputChannels::Left,
        OutputChannel::Right => OutputChannels::Right,
    }
}

pub fn scenarios(_g: &Globals) -> Result<()> {
    let dir = roleplay::scenario::user_dir();
    println!("Role-play scenarios (run one with `ringside roleplay NAME`; a TOML path works too):");
    for e in roleplay::scenario::catalog(&dir) {
        println!();
        if let Some(err) = &e.error {
            println!("  {:22} (not usable) {err}", e.name);
            continue;
        }
        let from = match &e.path {
            Some(p) => format!("  [{}]", p.display()),
            None => String::new(),
        };
        println!("  {:22} {}{from}", e.name, e.title.as_deref().unwrap_or(""));
        println!(
            "  {:22} {} ({})",
            "",
            e.persona.as_deref().unwrap_or(""),
            e.voice.as_deref().unwrap_or("")
        );
        println!("  {:22} {}", "", e.situation.as_deref().unwrap_or(""));
    }
    println!();
    println!("Your own scenarios: {}/*.toml", dir.display());
    Ok(())
}

/// One line of `roleplay --json` that is not a record of the session (records are printed
/// as [`crate::event::SessionEvent`], like `practice --json`). Times in seconds of stream time.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RoleplayLine<'a> {
    /// Counterpart lines synthesized (or found in the cache) before the call.
    Prepared { synthesized: usize, cached: usize },
    /// The counterpart chose its next line.
    Decided {
        line: LineId,
        kind: LineKind,
        why: &'a str,
        text: &'a str,
    },
    /// The counterpart's voice reported something (`event`: what).
    Counterpart {
        #[serde(flatten)]
        note: &'a PlayerNote,
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<&'a str>,
        persona: &'a str,
    },
    /// The last line: how the call went.
    Summary {
        scenario: &'a str,
        result: CallResult,
        stream_secs: f64,
        utterances: usize,
        cues: Vec<&'static str>,
        interruptions: usize,
        reply_latencies_ms: &'a [f64],
        reply_latency_p50_ms: f64,
        reply_latency_p95_ms: f64,
        session_dir: Option<String>,
    },
}

/// Prints one role-play event as a JSON line.
fn print_json(s: &Scenario, ev: &RoleplayEvent) -> Result<()> {
    let line = match ev {
        RoleplayEvent::Pipeline(Event::Record(r)) => return Ok(print_line(r)?),
        RoleplayEvent::Pipeline(Event::Audio(_)) | RoleplayEvent::Began(_) => return Ok(()),
        RoleplayEvent::Prepared {
            synthesized,
            cached,
        } => RoleplayLine::Prepared {
            synthesized: *synthesized,
            cached: *cached,
        },
        RoleplayEvent::Decided { turn, text } => RoleplayLine::Decided {
            line: turn.line,
            kind: turn.kind,
            why: &turn.why,
            text,
        },
        RoleplayEvent::Counterpart { note, text } => RoleplayLine::Counterpart {
            note,
            text: *text,
            persona: &s.persona_name,
        },
    };
    Ok(print_line(&line)?)
}

/// Terminal lines for the counterpart's events (the pipeline's go through the terminal sink).
fn print_counterpart(s: &Scenario, ev: &RoleplayEvent) {
    match ev {
        RoleplayEvent::Prepared {
            synthesized,
            cached,
        } => {
            eprintln!("ringside: {} voice lines ready ({synthesized} synthesized, {cached} from the cache)", synthesized + cached);
        }
        RoleplayEvent::Counterpart {
            note:
                PlayerNote::Ready {
                    device,
                    rate,
                    channels,
                },
            ..
        } => {
            eprintln!(
                "ringside: {} speaks through {device:?} ({channels} ch, {rate} Hz)",
                s.persona_name
            );
        }
        RoleplayEvent::Counterpart {
            note:
                PlayerNote::Started {
                    at_sample,
                    latency_ms,
                    ..
                },
            text,
        } => {
            let lat = latency_ms
                .map(|l| format!("   (reply after {l:.0} ms)"))
                .unwrap_or_default();
            println!(
                "{}      >> {}: {}{lat}",
                mmss(samples_to_secs(*at_sample)),
                s.persona_name,
                text.unwrap_or("")
            );
        }
        RoleplayEvent::Counterpart {
            note: PlayerNote::Interrupted { at_sample, .. },
            ..
        } => {
            println!(
                "{}      -- you interrupted {}: they stopped talking",
                mmss(samples_to_secs(*at_sample)),
                s.persona_name
            );
        }
        RoleplayEvent::Counterpart {
            note: PlayerNote::Warning { message },
            ..
        } => eprintln!("ringside: warning: {message}"),
        _ => {}
    }
}

/// The end-of-call block: outcome and cue timeline.
fn render_outcome(s: &Scenario, out: &roleplay::RoleplayOutcome) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let verdict = match out.result {
        CallResult::Commitment => format!(
            "commitment reached: {} agreed to a next step",
            s.persona_name
        ),
        CallResult::HangUp => format!("no commitment: {} hung up", s.persona_name),
        CallResult::Open => "no commitment: the call ended before a decision".to_string(),
    };
    let _ = writeln!(t, "Role-play {} ({})", s.name, s.title);
    let _ = writeln!(t, "  Outcome           {verdict}");
    let lats = out.log.reply_latencies_ms();
    if let Some((p50, p95)) = p50_p95(&lats) {
        let _ = writeln!(
            t,
            "  Reply latency     median {p50:.0} ms, p95 {p95:.0} ms over {} replies",
            lats.len()
        );
    }
    if !out.log.interruptions.is_empty() {
        let _ = writeln!(t, "  Interruptions     {}", out.log.interruptions.len());
    }
    let _ = writeln!(t, "  Cue timeline");
    if out.summary.cues.is_empty() {
        let _ = writeln!(t, "    (no cues)");
    }
    for c in &out.summary.cues {
        let _ = writeln!(
            t,
            "    {}  {:6}  {:18} {}",
            mmss(samples_to_secs(c.at_sample)),
            c.severity.as_str(),
            c.id.as_str(),
            c.message
        );
    }
    t
}

pub fn run(g: &Globals, a: RoleplayArgs) -> Result<()> {
    let scenario = Scenario::resolve(&a.scenario, &roleplay::scenario::user_dir())?;
    let practitioner = a
        .practitioner_script
        .as_deref()
        .map(|p| roleplay::practitioner::load(p, Some(a.practitioner_sink.clone())))
        .transpose()?;
    let model = super::model_path(g, a.model.as_deref())?;
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    let record = g.config.session.record && !a.no_record;
    let sessions_dir = a
        .sessions_dir
        .clone()
        .unwrap_or_else(|| g.config.session.dir.clone());
    if record {
        crate::session::repair::repair_crashed(&sessions_dir);
    }
    eprintln!("ringside: loading {}", model.display());
    let transcriber = Transcriber::new(&model, &g.config.asr)?;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed))
        .context("cannot install the Ctrl-C handler")?;
    let mic = a.mic.clone().or_else(|| g.config.audio.mic.clone());
    let input = crate::app::Input::Live {
        mic: mic.clone(),
        counterpart: crate::config::CounterpartInput::None,
    };
    let mut meta = crate::session::meta::session_meta(input.devices(), &model, &g.config);
    meta.counterpart_device = Some(format!("roleplay:{} ({})", scenario.name, scenario.voice));
    meta.config
        .insert("roleplay.scenario".into(), scenario.source.clone());
    let opts = RoleplayOptions {
        mic,
        player: roleplay::PlayerConfig {
            output: a.output.clone(),
            channels: channels(a.output_channel),
            start_timeout: std::time::Duration::from_secs_f64(g.config.audio.start_timeout_secs),
            ..Default::default()
        },
        practitioner,
        record_dir: record.then(|| sessions_dir.clone()),
        meta,
        limit_secs: a.duration,
        rotation_offset: a.variant,
        transcribe_counterpart: a.transcribe_counterpart,
        ..Default::default()
    };
    eprintln!(
        "ringside: role-play {:?}: {}. {}",
        scenario.name, scenario.title, scenario.situation
    );
    eprintln!(
        "ringside: {} picks up the phone; Ctrl-C ends the call",
        scenario.persona_name
    );
    let mut term = TerminalSink::new(g.config.coach.show_praise);
    let json = a.json;
    let sc = &scenario;
    let mut on_event = |ev: &RoleplayEvent| -> Result<()> {
        if json {
            return print_json(sc, ev);
        }
        match ev {
            RoleplayEvent::Pipeline(e) => {
                // The counterpart's transcribed lines are shown as they are spoken (>>).
                if let Event::Record(r) = e {
                    if let SessionEvent::Utterance {
                        speaker: Speaker::Them,
                        ..
                    } = r
                    {
                        return Ok(());
                    }
                    term.handle(r)?;
                }
            }
            _ => print_counterpart(sc, ev),
        }
        Ok(())
    };
    let out = roleplay::run(
        &g.config,
        &scenario,
        transcriber,
        &mut coach,
        stop,
        opts,
        &mut on_event,
    )?;
    let lats = out.log.reply_latencies_ms();
    if json {
        let (p50, p95) = p50_p95(&lats).unwrap_or((f64::NAN, f64::NAN));
        print_line(&RoleplayLine::Summary {
            scenario: &scenario.name,
            result: out.result,
            stream_secs: samples_to_secs(out.summary.stream_samples),
            utterances: out.summary.utterances.len(),
            cues: out.summary.cues.iter().map(|c| c.id.as_str()).collect(),
            interruptions: out.log.interruptions.len(),
            reply_latencies_ms: &lats,
            reply_latency_p50_ms: p50,
            reply_latency_p95_ms: p95,
            session_dir: out.recording.as_ref().map(|r| r.dir.display().to_string()),
        })?;
    } else {
        println!();
        if let Some(r) = &out.recording {
            println!("{}", r.scorecard.render_text());
            print!("{}", r.debrief.render_summary());
        }
        println!("{}", render_outcome(&scenario, &out));
    }
    if let Some(r) = &out.recording {
        super::print_recorded(r);
    }
    Ok(())
}

/// `ringside bench roleplay`: the insurance scenario with the built-in practitioner scripts
/// over the virtual microphone; prints each reply's latency, then the figures.
pub fn bench(g: &Globals, a: RoleplayBenchArgs) -> Result<()> {
    if std::env::var_os("PULSE_SERVER").is_none() && std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        anyhow::bail!("no virtual microphone: run `eval \"$(scripts/virtmic.sh start)\"` first (scripts/test.sh does; scripts/setup.sh --test installs PulseAudio)");
    }
    let scenario = Scenario::load("insurance_cold_call")?;
    let model = super::model_path(g, None)?;
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    let mut transcriber = Transcriber::new(&model, &g.config.asr)?;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed))
        .context("cannot install the Ctrl-C handler")?;
    let mut all = Vec::new();
    let mut parts: Vec<ReplyParts> = Vec::new();
    let mut heard = Vec::new();
    for round in 0..a.rounds.max(1) {
        for (name, text) in BENCH_SCRIPTS {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let script = Script::parse(text, Path::new(name))?;
            let opts = RoleplayOptions {
                mic: Some(a.mic.clone()),
                player: roleplay::PlayerConfig {
                    output: Some(a.output.clone()),
                    channels: OutputChannels::Right,
                    ..Default::default()
                },
                practitioner: Some((
                    script,
                    PractitionerConfig {
                        sink: a.practitioner_sink.clone(),
                        ..Default::default()
                    },
                )),
                limit_secs: Some(120.0),
                rotation_offset: round,
                transcribe_counterpart: a.transcribe_counterpart,
                ..Default::default()
            };
            coach.reset();
            let stats = opts.stats.clone();
            if a.verbose {
                let _ = stats.turn_timings.set(std::sync::Mutex::new(Vec::new()));
            }
            let run_stop = Arc::new(AtomicBool::new(false));
            let mut sink = |_: &RoleplayEvent| -> Result<()> { Ok(()) };
            let out = roleplay::run(
                &g.config,
                &scenario,
                transcriber,
                &mut coach,
                run_stop,
                opts,
                &mut sink,
            )?;
            transcriber = out.transcriber;
            let lats = out.log.machine_latencies_ms();
            heard.extend(out.log.reply_latencies_ms());
            println!(
                "round {round} {name:12} result={} utterances={} decodes={} reused={} replies={} latencies_ms=[{}] interruptions={}",
                out.result.as_str(),
                out.summary.utterances.len(),
                stats.segments_decoded.load(Ordering::Relaxed),
                stats.segments_reused.load(Ordering::Relaxed),
                lats.len(),
                lats.iter().map(|l| format!("{l:.0}")).collect::<Vec<_>>().join(", "),
                out.log.interruptions.len()
            );
            if a.verbose {
                let timings = stats
                    .turn_timings
                    .get()
                    .and_then(|l| l.lock().ok().map(|l| l.clone()))
                    .unwrap_or_default();
                for (i, p) in reply_parts(&out.log, &timings).iter().enumerate() {
                    println!("  reply {i}: {}", p.describe());
                    parts.push(*p);
                }
            }
            all.extend(lats);
        }
    }
    if a.verbose && !parts.is_empty() {
        let med = |f: fn(&ReplyParts) -> f64| {
            let v: Vec<f64> = parts.iter().map(f).collect();
            p50_p95(&v).map_or(0.0, |(p50, _)| p50)
        };
        let retried = parts.iter().filter(|p| p.second_ms.is_some()).count();
        println!(
            "parts p50_ms: end_of_turn={:.0} decode={:.0} first_pass={:.0} classify={:.1} playback_start={:.0}; second looks {retried} of {}",
            med(|p| p.hang_ms),
            med(|p| p.decode_ms),
            med(|p| p.first_ms),
            med(|p| p.classify_ms),
            med(|p| p.playback_ms),
            parts.len()
        );
    }
    let (p50, p95) = p50_p95(&all).context(
        "no replies were measured (check the virtual microphone: scripts/virtmic.sh status)",
    )?;
    let (h50, h95) = p50_p95(&heard).unwrap_or((p50, p95));
    println!(
        "reply_latency_p50_ms={p50:.0} reply_latency_p95_ms={p95:.0} heard_p50_ms={h50:.0} heard_p95_ms={h95:.0} replies={}",
        all.len()
    );
    Ok(())
}

/// Where the time of one reply went (`bench roleplay --verbose`), ms.
#[derive(Debug, Clone, Copy)]
struct ReplyParts {
    total_ms: f64,
    hang_ms: f64,
    decode_ms: f64,
    first_ms: f64,
    second_ms: Option<f64>,
    reused: bool,
    classify_ms: f64,
    /// The rest: the choice of the line, the voice thread's start and the output's latency.
    playback_ms: f64,
    /// The persona's pause before this answer, and how long the ready line waited for it.
    gap_ms: u32,
    held_ms: f64,
}

impl ReplyParts {
    fn describe(&self) -> String {
        format!(
            "{:.0} ms = end-of-turn wait {:.0} + decode {:.0} (first pass {:.0}{}{}) + classify {:.1} + playback start {:.0}; persona's pause {} ms, held {:.0} ms",
            self.total_ms,
            self.hang_ms,
            self.decode_ms,
            self.first_ms,
            self.second_ms
                .map(|s| format!(", second look {s:.0}"))
                .unwrap_or_default(),
            if self.reused { ", tentative text reused" } else { "" },
            self.classify_ms,
            self.playback_ms,
            self.gap_ms,
            self.held_ms
        )
    }
}

/// Each reply of `log` with the timing of the practitioner's utterance it answered: the
/// utterance of "me" whose end is nearest to the reply's start less its latency.
fn reply_parts(log: &roleplay::RoleplayLog, timings: &[TurnTiming]) -> Vec<ReplyParts> {
    let mut out = Vec::new();
    for l in &log.lines {
        let (Some(start), Some(heard_ms)) = (l.start, l.latency_ms) else {
            continue;
        };
        let held_ms = l.held_ms.unwrap_or(0.0);
        let total_ms = heard_ms - held_ms;
        if l.kind == LineKind::Opening {
            continue;
        }
        let answered = start - heard_ms / 1000.0;
        let Some(t) = timings
            .iter()
            .filter(|t| t.speaker == Speaker::Me)
            .min_by(|a, b| {
                let d = |t: &TurnTiming| (samples_to_secs(t.end_sample) - answered).abs();
                d(a).total_cmp(&d(b))
            })
        else {
            continue;
        };
        let classify_ms = t
            .classified_at
            .map_or(0.0, |c| c.duration_since(t.ready_at).as_secs_f64() * 1000.0);
        out.push(ReplyParts {
            total_ms,
            hang_ms: t.hang_ms,
            decode_ms: t.decode_ms,
            first_ms: t.first_ms,
            second_ms: t.second_ms,
            reused: t.reused,
            classify_ms,
            playback_ms: (total_ms - t.hang_ms - t.decode_ms - classify_ms).max(0.0),
            gap_ms: l.gap_ms.unwrap_or(0),
            held_ms,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counterpart_line_says_its_event_and_times_in_seconds() {
        let note = PlayerNote::Interrupted {
            line: 2,
            at_sample: 16_000,
            me_onset_sample: 8_000,
        };
        let line = RoleplayLine::Counterpart {
            note: &note,
            text: Some("Hello"),
            persona: "Ann",
        };
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            serde_json::json!({"type": "counterpart", "event": "interrupted", "line": 2,
                "time": 1.0, "me_onset": 0.5, "text": "Hello", "persona": "Ann"})
        );
        let started = PlayerNote::Started {
            line: 0,
            kind: LineKind::Opening,
            at_sample: 8_000,
            latency_ms: None,
        };
        let v = serde_json::to_value(RoleplayLine::Counterpart {
            note: &started,
            text: None,
            persona: "Ann",
        })
        .unwrap();
        assert_eq!(v["event"], "started");
        assert_eq!(v["time"], 0.5);
        assert!(v["latency_ms"].is_null() && v.get("at_sample").is_none());
    }
}
