//! Transforms: synchronous stages, `process(&mut self, input, out: &mut Vec<_>)`, no threads.
//! segment (VAD) -> transcribe (Whisper) -> classify (acts) -> cue (rules); `coach` bundles the
//! last two with their rules file.
pub mod acts_data;
pub mod classify;
pub mod coach;
pub mod cue;
pub mod learn;
pub mod rules;
pub mod segment;
pub mod silero;
pub mod transcribe;
