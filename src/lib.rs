//! Ringside: a local practice coach for sales and negotiation calls.
//!
//! The crate is one pipeline:
//!
//! ```text
//! sources (microphone, counterpart, replay)
//!   -> audio (lock-free ring from the cpal callback, convert, resample to 16 kHz mono)
//!   -> transforms: segment (VAD) -> transcribe (Whisper) -> classify (acts) -> cue (rules)
//!   -> sinks (terminal, recording)
//! ```
//!
//! Threads (all spawned in [`app`]):
//! - cpal's audio callback thread per input: copies samples into an `rtrb` ring, nothing else.
//! - one capture thread per source: drains the ring, converts, resamples, runs the VAD
//!   segmenter, sends speech segments on.
//! - the transcriber thread: owns the Whisper state; segments in, utterances out.
//! - the coach/sink thread (the caller's): classifies, derives cues, writes terminal and
//!   recording.
//!
//! Modules: [`event`] (what flows), [`config`], [`audio`], [`sources`], [`transforms`],
//! [`sinks`], [`session`] (on-disk sessions, scorecard, repair), [`model`] (model files),
//! [`commands`] (one function per CLI command), [`app`] (wiring), [`control`] (the daemon:
//! HTTP API, live event stream, web pages, call history; its session runs on its own thread),
//! [`roleplay`] (a scripted counterpart that talks back).

pub mod app;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod control;
pub mod event;
pub mod model;
pub mod roleplay;
pub mod session;
pub mod sinks;
pub mod sources;
pub mod transforms;
pub mod wer;
