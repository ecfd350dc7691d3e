//! Solo role-play: a scripted counterpart that talks back through the headset.
//!
//! ```text
//!  scenario (TOML) -> policy (state machine) -> voice (TTS, cached) -> playback (cpal output)
//!                          ^                                              |
//!   session thread: classified "me" utterances            exact played samples = "them" channel
//! ```
//!
//! Modules: [`scenario`] (load and validate), [`policy`] (which line next), [`voice`]
//! (festival/flite synthesis and cache).
pub mod policy;
pub mod scenario;
pub mod voice;

pub use policy::{LineKind, Policy, Turn};
pub use scenario::{Scenario, ScenarioError};
