//! Hardening probes, round two (issue 24): the surface added since the first round (delete,
//! export, drill, role-play through the daemon) and resource bounds. Each test is named after
//! a failure found by probing and would fail if it came back. They drive the real binary and
//! daemon (with the real model), as a user or a hostile local user would.
//!
//! Needs the environment of `scripts/test.sh`: the model, root for the small tmpfs of the
//! full-disk test, and the virtual microphone for the drill-lock test.

// Test code: a failed unwrap is a failed test (helpers outside #[test] are test code too).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::daemon::{wait_event, Daemon};
use common::models_dir;
use ringside::control::client::{request, Response};
use ringside::event::Speaker;
use ringside::session::{Recorder, SessionMeta};
use serde_json::{json, Value};

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

fn info(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("session.json")).unwrap()).unwrap()
}

fn sessions_of(root: &Path) -> PathBuf {
    root.join("data/ringside/sessions")
}

/// A request to the daemon that must be answered within `limit` (a hang fails the test
/// instead of hanging it).
fn call_within(
    d: &Daemon,
    method: &str,
    path: &str,
    body: Option<&str>,
    limit: Duration,
) -> Response {
    let (endpoint, token) = (d.endpoint(), d.token.clone());
    let (method, owned, body) = (
        method.to_string(),
        path.to_string(),
        body.map(str::to_string),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let path = owned;
        let auth = format!("Bearer {token}");
        let r = request(
            &endpoint,
            &method,
            &path,
            &[("Authorization", &auth)],
            body.as_deref().map(str::as_bytes),
        );
        let _ = tx.send(r);
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{path}: no answer within {limit:?}"))
        .unwrap()
}

fn json_within(d: &Daemon, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let r = call_within(d, method, path, body, Duration::from_secs(20));
    (r.status, r.json())
}

/// A recorded session of two seconds; finished or left as a crash leaves it.
fn record_session(sessions_dir: &Path, finish: bool) -> PathBuf {
    let mut r = Recorder::create(sessions_dir, SessionMeta::default(), 1).unwrap();
    let dir = r.dir().to_path_buf();
    r.push_audio(Speaker::Me, 0, &vec![0.1; 32_000]).unwrap();
    if finish {
        r.finish().unwrap();
    }
    dir
}

/// Item 1: `sessions delete S/link/` (a trailing slash) followed the link and emptied its
/// target, an unrelated file included.
#[test]
fn sessions_delete_of_a_linked_dir_with_a_trailing_slash_leaves_its_target_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let real = record_session(&sessions, true);
    let outside = tmp.path().join("out/v");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("events.jsonl"), "").unwrap();
    std::fs::write(outside.join("unrelated.txt"), "keep me").unwrap();
    let link = sessions.join("20990101-000000-link03");
    std::os::unix::fs::symlink(&outside, &link).unwrap();

    for arg in [format!("{}/", link.display()), link.display().to_string()] {
        let mut c = ringside(tmp.path());
        c.args(["sessions", "delete", "--yes", &arg]);
        let out = run_within(c, Duration::from_secs(30));
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{arg} was deleted: {err}");
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // By its name it is not a session of ours either.
    let mut c = ringside(tmp.path());
    c.args(["sessions", "delete", "--yes", "20990101-000000-link03"]);
    let out = run_within(c, Duration::from_secs(30));
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(outside.join("unrelated.txt")).unwrap(),
        "keep me"
    );
    assert!(outside.join("events.jsonl").is_file());
    assert!(real.join("session.json").is_file());
}

/// Item 2: export packed files that symlinks inside a session point to (e.g. /etc/passwd as
/// `transcript.vtt`).
#[test]
fn export_does_not_pack_files_linked_from_outside_the_session() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = common::synthetic_session(&sessions, 2.0);
    let dir = sessions.join(&id);
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-4242\n").unwrap();
    for f in ["transcript.vtt", "labels.txt", "roleplay.json"] {
        let _ = std::fs::remove_file(dir.join(f));
        std::os::unix::fs::symlink(&secret, dir.join(f)).unwrap();
    }
    let leaks = |zip: &[u8]| -> Vec<String> {
        common::unzip(zip)
            .into_iter()
            .filter(|(_, b)| text(b).contains("TOP-SECRET-4242"))
            .map(|(n, _)| n)
            .collect()
    };

    let out_zip = tmp.path().join("cli.zip");
    let mut c = ringside(tmp.path());
    c.args(["sessions", "export", &id, "-o"]).arg(&out_zip);
    let out = run_within(c, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&out_zip).unwrap();
    assert!(leaks(&bytes).is_empty(), "leaked: {:?}", leaks(&bytes));
    // The transcript is still there, computed from the events.
    assert!(common::unzip(&bytes)
        .iter()
        .any(|(n, b)| n.ends_with("/transcript.vtt") && text(b).starts_with("WEBVTT")));

    let d = Daemon::start(tmp.path());
    let r = call_within(
        &d,
        "GET",
        &format!("/api/sessions/{id}/export"),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    assert!(leaks(&r.body).is_empty(), "leaked: {:?}", leaks(&r.body));
}

/// Item 2: a symlinked session directory was hidden from the list, but its detail, export and
/// audio were served.
#[test]
fn linked_session_dir_is_not_served_by_detail_export_or_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    let id = common::synthetic_session(&elsewhere, 2.0);
    let sessions = sessions_of(tmp.path());
    std::fs::create_dir_all(&sessions).unwrap();
    std::os::unix::fs::symlink(elsewhere.join(&id), sessions.join(&id)).unwrap();
    let d = Daemon::start(tmp.path());
    for path in [
        format!("/api/sessions/{id}"),
        format!("/api/sessions/{id}/export"),
        format!("/api/sessions/{id}/audio"),
    ] {
        let r = call_within(&d, "GET", &path, None, Duration::from_secs(30));
        assert_eq!(
            r.status,
            404,
            "{path}: {}",
            text(&r.body[..r.body.len().min(300)])
        );
    }
    let (_, v) = json_within(&d, "GET", "/api/sessions", None);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0, "{v}");
}

/// Item 3: the export's temporary file `.NAME.PID.tmp` had a predictable name and was
/// followed: a link planted there had the victim file overwritten, and `out.zip` became a link.
#[test]
fn export_temp_file_is_not_written_through_a_planted_link() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = common::synthetic_session(&sessions, 2.0);
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "victim's own text").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();

    // The shell plants the link at the name the exporter's pid gives, then becomes it.
    let base = ringside(tmp.path());
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(r#"ln -s "$1" ".out.zip.$$.tmp" && exec "$2" sessions export "$3" -o out.zip"#)
        .arg("sh")
        .arg(&victim)
        .arg(env!("CARGO_BIN_EXE_ringside"))
        .arg(&id)
        .current_dir(&work)
        .stdin(Stdio::null());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = run_within(c, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "victim's own text"
    );
    let zip = work.join("out.zip");
    let meta = std::fs::symlink_metadata(&zip).unwrap();
    assert!(meta.file_type().is_file(), "out.zip is not a regular file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(common::unzip(&std::fs::read(&zip).unwrap()).len() >= 8);
    let litter: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out.zip" && !n.starts_with(".out.zip."))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
}

/// Item 4: the zip's folder came from `session.json`'s `id` unchecked
/// (`ringside-x/../../../../tmp/e/audio.wav`).
#[test]
fn zip_folder_is_the_directory_name_not_session_json_id() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = common::synthetic_session(&sessions, 2.0);
    let dir = sessions.join(&id);
    let mut v = info(&dir);
    v["id"] = Value::from("x/../../../../tmp/e");
    std::fs::write(dir.join("session.json"), v.to_string()).unwrap();
    let check = |zip: &[u8]| {
        for (name, _) in common::unzip(zip) {
            assert!(
                name.starts_with(&format!("ringside-{id}/")) && !name.contains(".."),
                "{name}"
            );
        }
    };
    let out_zip = tmp.path().join("a.zip");
    let mut c = ringside(tmp.path());
    c.args(["sessions", "export", &id, "-o"]).arg(&out_zip);
    let out = run_within(c, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    check(&std::fs::read(&out_zip).unwrap());
    let d = Daemon::start(tmp.path());
    let r = call_within(
        &d,
        "GET",
        &format!("/api/sessions/{id}/export"),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(r.status, 200);
    check(&r.body);
}

/// Item 5: a symlinked scenario file showed its target's first line (a line of /etc/shadow)
/// in the TOML error served by `/api/scenarios`.
#[test]
fn scenario_errors_in_api_scenarios_show_no_file_content() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config");
    let scenarios = config.join("ringside/scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    let shadow = tmp.path().join("shadow");
    std::fs::write(&shadow, "root:$6$SECRETHASH:19000:0:99999:7:::\n").unwrap();
    std::os::unix::fs::symlink(&shadow, scenarios.join("linked.toml")).unwrap();
    std::fs::write(scenarios.join("broken.toml"), "password = hunter2-SECRET\n").unwrap();
    let d = Daemon::start_with(tmp.path(), &[("XDG_CONFIG_HOME", config.as_os_str())]);
    let r = call_within(&d, "GET", "/api/scenarios", None, Duration::from_secs(20));
    assert_eq!(r.status, 200);
    let body = text(&r.body);
    assert!(!body.contains("SECRETHASH"), "{body}");
    assert!(!body.contains("hunter2"), "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let entry = |name: &str| -> Value {
        v["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {v}"))
    };
    let linked = entry("linked")["error"].as_str().unwrap().to_string();
    assert!(linked.contains("symbolic link"), "{linked}");
    let broken = entry("broken")["error"].as_str().unwrap().to_string();
    assert!(broken.contains("line 1"), "{broken}");
}

/// Item 6: a FIFO as the practitioner script hung the request and then the daemon's SIGTERM;
/// `/dev/zero` was read until memory ran out.
#[test]
fn fifo_or_device_as_practitioner_script_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("f.txt");
    mkfifo(&fifo);
    let mut d = Daemon::start(tmp.path());
    for (path, kind) in [
        (fifo.as_path(), "a named pipe"),
        (Path::new("/dev/zero"), "a device"),
    ] {
        let body = json!({"roleplay": "insurance_cold_call", "practitioner": path}).to_string();
        let (st, v) = json_within(&d, "POST", "/api/sessions/start", Some(&body));
        assert_eq!(st, 400, "{v}");
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.contains(kind) && msg.contains("not a regular file"),
            "{msg}"
        );
    }
    d.sigterm();
    assert!(d.wait(Duration::from_secs(20)).success(), "{}", d.log());
}

/// Item 7: `drill.json` as a FIFO hung `GET /api/sessions/ID`, `POST .../drill` and
/// `ringside report`, and the daemon then ignored SIGTERM.
#[test]
fn fifo_as_drill_json_does_not_hang_detail_drill_or_report() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = "20260101-090000-d7a11c";
    let dir = common::analyzed_sample_session(&sessions, id, "2026-01-01T09:00:00Z");
    mkfifo(&dir.join("drill.json"));
    let mut d = Daemon::start(tmp.path());
    let (st, v) = json_within(&d, "GET", &format!("/api/sessions/{id}"), None);
    assert_eq!(st, 200, "{v}");
    let issues = v["log_issues"].to_string();
    assert!(
        issues.contains("drill.json") && issues.contains("named pipe"),
        "{issues}"
    );
    let (st, v) = json_within(&d, "POST", &format!("/api/sessions/{id}/drill"), None);
    assert_eq!(st, 422, "{v}");
    let mut c = ringside(tmp.path());
    c.args(["report", id]);
    let out = run_within(c, Duration::from_secs(30));
    assert!(text(&out.stderr).contains("named pipe") || out.status.success());
    d.sigterm();
    assert!(d.wait(Duration::from_secs(20)).success(), "{}", d.log());
}

/// Item 8: the CLI deleted a session that the daemon was drilling (the API said 409), and the
/// drill's tries were lost. One lock per session covers drill, delete and export, for the CLI
/// and the daemon alike.
#[test]
fn a_session_being_drilled_is_not_deleted_or_exported_by_the_cli_or_the_api() {
    use common::virtual_line::{require_env, VirtualLine};
    require_env();
    let line = VirtualLine::new("lock");
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = "20260101-090000-d7a11c";
    let dir = common::analyzed_sample_session(&sessions, id, "2026-01-01T09:00:00Z");
    let d = Daemon::start(tmp.path());
    let events = d.events();
    let mut seen = Vec::new();
    let body = json!({
        "mic": line.mic, "output": line.sink, "output_channel": "right", "tries": 1,
        "moments": 1,
    })
    .to_string();
    let (st, v) = json_within(
        &d,
        "POST",
        &format!("/api/sessions/{id}/drill"),
        Some(&body),
    );
    assert_eq!(st, 202, "{v}");

    let mut c = ringside(tmp.path());
    c.args(["sessions", "delete", "--yes", id]);
    let out = run_within(c, Duration::from_secs(30));
    let err = text(&out.stderr);
    assert!(!out.status.success(), "deleted during the drill: {err}");
    assert!(err.contains("in use"), "{err}");
    let mut c = ringside(tmp.path());
    c.args(["sessions", "export", id, "-o"])
        .arg(tmp.path().join("x.zip"));
    let out = run_within(c, Duration::from_secs(30));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("in use"),
        "{}",
        text(&out.stderr)
    );
    let (st, v) = json_within(&d, "DELETE", &format!("/api/sessions/{id}"), None);
    assert_eq!(st, 409, "{v}");
    assert!(dir.join("events.jsonl").is_file());

    let (st, _) = json_within(&d, "POST", "/api/sessions/stop", None);
    assert_eq!(st, 200);
    wait_event(&events, Duration::from_secs(60), &mut seen, |v| {
        v["type"] == "drill_ended"
    });
    // Once the drill is over, the session can go.
    let mut c = ringside(tmp.path());
    c.args(["sessions", "delete", "--yes", id]);
    let out = run_within(c, Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!dir.exists());
}

/// Item 9: 1,030 idle TCP connections (no token needed) used up the daemon's 1,024 file
/// descriptors: `/api/status` and `ringside status` timed out.
#[test]
fn idle_tcp_connections_leave_ringside_status_answering() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start_limited(tmp.path(), &[], Some(1024));
    let addr: std::net::SocketAddr = d.addr.parse().unwrap();
    let mut conns = Vec::new();
    for _ in 0..1030 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            conns.push(s);
        }
    }
    assert_eq!(conns.len(), 1030, "only {} connected", conns.len());
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    let mut c = ringside(tmp.path());
    c.arg("status");
    let out = run_within(c, Duration::from_secs(30));
    let took = t0.elapsed();
    eprintln!(
        "ringside status answered in {took:?} with {} idle TCP connections open",
        conns.len()
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(2), "status took {took:?}");
    assert!(
        text(&out.stdout).contains("ringside daemon"),
        "{}",
        text(&out.stdout)
    );
    drop(conns);
    let (st, _) = json_within(&d, "GET", "/api/status", None);
    assert_eq!(st, 200);
}

/// Item 9: a request whose headers or body never finished held its connection (70 s seen).
#[test]
fn unfinished_requests_are_cut_off() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(tmp.path());
    let port = d.addr.rsplit(':').next().unwrap().to_string();

    // Headers that never end: the connection is closed.
    let mut s = TcpStream::connect(&d.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
    write!(s, "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n").unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let r = s.read_to_end(&mut buf);
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "open for {:?}: {r:?}",
        t0.elapsed()
    );

    // A body that never ends: a JSON error, then the connection goes.
    let mut s = TcpStream::connect(&d.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
    write!(
        s,
        "POST /api/sessions/start HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{\"sa",
        d.token
    )
    .unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    let answer = text(&buf);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive"), "{answer}");
}

/// A small tmpfs, unmounted when dropped.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(at: &Path, size: &str) -> SmallFs {
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
        assert!(
            ok,
            "cannot mount a small tmpfs: this test needs root, as in CI"
        );
        SmallFs(at.to_path_buf())
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Item 10: on a full disk the scorecard covered only what was written ("Scorecard (00:33
/// call)" for a 01:08 call) and still ended with "recorded to ...".
#[test]
fn full_disk_scorecard_covers_the_call_as_heard_and_says_the_recording_is_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    let _fs = SmallFs::mount(&mnt, "1m");
    let sessions = mnt.join("sessions");
    let mut c = ringside(tmp.path());
    c.args(["practice", "--sample", "--speed", "max", "--sessions-dir"])
        .arg(&sessions);
    let out = run_within(c, Duration::from_secs(600));
    let stdout = text(&out.stdout);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let call = hound::WavReader::open(common::sample_call()).unwrap();
    let secs = call.duration() as f64 / call.spec().sample_rate as f64;
    let whole = ringside::event::mmss(secs);
    assert!(
        stdout.contains(&format!("Scorecard ({whole} call)")),
        "not scored as heard ({whole}): {stdout}"
    );
    assert!(err.contains("is incomplete"), "{err}");
    assert!(err.contains(&format!("of the {whole} call")), "{err}");
    assert!(!err.contains("recorded to"), "{err}");
}

/// Writes a 16 kHz mono 16-bit WAV of `secs` of silence whose header says `header_secs`.
fn lying_wav(path: &Path, secs: f64, header_secs: f64) {
    let n = (secs * 16_000.0) as usize;
    let said = (header_secs * 16_000.0) as u32 * 2;
    let mut b = Vec::with_capacity(44 + 2 * n);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + said).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&said.to_le_bytes());
    b.resize(44 + 2 * n, 0);
    std::fs::write(path, b).unwrap();
}

/// Item 11: a WAV whose header said 1 s while the file held 68 s was analysed for 1.0 s with
/// no warning; one whose header said 1 h while it held 5 s was refused.
#[test]
fn wav_header_lying_about_its_length_is_read_as_far_as_the_data_goes_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    for (secs, header) in [(20.0, 1.0), (5.0, 3600.0)] {
        let wav = tmp.path().join(format!("lying-{header}.wav"));
        lying_wav(&wav, secs, header);
        let mut c = ringside(tmp.path());
        c.arg("analyze")
            .arg(&wav)
            .arg("--sessions-dir")
            .arg(&sessions);
        let out = run_within(c, Duration::from_secs(120));
        let err = text(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("the WAV header says the audio is") && err.contains("lying-"),
            "{err}"
        );
        let dir = PathBuf::from(text(&out.stdout).trim().lines().last().unwrap());
        let duration = info(&dir)["duration"].as_f64().unwrap();
        assert!(
            (duration - secs).abs() < 0.1,
            "{duration} s analysed of {secs} s"
        );
    }
}

/// Peak RSS in KiB of a command, from `/usr/bin/time -f %M` (its last stderr line).
fn peak_rss_kib(cmd: &mut Command, limit: Duration) -> (u64, Output) {
    let mut t = Command::new("/usr/bin/time");
    t.args(["-f", "%M"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        t.current_dir(d);
    }
    t.stdin(Stdio::null());
    let out = run_within(t, limit);
    let err = text(&out.stderr);
    let kib = err
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in {err}"));
    (kib, out)
}

/// Item 12: `analyze` on 3 hours of silence peaked at 2.84 GB RSS (4.1 times the file): the
/// whole file was decoded into memory. Here an hour of stereo silence (230 MB) must stay far
/// below that: memory must not grow with the call.
#[test]
fn analyze_memory_does_not_grow_with_the_length_of_the_call() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("hour.wav");
    let st = Command::new("sox")
        .args(["-n", "-r", "16000", "-c", "2", "-b", "16"])
        .arg(&wav)
        .args(["trim", "0", "3600"])
        .status()
        .unwrap();
    assert!(st.success());
    let mut c = ringside(tmp.path());
    c.arg("analyze")
        .arg(&wav)
        .arg("--sessions-dir")
        .arg(tmp.path().join("sessions"));
    let (kib, out) = peak_rss_kib(&mut c, Duration::from_secs(900));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        kib < 400 * 1024,
        "analyze of 1 h peaked at {} MB",
        kib / 1024
    );
}

/// The daemon's resident and peak memory in KiB (`VmRSS`, `VmHWM`).
fn daemon_memory_kib(d: &Daemon) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Item 13: the detail of a session with 300,000 events pushed the daemon to 955 MB, and
/// 819 MB stayed.
#[test]
fn detail_of_a_300k_event_session_is_paged_and_keeps_daemon_memory_flat() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(tmp.path());
    let sessions = d.sessions_dir();
    let id = common::synthetic_session(&sessions, 2.0);
    {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(sessions.join(&id).join("events.jsonl"))
            .unwrap();
        let mut w = std::io::BufWriter::new(f);
        for i in 0..300_000u64 {
            writeln!(
                w,
                r#"{{"type":"utterance","id":{},"speaker":"me","start":{}.0,"end":{}.5,"text":"Line number {i} of a very long call, said again and again.","act":"no_question","why":"synthetic"}}"#,
                i + 10,
                i,
                i
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
    let (_, before_peak) = daemon_memory_kib(&d);
    let r = call_within(
        &d,
        "GET",
        &format!("/api/sessions/{id}"),
        None,
        Duration::from_secs(120),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    let events = v["events"].as_array().unwrap().len();
    assert!(events <= 10_000, "{events} events in one answer");
    assert!(
        v["events_total"].as_u64().unwrap() > 300_000,
        "{}",
        v["events_total"]
    );
    assert_eq!(v["events_next"].as_u64(), Some(events as u64));
    let (_, peak) = daemon_memory_kib(&d);
    assert!(
        peak.saturating_sub(before_peak) < 150 * 1024,
        "the detail took the daemon's peak from {} to {} MB",
        before_peak / 1024,
        peak / 1024
    );
    // The next page starts where the first ended.
    let (st, v) = json_within(
        &d,
        "GET",
        &format!("/api/sessions/{id}?events_from=299990&events_limit=50"),
        None,
    );
    assert_eq!(st, 200);
    assert!(v["events"].as_array().unwrap().len() <= 50);
}

/// Item 14: at max speed, Stop still decoded all the audio already queued (13 s to go idle on
/// an 11-minute file).
#[test]
fn stop_at_max_speed_drops_the_queue_and_records_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let long = tmp.path().join("long.wav");
    let sample = common::sample_call();
    let st = Command::new("sox")
        .args(std::iter::repeat_n(sample.as_os_str(), 10))
        .arg(&long)
        .status()
        .unwrap();
    assert!(st.success());
    let d = Daemon::start(tmp.path());
    let events = d.events();
    let mut seen = Vec::new();
    let body = json!({"replay": long, "speed": "max"}).to_string();
    let (st, v) = json_within(&d, "POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    wait_event(&events, Duration::from_secs(60), &mut seen, |v| {
        v["type"] == "utterance"
    });
    std::thread::sleep(Duration::from_secs(2));
    let t0 = Instant::now();
    let (st, _) = json_within(&d, "POST", "/api/sessions/stop", None);
    assert_eq!(st, 200);
    wait_event(&events, Duration::from_secs(120), &mut seen, |v| {
        v["type"] == "session_ended"
    });
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(6), "idle {took:?} after Stop");
    let log = std::fs::read_to_string(d.sessions_dir().join(&id).join("events.jsonl")).unwrap();
    let utterances = log
        .lines()
        .filter(|l| l.contains(r#""type":"utterance""#))
        .count();
    assert!(
        log.contains(r#""type":"transcript_stopped""#),
        "no note of where it stopped ({utterances} utterances, {took:?}): {}",
        log.lines().rev().take(3).collect::<Vec<_>>().join("\n")
    );
}

/// Minor: the request bodies `[]` (which started a drill) and `["/abs.wav"]` (a start) were
/// accepted.
#[test]
fn json_arrays_are_not_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = sessions_of(tmp.path());
    let id = "20260101-090000-d7a11c";
    common::analyzed_sample_session(&sessions, id, "2026-01-01T09:00:00Z");
    let d = Daemon::start(tmp.path());
    for (path, body) in [
        ("/api/sessions/start".to_string(), r#"["/abs.wav"]"#),
        (format!("/api/sessions/{id}/drill"), "[]"),
    ] {
        let (st, v) = json_within(&d, "POST", &path, Some(body));
        assert_eq!(st, 400, "{path} {body}: {v}");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains("object") && !msg.contains('\n'), "{msg}");
    }
    assert!(!sessions.join(id).join("drill.json").exists());
}

/// Minor: `practitioner_sink` without `practitioner` was silently ignored.
#[test]
fn practitioner_sink_without_a_practitioner_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(tmp.path());
    let body =
        json!({"roleplay": "insurance_cold_call", "practitioner_sink": "somewhere"}).to_string();
    let (st, v) = json_within(&d, "POST", "/api/sessions/start", Some(&body));
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("practitioner"), "{v}");
}

/// Minor: sessions made by `analyze` while the daemon ran were not listed until a restart.
#[test]
fn sessions_recorded_while_the_daemon_runs_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(tmp.path());
    let (_, v) = json_within(&d, "GET", "/api/sessions", None);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0);
    let id = common::synthetic_session(&d.sessions_dir(), 2.0);
    let (_, v) = json_within(&d, "GET", "/api/sessions", None);
    let ids: Vec<&str> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()], "{v}");
}

/// Minor: a `--models-dir` typo created that folder and converted a 78 MB model into it.
#[test]
fn models_dir_typo_is_refused_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("modles");
    for args in [
        vec!["model", "fetch", "tiny.en", "--offline"],
        vec!["classify"],
    ] {
        let mut c = ringside(tmp.path());
        c.arg("--models-dir").arg(&typo).args(&args);
        let out = run_within(c, Duration::from_secs(60));
        let err = text(&out.stderr);
        if args[0] == "classify" {
            // A command that needs no model is not bothered by the setting.
            continue;
        }
        assert!(!out.status.success(), "{err}");
        assert!(
            err.contains("does not exist") && err.contains("mkdir"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    let mut c = ringside(tmp.path());
    c.arg("--models-dir")
        .arg(&typo)
        .arg("transcribe")
        .arg(common::sample_call());
    let out = run_within(c, Duration::from_secs(60));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
    assert!(!typo.exists(), "{} was created", typo.display());
}

/// Minor: with the lock held, `repair` said "No unfinished sessions".
#[test]
fn repair_with_the_lock_held_says_the_session_is_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    let dir = record_session(&sessions, false);
    // Another process holds the session's lock (as a recording or a drill does).
    let mut holder = Command::new("flock")
        .args(["-x", "-n"])
        .arg(dir.join(ringside::session::LOCK_FILE))
        .args(["sleep", "60"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut c = ringside(tmp.path());
    c.args(["sessions", "repair", "--sessions-dir"])
        .arg(&sessions);
    let out = run_within(c, Duration::from_secs(60));
    let _ = holder.kill();
    let _ = holder.wait();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(!all.contains("No unfinished sessions"), "{all}");
    assert!(all.contains("in use"), "{all}");
    assert_eq!(info(&dir)["finished"], false);
}
