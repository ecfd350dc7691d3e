//! Configuration: `RawConfig` mirrors the TOML (serde, unknown keys rejected) and is validated
//! once into `Config`. The defaults live in `config/default.toml`, compiled in, so the file a
//! user copies and the values the program uses cannot drift apart.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The shipped defaults, the same text as `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}; check the path given with --config")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {key} {message}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
    #[error("{path}: [{section}] {name} = {value} is out of range ({range}); use a value in that range (see the comment above the key in config/default.toml)")]
    OutOfRange {
        path: PathBuf,
        section: &'static str,
        name: &'static str,
        value: String,
        range: String,
    },
}

/// The documented range of every numeric key: `(section, key, min, max)`, inclusive. The same
/// range is written in the comment above the key in `config/default.toml` (a unit test keeps
/// the two in step). A new numeric key needs one row here and one `range` call in
/// [`validate`]; NaN and infinity are never in range.
const RANGES: &[(&str, &str, f64, f64)] = &[
    ("audio", "ring_secs", 0.1, 60.0),
    ("audio", "start_timeout_secs", 0.1, 120.0),
    ("vad", "threshold", 0.0, 0.99),
    ("vad", "pre_roll_ms", 0.0, 2000.0),
    ("vad", "hangover_ms", 100.0, 5000.0),
    ("vad", "early_pause_ms", 0.0, 5000.0),
    ("vad", "min_speech_ms", 0.0, 10000.0),
    ("vad", "max_utterance_ms", 2000.0, 30000.0),
    ("vad", "split_at_pause_ms", 0.0, 30000.0),
    ("vad", "post_roll_ms", 0.0, 5000.0),
    ("asr", "threads", 0.0, 64.0),
    ("asr", "no_speech_threshold", 0.0, 1.0),
    ("asr", "logprob_threshold", -10.0, 0.0),
    ("asr", "entropy_threshold", 0.0, 10.0),
    ("asr", "audio_ctx_margin", 0.0, 1500.0),
    ("asr", "audio_ctx_min", 0.0, 1500.0),
    ("asr", "audio_ctx_retry", 0.0, 1500.0),
    ("asr", "doubt_logprob", -10.0, 0.0),
    ("daemon", "port", 0.0, 65535.0),
];

/// `min..=max` as written in messages and in `config/default.toml`.
pub fn range_text(min: f64, max: f64) -> String {
    format!("{min}..={max}")
}

/// Checks `section.name = value` against [`RANGES`].
fn check_range(
    path: &Path,
    section: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), ConfigError> {
    let Some(&(_, _, min, max)) = RANGES
        .iter()
        .find(|(s, n, _, _)| *s == section && *n == name)
    else {
        // A key without a documented range is a programming error; the unit test
        // `every_numeric_default_key_has_a_documented_range` catches it before release.
        return Ok(());
    };
    // `contains` is false for NaN; infinity is outside any finite range.
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            path: path.to_path_buf(),
            section,
            name,
            value: value.to_string(),
            range: range_text(min, max),
        })
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    models: RawModels,
    audio: RawAudio,
    vad: RawVad,
    asr: RawAsr,
    session: RawSession,
    coach: RawCoach,
    daemon: RawDaemon,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawModels {
    dir: Option<PathBuf>,
    default: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawAudio {
    mic: Option<String>,
    counterpart: Option<String>,
    ring_secs: Option<f64>,
    start_timeout_secs: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawVad {
    engine: Option<String>,
    threshold: Option<f32>,
    pre_roll_ms: Option<u32>,
    hangover_ms: Option<u32>,
    early_pause_ms: Option<u32>,
    min_speech_ms: Option<u32>,
    max_utterance_ms: Option<u32>,
    split_at_pause_ms: Option<u32>,
    post_roll_ms: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawAsr {
    threads: Option<u32>,
    no_speech_threshold: Option<f32>,
    logprob_threshold: Option<f32>,
    entropy_threshold: Option<f32>,
    language: Option<String>,
    audio_ctx_margin: Option<u32>,
    audio_ctx_min: Option<u32>,
    audio_ctx_retry: Option<u32>,
    doubt_logprob: Option<f32>,
    prompt: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawSession {
    dir: Option<String>,
    record: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawCoach {
    rules: Option<String>,
    rewrites: Option<String>,
    show_praise: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawDaemon {
    port: Option<u16>,
    bind: Option<String>,
    allow_remote: Option<bool>,
    token_file: Option<String>,
    db: Option<String>,
}

/// Where "them" comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterpartInput {
    None,
    /// The right channel of the mic device.
    RightChannel,
    /// A separate input device by name.
    Device(String),
}

impl CounterpartInput {
    /// The one spelling of config, CLI and API: "none" (or empty), "right", or a device name.
    pub fn parse(s: &str) -> CounterpartInput {
        match s {
            "none" | "" => CounterpartInput::None,
            "right" => CounterpartInput::RightChannel,
            name => CounterpartInput::Device(name.to_string()),
        }
    }

    /// How "them" is heard, for people (session metadata, status, the start line); `None`
    /// when there is no counterpart.
    pub fn describe(&self) -> Option<String> {
        match self {
            CounterpartInput::None => None,
            CounterpartInput::RightChannel => Some("right channel of the mic".into()),
            CounterpartInput::Device(d) => Some(d.clone()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelsConfig {
    pub dir: PathBuf,
    pub default: String,
}

#[derive(Debug, Clone)]
pub struct AudioConfig {
    /// `None` means the default input device.
    pub mic: Option<String>,
    pub counterpart: CounterpartInput,
    pub ring_secs: f64,
    pub start_timeout_secs: f64,
}

/// Which voice activity detector the segmenter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEngine {
    /// Silero VAD v6 (built-in weights, pure Rust): hears quiet and short real answers.
    Silero,
    /// earshot (pure Rust, built-in weights): cheaper, but misses many real one-word answers.
    Earshot,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    pub engine: VadEngine,
    /// Speech probability at which a frame starts speech (continues above `threshold - 0.15`).
    pub threshold: f32,
    pub pre_roll_ms: u32,
    pub hangover_ms: u32,
    pub early_pause_ms: u32,
    pub min_speech_ms: u32,
    pub max_utterance_ms: u32,
    /// An utterance with this much speech ends at its next short pause (`early_pause_ms`),
    /// so a long turn is decoded in parts while it goes on; 0 = only at the hangover.
    pub split_at_pause_ms: u32,
    pub post_roll_ms: u32,
}

#[derive(Debug, Clone)]
pub struct AsrConfig {
    pub threads: u32,
    /// Encoder frames added to the audio context sized to the utterance (50 frames = 1 s).
    pub audio_ctx_margin: u32,
    /// Floor of the audio context (encoder frames): short utterances decode badly with a
    /// context sized tightly to them.
    pub audio_ctx_min: u32,
    /// Audio context of the second look at a doubtful decode (0: no second look).
    pub audio_ctx_retry: u32,
    /// A first pass whose mean token log-probability is below this gets the second look.
    pub doubt_logprob: f32,
    pub no_speech_threshold: f32,
    pub logprob_threshold: f32,
    pub entropy_threshold: f32,
    pub language: String,
    /// Text given to the decoder as if said before each utterance; its style (fillers kept)
    /// carries over. Empty: none.
    pub prompt: String,
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub dir: PathBuf,
    pub record: bool,
}

#[derive(Debug, Clone)]
pub struct CoachConfig {
    /// `None`: the built-in rules.
    pub rules: Option<PathBuf>,
    /// Rewrite rules of the debrief; `None`: the built-in `config/rewrites.toml`.
    pub rewrites: Option<PathBuf>,
    pub show_praise: bool,
}

/// `[daemon]`: where the control API listens and keeps its files.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub port: u16,
    pub bind: std::net::IpAddr,
    /// Allow a non-loopback `bind` (checked when the daemon binds, so the error names the flag).
    pub allow_remote: bool,
    /// `None`: the runtime directory's `token` (see `control::token`).
    pub token_file: Option<PathBuf>,
    /// `None`: `history.sqlite` inside the sessions directory (one index per directory).
    pub db: Option<PathBuf>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub models: ModelsConfig,
    pub audio: AudioConfig,
    pub vad: VadConfig,
    pub asr: AsrConfig,
    pub session: SessionConfig,
    pub coach: CoachConfig,
    pub daemon: DaemonConfig,
}

impl Default for Config {
    fn default() -> Self {
        // The shipped defaults are checked by a unit test, so this cannot fail at run time.
        #[allow(clippy::expect_used)]
        Config::from_toml_str(DEFAULT_TOML, Path::new("config/default.toml"))
            .expect("shipped config/default.toml is valid")
    }
}

impl Config {
    /// Loads `path`, or the defaults when `None`. Values missing from the file take the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Ok(Config::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                Config::from_toml_str(&text, p)
            }
        }
    }

    /// Parses and validates TOML text; `path` is only used in messages.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let parse = |t: &str| -> Result<RawConfig, ConfigError> {
            toml::from_str(t).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string().replace('\n', " ").trim().to_string(),
            })
        };
        let defaults: RawConfig = toml::from_str(DEFAULT_TOML).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("config/default.toml (built in)"),
            message: e.to_string(),
        })?;
        let raw = parse(text)?;
        validate(raw, defaults, path)
    }
}

fn validate(raw: RawConfig, d: RawConfig, path: &Path) -> Result<Config, ConfigError> {
    let invalid = |key: &'static str, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key,
        message,
    };
    macro_rules! pick {
        ($sec:ident . $field:ident) => {
            match raw.$sec.$field.clone().or(d.$sec.$field.clone()) {
                Some(v) => v,
                None => {
                    return Err(invalid(
                        concat!(stringify!($sec), ".", stringify!($field)),
                        "has no value and no default".into(),
                    ))
                }
            }
        };
    }
    // Picks a numeric key and checks it against its documented range.
    macro_rules! ranged {
        ($sec:ident . $field:ident) => {{
            let v = pick!($sec.$field);
            check_range(path, stringify!($sec), stringify!($field), f64::from(v))?;
            v
        }};
    }
    let mic: String = pick!(audio.mic);
    let counterpart: String = pick!(audio.counterpart);
    let counterpart = CounterpartInput::parse(&counterpart);
    let ring_secs: f64 = ranged!(audio.ring_secs);
    let start_timeout_secs: f64 = ranged!(audio.start_timeout_secs);
    let engine: String = pick!(vad.engine);
    let engine = match engine.as_str() {
        "silero" => VadEngine::Silero,
        "earshot" => VadEngine::Earshot,
        other => {
            return Err(invalid(
                "vad.engine",
                format!("must be \"silero\" or \"earshot\", got {other:?}"),
            ))
        }
    };
    let vad = VadConfig {
        engine,
        threshold: ranged!(vad.threshold),
        pre_roll_ms: ranged!(vad.pre_roll_ms),
        hangover_ms: ranged!(vad.hangover_ms),
        early_pause_ms: ranged!(vad.early_pause_ms),
        min_speech_ms: ranged!(vad.min_speech_ms),
        max_utterance_ms: ranged!(vad.max_utterance_ms),
        split_at_pause_ms: ranged!(vad.split_at_pause_ms),
        post_roll_ms: ranged!(vad.post_roll_ms),
    };
    if vad.early_pause_ms > vad.hangover_ms {
        return Err(invalid(
            "vad.early_pause_ms",
            format!(
                "must not exceed vad.hangover_ms ({}), got {}",
                vad.hangover_ms, vad.early_pause_ms
            ),
        ));
    }
    if vad.post_roll_ms > vad.hangover_ms {
        return Err(invalid(
            "vad.post_roll_ms",
            format!(
                "must not exceed vad.hangover_ms ({}), got {}",
                vad.hangover_ms, vad.post_roll_ms
            ),
        ));
    }
    let asr = AsrConfig {
        threads: ranged!(asr.threads),
        audio_ctx_margin: ranged!(asr.audio_ctx_margin),
        audio_ctx_min: ranged!(asr.audio_ctx_min),
        audio_ctx_retry: ranged!(asr.audio_ctx_retry),
        doubt_logprob: ranged!(asr.doubt_logprob),
        prompt: pick!(asr.prompt),
        no_speech_threshold: ranged!(asr.no_speech_threshold),
        logprob_threshold: ranged!(asr.logprob_threshold),
        entropy_threshold: ranged!(asr.entropy_threshold),
        language: pick!(asr.language),
    };
    let session_dir: String = pick!(session.dir);
    let session = SessionConfig {
        dir: if session_dir.is_empty() {
            default_sessions_dir()
        } else {
            PathBuf::from(session_dir)
        },
        record: pick!(session.record),
    };
    let rules: String = pick!(coach.rules);
    let rewrites: String = pick!(coach.rewrites);
    let coach = CoachConfig {
        rules: if rules.is_empty() {
            None
        } else {
            Some(PathBuf::from(rules))
        },
        rewrites: (!rewrites.is_empty()).then(|| PathBuf::from(rewrites)),
        show_praise: pick!(coach.show_praise),
    };
    let bind: String = pick!(daemon.bind);
    let bind = bind.parse::<std::net::IpAddr>().map_err(|e| {
        invalid(
            "daemon.bind",
            format!("must be an IP address such as 127.0.0.1, got {bind:?}: {e}"),
        )
    })?;
    let path_or_none = |s: String| {
        if s.is_empty() {
            None
        } else {
            Some(PathBuf::from(s))
        }
    };
    let daemon = DaemonConfig {
        port: ranged!(daemon.port),
        bind,
        allow_remote: pick!(daemon.allow_remote),
        token_file: path_or_none(pick!(daemon.token_file)),
        db: path_or_none(pick!(daemon.db)),
    };
    Ok(Config {
        models: ModelsConfig {
            dir: pick!(models.dir),
            default: pick!(models.default),
        },
        audio: AudioConfig {
            mic: if mic == "default" || mic.is_empty() {
                None
            } else {
                Some(mic)
            },
            counterpart,
            ring_secs,
            start_timeout_secs,
        },
        vad,
        asr,
        session,
        coach,
        daemon,
    })
}

/// Ringside's own configuration directory: `$XDG_CONFIG_HOME/ringside`, else
/// `~/.config/ringside`, else `./ringside-config`. It holds the user's role-play scenarios
/// (`scenarios/*.toml`); the configuration file itself is passed with `--config`.
pub fn config_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("ringside");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".config/ringside");
    }
    PathBuf::from("ringside-config")
}

/// `$XDG_DATA_HOME/ringside/sessions`, else `~/.local/share/ringside/sessions`, else
/// `./ringside-sessions`.
pub fn default_sessions_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("ringside").join("sessions");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".local/share/ringside/sessions");
    }
    PathBuf::from("ringside-sessions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_config_parses() {
        let c = Config::from_toml_str(DEFAULT_TOML, Path::new("config/default.toml")).unwrap();
        assert_eq!(c.models.default, "tiny.en");
        assert_eq!(c.vad.hangover_ms, 350);
        assert_eq!(c.audio.counterpart, CounterpartInput::None);
    }

    #[test]
    fn every_shipped_toml_in_config_dir_parses_as_main_config_or_is_known() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let p = dir.join("default.toml");
        Config::load(Some(&p)).unwrap();
    }

    #[test]
    fn partial_file_takes_defaults() {
        let c = Config::from_toml_str("[vad]\nhangover_ms = 700\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.vad.hangover_ms, 700);
        assert_eq!(c.vad.pre_roll_ms, 300);
    }

    #[test]
    fn unknown_key_is_an_error_naming_file_and_key() {
        let e = Config::from_toml_str("[vad]\nhangover = 700\n", Path::new("my.toml")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("my.toml") && s.contains("hangover"), "{s}");
        assert!(!s.contains('\n'), "one line: {s}");
    }

    #[test]
    fn out_of_range_value_is_rejected() {
        let e = Config::from_toml_str("[vad]\nthreshold = 1.5\n", Path::new("c.toml")).unwrap_err();
        assert!(
            e.to_string().contains("c.toml: [vad] threshold = 1.5"),
            "{e}"
        );
    }

    #[test]
    fn nan_infinity_and_huge_values_are_out_of_range() {
        for (text, key) in [
            (
                "[asr]\nlogprob_threshold = nan\n",
                "[asr] logprob_threshold = NaN",
            ),
            (
                "[asr]\nentropy_threshold = inf\n",
                "[asr] entropy_threshold = inf",
            ),
            (
                "[vad]\nmin_speech_ms = 4000000000\n",
                "[vad] min_speech_ms = 4000000000",
            ),
        ] {
            let e = Config::from_toml_str(text, Path::new("config.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!("config.toml: {key} is out of range (")),
                "{e}"
            );
        }
        let e = Config::from_toml_str("[vad]\nmin_speech_ms = 4000000000\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("out of range (0..=10000)"), "{e}");
    }

    #[test]
    fn every_numeric_default_key_has_a_documented_range() {
        // Each numeric key of the shipped file has a row in RANGES, and the comment block
        // above it says `Range: MIN..=MAX.` with the same numbers.
        let doc: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
        let lines: Vec<&str> = DEFAULT_TOML.lines().collect();
        for (section, table) in &doc {
            let toml::Value::Table(table) = table else {
                continue;
            };
            for (key, v) in table {
                if !(v.is_integer() || v.is_float()) {
                    continue;
                }
                let &(_, _, min, max) = RANGES
                    .iter()
                    .find(|(s, n, _, _)| s == section && n == key)
                    .unwrap_or_else(|| panic!("[{section}] {key} has no row in RANGES"));
                let at = lines
                    .iter()
                    .position(|l| l.starts_with(&format!("{key} =")))
                    .unwrap();
                let comments: Vec<&str> = lines[..at]
                    .iter()
                    .rev()
                    .take_while(|l| l.starts_with('#'))
                    .copied()
                    .collect();
                let want = format!("Range: {}.", range_text(min, max));
                assert!(
                    comments.iter().any(|c| c.contains(&want)),
                    "[{section}] {key}: the comment above it must say {want:?}"
                );
            }
        }
    }

    #[test]
    fn daemon_defaults_to_loopback() {
        let c = Config::default();
        assert!(c.daemon.bind.is_loopback() && !c.daemon.allow_remote);
        let e =
            Config::from_toml_str("[daemon]\nbind = \"localhost\"\n", Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("daemon.bind"), "{e}");
    }

    #[test]
    fn counterpart_variants() {
        let c =
            Config::from_toml_str("[audio]\ncounterpart = \"right\"\n", Path::new("c")).unwrap();
        assert_eq!(c.audio.counterpart, CounterpartInput::RightChannel);
        let c = Config::from_toml_str("[audio]\ncounterpart = \"Monitor of X\"\n", Path::new("c"))
            .unwrap();
        assert_eq!(
            c.audio.counterpart,
            CounterpartInput::Device("Monitor of X".into())
        );
    }
}
