//! Hardening probes (issue 11): each test is named after a failure found by probing and would
//! fail if that failure came back. They drive the real binary (and the real model where a
//! command needs it), as a user would.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::models_dir;
use ringside::event::Speaker;
use ringside::session::{Recorder, SessionMeta};
use serde_json::Value;

fn ringside(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    // Private data, runtime and temp directories; never a developer's config.
    c.env_remove("RINGSIDE_CONFIG")
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_RUNTIME_DIR", root.join("run"))
        .env("RINGSIDE_MODELS", models_dir())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    c
}

/// Runs `cmd` to its end, killing it (and failing) after `limit`.
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn mkfifo(p: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that lives through the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// One raw HTTP/1.1 request (custom Host and headers); returns the status and the body.
fn raw_http(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // The server may answer (413) before the whole body is sent; a reset then is fine.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = text(&out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {out:?}"));
    let body = out.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_string())
}

/// A recorded (and finished, or crashed when `finish` is false) session of a few seconds.
fn record_session(sessions_dir: &Path, finish: bool) -> PathBuf {
    let mut r = Recorder::create(sessions_dir, SessionMeta::default(), 1).unwrap();
    let dir = r.dir().to_path_buf();
    r.push_audio(Speaker::Me, 0, &vec![0.1; 32_000]).unwrap();
    if finish {
        r.finish().unwrap();
    }
    dir
}

fn info(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("session.json")).unwrap()).unwrap()
}

/// Item 2: a FIFO as the replay path hung the daemon's shutdown (and would hang the CLI).
#[test]
fn fifo_as_replay_path_is_refused_and_does_not_hang_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("call.wav");
    mkfifo(&fifo);

    // The CLI: transcribe and analyze say what is wrong at once.
    for args in [vec!["transcribe"], vec!["analyze"]] {
        let mut c = ringside(tmp.path());
        c.args(&args).arg(&fifo);
        let out = run_within(c, Duration::from_secs(30));
        let err = text(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("is not a regular file (a named pipe)"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }

    // The API: 400, then SIGTERM ends the process promptly.
    let mut d = Daemon::start(tmp.path());
    let body = serde_json::json!({ "replay": fifo }).to_string();
    let (status, v) = d.json("POST", "/api/sessions/start", Some(&body));
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("not a regular file"),
        "{v}"
    );
    d.sigterm();
    let st = d.wait(Duration::from_secs(20));
    assert!(st.success(), "{st:?}; log:\n{}", d.log());
}

/// Item 3: one line with byte 0xff ended `classify` ("stream did not contain valid UTF-8");
/// a 200k-word line took seconds and grew super-linearly.
#[test]
fn classify_keeps_going_after_invalid_utf8_and_overlong_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"speaker\":\"me\",\"text\":\"Is now a bad time to talk?\"}\n");
    input.extend_from_slice(b"{\"speaker\":\"them\",\"text\":\"caf\xff\"}\n");
    input.extend_from_slice(b"{\"speaker\":\"them\",\"text\":\"No, go ahead.\"}\n");
    let long = "word ".repeat(200_000);
    input.extend_from_slice(format!("{{\"speaker\":\"me\",\"text\":\"{long}\"}}\n").as_bytes());
    input.extend_from_slice(b"{\"speaker\":\"me\",\"text\":\"It sounds like timing matters.\"}\n");

    let mut child = ringside(tmp.path())
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let t0 = Instant::now();
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());

    let stdout = text(&out.stdout);
    let err = text(&out.stderr);
    let texts: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts,
        [
            "Is now a bad time to talk?",
            "No, go ahead.",
            "It sounds like timing matters."
        ],
        "{err}"
    );
    assert!(err.contains("line 2:") && err.contains("UTF-8"), "{err}");
    assert!(
        err.contains("line 4:") && err.contains("65536-byte limit"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
}

/// Item 4: NaN, infinity and 4e9 ms were accepted as config values.
#[test]
fn config_nan_infinity_and_out_of_range_values_are_rejected_naming_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.toml");
    for (toml, want) in [
        (
            "[vad]\nmin_speech_ms = 4000000000\n",
            "config.toml: [vad] min_speech_ms = 4000000000 is out of range (0..=10000)",
        ),
        (
            "[asr]\nlogprob_threshold = nan\n",
            "config.toml: [asr] logprob_threshold = NaN is out of range (-10..=0)",
        ),
        (
            "[asr]\nentropy_threshold = inf\n",
            "config.toml: [asr] entropy_threshold = inf is out of range (0..=10)",
        ),
    ] {
        std::fs::write(&cfg, toml).unwrap();
        let mut c = ringside(tmp.path());
        c.arg("--config").arg(&cfg).arg("classify");
        let out = run_within(c, Duration::from_secs(30));
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{toml} was accepted");
        assert!(err.contains(want), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}

/// Item 5: a model given by path with its last 1000 bytes cut loaded, and output quietly
/// changed.
#[test]
fn truncated_model_given_by_path_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("cut.bin");
    let bytes = std::fs::read(common::model()).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() - 1000]).unwrap();
    let mut c = ringside(tmp.path());
    c.args(["transcribe", "--model"])
        .arg(&model)
        .arg(common::sample_call());
    let out = run_within(c, Duration::from_secs(120));
    let err = text(&out.stderr);
    assert!(!out.status.success(), "the truncated model loaded: {err}");
    assert!(err.contains("cut.bin"), "{err}");
}

/// Item 6: an unfinished session whose recorded pid now belongs to another program (after a
/// reboot) was "still being recorded by process 1" forever.
#[test]
fn reused_pid_of_another_program_does_not_block_repair() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    // One crashed session with its (unlocked) lock file, one from before lock files existed.
    let a = record_session(&sessions, false);
    let b = record_session(&sessions, false);
    std::fs::remove_file(b.join(ringside::session::LOCK_FILE)).unwrap();
    for dir in [&a, &b] {
        let mut v = info(dir);
        // pid 1 is alive and is not Ringside.
        v["pid"] = Value::from(1);
        std::fs::write(dir.join("session.json"), v.to_string()).unwrap();
    }
    let mut c = ringside(tmp.path());
    c.args(["sessions", "repair", "--sessions-dir"])
        .arg(&sessions);
    let out = run_within(c, Duration::from_secs(60));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("still being recorded"), "{err}");
    for dir in [&a, &b] {
        let v = info(dir);
        assert_eq!(v["finished"], true, "{v}\n{err}");
        assert_eq!(v["repaired"], true, "{v}");
    }
}

/// Item 7: every `--sample` run left a 4.2 MB `ringside-<pid>/sample_call.wav` in the temp
/// dir, at a predictable path written through symlinks.
#[test]
fn sample_call_leaves_no_temporary_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut c = ringside(tmp.path());
    c.env("TMPDIR", &scratch).args([
        "practice",
        "--sample",
        "--speed",
        "max",
        "--duration",
        "3",
        "--no-record",
    ]);
    let out = run_within(c, Duration::from_secs(180));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(&scratch).unwrap().collect();
    assert!(left.is_empty(), "left in the temp dir: {left:?}");
}

/// Item 8: `history.sqlite` was 0644 and shared by sibling sessions directories, so a daemon
/// for one listed (and would serve the audio of) another's calls.
#[test]
fn history_index_is_private_and_not_shared_by_sibling_sessions_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let ringside_data = tmp.path().join("data/ringside");
    let other = ringside_data.join("other-sessions");
    let other_session = record_session(&other, true);
    let mut c = ringside(tmp.path());
    c.args(["sessions", "reindex", "--sessions-dir"])
        .arg(&other);
    let out = run_within(c, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = other.join("history.sqlite");
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", db.display());

    // A daemon for the default sessions dir (a sibling) sees none of those calls.
    let d = Daemon::start(tmp.path());
    let (status, v) = d.json("GET", "/api/sessions", None);
    assert_eq!(status, 200);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0, "{v}");
    let id = other_session.file_name().unwrap().to_str().unwrap();
    let r = d.call("GET", &format!("/api/sessions/{id}/audio"), None);
    assert_eq!(r.status, 404);
    let own = d.sessions_dir().join("history.sqlite");
    let mode = std::fs::metadata(&own).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", own.display());
}

/// Item 9: any Host and any Origin were accepted (DNS rebinding, cross-site POSTs), and 413 /
/// 400 answers were plain text.
#[test]
fn foreign_host_and_origin_are_refused_and_every_error_is_json() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(tmp.path());
    let port = d.addr.rsplit(':').next().unwrap().to_string();
    let auth = format!("Authorization: Bearer {}\r\n", d.token);
    let json = |body: &str| -> Value {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
    };

    for host in [
        "evil.example",
        &format!("evil.example:{port}"),
        "127.0.0.1:1",
    ] {
        let (s, b) = raw_http(
            &d.addr,
            &format!("GET /api/status HTTP/1.1\r\nHost: {host}\r\n{auth}"),
            b"",
        );
        assert_eq!(s, 403, "Host {host}: {b}");
        assert_eq!(json(&b)["status"], 403);
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_string(),
    ] {
        let (s, b) = raw_http(
            &d.addr,
            &format!("GET /api/status HTTP/1.1\r\nHost: {host}\r\n{auth}"),
            b"",
        );
        assert_eq!(s, 200, "Host {host}: {b}");
    }

    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let (s, b) = raw_http(
        &d.addr,
        &format!("POST /api/sessions/stop HTTP/1.1\r\n{host}{auth}Origin: http://evil.example\r\n"),
        b"",
    );
    assert_eq!(s, 403, "{b}");
    assert_eq!(json(&b)["status"], 403);
    // The daemon's own page may: the answer is the API's (no session to stop).
    let (s, b) = raw_http(
        &d.addr,
        &format!(
            "POST /api/sessions/stop HTTP/1.1\r\n{host}{auth}Origin: http://127.0.0.1:{port}\r\n"
        ),
        b"",
    );
    assert_eq!(s, 409, "{b}");

    let big = vec![b' '; 3 << 20];
    let (s, b) = raw_http(
        &d.addr,
        &format!("POST /api/sessions/start HTTP/1.1\r\n{host}{auth}"),
        &big,
    );
    assert_eq!(s, 413, "{b}");
    assert_eq!(json(&b)["status"], 413);
    let (s, b) = raw_http(
        &d.addr,
        &format!("GET /api/sessions/%FF%FE HTTP/1.1\r\n{host}{auth}"),
        b"",
    );
    assert!((400..500).contains(&s), "{s} {b}");
    assert_eq!(json(&b)["status"], s);
}

/// A small tmpfs, unmounted when dropped.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(at: &Path, size: &str) -> Option<SmallFs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallFs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Item 10: on a 1 MB filesystem the audio stopped at 13 s, `events.jsonl` ended in half a
/// line, `session.json` stayed unfinished, no scorecard was printed and empty `.tmp` files
/// were left.
#[test]
fn full_disk_mid_call_still_prints_the_scorecard_and_leaves_a_repairable_session() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    let fs = SmallFs::mount(&mnt, "1m")
        .unwrap_or_else(|| panic!("cannot mount a 1 MB tmpfs: this test needs root, as in CI (without root, session::recorder::tests::full_disk_is_reported_once_and_finish_still_scores_without_finishing_on_disk injects the failure)"));
    let sessions = mnt.join("sessions");
    let mut c = ringside(tmp.path());
    c.args(["practice", "--sample", "--speed", "max", "--sessions-dir"])
        .arg(&sessions);
    let out = run_within(c, Duration::from_secs(600));
    let stdout = text(&out.stdout);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        stdout.contains("Scorecard"),
        "no scorecard: {stdout}\n{err}"
    );
    assert!(stdout.contains("Commitment"), "{stdout}");
    // The terminal shows warnings with the transcript (stdout); said once in all.
    let all = format!("{stdout}{err}");
    assert_eq!(
        all.matches("free space, then run `ringside sessions repair`")
            .count(),
        1,
        "said once: {all}"
    );

    let dir = ringside::session::store::session_dirs(&sessions).unwrap()[0].clone();
    assert!(
        all.contains(&format!("recording to {} stopped", dir.display())),
        "{all}"
    );
    let events = std::fs::read(dir.join("events.jsonl")).unwrap();
    assert!(events.is_empty() || events.ends_with(b"\n"), "partial line");
    for line in text(&events).lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    let litter: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
    assert_eq!(info(&dir)["finished"], false);

    // Space freed: repair completes the session.
    fs.resize("64m");
    let mut c = ringside(tmp.path());
    c.args(["sessions", "repair", "--sessions-dir"])
        .arg(&sessions);
    let out = run_within(c, Duration::from_secs(120));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = info(&dir);
    assert_eq!(v["finished"], true, "{v}");
    assert_eq!(v["repaired"], true, "{v}");
}

/// Item 11: "No such file or directory (os error 2); check the path: No such file or
/// directory (os error 2)": a context repeated its source in the `{:#}` chain.
#[test]
fn failing_command_names_its_cause_once() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.wav");
    let mut c = ringside(tmp.path());
    c.arg("transcribe").arg(&missing);
    let out = run_within(c, Duration::from_secs(30));
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("missing.wav"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}
