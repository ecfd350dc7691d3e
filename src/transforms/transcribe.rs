//! Transcribe: speech segments -> text with whisper.cpp (whisper-rs). Runs on the transcriber
//! thread (never on a tokio worker: a decode is long CPU work). One `WhisperState` is created
//! at start and reused for every utterance.
//!
//! The live settings follow what works for short utterances on a CPU: greedy decoding, one
//! segment, no cross-utterance context, no timestamps, and the encoder's audio context sized
//! to the utterance (the main speed lever; too small a context drops words, hence the margin).
//! Guards against Whisper's known failure on silence and noise ("Thank you.", "you you you"):
//! no-speech probability, log-prob and entropy thresholds, bracketed non-speech tags and
//! repeated-token output are dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use crate::config::AsrConfig;
use crate::event::SAMPLE_RATE_HZ;
use crate::fillers::{is_filler_word, FillerUse};

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("cannot load Whisper model {path}: {message}; run `ringside model verify` or re-fetch it with `ringside model fetch`")]
    Load { path: PathBuf, message: String },
    #[error("Whisper failed on a {secs:.1} s utterance: {message}")]
    Decode { secs: f64, message: String },
    /// The decode was stopped because its tentative segment was withdrawn (speech resumed).
    #[error("decode cancelled: speech resumed")]
    Cancelled,
}

/// How a single decode is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeMode {
    /// A live utterance (at most 30 s): one segment, no timestamps, audio context sized to it.
    Utterance,
    /// A whole file: timestamps and several segments; the audio context is sized when the
    /// file is shorter than Whisper's 30 s window.
    File,
}

/// A piece of text with its time span relative to the start of the decoded audio.
#[derive(Debug, Clone, PartialEq)]
pub struct TextSpan {
    pub start_secs: f64,
    pub end_secs: f64,
    pub text: String,
}

/// The result of one decode.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// Kept segments (after the hallucination guards).
    pub spans: Vec<TextSpan>,
    /// Segments dropped by a guard, with the reason (for debugging and counts).
    pub dropped: Vec<(String, &'static str)>,
    /// Lowest mean token log-probability over the segments (0 when nothing was decoded).
    pub avg_logprob: f32,
    /// Highest no-speech probability over the segments.
    pub no_speech: f32,
    /// The decoder looped (a phrase repeated back to back more than twice).
    pub looped: bool,
    /// Decoded a second time with the full context.
    pub retried: bool,
    /// Milliseconds of the first pass, and of the second look when there was one.
    pub first_ms: f64,
    pub second_ms: Option<f64>,
}

/// Above this mean token log-probability the tokens are sure enough to keep text that Whisper
/// thinks may not be speech.
const SURE_LOGPROB: f32 = -0.3;

impl Transcript {
    /// True when a first pass should be decoded again with the full context: a guard dropped
    /// text, there is none, or the tokens kept were unsure. A loop cut back to one sure copy
    /// ("Yes. Yes. Yes. ..." -> "Yes.") is not doubted: on real voices the full context gave
    /// the same words every time (11 of 11 on tests/fixtures/real), at about a second each.
    fn doubtful(&self, doubt_logprob: f32) -> bool {
        !self.dropped.is_empty() || self.spans.is_empty() || self.avg_logprob < doubt_logprob
    }

    /// How much to trust this decode: text beats no text, then the token log-probability.
    fn confidence(&self) -> f32 {
        if self.spans.is_empty() {
            f32::NEG_INFINITY
        } else {
            self.avg_logprob - if self.looped { 1.0 } else { 0.0 }
        }
    }

    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.spans.iter().map(|s| s.text.as_str()).collect();
        parts.join(" ")
    }

    /// Why the decode gave no text, as the `reason` of an `unclear` event: the first guard
    /// that dropped a segment, or "empty" when Whisper wrote nothing.
    pub fn unclear_reason(&self) -> &'static str {
        match self.dropped.first().map(|d| d.1) {
            Some("non-speech tag") => "non_speech_tag",
            Some("no-speech probability") => "no_speech",
            Some("repeated tokens") => "repetition",
            Some("low confidence") => "low_confidence",
            Some("too few words") => "too_few_words",
            Some(_) => "rejected",
            None => "empty",
        }
    }
}

/// Filler words in `text` ("uh", "um", "uhm", "er", "hmm", "mm": [`FillerUse::Whisper`]): how
/// Whisper keeps hesitation when it keeps it at all.
pub fn count_fillers(text: &str) -> u32 {
    crate::wer::words(text)
        .iter()
        .filter(|w| is_filler_word(FillerUse::Whisper, w))
        .count() as u32
}

/// Words lowercased without surrounding punctuation, for comparing copies of a phrase.
fn norm_words(raw: &[&str]) -> Vec<String> {
    raw.iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect()
}

/// Two copies of the same sentence back to back ("Probably our CTO. Probably our CTO.") are one
/// utterance decoded twice: keep one. Copies of fewer than three words are left alone ("No.
/// No." is speech).
pub fn collapse_double(text: &str) -> Option<String> {
    let raw: Vec<&str> = text.split_whitespace().collect();
    let n = raw.len();
    if n < 6 || !n.is_multiple_of(2) {
        return None;
    }
    let norm = norm_words(&raw);
    let half = n / 2;
    (norm[..half] == norm[half..]).then(|| raw[..half].join(" "))
}

/// Whisper on one thread with one reusable state.
pub struct Transcriber {
    // `state` borrows the context internally through an Arc; the context must outlive it,
    // which holding both here guarantees.
    state: WhisperState,
    _ctx: WhisperContext,
    cfg: AsrConfig,
    threads: i32,
    multilingual: bool,
    /// End-of-text token id: ids below it are text.
    eot: i32,
}

/// Decoder threads when the config says 0: every core, at most 8.
///
/// ggml's worker threads busy-wait at every graph barrier, so a core taken by something else
/// slows a decode down. Measured here on 2 cores (`ringside eval real --asr-only` on the
/// quick set): one thread 21 s idle; two threads 9.2 s idle and 19.4 s beside a busy loop that
/// takes a whole core. Two threads are never worse than one, and on an idle machine (a
/// practice call: the capture threads use ~1% of a core) they are 2x faster, which real
/// voices need: the full-context retry of doubtful decodes costs time.
pub fn default_threads() -> i32 {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    cores.clamp(1, 8) as i32
}

/// Decoder threads when the config says 0 and real-time work shares the machine with the
/// decoder: a role-play's voice thread, its playback and the VAD of both channels. One core
/// is left to them (at least one thread): a ggml thread that loses its core to them stalls the
/// other at every barrier. Measured with `bench roleplay --verbose` on 2 cores (README, "Reply
/// time"): two decoder threads gave a reply p50 of seconds, one thread well under a second.
pub fn threads_beside_realtime() -> i32 {
    (default_threads() - 1).max(1)
}

/// Minimum input whisper.cpp decodes: shorter input is rejected as "too short", so pad.
const MIN_DECODE_SAMPLES: usize = (SAMPLE_RATE_HZ as usize) * 11 / 10;

/// Utterances at least this long are checked for too few words ...
const SPARSE_MIN_SECS: f64 = 4.0;
/// ... fewer than this many words a second of voice (people say 2-3).
const SPARSE_WORDS_PER_SEC: f64 = 0.6;

/// Utterances up to this long may be a one-word answer that the decoder looped.
const SHORT_ANSWER_SECS: f64 = 2.5;

/// The token ceiling of a live decode of `secs` of audio.
pub fn max_tokens_for(secs: f64) -> i32 {
    (secs * 7.0).ceil() as i32 + 10
}

/// Encoder frames per second of audio (1500 frames for 30 s).
const AUDIO_CTX_PER_SEC: f64 = 50.0;

impl Transcriber {
    /// Loads the ggml model at `path`.
    pub fn new(path: &Path, cfg: &AsrConfig) -> Result<Transcriber, AsrError> {
        whisper_rs::install_logging_hooks();
        let load_err = |message: String| AsrError::Load {
            path: path.to_path_buf(),
            message,
        };
        let path_str = path
            .to_str()
            .ok_or_else(|| load_err("the path is not valid UTF-8".into()))?;
        if !path.is_file() {
            return Err(load_err("no such file".into()));
        }
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let ctx = WhisperContext::new_with_params(path_str, params).map_err(|e| {
            load_err(format!(
                "whisper.cpp rejected it ({e}); the file is corrupt or not a ggml Whisper model"
            ))
        })?;
        let state = ctx
            .create_state()
            .map_err(|e| load_err(format!("cannot create a decoder state ({e})")))?;
        let threads = if cfg.threads == 0 {
            default_threads()
        } else {
            cfg.threads as i32
        };
        let multilingual = ctx.is_multilingual();
        let eot = ctx.token_eot();
        Ok(Transcriber {
            eot,
            state,
            _ctx: ctx,
            cfg: cfg.clone(),
            threads,
            multilingual,
        })
    }

    /// The encoder audio context for `n` samples: ~50 frames a second plus a margin, capped at
    /// Whisper's full window.
    pub fn audio_ctx_for(n_samples: usize, margin: u32) -> i32 {
        let secs = n_samples as f64 / SAMPLE_RATE_HZ as f64;
        ((secs * AUDIO_CTX_PER_SEC).ceil() as i32 + margin as i32).min(1500)
    }

    /// Decoder threads of the next decodes.
    pub fn threads(&self) -> i32 {
        self.threads
    }

    /// Sets the decoder threads (at least one) of the next decodes.
    pub fn set_threads(&mut self, n: i32) {
        self.threads = n.max(1);
    }

    /// Whether the configuration chose the decoder threads (`asr.threads` not 0).
    pub fn threads_configured(&self) -> bool {
        self.cfg.threads != 0
    }

    /// Decodes `samples` (16 kHz mono f32).
    ///
    /// A live utterance is decoded with the audio context sized to it; when that first pass
    /// looks wrong (no text, text a guard dropped, or unsure tokens; a loop is judged by its
    /// first copy), it is decoded once more with Whisper's full 30 s context, which is what the
    /// model was trained on, and the more confident of the two is kept. Most utterances pass first time, so the retry costs only
    /// where the short context failed.
    pub fn transcribe(
        &mut self,
        samples: &[f32],
        mode: DecodeMode,
    ) -> Result<Transcript, AsrError> {
        self.transcribe_cancellable(samples, mode, None)
    }

    /// [`Transcriber::transcribe`] that gives up with [`AsrError::Cancelled`] once `cancel` is
    /// raised: before it starts, between the encoder and each decoder step, and before a
    /// second look. A tentative decode whose speech resumed then stops costing the decodes
    /// queued behind it.
    pub fn transcribe_cancellable(
        &mut self,
        samples: &[f32],
        mode: DecodeMode,
        cancel: Option<&AtomicBool>,
    ) -> Result<Transcript, AsrError> {
        if raised(cancel) {
            return Err(AsrError::Cancelled);
        }
        let secs = samples.len() as f64 / SAMPLE_RATE_HZ as f64;
        let padded;
        let input: &[f32] = if samples.len() < MIN_DECODE_SAMPLES {
            let mut v = Vec::with_capacity(MIN_DECODE_SAMPLES);
            v.extend_from_slice(samples);
            v.resize(MIN_DECODE_SAMPLES, 0.0);
            padded = v;
            &padded
        } else {
            samples
        };
        let fits_window = input.len() <= 30 * SAMPLE_RATE_HZ as usize;
        let sized = fits_window.then(|| {
            Self::audio_ctx_for(input.len(), self.cfg.audio_ctx_margin)
                .max(self.cfg.audio_ctx_min as i32)
                .min(1500)
        });
        let started = std::time::Instant::now();
        let mut first = self.decode_once(input, secs, mode, sized, cancel)?;
        first.first_ms = started.elapsed().as_secs_f64() * 1000.0;
        let retry = self.cfg.audio_ctx_retry as i32;
        if mode == DecodeMode::Utterance
            && retry > 0
            && sized.is_some_and(|c| c < retry)
            && first.doubtful(self.cfg.doubt_logprob)
        {
            if raised(cancel) {
                return Err(AsrError::Cancelled);
            }
            let started = std::time::Instant::now();
            let second = self.decode_once(input, secs, mode, Some(retry.min(1500)), cancel)?;
            let second_ms = started.elapsed().as_secs_f64() * 1000.0;
            let first_ms = first.first_ms;
            let mut best = if second.confidence() > first.confidence() {
                second
            } else {
                first
            };
            best.retried = true;
            best.first_ms = first_ms;
            best.second_ms = Some(second_ms);
            return Ok(best);
        }
        Ok(first)
    }

    /// One decode; `audio_ctx` `None` is the full window.
    fn decode_once(
        &mut self,
        input: &[f32],
        secs: f64,
        mode: DecodeMode,
        audio_ctx: Option<i32>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Transcript, AsrError> {
        let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        if let Some(flag) = cancel {
            // SAFETY: whisper.cpp calls `abort_if_raised` with this pointer only during the
            // `full` call below, and `flag` (borrowed for this whole function) outlives it.
            unsafe {
                p.set_abort_callback(Some(abort_if_raised));
                p.set_abort_callback_user_data(flag as *const AtomicBool as *mut std::ffi::c_void);
            }
        }
        p.set_n_threads(self.threads);
        p.set_language(Some(if self.multilingual {
            self.cfg.language.as_str()
        } else {
            "en"
        }));
        p.set_translate(false);
        p.set_no_context(true);
        p.set_suppress_blank(true);
        p.set_suppress_nst(true);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_special(false);
        p.set_print_timestamps(false);
        p.set_max_tokens(0);
        p.set_entropy_thold(self.cfg.entropy_threshold);
        p.set_logprob_thold(self.cfg.logprob_threshold);
        p.set_no_speech_thold(self.cfg.no_speech_threshold);
        if !self.cfg.prompt.is_empty() {
            p.set_initial_prompt(&self.cfg.prompt);
        }
        match mode {
            DecodeMode::Utterance => {
                p.set_single_segment(true);
                // Timestamp tokens stay on: with a shortened audio context and no timestamps,
                // tiny.en often fails to end a short utterance and repeats it until the token
                // limit ("No, not at all. No, not at all. ..."); the end-timestamp token stops
                // it. Seen on 5 of 20 turns of the sample call; 0 with timestamps.
                p.set_no_timestamps(false);
                // A ceiling above any speaking rate (fast speech is ~4 words, ~6 tokens a
                // second), so a runaway loop on a short answer stops after a few copies and
                // cannot cost seconds of decode.
                p.set_max_tokens(max_tokens_for(secs));
                // No temperature fallback on the live path: a retry doubles the latency and
                // mostly produces a different hallucination (the full-context retry above is
                // the one that helps).
                p.set_temperature_inc(0.0);
            }
            DecodeMode::File => {
                p.set_single_segment(false);
                p.set_no_timestamps(false);
            }
        }
        if let Some(ctx) = audio_ctx {
            p.set_audio_ctx(ctx);
        }
        let ran = self.state.full(p, input);
        if raised(cancel) {
            return Err(AsrError::Cancelled);
        }
        ran.map_err(|e| AsrError::Decode {
            secs,
            message: e.to_string(),
        })?;
        let mut out = Transcript::default();
        let n = self.state.full_n_segments();
        for i in 0..n {
            let Some(seg) = self.state.get_segment(i) else {
                continue;
            };
            let raw = match seg.to_str_lossy() {
                Ok(t) => t.into_owned(),
                Err(_) => continue,
            };
            let no_speech = seg.no_speech_probability();
            let (t0, t1) = (seg.start_timestamp(), seg.end_timestamp());
            // The text tokens (ids below end-of-text): their text and log-probability.
            let mut tokens: Vec<(String, f32)> = Vec::new();
            for j in 0..seg.n_tokens() {
                if let Some(tok) = seg.get_token(j) {
                    let d = tok.token_data();
                    if d.id < self.eot {
                        let piece = tok
                            .to_str_lossy()
                            .map(|t| t.into_owned())
                            .unwrap_or_default();
                        tokens.push((piece, d.plog));
                    }
                }
            }
            let avg_logprob = mean_logprob(&tokens, usize::MAX);
            out.no_speech = out.no_speech.max(no_speech);
            let text = clean_text(&raw);
            if text.is_empty() {
                out.avg_logprob = out.avg_logprob.min(avg_logprob);
                if !raw.trim().is_empty() {
                    out.dropped.push((raw, "non-speech tag"));
                }
                continue;
            }
            // Likely no speech: short stock phrases always, longer text unless its tokens are
            // sure. Real speech here stays below 0.56 (72 one-word answers, 41 sentences of
            // tests/fixtures/real); babble decodes reach 0.69 with unsure tokens.
            if no_speech > self.cfg.no_speech_threshold
                && (low_content(&text) || avg_logprob < SURE_LOGPROB)
            {
                out.avg_logprob = out.avg_logprob.min(avg_logprob);
                out.dropped.push((text, "no-speech probability"));
                continue;
            }
            // Whisper's own rule for silence, applied whatever the length: likely no speech
            // and unsure tokens. Babble (speech-like sound with no words) ends here.
            if no_speech > self.cfg.no_speech_threshold * 0.5
                && avg_logprob < self.cfg.logprob_threshold
            {
                out.avg_logprob = out.avg_logprob.min(avg_logprob);
                out.dropped.push((text, "low confidence"));
                continue;
            }
            let looped = collapse_loop(&text);
            out.looped |= looped.is_some();
            // Which loops are cut back to their first copy: a real sentence decoded in a loop
            // always; a short answer ("Yes. Yes. Yes. ...") looped by the decoder when the audio
            // was short and Whisper was sure it heard speech. On silence and noise the
            // no-speech probability is high and the loop is dropped below.
            let once = looped.filter(|once| {
                once.split_whitespace().count() >= 3
                    || (mode == DecodeMode::Utterance
                        && secs <= SHORT_ANSWER_SECS
                        && no_speech < self.cfg.no_speech_threshold * 0.5)
            });
            // How sure the decoder was of the text kept: of a loop cut back, its first copy
            // (the copies after it are the decoder feeding on itself, sure of every token).
            let (text, kept_logprob) = match once {
                Some(once) => {
                    let lp = mean_logprob(&tokens, once.split_whitespace().count());
                    (once, lp)
                }
                None => (text, avg_logprob),
            };
            out.avg_logprob = out.avg_logprob.min(kept_logprob);
            let text = collapse_double(&text).unwrap_or(text);
            // (After loops are cut back: a loop is many words of one phrase.) Seconds of
            // continuous voice that yield a phrase or two are not speech Whisper
            // heard but a guess: babble (speech-like sound without words) gives "I'm just a
            // boy," for 12 s. People say 2-3 words a second; a VAD segment has no pause longer
            // than the hangover, so it is dense.
            if mode == DecodeMode::Utterance
                && secs >= SPARSE_MIN_SECS
                && (text.split_whitespace().count() as f64) < secs * SPARSE_WORDS_PER_SEC
            {
                out.dropped.push((text, "too few words"));
                continue;
            }
            if is_repetitive(&text) {
                out.dropped.push((text, "repeated tokens"));
                continue;
            }
            let (start_secs, end_secs) = match mode {
                DecodeMode::Utterance => (0.0, secs),
                DecodeMode::File => (t0 as f64 / 100.0, (t1 as f64 / 100.0).min(secs.max(0.0))),
            };
            out.spans.push(TextSpan {
                start_secs,
                end_secs,
                text,
            });
        }
        Ok(out)
    }
}

/// Mean log-probability of the text tokens up to the end of the `words`-th word (all of them
/// for `usize::MAX`); 0 when there are none. A word starts at a token that begins with a space
/// (Whisper's tokens carry their leading space), so punctuation stays with its word.
fn mean_logprob(tokens: &[(String, f32)], words: usize) -> f32 {
    let (mut sum, mut k, mut seen) = (0.0f64, 0usize, 0usize);
    for (i, (piece, plog)) in tokens.iter().enumerate() {
        if i == 0 || piece.starts_with(' ') {
            seen += 1;
        }
        if seen > words {
            break;
        }
        sum += *plog as f64;
        k += 1;
    }
    if k > 0 {
        (sum / k as f64) as f32
    } else {
        0.0
    }
}

/// Whether a decode's cancel flag is raised.
fn raised(cancel: Option<&AtomicBool>) -> bool {
    cancel.is_some_and(|c| c.load(Ordering::Relaxed))
}

/// Whisper's abort check: `data` points at the decode's cancel flag.
unsafe extern "C" fn abort_if_raised(data: *mut std::ffi::c_void) -> bool {
    // SAFETY: `data` is the `AtomicBool` set up in `decode_once`, alive for the whole decode.
    let flag = unsafe { &*(data as *const AtomicBool) };
    flag.load(Ordering::Relaxed)
}

/// Removes non-speech annotations Whisper writes in brackets or parentheses
/// ("[BLANK_AUDIO]", "(music)", "[typing]") and squeezes whitespace.
pub fn clean_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut depth_sq = 0u32;
    let mut depth_par = 0u32;
    let mut depth_star = false;
    for ch in raw.chars() {
        match ch {
            '[' => depth_sq += 1,
            ']' => depth_sq = depth_sq.saturating_sub(1),
            '(' => depth_par += 1,
            ')' => depth_par = depth_par.saturating_sub(1),
            '*' => depth_star = !depth_star,
            '♪' => {}
            _ if depth_sq == 0 && depth_par == 0 && !depth_star => out.push(ch),
            _ => {}
        }
    }
    let squeezed: Vec<&str> = out.split_whitespace().collect();
    let s = squeezed.join(" ");
    // A lone punctuation mark or dash is not speech.
    if s.chars().all(|c| !c.is_alphanumeric()) {
        return String::new();
    }
    s
}

/// Short stock phrases Whisper emits on near-silence; dropped only together with a high
/// no-speech probability, so a real "thank you" still passes.
fn low_content(text: &str) -> bool {
    let words = text.split_whitespace().count();
    words <= 4
}

/// When `text` ends in a loop (a phrase repeated back to back more than twice, the last copy
/// possibly cut off, as in "Yes, of course, of course, of course, of"), returns the text
/// up to the end of the phrase's first copy. Whisper falls into such loops on short utterances
/// and the part before the loop is the real speech.
pub fn collapse_loop(text: &str) -> Option<String> {
    let raw: Vec<&str> = text.split_whitespace().collect();
    let norm = norm_words(&raw);
    let n = norm.len();
    for start in 0..n {
        // More than two copies: "No, not at all. No, not at all." may well be speech.
        for period in 1..=(n - start).saturating_sub(1) / 2 {
            if (start + period..n).all(|i| norm[i] == norm[i - period]) {
                return Some(raw[..start + period].join(" "));
            }
        }
    }
    None
}

/// True when the output is a loop: one word or short phrase repeated many times
/// ("you you you you", "Thank you. Thank you. Thank you.").
pub fn is_repetitive(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 4 {
        return false;
    }
    // An n-gram (n = 1..=3) repeated back to back covering most of the text.
    for n in 1..=3usize {
        if words.len() < n * 4 {
            continue;
        }
        let mut best_run = 1usize;
        let mut run = 1usize;
        let mut i = n;
        while i + n <= words.len() {
            if words[i..i + n] == words[i - n..i] {
                run += 1;
                best_run = best_run.max(run);
                i += n;
            } else {
                run = 1;
                i += 1;
            }
        }
        if best_run >= 4 && best_run * n * 2 >= words.len() {
            return true;
        }
    }
    // Very few distinct words in a long output.
    let mut distinct: Vec<&String> = words.iter().collect();
    distinct.sort();
    distinct.dedup();
    words.len() >= 12 && distinct.len() * 5 < words.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_strips_non_speech_tags() {
        assert_eq!(clean_text(" [BLANK_AUDIO]"), "");
        assert_eq!(clean_text(" (music) Hello there."), "Hello there.");
        assert_eq!(clean_text(" *typing*  so  what"), "so what");
        assert_eq!(clean_text(" ..."), "");
        assert_eq!(clean_text(" Is now a bad time?"), "Is now a bad time?");
    }

    #[test]
    fn repetition_guard_catches_loops_not_speech() {
        assert!(is_repetitive("you you you you you"));
        assert!(is_repetitive("Thank you. Thank you. Thank you. Thank you."));
        assert!(!is_repetitive("No, no, it's fine, go ahead."));
        assert!(!is_repetitive(
            "Is now a bad time to talk about your insurance?"
        ));
        assert!(!is_repetitive("yes yes"));
    }

    #[test]
    fn a_sentence_decoded_in_a_loop_is_kept_once() {
        assert_eq!(
            collapse_loop("No, not at all. No, not at all. No, not at").as_deref(),
            Some("No, not at all.")
        );
        assert_eq!(collapse_loop("Is now a bad time?"), None);
        assert_eq!(
            collapse_loop("Yes, of course, of course, of course, of course, of").as_deref(),
            Some("Yes, of course,")
        );
        // Two copies are not a loop ("No, no." is speech).
        assert_eq!(collapse_loop("No, not at all. No, not at all."), None);
        assert_eq!(collapse_loop("you you you you").as_deref(), Some("you"));
    }

    #[test]
    fn a_sentence_decoded_twice_is_kept_once() {
        assert_eq!(
            collapse_double("Probably our CTO. Probably our CTO.").as_deref(),
            Some("Probably our CTO.")
        );
        assert_eq!(collapse_double("No. No."), None);
        assert_eq!(collapse_double("Yes, yes, I see that we can."), None);
    }

    #[test]
    fn a_loop_is_judged_by_its_first_copy() {
        let t = |s: &str, p: f32| (s.to_string(), p);
        // " Yes." sure, then the decoder feeding on itself.
        let toks = [
            t(" Yes", -0.9),
            t(".", -0.5),
            t(" Yes", -0.01),
            t(".", -0.01),
            t(" Yes", -0.01),
            t(".", -0.01),
        ];
        assert!((mean_logprob(&toks, 1) - -0.7).abs() < 1e-6);
        assert!(
            mean_logprob(&toks, usize::MAX) > -0.3,
            "the whole loop looks sure"
        );
        assert_eq!(mean_logprob(&[], 1), 0.0);
        // The first token counts as a word even without a leading space.
        assert!((mean_logprob(&[t("No", -0.2), t(" no", -1.0)], 1) - -0.2).abs() < 1e-6);
    }

    #[test]
    fn a_sure_loop_cut_back_is_not_doubted_an_unsure_one_is() {
        let kept = |lp: f32| Transcript {
            spans: vec![TextSpan {
                start_secs: 0.0,
                end_secs: 1.0,
                text: "Yes.".into(),
            }],
            avg_logprob: lp,
            looped: true,
            ..Transcript::default()
        };
        assert!(!kept(-0.3).doubtful(-0.7));
        assert!(kept(-0.8).doubtful(-0.7));
        assert!(Transcript::default().doubtful(-0.7), "no text is doubted");
    }

    #[test]
    fn fillers_are_counted() {
        assert_eq!(count_fillers("Uhm, I think so."), 1);
        assert_eq!(count_fillers("Uh, um, yeah."), 2);
        assert_eq!(count_fillers("Yes, they did."), 0);
    }

    #[test]
    fn token_ceiling_follows_duration() {
        assert_eq!(max_tokens_for(1.1), 18);
        assert!(max_tokens_for(10.0) >= 60, "fast speech fits");
    }

    #[test]
    fn audio_ctx_is_sized_with_margin_and_capped() {
        assert_eq!(Transcriber::audio_ctx_for(16_000, 128), 50 + 128);
        assert_eq!(Transcriber::audio_ctx_for(16_000 * 3, 64), 150 + 64);
        assert_eq!(Transcriber::audio_ctx_for(16_000 * 40, 128), 1500);
    }
}
