//! Session recordings made by the real pipeline: golden files of an analyzed TTS call, and a
//! live `ringside practice` SIGKILLed mid-call and then repaired.
//!
//! Regenerate the golden files with `RINGSIDE_REGEN=1 cargo test --test session_live`.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    c.env("RINGSIDE_MODELS", common::model().parent().unwrap());
    c
}

fn golden_dir() -> PathBuf {
    common::fixture("golden/sample_call")
}

/// Replaces what differs between runs (ids, wall-clock times, measured latencies).
fn normalize_events(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(o) = v.as_object_mut() {
            o.remove("latency_ms");
            for k in ["id", "started_at", "ended_at", "wall_secs"] {
                if o.get("type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.starts_with("session_"))
                    && o.contains_key(k)
                {
                    o.insert(k.into(), serde_json::json!("X"));
                }
            }
        }
        out.push_str(&serde_json::to_string(&v).unwrap());
        out.push('\n');
    }
    out
}

fn check_golden(name: &str, got: &str) {
    let p = golden_dir().join(name);
    if std::env::var_os("RINGSIDE_REGEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&p, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate with RINGSIDE_REGEN=1", p.display()));
    if want != got {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "{name} differs from {} ({} vs {} lines):\n{}",
            p.display(),
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
}

#[test]
fn analyzed_tts_call_matches_the_golden_session_files() {
    let tmp = tempfile::tempdir().unwrap();
    let input = common::sample_call();
    let out = ringside()
        .args(["analyze", "--sessions-dir"])
        .arg(tmp.path())
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let dir = PathBuf::from(stdout.trim().lines().last().unwrap());
    assert!(dir.starts_with(tmp.path()));
    // Events, scorecard, transcript and labels as expected.
    check_golden(
        "events.jsonl",
        &normalize_events(&std::fs::read_to_string(dir.join("events.jsonl")).unwrap()),
    );
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(info["finished"], true);
    check_golden(
        "scorecard.json",
        &(serde_json::to_string_pretty(&info["scorecard"]).unwrap() + "\n"),
    );
    let vtt = std::fs::read_to_string(dir.join("transcript.vtt")).unwrap();
    let id = info["id"].as_str().unwrap();
    check_golden("transcript.vtt", &vtt.replace(id, "SESSION-ID"));
    check_golden(
        "labels.txt",
        &std::fs::read_to_string(dir.join("labels.txt")).unwrap(),
    );
    // The debrief: written at the end, three changes, each with its time and a rewrite, also
    // in `report` (golden, from its "Debrief" line on).
    let debrief_json = std::fs::read_to_string(dir.join("debrief.json")).unwrap();
    check_golden("debrief.json", &debrief_json);
    let debrief: ringside::session::debrief::Debrief = serde_json::from_str(&debrief_json).unwrap();
    let top = debrief.top_moments();
    assert_eq!(top.len(), 3, "{debrief_json}");
    for m in &top {
        assert!(m.start > 0.0 && m.end > m.start, "{m:?}");
        assert!(!m.text.is_empty() && !m.flags.is_empty(), "{m:?}");
        let r = m.rewrite.as_ref().unwrap();
        assert!(!r.text.is_empty() && r.text != m.text, "{m:?}");
    }
    let report = ringside().arg("report").arg(&dir).output().unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report = String::from_utf8(report.stdout).unwrap();
    let at = report
        .find("Debrief:")
        .unwrap_or_else(|| panic!("no debrief in {report}"));
    check_golden("debrief.txt", &report[at..]);
    // The WAV is exactly as long as the input, both channels sample-exact after 16-bit rounding.
    let src = hound::WavReader::open(&input).unwrap();
    let rec = hound::WavReader::open(dir.join("audio.wav")).unwrap();
    assert_eq!(rec.spec().channels, 2);
    assert_eq!(
        rec.duration(),
        src.duration(),
        "no lost or duplicated samples"
    );
    let a: Vec<i16> = src.into_samples::<i16>().map(Result::unwrap).collect();
    let b: Vec<i16> = rec.into_samples::<i16>().map(Result::unwrap).collect();
    let max_diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (*x as i32 - *y as i32).abs())
        .max()
        .unwrap();
    assert!(
        max_diff <= 1,
        "recorded audio differs from the input by {max_diff}"
    );
    // Markers parse back: one per cue.
    let markers = ringside::session::wav::read_markers(&dir.join("audio.wav")).unwrap();
    let cues = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"type\":\"cue\""))
        .count();
    assert_eq!(markers.len(), cues);
    assert!(cues >= 8, "the sample call fires most cues ({cues})");
}

fn sox_opens(p: &Path) {
    let out = Command::new("sox")
        .arg("--i")
        .arg(p)
        .output()
        .expect("sox is installed (scripts/setup.sh --test)");
    assert!(
        out.status.success(),
        "sox --i {}: {}",
        p.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigkilled_live_session_is_repaired_with_its_audio_and_utterances() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = ringside()
        .args(["practice", "--replay"])
        .arg(common::sample_call())
        .args(["--speed", "realtime", "--json", "--sessions-dir"])
        .arg(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let stderr = child.stderr.take().unwrap();
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = etx.send(l);
        }
    });
    loop {
        let l = erx
            .recv_timeout(Duration::from_secs(60))
            .expect("practice starts");
        if l.contains("Ctrl-C ends the session") {
            break;
        }
    }
    let started = Instant::now();
    // Kill mid-call (the call is 68 s), once a few utterances are out.
    let mut seen: Vec<String> = Vec::new();
    while started.elapsed() < Duration::from_secs(50)
        && !(started.elapsed() > Duration::from_secs(25)
            && seen.iter().filter(|l| l.contains("\"utterance\"")).count() >= 4)
    {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l);
        }
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let killed_after = started.elapsed().as_secs_f64();
    child.wait().unwrap();
    seen.extend(rx.try_iter());
    let utts: Vec<serde_json::Value> = seen
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "utterance")
        .collect();
    assert!(
        utts.len() >= 2,
        "utterances before the kill: {}",
        utts.len()
    );
    let dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1);
    let dir = &dirs[0];
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(info["finished"], false, "killed sessions are unfinished");
    // Repair.
    let out = ringside()
        .args(["sessions", "--sessions-dir"])
        .arg(tmp.path())
        .args(["repair"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(info["finished"], true);
    assert_eq!(info["repaired"], true);
    // Audio up to within a second of the kill (stream time <= wall time since start).
    let wav = dir.join("audio.wav");
    let r = hound::WavReader::open(&wav).unwrap();
    let secs = r.duration() as f64 / 16_000.0;
    eprintln!("killed after {killed_after:.2} s; WAV holds {secs:.2} s");
    assert!(
        secs >= killed_after - 1.0 - 0.25,
        "WAV holds {secs:.2} s, killed after {killed_after:.2} s"
    );
    assert!(secs <= killed_after + 0.5);
    sox_opens(&wav);
    // Every utterance finished before the kill is in events.jsonl.
    let log = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    for u in &utts {
        let text = u["text"].as_str().unwrap();
        assert!(
            log.contains(&serde_json::to_string(text).unwrap()),
            "{text:?} missing from events.jsonl"
        );
    }
    // The report works on the repaired session.
    let out = ringside()
        .args(["report", "--sessions-dir"])
        .arg(tmp.path())
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Talk ratio"));
}
