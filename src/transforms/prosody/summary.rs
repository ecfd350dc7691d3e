//! The prosody record of one utterance from its frames: the ending, F0 median and range, rate
//! and level.

use super::*;

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

/// Length of the ending window, ending at the last voiced frame: about the last one or two
/// syllables, where a final rise or fall lives.
pub(super) const END_WINDOW_S: f32 = 0.4;
/// Voicing the ending window needs before its direction is called (15 frames: fewer make the
/// slope a guess).
pub(super) const END_MIN_VOICED_S: f32 = 0.15;
/// Fitted change over the window (slope × `END_WINDOW_S`) that counts as a rise / fall:
/// 1.5 st. Well above the measurement noise: on the prosody set, whose clips have their last
/// 400 ms ramped by a known amount, the fitted change moved by a median +2.99, +4.98 and
/// −5.02 st for +3, +5 and −5 st ramps (median absolute deviation 0.12–0.27 st). Small
/// enough that a +3 st ramp on a level ending reads as a rise. No threshold separates the
/// natural endings of read statements well (they span −15 to +17 st; 40 / 35 / 28 % of them
/// read as rises at 1.0 / 1.5 / 3.0 st, while +3 st ramps read as rises 68 / 65 / 55 %).
pub(super) const END_THRESHOLD_ST: f32 = 1.5;
/// Median voicing probability of the window's voiced frames below which the contour is
/// called unreliable (creak, breath, noise: the decoder kept a track, but the frames hardly
/// support it).
pub(super) const END_MIN_VOICED_PROB: f32 = 0.3;
/// Distance from the first line fit beyond which a frame is dropped from the refit.
pub(super) const OUTLIER_ST: f32 = 3.0;
/// A frame-to-frame move larger than this (semitones per 10 ms) is a jump.
pub(super) const JUMP_ST: f32 = 2.0;
/// Share of jumps among consecutive voiced pairs above which the contour is unreliable.
pub(super) const MAX_JUMP_SHARE: f32 = 0.15;
/// Voicing needed for an F0 median and range.
pub(super) const MIN_VOICED_S: f32 = 0.1;
/// Median voicing probability of the voiced frames needed for an F0 median and range.
pub(super) const MIN_VOICED_PROB: f32 = 0.3;
/// Voicing needed for a speaking rate (besides the reliability needed for an F0 median).
pub(super) const RATE_MIN_VOICED_S: f32 = 0.3;
/// Contour step: 20 ms.
pub(super) const CONTOUR_STEP: u64 = 320;
/// At most this many contour points (5 minutes): a bogus speech range must not allocate
/// without bound.
pub(super) const MAX_CONTOUR: usize = 15_000;

pub(super) fn st(f0: f32) -> f32 {
    12.0 * (f0 / 100.0).log2()
}

pub(super) fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    })
}

/// Linear-interpolated percentile (q in 0..1) of a sorted slice.
pub(super) fn percentile_sorted(v: &[f32], q: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f32;
    let i = pos.floor() as usize;
    let j = (i + 1).min(v.len() - 1);
    let fr = pos - i as f32;
    v[i] * (1.0 - fr) + v[j] * fr
}

/// Least-squares line `(slope, intercept)` of y over x; `None` for fewer than two distinct x.
pub(super) fn line_fit(x: &[f32], y: &[f32]) -> Option<(f32, f32)> {
    let n = x.len() as f32;
    if x.len() < 2 {
        return None;
    }
    let mx = x.iter().sum::<f32>() / n;
    let my = y.iter().sum::<f32>() / n;
    let sxy: f32 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f32 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    (sxx > 1e-9).then(|| (sxy / sxx, my - sxy / sxx * mx))
}

/// Slope of y over x, robust to stray frames: a least-squares fit, then a refit without the
/// points more than `OUTLIER_ST` off the first line (octave errors are 12 st off; a real
/// contour, however steep, stays near its own line). The refit is used only while it keeps
/// most of the points.
pub(super) fn robust_slope(x: &[f32], y: &[f32]) -> Option<f32> {
    let (slope, icpt) = line_fit(x, y)?;
    let (kx, ky): (Vec<f32>, Vec<f32>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| (*b - (icpt + slope * *a)).abs() <= OUTLIER_ST)
        .map(|(a, b)| (*a, *b))
        .unzip();
    if kx.len() * 3 >= x.len() * 2 {
        line_fit(&kx, &ky).map(|(s, _)| s).or(Some(slope))
    } else {
        Some(slope)
    }
}

/// One frame of a decoded track, for `end_direction`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Seconds (any origin, increasing).
    pub time_s: f32,
    /// F0, `None` where unvoiced.
    pub f0_hz: Option<f32>,
    /// Voicing probability of the frame (1 for a reference track without one).
    pub voiced_prob: f32,
}

/// Direction of the end of a track: `(ending, slope in st/s)` over the `END_WINDOW_S` that end
/// at the last voiced point. The slope is a robust line fit of semitones against time
/// (`robust_slope`). Octave jumps are not folded: a real final rise or fall can span more than
/// half an octave in 400 ms (read speech has continuation rises of 10 st), and folding turned
/// those into nonsense; the decoder already keeps octave errors rare, and the refit drops
/// the rest. `Unknown` when the window holds under `END_MIN_VOICED_S` of voicing, its
/// median voicing probability is under `END_MIN_VOICED_PROB`, or more than `MAX_JUMP_SHARE`
/// of its frame-to-frame steps jump by over `JUMP_ST` (a jittery, unreliable contour).
pub fn end_direction(track: &[TrackPoint]) -> (Ending, Option<f32>) {
    let Some(last) = track.iter().rposition(|p| p.f0_hz.is_some()) else {
        return (Ending::Unknown, None);
    };
    let t_last = track[last].time_s;
    let hop_s = HOP as f32 / SAMPLE_RATE as f32;
    let mut ts = Vec::new();
    let mut ys = Vec::new();
    let mut probs = Vec::new();
    let mut jumps = 0usize;
    let mut pairs = 0usize;
    let mut prev: Option<(f32, f32)> = None;
    for p in &track[..=last] {
        if p.time_s <= t_last - END_WINDOW_S {
            continue;
        }
        let Some(f) = p.f0_hz.filter(|f| *f > 0.0) else {
            prev = None;
            continue;
        };
        let y = st(f);
        if let Some((pt, py)) = prev {
            if p.time_s - pt < 1.5 * hop_s {
                pairs += 1;
                if (y - py).abs() > JUMP_ST {
                    jumps += 1;
                }
            }
        }
        prev = Some((p.time_s, y));
        ts.push(p.time_s - t_last);
        ys.push(y);
        probs.push(p.voiced_prob);
    }
    if (ts.len() as f32) * hop_s < END_MIN_VOICED_S - 1e-4 {
        return (Ending::Unknown, None);
    }
    let Some(slope) = robust_slope(&ts, &ys) else {
        return (Ending::Unknown, None);
    };
    let p_med = median(&mut probs).unwrap_or(0.0);
    let jump_share = if pairs > 0 {
        jumps as f32 / pairs as f32
    } else {
        0.0
    };
    if p_med < END_MIN_VOICED_PROB || jump_share > MAX_JUMP_SHARE {
        // Unreliable: no direction, and no slope either (it would be a guess).
        return (Ending::Unknown, None);
    }
    let change = slope * END_WINDOW_S;
    let e = if change >= END_THRESHOLD_ST {
        Ending::Rise
    } else if change <= -END_THRESHOLD_ST {
        Ending::Fall
    } else {
        Ending::Level
    };
    (e, Some(slope))
}

/// Summarises one utterance. `frames` come from the utterance's `PitchStream` (they may cover
/// pre/post-roll: context helps the decoder); `samples` is the utterance audio, `samples[0]`
/// at stream position `samples_start`; `[speech_start, speech_end)` is the speech part;
/// `text` is its transcript (for the speaking rate).
pub fn summarize(
    frames: &[PitchFrame],
    samples: &[f32],
    samples_start: u64,
    speech_start: u64,
    speech_end: u64,
    text: &str,
) -> Prosody {
    let f0 = decode(frames);
    let in_speech = |c: u64| c >= speech_start && c < speech_end;
    let mut voiced: Vec<f32> = Vec::new();
    let mut probs: Vec<f32> = Vec::new();
    for (fr, f) in frames.iter().zip(&f0) {
        if let (true, Some(f)) = (in_speech(fr.centre_sample), f) {
            voiced.push(*f);
            probs.push(fr.voiced_prob());
        }
    }
    let voiced_s = voiced.len() as f32 * HOP as f32 / SAMPLE_RATE as f32;
    let reliable =
        voiced_s >= MIN_VOICED_S - 1e-4 && median(&mut probs).is_some_and(|p| p >= MIN_VOICED_PROB);
    let (f0_median_hz, f0_range_st) = if reliable {
        voiced.sort_by(f32::total_cmp);
        let med = percentile_sorted(&voiced, 0.5);
        let lo = percentile_sorted(&voiced, 0.05);
        let hi = percentile_sorted(&voiced, 0.95);
        (Some(med), Some(12.0 * (hi / lo).log2()))
    } else {
        (None, None)
    };
    let (end, end_slope_st_s) = if reliable {
        let track: Vec<TrackPoint> = frames
            .iter()
            .zip(&f0)
            .filter(|(fr, _)| in_speech(fr.centre_sample))
            .map(|(fr, f)| TrackPoint {
                time_s: (fr.centre_sample - speech_start) as f32 / SAMPLE_RATE as f32,
                f0_hz: *f,
                voiced_prob: fr.voiced_prob(),
            })
            .collect();
        end_direction(&track)
    } else {
        (Ending::Unknown, None)
    };
    let rate_syl_s = if reliable && voiced_s >= RATE_MIN_VOICED_S - 1e-4 {
        Some(syllables(text) as f32 / voiced_s)
    } else {
        None
    };
    // Level of the speech part.
    let a = speech_start
        .saturating_sub(samples_start)
        .min(samples.len() as u64) as usize;
    let b = speech_end
        .saturating_sub(samples_start)
        .min(samples.len() as u64) as usize;
    let level_dbfs = db(mean_square(&samples[a..b.max(a)]));
    // Contour: nearest frame to each 20 ms step.
    let mut contour_hz = Vec::new();
    let mut t = speech_start;
    while t < speech_end && contour_hz.len() < MAX_CONTOUR {
        let k = frames.partition_point(|f| f.centre_sample < t);
        let near = [k.checked_sub(1), Some(k)]
            .into_iter()
            .flatten()
            .filter(|&i| i < frames.len())
            .min_by_key(|&i| frames[i].centre_sample.abs_diff(t));
        let v = near
            .filter(|&i| frames[i].centre_sample.abs_diff(t) <= HOP / 2)
            .and_then(|i| f0[i])
            .map(|f| f.round() as u16);
        contour_hz.push(v);
        t += CONTOUR_STEP;
    }
    Prosody {
        version: PROSODY_VERSION,
        f0_median_hz,
        f0_range_st,
        end,
        end_slope_st_s,
        rate_syl_s,
        level_dbfs,
        voiced_s,
        voice_start: None,
        voice_end: None,
        contour_hz,
    }
}
