//! The recording sink: forwards the call (both audio channels, classified utterances, cues,
//! device changes) to a [`Recorder`] that writes the session directory. Runs on the
//! coach/sink thread; the capture threads' audio blocks reach it through the pipeline.
//!
//! Write failures never stop the call: each is reported once (as the returned warning line)
//! and the failing file stops growing while the rest carries on.

use std::path::Path;

use crate::event::{AudioBlock, ClassifiedUtterance, Cue, Speaker};
use crate::session::{DeviceChange, FinishedSession, Recorder, SessionError, SessionMeta};

/// Records one session. `begin` creates the directory, `handle_*` append, `finish` closes.
#[derive(Debug)]
pub struct RecordingSink {
    recorder: Recorder,
    /// Warnings already given (a failing file is reported once).
    warned_audio: bool,
    warned_events: bool,
}

impl RecordingSink {
    /// Creates the session directory under `sessions_dir`; `channels` is 2 when there is a
    /// counterpart channel, else 1.
    pub fn begin(
        sessions_dir: &Path,
        meta: SessionMeta,
        channels: u16,
    ) -> Result<RecordingSink, SessionError> {
        Ok(RecordingSink {
            recorder: Recorder::create(sessions_dir, meta, channels)?,
            warned_audio: false,
            warned_events: false,
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

    /// Adds a block of captured audio. Returns a one-line warning the first time writing
    /// the audio fails.
    pub fn handle_audio(&mut self, block: &AudioBlock) -> Option<String> {
        self.handle_samples(block.speaker, block.start_sample, &block.samples)
    }

    /// Like [`Self::handle_audio`] for a borrowed slice.
    pub fn handle_samples(
        &mut self,
        speaker: Speaker,
        start_sample: u64,
        samples: &[f32],
    ) -> Option<String> {
        let r = self.recorder.push_audio(speaker, start_sample, samples);
        self.audio_warning(r)
    }

    pub fn handle_utterance(&mut self, cu: &ClassifiedUtterance) -> Option<String> {
        let r = self.recorder.utterance(cu);
        self.event_warning(r)
    }

    pub fn handle_unclear(&mut self, u: &crate::event::Unclear) -> Option<String> {
        let r = self.recorder.unclear(u);
        self.event_warning(r)
    }

    pub fn handle_cue(&mut self, cue: &Cue) -> Option<String> {
        let r = self.recorder.cue(cue);
        self.event_warning(r)
    }

    pub fn handle_device(
        &mut self,
        speaker: Speaker,
        change: DeviceChange,
        at_sample: u64,
        detail: &str,
    ) -> Option<String> {
        let r = self
            .recorder
            .device_event(speaker, change, at_sample, detail);
        self.event_warning(r)
    }

    /// Finishes the session (markers, exports, scorecard, `session.json`).
    pub fn finish(self) -> Result<FinishedSession, SessionError> {
        self.recorder.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_blocks_and_finishes() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = RecordingSink::begin(tmp.path(), SessionMeta::default(), 1).unwrap();
        let b = AudioBlock {
            speaker: Speaker::Me,
            start_sample: 0,
            samples: vec![0.0; 1600],
        };
        assert!(s.handle_audio(&b).is_none());
        let f = s.finish().unwrap();
        assert_eq!(f.info.duration, 0.1);
        assert_eq!(f.info.channels, 1);
    }
}
