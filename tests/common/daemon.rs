//! Daemon helpers: start `ringside daemon --port 0` with private data and runtime
//! directories and the real model, read its address, talk HTTP and SSE to it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ringside::control::client::{request, Endpoint, Response};
use serde_json::Value;

use super::models_dir;

/// A running daemon; killed (if still running) when dropped.
pub struct Daemon {
    pub child: Child,
    pub addr: String,
    pub token: String,
    pub root: PathBuf,
    pub stderr: PathBuf,
}

/// Private directories of one test (kept in a temp dir the caller owns).
pub fn dirs(root: &Path) -> (PathBuf, PathBuf) {
    let data = root.join("data");
    let run = root.join("run");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&run).unwrap();
    (data, run)
}

impl Daemon {
    /// Starts a daemon whose files live under `root` and waits for its address.
    pub fn start(root: &Path) -> Daemon {
        Daemon::start_with(root, &[])
    }

    /// [`Daemon::start`] with extra environment variables (e.g. `XDG_CONFIG_HOME` for the
    /// user's scenarios, `RINGSIDE_TTS_CACHE`).
    pub fn start_with(root: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Daemon {
        Daemon::start_limited(root, env, None)
    }

    /// [`Daemon::start_with`] with its open-file limit (soft and hard) set to `nofile`, as on
    /// a machine whose limit is 1,024.
    pub fn start_limited(
        root: &Path,
        env: &[(&str, &std::ffi::OsStr)],
        nofile: Option<u64>,
    ) -> Daemon {
        let (data, run) = dirs(root);
        let stderr = root.join(format!(
            "daemon-{}.log",
            Instant::now().elapsed().as_nanos()
        ));
        let log = std::fs::File::create(&stderr).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: n,
                        rlim_max: n,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd
            .args(["daemon", "--port", "0"])
            .env("XDG_DATA_HOME", &data)
            .env("XDG_RUNTIME_DIR", &run)
            .env("RINGSIDE_MODELS", models_dir())
            .env_remove("RINGSIDE_CONFIG")
            .envs(env.iter().copied())
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "the daemon printed no address; its log:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            });
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_string();
        let token = std::fs::read_to_string(run.join("ringside/token"))
            .unwrap()
            .trim()
            .to_string();
        let second = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(second.contains(&format!("?token={token}")), "{second}");
        Daemon {
            child,
            addr,
            token,
            root: root.to_path_buf(),
            stderr,
        }
    }

    pub fn sessions_dir(&self) -> PathBuf {
        self.root.join("data/ringside/sessions")
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint::Tcp(self.addr.parse().unwrap())
    }

    pub fn socket(&self) -> Endpoint {
        Endpoint::Unix(self.root.join("run/ringside/daemon.sock"))
    }

    /// A request with the token.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        let auth = format!("Bearer {}", self.token);
        request(
            &self.endpoint(),
            method,
            path,
            &[("Authorization", &auth)],
            body.map(str::as_bytes),
        )
        .unwrap()
    }

    pub fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let r = self.call(method, path, body);
        (r.status, r.json())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn sigterm(&self) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert_eq!(rc, 0);
    }

    /// Waits for the process to exit; panics after `limit`.
    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let t0 = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                t0.elapsed() < limit,
                "the daemon did not exit within {limit:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens the SSE stream; events arrive as parsed `data:` JSON on the receiver.
    pub fn events(&self) -> mpsc::Receiver<Value> {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(s, "GET /api/events?token={} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n", self.token).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut status_seen = false;
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if !status_seen {
                    status_seen = true;
                    assert!(line.starts_with("HTTP/1.1 200"), "SSE status line {line:?}");
                }
                // Chunked framing lines are hex sizes; only `data:` lines matter here.
                if let Some(d) = line.trim_end().strip_prefix("data: ") {
                    if let Ok(v) = serde_json::from_str::<Value>(d) {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        rx
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Receives events until `pred` holds for one (returned) or `limit` passes (panic).
pub fn wait_event(
    rx: &mpsc::Receiver<Value>,
    limit: Duration,
    seen: &mut Vec<Value>,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let t0 = Instant::now();
    loop {
        let left = limit.checked_sub(t0.elapsed()).unwrap_or_else(|| {
            let types: Vec<&str> = seen.iter().filter_map(|v| v["type"].as_str()).collect();
            panic!("no matching event within {limit:?}; saw {types:?}")
        });
        match rx.recv_timeout(left) {
            Ok(v) => {
                seen.push(v.clone());
                if pred(&v) {
                    return v;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the event stream closed; saw {} events", seen.len())
            }
        }
    }
}
