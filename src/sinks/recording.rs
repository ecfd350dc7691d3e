//! The recording sink: forwards the call (both audio channels, classified utterances, cues,
//! device changes) to a [`Recorder`] that writes the session directory. Runs on the
//! coach/sink thread; the capture threads' audio blocks reach it through the pipeline.
//!
//! Write failures never stop the call: each is reported once (as the returned warning line)
//! and the failing file stops growing while the rest carries on.

use std::path::Path;

use super::Sink;
use crate::event::{AudioBlock, SessionEvent};
use crate::session::{FinishedSession, Recorder, SessionError, SessionInfo, SessionMeta};

/// Records one session. `create` makes the directory, [`Sink::audio`] and [`Sink::handle`]
/// append, `finish` closes. Warnings ([`SessionEvent::Warning`]) are shown, not recorded.
#[derive(Debug)]
pub struct RecordingSink {
    recorder: Recorder,
    /// Warnings already given (a failing file is reported once).
    warned_audio: bool,
    warned_events: bool,
    /// Warnings not yet taken by the session (see [`RecordingSink::take_warning`]).
    pending: std::collections::VecDeque<String>,
}

impl RecordingSink {
    /// Creates the session directory under `sessions_dir`; `channels` is 2 when there is a
    /// counterpart channel, else 1.
    pub fn create(
        sessions_dir: &Path,
        meta: SessionMeta,
        channels: u16,
    ) -> Result<RecordingSink, SessionError> {
        Ok(RecordingSink {
            recorder: Recorder::create(sessions_dir, meta, channels)?,
            warned_audio: false,
            warned_events: false,
            pending: Default::default(),
        })
    }

    /// The session directory being written.
    pub fn dir(&self) -> &Path {
        self.recorder.dir()
    }

    /// The rewrite rules of the debrief written at the end (default: the built-in ones).
    pub fn set_rewrites(&mut self, rules: crate::transforms::rewrite::RewriteRules) {
        self.recorder.set_rewrites(rules);
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// A full disk is said once, for audio and events together, naming the session directory
    /// and the way out; other failures once per file.
    fn disk_full_warning(&mut self, e: &SessionError) -> Option<Option<String>> {
        if !e.is_disk_full() {
            return None;
        }
        if self.warned_audio && self.warned_events {
            return Some(None);
        }
        self.warned_audio = true;
        self.warned_events = true;
        Some(Some(crate::session::recorder::disk_full_line(
            self.recorder.dir(),
        )))
    }

    fn audio_warning(&mut self, r: Result<(), SessionError>) -> Option<String> {
        if let Err(e) = &r {
            if let Some(w) = self.disk_full_warning(e) {
                return w;
            }
        }
        match r {
            Err(e) if !self.warned_audio => {
                self.warned_audio = true;
                Some(e.to_string())
            }
            _ => None,
        }
    }

    fn event_warning(&mut self, r: Result<(), SessionError>) -> Option<String> {
        if let Err(e) = &r {
            if let Some(w) = self.disk_full_warning(e) {
                return w;
            }
        }
        match r {
            Err(e) if !self.warned_events => {
                self.warned_events = true;
                Some(e.to_string())
            }
            _ => None,
        }
    }

    /// The next warning line not yet taken (a failing file is reported once): the session
    /// shows it to the other sinks and goes on.
    pub fn take_warning(&mut self) -> Option<String> {
        self.pending.pop_front()
    }

    fn queue(&mut self, w: Option<String>) {
        if let Some(w) = w {
            self.pending.push_back(w);
        }
    }

    /// Finishes the session (markers, exports, scorecard, `session.json`).
    pub fn finish(self) -> Result<FinishedSession, SessionError> {
        self.recorder.finish()
    }
}

impl Sink for RecordingSink {
    fn audio(&mut self, block: &AudioBlock) -> std::io::Result<()> {
        let r = self
            .recorder
            .push_audio(block.speaker, block.start_sample, &block.samples);
        let w = self.audio_warning(r);
        self.queue(w);
        Ok(())
    }

    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        if let SessionEvent::Warning { .. } = ev {
            return Ok(());
        }
        let r = self.recorder.event(ev.clone());
        let w = self.event_warning(r);
        self.queue(w);
        Ok(())
    }
}

impl RecordingSink {
    /// What `session.json` says of the session so far (its id, for [`Sink::begin`]).
    pub fn info(&self) -> &SessionInfo {
        self.recorder.info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Speaker;

    #[test]
    fn records_blocks_and_finishes() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = RecordingSink::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let b = AudioBlock {
            speaker: Speaker::Me,
            start_sample: 0,
            samples: vec![0.0; 1600],
        };
        s.audio(&b).unwrap();
        assert!(s.take_warning().is_none());
        let f = s.finish().unwrap();
        assert_eq!(f.info.duration, 0.1);
        assert_eq!(f.info.channels, 1);
    }
}
