//! Sources: microphone and counterpart capture (cpal), WAV replay.
