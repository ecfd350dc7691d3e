//! The daemon's web pages in headless Chromium (the system `chromium`, driven by
//! `playwright-core` from tests/browser; no browser download). Starts the daemon, then runs
//! tests/browser/live.mjs (start a real-time replay with the page's button, see a cue, stop,
//! see the history) and tests/browser/review.mjs on the session it recorded (playback moves
//! the playhead and the highlighted line; clicking a cue marker or a line seeks). Screenshots
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
