//! Sources: where the audio comes from. `microphone` (a cpal capture device and its lock-free
//! ring), `live` (a device's life: loss, reopening, fallback), `replay` (a WAV file or the
//! built-in sample call).
pub mod live;
pub mod microphone;
pub mod replay;
