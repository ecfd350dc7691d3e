//! `GET /api/events`: the live event stream as Server-Sent Events (after tokio-rs/axum's
//! `examples/sse`). One stream per client, polled on the tokio runtime; each reads its own
//! receiver of the daemon's broadcast channel, so a slow client only loses its own events
//! (and is told how many with a `lagged` event). Streams end at daemon shutdown, after the
//! `session_ended` of the stopped session has been delivered.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::events::{LiveEvent, LIVE_FORMAT_VERSION};
use super::server::Shared;

/// Counts the client while its stream lives.
struct ClientGuard(Arc<Shared>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Client {
    rx: broadcast::Receiver<LiveEvent>,
    shutdown: watch::Receiver<bool>,
    first: Option<LiveEvent>,
    guard: ClientGuard,
}

fn to_sse(ev: &LiveEvent) -> SseEvent {
    let data = serde_json::to_string(ev).unwrap_or_else(|e| format!("{{\"type\":\"warning\",\"message\":\"{e}\"}}"));
    SseEvent::default().event(ev.name()).data(data)
}

/// The handler.
pub async fn events(State(shared): State<Arc<Shared>>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // Subscribe before reading the state, so nothing falls between the hello and the stream.
    let rx = shared.events.subscribe();
    shared.sse_clients.fetch_add(1, Ordering::Relaxed);
    let client = Client {
        rx,
        shutdown: shared.shutdown.subscribe(),
        first: Some(LiveEvent::Hello { version: LIVE_FORMAT_VERSION, session_id: shared.running_id() }),
        guard: ClientGuard(shared),
    };
    let stream = futures_util::stream::unfold(client, |mut c| async move {
        if let Some(ev) = c.first.take() {
            return Some((Ok(to_sse(&ev)), c));
        }
        loop {
            if *c.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                // Events first: at shutdown the last session_ended is still delivered.
                biased;
                r = c.rx.recv() => match r {
                    Ok(ev) => return Some((Ok(to_sse(&ev)), c)),
                    Err(RecvError::Lagged(n)) => {
                        c.guard.0.lagged_events.fetch_add(n, Ordering::Relaxed);
                        return Some((Ok(to_sse(&LiveEvent::Lagged { missed: n })), c));
                    }
                    Err(RecvError::Closed) => return None,
                },
                changed = c.shutdown.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
