//! Ringside: a local practice coach for sales and negotiation calls.
//!
//! The crate is one pipeline:
//!
//! ```text
//! sources (microphone with reopen/fallback, replay, a role-play "them" feed)
//!   -> audio (lock-free ring from the cpal callback, convert, resample to 16 kHz mono)
//!   -> transforms: segment (VAD) and prosody (pitch, as the audio arrives) -> transcribe
//!      (Whisper) -> turns (ids, answer pauses) -> classify (acts) -> cues (one rule a file)
//!   -> SessionEvent records -> sinks (recording, terminal, JSON lines, the daemon's live
//!      stream, role-play's counterpart)
//! ```
//!
//! Layers, top down; a module imports only from layers below it:
//! - `main.rs`, [`cli`], [`commands`] (one function per CLI command)
//! - [`control`] (the daemon: HTTP API, SSE, web pages; its session, role-play or drill runs on
//!   its own thread)
//! - [`drill`] (spoken drills of a call's weak moments; plays prompts with role-play's voice)
//! - [`roleplay`] (a scripted counterpart that talks back)
//! - [`app`] (wiring: [`app::SessionBuilder`] takes an input, sinks and options)
//! - [`sinks`] (the [`sinks::Sink`] trait and its implementations)
//! - [`session`] (on-disk sessions, scorecard, repair, metadata, the SQLite call index),
//!   [`sources`]
//! - [`transforms`], [`audio`] (cpal devices, one sample-format dispatch, resampling, WAV)
//! - [`model`] (model files), [`metrics`] (percentiles, F1), [`wer`], [`files`] (reading
//!   regular files only)
//! - [`event`] (the vocabulary: what flows, the one record format, the clock formatter),
//!   [`fillers`] (the one list of filler words), [`config`]
//!
//! Threads:
//! - cpal's audio callback thread per device: copies samples into an `rtrb` ring, nothing
//!   else (no allocation, lock, log or I/O).
//! - spawned by [`app`] for each session: one capture or replay thread per source (drains
//!   the ring, converts, resamples, runs the VAD segmenter), one for a role-play "them" feed,
//!   and the transcriber thread (owns the Whisper state).
//! - the session thread (the caller of `SessionBuilder::run`): classifies, derives cues and
//!   hands audio and records to the sinks.
//! - outside a session's wiring: the daemon's tokio runtime and one std thread per daemon
//!   session ([`control`]); role-play's voice (playback) and simulated-practitioner threads
//!   ([`roleplay`], also used by [`drill`]); cpal's helper that starts a stream with a timeout
//!   ([`sources::microphone`]).

pub mod app;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod control;
pub mod drill;
pub mod event;
pub mod files;
pub mod fillers;
pub mod metrics;
pub mod model;
pub mod roleplay;
pub mod session;
pub mod sinks;
pub mod sources;
pub mod transforms;
pub mod wer;
