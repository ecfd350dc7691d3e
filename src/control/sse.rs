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
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::events::{LiveEvent, LiveOnly, LIVE_FORMAT_VERSION};
use super::state::Shared;

/// Counts the client while its stream lives.
struct ClientGuard(Arc<Shared>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Client<L> {
    rx: broadcast::Receiver<LiveEvent>,
    shutdown: watch::Receiver<bool>,
    first: Option<LiveEvent>,
    on_lag: L,
}

/// The events one client sees: `first`, then everything broadcast, with a `lagged` event in
/// place of what it missed (`on_lag` gets the count). Ends when the channel closes, or once
/// `shutdown` is true and the queued events are delivered.
pub fn client_stream<L: Fn(u64) + Send + 'static>(
    rx: broadcast::Receiver<LiveEvent>,
    shutdown: watch::Receiver<bool>,
    first: LiveEvent,
    on_lag: L,
) -> impl Stream<Item = LiveEvent> + Send {
    let client = Client {
        rx,
        shutdown,
        first: Some(first),
        on_lag,
    };
    futures_util::stream::unfold(client, |mut c| async move {
        if let Some(ev) = c.first.take() {
            return Some((ev, c));
        }
        loop {
            if *c.shutdown.borrow() {
                // Deliver what is already queued (the session_ended of the stopped session),
                // then end, so the server can close.
                return match c.rx.try_recv() {
                    Ok(ev) => Some((ev, c)),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        (c.on_lag)(n);
                        Some((LiveEvent::Live(LiveOnly::Lagged { missed: n }), c))
                    }
                    Err(_) => None,
                };
            }
            tokio::select! {
                // Events first: at shutdown the last session_ended is still delivered.
                biased;
                r = c.rx.recv() => match r {
                    Ok(ev) => return Some((ev, c)),
                    Err(RecvError::Lagged(n)) => {
                        (c.on_lag)(n);
                        return Some((LiveEvent::Live(LiveOnly::Lagged { missed: n }), c));
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
    })
}

fn to_sse(ev: &LiveEvent) -> SseEvent {
    let data = serde_json::to_string(ev)
        .unwrap_or_else(|e| format!("{{\"type\":\"warning\",\"message\":\"{e}\"}}"));
    SseEvent::default().event(ev.name()).data(data)
}

/// The handler.
pub async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // Subscribe before reading the state, so nothing falls between the hello and the stream.
    let rx = shared.events.subscribe();
    shared.sse_clients.fetch_add(1, Ordering::Relaxed);
    let hello = LiveEvent::Live(LiveOnly::Hello {
        version: LIVE_FORMAT_VERSION,
        session_id: shared.running_id(),
    });
    let guard = ClientGuard(shared.clone());
    let s2 = shared.clone();
    let stream = client_stream(rx, shared.shutdown.subscribe(), hello, move |n| {
        s2.lagged_events.fetch_add(n, Ordering::Relaxed);
    })
    .map(move |ev| {
        // The guard lives as long as the stream.
        let _ = &guard;
        Ok(to_sse(&ev))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    fn warning(i: usize) -> LiveEvent {
        LiveEvent::warning(i.to_string())
    }

    #[tokio::test]
    async fn a_lagging_client_is_told_how_many_events_it_missed() {
        let (tx, rx) = broadcast::channel(4);
        let (stop_tx, stop_rx) = watch::channel(false);
        let lagged = Arc::new(AtomicU64::new(0));
        let l2 = lagged.clone();
        let stream = client_stream(
            rx,
            stop_rx,
            LiveEvent::Live(LiveOnly::Hello {
                version: 1,
                session_id: None,
            }),
            move |n| {
                l2.fetch_add(n, Ordering::Relaxed);
            },
        );
        // The client reads nothing while 10 events go out: the channel keeps the newest 4.
        for i in 0..10 {
            tx.send(warning(i)).unwrap();
        }
        let _ = stop_tx.send(true);
        let got: Vec<LiveEvent> = stream.collect().await;
        assert_eq!(
            got[0],
            LiveEvent::Live(LiveOnly::Hello {
                version: 1,
                session_id: None
            })
        );
        assert_eq!(got[1], LiveEvent::Live(LiveOnly::Lagged { missed: 6 }));
        assert_eq!(&got[2..], &[warning(6), warning(7), warning(8), warning(9)]);
        assert_eq!(lagged.load(Ordering::Relaxed), 6);
    }

    #[tokio::test]
    async fn the_stream_ends_at_shutdown() {
        let (_tx, rx) = broadcast::channel::<LiveEvent>(4);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut stream = Box::pin(client_stream(
            rx,
            stop_rx,
            LiveEvent::Live(LiveOnly::Lagged { missed: 0 }),
            |_| {},
        ));
        assert!(stream.next().await.is_some());
        let _ = stop_tx.send(true);
        assert!(stream.next().await.is_none());
    }
}
