//! The daemon's control plane (`ringside daemon`): a local HTTP API and web pages over TCP
//! (loopback) and a Unix socket, and a live event stream (SSE). The call-history index it
//! keeps is `session::index`.
//!
//! ```text
//!  HTTP clients (CLI, web pages) ──> api (tokio workers) ──start/stop──> session thread (std)
//!                                     ^                                  SessionBuilder::run
//!  SSE clients <── sse <── broadcast::Sender<LiveEvent> <── live sink ──┘   (its own capture
//!                                                                            and Whisper threads)
//! ```
//!
//! Threads: the tokio runtime (built in `commands::daemon`) runs the listeners, handlers and
//! SSE streams; each practice session runs on one dedicated std thread ([`state`]), never on
//! a tokio worker, so Whisper cannot stall the API. SQLite calls happen on that session thread
//! or in `spawn_blocking`.
//!
//! Modules, top down (no module imports one above it): [`server`] (listeners, shutdown
//! order), [`listen`] (the bounded accept loop with header timeouts) -> [`api`] (routes, auth, JSON errors, audio ranges), [`sse`] (the event stream),
//! [`web`] (the embedded pages) -> [`state`] (shared state, the session thread and its live
//! sink) -> [`events`] (the live wire format), [`protocol`] (request and response bodies
//! shared with the CLI client), [`token`] (token and runtime files), [`shutdown`] (signals);
//! [`client`] (the CLI's tiny HTTP client).

pub mod api;
pub mod client;
pub mod events;
pub mod listen;
pub mod protocol;
pub mod server;
pub mod shutdown;
pub mod sse;
pub mod state;
pub mod token;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;

/// Errors of the daemon and its client. Each names the address or file involved.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("refusing to listen on {addr}: not a loopback address (the API controls the microphone and serves recordings); set `allow_remote = true` in [daemon] to allow it")]
    NotLoopback { addr: std::net::IpAddr },
    #[error("cannot listen on {addr}: {source}; is another ringside daemon running? (`ringside status`), or pick another --port")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot listen on the Unix socket {path}: {source}")]
    BindSocket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a ringside daemon is already running (pid {pid}, http://{http}); stop it first (SIGTERM: `kill {pid}`)")]
    AlreadyRunning { pid: u32, http: String },
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
    #[error("cannot print the address on stdout: {0}")]
    Stdout(std::io::Error),
    #[error("{signal} again: quit without waiting for the recording (the next start repairs it)")]
    Interrupted { signal: &'static str },
    #[error("no ringside daemon is running; start one with `ringside daemon`")]
    NotRunning,
    #[error("talking to the daemon at {endpoint}: {message}")]
    Http { endpoint: String, message: String },
    #[error(transparent)]
    Store(#[from] crate::session::index::StoreError),
}
