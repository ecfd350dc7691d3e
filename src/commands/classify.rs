//! `ringside classify`: JSON lines in on stdin, one JSON line out per input line, in order.
//!
//! Input, one object per line: `{"speaker": "me"|"them", "text": "...", "conv"?: "...",
//! "start"?: secs, "end"?: secs}` (other keys, such as a gold `act`, are ignored). A change of
//! `conv` starts a new conversation (classifier context and cue state reset). Without both
//! `start` and `end` the timed cues (talk_ratio, long_monologue) cannot fire.
//!
//! Output: `{"conv"?, "speaker", "text", "start"?, "end"?, "act", "cues": [{"id", "severity",
//! "message"}], "why"}`. Every cue is listed, praise included.
//!
//! A line that is not valid input is reported on stderr with its line number and skipped; the
//! rest still flow. The exit status is 1 if any line was bad (after all lines are processed),
//! so scripts notice.

use std::io::{BufRead, Write};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::Globals;
use crate::event::{secs_to_samples, Act, Cue, CueId, Severity, Speaker, Utterance};
use crate::transforms::coach::Coach;

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
    for (i, line) in stdin.lock().lines().enumerate() {
        let lineno = i + 1;
        let line = line.with_context(|| format!("reading stdin line {lineno}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let input: InLine = match serde_json::from_str(&line) {
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
