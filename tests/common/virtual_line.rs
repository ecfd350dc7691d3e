//! A private virtual line in the test PulseAudio daemon (scripts/virtmic.sh): a stereo null
//! sink whose left channel, remapped as a mono source, is a microphone. A simulated
//! practitioner speaks into the left channel; a role-play's counterpart speaks on the right,
//! so the microphone does not hear it. Used by the role-play tests and the browser tests.

use std::process::Command;

/// Fails with the way out when the virtual microphone or the TTS tools are missing.
pub fn require_env() {
    let has = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    assert!(
        has("PULSE_SERVER") || has("XDG_RUNTIME_DIR"),
        "no virtual microphone: run the tests with scripts/test.sh (it exports the PulseAudio env of `scripts/virtmic.sh start`)"
    );
    let ok = Command::new("pactl")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "PulseAudio does not answer `pactl info`: run scripts/test.sh, or `eval \"$(scripts/virtmic.sh start)\"` (scripts/setup.sh --test installs it)");
    for (cmd, arg) in [
        ("flite", "--version"),
        ("text2wave", "-h"),
        ("paplay", "--version"),
    ] {
        let found = Command::new(cmd).arg(arg).output().is_ok();
        assert!(
            found,
            "{cmd} is missing: run scripts/setup.sh --test (TTS voices and pulseaudio-utils)"
        );
    }
}

/// A private stereo sink `rp_<tag>` and the mono source `rp_<tag>_mic` (its left channel),
/// unloaded on drop.
pub struct VirtualLine {
    pub sink: String,
    pub mic: String,
    modules: Vec<String>,
}

impl VirtualLine {
    pub fn new(tag: &str) -> VirtualLine {
        let sink = format!("rp_{tag}_{}", std::process::id());
        let mic = format!("{sink}_mic");
        let load = |args: &[String]| -> String {
            let out = Command::new("pactl")
                .arg("load-module")
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "pactl load-module {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        let m1 = load(&[
            "module-null-sink".into(),
            format!("sink_name={sink}"),
            "rate=16000".into(),
            "channels=2".into(),
            "channel_map=front-left,front-right".into(),
            "format=s16le".into(),
            format!("sink_properties=device.description={sink}"),
        ]);
        let m2 = load(&[
            "module-remap-source".into(),
            format!("master={sink}.monitor"),
            format!("source_name={mic}"),
            "master_channel_map=front-left".into(),
            "channel_map=mono".into(),
            "remix=no".into(),
            format!("source_properties=device.description={mic}"),
        ]);
        VirtualLine {
            sink,
            mic,
            modules: vec![m2, m1],
        }
    }
}

impl Drop for VirtualLine {
    fn drop(&mut self) {
        for m in &self.modules {
            let _ = Command::new("pactl").args(["unload-module", m]).output();
        }
    }
}
