//! The pitch frames (YIN at 8 kHz with pYIN candidates), their streaming front end, and the
//! Viterbi decoding of a run of frames.

use super::summary::percentile_sorted;
use super::*;

// ---------------------------------------------------------------------------------------------
// Frame analysis (YIN at 8 kHz)
// ---------------------------------------------------------------------------------------------

/// Lowest F0 searched: below a low male voice (~70–85 Hz) with room for creak-free low notes.
pub const F0_MIN_HZ: f32 = 60.0;
/// Highest F0 searched: above a high female voice in ordinary speech.
pub const F0_MAX_HZ: f32 = 500.0;

/// Decimated rate: 8 kHz.
pub(super) const DEC_RATE: f32 = 8_000.0;
/// Low-pass cut-off of the decimator, below the 4 kHz Nyquist limit of the decimated signal
/// so that a short (33-tap) filter suffices. Keeping the band wide matters for telephone audio, where the
/// fundamental is missing and only harmonics carry the period (a 1.5 kHz cut-off raised the
/// gross error rate from 0.8 to 1.1 %).
pub(super) const DECIM_CUTOFF_HZ: f32 = 3_400.0;
/// Half-length of the decimation filter (taps = 2 * K + 1).
pub(super) const DECIM_K: usize = 16;
/// Shortest lag (8 kHz samples): 500 Hz.
pub(super) const TAU_MIN: usize = 16;
/// Longest lag (8 kHz samples): 8000 / 134 = 59.7 Hz.
pub(super) const TAU_MAX: usize = 134;
/// YIN integration window (8 kHz samples): 20 ms, longer than the longest period (16.7 ms).
/// With 30 ms the fast glides of continuation rises (an octave in 150 ms in read speech) lost
/// their voicing, since the pitch changes too much within the window for a deep YIN dip,
/// and the fine error against Praat was 8.2 cents instead of 6.3.
pub(super) const YIN_W: usize = 160;
/// Samples of the 8 kHz signal one frame reads: window plus the longest lag plus one more
/// lag for the trough test at `TAU_MAX` (and one spare for the symmetric placement).
pub(super) const SPAN: usize = YIN_W + TAU_MAX + 3;
/// 16 kHz samples either side of the frame centre used for the frame level (20 ms in all).
pub(super) const LEVEL_HALF: u64 = 160;
/// Frames quieter than this skip the YIN work and count as unvoiced: speech is 30–60 dB
/// louder than this in any sane recording, so nothing voiced is lost.
pub(super) const SKIP_BELOW_DB: f32 = -60.0;
/// Beta prior of the YIN threshold: Beta(2, `BETA_B`), mean 2 / (2 + b) = 0.2, the widest of
/// pYIN's three standard priors (means 0.1, 0.15, 0.2). Read speech has fast glides and
/// breathy ends whose YIN dips are shallow; with mean 0.2 they keep enough probability to
/// stay voiced. Voicing agreement with Praat on the real sentences: 0.86 / 0.89 / 0.91 for
/// means 0.1 / 0.15 / 0.2, gross errors 0.3 / 0.5 / 0.8 %; with mean 0.1 the voiced time, and
/// so the speaking rate, also varied more under tempo changes (1.25× read as 1.22–1.47×).
pub(super) const BETA_B: f32 = 8.0;
/// Share of the prior given to the global minimum when no trough is under the threshold
/// (pYIN's "absolute minimum" probability).
pub(super) const P_ABS_MIN: f32 = 0.01;
/// Candidates kept per frame (most probable first).
pub(super) const MAX_CANDIDATES: usize = 5;
/// Candidates below this probability are dropped.
pub(super) const MIN_CANDIDATE_PROB: f32 = 1e-3;
/// The level reported for digital silence.
pub(super) const FLOOR_DB: f32 = -120.0;

/// One pitch hypothesis of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub f0_hz: f32,
    /// Share of the threshold prior that picks this period; the sum over a frame's candidates
    /// is the frame's voicing probability.
    pub prob: f32,
}

/// The analysis of one 10 ms frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PitchFrame {
    /// Stream position of the frame centre (a multiple of 160 samples).
    pub centre_sample: u64,
    /// RMS level of the 20 ms around the centre, dBFS.
    pub level_db: f32,
    /// Pitch candidates, most probable first; empty for skipped or aperiodic frames.
    pub candidates: Vec<Candidate>,
}

impl PitchFrame {
    /// Probability that the frame is voiced (sum of the candidates' probabilities).
    pub fn voiced_prob(&self) -> f32 {
        self.candidates.iter().fold(0.0, |a, c| a + c.prob)
    }
}

/// CDF of Beta(2, b): 1 - (1 - x)^b (1 + b x).
pub(super) fn beta2_cdf(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    1.0 - (1.0 - x).powf(BETA_B) * (1.0 + BETA_B * x)
}

/// Candidates of one frame from its 8 kHz samples (`SPAN` long, centred on the frame).
pub(super) fn yin_candidates(x: &[f32], d: &mut [f32], cmnd: &mut [f32]) -> Vec<Candidate> {
    // Difference function d(tau) = sum_j (x_j - x_{j+tau})^2 over a `YIN_W` window. Both
    // copies sit symmetrically about the span's centre for every lag (standard YIN anchors
    // the first copy, so its estimate drifts by up to half the longest lag, 8 ms, off the
    // frame centre, toward later time for low voices).
    let base = SPAN / 2 - YIN_W / 2;
    for (tau, dv) in d.iter_mut().enumerate().skip(1) {
        let s0 = base - tau / 2;
        let a = &x[s0..s0 + YIN_W];
        let b = &x[s0 + tau..s0 + tau + YIN_W];
        *dv = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
    }
    // Cumulative-mean normalisation: removes YIN's bias toward tau = 0.
    cmnd[0] = 1.0;
    let mut running = 0.0f32;
    for tau in 1..d.len() {
        running += d[tau];
        cmnd[tau] = if running > 0.0 {
            d[tau] * tau as f32 / running
        } else {
            1.0
        };
    }
    // Troughs in the lag range, in order of increasing lag.
    let mut troughs: Vec<(f32, f32)> = Vec::new(); // (interpolated lag, interpolated value)
    for tau in TAU_MIN..=TAU_MAX {
        let (a, b, c) = (cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]);
        if b < a && b <= c {
            let denom = a - 2.0 * b + c;
            let off = if denom > 0.0 {
                (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let val = (b - 0.25 * (a - c) * off).max(0.0);
            troughs.push((tau as f32 + off, val));
        }
    }
    if troughs.is_empty() {
        return Vec::new();
    }
    // YIN with threshold s answers the first trough under s. Trough k is that answer for
    // s in (v_k, min of the earlier troughs], so its probability is the prior mass there.
    let mut probs = vec![0.0f32; troughs.len()];
    let mut upper = 1.0f32;
    let mut gmin = 0usize;
    for (k, &(_, v)) in troughs.iter().enumerate() {
        if v < upper {
            probs[k] = beta2_cdf(upper) - beta2_cdf(v);
            upper = v;
        }
        if v < troughs[gmin].1 {
            gmin = k;
        }
    }
    // Thresholds under every trough: YIN falls back on the global minimum, at a discount.
    probs[gmin] += P_ABS_MIN * beta2_cdf(troughs[gmin].1);
    let mut out: Vec<Candidate> = troughs
        .iter()
        .zip(&probs)
        .filter(|(_, &p)| p >= MIN_CANDIDATE_PROB)
        .map(|(&(lag, _), &p)| Candidate {
            f0_hz: DEC_RATE / lag,
            prob: p,
        })
        .collect();
    out.sort_by(|a, b| b.prob.total_cmp(&a.prob));
    out.truncate(MAX_CANDIDATES);
    out
}

pub(super) fn db(power: f64) -> f32 {
    if power <= 1e-12 {
        FLOOR_DB
    } else {
        ((10.0 * power.log10()) as f32).max(FLOOR_DB)
    }
}

/// Mean square of a slice (f64 accumulation).
pub(super) fn mean_square(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64
}

// ---------------------------------------------------------------------------------------------
// Streaming front end
// ---------------------------------------------------------------------------------------------

/// Incremental pitch analysis of one channel. Feed consecutive blocks with `push`; frames are
/// analysed as soon as their window is complete (about 20 ms after their centre), so the
/// end-of-utterance work is only `decode` + `summarize`. Memory: the signal buffers stay under
/// a few thousand samples; frames (about 100 per second, a few dozen bytes each) are kept until
/// `forget_before`.
#[derive(Debug, Clone)]
pub struct PitchStream {
    taps: Vec<f32>,
    /// 16 kHz samples from stream position `raw_start`.
    pub(super) raw: Vec<f32>,
    raw_start: u64,
    /// Stream position the next pushed block should start at (`None`: nothing yet).
    expected: Option<u64>,
    /// 8 kHz samples; `dec[i]` is at 16 kHz position `2 * (dec_start + i)`.
    pub(super) dec: Vec<f32>,
    dec_start: u64,
    /// 16 kHz position (even) of the next decimated sample to produce.
    next_dec_pos: u64,
    /// Centre of the next frame to analyse (multiple of `HOP`).
    next_centre: u64,
    frames: Vec<PitchFrame>,
    d: Vec<f32>,
    cmnd: Vec<f32>,
}

impl Default for PitchStream {
    fn default() -> Self {
        Self::new()
    }
}

/// 8 kHz samples before a frame's centre that the frame reads.
pub(super) const SPAN_BEFORE: u64 = (SPAN / 2) as u64;

impl PitchStream {
    pub fn new() -> PitchStream {
        // Windowed-sinc (Blackman) low-pass at DECIM_CUTOFF_HZ, unity gain at DC.
        let n = 2 * DECIM_K + 1;
        let fc = DECIM_CUTOFF_HZ / SAMPLE_RATE as f32;
        let mut taps: Vec<f32> = (0..n)
            .map(|i| {
                let m = i as f32 - DECIM_K as f32;
                let sinc = if m == 0.0 {
                    2.0 * fc
                } else {
                    (2.0 * std::f32::consts::PI * fc * m).sin() / (std::f32::consts::PI * m)
                };
                let ph = 2.0 * std::f32::consts::PI * i as f32 / (n - 1) as f32;
                let win = 0.42 - 0.5 * ph.cos() + 0.08 * (2.0 * ph).cos();
                sinc * win
            })
            .collect();
        let sum: f32 = taps.iter().sum();
        if sum != 0.0 {
            taps.iter_mut().for_each(|t| *t /= sum);
        }
        PitchStream {
            taps,
            raw: Vec::new(),
            raw_start: 0,
            expected: None,
            dec: Vec::new(),
            dec_start: 0,
            next_dec_pos: 0,
            next_centre: 0,
            frames: Vec::new(),
            d: vec![0.0; TAU_MAX + 2],
            cmnd: vec![0.0; TAU_MAX + 2],
        }
    }

    /// Restarts the signal buffers at `start` (first push, or a gap in the stream). Frames
    /// already analysed are kept, except any at or after `start` (a stream that went back).
    fn reset(&mut self, start: u64) {
        self.raw.clear();
        self.raw_start = start;
        self.dec.clear();
        // The first decimated sample needs DECIM_K samples of history.
        let first = (start + DECIM_K as u64).next_multiple_of(2);
        self.next_dec_pos = first;
        self.dec_start = first / 2;
        // The first frame needs SPAN_BEFORE decimated samples and LEVEL_HALF raw samples
        // before its centre.
        let need = (2 * (self.dec_start + SPAN_BEFORE)).max(start + LEVEL_HALF);
        self.next_centre = need.next_multiple_of(HOP);
        self.frames.retain(|f| f.centre_sample < start);
    }

    /// Appends `samples` (16 kHz, stream position `start_sample`) and analyses every frame
    /// whose window is now complete. A block that does not continue the previous one resets
    /// the signal buffers: frames are never built across a gap.
    pub fn push(&mut self, start_sample: u64, samples: &[f32]) {
        if self.expected != Some(start_sample) {
            self.reset(start_sample);
        }
        self.expected = Some(start_sample + samples.len() as u64);
        self.raw.extend_from_slice(samples);
        let raw_end = self.raw_start + self.raw.len() as u64;

        // Decimate: output at even position p needs raw [p - K, p + K].
        let k = DECIM_K as u64;
        while self.next_dec_pos + k < raw_end {
            let lo = (self.next_dec_pos - k - self.raw_start) as usize;
            let acc: f32 = self.raw[lo..lo + self.taps.len()]
                .iter()
                .zip(&self.taps)
                .map(|(a, b)| a * b)
                .sum();
            self.dec.push(acc);
            self.next_dec_pos += 2;
        }
        let dec_end = self.dec_start + self.dec.len() as u64;

        // Analyse complete frames.
        loop {
            let c = self.next_centre;
            let first_dec = c / 2 - SPAN_BEFORE;
            if first_dec + SPAN as u64 > dec_end || c + LEVEL_HALF > raw_end {
                break;
            }
            let lo = (c - LEVEL_HALF - self.raw_start) as usize;
            let level_db = db(mean_square(&self.raw[lo..lo + 2 * LEVEL_HALF as usize]));
            let candidates = if level_db < SKIP_BELOW_DB {
                Vec::new()
            } else {
                let dlo = (first_dec - self.dec_start) as usize;
                yin_candidates(&self.dec[dlo..dlo + SPAN], &mut self.d, &mut self.cmnd)
            };
            self.frames.push(PitchFrame {
                centre_sample: c,
                level_db,
                candidates,
            });
            self.next_centre += HOP;
        }

        // Drop samples no future frame or filter output needs.
        let keep_raw = (self.next_dec_pos - k).min(self.next_centre - LEVEL_HALF);
        if keep_raw > self.raw_start + 4096 {
            let n = ((keep_raw - self.raw_start) as usize).min(self.raw.len());
            self.raw.drain(..n);
            self.raw_start += n as u64;
        }
        let keep_dec = self.next_centre / 2 - SPAN_BEFORE;
        if keep_dec > self.dec_start + 2048 {
            let n = ((keep_dec - self.dec_start) as usize).min(self.dec.len());
            self.dec.drain(..n);
            self.dec_start += n as u64;
        }
    }

    /// Frames whose centre lies in `[from_sample, to_sample)`, in order.
    pub fn frames(&self, from_sample: u64, to_sample: u64) -> Vec<PitchFrame> {
        let a = self
            .frames
            .partition_point(|f| f.centre_sample < from_sample);
        let b = self.frames.partition_point(|f| f.centre_sample < to_sample);
        self.frames[a..b.max(a)].to_vec()
    }

    /// Drops frames centred before `sample` (call once an utterance has been summarised).
    pub fn forget_before(&mut self, sample: u64) {
        let a = self.frames.partition_point(|f| f.centre_sample < sample);
        self.frames.drain(..a);
    }
}

/// Batch analysis of a whole clip (the streaming code path in one push).
pub fn track(samples: &[f32], start_sample: u64) -> Vec<PitchFrame> {
    let mut s = PitchStream::new();
    s.push(start_sample, samples);
    s.frames
}

// ---------------------------------------------------------------------------------------------
// Viterbi decoding
// ---------------------------------------------------------------------------------------------

/// Pitch grid resolution: 5 bins per semitone (20 cents). Finer bins buy nothing here: the
/// decoded F0 is the candidate's own value, the grid only scores continuity.
pub(super) const BINS_PER_ST: f32 = 5.0;
/// Largest pitch move per 10 ms frame, in bins: 22 bins = 4.4 st, pYIN's ~36 octaves per
/// second. Speech glides stay far below; an octave needs three frames.
pub(super) const MAX_STEP: usize = 22;
/// Probability of switching between voiced and unvoiced per frame (pYIN's 0.01).
pub(super) const SWITCH_PROB: f32 = 0.01;
/// Observation weight of an unvoiced state: `(1 - voicing probability) * UNVOICED_WEIGHT`,
/// against a voiced state's candidate probability. pYIN spreads the unvoiced mass over all
/// pitch bins (weight 1 / 185 here), so a frame next to voicing whose best candidate has only
/// 1 % goes voiced. On the real sentences that voiced 8 % more frames than Praat (this: 5 %
/// fewer), mostly breathy, decaying tails; the gross error rate was 1.15 % instead of 0.81 %,
/// and the tails made 45 % of the unmodified sentences end in a "rise" instead of 37 %.
pub(super) const UNVOICED_WEIGHT: f32 = 0.05;
/// Frames this far (dB) below the run's loud level (95th percentile of frame levels) count
/// as unvoiced whatever their periodicity: breath, reverberant tails and hum between words
/// (voicing agreement with Praat 0.909 with this, 0.891 without).
pub(super) const QUIET_ZERO_DB: f32 = 30.0;
/// From this far below the loud level the voicing evidence counts in full; in between it is
/// scaled linearly.
pub(super) const QUIET_FULL_DB: f32 = 20.0;

pub(super) fn n_bins() -> usize {
    (12.0 * BINS_PER_ST * (F0_MAX_HZ / F0_MIN_HZ).log2()).ceil() as usize + 1
}

/// Grid bin of `f0` on a grid of `n` bins.
pub(super) fn bin_of(f0: f32, n: usize) -> usize {
    let b = (12.0 * BINS_PER_ST * (f0 / F0_MIN_HZ).log2()).round();
    (b.max(0.0) as usize).min(n - 1)
}

/// Viterbi decoding of a run of frames: F0 in Hz per frame, `None` where unvoiced.
///
/// States: one voiced and one unvoiced state per pitch bin (the unvoiced layer remembers the
/// pitch across short gaps, as in pYIN). Voiced observation = probability of the frame's
/// candidates in that bin; unvoiced = (1 - voicing probability) × `UNVOICED_WEIGHT`; both
/// scaled down for frames well below the run's loud level (`QUIET_ZERO_DB`). Pitch
/// moves at most `MAX_STEP` bins per frame with a triangular preference for small moves.
pub fn decode(frames: &[PitchFrame]) -> Vec<Option<f32>> {
    let n = n_bins();
    let t_len = frames.len();
    if t_len == 0 {
        return Vec::new();
    }
    // Log transition weight by source bin and step, each row normalised over the steps that
    // stay on the grid.
    let step_w: Vec<f32> = (0..=MAX_STEP).map(|d| (MAX_STEP + 1 - d) as f32).collect();
    let row_norm: Vec<f32> = (0..n)
        .map(|i| {
            let lo = i.saturating_sub(MAX_STEP);
            let hi = (i + MAX_STEP).min(n - 1);
            let s: f32 = (lo..=hi).map(|j| step_w[i.abs_diff(j)]).sum();
            -s.ln()
        })
        .collect();
    let log_step: Vec<f32> = step_w.iter().map(|w| w.ln()).collect();
    let ls_stay = (1.0 - SWITCH_PROB).ln();
    let ls_switch = SWITCH_PROB.ln();

    let mut score_v = vec![f32::NEG_INFINITY; n];
    let mut score_u = vec![0.0f32; n];
    let mut from_v = vec![0.0f32; n]; // best entry into the voiced layer from bin i
    let mut from_u = vec![0.0f32; n];
    let mut src_v = vec![false; n]; // entry into voiced at i came from the voiced layer
    let mut src_u = vec![false; n];
    // Back-pointers: state index (bin, +n for unvoiced) of the predecessor.
    let mut back: Vec<u16> = vec![0; t_len * 2 * n];
    let mut new_v = vec![f32::NEG_INFINITY; n];
    let mut new_u = vec![0.0f32; n];
    // Voiced observations are sparse: (bin, log probability) for the frame's candidates.
    let mut obs_v: Vec<(usize, f32)> = Vec::with_capacity(MAX_CANDIDATES);

    let mut levels: Vec<f32> = frames.iter().map(|f| f.level_db).collect();
    levels.sort_by(f32::total_cmp);
    let loud = percentile_sorted(&levels, 0.95);
    // Fills `obs_v`; returns the unvoiced log observation.
    let fill_obs = |f: &PitchFrame, obs_v: &mut Vec<(usize, f32)>| -> f32 {
        obs_v.clear();
        let rel = f.level_db - loud;
        let g = ((rel + QUIET_ZERO_DB) / (QUIET_ZERO_DB - QUIET_FULL_DB)).clamp(0.0, 1.0);
        for c in &f.candidates {
            let p = c.prob * g;
            if p <= 0.0 {
                continue;
            }
            let b = bin_of(c.f0_hz, n);
            match obs_v.iter_mut().find(|(ob, _)| *ob == b) {
                Some(o) => o.1 += p,
                None => obs_v.push((b, p)),
            }
        }
        obs_v.iter_mut().for_each(|o| o.1 = o.1.ln());
        let pv = (f.voiced_prob() * g).clamp(0.0, 1.0);
        ((1.0 - pv).max(1e-6) * UNVOICED_WEIGHT).ln()
    };
    // Best predecessor of bin j in a layer whose entry scores are `from`.
    let best_into = |from: &[f32], j: usize| -> (f32, usize) {
        let lo = j.saturating_sub(MAX_STEP);
        let hi = (j + MAX_STEP).min(n - 1);
        let (mut best, mut arg) = (f32::NEG_INFINITY, j);
        for (i, &fr) in from.iter().enumerate().take(hi + 1).skip(lo) {
            let v = fr + log_step[i.abs_diff(j)];
            if v > best {
                best = v;
                arg = i;
            }
        }
        (best, arg)
    };

    for (t, f) in frames.iter().enumerate() {
        let obs_u = fill_obs(f, &mut obs_v);
        if t == 0 {
            let init = -((2 * n) as f32).ln();
            score_u.iter_mut().for_each(|s| *s = init + obs_u);
            for &(b, o) in &obs_v {
                score_v[b] = init + o;
            }
            continue;
        }
        for i in 0..n {
            let (vv, uv) = (score_v[i] + ls_stay, score_u[i] + ls_switch);
            (from_v[i], src_v[i]) = if vv >= uv { (vv, true) } else { (uv, false) };
            let (uu, vu) = (score_u[i] + ls_stay, score_v[i] + ls_switch);
            (from_u[i], src_u[i]) = if vu > uu { (vu, true) } else { (uu, false) };
            from_v[i] += row_norm[i];
            from_u[i] += row_norm[i];
        }
        let bp = &mut back[t * 2 * n..(t + 1) * 2 * n];
        // Unvoiced layer: every bin.
        for j in 0..n {
            let (bu, iu) = best_into(&from_u, j);
            new_u[j] = bu + obs_u;
            bp[n + j] = (if src_u[iu] { iu } else { iu + n }) as u16;
        }
        // Voiced layer: only the candidates' bins can be reached.
        new_v.iter_mut().for_each(|v| *v = f32::NEG_INFINITY);
        for &(j, o) in &obs_v {
            let (bv, iv) = best_into(&from_v, j);
            new_v[j] = bv + o;
            bp[j] = (if src_v[iv] { iv } else { iv + n }) as u16;
        }
        std::mem::swap(&mut score_v, &mut new_v);
        std::mem::swap(&mut score_u, &mut new_u);
    }
    // Best final state, then trace back.
    let mut state = 0usize;
    let mut best = f32::NEG_INFINITY;
    for i in 0..n {
        if score_v[i] > best {
            best = score_v[i];
            state = i;
        }
        if score_u[i] > best {
            best = score_u[i];
            state = i + n;
        }
    }
    let mut path = vec![0usize; t_len];
    for t in (0..t_len).rev() {
        path[t] = state;
        if t > 0 {
            state = back[t * 2 * n + state] as usize;
        }
    }
    frames
        .iter()
        .zip(&path)
        .map(|(f, &s)| {
            if s >= n {
                return None;
            }
            // The candidate in the decoded bin (most probable first).
            f.candidates
                .iter()
                .find(|c| bin_of(c.f0_hz, n) == s)
                .map(|c| c.f0_hz)
        })
        .collect()
}
