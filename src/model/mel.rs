//! The 80 x 201 mel filterbank that whisper.cpp reads from the ggml file header.
//!
//! whisper.cpp does not compute its filters: it uses whatever the model file carries, so the
//! converter must reproduce the ones OpenAI trained with, i.e. librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels=80)` (Slaney mel scale, Slaney area
//! normalisation, computed in f64 and stored as f32). Runs once per conversion, on the
//! caller's thread.

/// Sample rate Whisper works at.
pub const SAMPLE_RATE_HZ: f64 = 16_000.0;
/// FFT size of Whisper's STFT (25 ms at 16 kHz).
pub const N_FFT: usize = 400;
/// Frequency bins of a real FFT of `N_FFT` points.
pub const N_FREQS: usize = N_FFT / 2 + 1;

/// Slaney's mel scale (librosa `hz_to_mel(htk=False)`): linear below 1 kHz, log above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / logstep
    } else {
        hz / F_SP
    }
}

/// Inverse of [`hz_to_mel`] (librosa `mel_to_hz(htk=False)`).
fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (logstep * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// librosa `filters.mel(sr=16000, n_fft=400, n_mels)` with fmin 0 and fmax sr/2, row-major
/// `[n_mels][N_FREQS]`.
pub fn filterbank(n_mels: usize) -> Vec<f32> {
    let fft_freqs: Vec<f64> = (0..N_FREQS)
        .map(|k| k as f64 * SAMPLE_RATE_HZ / N_FFT as f64)
        .collect();
    // n_mels + 2 band edges, evenly spaced in mel between 0 Hz and Nyquist.
    let (mel_lo, mel_hi) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE_HZ / 2.0));
    let edges_hz: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(mel_lo + (mel_hi - mel_lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * N_FREQS);
    for m in 0..n_mels {
        let (lo, mid, hi) = (edges_hz[m], edges_hz[m + 1], edges_hz[m + 2]);
        // Slaney normalisation: every triangle has unit area, so wide high bands are lower.
        let enorm = 2.0 / (hi - lo);
        for &f in &fft_freqs {
            let lower = (f - lo) / (mid - lo);
            let upper = (hi - f) / (hi - mid);
            let w = lower.min(upper).max(0.0);
            out.push((w * enorm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values read from openai-whisper's `assets/mel_filters.npz` (`mel_80`), which
    // was generated with librosa; whisper.cpp's official models carry the same numbers.
    // (row, bin, value)
    const REFERENCE: &[(usize, usize, f32)] = &[
        (0, 1, 0.024_862_595),
        (1, 2, 0.022_871_772),
        (10, 10, 0.019_908_218),
        (40, 43, 0.014_735_566),
        (79, 192, 0.003_164_711_9),
        (79, 195, 0.002_243_795_2),
        (79, 199, 0.000_448_759),
    ];

    #[test]
    fn matches_openai_reference_values() {
        let fb = filterbank(80);
        assert_eq!(fb.len(), 80 * N_FREQS);
        for &(row, bin, want) in REFERENCE {
            let got = fb[row * N_FREQS + bin];
            assert!(
                (got - want).abs() < 2e-9,
                "row {row} bin {bin}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn row_support_and_sums_match_reference() {
        let fb = filterbank(80);
        let row = |r: usize| &fb[r * N_FREQS..(r + 1) * N_FREQS];
        let support = |r: usize| {
            let nz: Vec<usize> = (0..N_FREQS).filter(|&k| row(r)[k] > 0.0).collect();
            (nz[0], nz[nz.len() - 1], nz.len())
        };
        // (first non-zero bin, last, count) per the reference file.
        assert_eq!(support(0), (1, 1, 1));
        assert_eq!(support(10), (10, 11, 2));
        assert_eq!(support(40), (42, 44, 3));
        assert_eq!(support(79), (186, 199, 14));
        // Row sums: near-constant in the linear part, as in the reference.
        let sum = |r: usize| row(r).iter().map(|&v| v as f64).sum::<f64>();
        assert!((sum(0) - 0.024_862_594_9).abs() < 1e-8);
        assert!((sum(40) - 0.026_664_861).abs() < 1e-8);
        assert!((sum(79) - 0.024_925_339_8).abs() < 1e-8);
        // Nyquist bin and DC are outside every band.
        assert!((0..80).all(|r| row(r)[0] == 0.0 && row(r)[200] == 0.0));
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 300.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
    }
}
