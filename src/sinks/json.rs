//! JSON sink (`--json` of `practice` and `roleplay`): each record as one line of stdout, in
//! the schema of the session's `events.jsonl` ([`SessionEvent`]), so a live consumer and a
//! recording read the same records. Runs on the session thread.

use std::io::Write;

use serde::Serialize;

use super::Sink;
use crate::event::SessionEvent;

#[derive(Debug, Default)]
pub struct JsonSink;

/// Writes one value as a JSON line on stdout and flushes it.
pub fn print_line<T: Serialize>(v: &T) -> std::io::Result<()> {
    let mut o = std::io::stdout().lock();
    serde_json::to_writer(&mut o, v)?;
    writeln!(o)?;
    o.flush()
}

impl Sink for JsonSink {
    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        print_line(ev)
    }
}

/// The last line of `practice --json`: what the session gave.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "summary")]
pub struct SummaryLine {
    pub stream_secs: f64,
    pub utterances: usize,
    pub cues: usize,
    pub dropped_samples: u64,
    pub decode_errors: u64,
    pub session_dir: Option<String>,
}
