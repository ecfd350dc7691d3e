//! Sinks: terminal view, session recording.
