//! The real capture path: cpal records "me" and "them" from an isolated PulseAudio daemon
//! (virtual microphone, see scripts/virtmic.sh) while a two-voice TTS call with known text and
//! turn times plays into it. `scripts/test.sh` starts the daemon and exports its environment.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn require_virtmic() {
    assert!(
        std::env::var_os("PULSE_SERVER").is_some(),
        "no virtual microphone: run the tests with scripts/test.sh (it starts PulseAudio via scripts/virtmic.sh)"
    );
}

fn virtmic(args: &[&str]) -> std::process::Output {
    let out = Command::new(common::repo().join("scripts/virtmic.sh"))
        .args(args)
        .output()
        .expect("scripts/virtmic.sh runs");
    assert!(
        out.status.success(),
        "virtmic.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Session {
    child: Child,
    lines: mpsc::Receiver<String>,
    _data: tempfile::TempDir,
    data_dir: std::path::PathBuf,
}

/// Starts `ringside practice` on the virtual devices; returns once capture runs.
fn start_practice() -> Session {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args([
            "practice",
            "--mic",
            "virtmic",
            "--counterpart",
            "counterpart",
            "--json",
        ])
        .env("XDG_DATA_HOME", &data_dir)
        .env("RINGSIDE_MODELS", common::model().parent().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx2.send(l);
        }
    });
    let (etx, erx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[ringside] {l}");
            let _ = etx.send(l);
        }
    });
    let t0 = Instant::now();
    loop {
        let l = erx
            .recv_timeout(Duration::from_secs(60))
            .expect("ringside practice started");
        if l.contains("Ctrl-C ends the session") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60));
    }
    // Let both streams open.
    std::thread::sleep(Duration::from_millis(1500));
    Session {
        child,
        lines: rx,
        _data: data,
        data_dir,
    }
}

/// Ends the session like Ctrl-C and collects its JSON lines.
fn stop(
    mut s: Session,
) -> (
    Vec<serde_json::Value>,
    std::path::PathBuf,
    tempfile::TempDir,
) {
    unsafe {
        libc::kill(s.child.id() as i32, libc::SIGINT);
    }
    let status = s.child.wait().unwrap();
    assert!(status.success(), "ringside practice exited with {status}");
    let v: Vec<serde_json::Value> = s
        .lines
        .try_iter()
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect();
    (v, s.data_dir, s._data)
}

fn of_type<'a>(v: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    v.iter().filter(|x| x["type"] == t).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[test]
fn tts_call_over_the_virtual_microphone_is_transcribed_per_speaker() {
    require_virtmic();
    let wav = common::sample_call();
    let truth = common::truth(&common::fixture("sample_call.truth.json"));
    let s = start_practice();
    virtmic(&["play", wav.to_str().unwrap()]);
    std::thread::sleep(Duration::from_secs(2));
    let (events, _, _tmp) = stop(s);
    let mut utts = of_type(&events, "utterance");
    utts.sort_by(|a, b| {
        a["start"]
            .as_f64()
            .partial_cmp(&b["start"].as_f64())
            .unwrap()
    });
    for u in &utts {
        eprintln!(
            "{} {:.2}-{:.2} {}",
            u["speaker"], u["start"], u["end"], u["text"]
        );
    }
    assert_eq!(utts.len(), truth.turns.len(), "one utterance per turn");
    // Capture starts before playback: one constant offset between stream and file time.
    let offset = median(
        truth
            .turns
            .iter()
            .zip(&utts)
            .map(|(t, u)| u["start"].as_f64().unwrap() - t.start)
            .collect(),
    );
    let (mut errs, mut n) = (0, 0);
    for (t, u) in truth.turns.iter().zip(&utts) {
        assert_eq!(u["speaker"], t.speaker.as_str(), "speaker of {:?}", t.text);
        let (a, b) = (
            u["start"].as_f64().unwrap() - offset,
            u["end"].as_f64().unwrap() - offset,
        );
        assert!(
            (a - t.start).abs() <= 0.3,
            "start {a:.2} vs {:.2} ({:?})",
            t.start,
            t.text
        );
        assert!(
            (b - t.end).abs() <= 0.3,
            "end {b:.2} vs {:.2} ({:?})",
            t.end,
            t.text
        );
        let (e, k) = common::edit_distance(
            &common::words(&t.text),
            &common::words(u["text"].as_str().unwrap()),
        );
        errs += e;
        n += k;
    }
    let wer = errs as f64 / n as f64;
    eprintln!("offset {offset:.2} s, WER {wer:.3}");
    assert!(wer < 0.15, "WER {wer:.3}");
    let summary = of_type(&events, "summary");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["dropped_samples"], 0, "dropped samples");
    assert!(!of_type(&events, "cue").is_empty(), "cues are given live");
}

#[test]
fn unplugging_the_counterpart_mid_session_keeps_the_session_and_records_the_gap() {
    require_virtmic();
    let wav = common::sample_call();
    let s = start_practice();
    let play = std::thread::spawn(move || virtmic(&["play", wav.to_str().unwrap()]));
    // Unplug "them" at ~20 s, plug it back at ~40 s. Suspending the PulseAudio source stops
    // its audio like a pulled cable. (Unloading the source is no test: PulseAudio then moves
    // the stream to the default source, the practitioner's mic.)
    std::thread::sleep(Duration::from_secs(20));
    let st = Command::new("pactl")
        .args(["suspend-source", "counterpart", "1"])
        .status()
        .unwrap();
    assert!(st.success());
    std::thread::sleep(Duration::from_secs(20));
    let st = Command::new("pactl")
        .args(["suspend-source", "counterpart", "0"])
        .status()
        .unwrap();
    assert!(st.success());
    play.join().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let (events, data_dir, _tmp) = stop(s);
    let devices = of_type(&events, "device");
    eprintln!("{devices:?}");
    let lost = devices
        .iter()
        .find(|d| d["event"] == "lost" && d["speaker"] == "them")
        .expect("a lost event");
    let lost_at = lost["time"].as_f64().unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d["event"] == "restored" && d["speaker"] == "them"),
        "a restored event"
    );
    // The session went on: "me" was transcribed after the unplug, "them" after the re-plug.
    let utts = of_type(&events, "utterance");
    assert!(utts
        .iter()
        .any(|u| u["speaker"] == "me" && u["start"].as_f64().unwrap() > lost_at + 5.0));
    assert!(utts
        .iter()
        .any(|u| u["speaker"] == "them" && u["start"].as_f64().unwrap() > lost_at + 20.0));
    // The recording covers the whole session on both channels, the gap included.
    let summary = &of_type(&events, "summary")[0];
    let dir = std::path::PathBuf::from(summary["session_dir"].as_str().unwrap());
    assert!(dir.starts_with(&data_dir));
    let r = hound::WavReader::open(dir.join("audio.wav")).unwrap();
    assert_eq!(r.spec().channels, 2);
    let secs = r.duration() as f64 / 16_000.0;
    let stream = summary["stream_secs"].as_f64().unwrap();
    assert!(
        (secs - stream).abs() < 1.0,
        "wav {secs:.1} s vs stream {stream:.1} s"
    );
    let log = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(
        log.contains("\"lost\""),
        "the device loss is in events.jsonl"
    );
}
