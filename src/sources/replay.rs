//! Replay source: a WAV file played through the pipeline as if it were live. Stereo means
//! left = me, right = them; mono is "me" alone. Runs on its own source thread (spawned by
//! `app`), at the pace of the recording or as fast as the pipeline takes it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::audio::resample::Resampler;
use crate::audio::wav::{read_wav_bytes, WavError, WavStream};
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

/// A replay: 16 kHz channels by speaker, in memory (the built-in sample call) or read from
/// the file(s) a block at a time as the replay goes (a 3-hour file is not held in memory).
pub struct Replay {
    source: Source,
}

enum Source {
    Memory(Vec<(Speaker, Vec<f32>)>),
    Files(Vec<FileFeed>),
}

/// One WAV file feeding one or two speakers: its blocks are resampled to 16 kHz and kept in
/// `pending` until played.
struct FileFeed {
    stream: WavStream<std::io::BufReader<std::fs::File>>,
    /// The speaker of each of the file's channels, or of their mix when `mix` is set.
    speakers: Vec<Speaker>,
    mix: bool,
    resamplers: Vec<Resampler>,
    /// 16 kHz samples per speaker not yet played, starting at stream sample `base`.
    pending: Vec<Vec<f32>>,
    base: u64,
    /// Native-rate frames read but not yet resampled (scratch, reused).
    native: Vec<Vec<f32>>,
    done: bool,
}

/// Native frames read per refill (about a quarter second at 16 kHz).
const READ_FRAMES: usize = 4096;

impl FileFeed {
    fn new(
        stream: WavStream<std::io::BufReader<std::fs::File>>,
        speakers: Vec<Speaker>,
        mix: bool,
    ) -> Result<FileFeed, WavError> {
        let rate = stream.spec.sample_rate;
        let resamplers = (0..speakers.len())
            .map(|_| {
                Resampler::new(rate).map_err(|e| WavError::Resample {
                    path: std::path::PathBuf::from(format!("{rate} Hz input")),
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n_ch = usize::from(stream.spec.channels);
        Ok(FileFeed {
            stream,
            pending: vec![Vec::new(); speakers.len()],
            speakers,
            mix,
            resamplers,
            base: 0,
            native: vec![Vec::new(); n_ch],
            done: false,
        })
    }

    /// Samples available from `base` (the shortest of its speakers' buffers).
    fn available_end(&self) -> u64 {
        self.base + self.pending.iter().map(Vec::len).min().unwrap_or(0) as u64
    }

    /// The end of the longest speaker's audio (known once `done`).
    fn end(&self) -> u64 {
        self.base + self.pending.iter().map(Vec::len).max().unwrap_or(0) as u64
    }

    /// Reads and resamples until samples up to `upto` are there or the file ends.
    fn fill(&mut self, upto: u64) -> Result<(), WavError> {
        while !self.done && self.available_end() < upto {
            for c in &mut self.native {
                c.clear();
            }
            let n = self.stream.read_frames(READ_FRAMES, &mut self.native)?;
            if n == 0 {
                for (r, p) in self.resamplers.iter_mut().zip(&mut self.pending) {
                    r.finish(p);
                }
                self.done = true;
                break;
            }
            if self.mix {
                let k = self.native.len().max(1) as f32;
                let mixed: Vec<f32> = (0..n)
                    .map(|i| self.native.iter().map(|c| c[i]).sum::<f32>() / k)
                    .collect();
                self.resamplers[0].process(&mixed, &mut self.pending[0]);
            } else {
                for ((r, p), c) in self
                    .resamplers
                    .iter_mut()
                    .zip(&mut self.pending)
                    .zip(&self.native)
                {
                    r.process(c, p);
                }
            }
        }
        Ok(())
    }

    /// Drops played samples before `pos`.
    fn consume(&mut self, pos: u64) {
        let k = pos.saturating_sub(self.base) as usize;
        if k >= READ_FRAMES * 4 {
            for p in &mut self.pending {
                p.drain(..k.min(p.len()));
            }
            self.base += k as u64;
        }
    }
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
        Ok(Replay {
            source: Source::Memory(channels),
        })
    }

    /// Opens `path` (and optionally a separate "them" file, mixed to mono) for streaming.
    /// A header that lies about the data length is warned about once, on stderr.
    pub fn load(path: &Path, them: Option<&Path>) -> Result<Replay, WavError> {
        let open = |p: &Path| -> Result<_, WavError> {
            let w = WavStream::open(p)?;
            if w.frames == 0 {
                return Err(WavError::Empty {
                    path: p.to_path_buf(),
                });
            }
            if let Some(warning) = &w.warning {
                eprintln!("ringside: warning: {warning}");
            }
            Ok(w)
        };
        let me = open(path)?;
        let mut feeds = Vec::new();
        let stereo = me.spec.channels >= 2 && them.is_none();
        let speakers = if stereo {
            vec![Speaker::Me, Speaker::Them]
        } else {
            vec![Speaker::Me]
        };
        // Channels past the first (or the first two) are not played, as before.
        feeds.push(FileFeed::new(me, speakers, false)?);
        if let Some(t) = them {
            feeds.push(FileFeed::new(open(t)?, vec![Speaker::Them], true)?);
        }
        Ok(Replay {
            source: Source::Files(feeds),
        })
    }

    pub fn has_counterpart(&self) -> bool {
        match &self.source {
            Source::Memory(c) => c.iter().any(|(s, _)| *s == Speaker::Them),
            Source::Files(f) => f.iter().any(|f| f.speakers.contains(&Speaker::Them)),
        }
    }

    /// The length in 16 kHz samples (from the headers, as read, for files).
    pub fn duration_samples(&self) -> u64 {
        match &self.source {
            Source::Memory(c) => c.iter().map(|(_, c)| c.len()).max().unwrap_or(0) as u64,
            Source::Files(f) => f
                .iter()
                .map(|f| {
                    f.stream.frames * u64::from(SAMPLE_RATE_HZ)
                        / u64::from(f.stream.spec.sample_rate)
                })
                .max()
                .unwrap_or(0),
        }
    }

    /// Plays the replay: calls `emit(speaker, start_sample, block)` for each block of each
    /// channel in stream order. Stops early when `stop()` is true. `limit` caps the stream time.
    /// A read error of a file ends the replay there (returned, after the blocks before it).
    pub fn play(
        &mut self,
        speed: Speed,
        blocks: Blocks,
        limit: Option<u64>,
        mut stop: impl FnMut() -> bool,
        mut emit: impl FnMut(Speaker, u64, &[f32]),
    ) -> Result<(), WavError> {
        let t0 = Instant::now();
        let mut pos = 0u64;
        let mut rng = match blocks {
            Blocks::Random { seed, .. } => seed | 1,
            Blocks::Fixed(_) => 1,
        };
        let limit = limit.unwrap_or(u64::MAX);
        let mut zeros = Vec::new();
        while !stop() {
            let n = match blocks {
                Blocks::Fixed(n) => n.max(1),
                Blocks::Random { max, .. } => {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    1 + (rng % max.max(1) as u64) as usize
                }
            } as u64;
            // The end of the stream: the longest channel's (known once its file is read).
            let total = match &mut self.source {
                Source::Memory(c) => c.iter().map(|(_, c)| c.len()).max().unwrap_or(0) as u64,
                Source::Files(feeds) => {
                    for f in feeds.iter_mut() {
                        f.fill(pos + n)?;
                    }
                    feeds
                        .iter()
                        .map(|f| if f.done { f.end() } else { u64::MAX })
                        .max()
                        .unwrap_or(0)
                }
            }
            .min(limit);
            if pos >= total {
                break;
            }
            let end = (pos + n).min(total);
            if speed == Speed::Realtime {
                // Deliver a block once its last sample "has been spoken".
                let due = Duration::from_secs_f64(end as f64 / SAMPLE_RATE_HZ as f64);
                let now = t0.elapsed();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            let mut one = |speaker: Speaker, ch: &[f32], base: u64| {
                let a = (pos.saturating_sub(base) as usize).min(ch.len());
                let b = (end.saturating_sub(base) as usize).min(ch.len());
                if b > a {
                    emit(speaker, pos, &ch[a..b]);
                } else {
                    // A shorter channel continues as silence so both stay aligned.
                    zeros.clear();
                    zeros.resize((end - pos) as usize, 0.0);
                    emit(speaker, pos, &zeros);
                }
            };
            match &mut self.source {
                Source::Memory(c) => {
                    for (speaker, ch) in c.iter() {
                        one(*speaker, ch, 0);
                    }
                }
                Source::Files(feeds) => {
                    for f in feeds.iter_mut() {
                        for (speaker, ch) in f.speakers.iter().zip(&f.pending) {
                            one(*speaker, ch, f.base);
                        }
                        f.consume(end);
                    }
                }
            }
            pos = end;
        }
        Ok(())
    }
}
