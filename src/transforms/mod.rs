//! Transforms: synchronous stages, `process(&mut self, input, out: &mut Vec<_>)`, no threads.
//! segment (VAD) and prosody (pitch frames as the audio arrives, each closed segment's prosody
//! record) -> transcribe (Whisper, `early` reusing tentative decodes) -> turns (ids, the pause
//! before an answer) -> classify (acts) -> cues (the cue engine, one file per cue rule); `rules`
//! parses the
//! rules file both read (a leaf), `coach` composes classify and cues into one stage; `rewrite`
//! turns weak lines into better ones for the debrief.
pub mod acts_data;
pub mod classify;
pub mod coach;
pub mod cues;
pub mod early;
pub mod function;
pub mod learn;
pub mod prosody;
pub mod rewrite;
pub mod rules;
pub mod segment;
pub mod silero;
pub mod transcribe;
pub mod turns;
