//! `ringside transcribe` on real TTS speech with the real model, and its errors on bad input.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    c.env("RINGSIDE_MODELS", common::model().parent().unwrap());
    c
}

#[test]
fn tts_clips_are_transcribed_with_low_word_error_rate() {
    let dir = common::fixture("asr");
    let mut clips: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    clips.sort();
    assert!(clips.len() >= 4);
    let (mut errs, mut n) = (0, 0);
    for clip in &clips {
        let out = ringside()
            .args(["transcribe", "--json"])
            .arg(clip)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let reference = std::fs::read_to_string(clip.with_extension("txt")).unwrap();
        let hyp = v["text"].as_str().unwrap();
        eprintln!("{}: {hyp}", clip.display());
        let (e, k) = common::edit_distance(&common::words(&reference), &common::words(hyp));
        errs += e;
        n += k;
        assert!(!v["segments"].as_array().unwrap().is_empty());
    }
    let wer = errs as f64 / n as f64;
    eprintln!("WER {wer:.3} over {n} words");
    assert!(wer < 0.10, "WER {wer:.3}");
}

#[test]
fn transcribe_prints_timestamped_lines() {
    let out = ringside()
        .arg("transcribe")
        .arg(common::fixture("asr/01.wav"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    // Lines start at the detected onset of speech (the clip has a short lead-in).
    assert!(s.starts_with("[   0.") && s.contains(" -> "), "{s}");
    assert!(s.to_lowercase().contains("bad time"), "{s}");
}

fn fails_with(args: &[&str], file: &std::path::Path, needles: &[&str]) {
    let out = ringside().args(args).arg(file).output().unwrap();
    assert!(
        !out.status.success(),
        "should fail: {args:?} {}",
        file.display()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim().lines().last().unwrap_or("");
    assert!(last.starts_with("ringside: error:"), "{err}");
    for n in needles {
        assert!(last.contains(n), "{n:?} not in {last:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_corrupt_and_non_wav_inputs_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        &["transcribe"],
        &dir.path().join("nope.wav"),
        &["nope.wav", "cannot open"],
    );
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "these are meeting notes, not audio").unwrap();
    fails_with(
        &["transcribe"],
        &text,
        &["notes.wav", "not a readable WAV", "sox"],
    );
    let empty = dir.path().join("empty.wav");
    ringside::audio::wav::write_wav_16k(&empty, &[&[]]).unwrap();
    fails_with(&["transcribe"], &empty, &["empty.wav", "no audio samples"]);
    // A WAV cut in the middle of its header.
    let cut = dir.path().join("cut.wav");
    let bytes = std::fs::read(common::fixture("asr/01.wav")).unwrap();
    std::fs::write(&cut, &bytes[..30]).unwrap();
    fails_with(&["transcribe"], &cut, &["cut.wav"]);
}

#[test]
fn missing_or_corrupt_model_fails_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let clip = common::fixture("asr/01.wav");
    // A models dir without the model and without network: the fetch fails or the file is
    // missing; either way the message names the model and the command to fetch it.
    let bad = dir.path().join("garbage.bin");
    std::fs::write(&bad, vec![7u8; 4096]).unwrap();
    let out = ringside()
        .args(["transcribe", "--model"])
        .arg(&bad)
        .arg(&clip)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("garbage.bin"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A truncated copy of the real model.
    let cut = dir.path().join("ggml-cut.bin");
    let real = std::fs::read(common::model()).unwrap();
    std::fs::write(&cut, &real[..real.len() / 3]).unwrap();
    let out = ringside()
        .args(["transcribe", "--model"])
        .arg(&cut)
        .arg(&clip)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ggml-cut.bin"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}
