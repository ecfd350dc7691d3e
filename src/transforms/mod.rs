//! Transforms: synchronous stages, `process(&mut self, input, out: &mut Vec<_>)`, no threads.
//! segment (VAD) -> transcribe (Whisper) -> classify (acts) -> cue (rules); `coach` bundles the
//! last two with their rules file; `rewrite` turns weak lines into better ones for the
//! debrief.
pub mod acts_data;
pub mod classify;
pub mod coach;
pub mod cue;
pub mod learn;
pub mod rewrite;
pub mod segment;
pub mod silero;
pub mod transcribe;
