//! `ringside eval real MANIFEST`: Ringside on recordings of real people, side by side with the
//! peer (faster-whisper on the same weights, `scripts/peer_asr.py`) in the same run.
//!
//! The manifest is JSON lines, `{"file", "text", "kind": "word"|"sentence", "speaker", ...}`,
//! files relative to the manifest (see `tests/fixtures/real/README.md`). Four parts:
//! 1. every clip through the live segmenter and decoder (VAD, then Whisper per utterance), WER
//!    against the reference, and the peer on the same clips;
//! 2. every one-word clip placed as the counterpart's answer to a question inside one stereo
//!    call, run through the whole pipeline (`app`): heard, right word, right act;
//! 3. 60 s each of silence, white noise, pink noise and babble: utterances produced (want 0);
//! 4. decode time of ours against the peer's on the same clips.
//!
//! The last line is `key=value` pairs for scripts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::Globals;
use crate::app::{Input, SessionBuilder};
use crate::audio::signals;
use crate::audio::wav::{read_wav, write_wav_16k};
use crate::event::Speed;
use crate::event::{Act, Speaker, SAMPLE_RATE_HZ};
use crate::event::{Event, SessionEvent};
use crate::sinks::FnSink;
use crate::sources::replay::Blocks;
use crate::transforms::coach::Coach;
use crate::transforms::segment::{SegmentEvent, Segmenter};
use crate::transforms::transcribe::{DecodeMode, Transcriber};

/// One row of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestRow {
    pub file: PathBuf,
    pub text: String,
    pub kind: String,
    #[serde(default)]
    pub speaker: String,
    #[serde(default)]
    pub band: String,
}

/// Reads a manifest; file paths come back resolved against its directory.
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestRow>> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the manifest {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut r: ManifestRow = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a manifest row (want file, text, kind)",
                path.display(),
                i + 1
            )
        })?;
        r.file = base.join(&r.file);
        rows.push(r);
    }
    if rows.is_empty() {
        bail!("{}: no clips", path.display());
    }
    Ok(rows)
}

/// A private scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("ringside-eval-{}-{nanos:08x}", std::process::id()));
        // create_dir, not create_dir_all: an existing path (or a planted symlink) is an error.
        std::fs::create_dir(&dir)
            .with_context(|| format!("cannot create a scratch directory {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The live segmenter and decoder over one clip (with 0.5 s of silence around it, as inside a
/// call): the utterance texts joined, and the seconds spent decoding.
fn pipeline_text(g: &Globals, t: &mut Transcriber, clip: &[f32]) -> Result<(String, f64)> {
    let pad = SAMPLE_RATE_HZ as usize / 2;
    let mut audio = vec![0.0; pad];
    audio.extend_from_slice(clip);
    audio.extend(std::iter::repeat_n(0.0, pad + SAMPLE_RATE_HZ as usize));
    let mut seg = Segmenter::new(Speaker::Them, &g.config.vad);
    let mut ev = Vec::new();
    let mut pos = 0u64;
    for b in audio.chunks(320) {
        seg.process(pos, b, &mut ev);
        pos += b.len() as u64;
    }
    seg.finish(&mut ev);
    let mut texts = Vec::new();
    let mut secs = 0.0;
    for e in ev {
        if let SegmentEvent::Final(s) = e {
            let t0 = Instant::now();
            let tr = t.transcribe(&s.samples, DecodeMode::Utterance)?;
            secs += t0.elapsed().as_secs_f64();
            let text = tr.text();
            if !text.is_empty() {
                texts.push(text);
            }
            for (d, why) in &tr.dropped {
                texts.push(format!("<dropped: {d:?} ({why})>"));
            }
            texts.push(format!(
                "<lp {:.2} ns {:.2}{}>",
                tr.avg_logprob,
                tr.no_speech,
                if tr.retried { " retried" } else { "" }
            ));
        }
    }
    Ok((texts.join(" "), secs))
}

/// The text without the `<...>` notes of `pipeline_text` (dropped text, confidence).
fn strip_dropped(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        match rest[i..].find('>') {
            Some(j) => rest = &rest[i + j + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// An utterance as the pipeline gave it: speaker, start s, end s, text, act.
pub(crate) type Heard = (Speaker, f64, f64, String, Act);

/// Runs a stereo WAV through the whole pipeline at full speed; returns the utterances as
/// (speaker, start s, end s, text, act). Also the pipeline of `eval calls`.
pub(crate) fn run_call(
    g: &Globals,
    transcriber: Transcriber,
    path: &Path,
) -> Result<(Vec<Heard>, Transcriber)> {
    let mut coach = Coach::load(g.config.coach.rules.as_deref())?;
    let input = Input::Replay {
        path: path.to_path_buf(),
        them: None,
        speed: Speed::Max,
        blocks: Blocks::default(),
    };
    let mut out = Vec::new();
    let mut on_event = FnSink(|ev: Event<'_>| {
        if let Event::Record(SessionEvent::Utterance {
            speaker,
            start,
            end,
            text,
            act,
            ..
        }) = ev
        {
            out.push((*speaker, *start, *end, text.clone(), *act));
        }
        Ok(())
    });
    let ran = SessionBuilder::new(&g.config, input)
        .sink(&mut on_event)
        .run(transcriber, &mut coach)?;
    Ok((out, ran.transcriber))
}

/// The words that count as saying `expected` ("yes" is also "yeah", "yep", ...).
fn says(expected: &str, text: &str) -> bool {
    let words = crate::wer::words(text);
    let alts: &[&str] = match expected {
        "yes" => &["yes", "yeah", "yep", "yup", "ya", "yea"],
        "no" => &["no", "nope", "nah"],
        "right" => &["right"],
        other => return words.iter().any(|w| w == other),
    };
    words.iter().any(|w| alts.contains(&w.as_str()))
}

/// True when `act` is the act a one-word answer `word` should get.
fn act_fits(word: &str, act: Act) -> bool {
    match word {
        "no" => act == Act::No,
        _ => matches!(
            act,
            Act::ConfirmationYes | Act::CommitmentYes | Act::CounterfeitYes | Act::ThatsRight
        ),
    }
}

pub fn run(g: &Globals, manifest: &Path, with_peer: bool, asr_only: bool) -> Result<()> {
    let rows = read_manifest(manifest)?;
    let model = super::model_path(g, None)?;
    let mut t = Transcriber::new(&model, &g.config.asr)?;
    let audio: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| {
            read_wav(&r.file)
                .map(|a| a.mono())
                .with_context(|| format!("reading {}", r.file.display()))
        })
        .collect::<Result<_>>()?;
    let total = rows.len();
    eprintln!("eval real: {total} clips from {}", manifest.display());

    // 1. Every clip through the live segmenter + decoder.
    let _ = t.transcribe(&audio[0], DecodeMode::Utterance)?; // warm-up, untimed, like the peer
    let mut ours: Vec<(String, f64)> = Vec::with_capacity(total);
    for (i, a) in audio.iter().enumerate() {
        ours.push(pipeline_text(g, &mut t, a)?);
        if (i + 1) % 20 == 0 {
            eprintln!("eval real: decoded {}/{total} clips", i + 1);
        }
    }
    let peer: Option<Vec<serde_json::Value>> = if with_peer {
        let mut args = vec![
            "--model-dir".to_string(),
            super::peer::ct2_dir(g)?.display().to_string(),
        ];
        args.extend(rows.iter().map(|r| r.file.display().to_string()));
        let p = super::peer::run_peer(&args)?;
        if p.len() != total {
            bail!("the peer returned {} results for {} clips", p.len(), total);
        }
        Some(p)
    } else {
        None
    };
    let peer_text = |i: usize| -> String {
        peer.as_ref()
            .and_then(|p| p[i]["text"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let peer_secs = |i: usize| -> f64 {
        peer.as_ref()
            .and_then(|p| p[i]["decode_s"].as_f64())
            .unwrap_or(f64::NAN)
    };

    // Per kind and band: (our edits, peer edits, reference words, our decode s, peer decode s).
    let mut by_group: BTreeMap<String, (usize, usize, usize, f64, f64)> = BTreeMap::new();
    let (mut word_right_ours, mut word_right_peer, mut words_n) = (0, 0, 0);
    println!(
        "{:<34} {:>5} {:>7} {:>7} {:>6} {:>6}",
        "clip", "secs", "ours_s", "peer_s", "wer", "peer"
    );
    for (i, r) in rows.iter().enumerate() {
        let reference = crate::wer::words(&r.text);
        let kept = strip_dropped(&ours[i].0);
        let (eo, n) = crate::wer::edits(&reference, &crate::wer::words(&kept));
        let (ep, _) = crate::wer::edits(&reference, &crate::wer::words(&peer_text(i)));
        let key = format!(
            "{}{}",
            r.kind,
            if r.band == "tel" { " (8 kHz)" } else { "" }
        );
        let e = by_group.entry(key).or_default();
        e.0 += eo;
        e.1 += ep;
        e.2 += n;
        e.3 += ours[i].1;
        e.4 += peer_secs(i);
        if r.kind == "word" {
            words_n += 1;
            word_right_ours += usize::from(says(&r.text.to_lowercase(), &kept));
            word_right_peer += usize::from(says(&r.text.to_lowercase(), &peer_text(i)));
        }
        let name = r
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<34} {:>5.2} {:>7.3} {:>7.3} {:>6.2} {:>6.2}",
            name,
            audio[i].len() as f64 / SAMPLE_RATE_HZ as f64,
            ours[i].1,
            peer_secs(i),
            eo as f64 / n.max(1) as f64,
            ep as f64 / n.max(1) as f64
        );
        if eo > 0 || ep > 0 || std::env::var_os("RINGSIDE_EVAL_VERBOSE").is_some() {
            println!("    ref:  {}", r.text);
            println!("    ours: {}", ours[i].0);
            if with_peer {
                println!("    peer: {}", peer_text(i));
            }
        }
    }
    println!();
    println!(
        "{:<22} {:>8} {:>8} {:>10} {:>10} {:>7}",
        "set", "wer", "peer", "ours_s", "peer_s", "ratio"
    );
    for (k, (eo, ep, n, so, sp)) in &by_group {
        println!(
            "{:<22} {:>8.3} {:>8.3} {:>10.2} {:>10.2} {:>7.2}",
            k,
            *eo as f64 / (*n).max(1) as f64,
            *ep as f64 / (*n).max(1) as f64,
            so,
            sp,
            so / sp
        );
    }
    let sent: Vec<&(usize, usize, usize, f64, f64)> = by_group
        .iter()
        .filter(|(k, _)| k.starts_with("sentence"))
        .map(|(_, v)| v)
        .collect();
    let s_n: usize = sent.iter().map(|v| v.2).sum();
    let wer_ours = sent.iter().map(|v| v.0).sum::<usize>() as f64 / s_n.max(1) as f64;
    let wer_peer = sent.iter().map(|v| v.1).sum::<usize>() as f64 / s_n.max(1) as f64;
    let decode_ours: f64 = sent.iter().map(|v| v.3).sum();
    let decode_peer: f64 = sent.iter().map(|v| v.4).sum();
    // Without the peer (--no-peer) its figures are not known: say so instead of printing 0s.
    let peer_fig = |x: f64, digits: usize| {
        if with_peer {
            format!("{x:.digits$}")
        } else {
            "n/a".to_string()
        }
    };
    let wer_peer_s = peer_fig(wer_peer, 3);
    let decode_peer_s = peer_fig(decode_peer, 2);
    let decode_ratio_s = peer_fig(decode_ours / decode_peer, 2);
    let word_right_peer_s = peer_fig(word_right_peer as f64, 0);

    if asr_only {
        println!(
            "sentences={} wer_ringside={wer_ours:.3} wer_peer={wer_peer_s} decode_s_ringside={decode_ours:.2} decode_s_peer={decode_peer_s} word_right={:.3}",
            rows.iter().filter(|r| r.kind == "sentence").count(),
            word_right_ours as f64 / words_n.max(1) as f64
        );
        return Ok(());
    }

    // 2. One-word answers inside a call.
    let scratch = Scratch::new()?;
    let questions = read_questions(manifest)?;
    let mut left: Vec<f32> = Vec::new();
    let mut right: Vec<f32> = Vec::new();
    // (word, answer start s, answer end s)
    let mut answers: Vec<(String, f64, f64)> = Vec::new();
    let mut q_count = 0usize;
    for (i, r) in rows.iter().enumerate() {
        if r.kind != "word" {
            continue;
        }
        let q = &questions[q_count % questions.len()];
        q_count += 1;
        let gap = SAMPLE_RATE_HZ as usize * 6 / 10;
        left.extend_from_slice(q);
        right.extend(std::iter::repeat_n(0.0, q.len()));
        left.extend(std::iter::repeat_n(0.0, gap + audio[i].len()));
        right.extend(std::iter::repeat_n(0.0, gap));
        let start = right.len() as f64 / SAMPLE_RATE_HZ as f64;
        right.extend_from_slice(&audio[i]);
        answers.push((
            r.text.to_lowercase(),
            start,
            right.len() as f64 / SAMPLE_RATE_HZ as f64,
        ));
        let pause = SAMPLE_RATE_HZ as usize * 12 / 10;
        left.extend(std::iter::repeat_n(0.0, pause));
        right.extend(std::iter::repeat_n(0.0, pause));
    }
    let (mut heard, mut right_word, mut right_act) = (0usize, 0usize, 0usize);
    let mut extra_them = 0usize;
    if !answers.is_empty() {
        let call = scratch.0.join("answers_call.wav");
        write_wav_16k(&call, &[&left, &right])
            .with_context(|| format!("cannot write {}", call.display()))?;
        eprintln!(
            "eval real: {} one-word answers inside a {:.0} s call",
            answers.len(),
            left.len() as f64 / SAMPLE_RATE_HZ as f64
        );
        let (utts, t2) = run_call(g, t, &call)?;
        t = t2;
        let mut used = vec![false; utts.len()];
        for (word, s, e) in &answers {
            let hits: Vec<usize> = utts
                .iter()
                .enumerate()
                .filter(|(_, u)| u.0 == Speaker::Them && u.2 > s - 0.3 && u.1 < e + 0.5)
                .map(|(k, _)| k)
                .collect();
            for k in &hits {
                used[*k] = true;
            }
            if hits.is_empty() {
                let near: Vec<String> = utts
                    .iter()
                    .filter(|u| u.2 > s - 3.0 && u.1 < e + 3.0)
                    .map(|u| format!("{} {:.1}-{:.1} {:?}", u.0, u.1, u.2, u.3))
                    .collect();
                println!(
                    "answer {word:>5} at {s:6.1} s: not heard (nearby: {})",
                    near.join("; ")
                );
                continue;
            }
            heard += 1;
            let text: Vec<&str> = hits.iter().map(|k| utts[*k].3.as_str()).collect();
            let text = text.join(" ");
            let ok_word = says(word, &text);
            let ok_act = hits.iter().any(|k| act_fits(word, utts[*k].4));
            right_word += usize::from(ok_word);
            right_act += usize::from(ok_act);
            if !ok_word || !ok_act {
                let acts: Vec<&str> = hits.iter().map(|k| utts[*k].4.as_str()).collect();
                println!(
                    "answer {word:>5} at {s:6.1} s: heard {text:?} as {}",
                    acts.join("+")
                );
            }
        }
        extra_them = utts
            .iter()
            .zip(&used)
            .filter(|(u, used)| u.0 == Speaker::Them && !**used)
            .count();
    }
    let n_ans = answers.len().max(1) as f64;

    // 3. Non-speech.
    let n60 = SAMPLE_RATE_HZ as usize * 60;
    let sentences: Vec<Vec<f32>> = rows
        .iter()
        .zip(&audio)
        .filter(|(r, _)| r.kind == "sentence")
        .map(|(_, a)| a.clone())
        .collect();
    let cases: Vec<(&str, Vec<f32>)> = vec![
        ("silence", vec![0.0; n60]),
        ("white noise -30 dBFS", signals::white_noise(n60, -30.0, 11)),
        ("pink noise -30 dBFS", signals::pink_noise(n60, -30.0, 12)),
        (
            "babble -25 dBFS",
            signals::babble(&sentences, n60, 4, -25.0),
        ),
    ];
    let mut nonspeech_utts = 0usize;
    for (name, sig) in &cases {
        let path = scratch.0.join("nonspeech.wav");
        write_wav_16k(&path, &[sig, sig])
            .with_context(|| format!("cannot write {}", path.display()))?;
        let (utts, t2) = run_call(g, t, &path)?;
        t = t2;
        nonspeech_utts += utts.len();
        println!("non-speech {name:<22} 60 s: {} utterances", utts.len());
        for u in &utts {
            println!("    {} {:.1}-{:.1} {:?}", u.0, u.1, u.2, u.3);
        }
        if std::env::var_os("RINGSIDE_EVAL_VERBOSE").is_some() {
            println!("    decodes: {}", pipeline_text(g, &mut t, sig)?.0);
        }
    }
    drop(t);

    println!();
    println!(
        "real sentences: WER ours {wer_ours:.3}, peer {wer_peer_s} ({s_n} words); decode ours {decode_ours:.2} s, peer {decode_peer_s} s"
    );
    println!(
        "one-word clips alone: right word ours {word_right_ours}/{words_n}, peer {word_right_peer_s}/{words_n}"
    );
    println!(
        "one-word answers in a call: heard {heard}/{}, right word {right_word}, right act {right_act}, extra them utterances {extra_them}",
        answers.len()
    );
    println!("non-speech (4 x 60 s): {nonspeech_utts} utterances");
    println!(
        "sentences={} wer_ringside={wer_ours:.3} wer_peer={wer_peer_s} decode_ratio={decode_ratio_s} words={} word_heard={:.3} word_right={:.3} word_act={:.3} extra_them={extra_them} nonspeech_utterances={nonspeech_utts}",
        rows.iter().filter(|r| r.kind == "sentence").count(),
        answers.len(),
        heard as f64 / n_ans,
        right_word as f64 / n_ans,
        right_act as f64 / n_ans,
    );
    Ok(())
}

/// The practitioner's questions for the in-call answers: `questions.jsonl` beside the
/// manifest (yes-oriented ones only: a "yes" to a no-oriented question refuses, which would
/// make "yes" a `no`).
fn read_questions(manifest: &Path) -> Result<Vec<Vec<f32>>> {
    let base = manifest.parent().unwrap_or(Path::new("."));
    let path = base.join("questions.jsonl");
    let src = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (the questions for the calls)",
            path.display()
        )
    })?;
    let mut out = Vec::new();
    for line in src.lines().filter(|l| !l.trim().is_empty()) {
        #[derive(Deserialize)]
        struct Q {
            file: PathBuf,
            text: String,
        }
        let q: Q = serde_json::from_str(line)
            .with_context(|| format!("{}: not a question row", path.display()))?;
        let lower = q.text.to_lowercase();
        if lower.contains("bad idea") || lower.contains("given up") || lower.contains("against") {
            continue;
        }
        let a = read_wav(&base.join(&q.file))
            .with_context(|| format!("reading {}", q.file.display()))?;
        out.push(a.mono());
    }
    if out.is_empty() {
        bail!("{}: no yes-oriented question", path.display());
    }
    Ok(out)
}

/// Start and end (seconds) of the speech in `clip`: the first and last 10 ms frames within
/// 30 dB of its loudest frame. The ground truth of a real clip's end of speech, for latency.
pub fn speech_bounds(clip: &[f32]) -> (f64, f64) {
    let frame = SAMPLE_RATE_HZ as usize / 100;
    let levels: Vec<f32> = clip.chunks(frame).map(signals::rms).collect();
    let peak = levels.iter().copied().fold(0.0f32, f32::max);
    let floor = (peak * 0.0316).max(1e-4);
    let first = levels.iter().position(|l| *l >= floor).unwrap_or(0);
    let last = levels.iter().rposition(|l| *l >= floor).unwrap_or(0);
    (
        (first * frame) as f64 / SAMPLE_RATE_HZ as f64,
        ((last + 1) * frame).min(clip.len()) as f64 / SAMPLE_RATE_HZ as f64,
    )
}

/// Builds a stereo call from a manifest of real clips for `bench latency --real`: a (TTS)
/// question on the left, then every `step`-th real clip as the answer on the right, 0.7 s
/// later; writes `out/real.wav` and `out/real.truth.json` (turns with their true speech
/// bounds) and returns the WAV's path.
pub fn build_real_call(manifest: &Path, out: &Path, step: usize) -> Result<PathBuf> {
    let rows = read_manifest(manifest)?;
    let questions = read_questions(manifest)?;
    let (mut left, mut right) = (vec![0.0f32; SAMPLE_RATE_HZ as usize / 2], Vec::new());
    right.resize(left.len(), 0.0);
    let mut turns = Vec::new();
    let secs = |n: usize| n as f64 / SAMPLE_RATE_HZ as f64;
    for (i, r) in rows.iter().enumerate().step_by(step.max(1)) {
        let q = &questions[i % questions.len()];
        let (qs, qe) = speech_bounds(q);
        let at = left.len();
        turns.push(serde_json::json!({"speaker": "me", "text": "(question)",
            "start": secs(at) + qs, "end": secs(at) + qe}));
        left.extend_from_slice(q);
        let clip = read_wav(&r.file)
            .with_context(|| format!("reading {}", r.file.display()))?
            .mono();
        let gap = SAMPLE_RATE_HZ as usize * 7 / 10;
        right.resize(left.len() + gap, 0.0);
        let (cs, ce) = speech_bounds(&clip);
        let at = right.len();
        turns.push(serde_json::json!({"speaker": "them", "text": r.text,
            "start": secs(at) + cs, "end": secs(at) + ce}));
        right.extend_from_slice(&clip);
        right.extend(std::iter::repeat_n(0.0, SAMPLE_RATE_HZ as usize * 3 / 2));
        left.resize(right.len(), 0.0);
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let wav = out.join("real.wav");
    write_wav_16k(&wav, &[&left, &right])
        .with_context(|| format!("cannot write {}", wav.display()))?;
    let truth = wav.with_extension("truth.json");
    std::fs::write(&truth, serde_json::json!({ "turns": turns }).to_string())
        .with_context(|| format!("cannot write {}", truth.display()))?;
    Ok(wav)
}
