//! Terminal sink: the live transcript, one line per utterance with the speaker and act, and the
//! current cue shown prominently (one at a time, coloured by severity). Runs on the session
//! thread. Colour only when stdout is a terminal (and NO_COLOR is unset).

use std::io::{IsTerminal, Write};

use crate::app::Event;
use crate::event::{samples_to_secs, Severity, Speaker};

pub struct TerminalSink {
    color: bool,
    show_praise: bool,
    out: std::io::Stdout,
}

fn mmss(secs: f64) -> String {
    let m = (secs / 60.0).floor() as u64;
    format!("{:02}:{:04.1}", m, secs - m as f64 * 60.0)
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

    pub fn handle(&mut self, ev: &Event) -> std::io::Result<()> {
        let line = match ev {
            Event::Audio(_) => return Ok(()),
            Event::Utterance(cu) => {
                let u = &cu.utterance;
                let who = match u.speaker {
                    Speaker::Me => self.paint("1;36", "me  "),
                    Speaker::Them => self.paint("1;35", "them"),
                };
                let lat = u
                    .latency_ms
                    .map(|l| format!(" ({l:.0} ms)"))
                    .unwrap_or_default();
                let act = self.paint("2", &format!("[{}]", cu.act));
                format!(
                    "{} {} {} {}{}",
                    mmss(u.start_secs()),
                    who,
                    u.text,
                    act,
                    self.paint("2", &lat)
                )
            }
            Event::Cue(c) => {
                if c.severity == Severity::Praise && !self.show_praise {
                    return Ok(());
                }
                let (code, tag) = match c.severity {
                    Severity::Alert => ("1;97;41", " ALERT "),
                    Severity::Nudge => ("1;30;43", " NUDGE "),
                    Severity::Praise => ("1;30;42", " GOOD  "),
                };
                format!(
                    "{}      {} {}  {}",
                    mmss(samples_to_secs(c.at_sample)),
                    self.paint(code, tag),
                    self.paint("1", &c.message),
                    self.paint("2", &format!("({})", c.id))
                )
            }
            Event::Device {
                speaker,
                change,
                at_sample,
                detail,
            } => format!(
                "{}      {} {} input {}: {}",
                mmss(samples_to_secs(*at_sample)),
                self.paint("1;33", "DEVICE"),
                speaker,
                change.as_str(),
                detail
            ),
            Event::Warning(w) => format!("{} {}", self.paint("1;33", "warning:"), w),
            Event::Unclear(u) => {
                let who = match u.speaker {
                    Speaker::Me => self.paint("1;36", "me  "),
                    Speaker::Them => self.paint("1;35", "them"),
                };
                format!(
                    "{} {} {}",
                    mmss(samples_to_secs(u.start_sample)),
                    who,
                    self.paint("2", "(unclear)")
                )
            }
        };
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }
}
