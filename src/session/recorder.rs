//! The session recorder: creates the session directory and writes `audio.wav` and
//! `events.jsonl` incrementally as the call happens, then the exports and `session.json` at
//! [`Recorder::finish`]. Owned by the recording sink on the coach/sink thread; every call comes
//! from that one thread (audio blocks of both channels are forwarded to it).
//!
//! Crash safety: events are written line by line (fsync at most once a second), the WAV
//! header is refreshed at least once per second of audio, and `session.json` says
//! `finished: false` until the end. Dropping a `Recorder` without `finish` leaves exactly the
//! state a crash leaves; [`super::repair`] recovers it.
//!
//! Write failures (disk full, ...) are returned once as a [`SessionError::Write`] naming the
//! file; after that the failing file is no longer written (the WAV is cut back to its last
//! whole frame with a valid header) and the rest of the session carries on.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::align::{Aligner, GapSpan};
use super::debrief::{self, Debrief};
use super::format::{SessionEvent, SessionInfo, SessionMeta, FORMAT_VERSION};
use super::scorecard::Scorecard;
use super::time::LocalTime;
use super::wav::WavWriter;
use super::{
    create_private, export, write_atomic, SessionError, AUDIO_FILE, EVENTS_FILE, INFO_FILE,
    LABELS_FILE, VTT_FILE,
};
use crate::event::{samples_to_secs, ClassifiedUtterance, Cue, Speaker, SAMPLE_RATE_HZ};
use crate::transforms::rewrite::RewriteRules;

/// A channel more than this far behind the other is padded with silence (and a gap logged).
pub const MAX_CHANNEL_LAG_SAMPLES: u64 = 2 * SAMPLE_RATE_HZ as u64;
/// Holes in one channel's stream shorter than this are zero-filled without a gap event.
const MIN_REPORTED_GAP_SAMPLES: u64 = SAMPLE_RATE_HZ as u64 / 10;
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Writes one session directory.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    info: SessionInfo,
    wav: WavWriter,
    aligner: Aligner,
    events_path: PathBuf,
    events_file: File,
    /// Every event written (or that would have been): the scorecard is computed from these.
    events: Vec<SessionEvent>,
    last_sync: Instant,
    audio_error: Option<String>,
    events_error: Option<String>,
    scratch: Vec<i16>,
    gaps: Vec<GapSpan>,
    /// Length of `events.jsonl` up to its last complete line: a failed write is cut back to it.
    events_len: u64,
    /// The session's `recording.lock`, held (flock) for the recorder's life.
    _lock: Option<File>,
    /// A write failed for lack of space: nothing more is written (see [`Recorder::finish`]).
    disk_full: bool,
    /// The end of the audio pushed so far, written or not (a full disk stops the WAV).
    heard_samples: u64,
    /// Rewrite rules of the debrief written at the end; `None`: the built-in rules.
    rewrites: Option<RewriteRules>,
}

/// The result of [`Recorder::finish`].
#[derive(Debug, Clone)]
pub struct FinishedSession {
    pub dir: PathBuf,
    pub info: SessionInfo,
    pub scorecard: Scorecard,
    /// The debrief (also in `debrief.json`): flagged lines, rewrites, the top changes.
    pub debrief: Debrief,
    /// Files that could not be completed (one line each); the session is still usable.
    pub warnings: Vec<String>,
    /// Set when the recording holds less than the call (a full disk, a failed write).
    pub incomplete: Option<Incomplete>,
}

/// How much of a call its recording holds, when not all of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incomplete {
    /// Seconds of audio in `audio.wav`.
    pub recorded_secs: f64,
    /// Seconds of the call as heard (what the scorecard covers).
    pub heard_secs: f64,
}

impl Incomplete {
    /// One line for the end of a session, e.g. "the recording in DIR is incomplete: ...".
    pub fn line(&self, dir: &Path) -> String {
        format!(
            "the recording in {} is incomplete: it holds {} of the {} call (the scorecard covers the whole call as heard)",
            dir.display(),
            crate::event::mmss(self.recorded_secs),
            crate::event::mmss(self.heard_secs)
        )
    }
}

fn short_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:06x}", h.finish() & 0xff_ffff)
}

/// Creates `dir` (and parents) with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), SessionError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SessionError::Create {
            path: dir.to_path_buf(),
            source,
        })
}

impl Recorder {
    /// Creates `<sessions_dir>/<YYYYmmdd-HHMMSS>-<short id>/` with `audio.wav` (`channels`:
    /// 2 = me left / them right, 1 = me only), `events.jsonl` (with `session_start`) and
    /// `session.json` (`finished: false`).
    pub fn create(
        sessions_dir: &Path,
        meta: SessionMeta,
        channels: u16,
    ) -> Result<Recorder, SessionError> {
        let channels = channels.clamp(1, 2);
        create_private_dir(sessions_dir)?;
        let now = LocalTime::from_system(SystemTime::now());
        let (id, dir) = loop {
            let id = format!("{}-{}", now.stamp(), short_id());
            let dir = sessions_dir.join(&id);
            use std::os::unix::fs::DirBuilderExt;
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => break (id, dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(SessionError::Create { path: dir, source }),
            }
        };
        // Locked before session.json names our pid, so repair never sees the pid unlocked.
        let lock = super::lock_session(&dir).map_err(|source| SessionError::Create {
            path: dir.join(super::LOCK_FILE),
            source,
        })?;
        let info = SessionInfo {
            version: FORMAT_VERSION,
            id: id.clone(),
            started_at: now.rfc3339(),
            duration: 0.0,
            sample_rate: SAMPLE_RATE_HZ,
            channels,
            meta,
            finished: false,
            repaired: false,
            pid: Some(std::process::id()),
            audio_error: None,
            scorecard: None,
        };
        write_info(&dir, &info)?;
        let wav = WavWriter::create(&dir.join(AUDIO_FILE), channels)?;
        let events_path = dir.join(EVENTS_FILE);
        let events_file = create_private(&events_path)?;
        let mut rec = Recorder {
            dir,
            info,
            wav,
            aligner: Aligner::new(channels, MAX_CHANNEL_LAG_SAMPLES, MIN_REPORTED_GAP_SAMPLES),
            events_path,
            events_file,
            events: Vec::new(),
            last_sync: Instant::now(),
            audio_error: None,
            events_error: None,
            scratch: Vec::new(),
            gaps: Vec::new(),
            events_len: 0,
            _lock: Some(lock),
            disk_full: false,
            heard_samples: 0,
            rewrites: None,
        };
        rec.event(SessionEvent::SessionStart {
            version: FORMAT_VERSION,
            id,
            started_at: rec.info.started_at.clone(),
            sample_rate: SAMPLE_RATE_HZ,
            channels,
        })?;
        Ok(rec)
    }

    /// Uses `rules` (instead of the built-in ones) for the debrief written by `finish`.
    pub fn set_rewrites(&mut self, rules: RewriteRules) {
        self.rewrites = Some(rules);
    }

    /// The session directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `session.json` as written at the start (id, start time, channels, metadata).
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// The session id (the directory name).
    pub fn id(&self) -> &str {
        &self.info.id
    }

    pub fn channels(&self) -> u16 {
        self.info.channels
    }

    /// Frames written to `audio.wav` so far.
    pub fn frames_written(&self) -> u64 {
        self.wav.frames()
    }

    /// Sets how far (in samples) one channel may run ahead of the other before the lagging
    /// one is padded with silence; default [`MAX_CHANNEL_LAG_SAMPLES`] (2 s) for live capture.
    /// Offline callers (`analyze`) that push a whole channel before the other should pass
    /// `u64::MAX` (the audio is then buffered in memory until the other channel arrives).
    pub fn set_max_channel_lag(&mut self, samples: u64) {
        self.aligner.set_max_lag(samples);
    }

    /// Samples that arrived for a stream position already written (after a channel was
    /// padded for lagging, or overlapping blocks) and were dropped.
    pub fn late_samples(&self) -> u64 {
        self.aligner.late_samples
    }

    /// The first audio write error, if audio recording has stopped.
    pub fn audio_error(&self) -> Option<&str> {
        self.audio_error.as_deref()
    }

    /// Whether a write failed because the disk (or quota) is full.
    pub fn disk_full(&self) -> bool {
        self.disk_full
    }

    /// The first event-log write error, if the log has stopped.
    pub fn events_error(&self) -> Option<&str> {
        self.events_error.as_deref()
    }

    /// Adds audio of one channel (16 kHz mono f32) starting at `start_sample` of the session.
    /// Channels are aligned by position (see [`Aligner`]); with one channel, "them" audio is
    /// ignored. Returns the write error the first time writing fails; afterwards audio is
    /// dropped silently (check [`Recorder::audio_error`]).
    pub fn push_audio(
        &mut self,
        speaker: Speaker,
        start_sample: u64,
        samples: &[f32],
    ) -> Result<(), SessionError> {
        // The call as heard, also past a full disk: the scorecard covers all of it.
        self.heard_samples = self.heard_samples.max(start_sample + samples.len() as u64);
        if self.wav.failed() {
            return Ok(());
        }
        self.scratch.clear();
        self.gaps.clear();
        self.aligner.push(
            speaker,
            start_sample,
            samples,
            &mut self.scratch,
            &mut self.gaps,
        );
        let res = self.write_scratch();
        let gaps = std::mem::take(&mut self.gaps);
        for g in &gaps {
            let _ = self.event(SessionEvent::Gap {
                speaker: g.speaker,
                start: samples_to_secs(g.start_sample),
                end: samples_to_secs(g.end_sample),
            });
        }
        self.gaps = gaps;
        self.maybe_sync();
        res
    }

    fn write_scratch(&mut self) -> Result<(), SessionError> {
        match self.wav.write_samples(&self.scratch) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.audio_error.get_or_insert_with(|| e.to_string());
                self.disk_full |= e.is_disk_full();
                Err(e)
            }
        }
    }

    /// Records a classified utterance.
    pub fn utterance(&mut self, cu: &ClassifiedUtterance) -> Result<(), SessionError> {
        self.event(SessionEvent::from_utterance(cu))
    }

    /// Records a cue (any severity).
    pub fn cue(&mut self, c: &Cue) -> Result<(), SessionError> {
        self.event(SessionEvent::from_cue(c))
    }

    /// Appends one event line (write + flush; fsync at most once a second).
    pub fn event(&mut self, ev: SessionEvent) -> Result<(), SessionError> {
        let res = if self.events_error.is_some() {
            Ok(())
        } else {
            // One complete buffer per line; a failed write (full disk) is cut back to the last
            // complete line, so the log never ends in half a line.
            let mut line = serde_json::to_vec(&ev).unwrap_or_default();
            line.push(b'\n');
            match self
                .events_file
                .write_all(&line)
                .and_then(|()| self.events_file.flush())
            {
                Ok(()) => {
                    self.events_len += line.len() as u64;
                    Ok(())
                }
                Err(source) => {
                    use std::io::Seek;
                    let _ = self.events_file.set_len(self.events_len);
                    let _ = self
                        .events_file
                        .seek(std::io::SeekFrom::Start(self.events_len));
                    let e = SessionError::Write {
                        path: self.events_path.clone(),
                        source,
                    };
                    self.events_error = Some(e.to_string());
                    self.disk_full |= e.is_disk_full();
                    Err(e)
                }
            }
        };
        self.events.push(ev);
        self.maybe_sync();
        res
    }

    fn maybe_sync(&mut self) {
        if self.last_sync.elapsed() < SYNC_INTERVAL {
            return;
        }
        self.last_sync = Instant::now();
        if self.events_error.is_none() {
            let _ = self.events_file.sync_data();
        }
        let _ = self.wav.sync();
    }

    /// Flushes the remaining audio (the shorter channel padded with silence), appends the
    /// cue markers to the WAV, writes `session_end`, `transcript.vtt`, `labels.txt` and
    /// `session.json` (`finished: true`, with the scorecard). Problems with single files are
    /// returned as warnings, `session.json` included: the scorecard is computed in memory and
    /// returned anyway, and a session whose `session.json` could not be finished stays
    /// unfinished on disk for `ringside sessions repair`. The `Result` is kept for callers.
    pub fn finish(mut self) -> Result<FinishedSession, SessionError> {
        // A full disk before the end was reported once (the sink's warning); one found during
        // the end is reported here, once. After it, nothing more is written: the session stays
        // unfinished on disk and `sessions repair` completes it once there is space.
        let full_before = self.disk_full;
        let mut warnings = Vec::new();
        let note =
            |disk_full: &mut bool, dir: &Path, e: SessionError, warnings: &mut Vec<String>| {
                if e.is_disk_full() {
                    if !*disk_full {
                        *disk_full = true;
                        if !full_before {
                            warnings.push(disk_full_line(dir));
                        }
                    }
                } else {
                    warnings.push(e.to_string());
                }
            };
        if !self.wav.failed() {
            self.scratch.clear();
            self.aligner.flush_all(&mut self.scratch);
            if let Err(e) = self.write_scratch() {
                note(&mut self.disk_full, &self.dir, e, &mut warnings);
            }
        }
        let frames = self.wav.frames();
        let duration = samples_to_secs(frames);
        let utterances = self
            .events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Utterance { .. }))
            .count() as u64;
        let cues = self
            .events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Cue { .. }))
            .count() as u64;
        if let Err(e) = self.event(SessionEvent::SessionEnd {
            duration,
            utterances,
            cues,
        }) {
            note(&mut self.disk_full, &self.dir, e, &mut warnings);
        }
        let _ = self.events_file.sync_all();
        // Scored as heard: after a full disk the WAV is shorter than the call.
        let heard = samples_to_secs(self.heard_samples).max(duration);
        let scorecard = Scorecard::compute(&self.events, Some(heard));
        let wav_failed = self.wav.failed();
        let mut info = self.info.clone();
        info.duration = duration;
        info.finished = true;
        info.pid = None;
        info.audio_error = self.audio_error.clone().or(self.events_error.clone());
        info.scorecard = Some(scorecard.clone());
        if !self.disk_full {
            let markers = export::markers(&self.events, frames);
            if let Err(e) = self.wav.finish(&markers) {
                note(&mut self.disk_full, &self.dir, e, &mut warnings);
            }
        }
        if !self.disk_full {
            for e in write_exports(&self.dir, &self.info.id, &self.events) {
                note(&mut self.disk_full, &self.dir, e, &mut warnings);
            }
        }
        let debrief = match self.rewrites.take().map_or_else(RewriteRules::builtin, Ok) {
            Ok(rules) => debrief::build(&self.events, &rules),
            Err(e) => {
                warnings.push(e.to_string());
                Debrief::default()
            }
        };
        if !self.disk_full {
            if let Err(e) = debrief::write(&self.dir, &debrief) {
                note(&mut self.disk_full, &self.dir, e, &mut warnings);
            }
        }
        if !self.disk_full {
            match write_info(&self.dir, &info) {
                Ok(()) => {
                    let _ = std::fs::remove_file(self.dir.join(super::LOCK_FILE));
                }
                Err(e) => note(&mut self.disk_full, &self.dir, e, &mut warnings),
            }
        }
        if self.disk_full {
            // What the caller prints is the call as it happened; on disk it is unfinished.
            info.finished = false;
        }
        let incomplete =
            (self.disk_full || wav_failed || heard > duration + 0.5).then_some(Incomplete {
                recorded_secs: duration,
                heard_secs: heard,
            });
        Ok(FinishedSession {
            dir: self.dir.clone(),
            info,
            scorecard,
            debrief,
            warnings,
            incomplete,
        })
    }
}

/// Writes `session.json` atomically.
pub(crate) fn write_info(dir: &Path, info: &SessionInfo) -> Result<(), SessionError> {
    let mut bytes = serde_json::to_vec_pretty(info).map_err(|e| SessionError::Corrupt {
        path: dir.join(INFO_FILE),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(dir, INFO_FILE, &bytes)
}

/// Writes `transcript.vtt` and `labels.txt`; returns one warning line per failure.
pub(crate) fn write_exports(dir: &Path, id: &str, events: &[SessionEvent]) -> Vec<SessionError> {
    let mut errors = Vec::new();
    if let Err(e) = write_atomic(dir, VTT_FILE, export::vtt(id, events).as_bytes()) {
        errors.push(e);
    }
    if let Err(e) = write_atomic(dir, LABELS_FILE, export::labels(events).as_bytes()) {
        errors.push(e);
    }
    errors
}

/// The one line that reports a full disk: the session directory and what to do.
pub fn disk_full_line(dir: &Path) -> String {
    format!(
        "the disk is full: recording to {} stopped (the call goes on; its transcript, cues and scorecard are kept in memory); free space, then run `ringside sessions repair`",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Act, CueId, Severity, Utterance};
    use std::os::unix::fs::PermissionsExt;

    fn cu(
        id: u64,
        speaker: Speaker,
        start: u64,
        end: u64,
        text: &str,
        act: Act,
    ) -> ClassifiedUtterance {
        ClassifiedUtterance {
            utterance: Utterance {
                prosody: None,
                id,
                speaker,
                start_sample: start,
                end_sample: end,
                text: text.into(),
                latency_ms: Some(500.0),
                hesitation: None,
            },
            act,
            why: "test".into(),
            confidence: None,
            unsure: false,
        }
    }

    /// A full disk without root or a mount: the event log is swapped for `/dev/full`, whose
    /// writes fail with ENOSPC (the integration test `full_disk_mid_call_...` in
    /// tests/hardening.rs uses a real 1 MB tmpfs).
    #[test]
    fn full_disk_is_reported_once_and_finish_still_scores_without_finishing_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let dir = r.dir().to_path_buf();
        r.utterance(&cu(
            0,
            Speaker::Me,
            0,
            16_000,
            "Is now a bad time?",
            Act::NoQuestion,
        ))
        .unwrap();
        let kept = std::fs::read(dir.join(EVENTS_FILE)).unwrap();
        r.events_file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let e = r
            .utterance(&cu(
                1,
                Speaker::Them,
                16_000,
                32_000,
                "Book me for Tuesday.",
                Act::CommitmentYes,
            ))
            .unwrap_err();
        assert!(e.is_disk_full(), "{e}");
        assert!(r.disk_full());
        // Later events are kept in memory only, without a second error.
        r.cue(&Cue {
            review_only: false,
            id: CueId::Commitment,
            severity: Severity::Praise,
            message: "That's a commitment.".into(),
            at_sample: 32_000,
            utterance_id: Some(1),
        })
        .unwrap();
        let f = r.finish().unwrap();
        assert!(f.scorecard.commitment_reached, "scored from memory");
        assert!(f.warnings.is_empty(), "already said once: {:?}", f.warnings);
        assert!(!f.info.finished);
        let info: SessionInfo =
            serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
        assert!(!info.finished, "left for `sessions repair`");
        assert_eq!(std::fs::read(dir.join(EVENTS_FILE)).unwrap(), kept);
        let litter: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(litter.is_empty(), "{litter:?}");
        let rep = crate::session::repair(&dir).unwrap();
        assert_eq!(rep.utterances, 1);
    }

    #[test]
    fn records_a_session_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 2).unwrap();
        let dir = r.dir().to_path_buf();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let info: SessionInfo =
            serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
        assert!(!info.finished);
        r.push_audio(Speaker::Me, 0, &[0.1; 16_000]).unwrap();
        r.push_audio(Speaker::Them, 0, &[0.2; 8_000]).unwrap();
        r.utterance(&cu(
            0,
            Speaker::Me,
            100,
            8000,
            "Is now a bad time?",
            Act::NoQuestion,
        ))
        .unwrap();
        r.cue(&Cue {
            review_only: false,
            id: CueId::GoodNoQuestion,
            severity: Severity::Praise,
            message: "Good".into(),
            at_sample: 8000,
            utterance_id: Some(0),
        })
        .unwrap();
        r.event(SessionEvent::Device(crate::event::DeviceNotice {
            speaker: Speaker::Them,
            event: crate::event::DeviceChange::Lost,
            time: samples_to_secs(8000),
            detail: "usb".into(),
        }))
        .unwrap();
        let f = r.finish().unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert!(f.info.finished && !f.info.repaired);
        assert_eq!(f.info.pid, None);
        assert_eq!(f.info.duration, 1.0);
        for name in [AUDIO_FILE, EVENTS_FILE, INFO_FILE, VTT_FILE, LABELS_FILE] {
            let m = std::fs::metadata(dir.join(name)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600, "{name}");
        }
        let wav = hound::WavReader::open(dir.join(AUDIO_FILE)).unwrap();
        assert_eq!(wav.len(), 32_000);
        let log = super::super::format::read_events(&dir.join(EVENTS_FILE)).unwrap();
        assert_eq!(log.events.len(), 5);
        assert!(matches!(
            log.events[4],
            SessionEvent::SessionEnd {
                utterances: 1,
                cues: 1,
                ..
            }
        ));
        assert_eq!(f.scorecard.questions.no, 1);
    }

    #[test]
    fn event_log_write_failure_is_reported_once_and_the_session_goes_on() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        // /dev/full: every write fails with ENOSPC.
        r.events_file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let u = cu(
            0,
            Speaker::Them,
            0,
            8000,
            "Book me for Tuesday.",
            Act::CommitmentYes,
        );
        let e = r.utterance(&u).unwrap_err().to_string();
        assert!(
            e.contains("events.jsonl") && e.contains("disk is full"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        assert!(r.utterance(&u).is_ok(), "reported once");
        assert!(r.events_error().is_some());
        r.push_audio(Speaker::Me, 0, &[0.0; 16_000]).unwrap();
        let f = r.finish().unwrap();
        assert_eq!(f.scorecard.commitment_yeses, 2, "events are kept in memory");
        assert!(f.info.audio_error.unwrap().contains("events.jsonl"));
        assert_eq!(f.info.duration, 1.0);
    }

    #[test]
    fn offline_callers_can_push_one_channel_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 2).unwrap();
        r.set_max_channel_lag(u64::MAX);
        r.push_audio(Speaker::Me, 0, &vec![0.5; 80_000]).unwrap();
        r.push_audio(Speaker::Them, 0, &vec![0.25; 80_000]).unwrap();
        assert_eq!(r.late_samples(), 0);
        let dir = r.dir().to_path_buf();
        r.finish().unwrap();
        let s: Vec<i16> = hound::WavReader::open(dir.join(AUDIO_FILE))
            .unwrap()
            .into_samples::<i16>()
            .map(|x| x.unwrap())
            .collect();
        assert_eq!(s.len(), 160_000);
        assert!(s.chunks(2).all(|f| f == [16384, 8192]));
    }
}
