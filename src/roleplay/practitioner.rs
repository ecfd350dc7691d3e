//! A simulated practitioner for headless role-plays (tests, benchmarks, demos): lines of a
//! script, synthesized with TTS, played into the virtual microphone with `paplay` (the LEFT
//! channel of a stereo sink such as the virtual `call_feed`), each after the counterpart has
//! finished speaking. Runs on its own thread (`ringside-practitioner`).
//!
//! Script format (`tests/fixtures/roleplay/*.txt`): one line per utterance, `me: TEXT` (said
//! after the counterpart finished) or `interrupt: TEXT` (said one second after the
//! counterpart's next line starts: a barge-in); `voice: festival:VOICE|flite:VOICE`
//! (optional, once); `#` comments and blank lines ignored.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::player::PlayerShared;
use super::voice::{Tts, VoiceError, VoiceSpec};

/// The voice Whisper transcribes best among the Debian ones (see the environment notes).
pub const DEFAULT_VOICE: &str = "festival:cmu_us_slt_arctic_hts";

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read practitioner script {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// A practitioner script.
#[derive(Debug, Clone)]
pub struct Script {
    pub voice: VoiceSpec,
    pub lines: Vec<String>,
    /// Per line: said over the counterpart (`interrupt:`) instead of after it.
    pub interrupts: Vec<bool>,
}

impl Script {
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        // Regular files only: a FIFO hung the daemon, /dev/zero filled its memory.
        let text = crate::files::read_regular_string(
            path,
            crate::files::MAX_SCRIPT_BYTES,
            crate::files::Links::Follow,
        )
        .map_err(|source| ScriptError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Script::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Script, ScriptError> {
        let bad = |line: usize, message: String| ScriptError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut voice = None;
        let mut lines = Vec::new();
        let mut interrupts = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            match l.split_once(':') {
                Some((k @ ("me" | "interrupt"), t)) if !t.trim().is_empty() => {
                    lines.push(t.trim().to_string());
                    interrupts.push(k == "interrupt");
                }
                Some(("voice", v)) => {
                    voice = Some(VoiceSpec::parse(v.trim()).map_err(|m| bad(i + 1, m))?)
                }
                _ => {
                    return Err(bad(
                        i + 1,
                        "expected `me: TEXT`, `interrupt: TEXT` or `voice: ENGINE:VOICE`".into(),
                    ))
                }
            }
        }
        if lines.is_empty() {
            return Err(bad(1, "no `me:` lines".into()));
        }
        let voice = match voice {
            Some(v) => v,
            None => VoiceSpec::parse(DEFAULT_VOICE).map_err(|m| bad(1, m))?,
        };
        Ok(Script {
            voice,
            lines,
            interrupts,
        })
    }
}

/// Where and how the simulated practitioner speaks.
#[derive(Debug, Clone)]
pub struct PractitionerConfig {
    /// The PulseAudio sink whose left channel is the practitioner's (virtual) microphone.
    pub sink: String,
    /// Pause after the counterpart stops before the next line.
    pub pause: Duration,
    /// Give up waiting for the counterpart after this long (e.g. an utterance was not heard).
    pub patience: Duration,
    /// An `interrupt:` line starts this long after the counterpart's line started.
    pub barge_after: Duration,
}

/// A simulated practitioner: the script at `path`, spoken into `sink` (`None`: the default
/// sink), with the default pauses.
pub fn load(
    path: &Path,
    sink: Option<String>,
) -> Result<(Script, PractitionerConfig), ScriptError> {
    let mut cfg = PractitionerConfig::default();
    if let Some(sink) = sink {
        cfg.sink = sink;
    }
    Ok((Script::load(path)?, cfg))
}

impl Default for PractitionerConfig {
    fn default() -> Self {
        PractitionerConfig {
            sink: "call_feed".into(),
            pause: Duration::from_millis(700),
            patience: Duration::from_secs(10),
            barge_after: Duration::from_secs(1),
        }
    }
}

/// Prepares the stereo clips (left = the line, right = silence) of a script, through the TTS
/// cache; returns their paths.
pub fn prepare(script: &Script, tts: &Tts) -> Result<Vec<PathBuf>, VoiceError> {
    let (clips, _) = tts.lines(&script.voice, &script.lines)?;
    let mut out = Vec::new();
    for (text, clip) in script.lines.iter().zip(clips) {
        let mono = tts.cache_path(&script.voice, text);
        let stereo = mono.with_extension("left.wav");
        if !stereo.is_file() {
            let silence = vec![0.0f32; clip.len()];
            let tmp = stereo.with_extension(format!("tmp{}.wav", std::process::id()));
            crate::audio::wav::write_wav_16k(&tmp, &[&clip, &silence])
                .and_then(|_| std::fs::rename(&tmp, &stereo).map_err(hound::Error::IoError))
                .map_err(|e| VoiceError::Cache {
                    path: stereo.clone(),
                    message: e.to_string(),
                })?;
        }
        out.push(stereo);
    }
    Ok(out)
}

/// Checks that `paplay` runs (the practitioner's way into the virtual microphone).
pub fn check_paplay() -> Result<(), String> {
    match Command::new("paplay").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(
            "paplay not found (Debian package pulseaudio-utils): run scripts/setup.sh --test"
                .into(),
        ),
    }
}

/// Plays `clips` one by one, each after the counterpart finished a line (or after
/// `cfg.patience` without one), or for `interrupts[i]` lines, `cfg.barge_after` into the
/// counterpart's next line. Returns when done, when `call_over` or `stop` is set. Sets `done`
/// at the end.
#[allow(clippy::too_many_arguments)]
pub fn run(
    cfg: &PractitionerConfig,
    clips: &[PathBuf],
    interrupts: &[bool],
    shared: &PlayerShared,
    call_over: &AtomicBool,
    stop: &AtomicBool,
    done: &AtomicBool,
    mut on_error: impl FnMut(String),
) {
    let mut seen = 0u64;
    let mut started_seen = 0u64;
    for (i, clip) in clips.iter().enumerate() {
        let t = Instant::now();
        if interrupts.get(i).copied().unwrap_or(false) {
            // Barge in: wait for the counterpart's next line to start, then talk over it.
            let mut since: Option<Instant> = None;
            loop {
                if stop.load(Ordering::Relaxed) || call_over.load(Ordering::Relaxed) {
                    done.store(true, Ordering::Release);
                    return;
                }
                if since.is_none() && shared.lines_started.load(Ordering::Acquire) > started_seen {
                    since = Some(Instant::now());
                }
                if since.is_some_and(|s| s.elapsed() >= cfg.barge_after)
                    || t.elapsed() > cfg.patience
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            started_seen = shared.lines_started.load(Ordering::Acquire);
            play(cfg, clip, &mut on_error);
            seen = shared.lines_done.load(Ordering::Acquire);
            continue;
        }
        // Wait for the counterpart's next line to end.
        let mut quiet_since: Option<Instant> = None;
        loop {
            if stop.load(Ordering::Relaxed) || call_over.load(Ordering::Relaxed) {
                done.store(true, Ordering::Release);
                return;
            }
            let finished = shared.lines_done.load(Ordering::Acquire) > seen;
            let quiet = !shared.speaking.load(Ordering::Acquire);
            if finished && quiet {
                let q = *quiet_since.get_or_insert_with(Instant::now);
                if q.elapsed() >= cfg.pause {
                    break;
                }
            } else {
                quiet_since = None;
            }
            if t.elapsed() > cfg.patience && quiet {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        seen = shared.lines_done.load(Ordering::Acquire);
        started_seen = shared.lines_started.load(Ordering::Acquire);
        play(cfg, clip, &mut on_error);
    }
    // Let the last answer come before saying we are done.
    let t = Instant::now();
    while t.elapsed() < cfg.patience
        && !stop.load(Ordering::Relaxed)
        && !call_over.load(Ordering::Relaxed)
    {
        if shared.lines_done.load(Ordering::Acquire) > seen
            && !shared.speaking.load(Ordering::Acquire)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done.store(true, Ordering::Release);
}

fn play(cfg: &PractitionerConfig, clip: &Path, on_error: &mut impl FnMut(String)) {
    match Command::new("paplay")
        .arg("-d")
        .arg(&cfg.sink)
        .arg(clip)
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o) => on_error(format!(
            "paplay -d {} failed: {}",
            cfg.sink,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => on_error(format!("cannot run paplay: {e}")),
    }
}

/// Spawns [`run`] on its own thread.
#[allow(clippy::too_many_arguments)]
pub fn spawn(
    cfg: PractitionerConfig,
    clips: Vec<PathBuf>,
    interrupts: Vec<bool>,
    shared: Arc<PlayerShared>,
    call_over: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    errors: crossbeam_channel::Sender<String>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ringside-practitioner".into())
        .spawn(move || {
            run(
                &cfg,
                &clips,
                &interrupts,
                &shared,
                &call_over,
                &stop,
                &done,
                |e| {
                    let _ = errors.try_send(e);
                },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_errors_name_the_line() {
        let s = Script::parse(
            "# x\nvoice: flite:awb\n\nme: Is now a bad time?\nme: It seems like...\n",
            Path::new("s.txt"),
        )
        .unwrap();
        assert_eq!(s.voice, VoiceSpec::Flite("awb".into()));
        assert_eq!(s.lines.len(), 2);
        let e = Script::parse("me: hi\nthem: hello\n", Path::new("s.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.txt:2: "), "{e}");
        assert!(Script::parse("# nothing\n", Path::new("s.txt")).is_err());
    }

    #[test]
    fn the_fixture_scripts_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roleplay");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt") {
                Script::load(&p).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
