//! `ringside bench ...`: benchmarks that print figures, with a peer (faster-whisper on the same
//! CTranslate2 weights, via scripts/peer_asr.py) run side by side on the same input. The last
//! line of each is `key=value` pairs for scripts.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::peer::{self, repo_root};
use super::Globals;
use crate::app::{Input, SessionBuilder};
use crate::audio::wav::read_wav;
use crate::cli::BenchCommand;
use crate::event::Speed;
use crate::event::{samples_to_secs, Speaker, SAMPLE_RATE_HZ};
use crate::event::{Event, SessionEvent, Stats};
use crate::metrics::percentile;
use crate::sinks::FnSink;
use crate::sources::replay::Blocks;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::{DecodeMode, Transcriber};

pub fn run(g: &Globals, c: BenchCommand) -> Result<()> {
    match c {
        BenchCommand::Asr { clips } => bench_asr(g, clips),
        BenchCommand::Latency { call, speed, real } => {
            let call = match real {
                Some(m) => Some(super::eval_real::build_real_call(
                    &m,
                    &repo_root().join("target/calls"),
                    2,
                )?),
                None => call,
            };
            bench_latency(g, call, speed)
        }
        BenchCommand::Classify => {
            crate::transforms::coach::bench_classify(|| proc_status_mb("self", "VmRSS:"))
        }
        BenchCommand::Soak { minutes } => bench_soak(minutes),
        BenchCommand::Roleplay(a) => super::roleplay::bench(g, a),
        BenchCommand::Voice { voice } => bench_voice(g, voice.as_deref()),
    }
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// (word edits, reference words) of `hyp` against `reference`.
fn edits(reference: &str, hyp: &str) -> (usize, usize) {
    crate::wer::edits(&crate::wer::words(reference), &crate::wer::words(hyp))
}

/// A memory figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, ...) in MB.
fn proc_status_mb(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// This process's peak resident set size in MB.
fn peak_rss_mb() -> f64 {
    proc_status_mb("self", "VmHWM:")
}

/// `ringside bench asr`: WER and decode time per clip, Ringside vs the peer.
fn bench_asr(g: &Globals, clips: Vec<PathBuf>) -> Result<()> {
    let clips = if clips.is_empty() {
        let dir = repo_root().join("tests/fixtures/asr");
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wav"))
            .collect();
        v.sort();
        v
    } else {
        clips
    };
    if clips.is_empty() {
        bail!("no clips given");
    }
    let mut refs = Vec::new();
    for c in &clips {
        let t = c.with_extension("txt");
        refs.push(
            std::fs::read_to_string(&t).with_context(|| {
                format!("{} needs its known text in {}", c.display(), t.display())
            })?,
        );
    }
    let model = super::model_path(g, None)?;
    let mut t = Transcriber::new(&model, &g.config.asr)?;
    let audio: Vec<Vec<f32>> = clips
        .iter()
        .map(|c| read_wav(c).map(|a| a.mono()))
        .collect::<Result<_, _>>()?;
    // Warm-up, untimed, like the peer.
    t.transcribe(&audio[0], DecodeMode::Utterance)?;
    let mut ours = Vec::new();
    for a in &audio {
        let s = Instant::now();
        let tr = t.transcribe(a, DecodeMode::Utterance)?;
        ours.push((tr.text(), s.elapsed().as_secs_f64()));
    }
    let mut args = vec![
        "--model-dir".to_string(),
        peer::ct2_dir(g)?.display().to_string(),
    ];
    args.extend(clips.iter().map(|c| c.display().to_string()));
    let peer = peer::run_peer(&args)?;
    if peer.len() != clips.len() {
        bail!(
            "the peer returned {} results for {} clips",
            peer.len(),
            clips.len()
        );
    }
    println!(
        "{:<28} {:>6} {:>9} {:>9} {:>7} {:>7}",
        "clip", "secs", "ours_s", "peer_s", "wer", "peer_wer"
    );
    let (mut e_ours, mut e_peer, mut n) = (0, 0, 0);
    let mut ratios = Vec::new();
    for (i, c) in clips.iter().enumerate() {
        let (text, secs) = &ours[i];
        let ptext = peer[i]["text"].as_str().unwrap_or("");
        let psecs = peer[i]["decode_s"].as_f64().unwrap_or(f64::NAN);
        let (eo, k) = edits(&refs[i], text);
        let (ep, _) = edits(&refs[i], ptext);
        e_ours += eo;
        e_peer += ep;
        n += k;
        ratios.push(secs / psecs);
        let name = c
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<28} {:>6.2} {:>9.3} {:>9.3} {:>7.3} {:>7.3}",
            name,
            audio[i].len() as f64 / SAMPLE_RATE_HZ as f64,
            secs,
            psecs,
            eo as f64 / k.max(1) as f64,
            ep as f64 / k.max(1) as f64
        );
        println!("    ref:  {}", refs[i].trim());
        println!("    ours: {text}");
        println!("    peer: {ptext}");
    }
    let ours_med = median(&ours.iter().map(|x| x.1).collect::<Vec<_>>());
    let peer_med = median(
        &peer
            .iter()
            .filter_map(|p| p["decode_s"].as_f64())
            .collect::<Vec<_>>(),
    );
    println!(
        "clips={} wer_ringside={:.3} wer_peer={:.3} decode_s_ringside_p50={:.3} decode_s_peer_p50={:.3} decode_ratio={:.2}",
        clips.len(),
        e_ours as f64 / n.max(1) as f64,
        e_peer as f64 / n.max(1) as f64,
        ours_med,
        peer_med,
        median(&ratios)
    );
    Ok(())
}

#[derive(serde::Deserialize)]
struct Turn {
    speaker: Speaker,
    start: f64,
    end: f64,
}

#[derive(serde::Deserialize)]
struct Truth {
    turns: Vec<Turn>,
}

/// The default benchmark call: five minutes of TTS turns, generated once into target/calls.
fn default_call() -> Result<PathBuf> {
    let out = repo_root().join("target/calls");
    let wav = out.join("long.wav");
    if wav.is_file() && wav.with_extension("truth.json").is_file() {
        return Ok(wav);
    }
    eprintln!(
        "bench: generating a 5-minute TTS call (once) into {}",
        out.display()
    );
    let st = Command::new("python3")
        .arg(repo_root().join("scripts/tts_call.py"))
        .arg(repo_root().join("tests/fixtures/calls/long.txt"))
        .args(["--min-secs", "300", "--name", "long", "--out"])
        .arg(&out)
        .status()
        .context("cannot run scripts/tts_call.py (python3)")?;
    if !st.success() {
        bail!("scripts/tts_call.py failed; run scripts/setup.sh --test for the TTS voices");
    }
    Ok(wav)
}

/// `ringside bench latency`: a long call replayed in real time through the full pipeline.
fn bench_latency(g: &Globals, call: Option<PathBuf>, speed: Speed) -> Result<()> {
    let call = match call {
        Some(c) => c,
        None => default_call()?,
    };
    let truth_path = call.with_extension("truth.json");
    let truth: Truth = serde_json::from_str(
        &std::fs::read_to_string(&truth_path)
            .with_context(|| format!("cannot read {}", truth_path.display()))?,
    )
    .with_context(|| format!("{} is not a truth file", truth_path.display()))?;
    let model = super::model_path(g, None)?;
    let transcriber = Transcriber::new(&model, &g.config.asr)?;
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    let input = Input::Replay {
        path: call.clone(),
        them: None,
        speed,
        blocks: Blocks::default(),
    };
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let duration = truth.turns.iter().map(|t| t.end).fold(0.0, f64::max);
    eprintln!(
        "bench: replaying {} ({:.0} s) at {:?} pace",
        call.display(),
        duration,
        speed
    );
    let t0 = Instant::now();
    // (speaker, start, end, ready at)
    let mut ready: Vec<(Speaker, f64, f64, Instant)> = Vec::new();
    let mut last_report = 0.0;
    let mut on_event = FnSink(|ev: Event<'_>| {
        match ev {
            Event::Record(SessionEvent::Utterance {
                speaker,
                start,
                end,
                ..
            }) => {
                ready.push((*speaker, *start, *end, Instant::now()));
            }
            Event::Audio(b) => {
                let t = samples_to_secs(b.start_sample);
                if t - last_report >= 30.0 {
                    last_report = t;
                    eprintln!(
                        "bench: {t:.0} s of {duration:.0} s, {} utterances",
                        ready.len()
                    );
                }
            }
            _ => {}
        }
        Ok(())
    });
    let decodes_before = stats.segments_decoded.load(Ordering::Relaxed);
    let retries_before = stats.decodes_retried.load(Ordering::Relaxed);
    let out = SessionBuilder::new(&g.config, input)
        .stop_flag(stop.clone())
        .stats(stats.clone())
        .sink(&mut on_event)
        .run(transcriber, &mut coach)?;
    let (summary, mut transcriber) = (out.summary, out.transcriber);
    let wall = t0.elapsed().as_secs_f64();
    let _ = stop.load(Ordering::Relaxed);
    let started = *stats
        .started
        .get()
        .ok_or_else(|| anyhow::anyhow!("the replay never started"))?;
    // Match each utterance to the turn it overlaps most (same speaker). A long turn may come
    // in parts (`vad.split_at_pause_ms`): its latency is that of its last part, the moment
    // the whole turn is known.
    let mut last_part: Vec<Option<(f64, f64, Instant)>> = vec![None; truth.turns.len()];
    let mut parts = vec![0usize; truth.turns.len()];
    for (sp, s, e, r) in &ready {
        let best = truth
            .turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == *sp)
            .map(|(i, t)| (i, (e.min(t.end) - s.max(t.start)).max(0.0)))
            .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
        if let Some((i, ov)) = best {
            if ov > 0.0 {
                parts[i] += 1;
                // The turn as heard: first start, last end, last ready.
                last_part[i] = Some(match last_part[i] {
                    None => (*s, *e, *r),
                    Some((s0, e0, r0)) => (s0.min(*s), e0.max(*e), r0.max(*r)),
                });
            }
        }
    }
    let mut lat = Vec::new();
    let mut spans = Vec::new();
    for (i, lp) in last_part.iter().enumerate() {
        let Some((s, e, r)) = lp else { continue };
        let t = &truth.turns[i];
        // At real-time pace, stream second x is delivered at `started + x`.
        let at = r.duration_since(started).as_secs_f64();
        lat.push((at - t.end) * 1000.0);
        spans.push((t.speaker, *s, *e));
        if std::env::var_os("RINGSIDE_BENCH_VERBOSE").is_some() {
            eprintln!(
                "bench: turn {i} {:?} {:.2}-{:.2} s ({:.2} s) heard {s:.2}-{e:.2} s in {} part(s), ready +{:.0} ms",
                t.speaker,
                t.start,
                t.end,
                t.end - t.start,
                parts[i],
                (at - t.end) * 1000.0
            );
        }
    }
    let split_turns = parts.iter().filter(|&&n| n > 1).count();
    let rss = peak_rss_mb();
    let stream_secs = samples_to_secs(summary.stream_samples);
    let decode_secs = stats.decode_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let rtf = decode_secs / stream_secs.max(1e-9);
    // Side by side: re-decode the same utterance audio (with the model loaded) in-process and
    // with the peer, and compare per utterance.
    let audio = read_wav(&call)?;
    let pre = g.config.vad.pre_roll_ms as f64 / 1000.0;
    let post = g.config.vad.post_roll_ms as f64 / 1000.0;
    let mut ours = Vec::new();
    let mut segs = Vec::new();
    for (sp, s, e) in &spans {
        let ch = if *sp == Speaker::Me { 0 } else { 1 };
        let a = ((s - pre).max(0.0) * SAMPLE_RATE_HZ as f64) as usize;
        let b = (((e + post) * SAMPLE_RATE_HZ as f64) as usize).min(audio.channels[ch].len());
        let started = Instant::now();
        transcriber.transcribe(&audio.channels[ch][a..b], DecodeMode::Utterance)?;
        ours.push(started.elapsed().as_secs_f64());
        segs.push(
            serde_json::json!({"wav": std::fs::canonicalize(&call)?.display().to_string(),
            "start": a as f64 / SAMPLE_RATE_HZ as f64, "end": b as f64 / SAMPLE_RATE_HZ as f64,
            "channel": if ch == 0 { "left" } else { "right" }}),
        );
    }
    let seg_file = repo_root().join("target/calls/latency_segments.json");
    if let Some(p) = seg_file.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(&seg_file, serde_json::to_string(&segs)?)?;
    let peer = peer::run_peer(&[
        "--model-dir".into(),
        peer::ct2_dir(g)?.display().to_string(),
        "--segments".into(),
        seg_file.display().to_string(),
    ])?;
    let peer_s: Vec<f64> = peer.iter().filter_map(|p| p["decode_s"].as_f64()).collect();
    let ratios: Vec<f64> = ours.iter().zip(&peer_s).map(|(o, p)| o / p).collect();
    println!("call                {}", call.display());
    println!(
        "turns / utterances  {} / {} ({} matched, {split_turns} heard in parts)",
        truth.turns.len(),
        ready.len(),
        lat.len()
    );
    println!("stream / wall       {stream_secs:.1} s / {wall:.1} s");
    println!(
        "latency (end of speech -> utterance ready): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        percentile(&lat, 100.0)
    );
    println!(
        "whisper decode      {decode_secs:.1} s in all, real-time factor {rtf:.3}; {} decodes, {} early results reused, {} early decodes cancelled, {} decoded again with the full context",
        stats.segments_decoded.load(Ordering::Relaxed) - decodes_before,
        stats.segments_reused.load(Ordering::Relaxed),
        stats.decodes_cancelled.load(Ordering::Relaxed),
        stats.decodes_retried.load(Ordering::Relaxed) - retries_before
    );
    println!(
        "decode per utterance: ours p50 {:.3} s, peer p50 {:.3} s, ratio p50 {:.2}",
        median(&ours),
        median(&peer_s),
        median(&ratios)
    );
    println!("peak RSS            {rss:.0} MB");
    println!("dropped samples     {}", summary.dropped_samples);
    println!(
        "latency_p50_ms={:.0} latency_p95_ms={:.0} rtf={:.3} rss_mb={:.0} dropped={} decode_ratio={:.2} utterances={} turns={}",
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        rtf,
        rss,
        summary.dropped_samples,
        median(&ratios),
        lat.len(),
        truth.turns.len()
    );
    Ok(())
}

/// Resident set size of process `pid` in MB.
fn rss_mb_of(pid: u32) -> f64 {
    proc_status_mb(&pid.to_string(), "VmRSS:")
}

/// `ringside bench soak`: `minutes` of call audio replayed at max speed through a daemon
/// (a child process with private data and runtime dirs under target/soak), with an SSE client
/// counting what it receives. Memory must stay flat: the RSS at the first utterance and at the
/// end are compared.
fn bench_soak(minutes: u32) -> Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let base = default_call()?;
    let long = read_wav(&base)?;
    let want = minutes as usize * 60 * SAMPLE_RATE_HZ as usize;
    let mut chans: Vec<Vec<f32>> = (0..2).map(|_| Vec::with_capacity(want)).collect();
    while chans[0].len() < want {
        for (c, src) in chans.iter_mut().zip(&long.channels) {
            c.extend_from_slice(src);
        }
    }
    let work = repo_root().join("target/soak");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("run"))?;
    let wav = std::fs::canonicalize(&work)?.join("soak.wav");
    crate::audio::wav::write_wav_16k(&wav, &[&chans[0], &chans[1]])
        .context("cannot write the soak call")?;
    let audio_secs = chans[0].len() as f64 / SAMPLE_RATE_HZ as f64;
    drop(chans);
    let exe = std::env::current_exe().context("cannot find the ringside binary")?;
    let mut daemon = Command::new(exe)
        .args(["daemon", "--port", "0", "--no-socket"])
        .env("XDG_DATA_HOME", work.join("data"))
        .env("XDG_RUNTIME_DIR", work.join("run"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot start the daemon")?;
    let pid = daemon.id();
    let mut lines = BufReader::new(daemon.stdout.take().context("daemon stdout")?).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    let addr: std::net::SocketAddr = first
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .with_context(|| format!("unexpected first daemon line {first:?}"))?;
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let token = std::fs::read_to_string(work.join("run/ringside/token"))?
        .trim()
        .to_string();
    // The live-stream client.
    let (tx, rx) = std::sync::mpsc::channel::<(String, Instant)>();
    let mut sse = std::net::TcpStream::connect(addr)?;
    write!(sse, "GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")?;
    std::thread::spawn(move || {
        for l in BufReader::new(sse).lines().map_while(Result::ok) {
            if let Some(ev) = l.strip_prefix("event:") {
                if tx.send((ev.trim().to_string(), Instant::now())).is_err() {
                    break;
                }
            } else if let Some(d) = l.strip_prefix("data:") {
                if d.contains("\"missed\"")
                    && tx
                        .send((format!("missed {}", d.trim()), Instant::now()))
                        .is_err()
                {
                    break;
                }
            }
        }
    });
    let ep = crate::control::client::Endpoint::Tcp(addr);
    let auth = format!("Bearer {token}");
    let body = serde_json::json!({"replay": wav.display().to_string(), "speed": "max"}).to_string();
    let started = Instant::now();
    let r = crate::control::client::request(
        &ep,
        "POST",
        "/api/sessions/start",
        &[("Authorization", &auth)],
        Some(body.as_bytes()),
    )?;
    if r.status >= 300 {
        bail!("the daemon refused the session: {} {}", r.status, r.json());
    }
    eprintln!(
        "bench: {:.0} minutes of call audio through the daemon at max speed (pid {pid})",
        audio_secs / 60.0
    );
    let (mut utterances, mut cues, mut lagged, mut missed) = (0u64, 0u64, 0u64, 0u64);
    let mut rss_start = f64::NAN;
    let mut rss_peak = 0.0f64;
    let mut last_print = Instant::now();
    loop {
        let (ev, _) = match rx.recv_timeout(std::time::Duration::from_secs(600)) {
            Ok(x) => x,
            Err(_) => bail!("no event from the daemon for 10 minutes"),
        };
        match ev.as_str() {
            "utterance" => {
                utterances += 1;
                if utterances == 1 {
                    rss_start = rss_mb_of(pid);
                }
            }
            "cue" => cues += 1,
            "lagged" => lagged += 1,
            "session_ended" => break,
            m if m.starts_with("missed") => {
                missed += m
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|x| x.parse::<u64>().ok())
                    .next()
                    .unwrap_or(0);
            }
            _ => {}
        }
        rss_peak = rss_peak.max(rss_mb_of(pid));
        if last_print.elapsed().as_secs() >= 30 {
            last_print = Instant::now();
            eprintln!(
                "bench: {utterances} utterances, RSS {:.0} MB",
                rss_mb_of(pid)
            );
        }
    }
    let wall = started.elapsed().as_secs_f64();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let rss_end = rss_mb_of(pid);
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let _ = daemon.wait();
    println!(
        "audio / wall        {:.0} s / {:.0} s ({:.1}x real time)",
        audio_secs,
        wall,
        audio_secs / wall
    );
    println!("events received     {utterances} utterances, {cues} cues");
    println!("events missed       {missed} ({lagged} lagged notices)");
    println!("daemon RSS          {rss_start:.1} MB at the first utterance, {rss_end:.1} MB at the end, peak {rss_peak:.1} MB");
    println!(
        "audio_min={:.0} rss_start_mb={rss_start:.1} rss_end_mb={rss_end:.1} rss_growth_mb={:.1} utterances={utterances} cues={cues} dropped_events={missed}",
        audio_secs / 60.0,
        rss_end - rss_start
    );
    let _ = std::fs::remove_file(&wav);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_edits() {
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(median(&v), 3.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(edits("is now a bad time", "is now bad time"), (1, 5));
    }
}

/// One line of `bench voice`.
struct HeardLine {
    scenario: String,
    voice: String,
    text: String,
    heard: String,
    edits: usize,
    words: usize,
}

/// Synthesis time and audio length of one voice, for its real-time factor.
#[derive(Default)]
struct SynthTime {
    synth_s: f64,
    audio_s: f64,
    lines: usize,
}

/// `ringside bench voice`: every line of every built-in scenario spoken by its persona's voice
/// (or `--voice`), synthesized into an empty cache (so the timings are uncached) and
/// transcribed back with `transcribe`'s offline path ([`crate::app::transcribe_offline`]).
fn bench_voice(g: &Globals, only: Option<&str>) -> Result<()> {
    use crate::roleplay::voice::{Tts, VoiceSpec};
    use crate::roleplay::Scenario;
    use std::collections::BTreeMap;

    let scenarios = Scenario::builtins()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .context("a built-in scenario does not load")?;
    let model = super::model_path(g, None)?;
    let mut t = Transcriber::new(&model, &g.config.asr)?;
    let cache = tempfile::tempdir().context("cannot create a temporary TTS cache")?;
    let tts = Tts::new(cache.path().to_path_buf()).with_models_dir(g.models_dir()?);
    let mut heard: Vec<HeardLine> = Vec::new();
    let mut times: BTreeMap<String, SynthTime> = BTreeMap::new();
    let mut warmed: Vec<VoiceSpec> = Vec::new();
    for s in &scenarios {
        let spec_text = only.unwrap_or(&s.voice);
        let spec = VoiceSpec::parse(spec_text).map_err(anyhow::Error::msg)?;
        if !warmed.contains(&spec) {
            // Untimed: loads the Piper session (once per process) and warms Whisper.
            let (a, _) = tts.line(&spec, "Okay, let's begin.")?;
            t.transcribe(&a, DecodeMode::Utterance)?;
            warmed.push(spec.clone());
        }
        let mut dedup: Vec<&String> = Vec::new();
        for line in &s.lines {
            if !dedup.contains(&line) {
                dedup.push(line);
            }
        }
        for line in dedup {
            let started = Instant::now();
            let (audio, cached) = tts.line(&spec, line)?;
            let synth_s = started.elapsed().as_secs_f64();
            let tm = times.entry(spec.to_string()).or_default();
            if !cached {
                tm.synth_s += synth_s;
                tm.audio_s += samples_to_secs(audio.len() as u64);
                tm.lines += 1;
            }
            let spans = crate::app::transcribe_offline(&g.config, &mut t, &audio)?;
            let text = spans
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let (e, n) = edits(line, &text);
            heard.push(HeardLine {
                scenario: s.name.clone(),
                voice: spec.to_string(),
                text: line.clone(),
                heard: text,
                edits: e,
                words: n,
            });
        }
    }
    let rate = |e: usize, n: usize| e as f64 / n.max(1) as f64;
    println!(
        "{:<22} {:<32} {:>5} {:>6} {:>6}",
        "scenario", "voice", "lines", "words", "wer"
    );
    for s in &scenarios {
        let mine: Vec<&HeardLine> = heard.iter().filter(|h| h.scenario == s.name).collect();
        let (e, n) = mine
            .iter()
            .fold((0, 0), |a, h| (a.0 + h.edits, a.1 + h.words));
        println!(
            "{:<22} {:<32} {:>5} {:>6} {:>6.3}",
            s.name,
            mine.first().map_or("", |h| h.voice.as_str()),
            mine.len(),
            n,
            rate(e, n)
        );
    }
    println!();
    println!(
        "{:<32} {:>5} {:>7} {:>8} {:>8} {:>6}",
        "voice", "lines", "wer", "synth_s", "audio_s", "rtf"
    );
    let mut per_engine: BTreeMap<&'static str, (usize, usize, f64, f64)> = BTreeMap::new();
    for (voice, tm) in &times {
        let mine: Vec<&HeardLine> = heard.iter().filter(|h| &h.voice == voice).collect();
        let (e, n) = mine
            .iter()
            .fold((0, 0), |a, h| (a.0 + h.edits, a.1 + h.words));
        println!(
            "{:<32} {:>5} {:>7.3} {:>8.2} {:>8.2} {:>6.3}",
            voice,
            mine.len(),
            rate(e, n),
            tm.synth_s,
            tm.audio_s,
            tm.synth_s / tm.audio_s.max(1e-9)
        );
        let engine = VoiceSpec::parse(voice).map_or("other", |v| v.engine());
        let x = per_engine.entry(engine).or_default();
        *x = (x.0 + e, x.1 + n, x.2 + tm.synth_s, x.3 + tm.audio_s);
    }
    println!();
    println!("worst lines:");
    let mut worst: Vec<&HeardLine> = heard.iter().filter(|h| h.edits > 0).collect();
    worst.sort_by(|a, b| {
        rate(b.edits, b.words)
            .total_cmp(&rate(a.edits, a.words))
            .then(b.edits.cmp(&a.edits))
    });
    for h in worst.iter().take(5) {
        println!(
            "  {:.3} {} ({}): {:?}\n        heard: {:?}",
            rate(h.edits, h.words),
            h.scenario,
            h.voice,
            h.text,
            h.heard
        );
    }
    if worst.is_empty() {
        println!("  none: every line heard word for word");
    }
    let (e, n) = heard
        .iter()
        .fold((0, 0), |a, h| (a.0 + h.edits, a.1 + h.words));
    let mut last = format!(
        "scenarios={} lines={} words={n} wer={:.3}",
        scenarios.len(),
        heard.len(),
        rate(e, n)
    );
    for (engine, (e, n, synth, audio)) in &per_engine {
        last.push_str(&format!(
            " wer_{engine}={:.3} rtf_{engine}={:.3}",
            rate(*e, *n),
            synth / audio.max(1e-9)
        ));
    }
    println!("{last}");
    Ok(())
}
