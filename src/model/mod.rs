//! Whisper model files: fetch, convert from CTranslate2, verify, resolve by name.
