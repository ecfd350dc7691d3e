//! The daemon end to end over real HTTP: `ringside daemon --port 0` with private directories
//! and the real Whisper model; sessions started and stopped through the API, live events over
//! SSE, the history, audio byte ranges, auth and error answers, and a SIGTERM mid-session;
//! a call exported as one zip and deleted (bad and traversing ids, the running session); the
//! scenario list and bad role-play requests; the drill route's refusals (unknown and
//! traversing ids, nothing to drill, bad bodies, a session already running).

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

/// The files every exported archive holds (under `ringside-ID/`).
const ARCHIVE_FILES: [&str; 8] = [
    "audio.wav",
    "transcript.vtt",
    "labels.txt",
    "transcript.txt",
    "events.jsonl",
    "session.json",
    "debrief.json",
    "scorecard.txt",
];

#[test]
fn a_call_is_exported_as_one_zip_and_deleted_with_its_history_row() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("data/ringside/sessions");
    let a = common::synthetic_session(&sessions, 3.0);
    let b = common::synthetic_session(&sessions, 2.0);
    assert_ne!(a, b);
    // An older session without its debrief: the archive computes it.
    std::fs::remove_file(sessions.join(&b).join("debrief.json")).unwrap();
    // Something a path-traversing id would reach: a session-like directory beside the
    // sessions directory.
    let victim = tmp.path().join("data/ringside/victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("events.jsonl"), "").unwrap();
    let d = Daemon::start(tmp.path());
    let ids = |d: &Daemon| -> Vec<String> {
        let (st, v) = d.json("GET", "/api/sessions", None);
        assert_eq!(st, 200, "{v}");
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        ids(&d).contains(&a) && ids(&d).contains(&b),
        "indexed at start"
    );

    // Export: one zip with every review file under one folder; the audio byte for byte.
    for id in [&a, &b] {
        let r = d.call("GET", &format!("/api/sessions/{id}/export"), None);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some("application/zip"));
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename=\"ringside-{id}.zip\"").as_str())
        );
        let files = common::unzip(&r.body);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        for f in ARCHIVE_FILES {
            assert!(
                names.contains(&format!("ringside-{id}/{f}").as_str()),
                "{f} in {names:?}"
            );
        }
        assert_eq!(names.len(), ARCHIVE_FILES.len(), "{names:?}");
        let file = |f: &str| {
            &files
                .iter()
                .find(|(n, _)| *n == format!("ringside-{id}/{f}"))
                .unwrap()
                .1
        };
        let wav = file("audio.wav");
        assert_eq!(
            wav,
            &std::fs::read(sessions.join(id).join("audio.wav")).unwrap()
        );
        let r = hound::WavReader::new(std::io::Cursor::new(wav.clone())).unwrap();
        let secs = if *id == a { 3 } else { 2 };
        assert_eq!((r.spec().channels, r.duration()), (2, secs * 16_000));
        let debrief: Value = serde_json::from_slice(file("debrief.json")).unwrap();
        assert!(debrief["moments"].is_array(), "{debrief}");
        let text = String::from_utf8_lossy(file("transcript.txt")).into_owned();
        assert!(text.contains("Do you have a minute?"), "{text}");
    }
    assert!(
        !sessions.join(&b).join("debrief.json").exists(),
        "export does not write into the session"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&sessions)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("export"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary archive left behind");

    // Ids that are not sessions, or try to walk out of the sessions directory: 404, and
    // nothing outside is touched.
    for bad in [
        "..%2Fvictim",
        "..%2F..%2Fringside%2Fvictim",
        "%2E%2E",
        "victim",
        "20000101-000000-000000",
        "a%00b",
    ] {
        for (method, path) in [
            ("DELETE", format!("/api/sessions/{bad}")),
            ("GET", format!("/api/sessions/{bad}/export")),
        ] {
            let (st, v) = d.json(method, &path, None);
            assert_eq!(st, 404, "{method} {path}: {v}");
            assert!(v["error"].as_str().is_some(), "{v}");
        }
    }
    assert!(victim.join("events.jsonl").is_file());

    // Delete: the directory and the index row go; a second delete is a 404.
    let (st, v) = d.json("DELETE", &format!("/api/sessions/{b}"), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["deleted"], b.as_str());
    assert!(!sessions.join(&b).exists());
    assert!(
        sessions.join(&a).join("audio.wav").is_file(),
        "only that one"
    );
    assert!(!ids(&d).contains(&b) && ids(&d).contains(&a));
    let store = ringside::session::index::Store::open(&sessions.join("history.sqlite")).unwrap();
    assert!(store.get(&b).unwrap().is_none(), "index row gone");
    assert!(store.get(&a).unwrap().is_some());
    let (st, _) = d.json("GET", &format!("/api/sessions/{b}"), None);
    assert_eq!(st, 404);
    let (st, _) = d.json("DELETE", &format!("/api/sessions/{b}"), None);
    assert_eq!(st, 404);
    // Another site's page cannot delete (Origin), whatever the token.
    let auth = format!("Bearer {}", d.token);
    let r = request(
        &d.endpoint(),
        "DELETE",
        &format!("/api/sessions/{a}"),
        &[("Authorization", &auth), ("Origin", "http://evil.example")],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 403);
    assert!(sessions.join(&a).is_dir());

    // The running session can be neither deleted nor exported.
    let events = d.events();
    let mut seen = Vec::new();
    let body = json!({"replay": sample_call(), "speed": "realtime"}).to_string();
    let (st, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 201, "{v}");
    let running = v["id"].as_str().unwrap().to_string();
    let (st, v) = d.json("DELETE", &format!("/api/sessions/{running}"), None);
    assert_eq!(st, 409, "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("running") && msg.contains("stop"), "{msg}");
    let (st, v) = d.json("GET", &format!("/api/sessions/{running}/export"), None);
    assert_eq!(st, 409, "{v}");
    assert!(sessions.join(&running).join("audio.wav").is_file());
    let (st, _) = d.json("POST", "/api/sessions/stop", None);
    assert_eq!(st, 200);
    wait_event(&events, Duration::from_secs(120), &mut seen, |v| {
        v["type"] == "session_ended"
    });
    let (st, v) = d.json("DELETE", &format!("/api/sessions/{running}"), None);
    assert_eq!(st, 200, "deletable once stopped: {v}");
    assert!(!sessions.join(&running).exists());
}

#[test]
fn scenarios_are_listed_and_bad_roleplay_requests_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config");
    let user = config.join("ringside/scenarios");
    std::fs::create_dir_all(&user).unwrap();
    let src =
        std::fs::read_to_string(common::repo().join("config/scenarios/saas_renewal.toml")).unwrap();
    std::fs::write(
        user.join("my_renewal.toml"),
        src.replacen("title = \"", "title = \"Mine: ", 1),
    )
    .unwrap();
    std::fs::write(user.join("broken.toml"), "version = 1\n").unwrap();
    let d = Daemon::start_with(tmp.path(), &[("XDG_CONFIG_HOME", config.as_os_str())]);

    let (st, v) = d.json("GET", "/api/scenarios", None);
    assert_eq!(st, 200, "{v}");
    let list = v["scenarios"].as_array().unwrap();
    let built_in: Vec<&str> = list
        .iter()
        .filter(|s| s["source"] == "built-in")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        built_in,
        [
            "insurance_cold_call",
            "saas_renewal",
            "salary_negotiation",
            "landlord_rent"
        ]
    );
    for s in list.iter().filter(|s| s["source"] == "built-in") {
        assert!(s["title"].is_string() && s["persona"].is_string(), "{s}");
    }
    let mine = list.iter().find(|s| s["name"] == "my_renewal").unwrap();
    assert_eq!(mine["source"], "file");
    assert!(
        mine["title"].as_str().unwrap().starts_with("Mine: "),
        "{mine}"
    );
    assert!(mine["error"].is_null(), "{mine}");
    let broken = list.iter().find(|s| s["name"] == "broken").unwrap();
    assert!(
        broken["error"].as_str().unwrap().contains("broken.toml"),
        "{broken}"
    );

    let start = |body: Value| d.json("POST", "/api/sessions/start", Some(&body.to_string()));
    let one_line = |v: &Value| {
        let e = v["error"].as_str().unwrap().to_string();
        assert!(!e.contains('\n'), "one line: {e}");
        e
    };
    let (st, v) = start(json!({"roleplay": "no_such_scenario"}));
    assert_eq!(st, 400, "{v}");
    let e = one_line(&v);
    assert!(
        e.contains("no_such_scenario")
            && e.contains("insurance_cold_call")
            && e.contains("my_renewal")
            && e.contains("/api/scenarios"),
        "{e}"
    );
    let (st, v) = start(json!({"roleplay": "../saas_renewal"}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = start(json!({"roleplay": "broken"}));
    assert_eq!(st, 400, "{v}");
    assert!(one_line(&v).contains("broken.toml"), "{v}");
    let (st, v) = start(json!({"roleplay": "insurance_cold_call", "sample": true}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = start(json!({"output": "headset"}));
    assert_eq!(st, 400, "{v}");
    assert!(one_line(&v).contains("roleplay"), "{v}");
    let (st, v) = start(json!({"roleplay": "insurance_cold_call", "practitioner": "s.txt"}));
    assert_eq!(st, 400, "{v}");
    assert!(one_line(&v).contains("absolute"), "{v}");
    let missing = tmp.path().join("missing-script.txt");
    let (st, v) = start(json!({"roleplay": "insurance_cold_call", "practitioner": missing}));
    assert_eq!(st, 400, "{v}");
    assert!(one_line(&v).contains("missing-script.txt"), "{v}");
    let (st, v) = start(json!({"roleplay": "insurance_cold_call", "output_channel": "up"}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = start(json!({"roleplay": "my_renewal", "output": "no-such-output-xyz"}));
    assert_eq!(st, 422, "{v}");
    let e = one_line(&v);
    assert!(
        e.contains("no-such-output-xyz") && e.contains("ringside devices"),
        "{e}"
    );
    let (_, status) = d.json("GET", "/api/status", None);
    assert_eq!(status["state"], "idle", "nothing started: {status}");
}

#[test]
fn the_drill_route_refuses_unknown_ids_calls_without_weak_moments_and_a_busy_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("data/ringside/sessions");
    let id = "20260101-090000-d7a11c";
    common::analyzed_sample_session(&sessions, id, "2026-01-01T09:00:00Z");
    // A call whose debrief flags nothing: no weak moment to drill.
    let calm = "20260101-100000-ca1m00";
    std::fs::create_dir_all(sessions.join(calm)).unwrap();
    let lines = [
        r#"{"type":"session_start","version":1,"id":"20260101-100000-ca1m00","started_at":"2026-01-01T10:00:00Z","sample_rate":16000,"channels":2}"#,
        r#"{"type":"utterance","id":0,"speaker":"me","start":0.5,"end":2.0,"text":"Is now a bad time to talk?","act":"no_question","why":""}"#,
        r#"{"type":"utterance","id":1,"speaker":"them","start":2.5,"end":3.5,"text":"No, go ahead.","act":"no","why":""}"#,
    ];
    std::fs::write(
        sessions.join(calm).join("events.jsonl"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let mut d = Daemon::start(tmp.path());
    let drill = |sid: &str, body: Option<&str>| {
        let (st, v) = d.json("POST", &format!("/api/sessions/{sid}/drill"), body);
        let msg = v["error"].as_str().unwrap_or_default().to_string();
        (st, v, msg)
    };

    let (st, _, msg) = drill("20991231-000000-000000", None);
    assert_eq!(st, 404, "{msg}");
    assert!(
        msg.contains("no session") && msg.contains("GET /api/sessions"),
        "{msg}"
    );
    for bad in ["..", "%2e%2e", "..%2F..%2Fetc", "a%2Fb"] {
        let (st, _, msg) = drill(bad, None);
        assert_eq!(st, 404, "{bad}: {msg}");
    }
    let (st, _, msg) = drill(id, Some(r#"{"tires": 2}"#));
    assert_eq!(st, 400, "{msg}");
    assert!(msg.contains("tires"), "{msg}");
    let (st, _, msg) = drill(id, Some(r#"{"tries": 0}"#));
    assert_eq!(st, 400, "{msg}");
    assert!(msg.contains("1 to 20"), "{msg}");
    let (st, _, msg) = drill(calm, None);
    assert_eq!(st, 422, "{msg}");
    assert!(msg.contains("no weak moments"), "{msg}");
    let (st, _, msg) = drill(id, Some(r#"{"output": "no-such-output-device"}"#));
    assert_eq!(st, 422, "{msg}");
    assert!(
        msg.contains("no-such-output-device") && msg.contains("ringside devices"),
        "{msg}"
    );
    assert!(!sessions.join(id).join("drill.json").exists());

    // Busy: a session runs, so no drill starts (and none is written).
    let events = d.events();
    let mut seen = Vec::new();
    let body = json!({"replay": sample_call(), "speed": "realtime"}).to_string();
    let (st, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 201, "{v}");
    let running = v["id"].as_str().unwrap().to_string();
    let (st, _, msg) = drill(id, None);
    assert_eq!(st, 409, "{msg}");
    assert!(
        msg.contains(&running) && msg.contains("stop it first"),
        "{msg}"
    );
    let (_, status) = d.json("GET", "/api/status", None);
    assert!(status["drill_session"].is_null(), "{status}");
    let (st, _) = d.json("POST", "/api/sessions/stop", None);
    assert_eq!(st, 200);
    wait_event(&events, Duration::from_secs(120), &mut seen, |v| {
        v["type"] == "session_ended"
    });
    assert!(
        !seen.iter().any(|v| v["type"] == "drill_started"),
        "no drill started"
    );
    assert!(!sessions.join(id).join("drill.json").exists());

    d.sigterm();
    assert!(d.wait(Duration::from_secs(60)).success(), "{}", d.log());
}
