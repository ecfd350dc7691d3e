//! `ringside drill`: the weak moments of a recorded call drilled out loud. A simulated
//! practitioner (TTS lines played into a private virtual microphone, see
//! [`common::virtual_line`]) answers each prompt; the prompts are cut from the recording and played
//! through a cpal output; the answers go through the live pipeline (cpal capture, VAD,
//! Whisper, the classifier). Also the drill's one-line errors and the no-moments case, which
//! need no audio.
//!
//! The session drilled is the sample call as the real pipeline analyzed it: the golden
//! `tests/fixtures/golden/sample_call/events.jsonl` beside `assets/sample_call.wav` as its
//! `audio.wav`. Its debrief ranks "You want to protect your family, right?" (after "Well, I
//! guess so.", target: label) and "Our family plan saves people $300 a year." (after "She will
//! just send me something in the mail.", target: calibrated question) first.
//!
//! Needs the environment of `scripts/test.sh` for the audio test (the virtual microphone,
//! festival, flite, paplay).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::virtual_line::{require_env, VirtualLine};

const SCRIPT: &str = "drill/miss_then_hit.txt";

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    c.current_dir(common::repo())
        .env_remove("RINGSIDE_CONFIG")
        .env("RINGSIDE_MODELS", common::models_dir())
        .env(
            "RINGSIDE_TTS_CACHE",
            common::repo().join("target/tts-cache/drill"),
        );
    c
}

/// A session directory holding the analyzed sample call.
fn sample_session(root: &Path) -> PathBuf {
    let dir = root.join("sessions/20260101-090000-d7a11c");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        common::fixture("golden/sample_call/events.jsonl"),
        dir.join("events.jsonl"),
    )
    .unwrap();
    std::fs::copy(common::sample_call(), dir.join("audio.wav")).unwrap();
    dir
}

/// The text of utterance `id` in the golden sample call (the prompt a drill plays), so the
/// expectations follow the golden file when the transcriber's reading of the TTS line changes.
fn golden_text(id: u64) -> String {
    let events =
        std::fs::read_to_string(common::fixture("golden/sample_call/events.jsonl")).unwrap();
    events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["type"] == "utterance" && v["id"] == id)
        .and_then(|v| v["text"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no utterance {id} in the golden sample call"))
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn drill(dir: &Path, line: &VirtualLine, extra: &[&str]) -> Output {
    ringside()
        .arg("drill")
        .arg(dir)
        .args(["--mic", &line.mic, "--output", &line.sink])
        .args([
            "--output-channel",
            "right",
            "--practitioner-sink",
            &line.sink,
        ])
        .arg("--practitioner")
        .arg(common::fixture(SCRIPT))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_practitioner_who_misses_then_hits_two_moments_scores_four_tries_two_hits() {
    require_env();
    let line = VirtualLine::new("drill");
    let tmp = tempfile::tempdir().unwrap();
    let dir = sample_session(tmp.path());
    let out = drill(&dir, &line, &["--moments", "2"]);
    let stdout = text(&out.stdout);
    eprintln!("{stdout}\n{}", text(&out.stderr));
    assert!(out.status.success(), "ringside drill failed");
    let last = stdout.lines().last().unwrap_or("");
    assert_eq!(last, "drill: moments=2 tries=4 hits=2", "{stdout}");
    // Each moment: a miss with the rewrite as the hint, then a hit.
    assert_eq!(stdout.matches("MISS").count(), 2, "{stdout}");
    assert_eq!(stdout.matches(" HIT").count(), 2, "{stdout}");
    assert!(
        stdout.contains("hint:       It seems like protecting your family matters a lot to you."),
        "{stdout}"
    );

    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("drill.json")).unwrap()).unwrap();
    assert_eq!(log["version"], 1);
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        (run["tries"].as_u64(), run["hits"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(run["finished"], true);
    let moments = run["moments"].as_array().unwrap();
    let want = [
        (2, golden_text(1), "label", "yes_question"),
        (6, golden_text(5), "calibrated_question", "pitch"),
    ];
    assert_eq!(moments.len(), want.len());
    for (m, (uid, prompt, target, miss)) in moments.iter().zip(want) {
        assert_eq!(m["utterance_id"], uid, "{m}");
        assert_eq!(m["prompt"], prompt, "{m}");
        assert_eq!(m["target"], target, "{m}");
        let tries = m["tries"].as_array().unwrap();
        assert_eq!(tries.len(), 2, "{m}");
        assert_eq!(
            (&tries[0]["act"], &tries[0]["hit"]),
            (&miss.into(), &false.into()),
            "{m}"
        );
        assert_eq!(
            (&tries[1]["act"], &tries[1]["hit"]),
            (&target.into(), &true.into()),
            "{m}"
        );
        for t in tries {
            let lat = t["latency_ms"].as_f64().expect("latency measured");
            // The practitioner waits 0.7 s after the prompt: its answer starts after that.
            assert!((500.0..5000.0).contains(&lat), "latency {lat} ms: {t}");
            assert!(t["verdict_ms"].as_f64().is_some(), "{t}");
        }
    }

    // `report` shows the run; a second drill appends a second run.
    let rep = ringside().arg("report").arg(&dir).output().unwrap();
    assert!(rep.status.success());
    let rep = text(&rep.stdout);
    eprintln!("{rep}");
    assert!(
        rep.contains("2 moments, 4 tries, 2 hits, hit rate 50%"),
        "{rep}"
    );
    let rep = ringside()
        .args(["report", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&rep.stdout).unwrap();
    assert_eq!(v["drill"]["runs"][0]["hits"], 2);
}

#[test]
fn the_scripted_answers_classify_as_intended_after_their_prompts() {
    // The misses are real lines of another act and the hits are the target act, as the
    // classifier hears them after the prompt (as a drill try does).
    use ringside::event::{Act, Speaker};
    let rules = ringside::transforms::rules::CoachRules::builtin().unwrap();
    let mut c = ringside::transforms::classify::Classifier::new(&rules);
    let script = ringside::roleplay::Script::load(&common::fixture(SCRIPT)).unwrap();
    let prompts = [
        (golden_text(1), Act::Label),
        (golden_text(5), Act::CalibratedQuestion),
    ];
    assert_eq!(script.lines.len(), 4);
    for (i, line) in script.lines.iter().enumerate() {
        let (prompt, target) = &prompts[i / 2];
        let target = *target;
        c.reset();
        c.classify(Speaker::Them, prompt);
        let (act, why) = c.classify(Speaker::Me, line);
        if i % 2 == 0 {
            assert_ne!(act, target, "{line:?} should miss: {why}");
            assert!(act != Act::Other, "{line:?} is a real act: {why}");
        } else {
            assert_eq!(act, target, "{line:?} should hit: {why}");
        }
    }
}

#[test]
fn drill_errors_are_one_line_and_no_moments_is_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    // An unknown session.
    let out = ringside()
        .args(["drill", "nope", "--sessions-dir"])
        .arg(&sessions)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("no session 'nope'") && err.contains("ringside sessions"),
        "{err}"
    );

    // A call with no weak moment: said, exit 0, nothing written.
    let calm = sessions.join("20260101-100000-ca1m00");
    std::fs::create_dir_all(&calm).unwrap();
    let events = [
        r#"{"type":"session_start","version":1,"id":"20260101-100000-ca1m00","started_at":"2026-01-01T10:00:00Z","sample_rate":16000,"channels":2}"#,
        r#"{"type":"utterance","id":0,"speaker":"me","start":0.5,"end":2.0,"text":"Is now a bad time to talk?","act":"no_question","why":""}"#,
        r#"{"type":"utterance","id":1,"speaker":"them","start":2.5,"end":3.5,"text":"No, go ahead.","act":"no","why":""}"#,
    ];
    std::fs::write(calm.join("events.jsonl"), events.join("\n") + "\n").unwrap();
    let out = ringside()
        .args(["drill", "ca1m", "--sessions-dir"])
        .arg(&sessions)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("no weak moments to drill"), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("drill: moments=0 tries=0 hits=0")
    );
    assert!(!calm.join("drill.json").exists());

    // A corrupt drill log: named on one line with what to do, and left as it was.
    let dir = sample_session(tmp.path());
    std::fs::write(dir.join("drill.json"), "{\"version\":1,\"runs\":[").unwrap();
    let out = ringside().arg("drill").arg(&dir).output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("drill.json") && err.contains("move it aside"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("drill.json")).unwrap(),
        "{\"version\":1,\"runs\":["
    );
    // `report` still works and says what is wrong with the log.
    let rep = ringside().arg("report").arg(&dir).output().unwrap();
    assert!(rep.status.success());
    assert!(text(&rep.stdout).contains("move it aside"));
}

#[test]
fn a_missing_output_or_microphone_is_named_on_one_line() {
    require_env();
    let tmp = tempfile::tempdir().unwrap();
    let dir = sample_session(tmp.path());
    let run = |args: &[&str]| {
        let out = ringside()
            .arg("drill")
            .arg(&dir)
            .args(["--moments", "1"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = text(&out.stderr);
        let last = err.trim().lines().last().unwrap_or("").to_string();
        assert!(last.starts_with("ringside: error: "), "{err}");
        last
    };
    let e = run(&["--output", "no_such_output_device"]);
    assert!(
        e.contains("no_such_output_device") && e.contains("ringside devices"),
        "{e}"
    );
    let e = run(&["--mic", "no_such_microphone"]);
    assert!(
        e.contains("no_such_microphone") && e.contains("ringside devices"),
        "{e}"
    );
    assert!(
        !dir.join("drill.json").exists(),
        "nothing drilled, nothing written"
    );
}
