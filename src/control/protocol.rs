//! The API's request and response bodies, shared by the server ([`super::api`]) and the CLI
//! client (`ringside start`), so neither builds JSON by hand.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::event::Speed;

/// `POST /api/sessions/start` body. All fields optional; an empty body starts a live session
/// with the configured devices.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// A WAV file to replay (an absolute path on the daemon's machine; stereo: left = me,
    /// right = them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<PathBuf>,
    /// Replay the built-in sample call.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
    /// Replay pace: "realtime" (default) or "max".
    #[serde(default)]
    pub speed: Speed,
    /// Live: the "me" device (default: `audio.mic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mic: Option<String>,
    /// Live: "none", "right" or a device name (default: `audio.counterpart`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<String>,
}

/// The answer to a start: 201 with the id once the session runs, 202 with `id: null` while it
/// is still starting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartResponse {
    pub id: Option<String>,
    /// "running" or "starting".
    pub state: String,
    /// Human-readable description of the input.
    pub input: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_request_round_trips_and_defaults() {
        let r: StartRequest = serde_json::from_str(r#"{"sample":true,"speed":"max"}"#).unwrap();
        assert!(r.sample && r.speed == Speed::Max && r.replay.is_none());
        let back: StartRequest = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert!(back.sample && back.speed == Speed::Max);
        assert!(serde_json::from_str::<StartRequest>(r#"{"spead":"max"}"#).is_err());
    }
}
