//! Voice: the counterpart's (and a simulated practitioner's) lines synthesized with festival or
//! flite through their commands, or with a Piper voice in this process ([`super::piper`]),
//! resampled to 16 kHz mono in Rust, trimmed of leading and trailing silence (so a reply
//! starts with speech) and cached on disk by a hash of engine, voice and text. Runs before the
//! call starts, on worker threads of the caller; never on the audio or session path.
//!
//! Cache: `$RINGSIDE_TTS_CACHE`, else `$XDG_CACHE_HOME/ringside/tts`, else
//! `~/.cache/ringside/tts`. Files are `<hash>.wav` (16 kHz mono s16), written to a temporary
//! name and renamed, so concurrent runs never read half a file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::audio::resample::Resampler;
use crate::event::SAMPLE_RATE_HZ;

/// Bump when synthesis, trimming or the file format changes, so cached lines are redone.
const CACHE_VERSION: &str = "1";

/// Amplitude below which leading/trailing samples count as silence (sox's `0.5%`).
const TRIM_LEVEL: f32 = 0.005;
/// Kept before the first and after the last audible sample.
const TRIM_MARGIN_MS: usize = 20;

pub use super::voice_error::VoiceError;

/// Which engine and voice speak a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VoiceSpec {
    /// `text2wave -eval '(voice_NAME)'`, e.g. `cmu_us_slt_arctic_hts`.
    Festival(String),
    /// `flite -voice NAME`, e.g. `rms`, `awb`, `slt`.
    Flite(String),
    /// A Piper voice in `<models dir>/piper/NAME.onnx`, e.g. `en_US-joe-medium`.
    Piper(String),
}

impl VoiceSpec {
    /// Parses `festival:VOICE`, `flite:VOICE` or `piper:VOICE`. A voice name is letters,
    /// digits and `_` (Piper's also `-`), so it can name neither a path nor a command.
    pub fn parse(spec: &str) -> Result<VoiceSpec, String> {
        let (engine, voice) = spec.split_once(':').unwrap_or((spec, ""));
        let dash_ok = engine == "piper";
        if voice.is_empty()
            || voice.starts_with('-')
            || !voice
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || (dash_ok && c == '-'))
        {
            return Err(format!(
                "bad voice {spec:?}: use piper:VOICE (e.g. piper:en_US-joe-medium), festival:VOICE (e.g. festival:cmu_us_slt_arctic_hts) or flite:VOICE (e.g. flite:rms, flite:awb, flite:slt)"
            ));
        }
        match engine {
            "festival" => Ok(VoiceSpec::Festival(voice.into())),
            "flite" => Ok(VoiceSpec::Flite(voice.into())),
            "piper" => Ok(VoiceSpec::Piper(voice.into())),
            _ => Err(format!(
                "bad voice {spec:?}: the engine must be piper, festival or flite"
            )),
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            VoiceSpec::Festival(_) => "festival",
            VoiceSpec::Flite(_) => "flite",
            VoiceSpec::Piper(_) => "piper",
        }
    }

    pub fn voice(&self) -> &str {
        match self {
            VoiceSpec::Festival(v) | VoiceSpec::Flite(v) | VoiceSpec::Piper(v) => v,
        }
    }
}

impl std::fmt::Display for VoiceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.engine(), self.voice())
    }
}

/// The default cache directory (see the module docs).
pub fn default_cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("RINGSIDE_TTS_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(x);
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("ringside/tts");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".cache/ringside/tts");
    }
    std::env::temp_dir().join("ringside-tts")
}

/// Synthesizes lines, through an on-disk cache.
#[derive(Debug, Clone)]
pub struct Tts {
    dir: PathBuf,
    /// Where Piper voices are installed (`<models dir>/piper/`).
    models_dir: PathBuf,
}

/// Counters of one synthesis batch.
#[derive(Debug, Default, Clone, Copy)]
pub struct SynthStats {
    pub synthesized: usize,
    pub cached: usize,
}

/// One synthesized line and whether it came from the cache.
type LineResult = Result<(Vec<f32>, bool), VoiceError>;
/// Lines in order (16 kHz mono) and what the cache did.
pub type Lines = (Vec<Arc<[f32]>>, SynthStats);

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Tts {
    /// A cache in `dir`; Piper voices from the default models directory (`models`, the
    /// config's default; see [`Tts::with_models_dir`]).
    pub fn new(dir: PathBuf) -> Tts {
        Tts {
            dir,
            models_dir: PathBuf::from("models"),
        }
    }

    /// Piper voices from `<models_dir>/piper/` (the config's `models.dir`).
    pub fn with_models_dir(mut self, models_dir: &Path) -> Tts {
        self.models_dir = models_dir.to_path_buf();
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache file of a line.
    pub fn cache_path(&self, voice: &VoiceSpec, text: &str) -> PathBuf {
        let mut h = Sha256::new();
        for part in [CACHE_VERSION, voice.engine(), voice.voice(), text] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let hex: String = h
            .finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{hex}.wav"))
    }

    /// One line as 16 kHz mono samples; `true` when it came from the cache.
    pub fn line(&self, voice: &VoiceSpec, text: &str) -> Result<(Vec<f32>, bool), VoiceError> {
        let path = self.cache_path(voice, text);
        if let Ok(a) = crate::audio::wav::read_wav(&path) {
            if a.source_rate == SAMPLE_RATE_HZ && a.channels.len() == 1 {
                return Ok((a.mono(), true));
            }
        }
        let samples = self.synthesize(voice, text)?;
        let cache_err = |message: String| VoiceError::Cache {
            path: self.dir.clone(),
            message,
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| cache_err(e.to_string()))?;
        let tmp = self.tmp_name("wav");
        crate::audio::wav::write_wav_16k(&tmp, &[&samples])
            .map_err(|e| cache_err(e.to_string()))?;
        std::fs::rename(&tmp, &path).map_err(|e| cache_err(e.to_string()))?;
        // Read back what is on disk (16-bit), so a cached and a fresh run play the same samples.
        let a = crate::audio::wav::read_wav(&path).map_err(|e| cache_err(e.to_string()))?;
        Ok((a.mono(), false))
    }

    /// Synthesizes every text (two worker threads: these machines have two cores), in order.
    pub fn lines(&self, voice: &VoiceSpec, texts: &[String]) -> Result<Lines, VoiceError> {
        let mut out: Vec<Option<LineResult>> = texts.iter().map(|_| None).collect();
        std::thread::scope(|sc| {
            let chunks: Vec<(usize, &mut [Option<LineResult>])> = {
                let half = texts.len().div_ceil(2).max(1);
                out.chunks_mut(half)
                    .enumerate()
                    .map(|(i, c)| (i * half, c))
                    .collect()
            };
            for (start, chunk) in chunks {
                sc.spawn(move || {
                    for (k, slot) in chunk.iter_mut().enumerate() {
                        if let Some(t) = texts.get(start + k) {
                            *slot = Some(self.line(voice, t));
                        }
                    }
                });
            }
        });
        let mut stats = SynthStats::default();
        let mut lines = Vec::with_capacity(texts.len());
        for r in out {
            let (s, cached) = match r {
                Some(r) => r?,
                None => (Vec::new(), false),
            };
            if cached {
                stats.cached += 1;
            } else {
                stats.synthesized += 1;
            }
            lines.push(Arc::from(s));
        }
        Ok((lines, stats))
    }

    fn tmp_name(&self, ext: &str) -> PathBuf {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join(format!(".tmp-{}-{n}.{ext}", std::process::id()))
    }

    fn synthesize(&self, voice: &VoiceSpec, text: &str) -> Result<Vec<f32>, VoiceError> {
        let fail = |message: String| VoiceError::Synth {
            engine: voice.engine(),
            voice: voice.voice().to_string(),
            text: text.to_string(),
            message,
        };
        let (mono, rate) = match voice {
            VoiceSpec::Piper(v) => super::piper::synthesize(&self.models_dir, v, text)?,
            _ => self.run_command(voice, text)?,
        };
        let mut r = Resampler::new(rate).map_err(|e| fail(e.to_string()))?;
        let mut x =
            Vec::with_capacity(mono.len() * SAMPLE_RATE_HZ as usize / rate.max(1) as usize + 16);
        r.process(&mono, &mut x);
        r.finish(&mut x);
        let x = trim(&x);
        if x.is_empty() {
            return Err(fail("no audible speech produced".into()));
        }
        Ok(x)
    }

    /// festival or flite through its command: mono samples at the engine's rate.
    fn run_command(&self, voice: &VoiceSpec, text: &str) -> Result<(Vec<f32>, u32), VoiceError> {
        let fail = |message: String| VoiceError::Synth {
            engine: voice.engine(),
            voice: voice.voice().to_string(),
            text: text.to_string(),
            message,
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| VoiceError::Cache {
            path: self.dir.clone(),
            message: e.to_string(),
        })?;
        let txt = self.tmp_name("txt");
        let raw = self.tmp_name("raw.wav");
        std::fs::write(&txt, format!("{text}\n")).map_err(|e| VoiceError::Cache {
            path: txt.clone(),
            message: e.to_string(),
        })?;
        let (cmd, package) = match voice {
            VoiceSpec::Festival(_) => ("text2wave", "festival"),
            _ => ("flite", "flite"),
        };
        let mut c = Command::new(cmd);
        match voice {
            VoiceSpec::Festival(v) => c
                .arg(&txt)
                .arg("-eval")
                .arg(format!("(voice_{v})"))
                .arg("-o")
                .arg(&raw),
            VoiceSpec::Flite(v) | VoiceSpec::Piper(v) => c
                .arg("-voice")
                .arg(v)
                .arg("-f")
                .arg(&txt)
                .arg("-o")
                .arg(&raw),
        };
        let result = c.output();
        let _ = std::fs::remove_file(&txt);
        let out = match result {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VoiceError::Missing {
                    command: cmd,
                    package,
                    setup: "scripts/setup.sh",
                });
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        if !out.status.success() {
            let _ = std::fs::remove_file(&raw);
            return Err(fail(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        let native = crate::audio::wav::read_wav_native(&raw);
        let _ = std::fs::remove_file(&raw);
        let (chans, spec) = native.map_err(|e| fail(e.to_string()))?;
        let mono: Vec<f32> = match chans.len() {
            0 => Vec::new(),
            1 => chans.into_iter().next().unwrap_or_default(),
            n => {
                let len = chans.first().map(|c| c.len()).unwrap_or(0);
                (0..len)
                    .map(|i| {
                        chans
                            .iter()
                            .map(|c| c.get(i).copied().unwrap_or(0.0))
                            .sum::<f32>()
                            / n as f32
                    })
                    .collect()
            }
        };
        Ok((mono, spec.sample_rate))
    }
}

/// Cuts leading and trailing silence, keeping a short margin.
pub fn trim(x: &[f32]) -> Vec<f32> {
    let margin = TRIM_MARGIN_MS * SAMPLE_RATE_HZ as usize / 1000;
    let first = x.iter().position(|v| v.abs() > TRIM_LEVEL);
    let last = x.iter().rposition(|v| v.abs() > TRIM_LEVEL);
    match (first, last) {
        (Some(a), Some(b)) => x[a.saturating_sub(margin)..(b + 1 + margin).min(x.len())].to_vec(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_specs_parse() {
        assert_eq!(
            VoiceSpec::parse("flite:rms").unwrap(),
            VoiceSpec::Flite("rms".into())
        );
        assert_eq!(
            VoiceSpec::parse("festival:cmu_us_slt_arctic_hts")
                .unwrap()
                .to_string(),
            "festival:cmu_us_slt_arctic_hts"
        );
        for bad in [
            "espeak:en",
            "flite:",
            "flite",
            "festival:a b",
            "flite:rms;rm",
        ] {
            assert!(VoiceSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trim_keeps_the_speech_and_a_margin() {
        let mut x = vec![0.0f32; 8000];
        x.extend(std::iter::repeat_n(0.5, 1600));
        x.extend(vec![0.001f32; 4000]);
        let t = trim(&x);
        assert_eq!(t.len(), 1600 + 2 * 320);
        assert!(trim(&[0.0; 100]).is_empty());
    }

    #[test]
    fn cache_keys_depend_on_voice_and_text() {
        let t = Tts::new(PathBuf::from("cache"));
        let a = t.cache_path(&VoiceSpec::Flite("rms".into()), "Hello.");
        assert_eq!(a, t.cache_path(&VoiceSpec::Flite("rms".into()), "Hello."));
        assert_ne!(a, t.cache_path(&VoiceSpec::Flite("awb".into()), "Hello."));
        assert_ne!(a, t.cache_path(&VoiceSpec::Flite("rms".into()), "Hello!"));
    }

    /// Every voice the shipped scenarios use speaks (Piper and festival, real synthesis).
    #[test]
    fn every_scenario_voice_speaks() {
        let dir = tempfile::tempdir().unwrap();
        let tts = Tts::new(dir.path().to_path_buf());
        for s in crate::roleplay::Scenario::builtins() {
            let s = s.unwrap();
            let v = VoiceSpec::parse(&s.voice).unwrap();
            let (a, _) = tts.line(&v, "Okay.").unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (run scripts/setup.sh to install the TTS voices)",
                    s.name
                )
            });
            assert!(a.len() > 1600, "{}: {} samples", s.voice, a.len());
        }
    }

    /// Real synthesis through flite (installed by scripts/setup.sh), and the cache.
    #[test]
    fn flite_lines_are_synthesized_once_and_cached() {
        let dir = tempfile::tempdir().unwrap();
        let tts = Tts::new(dir.path().to_path_buf());
        let v = VoiceSpec::Flite("rms".into());
        let (a, cached) = tts.line(&v, "Hello, this is Dana.").unwrap_or_else(|e| {
            panic!("{e} (run scripts/setup.sh --test to install the TTS engines)")
        });
        assert!(!cached);
        assert!(a.len() > 8000 && a.len() < 48000, "{} samples", a.len());
        assert!(
            a.iter().take(400).any(|v| v.abs() > TRIM_LEVEL),
            "starts with speech"
        );
        let (b, cached) = tts.line(&v, "Hello, this is Dana.").unwrap();
        assert!(cached);
        assert_eq!(a, b);
    }
}
