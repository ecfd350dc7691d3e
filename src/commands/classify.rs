//! `ringside classify`: JSON lines in on stdin, one JSON line out per input line, in order.
//!
//! Input, one object per line: `{"speaker": "me"|"them", "text": "...", "conv"?: "...",
//! "start"?: secs, "end"?: secs}` (other keys, such as a gold `act`, are ignored). A change of
//! `conv` starts a new conversation (classifier context and cue state reset). Without both
//! `start` and `end` the timed cues (talk_ratio, long_monologue) cannot fire.
//!
//! Output: `{"conv"?, "speaker", "text", "start"?, "end"?, "act", "confidence", "unsure"?,
//! "cues": [{"id", "severity", "message"}], "why"}`. Every cue that fired is listed, praise
//! included; a cue held back because the classifier was not sure enough of the act is not, and
//! `"unsure": true` says so.
//!
//! A line that is not valid input is reported on stderr with its line number and skipped; the
//! rest still flow. The exit status is 1 if any line was bad (after all lines are processed),
//! so scripts notice. Lines are read as bytes and decoded one by one, so a line that is not
//! UTF-8 is one bad line. A line longer than [`MAX_LINE_BYTES`] (64 KiB) is a bad line too:
//! it is skipped unread, which bounds both memory and the classifier's work per line.

use std::io::{BufRead, Write};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::Globals;
use crate::event::{secs_to_samples, Act, Cue, CueId, Severity, Speaker, Utterance};
use crate::transforms::coach::Coach;

/// The longest input line accepted; longer lines are reported and skipped (see module docs).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One input line, at most [`MAX_LINE_BYTES`] long (without its newline).
enum RawLine {
    Line,
    /// Longer than the limit: the rest of it was consumed and dropped.
    TooLong(usize),
    Eof,
}

/// Reads the next line into `buf` (cleared first), never holding more than the limit.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<RawLine> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(match (any, total > MAX_LINE_BYTES) {
                (false, _) => RawLine::Eof,
                (true, true) => RawLine::TooLong(total),
                (true, false) => RawLine::Line,
            });
        }
        any = true;
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        total += part.len();
        if total <= MAX_LINE_BYTES {
            buf.extend_from_slice(part);
        } else {
            buf.clear();
        }
        let used = done.unwrap_or(part.len());
        r.consume(used);
        if done.is_some() {
            return Ok(if total > MAX_LINE_BYTES {
                RawLine::TooLong(total)
            } else {
                RawLine::Line
            });
        }
    }
}

#[derive(Debug, Deserialize)]
struct InLine {
    speaker: Speaker,
    text: String,
    #[serde(default)]
    conv: Option<String>,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
}

#[derive(Debug, Serialize)]
struct OutCue<'a> {
    id: CueId,
    severity: Severity,
    message: &'a str,
}

#[derive(Debug, Serialize)]
struct OutLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    conv: Option<&'a str>,
    speaker: Speaker,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<f64>,
    act: Act,
    /// How sure the classifier is of `act` (0..1).
    confidence: f32,
    /// A cue of the act was held back for low confidence.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unsure: bool,
    cues: Vec<OutCue<'a>>,
    why: &'a str,
}

pub fn run(g: &Globals) -> Result<()> {
    let mut coach = Coach::load(g.config.coach.rules.as_deref()).context("loading coach rules")?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut conv: Option<String> = None;
    let mut next_id: u64 = 0;
    let mut bad = 0usize;
    let mut cues: Vec<Cue> = Vec::new();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    loop {
        lineno += 1;
        match read_line(&mut reader, &mut buf)
            .with_context(|| format!("reading stdin line {lineno}"))?
        {
            RawLine::Eof => break,
            RawLine::TooLong(n) => {
                eprintln!("ringside: classify: line {lineno}: {n} bytes, longer than the {MAX_LINE_BYTES}-byte limit, skipped; split the text into utterances");
                bad += 1;
                continue;
            }
            RawLine::Line => {}
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ringside: classify: line {lineno}: not valid UTF-8 ({e}), skipped");
                bad += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let input: InLine = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("ringside: classify: line {lineno}: invalid input, skipped: {e}");
                bad += 1;
                continue;
            }
        };
        if input.conv != conv {
            coach.reset();
            conv = input.conv.clone();
            next_id = 0;
        }
        let (start_sample, end_sample) = match (input.start, input.end) {
            (Some(s), Some(e)) if e > s => (secs_to_samples(s), secs_to_samples(e)),
            _ => (0, 0),
        };
        let u = Utterance {
            id: next_id,
            speaker: input.speaker,
            start_sample,
            end_sample,
            text: input.text.clone(),
            latency_ms: None,
            hesitation: None,
            prosody: None,
        };
        next_id += 1;
        cues.clear();
        let cu = coach.process(u, &mut cues);
        let o = OutLine {
            conv: input.conv.as_deref(),
            speaker: input.speaker,
            text: &input.text,
            start: input.start,
            end: input.end,
            act: cu.act,
            confidence: (cu.confidence.unwrap_or(1.0) * 1000.0).round() / 1000.0,
            unsure: cu.unsure,
            cues: cues
                .iter()
                .map(|c| OutCue {
                    id: c.id,
                    severity: c.severity,
                    message: &c.message,
                })
                .collect(),
            why: &cu.why,
        };
        serde_json::to_writer(&mut out, &o).context("writing stdout")?;
        out.write_all(b"\n").context("writing stdout")?;
        out.flush().context("writing stdout")?;
    }
    if bad > 0 {
        bail!("{bad} input line(s) were invalid and skipped (see above)");
    }
    Ok(())
}
