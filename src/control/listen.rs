//! The accept loop of both listeners (TCP and the Unix socket): at most `max` connections at
//! once per listener, request headers that must arrive within [`HEADER_TIMEOUT`] (an idle
//! keep-alive connection is closed after as long), and graceful shutdown. axum's own `serve`
//! has neither a bound nor a timeout: 1,030 idle TCP connections once used up the daemon's
//! file descriptors, and its Unix socket stopped answering.
//!
//! Threads: runs on the tokio runtime, one task per listener and one per connection.

use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{watch, Semaphore};

/// A client has this long to send a request's headers (from the connection's start, or from
/// the end of the previous response); then the connection is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once on the TCP listener. More wait in the kernel's accept queue
/// (which costs no file descriptor of ours) until one closes or times out; a browser page
/// uses six at most.
pub const MAX_TCP_CONNECTIONS: usize = 128;
/// Connections served at once on the Unix socket (the CLI's `status`, `start`, `stop`): its
/// own budget, so a flood on TCP never starves it.
pub const MAX_UNIX_CONNECTIONS: usize = 64;

/// Serves `app` on `listener` until `shutdown` turns true, then lets the open connections
/// finish their requests (the caller bounds that wait) and returns once they are closed.
pub async fn serve<L: Listener>(
    mut listener: L,
    app: Router,
    max: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(max));
    loop {
        // A permit first: without one nothing is accepted (the kernel queues the rest).
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|v| *v) => break,
        };
        let (io, _) = tokio::select! {
            c = listener.accept() => c,
            _ = shutdown.wait_for(|v| *v) => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let conn = builder.serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|v| *v) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    // Every permit back: every connection closed.
    let _ = permits.acquire_many(max as u32).await;
}
