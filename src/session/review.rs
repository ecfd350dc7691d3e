//! Post-call review: the session timeline as text (`review --no-audio`), and playback of
//! `audio.wav` through the default output device with transcript and cues printed in sync,
//! keys for pause (space), next/previous cue (n/p) and quit (q).
//!
//! Threads: the caller's thread reads keys (terminal in raw mode via termios) and prints; cpal
//! runs the output callback, which only reads the preloaded samples and atomics (no locks,
//! no allocation, no I/O), as STYLE.md asks of real-time code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

use super::store::LoadedSession;
use super::AUDIO_FILE;
use crate::audio::device::{build_stream, AudioSample, StreamBuilder};
use crate::event::{mmss_tenths, SessionEvent, SAMPLE_RATE_HZ};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no audio output device found; use `ringside review SESSION --no-audio` to print the timeline instead")]
    NoOutputDevice,
    #[error("cannot play through the audio output device: {0}; try --no-audio")]
    Output(String),
    #[error("cannot read {path}: {message}; try `ringside sessions repair`")]
    Wav { path: PathBuf, message: String },
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineItem {
    /// Seconds into the call.
    pub time: f64,
    pub is_cue: bool,
    /// The line without the time.
    pub text: String,
}

/// Utterances, cues, device changes and gaps in time order (utterances before cues at the
/// same time).
pub fn timeline(events: &[SessionEvent]) -> Vec<TimelineItem> {
    let mut items: Vec<(u8, TimelineItem)> = events
        .iter()
        .filter_map(|e| {
            let (rank, is_cue, text) = match e {
                SessionEvent::Utterance {
                    speaker,
                    text,
                    act,
                    unsure,
                    ..
                } => (
                    0,
                    false,
                    format!(
                        "{:<5} {text} [{act}{}]",
                        speaker.as_str(),
                        if *unsure { " (unsure)" } else { "" }
                    ),
                ),
                SessionEvent::Unclear {
                    speaker, reason, ..
                } => (
                    0,
                    false,
                    format!("{:<5} (unclear) [{reason}]", speaker.as_str()),
                ),
                SessionEvent::Cue {
                    id,
                    severity,
                    message,
                    ..
                } => (
                    1,
                    true,
                    format!("CUE   {id} ({}): {message}", severity.as_str()),
                ),
                SessionEvent::Device(crate::event::DeviceNotice {
                    speaker,
                    event,
                    detail,
                    ..
                }) => (
                    2,
                    false,
                    format!("--    {speaker} device {}: {detail}", event.as_str()),
                ),
                SessionEvent::Gap {
                    speaker,
                    end,
                    start,
                } => (
                    2,
                    false,
                    format!(
                        "--    {speaker} audio missing for {:.1} s (silence)",
                        end - start
                    ),
                ),
                _ => return None,
            };
            Some((
                rank,
                TimelineItem {
                    time: e.time(),
                    is_cue,
                    text,
                },
            ))
        })
        .collect();
    items.sort_by(|a, b| a.1.time.total_cmp(&b.1.time).then(a.0.cmp(&b.0)));
    items.into_iter().map(|(_, i)| i).collect()
}

/// The timeline as text, one `mm:ss.s  ...` line per item.
pub fn format_timeline(events: &[SessionEvent]) -> String {
    timeline(events)
        .iter()
        .map(|i| format!("{}  {}\n", mmss_tenths(i.time), i.text))
        .collect()
}

/// Stereo frames of the session audio at 16 kHz (mono is duplicated).
fn load_frames(path: &Path) -> Result<Vec<[f32; 2]>, ReviewError> {
    let werr = |e: hound::Error| ReviewError::Wav {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let r = hound::WavReader::open(path).map_err(werr)?;
    let ch = r.spec().channels.max(1) as usize;
    let samples: Vec<f32> = r
        .into_samples::<i16>()
        .map(|s| s.map(|v| v as f32 / 32768.0))
        .collect::<Result<_, _>>()
        .map_err(werr)?;
    Ok(samples
        .chunks_exact(ch)
        .map(|f| if ch == 1 { [f[0], f[0]] } else { [f[0], f[1]] })
        .collect())
}

/// State shared with the output callback. Position is in source frames, 16.16 fixed point.
struct Playhead {
    pos: AtomicU64,
    paused: AtomicBool,
    done: AtomicBool,
}

const FRAC: u64 = 1 << 16;

fn secs_to_pos(secs: f64) -> u64 {
    (secs.max(0.0) * SAMPLE_RATE_HZ as f64 * FRAC as f64) as u64
}

fn pos_to_secs(pos: u64) -> f64 {
    pos as f64 / FRAC as f64 / SAMPLE_RATE_HZ as f64
}

/// Fills an output buffer of `out_ch` channels from 16 kHz stereo `frames` starting at the
/// 16.16 fixed-point position `pos`, advancing by `step` per output frame (linear
/// interpolation). Returns the new position and whether the end was reached. No allocation.
fn fill<T: SizedSample + FromSample<f32>>(
    data: &mut [T],
    out_ch: usize,
    frames: &[[f32; 2]],
    mut pos: u64,
    step: u64,
    paused: bool,
) -> (u64, bool) {
    let len = frames.len() as u64;
    for frame in data.chunks_mut(out_ch) {
        let i = (pos / FRAC) as usize;
        let playing = !paused && pos / FRAC + 1 < len;
        let (l, r) = if playing {
            let t = (pos % FRAC) as f32 / FRAC as f32;
            let a = frames[i];
            let b = frames[i + 1];
            (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        } else {
            (0.0, 0.0)
        };
        for (c, s) in frame.iter_mut().enumerate() {
            let v = match (out_ch, c) {
                (1, _) => 0.5 * (l + r),
                (_, 0) => l,
                (_, 1) => r,
                _ => 0.0,
            };
            *s = T::from_sample(v);
        }
        if playing {
            pos += step;
        }
    }
    (pos, pos / FRAC + 1 >= len)
}

/// The parts of the review's output stream, typed by [`build_stream`] from the device's format.
struct ReviewBuilder<'d> {
    device: &'d cpal::Device,
    config: cpal::StreamConfig,
    frames: Arc<Vec<[f32; 2]>>,
    head: Arc<Playhead>,
}

impl StreamBuilder for ReviewBuilder<'_> {
    type Output = Result<cpal::Stream, ReviewError>;

    fn build<T: AudioSample>(self) -> Self::Output {
        review_stream::<T>(self.device, self.config, self.frames, self.head)
    }
}

fn review_stream<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    frames: Arc<Vec<[f32; 2]>>,
    head: Arc<Playhead>,
) -> Result<cpal::Stream, ReviewError>
where
    T: AudioSample,
{
    let out_ch = config.channels.max(1) as usize;
    let step = (SAMPLE_RATE_HZ as u64 * FRAC) / config.sample_rate.max(1) as u64;
    let cb = move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
        let start = head.pos.load(Ordering::Acquire);
        let paused = head.paused.load(Ordering::Relaxed);
        let (pos, done) = fill(data, out_ch, &frames, start, step, paused);
        if done {
            head.done.store(true, Ordering::Release);
        }
        // A seek from the key thread wins over our advance.
        let _ = head
            .pos
            .compare_exchange(start, pos, Ordering::AcqRel, Ordering::Relaxed);
    };
    device
        .build_output_stream(config, cb, |_e| {}, None)
        .map_err(|e| ReviewError::Output(e.to_string()))
}

/// Puts the terminal in non-canonical, no-echo mode while alive (keys arrive one by one).
struct RawTerminal {
    saved: libc::termios,
}

impl RawTerminal {
    fn enable() -> Option<RawTerminal> {
        // SAFETY: isatty/tcgetattr/tcsetattr on fd 0 with a termios we own.
        unsafe {
            if libc::isatty(0) != 1 {
                return None;
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
            t.c_cc[libc::VMIN] = 0;
            t.c_cc[libc::VTIME] = 0;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(RawTerminal { saved })
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}

/// Waits up to `timeout` for a key on stdin.
fn read_key(timeout: Duration) -> Option<u8> {
    let mut fds = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd we own; read into a one-byte buffer we own.
    unsafe {
        if libc::poll(&mut fds, 1, timeout.as_millis() as libc::c_int) <= 0 {
            return None;
        }
        let mut b = 0u8;
        (libc::read(0, (&mut b as *mut u8).cast(), 1) == 1).then_some(b)
    }
}

fn open_output(
    frames: Arc<Vec<[f32; 2]>>,
    head: Arc<Playhead>,
) -> Result<cpal::Stream, ReviewError> {
    let host = cpal::default_host();
    let device = host
        .default_output_device()
        .ok_or(ReviewError::NoOutputDevice)?;
    let supported = device
        .default_output_config()
        .map_err(|_| ReviewError::NoOutputDevice)?;
    let format = supported.sample_format();
    let config: cpal::StreamConfig = supported.into();
    let builder = ReviewBuilder {
        device: &device,
        config,
        frames,
        head,
    };
    let stream = build_stream(format, builder).ok_or_else(|| {
        ReviewError::Output(format!("unsupported output sample format {format}"))
    })??;
    stream
        .play()
        .map_err(|e| ReviewError::Output(e.to_string()))?;
    Ok(stream)
}

/// Plays the session with the timeline printed in sync to `out`.
pub fn play(session: &LoadedSession, out: &mut dyn Write) -> Result<(), ReviewError> {
    play_timeline(session, timeline(&session.events), out)
}

/// [`play`] with the given timeline (e.g. with the debrief's rewrites in it).
pub fn play_timeline(
    session: &LoadedSession,
    items: Vec<TimelineItem>,
    out: &mut dyn Write,
) -> Result<(), ReviewError> {
    let frames = Arc::new(load_frames(&session.dir.join(AUDIO_FILE))?);
    let head = Arc::new(Playhead {
        pos: AtomicU64::new(0),
        paused: AtomicBool::new(false),
        done: AtomicBool::new(false),
    });
    let stream = crate::audio::with_stderr_silenced(|| open_output(frames.clone(), head.clone()))?;

    let cue_times: Vec<f64> = items.iter().filter(|i| i.is_cue).map(|i| i.time).collect();
    let total = frames.len() as f64 / SAMPLE_RATE_HZ as f64;
    let raw = RawTerminal::enable();
    writeln!(
        out,
        "Playing {} ({}). Keys: space pause, n/p next/previous cue, q quit.",
        session.info.id,
        mmss_tenths(total)
    )?;
    let mut next = 0usize;
    loop {
        let now = pos_to_secs(head.pos.load(Ordering::Acquire));
        while next < items.len() && items[next].time <= now {
            writeln!(
                out,
                "{}  {}",
                mmss_tenths(items[next].time),
                items[next].text
            )?;
            next += 1;
        }
        out.flush()?;
        if head.done.load(Ordering::Acquire) && next >= items.len() {
            break;
        }
        let key = if raw.is_some() {
            read_key(Duration::from_millis(50))
        } else {
            std::thread::sleep(Duration::from_millis(50));
            None
        };
        let seek = |to: f64| {
            head.done.store(false, Ordering::Release);
            head.pos.store(secs_to_pos(to), Ordering::Release);
        };
        match key {
            Some(b'q') | Some(b'Q') | Some(3) | Some(4) => break,
            Some(b' ') => {
                let p = !head.paused.load(Ordering::Relaxed);
                head.paused.store(p, Ordering::Relaxed);
                writeln!(
                    out,
                    "-- {} at {}",
                    if p { "paused" } else { "playing" },
                    mmss_tenths(now)
                )?;
            }
            Some(b'n') | Some(b'p') => {
                let target = if key == Some(b'n') {
                    cue_times.iter().copied().find(|&t| t > now + 0.05)
                } else {
                    // Back past the cue we just jumped to, like a player's "previous".
                    cue_times.iter().rev().copied().find(|&t| t < now - 1.0)
                };
                match target {
                    Some(t) => {
                        // Start a little before the cue to hear what led to it.
                        let to = (t - 3.0).max(0.0);
                        seek(to);
                        next = items.partition_point(|i| i.time < to);
                        writeln!(
                            out,
                            "-- jump to {} (cue at {})",
                            mmss_tenths(to),
                            mmss_tenths(t)
                        )?;
                    }
                    None => writeln!(
                        out,
                        "-- no {} cue",
                        if key == Some(b'n') {
                            "next"
                        } else {
                            "previous"
                        }
                    )?,
                }
            }
            _ => {}
        }
    }
    drop(raw);
    drop(stream);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_resamples_and_pauses() {
        let frames: Vec<[f32; 2]> = (0..100)
            .map(|i| [i as f32 / 100.0, -(i as f32) / 100.0])
            .collect();
        // 16 kHz -> 32 kHz stereo: every other output frame is interpolated halfway.
        let mut out = vec![0f32; 8];
        let (pos, done) = fill(&mut out, 2, &frames, 0, FRAC / 2, false);
        assert_eq!(pos, 2 * FRAC);
        assert!(!done);
        assert_eq!(
            out,
            vec![0.0, 0.0, 0.005, -0.005, 0.01, -0.01, 0.015, -0.015]
        );
        // Mono output mixes; paused outputs silence and keeps the position.
        let mut mono = vec![1f32; 4];
        let (p2, _) = fill(&mut mono, 1, &frames, 10 * FRAC, FRAC, true);
        assert_eq!((p2, mono), (10 * FRAC, vec![0.0; 4]));
        // The end is reported.
        let mut out = vec![0f32; 20];
        let (_, done) = fill(&mut out, 2, &frames, 95 * FRAC, FRAC, false);
        assert!(done);
    }

    #[test]
    fn timeline_text() {
        let ev = crate::session::scorecard::tests::call();
        let t = format_timeline(&ev);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "00:01.0  me    Hi, this is Tom from Greenleaf. [other]"
        );
        assert_eq!(lines[2], "00:05.5  CUE   opening_yes (nudge): ");
        assert_eq!(mmss_tenths(125.44), "02:05.4");
        assert_eq!(lines.len(), 18);
    }

    #[test]
    fn an_unsure_act_is_shown_unsure() {
        let mut ev = crate::session::scorecard::tests::call();
        if let Some(SessionEvent::Utterance { unsure, .. }) = ev
            .iter_mut()
            .find(|e| matches!(e, SessionEvent::Utterance { .. }))
        {
            *unsure = true;
        }
        let t = format_timeline(&ev);
        assert_eq!(
            t.lines().next(),
            Some("00:01.0  me    Hi, this is Tom from Greenleaf. [other (unsure)]")
        );
    }
}
