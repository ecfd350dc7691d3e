//! Prosody: pitch, ending direction, speaking rate and level of one utterance, and precise
//! speech onset/offset from the waveform. Pure functions and plain structs; no I/O, no threads.
//!
//! Pitch is tracked pYIN-style (Mauch & Dixon 2014, "pYIN: a fundamental frequency estimator
//! using probabilistic threshold distributions"):
//!
//! 1. `PitchStream::push` runs per 10 ms frame as audio arrives: the 16 kHz signal is
//!    decimated to 8 kHz (a windowed-sinc low-pass, see `DECIM_CUTOFF_HZ`) because pitch
//!    needs no energy above 4 kHz and the YIN difference function costs window × lag, so half
//!    the rate is a quarter of the work. YIN's cumulative-mean-normalised difference is
//!    computed for lags 60–500 Hz; every trough becomes a candidate period (parabolic
//!    interpolation), weighted by the share of a Beta-distributed YIN threshold under which
//!    it would be YIN's answer. Frames far below speech level skip all of that.
//! 2. `decode` runs once per utterance (non-causal): a Viterbi pass over a pitch grid with
//!    a voiced and an unvoiced layer. Pitch may only move a few semitones per frame, so a
//!    one-frame octave error costs more than staying on the true track.
//! 3. `summarize` turns the decoded track into a `Prosody` record.

use crate::event::{samples_to_secs, SpeechSegment};
pub use crate::event::{Ending, Prosody, PROSODY_VERSION};

/// The audio rate everything here expects.
const SAMPLE_RATE: u32 = 16_000;
/// Frame hop: 10 ms.
const HOP: u64 = 160;

mod edges;
mod pitch;
mod summary;
mod syllables;

#[allow(unused_imports)]
use edges::*;
pub use edges::{offset, onset};
#[allow(unused_imports)]
use pitch::*;
pub use pitch::{decode, track, Candidate, PitchFrame, PitchStream, F0_MAX_HZ, F0_MIN_HZ};
#[allow(unused_imports)]
use summary::*;
pub use summary::{end_direction, summarize, TrackPoint};
pub use syllables::syllables;
#[allow(unused_imports)]
use syllables::*;

/// The prosody of a closed segment from the pitch frames its channel computed while the audio
/// arrived (so only the summary is left: the Viterbi pass, the ending, the level), with the
/// waveform's onset and offset. The rate waits for the text ([`with_rate`]).
pub fn measure_segment(pitch: &PitchStream, seg: &SpeechSegment) -> Prosody {
    let audio_end = seg.audio_start_sample + seg.samples.len() as u64;
    let frames = pitch.frames(seg.audio_start_sample, audio_end);
    let mut p = summarize(
        &frames,
        &seg.samples,
        seg.audio_start_sample,
        seg.start_sample,
        seg.end_sample,
        "",
    );
    let on = onset(&seg.samples, seg.audio_start_sample, seg.start_sample);
    let off = offset(&seg.samples, seg.audio_start_sample, seg.end_sample).max(on);
    let ms = |s: u64| (samples_to_secs(s) * 1000.0).round() / 1000.0;
    p.voice_start = Some(ms(on));
    p.voice_end = Some(ms(off));
    tidy(p)
}

/// Rounds the record's measures to what they can tell (0.1 Hz, 0.01 st, 0.1 dB, 10 ms), so
/// the logs are read by people, not only by programs.
fn tidy(mut p: Prosody) -> Prosody {
    // Dividing by the power of ten (not multiplying by its inverse) lands on the float
    // nearest to the rounded decimal, so it prints as that decimal.
    let r = |x: f32, per: f32| (x * per).round() / per;
    p.f0_median_hz = p.f0_median_hz.map(|x| r(x, 10.0));
    p.f0_range_st = p.f0_range_st.map(|x| r(x, 100.0));
    p.end_slope_st_s = p.end_slope_st_s.map(|x| r(x, 100.0));
    p.rate_syl_s = p.rate_syl_s.map(|x| r(x, 100.0));
    p.level_dbfs = r(p.level_dbfs, 10.0);
    p.voiced_s = r(p.voiced_s, 100.0);
    p
}

/// The record with its rate: syllables of the decoded `text` per voiced second, where the
/// summary found the voicing reliable enough for one.
pub fn with_rate(mut p: Prosody, text: &str) -> Prosody {
    if p.rate_syl_s.is_some() && p.voiced_s > 0.0 {
        p.rate_syl_s = Some(syllables(text) as f32 / p.voiced_s);
    }
    tidy(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    const SR: f32 = 16_000.0;

    /// Deterministic Gaussian noise (xorshift + Box–Muller).
    struct Noise(u64);
    impl Noise {
        fn uniform(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 40) as f32 + 0.5) / (1u64 << 24) as f32
        }
        fn gauss(&mut self) -> f32 {
            let (a, b) = (self.uniform(), self.uniform());
            (-2.0 * a.ln()).sqrt() * (2.0 * PI * b).cos()
        }
    }

    /// Harmonic complex with F0 given per sample by `f0(t)`, harmonics `h_lo..=h_hi` with
    /// amplitudes `1/h` times `gain(h)`, peak-normalised to `amp`.
    fn harmonic(
        secs: f32,
        f0: impl Fn(f32) -> f32,
        h_lo: usize,
        h_hi: usize,
        gain: impl Fn(usize) -> f32,
        amp: f32,
    ) -> Vec<f32> {
        let n = (secs * SR) as usize;
        let mut phase = 0.0f32;
        let mut x: Vec<f32> = (0..n)
            .map(|i| {
                let f = f0(i as f32 / SR);
                phase = (phase + 2.0 * PI * f / SR) % (2.0 * PI * 1000.0);
                (h_lo..=h_hi)
                    .filter(|&h| f * h as f32 * 2.0 < SR)
                    .map(|h| gain(h) * (phase * h as f32).sin() / h as f32)
                    .sum()
            })
            .collect();
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        x.iter_mut().for_each(|v| *v *= amp / peak);
        x
    }

    fn voice(secs: f32, f0: impl Fn(f32) -> f32) -> Vec<f32> {
        harmonic(secs, f0, 1, 30, |_| 1.0, 0.3)
    }

    fn noise(secs: f32, amp: f32, seed: u64) -> Vec<f32> {
        let mut g = Noise(seed);
        (0..(secs * SR) as usize).map(|_| amp * g.gauss()).collect()
    }

    /// Whisper-like: noise through three formant resonators, in syllable-sized bursts.
    fn whisper(secs: f32) -> Vec<f32> {
        let mut x = noise(secs, 0.1, 7);
        let mut out = vec![0.0f32; x.len()];
        for (fc, bw) in [(600.0f32, 120.0f32), (1500.0, 150.0), (2500.0, 200.0)] {
            let r = (-PI * bw / SR).exp();
            let (a1, a2) = (2.0 * r * (2.0 * PI * fc / SR).cos(), -r * r);
            let (mut y1, mut y2) = (0.0f32, 0.0f32);
            for (i, &v) in x.iter().enumerate() {
                let y = v + a1 * y1 + a2 * y2;
                out[i] += y;
                (y2, y1) = (y1, y);
            }
        }
        for (i, v) in out.iter_mut().enumerate() {
            let t = i as f32 / SR;
            *v *= 0.5 + 0.5 * (2.0 * PI * 4.0 * t).sin().max(0.0);
        }
        let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        x.clear();
        out.iter().map(|v| v * 0.3 / peak).collect()
    }

    fn decoded_in(x: &[f32], from_s: f32, to_s: f32) -> Vec<Option<f32>> {
        let frames = track(x, 0);
        let f0 = decode(&frames);
        frames
            .iter()
            .zip(f0)
            .filter(|(f, _)| {
                let t = f.centre_sample as f32 / SR;
                t >= from_s && t < to_s
            })
            .map(|(_, v)| v)
            .collect()
    }

    fn summary(x: &[f32], text: &str) -> Prosody {
        summarize(&track(x, 0), x, 0, 0, x.len() as u64, text)
    }

    fn assert_near(got: f32, want: f32, rel: f32) {
        assert!(
            (got - want).abs() <= rel * want.abs(),
            "got {got}, want {want} ± {rel}"
        );
    }

    #[test]
    fn beta_prior_is_a_distribution() {
        assert!(beta2_cdf(0.0).abs() < 1e-6);
        assert!((beta2_cdf(1.0) - 1.0).abs() < 1e-6);
        // Mean 0.2: about 59 % of the mass below it (Beta(2, 8) is right-skewed).
        assert!((0.5..0.7).contains(&beta2_cdf(0.2)));
        let mut prev = 0.0;
        for i in 1..=100 {
            let c = beta2_cdf(i as f32 / 100.0);
            assert!(c >= prev);
            prev = c;
        }
    }

    #[test]
    fn pure_tone_is_tracked_within_one_percent() {
        let x: Vec<f32> = (0..16_000)
            .map(|i| 0.3 * (2.0 * PI * 220.0 * i as f32 / SR).sin())
            .collect();
        let f0 = decoded_in(&x, 0.1, 0.9);
        assert!(f0.len() >= 79);
        for v in &f0 {
            let v = v.expect("a steady tone is voiced");
            assert_near(v, 220.0, 0.01);
        }
    }

    #[test]
    fn low_and_high_voices_are_tracked() {
        for f in [65.0f32, 85.0, 180.0, 300.0, 450.0] {
            let x = voice(1.0, |_| f);
            let f0 = decoded_in(&x, 0.1, 0.9);
            let voiced: Vec<f32> = f0.iter().flatten().copied().collect();
            assert!(
                voiced.len() * 10 >= f0.len() * 9,
                "{f} Hz: {} of {} voiced",
                voiced.len(),
                f0.len()
            );
            for v in voiced {
                assert_near(v, f, 0.02);
            }
        }
    }

    #[test]
    fn missing_fundamental_gives_the_fundamental_not_a_harmonic() {
        // Telephone-like: harmonics 3..12 of 100 Hz only (nothing below 300 Hz).
        let x = harmonic(1.0, |_| 100.0, 3, 12, |_| 1.0, 0.3);
        let f0 = decoded_in(&x, 0.1, 0.9);
        let voiced: Vec<f32> = f0.iter().flatten().copied().collect();
        assert!(voiced.len() * 10 >= f0.len() * 9);
        for v in voiced {
            assert_near(v, 100.0, 0.02);
        }
    }

    #[test]
    fn strong_second_harmonic_does_not_cause_an_octave_error() {
        let x = harmonic(
            1.0,
            |_| 120.0,
            1,
            20,
            |h| if h == 2 { 6.0 } else { 1.0 },
            0.3,
        );
        let f0 = decoded_in(&x, 0.1, 0.9);
        for v in f0.iter().flatten() {
            assert_near(*v, 120.0, 0.02);
        }
    }

    #[test]
    fn a_one_frame_octave_candidate_is_overruled_by_continuity() {
        // 30 frames at 200 Hz; frame 15 prefers 400 Hz (0.6) over 200 Hz (0.3).
        let frames: Vec<PitchFrame> = (0..30u64)
            .map(|i| PitchFrame {
                centre_sample: i * HOP,
                level_db: -20.0,
                candidates: if i == 15 {
                    vec![
                        Candidate {
                            f0_hz: 400.0,
                            prob: 0.6,
                        },
                        Candidate {
                            f0_hz: 200.0,
                            prob: 0.3,
                        },
                    ]
                } else {
                    vec![Candidate {
                        f0_hz: 200.0 * (1.0 + 0.001 * i as f32),
                        prob: 0.9,
                    }]
                },
            })
            .collect();
        let f0 = decode(&frames);
        assert_eq!(f0.len(), 30);
        assert_eq!(f0[15], Some(200.0));
        assert!(f0
            .iter()
            .all(|v| v.is_some_and(|f| (f - 200.0).abs() < 10.0)));
        assert!(decode(&[]).is_empty());
    }

    #[test]
    fn a_two_frame_octave_excursion_cannot_be_followed() {
        // Frames 15 and 16 strongly prefer 400 Hz; an octave is more than one frame's step,
        // so the track stays at 200 Hz rather than jumping there and back.
        let frames: Vec<PitchFrame> = (0..30u64)
            .map(|i| PitchFrame {
                centre_sample: i * HOP,
                level_db: -20.0,
                candidates: if i == 15 || i == 16 {
                    vec![
                        Candidate {
                            f0_hz: 400.0,
                            prob: 0.8,
                        },
                        Candidate {
                            f0_hz: 200.0,
                            prob: 0.15,
                        },
                    ]
                } else {
                    vec![Candidate {
                        f0_hz: 200.0,
                        prob: 0.9,
                    }]
                },
            })
            .collect();
        let f0 = decode(&frames);
        assert_eq!((f0[15], f0[16]), (Some(200.0), Some(200.0)));
    }

    #[test]
    fn weak_periodicity_after_a_vowel_is_not_voiced() {
        // A vowel (0.9) then 150 ms of frames with a 2 % candidate, as in a breathy tail: pYIN's
        // unvoiced weight (1 / bins) would keep them voiced, `UNVOICED_WEIGHT` does not.
        let frames: Vec<PitchFrame> = (0..30u64)
            .map(|i| PitchFrame {
                centre_sample: i * HOP,
                level_db: -20.0,
                candidates: vec![Candidate {
                    f0_hz: 200.0,
                    prob: if i < 15 { 0.9 } else { 0.02 },
                }],
            })
            .collect();
        let f0 = decode(&frames);
        assert!(f0[..14].iter().all(Option::is_some));
        assert!(f0[17..].iter().all(Option::is_none), "{f0:?}");
    }

    #[test]
    fn a_fricative_between_vowels_is_unvoiced() {
        // Vowel, /s/-like noise as loud as the vowel, vowel.
        let v = voice(0.4, |_| 160.0);
        let rms = (v.iter().map(|s| s * s).sum::<f32>() / v.len() as f32).sqrt();
        let mut x = v.clone();
        x.extend(noise(0.4, rms, 17));
        x.extend(&v);
        let f0 = decoded_in(&x, 0.45, 0.75);
        let unvoiced = f0.iter().filter(|v| v.is_none()).count();
        assert!(
            unvoiced * 10 >= f0.len() * 9,
            "{unvoiced} of {} unvoiced",
            f0.len()
        );
        assert!(decoded_in(&x, 0.05, 0.35).iter().all(Option::is_some));
    }

    #[test]
    fn quiet_frames_skip_the_analysis_and_are_unvoiced() {
        // A tone at -70 dBFS RMS: far below speech.
        let a = 10f32.powf(-70.0 / 20.0) * 2f32.sqrt();
        let x: Vec<f32> = (0..16_000)
            .map(|i| a * (2.0 * PI * 200.0 * i as f32 / SR).sin())
            .collect();
        let frames = track(&x, 0);
        assert!(!frames.is_empty());
        assert!(frames
            .iter()
            .all(|f| f.candidates.is_empty() && f.level_db < -60.0));
        assert!(decode(&frames).iter().all(Option::is_none));
    }

    #[test]
    fn periodic_frames_are_probable_and_noise_frames_are_not() {
        let v = track(&voice(0.5, |_| 150.0), 0);
        let n = track(&noise(0.5, 0.1, 3), 0);
        let mean =
            |f: &[PitchFrame]| f.iter().map(PitchFrame::voiced_prob).sum::<f32>() / f.len() as f32;
        assert!(mean(&v) > 0.9, "voice {}", mean(&v));
        assert!(mean(&n) < 0.2, "noise {}", mean(&n));
        assert!(v.iter().chain(&n).all(|f| f.voiced_prob() <= 1.0 + 1e-4));
    }

    #[test]
    fn streaming_in_odd_blocks_equals_the_batch() {
        let x = voice(1.2, |t| 120.0 + 60.0 * t);
        let batch = track(&x, 48_000);
        let mut s = PitchStream::new();
        let mut pos = 0usize;
        for (i, size) in [1usize, 7, 160, 333, 1000, 2, 4096]
            .iter()
            .cycle()
            .enumerate()
        {
            if pos >= x.len() {
                break;
            }
            let end = (pos + size + i % 3).min(x.len());
            s.push(48_000 + pos as u64, &x[pos..end]);
            pos = end;
        }
        let streamed = s.frames(0, u64::MAX);
        assert_eq!(streamed, batch);
        assert!(batch.len() > 110);
        assert!(batch.iter().all(|f| f.centre_sample % HOP == 0));
        // Internal buffers stay bounded.
        assert!(s.raw.len() < 8_000 && s.dec.len() < 4_000);
    }

    #[test]
    fn a_gap_in_the_stream_resets_and_no_frame_spans_it() {
        let x = voice(1.0, |_| 200.0);
        let mut s = PitchStream::new();
        s.push(0, &x[..8_000]);
        s.push(20_000, &x[8_000..]);
        let frames = s.frames(0, u64::MAX);
        // Frames end before the gap (window reaches ~20 ms past the centre) and restart after.
        assert!(frames
            .iter()
            .all(|f| f.centre_sample + 300 <= 8_000 || f.centre_sample >= 20_300));
        assert!(frames.iter().any(|f| f.centre_sample >= 20_300));
        let f0 = decode(&frames);
        assert!(f0.iter().flatten().all(|v| (v - 200.0).abs() < 4.0));
        // A stream that goes back drops frames from there on.
        s.push(10_000, &x[..4_000]);
        assert!(s
            .frames(0, u64::MAX)
            .iter()
            .all(|f| f.centre_sample < 10_000 || f.centre_sample < 14_000));
    }

    #[test]
    fn frames_by_range_and_forget_before() {
        let x = voice(1.0, |_| 150.0);
        let mut s = PitchStream::new();
        s.push(0, &x);
        let mid = s.frames(3_200, 4_800);
        assert_eq!(mid.len(), 10);
        assert_eq!(mid[0].centre_sample, 3_200);
        assert!(s.frames(4_800, 3_200).is_empty());
        s.forget_before(8_000);
        let rest = s.frames(0, u64::MAX);
        assert!(!rest.is_empty() && rest.iter().all(|f| f.centre_sample >= 8_000));
    }

    /// 1 s of level voice, then 0.5 s of a glide at `st_per_s` semitones per second.
    fn ending_of(st_per_s: f32) -> Prosody {
        let x = voice(1.5, |t| {
            180.0 * 2f32.powf((t - 1.0).max(0.0) * st_per_s / 12.0)
        });
        summary(&x, "one two three four five six")
    }

    #[test]
    fn rising_falling_and_level_endings() {
        let rise = ending_of(12.0);
        assert_eq!(rise.end, Ending::Rise);
        assert_near(rise.end_slope_st_s.unwrap_or(0.0), 12.0, 0.15);
        let fall = ending_of(-12.0);
        assert_eq!(fall.end, Ending::Fall);
        assert_near(fall.end_slope_st_s.unwrap_or(0.0), -12.0, 0.15);
        let level = ending_of(0.0);
        assert_eq!(level.end, Ending::Level);
        assert!(level.end_slope_st_s.unwrap_or(9.0).abs() < 1.0);
        // Just under and over the threshold: 3.75 st/s is 1.5 st over 400 ms.
        assert_eq!(ending_of(2.5).end, Ending::Level);
        assert_eq!(ending_of(6.0).end, Ending::Rise);
        assert_eq!(ending_of(-6.0).end, Ending::Fall);
    }

    #[test]
    fn summary_of_a_voice() {
        let x = voice(1.0, |t| 150.0 * 2f32.powf(t * 4.0 / 12.0)); // 150 -> ~189 Hz
        let p = summary(&x, "hello world");
        assert_eq!(p.version, PROSODY_VERSION);
        let med = p.f0_median_hz.expect("voiced");
        assert_near(med, 150.0 * 2f32.powf(2.0 / 12.0), 0.03);
        // 5-95 % of a 4 st glide: about 3.6 st.
        assert_near(p.f0_range_st.unwrap_or(0.0), 3.6, 0.15);
        assert!(p.voiced_s > 0.9 && p.voiced_s <= 1.0);
        assert_near(p.rate_syl_s.unwrap_or(0.0), 3.0 / p.voiced_s, 1e-4);
        // Peak 0.3, harmonic-rich: RMS between -25 and -12 dBFS.
        assert!(p.level_dbfs > -25.0 && p.level_dbfs < -12.0);
        assert_eq!(p.contour_hz.len(), 50);
        let mid = p.contour_hz[25].expect("voiced mid-point");
        assert!((i32::from(mid) - (150.0 * 2f32.powf(2.0 / 12.0)) as i32).abs() <= 3);
    }

    #[test]
    fn level_is_the_rms_of_the_speech_part_only() {
        let mut x = vec![0.0f32; 8_000];
        x.extend((0..16_000).map(|i| 0.1 * (2.0 * PI * 200.0 * i as f32 / SR).sin()));
        x.extend(vec![0.5f32; 8_000]); // loud rubbish after the speech end
        let frames = track(&x, 1_000);
        let p = summarize(&frames, &x, 1_000, 9_000, 25_000, "yes");
        // 0.1 sine: RMS 0.0707 = -23.0 dBFS.
        assert!((p.level_dbfs + 23.0).abs() < 0.1, "{}", p.level_dbfs);
        assert_eq!(p.contour_hz.len(), 50);
    }

    #[test]
    fn noise_whisper_and_silence_give_no_pitch() {
        for (name, x) in [
            ("noise", noise(1.5, 0.05, 11)),
            ("whisper", whisper(1.5)),
            ("silence", vec![0.0f32; 24_000]),
        ] {
            let p = summary(&x, "this is not voiced");
            assert_eq!(p.end, Ending::Unknown, "{name}");
            assert_eq!(p.f0_median_hz, None, "{name}");
            assert_eq!(p.f0_range_st, None, "{name}");
            assert_eq!(p.rate_syl_s, None, "{name}");
            assert!(p.voiced_s < 0.1, "{name}: {}", p.voiced_s);
        }
        let p = summary(&vec![0.0f32; 24_000], "");
        assert_eq!(p.level_dbfs, -120.0);
        assert!(p.contour_hz.iter().all(Option::is_none));
    }

    #[test]
    fn too_little_or_jittery_voicing_at_the_end_is_unknown() {
        let pt = |i: usize, f: Option<f32>| TrackPoint {
            time_s: i as f32 * 0.01,
            f0_hz: f,
            voiced_prob: 0.9,
        };
        // 100 ms of voicing only.
        let short: Vec<TrackPoint> = (0..50).map(|i| pt(i, (i >= 40).then_some(200.0))).collect();
        assert_eq!(end_direction(&short).0, Ending::Unknown);
        // 400 ms of voicing jumping 3 st every other frame.
        let jitter: Vec<TrackPoint> = (0..40)
            .map(|i| pt(i, Some(if i % 2 == 0 { 200.0 } else { 238.0 })))
            .collect();
        assert_eq!(end_direction(&jitter).0, Ending::Unknown);
        // Steady but improbable voicing.
        let weak: Vec<TrackPoint> = (0..40)
            .map(|i| TrackPoint {
                voiced_prob: 0.1,
                ..pt(i, Some(200.0))
            })
            .collect();
        assert_eq!(end_direction(&weak).0, Ending::Unknown);
        // The same steady track with good voicing is level; a single octave blip is ignored.
        let mut steady: Vec<TrackPoint> = (0..40).map(|i| pt(i, Some(200.0))).collect();
        assert_eq!(end_direction(&steady).0, Ending::Level);
        steady[39].f0_hz = Some(400.0);
        assert_eq!(end_direction(&steady).0, Ending::Level);
        assert_eq!(end_direction(&[]).0, Ending::Unknown);
    }

    #[test]
    fn rate_follows_tempo() {
        // Syllables: 160 ms voiced + 80 ms fricative noise, at tempo 1 and 1.25.
        let make = |tempo: f32| {
            let mut x = Vec::new();
            let mut g = Noise(5);
            for k in 0..10 {
                let v = voice(0.16 / tempo, |t| 140.0 + 10.0 * (k % 3) as f32 + 20.0 * t);
                x.extend(v);
                x.extend((0..(0.08 / tempo * SR) as usize).map(|_| 0.02 * g.gauss()));
            }
            x
        };
        let slow = summary(
            &make(1.0),
            "one two three four five six seven eight nine ten",
        );
        let fast = summary(
            &make(1.25),
            "one two three four five six seven eight nine ten",
        );
        let ratio = fast.rate_syl_s.unwrap_or(0.0) / slow.rate_syl_s.unwrap_or(1.0);
        assert!((ratio - 1.25).abs() < 0.05, "ratio {ratio}");
        assert_near(slow.voiced_s, 1.6, 0.1);
    }

    #[test]
    fn record_serialises_plainly() {
        let p = Prosody {
            version: PROSODY_VERSION,
            f0_median_hz: None,
            f0_range_st: None,
            end: Ending::Unknown,
            end_slope_st_s: None,
            rate_syl_s: Some(4.5),
            level_dbfs: -30.0,
            voiced_s: 0.0,
            voice_start: None,
            voice_end: None,
            contour_hz: Vec::new(),
        };
        let j = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(
            j,
            r#"{"version":1,"end":"unknown","rate_syl_s":4.5,"level_dbfs":-30.0,"voiced_s":0.0}"#
        );
        let back: Prosody = serde_json::from_str(&j).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, p);
        let q = Prosody {
            end: Ending::Rise,
            contour_hz: vec![Some(200), None],
            ..p
        };
        let j = serde_json::to_string(&q).unwrap_or_default();
        assert!(j.contains(r#""end":"rise""#) && j.contains(r#""contour_hz":[200,null]"#));
    }

    #[test]
    fn syllable_estimates() {
        for (text, want) in [
            ("yes", 1),
            ("no", 1),
            ("table", 2),
            ("make", 1),
            ("the", 1),
            ("jumped", 1),
            ("wanted", 2),
            ("boxes", 2),
            ("makes", 1),
            ("hundred", 2),
            ("handled", 2),
            ("going", 2),
            ("trying", 2),
            ("didn't", 2),
            ("don't", 1),
            ("there's", 1),
            ("actually", 4),
            ("something", 2),
            ("lately", 2),
            ("interesting", 3),
            ("1961", 5),
            ("2024", 5),
            ("42", 3),
            ("7", 2),
            ("1,500", 4),     // read as "fifteen hundred"
            ("0800 555", 13), // zero eight zero zero, five hundred fifty-five
            (
                "Printing, in the only sense with which we are at present concerned",
                16,
            ),
            ("The birch canoe slid on the smooth planks.", 9),
            ("", 0),
            ("  ...  ", 0),
        ] {
            assert_eq!(syllables(text), want, "{text:?}");
        }
    }

    /// A word (fricative lead-in, voiced body) at a known place in silence or noise.
    fn word_in(noise_amp: f32, start: usize, len: usize) -> Vec<f32> {
        let mut x = noise(2.0, noise_amp, 21);
        let body = voice(len as f32 / SR, |_| 140.0);
        let mut g = Noise(9);
        for i in 0..len {
            x[start + i] += if i < 800 { 0.05 * g.gauss() } else { body[i] };
        }
        x
    }

    #[test]
    fn onset_and_offset_find_a_word_in_silence_and_noise() {
        let (start, len) = (12_000usize, 8_000usize);
        for noise_amp in [0.0f32, 0.002, 0.01] {
            let x = word_in(noise_amp, start, len);
            let base = 160_000u64;
            let (s, e) = (base + start as u64, base + (start + len) as u64);
            for vad_shift in [-2_400i64, -1_200, 0, 1_200, 2_400] {
                let on = onset(&x, base, (s as i64 + vad_shift) as u64);
                let off = offset(&x, base, (e as i64 + vad_shift) as u64);
                assert!(
                    on.abs_diff(s) <= 240,
                    "noise {noise_amp} shift {vad_shift}: onset {} ms off",
                    (on as i64 - s as i64) / 16
                );
                assert!(
                    off.abs_diff(e) <= 240,
                    "noise {noise_amp} shift {vad_shift}: offset {} ms off",
                    (off as i64 - e as i64) / 16
                );
            }
        }
    }

    #[test]
    fn onset_and_offset_keep_the_vad_edge_when_inconclusive() {
        // Noise only: nothing stands out.
        let x = noise(2.0, 0.05, 4);
        assert_eq!(onset(&x, 0, 16_000), 16_000);
        assert_eq!(offset(&x, 0, 16_000), 16_000);
        // Speech already under way where the onset search starts (and still going at the end of
        // the offset search).
        let x = voice(2.0, |_| 150.0);
        assert_eq!(onset(&x, 0, 16_000), 16_000);
        assert_eq!(offset(&x, 0, 16_000), 16_000);
        // Too short to judge.
        assert_eq!(onset(&[0.1; 100], 0, 50), 50);
    }
}
