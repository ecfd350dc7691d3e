//! Sinks: terminal view, session recording. Each has `begin` / `handle` / `finish`.
pub mod recording;
pub mod terminal;
