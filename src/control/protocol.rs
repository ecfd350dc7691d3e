//! The API's request and response bodies, shared by the server ([`super::api`]) and the CLI
//! client (`ringside start`), so neither builds JSON by hand.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::event::Speed;
use crate::roleplay::OutputChannels;

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
    /// A role-play instead: the name of a scenario of `GET /api/scenarios`. The counterpart
    /// speaks through `output`; "me" is captured from `mic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roleplay: Option<String>,
    /// Role-play: the output device the counterpart speaks through (default: the default
    /// output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Role-play: which output channels carry the voice: "all" (default), "left", "right".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_channel: Option<OutputChannels>,
    /// Role-play, a test and demo aid: a practitioner script (an absolute path on the daemon's
    /// machine, the format of `assets/roleplay/*.txt`) whose `me:` lines are spoken by TTS into
    /// the microphone through the PulseAudio sink `practitioner_sink`, as `ringside roleplay
    /// --practitioner-script` does. Needs paplay and a virtual microphone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<PathBuf>,
    /// The PulseAudio sink whose left channel is the virtual microphone (default `call_feed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner_sink: Option<String>,
}

/// `POST /api/sessions/{id}/drill` body. All fields optional; an empty body drills the
/// debrief's top changes, two tries each, with the configured microphone and the default
/// output (the options of `ringside drill`).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillRequest {
    /// Moments to drill, in the debrief's ranking (default: its top changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moments: Option<u32>,
    /// Tries per moment, 1 to 20 (default 2); a hit ends the moment early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries: Option<u32>,
    /// The input device the practitioner answers into (default: `audio.mic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mic: Option<String>,
    /// The output device their lines are played through (default: the default output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Which output channels carry their lines: "all" (default), "left", "right".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_channel: Option<OutputChannels>,
    /// A test and demo aid, as for a role-play: a practitioner script (absolute path) whose
    /// `me:` lines, one per try, are spoken into the microphone through `practitioner_sink`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<PathBuf>,
    /// The PulseAudio sink whose left channel is the virtual microphone (default `call_feed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner_sink: Option<String>,
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

    #[test]
    fn a_roleplay_request_names_its_scenario_and_output_channel() {
        let r: StartRequest = serde_json::from_str(
            r#"{"roleplay":"saas_renewal","output_channel":"right","practitioner":"/x/s.txt"}"#,
        )
        .unwrap();
        assert_eq!(r.roleplay.as_deref(), Some("saas_renewal"));
        assert_eq!(r.output_channel, Some(OutputChannels::Right));
        let e = serde_json::from_str::<StartRequest>(r#"{"output_channel":"up"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("left") && e.contains("right"), "{e}");
    }
}
