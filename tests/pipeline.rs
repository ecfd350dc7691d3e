//! The live pipeline end to end on real audio with the real Whisper model: replay of the TTS
//! sample call (known text and turn times), block-size independence, and no hallucinated
//! utterances on silence or low noise.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use ringside::app::{run_session, Event, Input, Summary};
use ringside::cli::Speed;
use ringside::config::Config;
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
    let mut sink = |_: &Event| Ok(());
    let (summary, _) = run_session(
        &cfg,
        &input,
        t,
        &mut coach,
        Arc::new(AtomicBool::new(false)),
        None,
        Default::default(),
        &mut sink,
    )
    .unwrap();
    summary
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
    let wav = common::fixture("sample_call.wav");
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
    let wav = common::fixture("sample_call.wav");
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
