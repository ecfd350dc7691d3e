//! Transforms: segment (VAD), transcribe (Whisper), classify (acts), cue (rules).
