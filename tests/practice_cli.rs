//! `ringside practice` as a user runs it: cues appear live in the terminal and land in the
//! session's events; bad configuration and devices give one-line errors.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    c.env("RINGSIDE_MODELS", common::model().parent().unwrap());
    c
}

#[test]
fn replayed_tts_call_shows_cues_live_and_records_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ringside()
        .args(["practice", "--replay"])
        .arg(common::sample_call())
        .args(["--speed", "max", "--sessions-dir"])
        .arg(tmp.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Terminal view: transcript lines with speaker and act, cue lines by severity.
    assert!(
        stdout.contains(" me   ") && stdout.contains(" them "),
        "{stdout}"
    );
    assert!(
        stdout.contains("ALERT") && stdout.contains("Stop fishing for yes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("NUDGE") && stdout.contains("counterfeit"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GOOD") && stdout.contains("That's a commitment"),
        "{stdout}"
    );
    // The scorecard closes the session.
    assert!(
        stdout.contains("Scorecard") && stdout.contains("Commitment        reached"),
        "{stdout}"
    );
    // The same cues are in the session's events.
    let dir = std::fs::read_dir(tmp.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let log = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    for id in ["yes_ladder", "counterfeit_yes", "commitment", "opening_yes"] {
        assert!(
            log.contains(&format!("\"type\":\"cue\",\"id\":\"{id}\""))
                || log.contains(&format!("\"id\":\"{id}\"")),
            "{id} not recorded"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 dropped samples"), "{stderr}");
}

fn one_line_error(out: &std::process::Output) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!err.contains("panicked"), "{err}");
    let last = err.lines().last().unwrap().to_string();
    assert!(last.starts_with("ringside: error:"), "{err}");
    last
}

#[test]
fn malformed_config_names_the_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("mine.toml");
    std::fs::write(&cfg, "[vad]\nhangover_ms = \"long\"\n").unwrap();
    let e = one_line_error(
        &ringside()
            .arg("--config")
            .arg(&cfg)
            .args(["practice", "--sample"])
            .output()
            .unwrap(),
    );
    assert!(e.contains("mine.toml") && e.contains("hangover_ms"), "{e}");
    std::fs::write(&cfg, "[vad]\nhangover = 300\n").unwrap();
    let e = one_line_error(
        &ringside()
            .arg("--config")
            .arg(&cfg)
            .arg("devices")
            .output()
            .unwrap(),
    );
    assert!(e.contains("mine.toml") && e.contains("hangover"), "{e}");
    let e = one_line_error(
        &ringside()
            .arg("--config")
            .arg(tmp.path().join("none.toml"))
            .arg("devices")
            .output()
            .unwrap(),
    );
    assert!(e.contains("none.toml"), "{e}");
}

#[test]
fn unknown_device_and_bad_replay_file_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let e = one_line_error(
        &ringside()
            .args(["practice", "--no-record", "--mic", "no-such-headset-xyz"])
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("no-such-headset-xyz") || e.contains("no audio input"),
        "{e}"
    );
    let bad = tmp.path().join("call.wav");
    std::fs::write(&bad, b"RIFF....WAVEjunk").unwrap();
    let e = one_line_error(
        &ringside()
            .args(["practice", "--no-record", "--replay"])
            .arg(&bad)
            .output()
            .unwrap(),
    );
    assert!(e.contains("call.wav"), "{e}");
}
