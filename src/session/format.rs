//! The on-disk formats of a session: the event log (`events.jsonl`, [`SessionEvent`]) and the
//! metadata file (`session.json`, [`SessionInfo`]). Pure data plus the tolerant event reader
//! used by repair, report and review.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::event::SessionEvent;

use super::scorecard::Scorecard;
use super::SessionError;

/// Version of `events.jsonl` and `session.json`. Bump it when a field changes meaning or
/// disappears; new optional fields do not need a bump. Readers accept every version up to
/// this one.
pub const FORMAT_VERSION: u32 = 1;

/// What the caller knows about a session when it starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// Input device of "me".
    #[serde(default)]
    pub mic_device: Option<String>,
    /// Input device (or "right channel of ...") of "them"; `None` when there is no counterpart.
    #[serde(default)]
    pub counterpart_device: Option<String>,
    /// Whisper model name.
    #[serde(default)]
    pub model: Option<String>,
    /// sha256 of the model file, hex.
    #[serde(default)]
    pub model_sha256: Option<String>,
    /// Free-form summary of the configuration in effect (key -> value).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// `session.json` (format version [`FORMAT_VERSION`]).
///
/// Written at start with `finished: false` and rewritten atomically (temporary file + rename)
/// at the end with the duration and scorecard. A `finished: false` file after the process has
/// gone means it crashed: `ringside sessions repair` (or startup) recovers the session from
/// `audio.wav` and `events.jsonl` and sets `repaired: true`.
///
/// ```text
/// {"version":1,"id":"20261126-140509-3fa2c1","started_at":"2026-11-26T14:05:09+01:00",
///  "duration":95.5,"sample_rate":16000,"channels":2,"meta":{"mic_device":"...",...},
///  "finished":true,"repaired":false,"scorecard":{...}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub version: u32,
    pub id: String,
    pub started_at: String,
    /// Seconds of audio in `audio.wav`.
    #[serde(default)]
    pub duration: f64,
    pub sample_rate: u32,
    pub channels: u16,
    #[serde(default)]
    pub meta: SessionMeta,
    pub finished: bool,
    #[serde(default)]
    pub repaired: bool,
    /// Process id of the recorder while the session is open, so startup repair can skip a
    /// session another running Ringside is still writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Set when writing a file failed during the call (the message names the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<Scorecard>,
}

impl SessionInfo {
    /// What a session that is not recorded knows of itself at its start: no id (empty), the
    /// wall clock, its channels. Handed to [`crate::sinks::Sink::begin`].
    pub fn unrecorded(meta: SessionMeta, channels: u16) -> SessionInfo {
        let now = super::time::LocalTime::from_system(std::time::SystemTime::now());
        SessionInfo {
            version: FORMAT_VERSION,
            id: String::new(),
            started_at: now.rfc3339(),
            duration: 0.0,
            sample_rate: crate::event::SAMPLE_RATE_HZ,
            channels,
            meta,
            finished: false,
            repaired: false,
            pid: None,
            audio_error: None,
            scorecard: None,
        }
    }
}

/// The outcome of reading an event log.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    pub events: Vec<SessionEvent>,
    /// The last line, dropped because it was cut off (no newline and not valid JSON).
    pub truncated_tail: Option<String>,
    /// Lines in the middle that did not parse (skipped), with their 1-based line numbers.
    pub bad_lines: Vec<usize>,
}

/// Reads `events.jsonl`, tolerating a cut-off last line (a crash mid-write) and skipping (and
/// reporting) unparseable lines elsewhere.
pub fn read_events(path: &Path) -> Result<EventLog, SessionError> {
    let bytes = crate::files::read_regular(path, u64::MAX, crate::files::Links::Refuse).map_err(
        |source| SessionError::Read {
            path: path.to_path_buf(),
            source,
        },
    )?;
    Ok(parse_events(&bytes))
}

/// One page of `events.jsonl`: events `from..from + limit` (counted among the lines that
/// parse), and how many events the log holds. Read a line at a time, so a log of 300,000
/// events costs the page, not the log (the daemon's session detail).
pub fn read_events_page(
    path: &Path,
    from: usize,
    limit: usize,
) -> Result<(EventLog, usize), SessionError> {
    use std::io::BufRead;
    let rerr = |source| SessionError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::files::open_regular(path, crate::files::Links::Refuse).map_err(rerr)?;
    let mut r = std::io::BufReader::new(file);
    let mut log = EventLog::default();
    let mut total = 0usize;
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).map_err(rerr)? == 0 {
            break;
        }
        number += 1;
        let complete = line.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<SessionEvent>(&text) {
            Ok(ev) => {
                if total >= from && total - from < limit {
                    log.events.push(ev);
                }
                total += 1;
            }
            Err(_) if !complete => log.truncated_tail = Some(text.trim_end().to_string()),
            Err(_) => log.bad_lines.push(number),
        }
    }
    Ok((log, total))
}

/// [`read_events`] on bytes.
pub fn parse_events(bytes: &[u8]) -> EventLog {
    let text = String::from_utf8_lossy(bytes);
    let mut log = EventLog::default();
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == n || (i + 2 == n && !ends_with_newline);
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<SessionEvent>(line) {
            Ok(ev) => log.events.push(ev),
            Err(_) if last && !ends_with_newline => log.truncated_tail = Some(line.to_string()),
            Err(_) => log.bad_lines.push(i + 1),
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Act, CueId, DeviceChange, DeviceNotice, Severity, Speaker};

    fn all_events() -> Vec<SessionEvent> {
        vec![
            SessionEvent::SessionStart {
                version: 1,
                id: "x".into(),
                started_at: "2026-01-01T00:00:00Z".into(),
                sample_rate: 16000,
                channels: 2,
            },
            SessionEvent::Utterance {
                prosody: None,
                id: 0,
                speaker: Speaker::Me,
                start: 1.0,
                end: 2.5,
                text: "Is now a bad time?".into(),
                act: Act::NoQuestion,
                why: "rule".into(),
                confidence: None,
                unsure: false,
                latency_ms: Some(640.0),
                hesitation: None,
            },
            SessionEvent::Cue {
                review_only: false,
                id: CueId::GoodNoQuestion,
                severity: Severity::Praise,
                message: "Good".into(),
                time: 2.5,
                utterance_id: Some(0),
            },
            SessionEvent::Device(DeviceNotice {
                speaker: Speaker::Them,
                event: DeviceChange::Lost,
                time: 3.0,
                detail: "usb".into(),
            }),
            SessionEvent::Gap {
                speaker: Speaker::Them,
                start: 3.0,
                end: 5.0,
            },
            SessionEvent::SessionEnd {
                duration: 9.0,
                utterances: 1,
                cues: 1,
            },
        ]
    }

    #[test]
    fn events_round_trip_and_are_tagged() {
        for ev in all_events() {
            let line = serde_json::to_string(&ev).unwrap();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert!(v["type"].is_string(), "{line}");
            assert_eq!(serde_json::from_str::<SessionEvent>(&line).unwrap(), ev);
        }
        let line = serde_json::to_string(&all_events()[1]).unwrap();
        assert_eq!(
            line,
            r#"{"type":"utterance","id":0,"speaker":"me","start":1.0,"end":2.5,"text":"Is now a bad time?","act":"no_question","why":"rule","latency_ms":640.0}"#
        );
        let dev = serde_json::to_string(&all_events()[3]).unwrap();
        assert!(dev.contains(r#""type":"device""#) && dev.contains(r#""event":"lost""#));
        let start = serde_json::to_string(&all_events()[0]).unwrap();
        assert!(start.starts_with(r#"{"type":"session_start","version":1"#));
    }

    #[test]
    fn truncated_last_line_is_dropped_and_reported() {
        let mut bytes = Vec::new();
        for ev in all_events() {
            bytes.extend(serde_json::to_vec(&ev).unwrap());
            bytes.push(b'\n');
        }
        bytes.extend(b"{\"type\":\"utterance\",\"id\":7,\"spea");
        let log = parse_events(&bytes);
        assert_eq!(log.events, all_events());
        assert!(log
            .truncated_tail
            .unwrap()
            .starts_with("{\"type\":\"utterance\""));
        assert!(log.bad_lines.is_empty());
    }

    #[test]
    fn bad_middle_line_is_skipped() {
        let log = parse_events(
            b"{\"type\":\"gap\",\"speaker\":\"me\",\"start\":1.0,\"end\":2.0}\nnot json\n",
        );
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.bad_lines, vec![2]);
        assert!(log.truncated_tail.is_none());
    }
}
