//! One call as one file: a zip archive of a session directory for sharing or keeping
//! (`ringside sessions export`, `GET /api/sessions/{id}/export`). Files that only derive from
//! the events (transcripts, debrief, scorecard) are computed when the directory lacks them,
//! so an archive of an old or repaired session is as complete as a new one's. Runs on the
//! caller's thread (a blocking task in the daemon); the audio is copied through in blocks,
//! never held in memory.
//!
//! Archive layout (every entry under one folder `ringside-<id>/`, so unpacking makes one
//! directory):
//! - `audio.wav`: the recording as recorded (stored, not compressed: PCM barely deflates);
//! - `transcript.vtt`, `labels.txt`: the WebVTT transcript and the Audacity label track;
//! - `transcript.txt`: the review timeline as text (lines, cues and rewrites, as
//!   `ringside review --no-audio` prints it);
//! - `events.jsonl`, `session.json`: the event log and the metadata;
//! - `debrief.json`: the debrief (computed with the configured rewrite rules if missing);
//! - `scorecard.txt`: the scorecard as `ringside report` prints it;
//! - `roleplay.json`: the role-play log, for role-plays.

use std::io::{Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::debrief::{self, DEBRIEF_FILE};
use super::{
    load_session, SessionError, AUDIO_FILE, EVENTS_FILE, INFO_FILE, LABELS_FILE, VTT_FILE,
};
use crate::transforms::rewrite::RewriteRules;

/// The role-play log's file name (kept here as text: the session layer does not import the
/// role-play layer above it).
const ROLEPLAY_FILE: &str = "roleplay.json";

/// The archive's file name for session `id`, e.g. `ringside-20261126-140509-3fa2c1.zip`.
pub fn archive_name(id: &str) -> String {
    format!("ringside-{id}.zip")
}

/// The id an archive's folder is named after: the session directory's name, with anything
/// but letters, digits, `-` and `_` replaced by `_` (a folder name, never a path).
pub fn folder_id(dir: &Path) -> String {
    dir.file_name()
        .map(|n| {
            n.to_string_lossy()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .unwrap_or_else(|| "session".into())
}

/// What went into an archive: entry names (with their folder), in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveReport {
    pub entries: Vec<String>,
    /// Files that were computed from the events because the directory lacked them.
    pub computed: Vec<&'static str>,
}

/// Writes the archive of the session directory `dir` to `out` and returns `out` (flushed)
/// with what went in. A session that is being recorded is refused (its audio header is not
/// final yet).
pub fn write_archive<W: Write + Seek>(
    dir: &Path,
    rules: &RewriteRules,
    out: W,
) -> Result<(W, ArchiveReport), SessionError> {
    // Not through a link, and under the session's lock (a drill or delete waits).
    let dir = &super::real_session_dir(dir)?;
    let _lock = super::lock_for_use(dir)?;
    let s = load_session(dir)?;
    // The folder comes from the directory's name (what was resolved and checked), never from
    // `session.json`'s `id`, which could say `../../..`.
    let folder = archive_name(&folder_id(dir))
        .trim_end_matches(".zip")
        .to_string();
    let fail = |e: zip::result::ZipError| SessionError::Archive {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut zip = zip::ZipWriter::new(out);
    let mut report = ArchiveReport::default();
    let options = |src: Option<&Path>, method: CompressionMethod, len: u64| {
        let mut o = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o600)
            .large_file(len >= u64::from(u32::MAX));
        if let Some(t) = src.and_then(modified) {
            o = o.last_modified_time(t);
        }
        o
    };

    // The audio, copied through (an hour of stereo is 230 MB).
    // Files are opened without following links: a link planted in a session (to
    // /etc/passwd, say) would pack a file from outside it.
    let audio = dir.join(AUDIO_FILE);
    if std::fs::symlink_metadata(&audio).is_ok() {
        let mut f =
            crate::files::open_regular(&audio, crate::files::Links::Refuse).map_err(|source| {
                SessionError::Read {
                    path: audio.clone(),
                    source,
                }
            })?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let name = format!("{folder}/{AUDIO_FILE}");
        zip.start_file(
            name.as_str(),
            options(Some(&audio), CompressionMethod::Stored, len),
        )
        .map_err(fail)?;
        std::io::copy(&mut f, &mut zip).map_err(|e| SessionError::Archive {
            path: audio.clone(),
            message: e.to_string(),
        })?;
        report.entries.push(name);
    }

    // Text files: as on disk, or computed from the events.
    let debrief = debrief::load_or_build(dir, &s.events, rules);
    let computed_info = || serde_json::to_vec_pretty(&s.info).unwrap_or_default();
    let computed_debrief = || serde_json::to_vec_pretty(&debrief).unwrap_or_default();
    let texts: [(&'static str, Option<Vec<u8>>); 8] = [
        (VTT_FILE, None),
        (LABELS_FILE, None),
        ("transcript.txt", Some(Vec::new())),
        (EVENTS_FILE, None),
        (INFO_FILE, None),
        (DEBRIEF_FILE, None),
        ("scorecard.txt", Some(Vec::new())),
        (ROLEPLAY_FILE, None),
    ];
    for (file, always_computed) in texts {
        let path = dir.join(file);
        // A link or a pipe in place of a file is not read: the file is computed instead.
        let on_disk = always_computed
            .is_none()
            .then(|| crate::files::read_regular(&path, u64::MAX, crate::files::Links::Refuse).ok())
            .flatten();
        let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        let bytes = match (on_disk, file) {
            (Some(b), _) => b,
            (None, VTT_FILE) => super::export::vtt(&s.info.id, &s.events).into_bytes(),
            (None, LABELS_FILE) => super::export::labels(&s.events).into_bytes(),
            (None, "transcript.txt") => debrief::format_timeline(&s.events, &debrief).into_bytes(),
            (None, INFO_FILE) => computed_info(),
            (None, DEBRIEF_FILE) => computed_debrief(),
            (None, "scorecard.txt") => {
                let mut t = s.scorecard.render_text();
                t.push_str(&debrief.render_summary());
                t.into_bytes()
            }
            // The event log may be missing (a crash before the first line); the role-play
            // log exists only for role-plays.
            (None, _) => continue,
        };
        if always_computed.is_none() && !regular {
            report.computed.push(file);
        }
        let name = format!("{folder}/{file}");
        let src = regular.then_some(path.as_path());
        zip.start_file(
            name.as_str(),
            options(src, CompressionMethod::Deflated, bytes.len() as u64),
        )
        .map_err(fail)?;
        zip.write_all(&bytes).map_err(|e| SessionError::Archive {
            path: path.clone(),
            message: e.to_string(),
        })?;
        report.entries.push(name);
    }
    let mut out = zip.finish().map_err(fail)?;
    out.flush().map_err(|e| SessionError::Archive {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok((out, report))
}

/// Writes the archive of `dir` to the file `dest` (through a temporary file beside it,
/// created exclusively with a random name and mode 0600, renamed at the end: a conversation is
/// private, and a link planted at a predictable name once had a victim file overwritten). An
/// existing `dest` is replaced.
pub fn write_archive_file(
    dir: &Path,
    rules: &RewriteRules,
    dest: &Path,
) -> Result<ArchiveReport, SessionError> {
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".ringside-export-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(|source| SessionError::Create {
            path: parent.join(".ringside-export-XXXXXX.tmp"),
            source,
        })?;
    // Dropped on an error: the temporary file is removed.
    let (tmp, report) = write_archive(dir, rules, tmp)?;
    let werr = |source| SessionError::Write {
        path: dest.to_path_buf(),
        source,
    };
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(dest).map_err(|e| werr(e.error))?;
    Ok(report)
}

/// A file's modification time as a zip time (local time; `None` before 1980 or unreadable).
fn modified(path: &Path) -> Option<zip::DateTime> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let l = super::time::LocalTime::from_system(t);
    zip::DateTime::from_date_and_time(
        u16::try_from(l.year).ok()?,
        l.month as u8,
        l.day as u8,
        l.hour as u8,
        l.minute as u8,
        l.second as u8,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Act, Speaker};
    use crate::session::{Recorder, SessionEvent, SessionMeta};
    use std::fs::File;
    use std::io::{Cursor, Read};

    /// A finished one-second mono session with one utterance.
    fn session(root: &Path) -> std::path::PathBuf {
        let mut r = Recorder::create(root, SessionMeta::default(), 1).unwrap();
        r.push_audio(Speaker::Me, 0, &vec![0.1f32; 16_000]).unwrap();
        r.event(SessionEvent::Utterance {
            prosody: None,
            id: 0,
            speaker: Speaker::Me,
            start: 0.1,
            end: 0.9,
            text: "Is now a bad time to talk?".into(),
            act: Act::NoQuestion,
            why: "test".into(),
            confidence: None,
            unsure: false,
            latency_ms: None,
            hesitation: None,
        })
        .unwrap();
        let dir = r.dir().to_path_buf();
        r.finish().unwrap();
        dir
    }

    fn names(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>) -> Vec<String> {
        (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().to_string())
            .collect()
    }

    #[test]
    fn the_archive_holds_the_audio_and_every_review_file_in_one_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = session(tmp.path());
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        // An older session without its debrief: computed into the archive.
        let _ = std::fs::remove_file(dir.join(DEBRIEF_FILE));
        let rules = RewriteRules::load(None).unwrap();
        let (cur, report) = write_archive(&dir, &rules, Cursor::new(Vec::new())).unwrap();
        assert_eq!(report.computed, vec![DEBRIEF_FILE]);
        let mut zip = zip::ZipArchive::new(Cursor::new(cur.into_inner())).unwrap();
        let got = names(&mut zip);
        let folder = format!("ringside-{id}");
        for f in [
            "audio.wav",
            "transcript.vtt",
            "labels.txt",
            "transcript.txt",
            "events.jsonl",
            "session.json",
            "debrief.json",
            "scorecard.txt",
        ] {
            assert!(got.contains(&format!("{folder}/{f}")), "{f} in {got:?}");
        }
        assert!(!got.iter().any(|n| n.ends_with("roleplay.json")), "{got:?}");
        assert_eq!(got, report.entries);
        // The audio is byte for byte the recording.
        let mut wav = Vec::new();
        zip.by_name(&format!("{folder}/audio.wav"))
            .unwrap()
            .read_to_end(&mut wav)
            .unwrap();
        assert_eq!(wav, std::fs::read(dir.join(AUDIO_FILE)).unwrap());
        let r = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!(r.duration(), 16_000);
        let mut text = String::new();
        zip.by_name(&format!("{folder}/transcript.txt"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.contains("Is now a bad time to talk?"), "{text}");
        let mut d = String::new();
        zip.by_name(&format!("{folder}/debrief.json"))
            .unwrap()
            .read_to_string(&mut d)
            .unwrap();
        assert!(serde_json::from_str::<debrief::Debrief>(&d).is_ok(), "{d}");
    }

    #[test]
    fn a_session_being_recorded_is_not_archived() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Recorder::create(tmp.path(), SessionMeta::default(), 1).unwrap();
        let rules = RewriteRules::load(None).unwrap();
        let e = write_archive(r.dir(), &rules, Cursor::new(Vec::new())).unwrap_err();
        assert!(e.to_string().contains("being recorded"), "{e}");
    }

    #[test]
    fn a_file_archive_is_private_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = session(&tmp.path().join("s"));
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let dest = out.join("call.zip");
        let rules = RewriteRules::load(None).unwrap();
        write_archive_file(&dir, &rules, &dest).unwrap();
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let files: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
        assert_eq!(files.len(), 1, "only the archive");
        assert!(
            zip::ZipArchive::new(File::open(&dest).unwrap())
                .unwrap()
                .len()
                >= 8
        );
    }
}
