//! The one test-support module of the integration tests: paths (repo, fixtures, assets, the
//! model), ground truth of TTS calls, word error rate, and [`daemon`] (a daemon under test).

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod daemon;
pub mod virtual_line;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// A file the binary embeds (`assets/`), e.g. the sample call.
pub fn asset(rel: &str) -> PathBuf {
    repo().join("assets").join(rel)
}

/// The built-in sample call (stereo: left = me, right = them).
pub fn sample_call() -> PathBuf {
    asset("sample_call.wav")
}

/// The directory holding ggml-tiny.en.bin (installed by `ringside model fetch tiny.en`; the
/// test script runs it first). Fails loudly when missing: these tests must not pass without
/// the real model.
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("RINGSIDE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("models"));
    assert!(
        dir.join("ggml-tiny.en.bin").is_file(),
        "the Whisper model {}/ggml-tiny.en.bin is missing: run `cargo run -- model fetch tiny.en` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// The default model file.
pub fn model() -> PathBuf {
    models_dir().join("ggml-tiny.en.bin")
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Turn {
    pub speaker: String,
    pub text: String,
    pub start: f64,
    pub end: f64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Truth {
    pub turns: Vec<Turn>,
}

pub fn truth(path: &Path) -> Truth {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[allow(unused_imports)] // each test binary uses a different part
pub use ringside::wer::{edits as edit_distance, wer, words};
