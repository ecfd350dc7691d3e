//! Deterministic non-speech signals at 16 kHz: white noise, pink noise and babble. They probe
//! the "no text from non-speech" promise in `ringside eval real` and in the tests; nothing on
//! the live path uses them.

/// A xorshift generator: the same seed gives the same signal on every machine.
struct XorShift(u32);

impl XorShift {
    fn new(seed: u32) -> XorShift {
        XorShift(seed.max(1))
    }

    /// Uniform in [-1, 1).
    fn next(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x as f64 / u32::MAX as f64 * 2.0 - 1.0) as f32
    }
}

/// Root-mean-square level of `x`.
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>() / x.len() as f64).sqrt() as f32
}

/// Scales `x` to an RMS level of `dbfs` (e.g. -30.0).
pub fn scale_to_dbfs(x: &mut [f32], dbfs: f32) {
    let r = rms(x);
    if r <= 0.0 {
        return;
    }
    let g = 10f32.powf(dbfs / 20.0) / r;
    for v in x.iter_mut() {
        *v = (*v * g).clamp(-1.0, 1.0);
    }
}

/// `n` samples of white noise at `dbfs` RMS.
pub fn white_noise(n: usize, dbfs: f32, seed: u32) -> Vec<f32> {
    let mut r = XorShift::new(seed);
    let mut x: Vec<f32> = (0..n).map(|_| r.next()).collect();
    scale_to_dbfs(&mut x, dbfs);
    x
}

/// `n` samples of pink (1/f) noise at `dbfs` RMS (Paul Kellet's refined filter).
pub fn pink_noise(n: usize, dbfs: f32, seed: u32) -> Vec<f32> {
    let mut r = XorShift::new(seed);
    let mut b = [0.0f32; 7];
    let mut x: Vec<f32> = (0..n)
        .map(|_| {
            let w = r.next();
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let y = b.iter().sum::<f32>() + w * 0.5362;
            b[6] = w * 0.115926;
            y
        })
        .collect();
    scale_to_dbfs(&mut x, dbfs);
    x
}

/// `n` samples of babble: `voices` time-reversed copies of the speech in `sources`, each
/// looped from its own offset and summed, at `dbfs` RMS. Speech-like in spectrum and rhythm,
/// yet with no words in it.
pub fn babble(sources: &[Vec<f32>], n: usize, voices: usize, dbfs: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; n];
    let streams: Vec<Vec<f32>> = sources
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.iter().rev().copied().collect())
        .collect();
    if streams.is_empty() {
        return out;
    }
    // All sources back to back, reversed, as one long loop; each voice starts elsewhere in it.
    let ring: Vec<f32> = streams.concat();
    for v in 0..voices.max(1) {
        let offset = ring.len() * v / voices.max(1) + 7919 * v;
        for (i, o) in out.iter_mut().enumerate() {
            *o += ring[(offset + i) % ring.len()];
        }
    }
    scale_to_dbfs(&mut out, dbfs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_as_asked_and_signals_are_deterministic() {
        let w = white_noise(16_000, -30.0, 7);
        assert!((20.0 * rms(&w).log10() + 30.0).abs() < 0.1);
        assert_eq!(w, white_noise(16_000, -30.0, 7));
        let p = pink_noise(16_000, -25.0, 7);
        assert!((20.0 * rms(&p).log10() + 25.0).abs() < 0.1);
        let b = babble(&[vec![0.5, -0.5, 0.25], vec![0.1, 0.2]], 100, 4, -20.0);
        assert_eq!(b.len(), 100);
        assert!((20.0 * rms(&b).log10() + 20.0).abs() < 0.1);
    }
}

/// A telephone line's round trip of 16 kHz audio: band-limited to 300-3400 Hz, sampled at
/// 8 kHz, G.711 mu-law (8 bits a sample), and back to 16 kHz. `eval prosody` checks that the
/// voice measures hold on the phone.
pub fn telephone_band(x: &[f32]) -> Vec<f32> {
    // Windowed-sinc band-pass (Blackman, 127 taps at 16 kHz): the low-pass before decimation
    // and the line's low cut in one filter.
    const TAPS: usize = 127;
    let sinc_lp = |fc: f64, n: f64| {
        if n == 0.0 {
            2.0 * fc
        } else {
            (2.0 * std::f64::consts::PI * fc * n).sin() / (std::f64::consts::PI * n)
        }
    };
    let (lo, hi) = (300.0 / 16_000.0, 3_400.0 / 16_000.0);
    let m = (TAPS - 1) as f64;
    let h: Vec<f64> = (0..TAPS)
        .map(|i| {
            let n = i as f64 - m / 2.0;
            let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / m).cos()
                + 0.08 * (4.0 * std::f64::consts::PI * i as f64 / m).cos();
            (sinc_lp(hi, n) - sinc_lp(lo, n)) * w
        })
        .collect();
    let half = TAPS / 2;
    // Filter and keep every other sample (8 kHz), quantised to mu-law and back.
    let narrow: Vec<f32> = (0..x.len())
        .step_by(2)
        .map(|i| {
            let mut acc = 0.0f64;
            for (k, hk) in h.iter().enumerate() {
                let j = i as isize + k as isize - half as isize;
                if j >= 0 && (j as usize) < x.len() {
                    acc += hk * f64::from(x[j as usize]);
                }
            }
            mu_law_round_trip(acc as f32)
        })
        .collect();
    let mut out = Vec::with_capacity(x.len());
    match crate::audio::resample::Resampler::new(8_000) {
        Ok(mut r) => {
            r.process(&narrow, &mut out);
            r.finish(&mut out);
        }
        // 8 kHz is always a valid input rate; were it not, repeat samples.
        Err(_) => out.extend(narrow.iter().flat_map(|v| [*v, *v])),
    }
    out.truncate(x.len());
    out
}

/// One sample through G.711 mu-law: compressed to 8 bits and expanded again.
fn mu_law_round_trip(v: f32) -> f32 {
    const MU: f32 = 255.0;
    let v = v.clamp(-1.0, 1.0);
    let y = v.signum() * (1.0 + MU * v.abs()).ln() / (1.0 + MU).ln();
    // 8 bits: 256 levels over -1..1.
    let q = (y * 127.0).round() / 127.0;
    q.signum() * ((1.0 + MU).powf(q.abs()) - 1.0) / MU
}

#[cfg(test)]
mod telephone_tests {
    use super::*;

    fn tone(hz: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin())
            .collect()
    }

    #[test]
    fn the_phone_keeps_the_voice_band_and_drops_the_rest() {
        let n = 16_000;
        let mid = telephone_band(&tone(1_000.0, n));
        let high = telephone_band(&tone(6_000.0, n));
        let low = telephone_band(&tone(100.0, n));
        assert_eq!(mid.len(), n);
        let body = |x: &[f32]| rms(&x[2_000..14_000]);
        assert!((body(&mid) / rms(&tone(1_000.0, n)) - 1.0).abs() < 0.1);
        assert!(body(&high) < 0.01, "6 kHz passed: {}", body(&high));
        assert!(body(&low) < 0.05, "100 Hz passed: {}", body(&low));
    }
}
