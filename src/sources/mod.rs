//! Sources: microphone and counterpart capture (cpal), WAV replay.
pub mod microphone;
pub mod replay;
