//! Finding and loading sessions on disk: listing a sessions directory, resolving what the
//! user typed (full id, unique prefix, short id, or a path) to a directory, and loading a
//! session's metadata, events and scorecard (computed from the events when the session is
//! unfinished). Used by the `sessions`, `report` and `review` commands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::format::{read_events, EventLog, SessionEvent, SessionInfo, FORMAT_VERSION};
use super::scorecard::Scorecard;
use super::{SessionError, AUDIO_FILE, EVENTS_FILE, INFO_FILE};
use crate::event::{CueId, SAMPLE_RATE_HZ};

/// A session loaded for reporting or review.
#[derive(Debug, Clone)]
pub struct LoadedSession {
    pub dir: PathBuf,
    pub info: SessionInfo,
    pub events: Vec<SessionEvent>,
    /// The scorecard from `session.json`, or computed from the events if there is none.
    pub scorecard: Scorecard,
    /// Problems met while reading the event log (cut-off last line, bad lines).
    pub log_issues: Vec<String>,
}

/// One row of `ringside sessions`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub id: String,
    pub dir: PathBuf,
    pub started_at: String,
    pub duration: f64,
    pub utterances: u32,
    pub commitment_reached: bool,
    pub cues: BTreeMap<CueId, u32>,
    pub finished: bool,
    pub repaired: bool,
}

/// True if `dir` looks like a session directory.
pub fn is_session_dir(dir: &Path) -> bool {
    dir.join(INFO_FILE).is_file() || dir.join(EVENTS_FILE).is_file()
}

fn read_info(dir: &Path) -> Result<Option<SessionInfo>, SessionError> {
    let path = dir.join(INFO_FILE);
    match crate::files::read_regular(
        &path,
        crate::files::MAX_SESSION_JSON_BYTES,
        crate::files::Links::Refuse,
    ) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SessionError::Corrupt {
                path,
                message: format!("{e}; run `ringside sessions repair` to rebuild it"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SessionError::Read { path, source }),
    }
}

/// Metadata of a session from `session.json`, or rebuilt from the event log and WAV when the
/// file is missing or unreadable (a crash before it was written).
pub(crate) fn info_or_rebuild(dir: &Path, log: &EventLog) -> Result<SessionInfo, SessionError> {
    if let Ok(Some(info)) = read_info(dir) {
        return Ok(info);
    }
    if !is_session_dir(dir) {
        return Err(SessionError::NotASession {
            path: dir.to_path_buf(),
        });
    }
    let (id, started_at, channels) = log
        .events
        .iter()
        .find_map(|e| match e {
            SessionEvent::SessionStart {
                id,
                started_at,
                channels,
                ..
            } => Some((id.clone(), started_at.clone(), *channels)),
            _ => None,
        })
        .unwrap_or_else(|| {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, String::new(), 2)
        });
    Ok(SessionInfo {
        version: FORMAT_VERSION,
        id,
        started_at,
        duration: wav_duration(&dir.join(AUDIO_FILE), channels).unwrap_or(0.0),
        sample_rate: SAMPLE_RATE_HZ,
        channels,
        meta: Default::default(),
        finished: false,
        repaired: false,
        pid: None,
        audio_error: None,
        scorecard: None,
    })
}

/// Duration of a session WAV from its length (works with a stale header).
fn wav_duration(path: &Path, channels: u16) -> Option<f64> {
    let len = std::fs::metadata(path).ok()?.len();
    let frames = len.saturating_sub(super::wav::HEADER_LEN) / (2 * channels.max(1) as u64);
    Some(frames as f64 / SAMPLE_RATE_HZ as f64)
}

/// Loads a session directory.
pub fn load_session(dir: &Path) -> Result<LoadedSession, SessionError> {
    if !is_session_dir(dir) {
        return Err(SessionError::NotASession {
            path: dir.to_path_buf(),
        });
    }
    // A linked session directory is never served (detail, export, audio, report).
    super::real_session_dir(dir)?;
    let events_path = dir.join(EVENTS_FILE);
    let log = if events_path.exists() {
        read_events(&events_path)?
    } else {
        EventLog::default()
    };
    let mut info = info_or_rebuild(dir, &log)?;
    if !info.finished {
        if let Some(d) = wav_duration(&dir.join(AUDIO_FILE), info.channels) {
            info.duration = d;
        }
    }
    let log_issues = log_issues(&events_path, &log);
    let scorecard = match &info.scorecard {
        Some(s) => s.clone(),
        None => Scorecard::compute(&log.events, Some(info.duration)),
    };
    Ok(LoadedSession {
        dir: dir.to_path_buf(),
        info,
        events: log.events,
        scorecard,
        log_issues,
    })
}

/// What was wrong with the event log and was skipped, one line each.
fn log_issues(events_path: &Path, log: &EventLog) -> Vec<String> {
    let mut issues = Vec::new();
    if log.truncated_tail.is_some() {
        issues.push(format!(
            "{}: last line cut off (ignored)",
            events_path.display()
        ));
    }
    if !log.bad_lines.is_empty() {
        issues.push(format!(
            "{}: unreadable lines {} (ignored)",
            events_path.display(),
            line_list(&log.bad_lines)
        ));
    }
    issues
}

/// [`load_session`] with only events `from..from + limit` of the log loaded; also returns
/// how many events the log holds. A finished session's scorecard is in `session.json`, so a
/// long log is never held whole; an unfinished one (no scorecard yet) is loaded whole to
/// compute it.
pub fn load_session_page(
    dir: &Path,
    from: usize,
    limit: usize,
) -> Result<(LoadedSession, usize), SessionError> {
    let events_path = dir.join(EVENTS_FILE);
    let full = || -> Result<(LoadedSession, usize), SessionError> {
        let mut s = load_session(dir)?;
        let total = s.events.len();
        let end = from.saturating_add(limit).min(total);
        s.events = s.events.drain(from.min(end)..end).collect();
        Ok((s, total))
    };
    let info = match read_info(dir) {
        Ok(Some(info)) if info.finished && info.scorecard.is_some() => info,
        _ => return full(),
    };
    if !is_session_dir(dir) {
        return Err(SessionError::NotASession {
            path: dir.to_path_buf(),
        });
    }
    super::real_session_dir(dir)?;
    let (log, total) = if std::fs::symlink_metadata(&events_path).is_ok() {
        super::format::read_events_page(&events_path, from, limit)?
    } else {
        (EventLog::default(), 0)
    };
    let log_issues = log_issues(&events_path, &log);
    let scorecard = info.scorecard.clone().unwrap_or_default();
    Ok((
        LoadedSession {
            dir: dir.to_path_buf(),
            info,
            events: log.events,
            scorecard,
            log_issues,
        },
        total,
    ))
}

/// `[3, 7, 9]`, or the first 20 and how many more: a broken log of 300,000 lines is not one
/// message of 300,000 numbers.
fn line_list(lines: &[usize]) -> String {
    if lines.len() <= 20 {
        return format!("{lines:?}");
    }
    format!("{:?} and {} more", &lines[..20], lines.len() - 20)
}

/// Session directories in `sessions_dir`, oldest first (names start with the start time).
pub fn session_dirs(sessions_dir: &Path) -> Result<Vec<PathBuf>, SessionError> {
    let rd = match std::fs::read_dir(sessions_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SessionError::Read {
                path: sessions_dir.to_path_buf(),
                source,
            })
        }
    };
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        // Real directories only: a link in the sessions directory is not a session of ours.
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) && is_session_dir(p))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Summaries of every session in `sessions_dir`, oldest first. Unreadable sessions are
/// skipped.
pub fn list_sessions(sessions_dir: &Path) -> Result<Vec<SessionSummary>, SessionError> {
    let mut out = Vec::new();
    for dir in session_dirs(sessions_dir)? {
        let Ok(s) = load_session(&dir) else { continue };
        out.push(SessionSummary {
            id: s.info.id.clone(),
            dir,
            started_at: s.info.started_at.clone(),
            duration: s.info.duration,
            utterances: s.scorecard.me.utterances + s.scorecard.them.utterances,
            commitment_reached: s.scorecard.commitment_reached,
            cues: s.scorecard.cues.clone(),
            finished: s.info.finished,
            repaired: s.info.repaired,
        });
    }
    Ok(out)
}

/// Deletes the session directory `dir` with everything in it. Refused for a directory that is
/// not a session (nothing else is ever removed), for a symbolic link (given with a trailing
/// `/` it once emptied the link's target), and for a session in use (its lock held: being
/// recorded, drilled or exported). The caller drops its row from the call-history index
/// ([`super::index::Store::remove`]).
pub fn delete_session(dir: &Path) -> Result<(), SessionError> {
    let dir = super::real_session_dir(dir)?;
    // Held while the directory goes: a drill or export that starts now finds it locked.
    let _lock = super::lock_for_use(&dir)?;
    std::fs::remove_dir_all(&dir).map_err(|source| SessionError::Delete {
        path: dir.to_path_buf(),
        source,
    })
}

/// Resolves a session given as a path to its directory, a full id, a unique prefix of an id,
/// or a unique prefix of the short id (the part after the time stamp).
pub fn resolve_session(sessions_dir: &Path, query: &str) -> Result<PathBuf, SessionError> {
    let as_path = Path::new(query);
    if as_path.is_dir() && is_session_dir(as_path) {
        // Not through a link: `S/link/` resolved to whatever the link names.
        return super::real_session_dir(as_path);
    }
    let dirs = session_dirs(sessions_dir)?;
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if let Some(d) = dirs.iter().find(|d| name(d) == query) {
        return Ok(d.clone());
    }
    let matches: Vec<&PathBuf> = dirs
        .iter()
        .filter(|d| {
            let n = name(d);
            let short = n.rsplit('-').next().unwrap_or("");
            !query.is_empty() && (n.starts_with(query) || short.starts_with(query))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(SessionError::NotFound {
            query: query.to_string(),
            dir: sessions_dir.to_path_buf(),
        }),
        many => Err(SessionError::Ambiguous {
            query: query.to_string(),
            dir: sessions_dir.to_path_buf(),
            candidates: many.iter().map(|d| name(d)).collect::<Vec<_>>().join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(root: &Path, name: &str) {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(EVENTS_FILE), "").unwrap();
    }

    #[test]
    fn resolves_ids_prefixes_and_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        mk(root, "20261126-140509-3fa2c1");
        mk(root, "20261126-150000-3fb000");
        mk(root, "20261127-090000-aa0000");
        std::fs::create_dir_all(root.join("not-a-session")).unwrap();
        let r = |q: &str| resolve_session(root, q);
        assert!(r("20261126-140509-3fa2c1")
            .unwrap()
            .ends_with("20261126-140509-3fa2c1"));
        assert!(r("20261127").unwrap().ends_with("20261127-090000-aa0000"));
        assert!(r("aa").unwrap().ends_with("20261127-090000-aa0000"));
        assert!(r("3fa2").unwrap().ends_with("20261126-140509-3fa2c1"));
        let amb = r("3f").unwrap_err().to_string();
        assert!(amb.contains("ambiguous") && amb.contains("3fb000"), "{amb}");
        let nf = r("zzz").unwrap_err().to_string();
        assert!(nf.contains("ringside sessions"), "{nf}");
        let p = root.join("20261126-150000-3fb000");
        assert_eq!(r(p.to_str().unwrap()).unwrap(), p);
        assert_eq!(session_dirs(root).unwrap().len(), 3);
    }

    #[test]
    fn delete_removes_a_session_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        mk(root, "20261126-140509-3fa2c1");
        mk(root, "20261126-150000-3fb000");
        std::fs::create_dir_all(root.join("not-a-session")).unwrap();
        delete_session(&root.join("20261126-140509-3fa2c1")).unwrap();
        assert!(!root.join("20261126-140509-3fa2c1").exists());
        assert!(root.join("20261126-150000-3fb000").is_dir());
        let e = delete_session(&root.join("not-a-session")).unwrap_err();
        assert!(matches!(e, SessionError::NotASession { .. }), "{e}");
        assert!(root.join("not-a-session").is_dir());
        // A session being recorded (its lock held) stays.
        let busy = root.join("20261126-150000-3fb000");
        let _held = super::super::lock_session(&busy).unwrap();
        let e = delete_session(&busy).unwrap_err().to_string();
        assert!(e.contains("being recorded") && e.contains("stop"), "{e}");
        assert!(busy.join(EVENTS_FILE).is_file());
    }
}
