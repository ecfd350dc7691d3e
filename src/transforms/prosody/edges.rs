//! Where the sound of an utterance starts and ends, found again in the waveform near the
//! VAD's edges.

use super::summary::percentile_sorted;
use super::*;

// ---------------------------------------------------------------------------------------------
// Onset / offset
// ---------------------------------------------------------------------------------------------

/// Energy frame of the edge search: 5 ms.
pub(super) const EDGE_FRAME: usize = 80;
/// Search from this long before the VAD edge ...
pub(super) const EDGE_BEFORE: u64 = 4_800; // 300 ms
/// ... to this long after it.
pub(super) const EDGE_AFTER: u64 = 3_200; // 200 ms
/// Detection threshold: this far above the noise floor (dB). 5 ms frames of steady noise
/// scatter by about ±1 dB, so 6 dB plus the sustain rule keeps noise out.
pub(super) const EDGE_NOISE_MARGIN_DB: f32 = 6.0;
/// ... and at least the speech level minus this (dB): in a quiet room a breath or a click
/// must not count as speech.
pub(super) const EDGE_BELOW_SPEECH_DB: f32 = 35.0;
/// Refinement threshold: the detected edge is moved outward frame by frame while the energy
/// stays this far above the noise floor (dB) ...
pub(super) const EDGE_LOW_MARGIN_DB: f32 = 3.0;
/// ... and not below the speech level minus this (dB). This catches the weak start of a
/// fricative and the decay of a final syllable, which the detection threshold misses.
pub(super) const EDGE_LOW_BELOW_SPEECH_DB: f32 = 40.0;
/// The refinement moves the edge at most this many frames (100 ms).
pub(super) const EDGE_REFINE_MAX: usize = 20;
/// Below this distance between detection threshold and speech level the search is
/// inconclusive (speech hardly above the noise).
pub(super) const EDGE_MIN_SNR_DB: f32 = 4.0;
/// Frames from the edge inward that must be checked (30 ms) ...
pub(super) const EDGE_SUSTAIN: usize = 6;
/// ... of which at least this many above the detection threshold.
pub(super) const EDGE_SUSTAIN_MIN: usize = 5;

/// Energies (dB) of consecutive 5 ms frames of `samples`.
pub(super) fn edge_energies(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks_exact(EDGE_FRAME)
        .map(|c| db(mean_square(c)))
        .collect()
}

/// Detection and refinement thresholds (dB) for a run of frame energies: noise floor (10th
/// percentile of the frames) plus a margin, bounded below by the speech level (95th
/// percentile) minus a margin. `None` when the speech is not clearly above the noise.
pub(super) fn edge_thresholds(e: &[f32]) -> Option<(f32, f32)> {
    if e.len() < 20 {
        return None;
    }
    let mut s = e.to_vec();
    s.sort_by(f32::total_cmp);
    let noise = percentile_sorted(&s, 0.1);
    let speech = percentile_sorted(&s, 0.95);
    let high = (noise + EDGE_NOISE_MARGIN_DB).max(speech - EDGE_BELOW_SPEECH_DB);
    let low = (noise + EDGE_LOW_MARGIN_DB).max(speech - EDGE_LOW_BELOW_SPEECH_DB);
    (speech - high >= EDGE_MIN_SNR_DB).then_some((high, low))
}

/// Frame range `[k_lo, k_hi)` of the search window around `edge`.
pub(super) fn edge_window(n_frames: usize, samples_start: u64, edge: u64) -> (usize, usize) {
    let fr = EDGE_FRAME as u64;
    let lo = edge.saturating_sub(EDGE_BEFORE).max(samples_start);
    let hi = edge + EDGE_AFTER;
    let k_lo = ((lo - samples_start).div_ceil(fr) as usize).min(n_frames);
    let k_hi = ((hi.saturating_sub(samples_start) / fr) as usize).min(n_frames);
    (k_lo, k_hi)
}

/// Speech onset near the VAD's `vad_start`, from the waveform. In 5 ms frames from 300 ms
/// before to 200 ms after the VAD edge: the first frame above the detection threshold with
/// at least 5 of the 6 frames from it above too, moved earlier (at most 100 ms) while the
/// frames before it stay above the lower refinement threshold. Returns `vad_start` when the search
/// is inconclusive: too little contrast, no such frame, or speech already under way where
/// the search starts.
pub fn onset(samples: &[f32], samples_start: u64, vad_start: u64) -> u64 {
    let e = edge_energies(samples);
    let Some((high, low)) = edge_thresholds(&e) else {
        return vad_start;
    };
    let (k_lo, k_hi) = edge_window(e.len(), samples_start, vad_start);
    let above = |k: usize| {
        k + EDGE_SUSTAIN <= e.len()
            && e[k..k + EDGE_SUSTAIN].iter().filter(|&&v| v > high).count() >= EDGE_SUSTAIN_MIN
    };
    let Some(k) = (k_lo..k_hi).find(|&k| e[k] > high && above(k)) else {
        return vad_start;
    };
    if k == k_lo {
        // Already loud where the search starts: the onset is not in the window.
        return vad_start;
    }
    let mut j = k;
    while j > 0 && k - j < EDGE_REFINE_MAX && e[j - 1] > low {
        j -= 1;
    }
    samples_start + (j * EDGE_FRAME) as u64
}

/// Speech offset (exclusive end) near the VAD's `vad_end`, from the waveform: the mirror of
/// `onset` (the last frame above the detection threshold with 5 of the 6 frames up to it
/// above, moved later while the frames after it stay above the refinement threshold).
/// Returns `vad_end` when the search is inconclusive.
pub fn offset(samples: &[f32], samples_start: u64, vad_end: u64) -> u64 {
    let e = edge_energies(samples);
    let Some((high, low)) = edge_thresholds(&e) else {
        return vad_end;
    };
    let (k_lo, k_hi) = edge_window(e.len(), samples_start, vad_end);
    let above = |k: usize| {
        k + 1 >= EDGE_SUSTAIN
            && e[k + 1 - EDGE_SUSTAIN..=k]
                .iter()
                .filter(|&&v| v > high)
                .count()
                >= EDGE_SUSTAIN_MIN
    };
    let Some(k) = (k_lo..k_hi).rev().find(|&k| e[k] > high && above(k)) else {
        return vad_end;
    };
    if k + 1 == k_hi {
        // Still loud where the search ends.
        return vad_end;
    }
    let mut j = k;
    while j + 1 < e.len() && j - k < EDGE_REFINE_MAX && e[j + 1] > low {
        j += 1;
    }
    samples_start + ((j + 1) * EDGE_FRAME) as u64
}
