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

/// Records a synthetic session into `sessions_dir` without Whisper: `secs` seconds of stereo
/// tones (440 Hz "me", 660 Hz "them"), a yes-question, an answer and a cue, finished like a
/// real call (WAV markers, transcripts, scorecard, debrief). Returns its id.
pub fn synthetic_session(sessions_dir: &Path, secs: f64) -> String {
    use ringside::event::{
        Act, ClassifiedUtterance, Cue, CueId, Severity, Speaker, Utterance, SAMPLE_RATE_HZ,
    };
    use ringside::session::{Recorder, SessionMeta};
    let sr = SAMPLE_RATE_HZ as u64;
    let len = (secs * sr as f64) as u64;
    let tone = |freq: f32, start: u64, n: u64| -> Vec<f32> {
        (start..start + n)
            .map(|i| 0.2 * (2.0 * std::f32::consts::PI * freq * i as f32 / sr as f32).sin())
            .collect()
    };
    let mut rec = Recorder::create(sessions_dir, SessionMeta::default(), 2).unwrap();
    let id = rec.id().to_string();
    let mut at = 0;
    while at < len {
        let n = 1600.min(len - at);
        rec.push_audio(Speaker::Me, at, &tone(440.0, at, n))
            .unwrap();
        rec.push_audio(Speaker::Them, at, &tone(660.0, at, n))
            .unwrap();
        at += n;
    }
    let utt = |id: u64, speaker: Speaker, start: f64, end: f64, text: &str, act: Act| {
        ClassifiedUtterance {
            utterance: Utterance {
                prosody: None,
                id,
                speaker,
                start_sample: (start * sr as f64) as u64,
                end_sample: (end * sr as f64) as u64,
                text: text.into(),
                latency_ms: Some(400.0),
                hesitation: None,
            },
            act,
            why: "synthetic".into(),
            confidence: None,
            unsure: false,
        }
    };
    rec.utterance(&utt(
        0,
        Speaker::Me,
        0.2,
        1.0,
        "Do you have a minute?",
        Act::YesQuestion,
    ))
    .unwrap();
    rec.cue(&Cue {
        review_only: false,
        id: CueId::OpeningYes,
        severity: Severity::Nudge,
        message: "Openers that beg for yes raise guards.".into(),
        at_sample: sr,
        utterance_id: Some(0),
    })
    .unwrap();
    rec.utterance(&utt(
        1,
        Speaker::Them,
        1.2,
        1.8,
        "Well, I guess so.",
        Act::CounterfeitYes,
    ))
    .unwrap();
    rec.finish().unwrap();
    id
}

/// Reads a zip archive into (entry name, bytes), in archive order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}

/// The sample call as the real pipeline analyzed it, as session `id` under `sessions_dir`
/// (the golden `events.jsonl` with that id and start time, `assets/sample_call.wav` as its
/// audio): the call the drill tests drill. Its debrief ranks two moments first, each with a
/// line of theirs before it. Returns the directory.
pub fn analyzed_sample_session(sessions_dir: &Path, id: &str, started_at: &str) -> PathBuf {
    let dir = sessions_dir.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let golden = std::fs::read_to_string(fixture("golden/sample_call/events.jsonl")).unwrap();
    let first = format!(
        "{{\"channels\":2,\"id\":\"{id}\",\"sample_rate\":16000,\"started_at\":\"{started_at}\",\"type\":\"session_start\",\"version\":1}}"
    );
    let rest: Vec<&str> = golden.lines().skip(1).collect();
    std::fs::write(
        dir.join("events.jsonl"),
        format!("{first}\n{}\n", rest.join("\n")),
    )
    .unwrap();
    std::fs::copy(sample_call(), dir.join("audio.wav")).unwrap();
    dir
}
