//! Real voices and non-speech, through the real model and the whole pipeline.
//!
//! - Recordings of real people (tests/fixtures/real, provenance in its README): a real "yes"
//!   and a real "no" placed as the counterpart's answers inside a stereo call are heard,
//!   transcribed and classified by `ringside analyze`.
//! - 60 s each of digital silence, white noise, pink noise and babble (time-reversed real
//!   speech, no words) give no text from `transcribe`, `analyze` and `practice` (regression:
//!   "you" at 30 s of silence, "I'm going to say that" from babble, a talk-ratio cue on noise).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ringside::audio::signals;
use ringside::audio::wav::{read_wav, write_wav_16k};

const SR: usize = 16_000;

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    c.env("RINGSIDE_MODELS", common::model().parent().unwrap());
    c.env("NO_COLOR", "1");
    c
}

fn real(name: &str) -> Vec<f32> {
    read_wav(&common::fixture(&format!("real/{name}")))
        .unwrap()
        .mono()
}

/// Runs `ringside analyze FILE` into `sessions`; returns the session's events.
fn analyze(file: &Path, sessions: &Path) -> Vec<serde_json::Value> {
    let out = ringside()
        .arg("analyze")
        .arg(file)
        .arg("--sessions-dir")
        .arg(sessions)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let dir = PathBuf::from(stdout.lines().last().unwrap().trim());
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs `ringside transcribe --json FILE`; returns its JSON.
fn transcribe_json(file: &Path) -> serde_json::Value {
    let out = ringside()
        .args(["transcribe", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn of_type<'a>(events: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

#[test]
fn real_yes_and_no_inside_a_call_are_heard_and_classified() {
    let tmp = tempfile::tempdir().unwrap();
    // Left: a (TTS) practitioner asks yes-oriented questions; right: a real person answers.
    let q1 = real("questions/q_insurance.wav");
    let q2 = real("questions/q_tuesday.wav");
    let answers = [
        ("yes", real("clips/word_yes_gsc_07.wav")),
        ("no", real("clips/word_no_gsc_03.wav")),
        ("yes", real("clips/word_yes_gsc_13.wav")),
        ("no", real("clips/word_no_gsc_08.wav")),
    ];
    let (mut left, mut right) = (vec![0.0f32; SR / 2], vec![0.0f32; SR / 2]);
    let mut spans = Vec::new();
    for (i, (word, a)) in answers.iter().enumerate() {
        let q = if i % 2 == 0 { &q1 } else { &q2 };
        left.extend_from_slice(q);
        right.extend(std::iter::repeat_n(0.0, q.len() + SR * 6 / 10));
        left.extend(std::iter::repeat_n(0.0, SR * 6 / 10 + a.len() + SR * 3 / 2));
        let start = right.len() as f64 / SR as f64;
        right.extend_from_slice(a);
        spans.push((*word, start, right.len() as f64 / SR as f64));
        right.extend(std::iter::repeat_n(0.0, SR * 3 / 2));
    }
    let call = tmp.path().join("call.wav");
    write_wav_16k(&call, &[&left, &right]).unwrap();
    let events = analyze(&call, &tmp.path().join("sessions"));
    let utts = of_type(&events, "utterance");
    for (word, s, e) in spans {
        let hit: Vec<_> = utts
            .iter()
            .filter(|u| {
                u["speaker"] == "them"
                    && u["end"].as_f64().unwrap() > s - 0.3
                    && u["start"].as_f64().unwrap() < e + 0.5
            })
            .collect();
        assert_eq!(hit.len(), 1, "{word} at {s:.1} s: {utts:#?}");
        let text = hit[0]["text"].as_str().unwrap().to_lowercase();
        let act = hit[0]["act"].as_str().unwrap();
        match word {
            "yes" => {
                assert!(
                    text.contains("yes") || text.contains("yeah"),
                    "{word} at {s:.1} s heard as {text:?}"
                );
                assert!(
                    ["confirmation_yes", "commitment_yes", "counterfeit_yes"].contains(&act),
                    "{text:?} classified {act}"
                );
            }
            _ => {
                assert!(text.contains("no"), "{word} at {s:.1} s heard as {text:?}");
                assert_eq!(act, "no", "{text:?}");
            }
        }
    }
    // Nothing else on the counterpart's channel.
    let them = utts.iter().filter(|u| u["speaker"] == "them").count();
    assert_eq!(them, 4, "{utts:#?}");
}

/// 60 s of each non-speech signal, as a stereo file (the same on both channels).
fn nonspeech(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let n = SR * 60;
    let speech = vec![
        real("clips/sent_ljspeech_01.wav"),
        real("clips/sent_timit_ldc93s1_01.wav"),
        real("clips/sent_jfk_01.wav"),
        real("clips/sent_osr_harvard_l01_01.wav"),
    ];
    let cases: Vec<(&'static str, Vec<f32>)> = vec![
        ("silence", vec![0.0; n]),
        ("white_noise", signals::white_noise(n, -30.0, 21)),
        ("pink_noise", signals::pink_noise(n, -30.0, 22)),
        ("babble", signals::babble(&speech, n, 4, -25.0)),
    ];
    cases
        .into_iter()
        .map(|(name, sig)| {
            let p = dir.join(format!("{name}.wav"));
            write_wav_16k(&p, &[&sig, &sig]).unwrap();
            (name, p)
        })
        .collect()
}

#[test]
fn silence_noise_and_babble_give_no_text_from_transcribe() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, file) in nonspeech(tmp.path()) {
        let v = transcribe_json(&file);
        assert_eq!(v["text"], "", "{name}: {v}");
        assert_eq!(v["segments"].as_array().unwrap().len(), 0, "{name}: {v}");
    }
}

#[test]
fn silence_noise_and_babble_give_no_utterance_or_cue_from_analyze() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, file) in nonspeech(tmp.path()) {
        let events = analyze(&file, &tmp.path().join(format!("sessions-{name}")));
        assert!(
            of_type(&events, "utterance").is_empty(),
            "{name}: {events:#?}"
        );
        assert!(of_type(&events, "cue").is_empty(), "{name}: {events:#?}");
    }
}

#[test]
fn silence_noise_and_babble_give_no_utterance_or_cue_from_practice() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, file) in nonspeech(tmp.path()) {
        let out = ringside()
            .args([
                "practice",
                "--json",
                "--no-record",
                "--speed",
                "max",
                "--replay",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(
                v["type"] != "utterance" && v["type"] != "cue",
                "{name}: {line}"
            );
        }
    }
}

#[test]
fn a_single_real_yes_is_transcribed_once() {
    // Regression: a 4 s file with one "yes" gave "Yes." three times.
    let tmp = tempfile::tempdir().unwrap();
    let mut sig = vec![0.0f32; SR * 3 / 2];
    sig.extend(real("clips/word_yes_gsc_01.wav"));
    sig.extend(vec![0.0f32; SR * 3 / 2]);
    let file = tmp.path().join("yes.wav");
    write_wav_16k(&file, &[&sig]).unwrap();
    let v = transcribe_json(&file);
    let words = ringside::wer::words(v["text"].as_str().unwrap());
    assert_eq!(words, vec!["yes".to_string()], "{v}");
}

/// A tentative decode withdrawn because speech resumed stops instead of holding up the
/// decodes queued behind it; an unraised flag changes nothing.
#[test]
fn a_withdrawn_decode_is_cancelled_and_a_kept_one_is_unchanged() {
    use ringside::config::Config;
    use ringside::transforms::transcribe::{AsrError, DecodeMode, Transcriber};
    use std::sync::atomic::{AtomicBool, Ordering};

    let cfg = Config::default();
    let mut t = Transcriber::new(&common::model(), &cfg.asr).unwrap();
    let clip = real("clips/sent_timit_ldc93s1_01.wav");
    let plain = t.transcribe(&clip, DecodeMode::Utterance).unwrap().text();
    assert!(plain.to_lowercase().contains("greasy wash"), "{plain}");
    let flag = AtomicBool::new(false);
    let kept = t
        .transcribe_cancellable(&clip, DecodeMode::Utterance, Some(&flag))
        .unwrap()
        .text();
    assert_eq!(kept, plain);
    flag.store(true, Ordering::Relaxed);
    let withdrawn = t.transcribe_cancellable(&clip, DecodeMode::Utterance, Some(&flag));
    assert!(
        matches!(withdrawn, Err(AsrError::Cancelled)),
        "{withdrawn:?}"
    );
    // The transcriber is still usable after a cancelled decode.
    assert_eq!(
        t.transcribe(&clip, DecodeMode::Utterance).unwrap().text(),
        plain
    );
}
