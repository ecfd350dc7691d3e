//! Real-time audio: the cpal callback side (lock-free ring), sample conversion, resampling.
