//! The live pipeline end to end on real audio with the real Whisper model: replay of the TTS
//! sample call (known text and turn times), block-size independence, and no hallucinated
//! utterances on silence or low noise.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use ringside::app::{Input, SessionBuilder};
use ringside::config::Config;
use ringside::event::{AudioBlock, SessionEvent, Speed, Summary};
use ringside::session::SessionInfo;
use ringside::sinks::Sink;
use ringside::sources::replay::Blocks;
use ringside::transforms::coach::Coach;
use ringside::transforms::transcribe::Transcriber;

fn replay(path: &Path, speed: Speed, blocks: Blocks) -> Summary {
    let cfg = Config::default();
    let t = Transcriber::new(&common::model(), &cfg.asr).unwrap();
    let mut coach = Coach::load(None).unwrap();
    let input = Input::Replay {
        path: path.to_path_buf(),
        them: None,
        speed,
        blocks,
    };
    let mut sink = Lifecycle::default();
    let summary = SessionBuilder::new(&cfg, input)
        .sink(&mut sink)
        .run(t, &mut coach)
        .unwrap()
        .summary;
    // The sink saw the whole session, in order: begin, audio and records, finish.
    assert_eq!(sink.calls.first().map(String::as_str), Some("begin"));
    assert_eq!(sink.calls.last().map(String::as_str), Some("finish"));
    assert_eq!(sink.calls.iter().filter(|c| *c == "begin").count(), 1);
    assert!(sink.calls.iter().any(|c| c == "audio"));
    let count = |k: &str| sink.calls.iter().filter(|c| *c == k).count();
    assert_eq!(count("utterance"), summary.utterances.len());
    assert_eq!(count("cue"), summary.cues.len());
    assert_eq!(count("unclear"), summary.unclear.len());
    assert_eq!(sink.finished_utterances, Some(summary.utterances.len()));
    summary
}

/// A sink that notes what it was called with.
#[derive(Default)]
struct Lifecycle {
    calls: Vec<String>,
    finished_utterances: Option<usize>,
}

impl Sink for Lifecycle {
    fn begin(&mut self, info: &SessionInfo) -> std::io::Result<()> {
        assert!(info.id.is_empty(), "an unrecorded session has no id");
        self.calls.push("begin".into());
        Ok(())
    }
    fn audio(&mut self, _: &AudioBlock) -> std::io::Result<()> {
        if self.calls.last().map(String::as_str) != Some("audio") {
            self.calls.push("audio".into());
        }
        Ok(())
    }
    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        self.calls.push(ev.kind().into());
        Ok(())
    }
    fn finish(&mut self, s: &Summary) -> std::io::Result<()> {
        self.calls.push("finish".into());
        self.finished_utterances = Some(s.utterances.len());
        Ok(())
    }
}

fn key(s: &Summary) -> Vec<(String, u64, u64, String)> {
    let mut v: Vec<_> = s
        .utterances
        .iter()
        .map(|c| {
            let u = &c.utterance;
            (
                u.speaker.to_string(),
                u.start_sample,
                u.end_sample,
                u.text.clone(),
            )
        })
        .collect();
    v.sort_by_key(|k| k.1);
    v
}

#[test]
fn sample_call_replay_matches_the_script() {
    let wav = common::sample_call();
    let truth = common::truth(&common::fixture("sample_call.truth.json"));
    let s = replay(&wav, Speed::Max, Blocks::default());
    let got = key(&s);
    for (sp, a, b, t) in &got {
        eprintln!(
            "{sp:4} {:6.2}-{:6.2} {t}",
            *a as f64 / 16e3,
            *b as f64 / 16e3
        );
    }
    assert_eq!(got.len(), truth.turns.len(), "one utterance per turn");
    let (mut errs, mut n) = (0, 0);
    for (turn, (sp, a, b, text)) in truth.turns.iter().zip(&got) {
        assert_eq!(&turn.speaker, sp, "speaker of {:?}", turn.text);
        let (a, b) = (*a as f64 / 16e3, *b as f64 / 16e3);
        assert!(
            (a - turn.start).abs() <= 0.3,
            "start {a:.2} vs {:.2} for {:?}",
            turn.start,
            turn.text
        );
        assert!(
            (b - turn.end).abs() <= 0.3,
            "end {b:.2} vs {:.2} for {:?}",
            turn.end,
            turn.text
        );
        let (e, k) = common::edit_distance(&common::words(&turn.text), &common::words(text));
        errs += e;
        n += k;
    }
    let wer = errs as f64 / n as f64;
    eprintln!("overall WER {wer:.3}");
    assert!(wer < 0.15, "WER {wer:.3}");
    assert_eq!(s.dropped_samples, 0);
}

#[test]
fn random_block_sizes_give_the_same_utterances() {
    let wav = common::sample_call();
    let a = key(&replay(&wav, Speed::Max, Blocks::default()));
    let b = key(&replay(
        &wav,
        Speed::Max,
        Blocks::Random { seed: 7, max: 3000 },
    ));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

fn synth(path: &Path, f: impl Fn(usize) -> f32, secs: usize) {
    let n = secs * 16_000;
    let x: Vec<f32> = (0..n).map(f).collect();
    ringside::audio::wav::write_wav_16k(path, &[&x, &x]).unwrap();
}

#[test]
fn no_hallucinated_utterance_from_a_minute_of_silence() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("silence.wav");
    synth(&p, |_| 0.0, 60);
    let s = replay(&p, Speed::Max, Blocks::default());
    assert!(s.utterances.is_empty(), "{:?}", key(&s));
    assert_eq!(s.stream_samples, 60 * 16_000);
}

#[test]
fn no_hallucinated_utterance_from_a_minute_of_low_noise() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("noise.wav");
    // Deterministic white noise around -46 dBFS, plus a little mains hum.
    synth(
        &p,
        |i| {
            let mut x = (i as u64)
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51afd7ed558ccd);
            x ^= x >> 33;
            let white = (x as f64 / u64::MAX as f64 - 0.5) as f32 * 0.02;
            white + 0.003 * (2.0 * std::f32::consts::PI * 50.0 * i as f32 / 16_000.0).sin()
        },
        60,
    );
    let s = replay(&p, Speed::Max, Blocks::default());
    assert!(s.utterances.is_empty(), "{:?}", key(&s));
}
