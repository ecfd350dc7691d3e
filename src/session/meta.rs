//! Session metadata (`meta` of `session.json`): the devices, the model and the settings in
//! effect, gathered once when a session starts. Called by the commands and the daemon.

use std::path::Path;

use super::SessionMeta;
use crate::config::Config;

/// Session metadata for `session.json`.
/// `devices`: how "me" and "them" are heard (see `app::Input::devices`); `model`: the model
/// file; `config`: the settings worth keeping with the call.
pub fn session_meta(
    devices: (Option<String>, Option<String>),
    model: &Path,
    config: &Config,
) -> SessionMeta {
    let mut meta = SessionMeta {
        mic_device: devices.0,
        counterpart_device: devices.1,
        ..SessionMeta::default()
    };
    meta.model = crate::model::installed_name(model).or_else(|| Some(model.display().to_string()));
    meta.model_sha256 = crate::model::recorded_sha(model).ok().flatten();
    let v = &config.vad;
    for (k, val) in [
        ("vad.threshold", v.threshold.to_string()),
        ("vad.hangover_ms", v.hangover_ms.to_string()),
        ("vad.early_pause_ms", v.early_pause_ms.to_string()),
        ("vad.max_utterance_ms", v.max_utterance_ms.to_string()),
        (
            "coach.rules",
            config
                .coach
                .rules
                .as_ref()
                .map_or("built-in".into(), |p| p.display().to_string()),
        ),
    ] {
        meta.config.insert(k.to_string(), val);
    }
    meta
}
