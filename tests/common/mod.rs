//! Shared helpers for the integration tests: ground truth of TTS calls, word error rate, paths.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The default model as installed by `ringside model fetch tiny.en` (the test script runs it
/// first). Fails loudly when missing: these tests must not pass without the real model.
pub fn model() -> PathBuf {
    let dir = std::env::var_os("RINGSIDE_MODELS").map(PathBuf::from).unwrap_or_else(|| repo().join("models"));
    let p = dir.join("ggml-tiny.en.bin");
    assert!(
        p.is_file(),
        "the Whisper model {} is missing: run `cargo run -- model fetch tiny.en` (scripts/test.sh does)",
        p.display()
    );
    p
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

/// Lowercase words without punctuation; hyphens split words; a few number words unified.
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .replace(['-', '—'], " ")
        .split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect::<String>())
        .map(|w| w.trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate of `hyp` against `reference` (Levenshtein over words / reference length).
pub fn wer(reference: &str, hyp: &str) -> f64 {
    let r = words(reference);
    let h = words(hyp);
    let (errors, n) = edit_distance(&r, &h);
    if n == 0 {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    errors as f64 / n as f64
}

/// (word edits, reference words) for accumulating an overall WER.
pub fn edit_distance(r: &[String], h: &[String]) -> (usize, usize) {
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut cur = vec![i; h.len() + 1];
        for j in 1..=h.len() {
            let sub = prev[j - 1] + usize::from(r[i - 1] != h[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    (prev[h.len()], r.len())
}

#[test]
fn wer_counts_edits() {
    assert_eq!(wer("is now a bad time", "is now a bad time"), 0.0);
    assert!((wer("is now a bad time", "is now bad time") - 0.2).abs() < 1e-9);
    assert_eq!(wer("Hello, World!", "hello world"), 0.0);
}
