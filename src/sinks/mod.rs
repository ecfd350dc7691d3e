//! Sinks: where a session's audio and records go (terminal, JSON lines, recording, the live
//! stream of the daemon). Each has `begin` / `handle` / `finish`; all run on the session
//! thread (the caller of [`crate::app::SessionBuilder::run`]), so they never block capture.
pub mod json;
pub mod recording;
pub mod terminal;

use crate::event::{AudioBlock, Event, SessionEvent, Summary};
use crate::session::SessionInfo;

/// A consumer of one session. An error stops the session (the recording is still finished).
pub trait Sink {
    /// The session starts. When it is recorded, `info.id` is its id (the directory name);
    /// otherwise the id is empty.
    fn begin(&mut self, _info: &SessionInfo) -> std::io::Result<()> {
        Ok(())
    }
    /// A block of captured audio of one channel (16 kHz). Most sinks ignore it.
    fn audio(&mut self, _block: &AudioBlock) -> std::io::Result<()> {
        Ok(())
    }
    /// A record of what happened, in stream order.
    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()>;
    /// The session is over.
    fn finish(&mut self, _summary: &Summary) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink made of one closure that sees audio and records alike (benchmarks, tests,
/// progress lines).
pub struct FnSink<F>(pub F);

impl<F: FnMut(Event<'_>) -> std::io::Result<()>> Sink for FnSink<F> {
    fn audio(&mut self, block: &AudioBlock) -> std::io::Result<()> {
        (self.0)(Event::Audio(block))
    }
    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        (self.0)(Event::Record(ev))
    }
}
