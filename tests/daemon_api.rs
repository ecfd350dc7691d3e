//! The daemon end to end over real HTTP: `ringside daemon --port 0` with private directories
//! and the real Whisper model; sessions started and stopped through the API, live events over
//! SSE, the history, audio byte ranges, auth and error answers, and a SIGTERM mid-session.

mod common;

use std::time::Duration;

use common::daemon::{wait_event, Daemon};
use common::sample_call;
use ringside::control::client::request;
use serde_json::{json, Value};

#[test]
fn session_over_the_api_streams_events_and_lands_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(tmp.path());

    // Auth and error answers, all JSON.
    let r = request(&d.endpoint(), "GET", "/api/status", &[], None).unwrap();
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].as_str().unwrap().contains("token"));
    let r = request(
        &d.endpoint(),
        "GET",
        "/api/status",
        &[("Authorization", "Bearer nope")],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 401);
    let r = request(&d.endpoint(), "GET", "/api/sessions?token=wrong", &[], None).unwrap();
    assert_eq!(r.status, 401);
    let (st, v) = d.json("POST", "/api/sessions/start", Some("{\"replay\": "));
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("JSON"));
    let (st, v) = d.json(
        "POST",
        "/api/sessions/start",
        Some("{\"sample\": true, \"sped\": \"max\"}"),
    );
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("sped"));
    let (st, v) = d.json(
        "POST",
        "/api/sessions/start",
        Some("{\"replay\": \"/nonexistent/x.wav\"}"),
    );
    assert_eq!(st, 400, "{v}");
    let (st, v) = d.json("GET", "/api/nope", None);
    assert_eq!((st, v["status"].as_u64()), (404, Some(404)));
    let (st, _) = d.json("POST", "/api/sessions/stop", None);
    assert_eq!(st, 409, "stop while idle");
    // The page needs no token.
    let r = request(&d.endpoint(), "GET", "/", &[], None).unwrap();
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("<html"));
    // The Unix socket serves the same API.
    let auth = format!("Bearer {}", d.token);
    let r = request(
        &d.socket(),
        "GET",
        "/api/status",
        &[("Authorization", &auth)],
        None,
    )
    .unwrap();
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("idle")));

    // A max-speed replay of the sample call.
    let events = d.events();
    let mut seen = Vec::new();
    wait_event(&events, Duration::from_secs(10), &mut seen, |v| {
        v["type"] == "hello"
    });
    let body = json!({"replay": sample_call(), "speed": "max"}).to_string();
    let (st, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (st, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 409, "second start while running: {v}");
    assert!(v["error"].as_str().unwrap().contains("already running"));
    let (_, status) = d.json("GET", "/api/status", None);
    assert_eq!(status["state"], "running");
    assert_eq!(status["session_id"], id.as_str());

    // The API answers promptly while Whisper works flat out on its own threads.
    for _ in 0..10 {
        let t0 = std::time::Instant::now();
        let (st, _) = d.json("GET", "/api/status", None);
        assert_eq!(st, 200);
        assert!(
            t0.elapsed() < Duration::from_millis(1000),
            "status took {:?} during a session",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let started = wait_event(&events, Duration::from_secs(30), &mut seen, |v| {
        v["type"] == "session_started"
    });
    assert_eq!(started["id"], id.as_str());
    wait_event(&events, Duration::from_secs(300), &mut seen, |v| {
        v["type"] == "utterance"
    });
    wait_event(&events, Duration::from_secs(300), &mut seen, |v| {
        v["type"] == "cue"
    });
    let ended = wait_event(&events, Duration::from_secs(400), &mut seen, |v| {
        v["type"] == "session_ended"
    });
    assert_eq!(ended["id"], id.as_str());
    assert!(ended["error"].is_null(), "{ended}");
    assert!(ended["utterances"].as_u64().unwrap() >= 5, "{ended}");
    assert!(seen.iter().any(|v| v["type"] == "level"), "level events");
    let utterances = seen.iter().filter(|v| v["type"] == "utterance").count() as u64;
    assert_eq!(
        utterances,
        ended["utterances"].as_u64().unwrap(),
        "a fast client misses nothing"
    );

    // The history has it with its scorecard figures.
    let (st, list) = d.json("GET", "/api/sessions", None);
    assert_eq!(st, 200);
    let row = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["finished"], true);
    assert!(row["duration"].as_f64().unwrap() > 60.0, "{row}");
    assert!(row["talk_share_me"].as_f64().is_some(), "{row}");
    assert!(row["cues_total"].as_u64().unwrap() > 0, "{row}");
    for k in ["yes_ladders", "no_questions", "commitments", "utterances"] {
        assert!(row[k].is_u64(), "{k} in {row}");
    }
    let (st, detail) = d.json("GET", &format!("/api/sessions/{id}"), None);
    assert_eq!(st, 200);
    assert!(detail["scorecard"]["me"]["utterances"].as_u64().unwrap() > 0);
    assert!(detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "cue"));
    // Drill results: none yet, then a run of `ringside drill` in the list and the detail.
    assert!(row["drill"].is_null(), "{row}");
    assert!(detail["drill"].is_null(), "{detail}");
    let drill = json!({"version": 1, "runs": [{"started": "2026-01-01T10:00:00Z",
        "finished": true, "max_tries": 2, "tries": 4, "hits": 3, "moments": []}]});
    std::fs::write(
        d.sessions_dir().join(&id).join("drill.json"),
        drill.to_string(),
    )
    .unwrap();
    let (_, list) = d.json("GET", "/api/sessions", None);
    let row = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["drill"]["hit_rate"], 0.75, "{row}");
    assert_eq!(row["drill"]["runs"], 1, "{row}");
    let (_, detail) = d.json("GET", &format!("/api/sessions/{id}"), None);
    assert_eq!(detail["drill"]["runs"][0]["hits"], 3, "{detail}");
    let (st, _) = d.json("GET", "/api/sessions/..%2F..%2Fetc", None);
    assert_eq!(st, 404);
    let (st, _) = d.json("GET", "/api/sessions/20000101-000000-000000", None);
    assert_eq!(st, 404);

    // Audio byte ranges (for seeking), checked against the file.
    let wav = std::fs::read(d.sessions_dir().join(&id).join("audio.wav")).unwrap();
    let r = request(
        &d.endpoint(),
        "GET",
        &format!("/api/sessions/{id}/audio?token={}", d.token),
        &[("Range", "bytes=1000-4999")],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 206);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 1000-4999/{}", wav.len()).as_str())
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.body, &wav[1000..5000]);
    let r = d.call("GET", &format!("/api/sessions/{id}/audio"), None);
    assert_eq!((r.status, r.body.len()), (200, wav.len()));
    let r = request(
        &d.endpoint(),
        "GET",
        &format!("/api/sessions/{id}/audio?token={}", d.token),
        &[("Range", &format!("bytes={}-", wav.len()))],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 416);

    let (_, status) = d.json("GET", "/api/status", None);
    assert_eq!(status["state"], "idle");
    assert_eq!(status["last_session"]["id"], id.as_str());
    assert_eq!(status["lagged_events"], 0);

    d.sigterm();
    let st = d.wait(Duration::from_secs(30));
    assert!(st.success(), "exit {st:?}; log:\n{}", d.log());
    assert!(
        !tmp.path().join("run/ringside/token").exists(),
        "runtime files removed"
    );
}

#[test]
fn sigterm_mid_session_finishes_and_indexes_the_recording() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(tmp.path());
    let events = d.events();
    let mut seen = Vec::new();
    let body = json!({"replay": sample_call(), "speed": "realtime"}).to_string();
    let (st, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    // Mid-session: after the first utterance, long before the 68 s call ends.
    wait_event(&events, Duration::from_secs(120), &mut seen, |v| {
        v["type"] == "utterance"
    });
    // The CLI finds the daemon through the runtime files and shows the running session.
    let out = cli(tmp.path(), &["status"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&id) && text.contains(&format!("?token={}", d.token)),
        "{text}"
    );
    let out = cli(tmp.path(), &["start", "--sample"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{out:?}"
    );
    d.sigterm();
    // The stream delivers the end of the session before it closes.
    let ended = wait_event(&events, Duration::from_secs(120), &mut seen, |v| {
        v["type"] == "session_ended"
    });
    assert_eq!(ended["id"], id.as_str());
    let st = d.wait(Duration::from_secs(120));
    assert!(st.success(), "exit {st:?}; log:\n{}", d.log());

    let dir = d.sessions_dir().join(&id);
    let info: Value =
        serde_json::from_slice(&std::fs::read(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(info["finished"], true, "{info}");
    let duration = info["duration"].as_f64().unwrap();
    assert!(
        duration > 1.0 && duration < 60.0,
        "stopped mid-call: {duration}"
    );
    let r = hound::WavReader::open(dir.join("audio.wav")).unwrap();
    assert_eq!(r.spec().sample_rate, 16000);
    assert!(r.duration() > 16000, "{} frames", r.duration());
    drop(d);

    // A new daemon over the same directories lists it (from the index written at shutdown).
    let d2 = Daemon::start(tmp.path());
    let (st, list) = d2.json("GET", "/api/sessions", None);
    assert_eq!(st, 200);
    let rows: &Vec<Value> = list["sessions"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not in {list}"));
    assert_eq!(row["finished"], true);
    assert!(
        !d2.log().contains("repaired"),
        "no repair needed: {}",
        d2.log()
    );
    let out = cli(tmp.path(), &["stop"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no session is running"),
        "{out:?}"
    );
    drop(d2);
    // No daemon: a clear message, exit 1.
    let out = cli(tmp.path(), &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no ringside daemon is running; start one with `ringside daemon`"),
        "{err}"
    );
}

/// Runs the CLI with the test's private directories.
fn cli(root: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(args)
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_RUNTIME_DIR", root.join("run"))
        .env_remove("RINGSIDE_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run ringside: {e}"))
}

#[test]
fn a_non_loopback_bind_is_refused_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["daemon", "--port", "0", "--bind", "0.0.0.0"])
        .env("XDG_DATA_HOME", tmp.path().join("data"))
        .env("XDG_RUNTIME_DIR", tmp.path().join("run"))
        .env_remove("RINGSIDE_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("refusing to listen on 0.0.0.0") && err.contains("allow_remote"),
        "{err}"
    );
}
