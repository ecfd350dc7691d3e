//! Review exports derived from the events of a session: WebVTT (`transcript.vtt`), an
//! Audacity label track (`labels.txt`) and the WAV cue markers. Pure functions over
//! [`SessionEvent`]s, run at finish and at repair.

use std::fmt::Write as _;

use super::format::SessionEvent;
use super::wav::Marker;
use crate::event::secs_to_samples;

/// `hh:mm:ss.mmm`.
fn vtt_time(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn vtt_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

/// Events in review order: by time, utterances before cues at the same time.
fn timeline(events: &[SessionEvent]) -> Vec<&SessionEvent> {
    let mut v: Vec<&SessionEvent> = events
        .iter()
        .filter(|e| matches!(e, SessionEvent::Utterance { .. } | SessionEvent::Cue { .. }))
        .collect();
    v.sort_by(|a, b| {
        let rank = |e: &SessionEvent| matches!(e, SessionEvent::Cue { .. }) as u8;
        a.time().total_cmp(&b.time()).then(rank(a).cmp(&rank(b)))
    });
    v
}

/// The WebVTT transcript: one cue per utterance with a voice tag (`<v me>` / `<v them>`) whose
/// class is the act (`<v.no_question me>`), and coaching cues as `NOTE` blocks at their time.
pub fn vtt(session_id: &str, events: &[SessionEvent]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "WEBVTT - Ringside session {session_id}\n");
    for e in timeline(events) {
        match e {
            SessionEvent::Utterance {
                id,
                speaker,
                start,
                end,
                text,
                act,
                ..
            } => {
                let _ = writeln!(
                    s,
                    "u{id}\n{} --> {}\n<v.{act} {speaker}>{}</v>\n",
                    vtt_time(*start),
                    vtt_time(end.max(*start)),
                    vtt_escape(text)
                );
            }
            SessionEvent::Cue {
                id,
                severity,
                message,
                time,
                ..
            } => {
                // A NOTE must not contain "-->".
                let msg = one_line(message).replace("-->", "->");
                let _ = writeln!(
                    s,
                    "NOTE {} CUE {id} ({}): {msg}\n",
                    vtt_time(*time),
                    severity.as_str()
                );
            }
            _ => {}
        }
    }
    s
}

/// An Audacity label track: `start<TAB>end<TAB>label` with utterances as regions
/// (`me: text [act]`) and cues as point labels (`CUE id: message`).
pub fn labels(events: &[SessionEvent]) -> String {
    let mut s = String::new();
    for e in timeline(events) {
        match e {
            SessionEvent::Utterance {
                speaker,
                start,
                end,
                text,
                act,
                ..
            } => {
                let _ = writeln!(
                    s,
                    "{start:.6}\t{:.6}\t{speaker}: {} [{act}]",
                    end.max(*start),
                    one_line(text)
                );
            }
            SessionEvent::Cue {
                id, message, time, ..
            } => {
                let _ = writeln!(s, "{time:.6}\t{time:.6}\tCUE {id}: {}", one_line(message));
            }
            _ => {}
        }
    }
    s
}

/// The cue markers for `audio.wav`: one per coaching cue, labelled `CUE id: message`, at most
/// `frames` (cues after the end of the audio are placed at its end).
pub fn markers(events: &[SessionEvent], frames: u64) -> Vec<Marker> {
    timeline(events)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Cue {
                id, message, time, ..
            } => Some((id, message, time)),
            _ => None,
        })
        .enumerate()
        .map(|(i, (id, message, time))| Marker {
            id: i as u32 + 1,
            frame: secs_to_samples(*time).min(frames),
            label: format!("CUE {id}: {}", one_line(message)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Act, CueId, Severity, Speaker};

    fn events() -> Vec<SessionEvent> {
        vec![
            SessionEvent::Cue {
                review_only: false,
                id: CueId::OpeningYes,
                severity: Severity::Nudge,
                message: "Openers --> beg".into(),
                time: 2.5,
                utterance_id: Some(0),
            },
            SessionEvent::Utterance {
                prosody: None,
                id: 0,
                speaker: Speaker::Me,
                start: 1.0,
                end: 2.5,
                text: "Do you <have> a minute & more?".into(),
                act: Act::YesQuestion,
                why: "w".into(),
                confidence: None,
                unsure: false,
                latency_ms: None,
                hesitation: None,
            },
            SessionEvent::Utterance {
                prosody: None,
                id: 1,
                speaker: Speaker::Them,
                start: 62.25,
                end: 63.0,
                text: "No.".into(),
                act: Act::No,
                why: "w".into(),
                confidence: None,
                unsure: false,
                latency_ms: None,
                hesitation: None,
            },
        ]
    }

    #[test]
    fn vtt_output() {
        assert_eq!(
            vtt("s1", &events()),
            "WEBVTT - Ringside session s1\n\n\
             u0\n00:00:01.000 --> 00:00:02.500\n<v.yes_question me>Do you &lt;have&gt; a minute &amp; more?</v>\n\n\
             NOTE 00:00:02.500 CUE opening_yes (nudge): Openers -> beg\n\n\
             u1\n00:01:02.250 --> 00:01:03.000\n<v.no them>No.</v>\n\n"
        );
    }

    #[test]
    fn labels_output() {
        assert_eq!(
            labels(&events()),
            "1.000000\t2.500000\tme: Do you <have> a minute & more? [yes_question]\n\
             2.500000\t2.500000\tCUE opening_yes: Openers --> beg\n\
             62.250000\t63.000000\tthem: No. [no]\n"
        );
    }

    #[test]
    fn markers_from_cues() {
        let m = markers(&events(), 30_000);
        assert_eq!(
            m,
            vec![Marker {
                id: 1,
                frame: 30_000,
                label: "CUE opening_yes: Openers --> beg".into()
            }]
        );
        assert_eq!(markers(&events(), 100_000)[0].frame, 40_000);
    }
}
