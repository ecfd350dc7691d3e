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
