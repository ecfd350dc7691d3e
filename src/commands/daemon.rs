//! `ringside daemon` (the local control API and web pages), and the commands that talk to it:
//! `start`, `stop`, `status`; plus `sessions reindex` (rebuild the call-history index).
//! `daemon` loads the model on the main thread, then blocks on a small tokio runtime (see
//! [`crate::control`] for which thread runs what); the others are one HTTP call each.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::Globals;
use crate::cli::{DaemonArgs, StartArgs, StatusArgs};
use crate::control::client::Daemon;
use crate::control::protocol::{StartRequest, StartResponse};
use crate::control::server::{self, DaemonOptions};
use crate::control::state::Shared;
use crate::control::token;
use crate::session::index::{db_path, Store};
use crate::transforms::transcribe::Transcriber;

pub fn daemon(g: &Globals, a: DaemonArgs) -> Result<()> {
    let cfg = &g.config;
    let bind = a.bind.unwrap_or(cfg.daemon.bind);
    // Before the model loads: a refused address should fail in milliseconds.
    server::check_bind(bind, cfg.daemon.allow_remote)?;
    let token_file = token::token_path(cfg);
    server::check_not_running(&token_file)?;
    let sessions_dir = a
        .sessions_dir
        .clone()
        .unwrap_or_else(|| cfg.session.dir.clone());
    let model = super::model_path(g, a.model.as_deref())?;
    crate::session::repair::repair_crashed(&sessions_dir);
    let db = db_path(g.config.daemon.db.as_deref(), &sessions_dir);
    let store = Store::open(&db)?.scoped_to(&sessions_dir);
    let added = store.index_missing(&sessions_dir)?;
    if added > 0 {
        eprintln!("ringside: indexed {added} session(s) recorded while no daemon ran");
    }
    eprintln!("ringside: loading {}", model.display());
    // Loaded once; each session hands it back for the next (see Outcome::transcriber).
    let transcriber = Transcriber::new(&model, &cfg.asr)?;
    let socket = (!a.no_socket).then(|| {
        token_file
            .parent()
            .unwrap_or(Path::new("."))
            .join(token::SOCKET_FILE)
    });
    let shared = Arc::new(Shared::new(
        cfg.clone(),
        token::generate()?,
        model.clone(),
        sessions_dir.clone(),
        store,
        transcriber,
    ));
    let opts = DaemonOptions {
        bind,
        port: a.port.unwrap_or(cfg.daemon.port),
        allow_remote: cfg.daemon.allow_remote,
        sessions_dir,
        model_path: model,
        token_file,
        socket,
    };
    raise_fd_limit();
    // Two workers are plenty for a handful of local clients; the heavy work has its own threads.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ringside-tokio")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(rt.block_on(server::run(shared, opts))?)
}

/// Raises the soft limit of open files to the hard limit: headroom for the bounded listeners,
/// SSE streams and session files. (The bound on connections is what keeps the daemon
/// answering; this only makes room.)
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The error message of an API answer.
fn api_error(v: &Value, status: u16) -> String {
    v.get("error")
        .and_then(Value::as_str)
        .map_or_else(|| format!("the daemon answered {status}"), str::to_string)
}

pub fn start(g: &Globals, a: StartArgs) -> Result<()> {
    let d = Daemon::locate(&g.config)?;
    let replay = match &a.replay {
        // The daemon runs elsewhere: send an absolute path.
        Some(p) => {
            Some(std::fs::canonicalize(p).with_context(|| format!("cannot find {}", p.display()))?)
        }
        None => None,
    };
    let practitioner = match &a.practitioner_script {
        Some(p) => {
            Some(std::fs::canonicalize(p).with_context(|| format!("cannot find {}", p.display()))?)
        }
        None => None,
    };
    let req = StartRequest {
        replay,
        sample: a.sample,
        speed: a.speed,
        mic: a.mic.clone(),
        counterpart: a.counterpart.clone(),
        roleplay: a.roleplay.clone(),
        output: a.output.clone(),
        output_channel: a.output_channel.map(super::roleplay::channels),
        practitioner,
        practitioner_sink: a.practitioner_sink.clone(),
    };
    let body = serde_json::to_value(&req)?;
    let (status, v) = d.call("POST", "/api/sessions/start", Some(&body))?;
    match status {
        200..=299 => {
            let r: StartResponse = serde_json::from_value(v)
                .context("the daemon's answer to start is not a start response")?;
            println!(
                "started session {}: {}",
                r.id.as_deref().unwrap_or("(starting)"),
                r.input
            );
            println!("live page: {}#/live", d.page_url());
            Ok(())
        }
        _ => bail!("{}", api_error(&v, status)),
    }
}

pub fn stop(g: &Globals) -> Result<()> {
    let d = Daemon::locate(&g.config)?;
    let (status, v) = d.call("POST", "/api/sessions/stop", None)?;
    if status == 409 {
        println!("no session is running");
        return Ok(());
    }
    if !(200..300).contains(&status) {
        bail!("{}", api_error(&v, status));
    }
    // Wait for the recording to be finished and indexed, so the next command sees it.
    let t0 = Instant::now();
    loop {
        let (_, s) = d.call("GET", "/api/status", None)?;
        if s.get("state").and_then(Value::as_str) != Some("running") {
            let last = s.get("last_session").cloned().unwrap_or(Value::Null);
            match last.get("id").and_then(Value::as_str) {
                Some(id) => println!(
                    "stopped; session {id} recorded (review: {}#/review/{id})",
                    d.page_url()
                ),
                None => println!("stopped"),
            }
            return Ok(());
        }
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("the session did not stop within 60 s; `ringside status` shows what it is doing");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn status(g: &Globals, a: StatusArgs) -> Result<()> {
    let d = Daemon::locate(&g.config)?;
    let (code, v) = d.call("GET", "/api/status", None)?;
    if code != 200 {
        bail!("{}", api_error(&v, code));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let s = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let f = |x: Value| x.as_f64().unwrap_or(0.0);
    println!(
        "ringside daemon (pid {}) on http://{} and {}",
        d.info.pid, d.http, d.endpoint
    );
    println!("  page:    {}", d.page_url());
    println!(
        "  model:   {}   uptime {:.0} s",
        s("model").as_str().unwrap_or("?"),
        f(s("uptime_secs"))
    );
    match s("state").as_str() {
        Some("running") => {
            let lv = s("levels");
            let db = |k: &str| {
                lv.get(k)
                    .and_then(Value::as_f64)
                    .map_or("-".to_string(), |x| format!("{x:.0} dBFS"))
            };
            println!(
                "  session: {} ({})",
                s("session_id").as_str().unwrap_or("starting"),
                s("input").as_str().unwrap_or("")
            );
            println!(
                "  stream:  {:.1} s   levels me {} / them {}   dropped samples {}   decode errors {}",
                f(s("stream_secs")),
                db("me_dbfs"),
                db("them_dbfs"),
                s("dropped_samples"),
                s("decode_errors")
            );
        }
        _ => println!("  session: none (idle); `ringside start --sample` replays the sample call"),
    }
    println!(
        "  live clients: {}   lagged events: {}",
        s("sse_clients"),
        s("lagged_events")
    );
    Ok(())
}
