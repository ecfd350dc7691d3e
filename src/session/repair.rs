//! Recovery of sessions whose recorder never finished (killed, crashed, power loss): fixes the
//! WAV header from the file length, drops a cut-off last event line, then does what
//! `Recorder::finish` would have done (markers, exports, scorecard, `session.json` with
//! `finished: true, repaired: true`). Called by `ringside sessions repair` and at startup
//! (`repair_unfinished`), on the caller's thread.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::format::{read_events, SessionEvent};
use super::recorder::{write_exports, write_info};
use super::scorecard::Scorecard;
use super::store::{info_or_rebuild, session_dirs};
use super::wav::{repair_wav, rewrite_markers, WavRepair};
use super::{export, SessionError, AUDIO_FILE, EVENTS_FILE};
use crate::event::samples_to_secs;

/// What [`repair`] found and did.
#[derive(Debug, Clone)]
pub struct RepairReport {
    pub dir: PathBuf,
    pub id: String,
    /// The session was already finished; nothing was changed.
    pub already_finished: bool,
    /// The WAV repair, if there was an `audio.wav`.
    pub wav: Option<WavRepair>,
    /// Seconds of audio kept.
    pub duration: f64,
    pub utterances: usize,
    /// The cut-off last line of `events.jsonl` that was dropped.
    pub dropped_tail: Option<String>,
    /// 1-based numbers of unreadable lines in the middle of the log (kept in the file,
    /// ignored for the scorecard).
    pub bad_lines: Vec<usize>,
    /// Problems that did not stop the repair, one line each.
    pub warnings: Vec<String>,
}

impl std::fmt::Display for RepairReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.already_finished {
            return write!(f, "{}: finished, nothing to repair", self.id);
        }
        write!(
            f,
            "{}: repaired, {:.1} s of audio, {} utterances",
            self.id, self.duration, self.utterances
        )?;
        if let Some(w) = &self.wav {
            if w.header_fixed {
                write!(f, ", WAV header fixed")?;
            }
            if w.cut_bytes > 0 {
                write!(f, " ({} trailing bytes cut)", w.cut_bytes)?;
            }
        }
        if self.dropped_tail.is_some() {
            write!(f, ", cut-off last event line dropped")?;
        }
        if !self.bad_lines.is_empty() {
            write!(f, ", unreadable event lines {:?} ignored", self.bad_lines)?;
        }
        for w in &self.warnings {
            write!(f, "; warning: {w}")?;
        }
        Ok(())
    }
}

/// True if a live Ringside is recording the session in `dir` (recorded pid `pid`). The lock
/// file answers that exactly; sessions recorded before it existed fall back to the pid, which
/// must also be a live process running a `ringside` executable (a reused pid after a reboot is
/// not).
fn recording_live(dir: &Path, pid: u32) -> bool {
    match super::session_locked(dir) {
        Some(locked) => locked,
        None => pid_alive(pid) && pid_is_ringside(pid),
    }
}

/// Whether process `pid` runs a `ringside` binary: its `/proc/<pid>/exe`, else (when that
/// link is not readable, as in some containers) its `comm` name. Unknown counts as yes:
/// refusing is the safe side.
fn pid_is_ringside(pid: u32) -> bool {
    let is_ringside = |name: &str| name.trim().starts_with("ringside");
    if let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) {
        return exe
            .file_name()
            .is_some_and(|n| is_ringside(&n.to_string_lossy()));
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => is_ringside(&comm),
        Err(_) => true,
    }
}

/// True if a process with this id exists (and is not us).
fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks whether the process exists.
    unsafe { libc::kill(p, 0) == 0 }
}

/// True if the session is unfinished and no running process is recording it.
pub fn needs_repair(dir: &Path) -> bool {
    match super::store::load_session(dir) {
        Ok(s) => !s.info.finished && !s.info.pid.is_some_and(|p| recording_live(dir, p)),
        Err(_) => false,
    }
}

/// Repairs one session directory (see the module docs). A finished session is left alone.
pub fn repair(dir: &Path) -> Result<RepairReport, SessionError> {
    let events_path = dir.join(EVENTS_FILE);
    let log = if events_path.exists() {
        read_events(&events_path)?
    } else {
        Default::default()
    };
    let mut info = info_or_rebuild(dir, &log)?;
    let mut report = RepairReport {
        dir: dir.to_path_buf(),
        id: info.id.clone(),
        already_finished: info.finished,
        wav: None,
        duration: info.duration,
        utterances: 0,
        dropped_tail: log.truncated_tail.clone(),
        bad_lines: log.bad_lines.clone(),
        warnings: Vec::new(),
    };
    if info.finished {
        return Ok(report);
    }
    if let Some(pid) = info.pid.filter(|&p| recording_live(dir, p)) {
        return Err(SessionError::InUse {
            path: dir.to_path_buf(),
            pid,
        });
    }
    // Held while repairing: a drill, export or delete of the session waits its turn.
    let _lock = match super::lock_for_use(dir) {
        Err(SessionError::Recording { .. }) => {
            return Err(SessionError::InUse {
                path: dir.to_path_buf(),
                pid: info.pid.unwrap_or_default(),
            })
        }
        // A read-only directory: the writes below say so.
        r => r.ok(),
    };

    // Audio first: its length is the session's duration.
    let wav_path = dir.join(AUDIO_FILE);
    let mut frames = 0;
    if wav_path.exists() {
        let w = repair_wav(&wav_path, info.channels)?;
        frames = w.frames;
        info.channels = w.channels;
        report.wav = Some(w);
    } else {
        report
            .warnings
            .push(format!("{} is missing", wav_path.display()));
    }
    let duration = samples_to_secs(frames);

    // Events: cut the partial line off the file and close the log with session_end.
    let mut events = log.events;
    let had_end = matches!(events.last(), Some(SessionEvent::SessionEnd { .. }));
    events.retain(|e| !matches!(e, SessionEvent::SessionEnd { .. }));
    // A crash during finish can leave a complete log; don't close it twice.
    if events_path.exists() && !had_end {
        if let Err(e) = close_log(&events_path, &events, duration) {
            report.warnings.push(e.to_string());
        }
    }
    report.utterances = events
        .iter()
        .filter(|e| matches!(e, SessionEvent::Utterance { .. }))
        .count();

    if wav_path.exists() {
        if let Err(e) = rewrite_markers(&wav_path, &export::markers(&events, frames)) {
            report.warnings.push(e.to_string());
        }
    }
    report.warnings.extend(
        write_exports(dir, &info.id, &events)
            .iter()
            .map(|e| e.to_string()),
    );
    let scorecard = Scorecard::compute(&events, Some(duration));
    info.duration = duration;
    info.finished = true;
    info.repaired = true;
    info.pid = None;
    info.scorecard = Some(scorecard);
    write_info(dir, &info)?;
    let _ = std::fs::remove_file(dir.join(super::LOCK_FILE));
    report.duration = duration;
    Ok(report)
}

/// Rewrites the event log to its complete lines and appends `session_end`.
fn close_log(path: &Path, events: &[SessionEvent], duration: f64) -> Result<(), SessionError> {
    let bytes = crate::files::read_regular(path, u64::MAX, crate::files::Links::Refuse).map_err(
        |source| SessionError::Read {
            path: path.to_path_buf(),
            source,
        },
    )?;
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let werr = |source| SessionError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(werr)?;
    f.set_len(keep as u64).map_err(werr)?;
    let end = SessionEvent::SessionEnd {
        duration,
        utterances: events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Utterance { .. }))
            .count() as u64,
        cues: events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Cue { .. }))
            .count() as u64,
    };
    let mut line = serde_json::to_vec(&end).unwrap_or_default();
    line.push(b'\n');
    use std::io::Seek;
    f.seek(std::io::SeekFrom::End(0)).map_err(werr)?;
    f.write_all(&line).map_err(werr)?;
    f.sync_all().map_err(werr)
}

/// Repairs every unfinished session in `sessions_dir` that no running process is recording.
/// One failing session does not stop the others: its error is returned in its slot.
pub fn repair_unfinished(
    sessions_dir: &Path,
) -> Result<Vec<Result<RepairReport, SessionError>>, SessionError> {
    // Unfinished sessions in use are in the list too (as `InUse`), so the user hears why
    // they were left alone.
    Ok(session_dirs(sessions_dir)?
        .into_iter()
        .filter(|d| super::store::load_session(d).is_ok_and(|s| !s.info.finished))
        .map(|d| repair(&d))
        .collect())
}

/// Repairs sessions a crash left unfinished, telling the user what was done.
pub fn repair_crashed(dir: &std::path::Path) {
    if let Ok(reports) = repair_unfinished(dir) {
        for r in reports {
            match r {
                Ok(rep) => eprintln!("ringside: repaired an unfinished session: {rep}"),
                Err(SessionError::InUse { .. }) => {}
                Err(e) => eprintln!("ringside: warning: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Act, ClassifiedUtterance, Speaker, Utterance};
    use crate::session::{Recorder, SessionInfo, SessionMeta, INFO_FILE};

    #[test]
    fn repairs_a_dropped_recorder_with_bad_header_and_cut_line() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 2).unwrap();
        let dir = r.dir().to_path_buf();
        r.push_audio(Speaker::Me, 0, &[0.1; 8000]).unwrap();
        r.push_audio(Speaker::Them, 0, &[0.1; 8000]).unwrap();
        r.utterance(&ClassifiedUtterance {
            utterance: Utterance {
                prosody: None,
                id: 0,
                speaker: Speaker::Them,
                start_sample: 0,
                end_sample: 4000,
                text: "Book me for Tuesday.".into(),
                latency_ms: None,
                hesitation: None,
            },
            act: Act::CommitmentYes,
            why: "t".into(),
            confidence: None,
            unsure: false,
        })
        .unwrap();
        drop(r); // the "crash"
                 // Header says 0 bytes of data (< 1 s was written), plus a partial frame and a cut line.
        let wav = dir.join(AUDIO_FILE);
        let mut f = std::fs::OpenOptions::new().append(true).open(&wav).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        let mut e = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(EVENTS_FILE))
            .unwrap();
        e.write_all(b"{\"type\":\"cue\",\"id\":\"comm").unwrap();
        assert!(needs_repair(&dir));

        let rep = repair(&dir).unwrap();
        assert!(!rep.already_finished);
        let w = rep.wav.clone().unwrap();
        assert_eq!((w.frames, w.cut_bytes, w.header_fixed), (8000, 3, true));
        assert!(rep.dropped_tail.is_some());
        assert_eq!(rep.utterances, 1);
        assert!(
            rep.to_string().contains("cut-off last event line dropped"),
            "{rep}"
        );

        let info: SessionInfo =
            serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
        assert!(info.finished && info.repaired);
        assert!(info.scorecard.unwrap().commitment_reached);
        assert_eq!(hound::WavReader::open(&wav).unwrap().len(), 16_000);
        let log = read_events(&dir.join(EVENTS_FILE)).unwrap();
        assert!(log.truncated_tail.is_none());
        assert!(matches!(
            log.events.last(),
            Some(SessionEvent::SessionEnd { .. })
        ));
        assert!(dir.join(super::super::VTT_FILE).exists());
        // Second time: nothing to do.
        assert!(repair(&dir).unwrap().already_finished);
        assert!(!needs_repair(&dir));
        assert!(repair_unfinished(tmp.path()).unwrap().is_empty());
    }

    fn info_of(dir: &Path) -> SessionInfo {
        serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap()
    }

    #[test]
    fn a_session_another_live_process_records_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let dir = r.dir().to_path_buf();
        drop(r);
        let mut info: SessionInfo =
            serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
        // Our parent (the test runner or shell) is alive and not us; the lock held here stands
        // for that other recording process's.
        info.pid = Some(unsafe { libc::getppid() } as u32);
        crate::session::recorder::write_info(&dir, &info).unwrap();
        let _held = crate::session::lock_session(&dir).unwrap();
        assert!(!needs_repair(&dir));
        // Listed as in use (so `sessions repair` can say why it was left), not repaired.
        let all = repair_unfinished(tmp.path()).unwrap();
        assert!(
            matches!(all.as_slice(), [Err(SessionError::InUse { .. })]),
            "{all:?}"
        );
        let e = repair(&dir).unwrap_err().to_string();
        assert!(e.contains("in use"), "{e}");
        assert!(!info_of(&dir).finished);
    }

    #[test]
    fn a_reused_pid_of_another_program_does_not_block_repair() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let dir = r.dir().to_path_buf();
        drop(r); // a crash: the lock file stays, unlocked
        let mut info: SessionInfo =
            serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
        info.pid = Some(unsafe { libc::getppid() } as u32);
        crate::session::recorder::write_info(&dir, &info).unwrap();
        assert!(needs_repair(&dir));
        repair(&dir).unwrap();
        assert!(!dir.join(crate::session::LOCK_FILE).exists());
    }

    #[test]
    fn crash_during_finish_is_repaired_without_a_second_session_end() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let dir = r.dir().to_path_buf();
        r.push_audio(Speaker::Me, 0, &[0.0; 4000]).unwrap();
        r.cue(&crate::event::Cue {
            review_only: false,
            id: crate::event::CueId::NoHeard,
            severity: crate::event::Severity::Praise,
            message: "no".into(),
            at_sample: 2000,
            utterance_id: None,
        })
        .unwrap();
        let f = r.finish().unwrap();
        assert_eq!(
            crate::session::wav::read_markers(&dir.join(AUDIO_FILE))
                .unwrap()
                .len(),
            1
        );
        let mut info = f.info;
        info.finished = false; // as if killed before the final rename of session.json
        crate::session::recorder::write_info(&dir, &info).unwrap();
        let rep = repair(&dir).unwrap();
        assert_eq!(
            rep.wav.unwrap().frames,
            4000,
            "marker chunks are not taken for audio"
        );
        let log = read_events(&dir.join(EVENTS_FILE)).unwrap();
        let ends = log
            .events
            .iter()
            .filter(|e| matches!(e, SessionEvent::SessionEnd { .. }))
            .count();
        assert_eq!(ends, 1);
        assert_eq!(
            crate::session::wav::read_markers(&dir.join(AUDIO_FILE))
                .unwrap()
                .len(),
            1
        );
    }
}
