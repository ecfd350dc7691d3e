//! Session directories on disk: one directory per call with the audio, an append-only event
//! log, metadata with the scorecard, and review exports (WebVTT, Audacity labels, WAV markers).
//!
//! Runs on the coach/sink thread (the [`Recorder`] is owned by the recording sink) and in the
//! `sessions` / `report` / `review` commands. Nothing here spawns threads except playback in
//! [`review`], which lets cpal run its own output callback.
//!
//! Layout of `<sessions_dir>/<YYYYmmdd-HHMMSS>-<short id>/` (dirs 0700, files 0600):
//! - `audio.wav`: 16-bit PCM, 16 kHz, stereo (left = me, right = them) or mono (me only),
//!   written as captured; after `finish` it carries `cue ` + `LIST/adtl` marker chunks.
//! - `events.jsonl`: [`SessionEvent`] per line, append-only.
//! - `session.json`: [`SessionInfo`] (metadata, `finished`, `repaired`, [`Scorecard`]).
//! - `transcript.vtt`, `labels.txt`: exports derived from the events.
//! - `debrief.json`: [`debrief::Debrief`], the flagged lines with their rewrites.
//! - `drill.json`: [`drill::DrillLog`], every spoken drill of the call's weak moments.
//!
//! [`archive`] packs one session into a zip; [`delete_session`] removes one.

pub mod align;
pub mod archive;
pub mod debrief;
pub mod drill;
pub mod export;
pub mod format;
pub mod index;
pub mod meta;
pub mod recorder;
pub mod repair;
pub mod review;
pub mod scorecard;
pub mod store;
pub mod time;
pub mod wav;

use std::path::PathBuf;

pub use format::{SessionEvent, SessionInfo, SessionMeta, FORMAT_VERSION};
pub use recorder::{FinishedSession, Recorder};
pub use repair::{needs_repair, repair, repair_unfinished, RepairReport};
pub use scorecard::Scorecard;
pub use store::{
    delete_session, list_sessions, load_session, resolve_session, LoadedSession, SessionSummary,
};

/// File names inside a session directory.
pub const AUDIO_FILE: &str = "audio.wav";
pub const EVENTS_FILE: &str = "events.jsonl";
pub const INFO_FILE: &str = "session.json";
pub const VTT_FILE: &str = "transcript.vtt";
pub const LABELS_FILE: &str = "labels.txt";
/// The session's lock: held with `flock` by whoever records, drills, exports, repairs or
/// deletes the session (the CLI and the daemon alike, so each sees the other). The recorder
/// removes it when the recording is finished; the others leave it (an unlocked file means
/// nothing). A pid alone cannot say who records: after a reboot the recorded pid may belong
/// to any process.
pub const LOCK_FILE: &str = "recording.lock";

/// Opens `<dir>/recording.lock` (never through a symbolic link) and takes its exclusive lock.
/// Fails with `WouldBlock` when a live process holds it; the lock goes when the file is closed
/// (also on a crash). A lock file that the recorder removed between our open and our lock is
/// retried, so two holders never lock two different files.
pub(crate) fn lock_session(dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let path = dir.join(LOCK_FILE);
    for _ in 0..8 {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)?;
        // SAFETY: flock on a descriptor we own for the duration of the call.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let held = f.metadata()?;
        if !held.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the lock file is not a regular file; remove it",
            ));
        }
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.ino() == held.ino() && m.dev() == held.dev() => return Ok(f),
            _ => continue,
        }
    }
    Err(std::io::Error::from(std::io::ErrorKind::WouldBlock))
}

/// A session's lock held until dropped (see [`LOCK_FILE`]).
#[derive(Debug)]
pub struct SessionLock {
    _file: std::fs::File,
}

/// Takes the lock of the session in `dir` for a drill, an export, a repair or a delete:
/// [`SessionError::Recording`] when another process (or another request of this one) holds it.
pub fn lock_for_use(dir: &std::path::Path) -> Result<SessionLock, SessionError> {
    match lock_session(dir) {
        Ok(f) => Ok(SessionLock { _file: f }),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(SessionError::Recording {
            path: dir.to_path_buf(),
        }),
        Err(source) => Err(SessionError::Create {
            path: dir.join(LOCK_FILE),
            source,
        }),
    }
}

/// Whether a live process holds the session's lock: `None` when the session has no lock file
/// (recorded before the lock existed, or finished).
pub(crate) fn session_locked(dir: &std::path::Path) -> Option<bool> {
    if std::fs::symlink_metadata(dir.join(LOCK_FILE)).is_err() {
        return None;
    }
    match lock_session(dir) {
        Ok(_) => Some(false),
        Err(e) => Some(e.kind() == std::io::ErrorKind::WouldBlock),
    }
}

/// `dir` as a real session directory: not a symbolic link (a trailing `/` once made
/// `sessions delete` empty a link's target), with no trailing slash, holding a session.
pub fn real_session_dir(dir: &std::path::Path) -> Result<PathBuf, SessionError> {
    // Rebuilt from its components: drops a trailing `/` (which would resolve a link).
    let clean: PathBuf = dir.components().collect();
    let meta = std::fs::symlink_metadata(&clean).map_err(|source| SessionError::Read {
        path: clean.clone(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(SessionError::Link { path: clean });
    }
    if !meta.is_dir() || !store::is_session_dir(&clean) {
        return Err(SessionError::NotASession { path: clean });
    }
    Ok(clean)
}

/// Errors of session files. Every variant names the file or directory involved.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot create {path}: {source}; check that the sessions directory is writable (set session.dir or --sessions-dir)")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", write_message(path, source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("session {path} is in use by Ringside (process {pid}): it is being recorded or drilled; stop that first, then repair")]
    InUse { path: PathBuf, pid: u32 },
    /// The session's lock is held: it is being recorded, drilled, exported or deleted.
    #[error("{path} is in use (being recorded, drilled, exported or deleted) by Ringside now; stop the session first (the page's Stop button or `ringside stop`) or wait for it to end")]
    Recording { path: PathBuf },
    #[error("{path} is a symbolic link; Ringside does not follow links to or inside sessions: give the session's own directory, or remove the link")]
    Link { path: PathBuf },
    #[error("cannot write the archive of {path}: {message}")]
    Archive { path: PathBuf, message: String },
    #[error("cannot delete {path}: {source}; check the permissions of the sessions directory")]
    Delete {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a session directory (no session.json or events.jsonl)")]
    NotASession { path: PathBuf },
    #[error("no session '{query}' in {dir}; run `ringside sessions` to list ids (or pass a session directory path)")]
    NotFound { query: String, dir: PathBuf },
    #[error("session '{query}' is ambiguous in {dir}: matches {candidates}; give more of the id")]
    Ambiguous {
        query: String,
        dir: PathBuf,
        candidates: String,
    },
}

impl SessionError {
    /// A write that failed because the disk or the quota is full: nothing else will fit
    /// either. (A file size limit, EFBIG, stops only the file that hit it.)
    pub fn is_disk_full(&self) -> bool {
        match self {
            SessionError::Write { source, .. } | SessionError::Create { source, .. } => {
                matches!(
                    source.raw_os_error(),
                    Some(libc::ENOSPC) | Some(libc::EDQUOT)
                )
            }
            _ => false,
        }
    }
}

fn io_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOSPC) | Some(libc::EFBIG) | Some(libc::EDQUOT)
    )
}

fn write_message(path: &std::path::Path, source: &std::io::Error) -> String {
    let full = io_disk_full(source);
    let hint = if full {
        "the disk is full (or a file size limit was hit): free space or set another --sessions-dir"
    } else {
        "check the disk and permissions of the sessions directory"
    };
    format!(
        "cannot write {}: {source}; recording to this file stopped, what was written before is kept; {hint}",
        path.display()
    )
}

/// Opens `path` for writing with mode 0600 (private conversations).
pub(crate) fn create_private(path: &std::path::Path) -> Result<std::fs::File, SessionError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .read(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| SessionError::Create {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes `bytes` to `dir/name` atomically (temporary file, fsync, rename), mode 0600.
pub(crate) fn write_atomic(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), SessionError> {
    use std::io::Write;
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let werr = |source| SessionError::Write {
        path: path.clone(),
        source,
    };
    let mut f = create_private(&tmp)?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_data())
        .and_then(|()| {
            drop(f);
            std::fs::rename(&tmp, &path)
        });
    // On a full disk the temporary file would be left behind, empty or partial.
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(werr)
}
