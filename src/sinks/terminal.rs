//! Terminal sink: the live transcript, one line per utterance with the speaker and act, and the
//! current cue shown prominently (one at a time, coloured by severity). Runs on the session
//! thread. Colour only when stdout is a terminal (and NO_COLOR is unset).

use std::io::{IsTerminal, Write};

use super::Sink;
use crate::event::{mmss_tenths, SessionEvent, Severity, Speaker};

pub struct TerminalSink {
    color: bool,
    show_praise: bool,
    out: std::io::Stdout,
}

impl TerminalSink {
    pub fn new(show_praise: bool) -> TerminalSink {
        let out = std::io::stdout();
        let color = out.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        TerminalSink {
            color,
            show_praise,
            out,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn who(&self, speaker: Speaker) -> String {
        match speaker {
            Speaker::Me => self.paint("1;36", "me  "),
            Speaker::Them => self.paint("1;35", "them"),
        }
    }
}

impl Sink for TerminalSink {
    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        let line = match ev {
            SessionEvent::Utterance {
                speaker,
                start,
                text,
                act,
                latency_ms,
                unsure,
                prosody,
                ..
            } => {
                // The ending after the act: ↗ rise, ↘ fall, → level (nothing when unknown).
                let end = prosody
                    .as_ref()
                    .map(|p| p.end.arrow())
                    .filter(|a| !a.is_empty())
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default();
                let lat = latency_ms
                    .map(|l| format!(" ({l:.0} ms)"))
                    .unwrap_or_default();
                let act = self.paint(
                    "2",
                    &format!("[{act}{}]", if *unsure { " (unsure)" } else { "" }),
                );
                format!(
                    "{} {} {} {}{}{}",
                    mmss_tenths(*start),
                    self.who(*speaker),
                    text,
                    act,
                    end,
                    self.paint("2", &lat)
                )
            }
            SessionEvent::Cue {
                id,
                severity,
                message,
                time,
                review_only,
                ..
            } => {
                // Delivery cues past the live pacing wait for the review.
                if (*severity == Severity::Praise && !self.show_praise) || *review_only {
                    return Ok(());
                }
                let (code, tag) = match severity {
                    Severity::Alert => ("1;97;41", " ALERT "),
                    Severity::Nudge => ("1;30;43", " NUDGE "),
                    Severity::Praise => ("1;30;42", " GOOD  "),
                };
                format!(
                    "{}      {} {}  {}",
                    mmss_tenths(*time),
                    self.paint(code, tag),
                    self.paint("1", message),
                    self.paint("2", &format!("({id})"))
                )
            }
            SessionEvent::Device(d) => format!(
                "{}      {} {} input {}: {}",
                mmss_tenths(d.time),
                self.paint("1;33", "DEVICE"),
                d.speaker,
                d.event.as_str(),
                d.detail
            ),
            SessionEvent::Warning { message } => {
                format!("{} {}", self.paint("1;33", "warning:"), message)
            }
            SessionEvent::Unclear { speaker, start, .. } => format!(
                "{} {} {}",
                mmss_tenths(*start),
                self.who(*speaker),
                self.paint("2", "(unclear)")
            ),
            // Said by the warning recorded beside it.
            SessionEvent::SessionStart { .. }
            | SessionEvent::Gap { .. }
            | SessionEvent::TranscriptStopped { .. }
            | SessionEvent::SessionEnd { .. } => return Ok(()),
        };
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }
}
