//! `ringside eval prosody`: the voice measures on real voices (`tests/fixtures/prosody/`, real
//! read sentences resynthesized with Praat's PSOLA: rises of +3 and +5 semitones and a fall of
//! -5 over the last 400 ms of voicing, and sox tempo 0.8 and 1.25; see its README), through
//! the same path a live call takes (20 ms blocks, the segmenter, the pitch tracker, the
//! prosody of each final segment), on the wide band and after a telephone round trip
//! (300-3400 Hz, 8 kHz mu-law). Five parts:
//! 1. endings: each variant read as rise / fall; natural read statements read as rise;
//! 2. rate: tempo 1.25 and 0.8 against the original clip;
//! 3. the pause before an answer: real one-word answers placed after real sentences with
//!    known gaps (0.2 to 2.0 s), measured between the waveform's edges and, for comparison,
//!    between the VAD's edges;
//! 4. `slow_yes`: a real yes after 1.6 s (and after 0.3 s) in a call whose usual gap is 0.3 s,
//!    through the coach;
//! 5. F0 against Praat's pitch track of the original clips, and the tracker's cost.
//!
//! The last line is `key=value` pairs for scripts.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::eval_real::read_manifest;
use super::Globals;
use crate::app::segments_offline;
use crate::audio::signals::{telephone_band, white_noise};
use crate::audio::wav::read_wav;
use crate::config::Config;
use crate::event::{
    samples_to_secs, secs_to_samples, Act, CueId, Ending, Hesitation, Prosody, Speaker, Utterance,
    SAMPLE_RATE_HZ,
};
use crate::transforms::coach::Coach;
use crate::transforms::prosody::{self, PitchStream};
use crate::transforms::segment::SegmentEvent;
use crate::transforms::turns::Turns;

/// One clip of the prosody set.
#[derive(Debug, Clone, Deserialize)]
struct Row {
    file: PathBuf,
    /// The unmodified real clip, relative to the manifest.
    source: PathBuf,
    text: String,
    variant: String,
}

fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let src = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the prosody set {} (it is in tests/fixtures/prosody/; run from the repository)",
            path.display()
        )
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut r: Row = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a prosody row (want file, source, text, variant)",
                path.display(),
                i + 1
            )
        })?;
        r.file = base.join(&r.file);
        r.source = base.join(&r.source);
        rows.push(r);
    }
    if rows.is_empty() {
        bail!("{}: no clips", path.display());
    }
    Ok(rows)
}

/// The two bands every figure is given for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Band {
    Wide,
    Tel,
}

impl Band {
    fn name(self) -> &'static str {
        match self {
            Band::Wide => "wide",
            Band::Tel => "tel",
        }
    }
    fn apply(self, x: Vec<f32>) -> Vec<f32> {
        match self {
            Band::Wide => x,
            Band::Tel => telephone_band(&x),
        }
    }
}

fn load(path: &Path) -> Result<Vec<f32>> {
    Ok(read_wav(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .mono())
}

/// The prosody of each final segment of a one-speaker recording.
fn finals(cfg: &Config, speaker: Speaker, x: &[f32]) -> Vec<(u64, u64, Prosody)> {
    segments_offline(cfg, speaker, x)
        .into_iter()
        .filter_map(|e| match e {
            SegmentEvent::Final(s) => s.prosody.map(|p| (s.start_sample, s.end_sample, p)),
            _ => None,
        })
        .collect()
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn run(g: &Globals, manifest: &Path, real: &Path) -> Result<()> {
    let cfg = &g.config;
    let rows = read_rows(manifest)?;
    let real_rows = read_manifest(real)?;
    let mut keys: Vec<(String, f64)> = Vec::new();

    // 1. Endings.
    println!("Endings (last final segment of each clip; rise share, fall share):");
    let rules = crate::transforms::rules::CoachRules::load(cfg.coach.rules.as_deref())
        .context("loading coach rules")?;
    // Per set, the measured rise of each clip (semitones, 0 when not a rise), for land_it.
    let mut land: Vec<(String, Vec<f32>)> = Vec::new();
    // Per band and variant, the fitted change over the end window by source clip.
    let mut change: std::collections::HashMap<(&str, String, PathBuf), f32> =
        std::collections::HashMap::new();
    let naturals: Vec<_> = real_rows
        .iter()
        .filter(|r| r.kind == "sentence" && r.text.trim_end().ends_with('.'))
        .collect();
    for band in [Band::Wide, Band::Tel] {
        for variant in ["orig", "rise3", "rise5", "fall5"] {
            let mut ends = Vec::new();
            for r in rows.iter().filter(|r| r.variant == variant) {
                let x = band.apply(load(&r.file)?);
                let p = finals(cfg, Speaker::Me, &x).last().map(|f| f.2.clone());
                if let Some(c) = p.as_ref().and_then(|p| p.end_slope_st_s) {
                    change.insert(
                        (band.name(), variant.to_string(), r.source.clone()),
                        c * crate::transforms::cues::land_it::END_WINDOW_S,
                    );
                }
                ends.push(p);
            }
            land.push((format!("{} {variant}", band.name()), rises(&ends)));
            let ends: Vec<Option<Ending>> =
                ends.iter().map(|e| e.as_ref().map(|p| p.end)).collect();
            let (rise, fall) = tally(&ends);
            println!(
                "  {:<4} {variant:<6} n={:<3} rise {:.3}  fall {:.3}  unknown {:.3}",
                band.name(),
                ends.len(),
                rise,
                fall,
                share(
                    ends.iter()
                        .filter(|e| matches!(e, None | Some(Ending::Unknown)))
                        .count(),
                    ends.len()
                )
            );
            let key = format!("{}_{variant}_", band.name());
            keys.push((key.clone() + "rise", rise));
            keys.push((key + "fall", fall));
        }
        let mut ends = Vec::new();
        for r in &naturals {
            let x = band.apply(load(&r.file)?);
            ends.push(finals(cfg, Speaker::Me, &x).last().map(|f| f.2.clone()));
        }
        land.push((format!("{} natural", band.name()), rises(&ends)));
        let ends: Vec<Option<Ending>> = ends.iter().map(|e| e.as_ref().map(|p| p.end)).collect();
        let (rise, fall) = tally(&ends);
        println!(
            "  {:<4} natural statements (real, ending a sentence) n={} rise {rise:.3}  fall {fall:.3}",
            band.name(),
            ends.len()
        );
        keys.push((format!("{}_natural_rise", band.name()), rise));
    }

    println!("Endings against the same clip's original (the ramp moved the fitted change by at least 1.5 st its way):");
    for band in [Band::Wide, Band::Tel] {
        for (variant, sign) in [("rise3", 1.0f32), ("rise5", 1.0), ("fall5", -1.0)] {
            let (mut n, mut hit) = (0usize, 0usize);
            for ((b, v, src), c) in &change {
                if *b != band.name() || v != variant {
                    continue;
                }
                if let Some(o) = change.get(&(band.name(), "orig".to_string(), src.clone())) {
                    n += 1;
                    hit += usize::from(sign * (c - o) >= 1.5);
                }
            }
            let sh = share(hit, n);
            println!("  {:<4} {variant:<6} {hit} of {n} ({sh:.3})", band.name());
            keys.push((format!("{}_{variant}_vs_orig", band.name()), sh));
        }
    }
    let min_rise = rules.cues.land_it.min_rise_st;
    println!(
        "land_it: share of clips whose ending rose at least X semitones (the cue fires at {min_rise}):"
    );
    println!(
        "  {:<16} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "set", "1.5", "2.5", "3", "4", "5"
    );
    for (name, r) in &land {
        let at = |x: f32| share(r.iter().filter(|v| **v >= x).count(), r.len());
        println!(
            "  {name:<16} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
            at(1.5),
            at(2.5),
            at(3.0),
            at(4.0),
            at(5.0)
        );
        keys.push((format!("land_it_{}", name.replace(' ', "_")), at(min_rise)));
    }

    // 2. Rate.
    println!("Rate (syllables per voiced second, tempo variant / original):");
    for band in [Band::Wide, Band::Tel] {
        for variant in ["tempo1.25", "tempo0.8"] {
            let mut ratios = Vec::new();
            for r in rows.iter().filter(|r| r.variant == variant) {
                let a = rate(cfg, &r.text, &band.apply(load(&r.source)?));
                let b = rate(cfg, &r.text, &band.apply(load(&r.file)?));
                if let (Some(a), Some(b)) = (a, b) {
                    ratios.push(b / a);
                }
            }
            let mut sorted = ratios.clone();
            sorted.sort_by(f64::total_cmp);
            let m = median(ratios);
            println!(
                "  {:<4} {variant:<9} n={:<3} median ratio {m:.3} (min {:.3}, max {:.3})",
                band.name(),
                sorted.len(),
                sorted.first().copied().unwrap_or(f64::NAN),
                sorted.last().copied().unwrap_or(f64::NAN)
            );
            keys.push((format!("{}_{variant}_ratio", band.name()), m));
        }
    }

    // 3 and 4: calls of real sentences and real one-word answers.
    // Clean recordings only: there the trimmed sound is the truth (the telephone-band
    // sentences were cut from longer files with clicks and the next sentence's breath at
    // their edges; some one-word clips have room noise within 30 dB of the word).
    let sentences: Vec<Vec<f32>> = real_rows
        .iter()
        .filter(|r| r.kind == "sentence" && r.band != "tel")
        .map(|r| load(&r.file))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|x| x.len() <= 10 * SAMPLE_RATE_HZ as usize)
        .collect();
    let words: Vec<(String, Vec<f32>)> = real_rows
        .iter()
        .filter(|r| r.kind == "word")
        .map(|r| Ok((r.text.clone(), load(&r.file)?)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, x)| snr_db(x) >= 30.0)
        .collect();
    if sentences.is_empty() || words.is_empty() {
        bail!(
            "{}: needs wide-band sentence clips of at most 10 s and clean word clips",
            real.display()
        );
    }
    println!(
        "Pause before an answer ({} real sentences, {} real one-word answers; error = measured - true):",
        sentences.len(),
        words.len()
    );
    const GAPS: [f64; 7] = [0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0];
    for band in [Band::Wide, Band::Tel] {
        let (mut wave, mut vad) = (Vec::new(), Vec::new());
        for (i, (_, w)) in words.iter().enumerate() {
            let q = &sentences[i % sentences.len()];
            let gap = GAPS[i % GAPS.len()];
            let m = Call::build(&[(q, w, gap)], band).measure(cfg);
            if let Some((p_wave, p_vad)) = m.last_answer_pauses() {
                wave.push((p_wave - gap * 1000.0).abs());
                vad.push((p_vad - gap * 1000.0).abs());
            }
        }
        let n = wave.len();
        let (mw, mv) = (median(wave), median(vad));
        println!(
            "  {:<4} n={n:<3} median |error| {mw:.0} ms from the waveform's edges, {mv:.0} ms from the VAD's edges",
            band.name()
        );
        keys.push((format!("{}_pause_err_ms", band.name()), mw));
        keys.push((format!("{}_pause_err_vad_ms", band.name()), mv));
    }

    println!("slow_yes (a real yes after 3 answers at 0.3 s, in a coached call):");
    let yeses: Vec<&Vec<f32>> = words
        .iter()
        .filter(|(t, _)| t == "yes" || t == "right")
        .map(|(_, w)| w)
        .collect();
    for band in [Band::Wide, Band::Tel] {
        for target in [1.6, 0.3] {
            let (mut flagged, mut yes_acts, mut unheard) = (0usize, 0usize, 0usize);
            for (i, y) in yeses.iter().enumerate() {
                let turn = |k: usize| {
                    (
                        &sentences[(i + k) % sentences.len()],
                        yeses[(i + k + 1) % yeses.len()],
                    )
                };
                let mut turns: Vec<(&Vec<f32>, &Vec<f32>, f64)> = (0..3)
                    .map(|k| {
                        let (q, a) = turn(k);
                        (q, a, 0.3)
                    })
                    .collect();
                turns.push((&sentences[(i + 3) % sentences.len()], y, target));
                let m = Call::build(&turns, band).measure(cfg);
                let mut coach = Coach::new(&rules);
                let Some((act, fired)) = m.coach_last(&mut coach) else {
                    unheard += 1;
                    continue;
                };
                if crate::transforms::cues::slow_yes::is_yes(act) {
                    yes_acts += 1;
                    flagged += usize::from(fired);
                }
            }
            let s = share(flagged, yes_acts);
            println!(
                "  {:<4} yes after {target:.1} s: flagged {flagged} of {yes_acts} ({s:.3}); {unheard} of {} answers not heard",
                band.name(),
                yeses.len()
            );
            keys.push((
                format!("{}_slow_yes_{}", band.name(), (target * 10.0) as u32),
                s,
            ));
        }
    }

    // 5. Against Praat, and the cost.
    println!("F0 against Praat (original clips, frames both call voiced):");
    praat_agreement(manifest, &rows, &mut keys)?;
    let mut all: Vec<f32> = Vec::new();
    for r in real_rows.iter().filter(|r| r.kind == "sentence") {
        all.extend(load(&r.file)?);
    }
    let secs = samples_to_secs(all.len() as u64);
    let t = Instant::now();
    let mut ps = PitchStream::new();
    for (i, b) in all.chunks(320).enumerate() {
        ps.push((i * 320) as u64, b);
    }
    let push_s = t.elapsed().as_secs_f64();
    let segs = segments_offline(cfg, Speaker::Me, &all);
    let t = Instant::now();
    let mut n = 0;
    for e in &segs {
        if let SegmentEvent::Final(s) = e {
            let _ = prosody::measure_segment(&ps, s);
            n += 1;
        }
    }
    let summary_ms = t.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64;
    let core = push_s / secs * 100.0;
    println!(
        "Cost: the tracker {:.2} ms per second of speech ({core:.2}% of one core per channel, {:.2}% for a two-channel call); {summary_ms:.2} ms per utterance for its summary ({n} utterances, {secs:.0} s)",
        push_s / secs * 1000.0,
        2.0 * core
    );
    keys.push(("cpu_pct_two_channels".into(), 2.0 * core));
    keys.push(("summary_ms".into(), summary_ms));
    println!(
        "{}",
        keys.iter()
            .map(|(k, v)| format!("{k}={v:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

/// The measured rise of each clip's ending (semitones over the end window; 0 when the ending
/// is not a rise or no segment was found), as land_it reads it.
fn rises(ends: &[Option<Prosody>]) -> Vec<f32> {
    ends.iter()
        .map(|p| crate::transforms::cues::land_it::end_rise_st(p.as_ref()).unwrap_or(0.0))
        .collect()
}

/// Shares of rise and fall among `ends` (a clip without a final segment counts as neither).
fn tally(ends: &[Option<Ending>]) -> (f64, f64) {
    let n = |e: Ending| ends.iter().filter(|x| **x == Some(e)).count();
    (
        share(n(Ending::Rise), ends.len()),
        share(n(Ending::Fall), ends.len()),
    )
}

/// Syllables of `text` per voiced second over all final segments of `x`.
fn rate(cfg: &Config, text: &str, x: &[f32]) -> Option<f64> {
    let voiced: f32 = finals(cfg, Speaker::Me, x)
        .iter()
        .map(|f| f.2.voiced_s)
        .sum();
    (voiced > 0.3).then(|| f64::from(prosody::syllables(text)) / f64::from(voiced))
}

/// The sound of a clip alone, trimmed: 5 ms frames above the larger of its noise floor (10th
/// percentile) + 12 dB and its speech level (95th percentile) - 30 dB, from the first such
/// frame to the last, with 5 ms fades. Placed on a common noise bed, the trimmed sound starts
/// and ends exactly where it was put: that is the truth the gaps are measured against (the
/// recordings' own room noise would blur it).
fn trimmed(x: &[f32]) -> Vec<f32> {
    const F: usize = 80;
    let db: Vec<f32> = x
        .chunks(F)
        .map(|c| 10.0 * (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32 + 1e-12).log10())
        .collect();
    let mut sorted = db.clone();
    sorted.sort_by(f32::total_cmp);
    let pct = |p: f32| sorted[((sorted.len() - 1) as f32 * p) as usize];
    if sorted.is_empty() {
        return Vec::new();
    }
    let thr = (pct(0.1) + 12.0).max(pct(0.95) - 30.0);
    let first = db.iter().position(|v| *v >= thr).unwrap_or(0);
    let last = db.iter().rposition(|v| *v >= thr).unwrap_or(db.len() - 1);
    let mut y = x[first * F..((last + 1) * F).min(x.len())].to_vec();
    let n = y.len();
    for i in 0..F.min(n) {
        let g = i as f32 / F as f32;
        y[i] *= g;
        y[n - 1 - i] *= g;
    }
    y
}

/// Speech level (95th percentile of 5 ms frames) over the noise floor (10th), dB.
fn snr_db(x: &[f32]) -> f32 {
    let mut db: Vec<f32> = x
        .chunks(80)
        .map(|c| 10.0 * (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32 + 1e-12).log10())
        .collect();
    if db.is_empty() {
        return 0.0;
    }
    db.sort_by(f32::total_cmp);
    let pct = |p: f32| db[((db.len() - 1) as f32 * p) as usize];
    pct(0.95) - pct(0.1)
}

/// The noise bed under both channels of a built call: white noise at -60 dBFS RMS, a quiet
/// room or line.
const NOISE_BED_DBFS: f32 = -60.0;

/// A stereo call: "me" says each sentence, "them" answers each with a word after a gap
/// between the sounds (not between the clips' edges).
struct Call {
    me: Vec<f32>,
    them: Vec<f32>,
}

impl Call {
    /// The clips go through `band` first, so that the trimmed sound (the truth) is the sound
    /// that reaches the listener: the phone drops a final "s" the wide band keeps.
    fn build(turns: &[(&Vec<f32>, &Vec<f32>, f64)], band: Band) -> Call {
        let (mut me, mut them) = (Vec::new(), Vec::new());
        let mut t = SAMPLE_RATE_HZ as usize / 2;
        for (q, a, gap) in turns {
            let (q, a) = (
                trimmed(&band.apply(q.to_vec())),
                trimmed(&band.apply(a.to_vec())),
            );
            place(&mut me, &q, t);
            let a_at = t + q.len() + secs_to_samples(*gap) as usize;
            place(&mut them, &a, a_at);
            // The next sentence 0.7 s after the answer ends.
            t = a_at + a.len() + (SAMPLE_RATE_HZ as usize * 7 / 10);
        }
        let n = me.len().max(them.len()) + SAMPLE_RATE_HZ as usize;
        me.resize(n, 0.0);
        them.resize(n, 0.0);
        for (k, ch) in [&mut me, &mut them].into_iter().enumerate() {
            let bed = band.apply(white_noise(n, NOISE_BED_DBFS, 7 + k as u32));
            for (v, w) in ch.iter_mut().zip(bed) {
                *v += w;
            }
        }
        Call { me, them }
    }

    fn measure(&self, cfg: &Config) -> Measured {
        let me = finals(cfg, Speaker::Me, &self.me);
        let them = finals(cfg, Speaker::Them, &self.them);
        let mut utts: Vec<Utterance> = me
            .into_iter()
            .map(|f| (Speaker::Me, f))
            .chain(them.into_iter().map(|f| (Speaker::Them, f)))
            .map(|(speaker, (start, end, p))| Utterance {
                id: 0,
                speaker,
                start_sample: start,
                end_sample: end,
                text: String::new(),
                latency_ms: None,
                hesitation: Some(Hesitation::default()),
                prosody: Some(p),
            })
            .collect();
        utts.sort_by_key(|u| u.start_sample);
        Measured { utts }
    }
}

fn place(track: &mut Vec<f32>, clip: &[f32], at: usize) {
    if track.len() < at + clip.len() {
        track.resize(at + clip.len(), 0.0);
    }
    for (d, s) in track[at..].iter_mut().zip(clip) {
        *d += s;
    }
}

struct Measured {
    utts: Vec<Utterance>,
}

impl Measured {
    /// The pause before the last answer of "them" (ms), measured between the waveform's edges
    /// (as Ringside does) and between the VAD's edges.
    fn last_answer_pauses(&self) -> Option<(f64, f64)> {
        let pause = |utts: Vec<Utterance>| {
            let mut t = Turns::new();
            let mut last = None;
            for mut u in utts {
                t.utterance(&mut u);
                if u.speaker == Speaker::Them {
                    last = u.hesitation.and_then(|h| h.pause_before_ms);
                }
            }
            last.map(f64::from)
        };
        let wave = pause(self.utts.clone())?;
        let vad = pause(
            self.utts
                .iter()
                .cloned()
                .map(|mut u| {
                    u.prosody = None;
                    u
                })
                .collect(),
        )?;
        Some((wave, vad))
    }

    /// Runs the call through the coach ("me" asks a yes/no question each time, "them" says
    /// yes): the act of the last answer and whether `slow_yes` fired on it; `None` when the
    /// last answer was not heard (no utterance of "them" after the last question).
    fn coach_last(&self, coach: &mut Coach) -> Option<(Act, bool)> {
        let mut t = Turns::new();
        let mut last = None;
        for u in &self.utts {
            let mut u = u.clone();
            u.text = match u.speaker {
                Speaker::Me => "Does that work for you?".into(),
                Speaker::Them => "Yes.".into(),
            };
            t.utterance(&mut u);
            let mut cues = Vec::new();
            let cu = coach.process(u, &mut cues);
            last = (cu.utterance.speaker == Speaker::Them)
                .then(|| (cu.act, cues.iter().any(|c| c.id == CueId::SlowYes)));
        }
        last
    }
}

/// Praat's pitch track of an original clip.
#[derive(Debug, Deserialize)]
struct PraatTrack {
    step_s: f64,
    t0_s: f64,
    f0_hz: Vec<f64>,
}

fn praat_agreement(manifest: &Path, rows: &[Row], keys: &mut Vec<(String, f64)>) -> Result<()> {
    let dir = manifest.parent().unwrap_or(Path::new(".")).join("praat_f0");
    let mut sources: Vec<&PathBuf> = rows.iter().map(|r| &r.source).collect();
    sources.sort();
    sources.dedup();
    let (mut both, mut gross, mut agree, mut total) = (0usize, 0usize, 0usize, 0usize);
    for src in sources {
        let Some(stem) = src.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{stem}.json"))) else {
            continue;
        };
        let praat: PraatTrack =
            serde_json::from_str(&text).with_context(|| format!("praat_f0/{stem}.json"))?;
        let x = load(src)?;
        let frames = prosody::track(&x, 0);
        let ours = prosody::decode(&frames);
        for (f, o) in frames.iter().zip(&ours) {
            let t = samples_to_secs(f.centre_sample);
            let i = ((t - praat.t0_s) / praat.step_s).round();
            if i < 0.0 || i as usize >= praat.f0_hz.len() {
                continue;
            }
            let p = praat.f0_hz[i as usize];
            total += 1;
            agree += usize::from((p > 0.0) == o.is_some());
            if let (true, Some(o)) = (p > 0.0, o) {
                both += 1;
                gross += usize::from((f64::from(*o) / p - 1.0).abs() > 0.2);
            }
        }
    }
    let gpe = share(gross, both);
    let vda = share(agree, total);
    println!(
        "  gross pitch error (>20% off) {gpe:.3} of {both} frames; voicing agreement {vda:.3} of {total} frames"
    );
    keys.push(("praat_gpe".into(), gpe));
    keys.push(("praat_voicing_agree".into(), vda));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(name: &str) -> Vec<f32> {
        load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/real/clips")
                .join(name),
        )
        .unwrap()
    }

    /// A real yes placed 0.8 s (then 1.6 s) after a real sentence: the pause Ringside
    /// measures between the sounds is within 50 ms of the gap, on the wide band and on the
    /// phone; the sentence carries a voiced prosody record.
    #[test]
    fn the_pause_before_a_real_answer_is_measured_between_the_sounds() {
        let cfg = Config::default();
        let q = real("sent_ljspeech_02.wav");
        let a = real("word_yes_gsc_07.wav");
        for band in [Band::Wide, Band::Tel] {
            for gap in [0.8, 1.6] {
                let m = Call::build(&[(&q, &a, gap)], band).measure(&cfg);
                let (wave, _) = m.last_answer_pauses().unwrap();
                assert!(
                    (wave - gap * 1000.0).abs() <= 50.0,
                    "{} gap {gap}: measured {wave} ms",
                    band.name()
                );
                let me = m.utts.iter().find(|u| u.speaker == Speaker::Me).unwrap();
                let p = me.prosody.as_ref().unwrap();
                // LJ Speech: one female reader.
                let f0 = p.f0_median_hz.unwrap();
                assert!((140.0..320.0).contains(&f0), "{f0}");
                assert!(p.voiced_s > 0.5, "{p:?}");
            }
        }
    }

    #[test]
    fn the_trimmed_sound_starts_and_ends_on_the_word() {
        let a = real("word_yes_gsc_07.wav");
        let t = trimmed(&a);
        assert!(
            !t.is_empty() && t.len() < a.len(),
            "{} of {}",
            t.len(),
            a.len()
        );
        // A one-word answer lasts a few hundred milliseconds.
        let secs = t.len() as f64 / f64::from(SAMPLE_RATE_HZ);
        assert!((0.15..0.9).contains(&secs), "{secs}");
    }
}
