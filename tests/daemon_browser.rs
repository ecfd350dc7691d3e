//! The daemon's web pages in headless Chromium (the system `chromium`, driven by
//! `playwright-core` from tests/browser; no browser download). Starts the daemon, then runs
//! tests/browser/live.mjs (start a real-time replay with the page's button, see a cue, stop,
//! see the history) and tests/browser/review.mjs on the session it recorded (playback moves
//! the playhead and the highlighted line; clicking a cue marker or a line seeks);
//! tests/browser/manage.mjs (export a call as a zip, delete one after the page's confirmation)
//! and tests/browser/roleplay.mjs (start a role-play from the picker with a simulated
//! practitioner on a private virtual line, see both sides and a cue, stop it);
//! tests/browser/drill.mjs (drill the analyzed sample call from its review page with the drill
//! tests' simulated practitioner: a miss with its hint and a hit per moment, tries=4 hits=2 on
//! the page and in drill.json, then the call's 50% in the history's drill chart). Screenshots
//! go to target/artifacts/.
//!
//! Needs node, the chromium package and `npm ci --prefix tests/browser`: scripts/setup.sh
//! --test installs them. Missing ones fail the test with that hint; nothing is skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::daemon::Daemon;
use common::repo;

fn require_tools() -> (PathBuf, PathBuf) {
    let hint = "run scripts/setup.sh --test (it installs nodejs, npm, chromium and runs `npm ci --prefix tests/browser`)";
    let node = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("node"))
                .find(|n| n.is_file())
        })
        .unwrap_or_else(|| panic!("node is missing: {hint}"));
    let chromium = std::env::var_os("RINGSIDE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "{} is missing: {hint}",
        chromium.display()
    );
    let pw = repo().join("tests/browser/node_modules/playwright-core/package.json");
    assert!(
        pw.is_file(),
        "playwright-core is not installed in tests/browser/node_modules: {hint}"
    );
    (node, chromium)
}

fn run_node(node: &Path, chromium: &Path, script: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(node)
        .arg(repo().join("tests/browser").join(script))
        .args(args)
        .env("RINGSIDE_CHROMIUM", chromium)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", node.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{script}: last line {last:?}: {e}"))
}

#[test]
fn live_review_and_history_pages_work_in_chromium() {
    let (node, chromium) = require_tools();
    let artifacts = repo().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(tmp.path());
    let url = format!("http://{}", d.addr);
    let art = artifacts.to_string_lossy().into_owned();

    let live = run_node(&node, &chromium, "live.mjs", &[&url, &d.token, &art]);
    let id = live["session"].as_str().unwrap().to_string();
    assert!(
        d.sessions_dir().join(&id).join("audio.wav").is_file(),
        "{live}"
    );
    let review = run_node(&node, &chromium, "review.mjs", &[&url, &d.token, &id, &art]);
    let marker = review["marker"].as_f64().unwrap();
    let after = review["after_marker"].as_f64().unwrap();
    assert!((marker - after).abs() < 1.0, "{review}");
    // Each voiced line of the review carries its pitch contour.
    assert!(review["contours"].as_u64().unwrap() >= 1, "{review}");
    for shot in [
        "live.png",
        "history.png",
        "review.png",
        "review-playing.png",
    ] {
        assert!(artifacts.join(shot).is_file(), "{shot}");
    }

    d.sigterm();
    assert!(
        d.wait(std::time::Duration::from_secs(60)).success(),
        "{}",
        d.log()
    );
}

#[test]
fn export_and_delete_a_call_from_the_review_page_in_chromium() {
    let (node, chromium) = require_tools();
    let artifacts = repo().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("data/ringside/sessions");
    let keep = common::synthetic_session(&sessions, 3.0);
    let gone = common::synthetic_session(&sessions, 2.0);
    let mut d = Daemon::start(tmp.path());
    let url = format!("http://{}", d.addr);
    // Screenshots and the downloaded archive (synthetic tones only) go to the artifacts.
    let out = artifacts.clone();
    let r = run_node(
        &node,
        &chromium,
        "manage.mjs",
        &[&url, &d.token, &keep, &gone, &out.to_string_lossy()],
    );
    // The downloaded archive: every review file, and the recording as a valid WAV of its
    // length.
    let bytes = std::fs::read(r["archive"].as_str().unwrap()).unwrap();
    let files = common::unzip(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "audio.wav",
        "transcript.vtt",
        "transcript.txt",
        "labels.txt",
        "events.jsonl",
        "session.json",
        "debrief.json",
        "scorecard.txt",
    ] {
        assert!(
            names.contains(&format!("ringside-{keep}/{f}").as_str()),
            "{f} in {names:?}"
        );
    }
    let wav = &files
        .iter()
        .find(|(n, _)| n.ends_with("/audio.wav"))
        .unwrap()
        .1;
    let w = hound::WavReader::new(std::io::Cursor::new(wav.clone())).unwrap();
    assert_eq!(w.spec().sample_rate, 16_000);
    assert_eq!((w.spec().channels, w.duration()), (2, 3 * 16_000));
    // The deleted call: directory and index row gone, the other untouched.
    assert!(!sessions.join(&gone).exists());
    assert!(sessions.join(&keep).join("audio.wav").is_file());
    let store = ringside::session::index::Store::open(&sessions.join("history.sqlite")).unwrap();
    assert!(store.get(&gone).unwrap().is_none());
    assert!(store.get(&keep).unwrap().is_some());
    let (st, _) = d.json("GET", &format!("/api/sessions/{gone}"), None);
    assert_eq!(st, 404);
    let (_, list) = d.json("GET", "/api/sessions", None);
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1, "{list}");
    assert!(out.join("delete-confirm.png").is_file());

    d.sigterm();
    assert!(
        d.wait(std::time::Duration::from_secs(60)).success(),
        "{}",
        d.log()
    );
}

#[test]
fn a_roleplay_started_from_the_live_page_is_heard_coached_and_stopped_in_chromium() {
    let (node, chromium) = require_tools();
    common::virtual_line::require_env();
    let artifacts = repo().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let line = common::virtual_line::VirtualLine::new("web");
    let tmp = tempfile::tempdir().unwrap();
    // The voice lines are cached where the role-play tests cache them.
    let cache = repo().join("target/tts-cache/roleplay");
    let mut d = Daemon::start_with(tmp.path(), &[("RINGSIDE_TTS_CACHE", cache.as_os_str())]);
    let url = format!("http://{}", d.addr);
    let script = repo().join("assets/roleplay/no_oriented.txt");
    let r = run_node(
        &node,
        &chromium,
        "roleplay.mjs",
        &[
            &url,
            &d.token,
            &artifacts.to_string_lossy(),
            &line.mic,
            &line.sink,
            &script.to_string_lossy(),
        ],
    );
    eprintln!("{r}");
    let id = r["session"].as_str().unwrap();
    let dir = d.sessions_dir().join(id);
    // Recorded like any daemon session, with the role-play's log beside it.
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("roleplay.json")).unwrap()).unwrap();
    assert_eq!(log["scenario"], "insurance_cold_call");
    assert!(!log["lines"].as_array().unwrap().is_empty(), "{log}");
    let w = hound::WavReader::open(dir.join("audio.wav")).unwrap();
    assert_eq!(w.spec().channels, 2, "me and the counterpart");
    assert!(w.duration() > 16_000, "{} frames", w.duration());
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(
        events.contains("\"speaker\":\"me\""),
        "the practitioner was heard"
    );
    assert!(events.contains("\"type\":\"cue\""), "and coached");
    // The page showed what the practitioner said (Whisper's words of the script's first line).
    let me = r["me"].as_array().unwrap();
    assert!(
        me.iter()
            .any(|t| t.as_str().unwrap().to_lowercase().contains("bad time")),
        "{r}"
    );
    let (_, list) = d.json("GET", "/api/sessions", None);
    assert!(
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == id),
        "in the history: {list}"
    );

    d.sigterm();
    assert!(
        d.wait(std::time::Duration::from_secs(60)).success(),
        "{}",
        d.log()
    );
}

#[test]
fn a_drill_started_from_the_review_page_shows_its_verdicts_and_lands_in_the_history_chart() {
    let (node, chromium) = require_tools();
    common::virtual_line::require_env();
    let artifacts = repo().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let line = common::virtual_line::VirtualLine::new("drillweb");
    let tmp = tempfile::tempdir().unwrap();
    let id = "20260101-090000-d7a11c";
    let dir = common::analyzed_sample_session(
        &tmp.path().join("data/ringside/sessions"),
        id,
        "2026-01-01T09:00:00Z",
    );
    // The practitioner's lines are cached where the drill tests cache them.
    let cache = repo().join("target/tts-cache/drill");
    let mut d = Daemon::start_with(tmp.path(), &[("RINGSIDE_TTS_CACHE", cache.as_os_str())]);
    let url = format!("http://{}", d.addr);
    let script = common::fixture("drill/miss_then_hit.txt");
    let r = run_node(
        &node,
        &chromium,
        "drill.mjs",
        &[
            &url,
            &d.token,
            id,
            &artifacts.to_string_lossy(),
            &line.mic,
            &line.sink,
            &script.to_string_lossy(),
        ],
    );
    eprintln!("{r}");
    // On the page: a miss then a hit per moment, the summary and the results.
    let hits: Vec<bool> = r["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["hit"].as_bool().unwrap())
        .collect();
    assert_eq!(hits, [false, true, false, true], "{r}");
    assert_eq!(
        (&r["summary"]["tries"], &r["summary"]["hits"]),
        (&4.into(), &2.into()),
        "{r}"
    );
    assert_eq!(
        (
            &r["total"]["runs"],
            &r["total"]["tries"],
            &r["total"]["hits"]
        ),
        (&1.into(), &4.into(), &2.into()),
        "{r}"
    );
    assert!(
        r["total"]["text"]
            .as_str()
            .unwrap()
            .contains("hit rate 50%"),
        "{r}"
    );
    // The history chart: the call's point at 50%, in its title, label and table.
    assert!(r["chart"].as_str().unwrap().contains(": 50%"), "{r}");
    assert!(
        r["label"].as_str().unwrap().contains("2026-01-01 50%"),
        "{r}"
    );
    let table: Vec<&str> = r["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(table[1..], ["1", "4", "2", "50%", "50%"], "{r}");
    // drill.json: the run the CLI's code wrote.
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("drill.json")).unwrap()).unwrap();
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{log}");
    assert_eq!(
        (&runs[0]["tries"], &runs[0]["hits"], &runs[0]["finished"]),
        (&4.into(), &2.into(), &true.into()),
        "{log}"
    );
    for shot in ["review-drill.png", "history-drill.png"] {
        assert!(artifacts.join(shot).is_file(), "{shot}");
    }

    d.sigterm();
    assert!(
        d.wait(std::time::Duration::from_secs(60)).success(),
        "{}",
        d.log()
    );
}
