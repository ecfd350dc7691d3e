//! Real-time audio helpers: the lock-free ring fed by the cpal callback, sample conversion and
//! resampling to 16 kHz mono, WAV loading.
pub mod resample;
pub mod wav;
