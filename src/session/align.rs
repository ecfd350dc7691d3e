//! Aligns the two capture channels by sample position before they are interleaved into the
//! session WAV. Blocks of "me" and "them" arrive independently (different sizes, different
//! moments); frames are emitted only up to the position both channels have reached, so the WAV
//! timeline is stream time. Pure logic, run by the [`Recorder`](super::Recorder) on the
//! coach/sink thread.

use std::collections::VecDeque;

use crate::event::Speaker;

/// A stretch of silence inserted for one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapSpan {
    pub speaker: Speaker,
    pub start_sample: u64,
    pub end_sample: u64,
}

/// Buffers per channel and emits interleaved 16-bit frames in stream order.
#[derive(Debug)]
pub struct Aligner {
    channels: u16,
    /// Frames emitted so far (= the position of the first buffered sample of each channel).
    emitted: u64,
    bufs: [VecDeque<f32>; 2],
    /// A channel more than this many samples behind the other is padded with silence.
    max_lag: u64,
    /// Jumps ahead at least this long are reported as gaps (shorter ones are just zero-filled).
    min_reported_gap: u64,
    /// Samples dropped because they arrived for a position already written.
    pub late_samples: u64,
}

fn idx(s: Speaker) -> usize {
    match s {
        Speaker::Me => 0,
        Speaker::Them => 1,
    }
}

const SPEAKERS: [Speaker; 2] = [Speaker::Me, Speaker::Them];

/// f32 in [-1, 1] to 16-bit PCM (clamped).
pub fn to_i16(x: f32) -> i16 {
    let x = if x.is_finite() {
        x.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    (x * 32767.0).round() as i16
}

impl Aligner {
    /// `channels`: 1 (me only; "them" blocks are ignored) or 2.
    pub fn new(channels: u16, max_lag: u64, min_reported_gap: u64) -> Aligner {
        Aligner {
            channels: channels.clamp(1, 2),
            emitted: 0,
            bufs: [VecDeque::new(), VecDeque::new()],
            max_lag,
            min_reported_gap,
            late_samples: 0,
        }
    }

    /// Changes the lag after which a channel is padded with silence.
    pub fn set_max_lag(&mut self, samples: u64) {
        self.max_lag = samples;
    }

    /// Frames emitted so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    fn end(&self, ch: usize) -> u64 {
        self.emitted + self.bufs[ch].len() as u64
    }

    /// Adds a block of `speaker` starting at `start_sample`; appends the frames that became
    /// complete to `out` (interleaved) and any inserted silence to `gaps`.
    pub fn push(
        &mut self,
        speaker: Speaker,
        start_sample: u64,
        samples: &[f32],
        out: &mut Vec<i16>,
        gaps: &mut Vec<GapSpan>,
    ) {
        let ch = idx(speaker);
        if ch >= self.channels as usize {
            return;
        }
        let end = self.end(ch);
        let mut samples = samples;
        if start_sample < end {
            // Overlap with what we already have (or wrote): keep the first copy.
            let skip = ((end - start_sample) as usize).min(samples.len());
            self.late_samples += skip as u64;
            samples = &samples[skip..];
        } else if start_sample > end {
            let n = start_sample - end;
            if n >= self.min_reported_gap {
                gaps.push(GapSpan {
                    speaker,
                    start_sample: end,
                    end_sample: start_sample,
                });
            }
            self.bufs[ch].extend(std::iter::repeat_n(0.0, n as usize));
        }
        self.bufs[ch].extend(samples.iter().copied());
        self.emit(out);
        if self.channels == 2 {
            // After emitting, at most one channel has buffered audio: the leader.
            for lead in 0..2 {
                let lag = 1 - lead;
                let ahead = self.bufs[lead].len() as u64;
                if ahead > self.max_lag {
                    let start = self.end(lag);
                    self.bufs[lag].extend(std::iter::repeat_n(0.0, ahead as usize));
                    gaps.push(GapSpan {
                        speaker: SPEAKERS[lag],
                        start_sample: start,
                        end_sample: self.end(lag),
                    });
                    self.emit(out);
                }
            }
        }
    }

    fn emit(&mut self, out: &mut Vec<i16>) {
        if self.channels == 1 {
            let n = self.bufs[0].len();
            out.extend(self.bufs[0].drain(..).map(to_i16));
            self.emitted += n as u64;
            return;
        }
        let n = self.bufs[0].len().min(self.bufs[1].len());
        out.reserve(2 * n);
        let [a, b] = &mut self.bufs;
        for (x, y) in a.drain(..n).zip(b.drain(..n)) {
            out.push(to_i16(x));
            out.push(to_i16(y));
        }
        self.emitted += n as u64;
    }

    /// Pads the shorter channel with silence to the end of the longer one and emits the rest.
    pub fn flush_all(&mut self, out: &mut Vec<i16>) {
        if self.channels == 2 {
            let target = self.end(0).max(self.end(1));
            for ch in 0..2 {
                let n = target - self.end(ch);
                self.bufs[ch].extend(std::iter::repeat_n(0.0, n as usize));
            }
        }
        self.emit(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic "sample value encodes position" signals so misalignment is visible.
    fn sig(speaker: Speaker, pos: u64) -> f32 {
        let base = (pos % 1000) as f32 / 2000.0;
        match speaker {
            Speaker::Me => base,
            Speaker::Them => -base,
        }
    }

    fn block(speaker: Speaker, start: u64, len: u64) -> Vec<f32> {
        (start..start + len).map(|p| sig(speaker, p)).collect()
    }

    fn run(pushes: &[(Speaker, u64, u64)], channels: u16) -> (Vec<i16>, Vec<GapSpan>) {
        let mut a = Aligner::new(channels, 32_000, 1);
        let mut out = Vec::new();
        let mut gaps = Vec::new();
        for &(s, start, len) in pushes {
            a.push(s, start, &block(s, start, len), &mut out, &mut gaps);
        }
        a.flush_all(&mut out);
        (out, gaps)
    }

    fn expected(len: u64) -> Vec<i16> {
        (0..len)
            .flat_map(|p| [to_i16(sig(Speaker::Me, p)), to_i16(sig(Speaker::Them, p))])
            .collect()
    }

    #[test]
    fn interleaves_blocks_of_different_sizes_and_orders() {
        use Speaker::*;
        let total = 10_000u64;
        // me in blocks of 160, them in blocks of 1024, them delivered first then interleaved.
        let mut pushes = Vec::new();
        let mut t = 0;
        while t < total {
            let n = 1024.min(total - t);
            pushes.push((Them, t, n));
            t += n;
        }
        let mut m = 0;
        let mut k = 0;
        while m < total {
            let n = 160.min(total - m);
            pushes.insert((k * 2).min(pushes.len()), (Me, m, n));
            m += n;
            k += 1;
        }
        let (out, gaps) = run(&pushes, 2);
        assert_eq!(out, expected(total));
        assert!(gaps.is_empty());
        // The same audio as one block each gives the same frames.
        let (one, _) = run(&[(Me, 0, total), (Them, 0, total)], 2);
        assert_eq!(one, out);
    }

    #[test]
    fn frames_only_up_to_the_slower_channel() {
        let mut a = Aligner::new(2, 32_000, 1);
        let (mut out, mut gaps) = (Vec::new(), Vec::new());
        a.push(Speaker::Me, 0, &[0.5; 100], &mut out, &mut gaps);
        assert!(out.is_empty());
        a.push(Speaker::Them, 0, &[0.25; 40], &mut out, &mut gaps);
        assert_eq!(out.len(), 80);
        assert_eq!(a.emitted(), 40);
    }

    #[test]
    fn jump_ahead_is_filled_with_zeros_and_reported() {
        use Speaker::*;
        let mut a = Aligner::new(2, 32_000, 1);
        let (mut out, mut gaps) = (Vec::new(), Vec::new());
        a.push(Me, 0, &[0.5; 300], &mut out, &mut gaps);
        a.push(Them, 0, &[0.5; 100], &mut out, &mut gaps);
        a.push(Them, 200, &[0.5; 100], &mut out, &mut gaps);
        assert_eq!(out.len(), 600);
        let right: Vec<i16> = out.iter().skip(1).step_by(2).copied().collect();
        assert!(right[..100].iter().all(|&x| x == 16384));
        assert!(right[100..200].iter().all(|&x| x == 0));
        assert!(right[200..].iter().all(|&x| x == 16384));
        assert_eq!(
            gaps,
            vec![GapSpan {
                speaker: Them,
                start_sample: 100,
                end_sample: 200
            }]
        );
    }

    #[test]
    fn stalled_channel_is_padded_after_max_lag() {
        use Speaker::*;
        let mut a = Aligner::new(2, 1000, 1);
        let (mut out, mut gaps) = (Vec::new(), Vec::new());
        a.push(Them, 0, &[0.5; 500], &mut out, &mut gaps);
        assert!(out.is_empty());
        a.push(Them, 500, &[0.5; 600], &mut out, &mut gaps);
        assert_eq!(
            out.len(),
            2 * 1100,
            "padded 'me' once 'them' is >1000 ahead"
        );
        assert_eq!(
            gaps,
            vec![GapSpan {
                speaker: Me,
                start_sample: 0,
                end_sample: 1100
            }]
        );
        // Late "me" audio for written positions is dropped and counted, later audio aligns.
        a.push(Me, 1000, &[0.5; 200], &mut out, &mut gaps);
        assert_eq!(a.late_samples, 100);
        a.push(Them, 1100, &[0.5; 100], &mut out, &mut gaps);
        assert_eq!(out.len(), 2 * 1200);
    }

    #[test]
    fn finish_pads_the_shorter_channel() {
        let (out, _) = run(&[(Speaker::Me, 0, 300), (Speaker::Them, 0, 100)], 2);
        assert_eq!(out.len(), 600);
        let (mono, _) = run(&[(Speaker::Me, 0, 300), (Speaker::Them, 0, 100)], 1);
        assert_eq!(mono.len(), 300);
    }
}
