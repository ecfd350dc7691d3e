//! Streaming resampler to the pipeline's 16 kHz: wraps rubato's synchronous FFT resampler
//! (exact integer ratio: 48k, 44.1k, 8k, ... -> 16k) with an input buffer, so callers can push
//! blocks of any size. The resampler's delay is removed, so output sample `n` lines up with
//! input time `n / 16000` s and sample positions stay exact. Runs on a capture thread, never in
//! the audio callback.

use rubato::{FftFixedIn, Resampler as _};

use crate::event::SAMPLE_RATE_HZ;

#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {rate} Hz to 16000 Hz: {message}")]
pub struct ResampleError {
    pub rate: u32,
    pub message: String,
}

/// Converts one mono channel from `in_rate` to 16 kHz.
pub struct Resampler {
    inner: Option<FftFixedIn<f32>>,
    in_rate: u32,
    pending: Vec<f32>,
    out_buf: Vec<Vec<f32>>,
    /// Output samples still to discard (the resampler's group delay).
    skip: usize,
    /// Input frames consumed and output frames emitted, to size the final flush exactly.
    in_total: u64,
    out_total: u64,
}

const CHUNK_IN: usize = 1024;

impl Resampler {
    pub fn new(in_rate: u32) -> Result<Resampler, ResampleError> {
        if in_rate == 0 {
            return Err(ResampleError {
                rate: in_rate,
                message: "the rate is zero".into(),
            });
        }
        if in_rate == SAMPLE_RATE_HZ {
            return Ok(Resampler {
                inner: None,
                in_rate,
                pending: Vec::new(),
                out_buf: Vec::new(),
                skip: 0,
                in_total: 0,
                out_total: 0,
            });
        }
        let inner =
            FftFixedIn::<f32>::new(in_rate as usize, SAMPLE_RATE_HZ as usize, CHUNK_IN, 2, 1)
                .map_err(|e| ResampleError {
                    rate: in_rate,
                    message: e.to_string(),
                })?;
        let out_buf = inner.output_buffer_allocate(true);
        let skip = inner.output_delay();
        Ok(Resampler {
            pending: Vec::with_capacity(inner.input_frames_max() * 2),
            inner: Some(inner),
            in_rate,
            out_buf,
            skip,
            in_total: 0,
            out_total: 0,
        })
    }

    pub fn in_rate(&self) -> u32 {
        self.in_rate
    }

    /// Pushes input samples; appends whatever output is ready to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.in_total += input.len() as u64;
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.out_total += input.len() as u64;
            return;
        };
        self.pending.extend_from_slice(input);
        let mut offset = 0;
        loop {
            let need = inner.input_frames_next();
            if self.pending.len() - offset < need {
                break;
            }
            let chunk = [&self.pending[offset..offset + need]];
            match inner.process_into_buffer(&chunk, &mut self.out_buf, None) {
                Ok((_, n_out)) => {
                    let produced = &self.out_buf[0][..n_out];
                    let drop = self.skip.min(produced.len());
                    self.skip -= drop;
                    out.extend_from_slice(&produced[drop..]);
                    self.out_total += (produced.len() - drop) as u64;
                }
                Err(_) => {
                    // Buffers are sized by rubato itself; an error here is a bug, not input.
                    debug_assert!(false, "resampler buffer mismatch");
                }
            }
            offset += need;
        }
        self.pending.drain(..offset);
    }

    /// Flushes the tail at the end of a stream so the total output is `input * 16000 / rate`.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let want = (self.in_total as u128 * SAMPLE_RATE_HZ as u128 / self.in_rate as u128) as u64;
        if self.inner.is_none() {
            return;
        }
        let mut guard = 0;
        while self.out_total < want && guard < 64 {
            let need = self
                .inner
                .as_ref()
                .map(|i| i.input_frames_next())
                .unwrap_or(CHUNK_IN);
            let pad = need.saturating_sub(self.pending.len()).max(1);
            let zeros = vec![0.0f32; pad];
            let before = out.len();
            // `process` counts the padding as input; undo that so `want` stays fixed.
            self.process(&zeros, out);
            self.in_total -= pad as u64;
            let _ = before;
            guard += 1;
        }
        if self.out_total > want {
            let extra = (self.out_total - want) as usize;
            let keep = out.len().saturating_sub(extra);
            out.truncate(keep);
            self.out_total = want;
        }
    }
}

/// Averages interleaved frames of `channels` channels into mono.
pub fn downmix_into(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels <= 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let inv = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() * inv),
    );
}

/// Picks channel `ch` of interleaved frames.
pub fn pick_channel_into(interleaved: &[f32], channels: usize, ch: usize, out: &mut Vec<f32>) {
    out.extend(
        interleaved
            .chunks_exact(channels.max(1))
            .map(|f| f.get(ch).copied().unwrap_or(0.0)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn identity_at_16k() {
        let mut r = Resampler::new(16_000).unwrap();
        let mut out = Vec::new();
        r.process(&[0.1, 0.2, 0.3], &mut out);
        r.finish(&mut out);
        assert_eq!(out, vec![0.1, 0.2, 0.3]);
    }

    #[test]
    fn length_is_exact_and_signal_aligned_48k() {
        let input = sine(48_000, 440.0, 2.0);
        let mut r = Resampler::new(48_000).unwrap();
        let mut out = Vec::new();
        for block in input.chunks(777) {
            r.process(block, &mut out);
        }
        r.finish(&mut out);
        assert_eq!(out.len(), 32_000);
        // Aligned: compare against a 16 kHz sine of the same phase, away from the edges.
        let reference = sine(16_000, 440.0, 2.0);
        let err: f32 = out[2000..30000]
            .iter()
            .zip(&reference[2000..30000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        // A residual sub-sample delay (~0.3 sample) remains; a misalignment of a whole sample
        // would give an error of ~0.09 here.
        assert!(err < 0.05, "max error {err}");
    }

    #[test]
    fn block_size_does_not_change_output() {
        let input = sine(44_100, 300.0, 1.0);
        let run = |bs: usize| {
            let mut r = Resampler::new(44_100).unwrap();
            let mut out = Vec::new();
            for b in input.chunks(bs) {
                r.process(b, &mut out);
            }
            r.finish(&mut out);
            out
        };
        let a = run(100);
        let b = run(input.len());
        assert_eq!(a.len(), 16_000);
        assert_eq!(a, b);
    }

    #[test]
    fn downmix_and_pick() {
        let mut m = Vec::new();
        downmix_into(&[1.0, 0.0, 0.5, 0.5], 2, &mut m);
        assert_eq!(m, vec![0.5, 0.5]);
        let mut r = Vec::new();
        pick_channel_into(&[1.0, 0.2, 0.5, 0.7], 2, 1, &mut r);
        assert_eq!(r, vec![0.2, 0.7]);
    }
}
