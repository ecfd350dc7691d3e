//! Shutdown signals of the daemon: Ctrl-C (SIGINT) and SIGTERM (systemd's stop). The handlers
//! are installed by [`Signals::install`] before the daemon announces its address, so a
//! signal that arrives at any point after that takes the graceful path (stop the session,
//! finish and index its recording, close the listeners) instead of killing the process.
//! Awaited on the tokio runtime by [`super::server::run`].

use tokio::signal::unix::{signal, Signal, SignalKind};

/// The installed handlers.
#[derive(Debug)]
pub struct Signals {
    int: Signal,
    term: Signal,
}

impl Signals {
    /// Installs the SIGINT and SIGTERM handlers (needs a tokio runtime).
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Completes at the next SIGINT or SIGTERM; returns the signal's name.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}
