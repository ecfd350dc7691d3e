//! Replay source: a WAV file played through the pipeline as if it were live. Stereo means
//! left = me, right = them; mono is "me" alone. Runs on its own source thread (spawned by
//! `app`), at the pace of the recording or as fast as the pipeline takes it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::audio::wav::{read_wav, read_wav_bytes, WavError};
use crate::event::Speed;
use crate::event::{Speaker, SAMPLE_RATE_HZ};

/// How a replay cuts its blocks: fixed 20 ms like a sound card, or pseudo-random sizes (tests
/// check that block boundaries don't change the result).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blocks {
    Fixed(usize),
    Random { seed: u64, max: usize },
}

impl Default for Blocks {
    fn default() -> Self {
        Blocks::Fixed(SAMPLE_RATE_HZ as usize / 50)
    }
}

/// A loaded replay: 16 kHz channels by speaker.
pub struct Replay {
    pub channels: Vec<(Speaker, Vec<f32>)>,
}

/// The built-in sample call (stereo: left = me, right = them), compiled into the binary so the
/// demo works from any directory. Replayed from memory: no temporary copy on disk.
pub const SAMPLE_CALL_WAV: &[u8] = include_bytes!("../../assets/sample_call.wav");

impl Replay {
    /// The built-in sample call, decoded from memory.
    pub fn sample() -> Result<Replay, WavError> {
        let a = read_wav_bytes(SAMPLE_CALL_WAV, Path::new("the built-in sample call"))?;
        let mut it = a.channels.into_iter();
        let channels = [Speaker::Me, Speaker::Them]
            .into_iter()
            .zip(it.by_ref())
            .collect();
        Ok(Replay { channels })
    }

    /// Loads `path` (and optionally a separate "them" file).
    pub fn load(path: &Path, them: Option<&Path>) -> Result<Replay, WavError> {
        let a = read_wav(path)?;
        let mut channels = Vec::new();
        let mut it = a.channels.into_iter();
        if let Some(me) = it.next() {
            channels.push((Speaker::Me, me));
        }
        if let Some(t) = them {
            let b = read_wav(t)?;
            channels.push((Speaker::Them, b.mono()));
        } else if let Some(t) = it.next() {
            channels.push((Speaker::Them, t));
        }
        Ok(Replay { channels })
    }

    pub fn has_counterpart(&self) -> bool {
        self.channels.iter().any(|(s, _)| *s == Speaker::Them)
    }

    pub fn duration_samples(&self) -> u64 {
        self.channels
            .iter()
            .map(|(_, c)| c.len())
            .max()
            .unwrap_or(0) as u64
    }

    /// Plays the replay: calls `emit(speaker, start_sample, block)` for each block of each
    /// channel in stream order. Stops early when `stop()` is true. `limit` caps the stream time.
    pub fn play(
        &self,
        speed: Speed,
        blocks: Blocks,
        limit: Option<u64>,
        mut stop: impl FnMut() -> bool,
        mut emit: impl FnMut(Speaker, u64, &[f32]),
    ) {
        let total = limit.map_or(self.duration_samples(), |l| l.min(self.duration_samples()));
        let t0 = Instant::now();
        let mut pos = 0u64;
        let mut rng = match blocks {
            Blocks::Random { seed, .. } => seed | 1,
            Blocks::Fixed(_) => 1,
        };
        while pos < total && !stop() {
            let n = match blocks {
                Blocks::Fixed(n) => n.max(1),
                Blocks::Random { max, .. } => {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    1 + (rng % max.max(1) as u64) as usize
                }
            } as u64;
            let end = (pos + n).min(total);
            if speed == Speed::Realtime {
                // Deliver a block once its last sample "has been spoken".
                let due = Duration::from_secs_f64(end as f64 / SAMPLE_RATE_HZ as f64);
                let now = t0.elapsed();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            for (speaker, ch) in &self.channels {
                let a = (pos as usize).min(ch.len());
                let b = (end as usize).min(ch.len());
                if b > a {
                    emit(*speaker, pos, &ch[a..b]);
                } else {
                    // A shorter channel continues as silence so both stay aligned.
                    let zeros = vec![0.0; (end - pos) as usize];
                    emit(*speaker, pos, &zeros);
                }
            }
            pos = end;
        }
    }
}
