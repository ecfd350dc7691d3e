//! The session WAV: a 16-bit PCM writer that appends frames as they are captured and keeps
//! the header valid at least once a second of audio (so a killed process loses at most ~1 s),
//! marker chunks (`cue ` + `LIST`/`adtl`/`labl`) appended after the data at the end, their
//! parser, and header repair after a crash. Runs on the coach/sink thread and in commands.
//!
//! The header is always the canonical 44 bytes (`RIFF`, `fmt ` of 16 bytes, `data`), so the
//! repair can rebuild it from the file length alone.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{create_private, SessionError};
use crate::event::SAMPLE_RATE_HZ;

/// Length of the header this module writes; the data starts here.
pub const HEADER_LEN: u64 = 44;

/// A cue point in the WAV with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Cue point id (1-based, unique in the file).
    pub id: u32,
    /// Position in sample frames from the start of the data.
    pub frame: u64,
    pub label: String,
}

fn header(channels: u16, data_bytes: u64) -> [u8; 44] {
    let data = u32::try_from(data_bytes).unwrap_or(u32::MAX - 36);
    let block_align = channels * 2;
    let byte_rate = SAMPLE_RATE_HZ * block_align as u32;
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data.saturating_add(36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&SAMPLE_RATE_HZ.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

/// Appends 16-bit frames to a WAV file, keeping the header current.
#[derive(Debug)]
pub struct WavWriter {
    file: File,
    path: PathBuf,
    channels: u16,
    data_bytes: u64,
    /// `data_bytes` when the header was last written.
    header_bytes: u64,
    /// Set after a write error: nothing more is written.
    failed: bool,
    buf: Vec<u8>,
}

impl WavWriter {
    pub fn create(path: &Path, channels: u16) -> Result<WavWriter, SessionError> {
        let mut file = create_private(path)?;
        file.write_all(&header(channels, 0))
            .map_err(|source| SessionError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(WavWriter {
            file,
            path: path.to_path_buf(),
            channels,
            data_bytes: 0,
            header_bytes: 0,
            failed: false,
            buf: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.data_bytes / (2 * self.channels as u64)
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    fn werr(&self, source: std::io::Error) -> SessionError {
        SessionError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends interleaved samples (a whole number of frames). The header is rewritten once
    /// at least a second of audio has been added since the last time. After an error the
    /// file is cut back to the last whole frame, its header fixed, and further calls do
    /// nothing.
    pub fn write_samples(&mut self, samples: &[i16]) -> Result<(), SessionError> {
        if self.failed || samples.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        self.buf.reserve(samples.len() * 2);
        for s in samples {
            self.buf.extend_from_slice(&s.to_le_bytes());
        }
        if let Err(e) = self.file.write_all(&self.buf) {
            self.failed = true;
            self.salvage();
            return Err(self.werr(e));
        }
        self.data_bytes += self.buf.len() as u64;
        let second = SAMPLE_RATE_HZ as u64 * 2 * self.channels as u64;
        if self.data_bytes - self.header_bytes >= second {
            self.update_header()?;
        }
        Ok(())
    }

    /// Writes the current sizes into the header (in place; the write offset stays at the end).
    pub fn update_header(&mut self) -> Result<(), SessionError> {
        if let Err(e) = self
            .file
            .write_all_at(&header(self.channels, self.data_bytes), 0)
        {
            self.failed = true;
            return Err(self.werr(e));
        }
        self.header_bytes = self.data_bytes;
        Ok(())
    }

    /// After a failed write: whatever part of the last block reached the disk is cut back to
    /// a whole frame, and the header is made to match, so the file stays a valid WAV.
    fn salvage(&mut self) {
        let frame = 2 * self.channels as u64;
        if let Ok(m) = self.file.metadata() {
            let data = m.len().saturating_sub(HEADER_LEN) / frame * frame;
            let _ = self.file.set_len(HEADER_LEN + data);
            let _ = self.file.seek(SeekFrom::Start(HEADER_LEN + data));
            self.data_bytes = data;
        }
        let _ = self
            .file
            .write_all_at(&header(self.channels, self.data_bytes), 0);
        self.header_bytes = self.data_bytes;
    }

    /// fsyncs the data written so far.
    pub fn sync(&mut self) -> Result<(), SessionError> {
        if self.failed {
            return Ok(());
        }
        self.file.sync_data().map_err(|e| self.werr(e))
    }

    /// Writes the final header, then the marker chunks after the data.
    pub fn finish(mut self, markers: &[Marker]) -> Result<u64, SessionError> {
        if !self.failed {
            self.update_header()?;
        }
        let frames = self.frames();
        append_markers(&mut self.file, &self.path, self.data_bytes, markers)?;
        self.file.sync_all().map_err(|e| self.werr(e))?;
        Ok(frames)
    }
}

/// The bytes of a `cue ` chunk and a `LIST`/`adtl` chunk with one `labl` per marker.
pub fn marker_chunks(markers: &[Marker]) -> Vec<u8> {
    let mut out = Vec::new();
    if markers.is_empty() {
        return out;
    }
    out.extend_from_slice(b"cue ");
    out.extend_from_slice(&((4 + 24 * markers.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(markers.len() as u32).to_le_bytes());
    for m in markers {
        out.extend_from_slice(&m.id.to_le_bytes());
        let frame = u32::try_from(m.frame).unwrap_or(u32::MAX);
        out.extend_from_slice(&frame.to_le_bytes()); // dwPosition
        out.extend_from_slice(b"data"); // fccChunk
        out.extend_from_slice(&0u32.to_le_bytes()); // dwChunkStart
        out.extend_from_slice(&0u32.to_le_bytes()); // dwBlockStart
        out.extend_from_slice(&frame.to_le_bytes()); // dwSampleOffset
    }
    let mut adtl = Vec::new();
    adtl.extend_from_slice(b"adtl");
    for m in markers {
        let text: Vec<u8> = m.label.bytes().filter(|&b| b != 0).collect();
        let size = 4 + text.len() + 1;
        adtl.extend_from_slice(b"labl");
        adtl.extend_from_slice(&(size as u32).to_le_bytes());
        adtl.extend_from_slice(&m.id.to_le_bytes());
        adtl.extend_from_slice(&text);
        adtl.push(0);
        if size % 2 == 1 {
            adtl.push(0);
        }
    }
    out.extend_from_slice(b"LIST");
    out.extend_from_slice(&(adtl.len() as u32).to_le_bytes());
    out.extend_from_slice(&adtl);
    out
}

/// Writes the marker chunks right after `data_bytes` of audio, cuts anything beyond, and
/// fixes the RIFF size.
fn append_markers(
    file: &mut File,
    path: &Path,
    data_bytes: u64,
    markers: &[Marker],
) -> Result<(), SessionError> {
    let werr = |source| SessionError::Write {
        path: path.to_path_buf(),
        source,
    };
    let chunks = marker_chunks(markers);
    let end = HEADER_LEN + data_bytes;
    file.set_len(end).map_err(werr)?;
    file.write_all_at(&chunks, end).map_err(werr)?;
    let riff = u32::try_from(end - 8 + chunks.len() as u64).unwrap_or(u32::MAX);
    file.write_all_at(&riff.to_le_bytes(), 4).map_err(werr)?;
    Ok(())
}

/// The chunks of a RIFF/WAVE file: (id, offset of the chunk body, body length as declared).
fn chunks(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return out;
    }
    let mut pos = 12usize;
    while pos + 8 <= bytes.len() {
        let mut id = [0u8; 4];
        id.copy_from_slice(&bytes[pos..pos + 4]);
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        out.push((id, pos + 8, size));
        pos = pos + 8 + size + (size % 2);
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses the `cue ` and `LIST`/`adtl` `labl` chunks of a WAV file's bytes. Markers without a
/// label get an empty one; the result is sorted by position.
pub fn parse_markers(bytes: &[u8]) -> Vec<Marker> {
    let mut points: Vec<(u32, u64)> = Vec::new();
    let mut labels: std::collections::HashMap<u32, String> = Default::default();
    for (id, at, size) in chunks(bytes) {
        let body = &bytes[at..(at + size).min(bytes.len())];
        match &id {
            b"cue " => {
                let n = u32_at(body, 0).unwrap_or(0) as usize;
                for i in 0..n {
                    let e = 4 + 24 * i;
                    if let (Some(cid), Some(off)) = (u32_at(body, e), u32_at(body, e + 20)) {
                        points.push((cid, off as u64));
                    }
                }
            }
            b"LIST" if body.get(0..4) == Some(b"adtl") => {
                let mut p = 4usize;
                while p + 8 <= body.len() {
                    let sub = &body[p..p + 4];
                    let sz = u32_at(body, p + 4).unwrap_or(0) as usize;
                    let sb = &body[p + 8..(p + 8 + sz).min(body.len())];
                    if (sub == b"labl" || sub == b"note") && sb.len() >= 4 {
                        let cid = u32_at(sb, 0).unwrap_or(0);
                        let text = &sb[4..];
                        let text = text.split(|&b| b == 0).next().unwrap_or(&[]);
                        if sub == b"labl" {
                            labels.insert(cid, String::from_utf8_lossy(text).into_owned());
                        }
                    }
                    p += 8 + sz + (sz % 2);
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<Marker> = points
        .into_iter()
        .map(|(id, frame)| Marker {
            id,
            frame,
            label: labels.remove(&id).unwrap_or_default(),
        })
        .collect();
    out.sort_by_key(|m| (m.frame, m.id));
    out
}

/// Reads the markers of a WAV file.
pub fn read_markers(path: &Path) -> Result<Vec<Marker>, SessionError> {
    let bytes = std::fs::read(path).map_err(|source| SessionError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_markers(&bytes))
}

/// What [`repair_wav`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavRepair {
    pub channels: u16,
    /// Whole frames of audio in the repaired file.
    pub frames: u64,
    /// Bytes cut from the end (a partial frame, or marker chunks being written at the crash).
    pub cut_bytes: u64,
    /// True when the header's sizes did not match the file.
    pub header_fixed: bool,
}

/// Rebuilds the header of a session WAV whose writer did not finish: data size from the file
/// length (cut back to a whole frame), RIFF size to match. `channels_hint` is used when the
/// header itself is unreadable. Marker chunks left half-written are removed.
pub fn repair_wav(path: &Path, channels_hint: u16) -> Result<WavRepair, SessionError> {
    use std::os::unix::fs::OpenOptionsExt;
    let werr = |source| SessionError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| SessionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let len = file.metadata().map_err(werr)?.len();
    let mut h = [0u8; 44];
    let have = if len >= HEADER_LEN {
        file.read_exact(&mut h).map_err(werr)?;
        true
    } else {
        false
    };
    let valid = have
        && &h[0..4] == b"RIFF"
        && &h[8..12] == b"WAVE"
        && &h[12..16] == b"fmt "
        && &h[36..40] == b"data"
        && matches!(u16::from_le_bytes([h[22], h[23]]), 1 | 2);
    let channels = if valid {
        u16::from_le_bytes([h[22], h[23]])
    } else {
        channels_hint.clamp(1, 2)
    };
    let frame = 2 * channels as u64;
    let declared = if valid {
        u32_at(&h, 40).unwrap_or(0) as u64
    } else {
        0
    };
    let body = len.saturating_sub(HEADER_LEN);
    // A finish that crashed while appending markers: the header already has the final size
    // and a marker chunk starts right after the data.
    let mut data = body / frame * frame;
    if declared > 0 && declared % frame == 0 && HEADER_LEN + declared + 8 <= len {
        let mut id = [0u8; 4];
        file.read_exact_at(&mut id, HEADER_LEN + declared)
            .map_err(werr)?;
        if &id == b"cue " || &id == b"LIST" {
            data = declared;
        }
    }
    let new_len = HEADER_LEN + data;
    let new_header = header(channels, data);
    let header_fixed = !valid || h != new_header;
    file.set_len(new_len).map_err(werr)?;
    file.write_all_at(&new_header, 0).map_err(werr)?;
    file.sync_all().map_err(werr)?;
    Ok(WavRepair {
        channels,
        frames: data / frame,
        cut_bytes: len.max(HEADER_LEN) - new_len,
        header_fixed,
    })
}

/// Appends markers to a WAV written by this module (after [`repair_wav`]): replaces any
/// chunks after the data.
pub fn rewrite_markers(path: &Path, markers: &[Marker]) -> Result<(), SessionError> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| SessionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let mut h = [0u8; 44];
    file.read_exact(&mut h)
        .map_err(|source| SessionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if &h[36..40] != b"data" {
        return Err(SessionError::Corrupt {
            path: path.to_path_buf(),
            message: "not a Ringside session WAV (no data chunk at byte 36); run `ringside sessions repair`".into(),
        });
    }
    let data = u32_at(&h, 40).unwrap_or(0) as u64;
    append_markers(&mut file, path, data, markers)?;
    file.flush().map_err(|source| SessionError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> Vec<Marker> {
        vec![
            Marker {
                id: 1,
                frame: 16000,
                label: "CUE opening_yes: Openers that beg".into(),
            },
            Marker {
                id: 2,
                frame: 48000,
                label: "CUE no_heard: odd".into(),
            },
            Marker {
                id: 3,
                frame: 48000,
                label: String::new(),
            },
        ]
    }

    #[test]
    fn markers_write_and_parse_back_and_hound_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let mut w = WavWriter::create(&p, 2).unwrap();
        let samples: Vec<i16> = (0..64_000).map(|i| (i % 300) as i16).collect();
        w.write_samples(&samples).unwrap();
        assert_eq!(w.finish(&markers()).unwrap(), 32_000);
        assert_eq!(read_markers(&p).unwrap(), markers());
        let r = hound::WavReader::open(&p).unwrap();
        assert_eq!(r.spec().channels, 2);
        assert_eq!(r.len(), 64_000);
        let back: Vec<i16> = r.into_samples::<i16>().map(|s| s.unwrap()).collect();
        assert_eq!(back, samples);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(u32_at(&bytes, 4).unwrap() as usize, bytes.len() - 8);
    }

    #[test]
    fn header_is_valid_every_second_while_writing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let mut w = WavWriter::create(&p, 1).unwrap();
        for _ in 0..25 {
            w.write_samples(&[7i16; 1600]).unwrap(); // 0.1 s blocks
        }
        // Without finish, the header covers at least all but the last second.
        let r = hound::WavReader::open(&p).unwrap();
        assert!(r.len() >= 40_000 - 16_000, "{}", r.len());
    }

    #[test]
    fn repair_fixes_bad_header_and_partial_frame() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let mut bytes = header(2, 0).to_vec();
        bytes[0..4].copy_from_slice(b"JUNK");
        bytes.extend(std::iter::repeat_n(1u8, 4000 * 4 + 3)); // 4000 frames + partial frame
        std::fs::write(&p, &bytes).unwrap();
        let rep = repair_wav(&p, 2).unwrap();
        assert_eq!(
            rep,
            WavRepair {
                channels: 2,
                frames: 4000,
                cut_bytes: 3,
                header_fixed: true
            }
        );
        let r = hound::WavReader::open(&p).unwrap();
        assert_eq!(r.len(), 8000);
        // Repairing again changes nothing.
        let again = repair_wav(&p, 2).unwrap();
        assert!(!again.header_fixed);
        assert_eq!(again.cut_bytes, 0);
    }

    #[test]
    fn repair_drops_half_written_markers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let mut bytes = header(1, 2000).to_vec();
        bytes.extend(vec![0u8; 2000]);
        let chunks = marker_chunks(&markers());
        bytes.extend(&chunks[..chunks.len() / 2]);
        std::fs::write(&p, &bytes).unwrap();
        let rep = repair_wav(&p, 1).unwrap();
        assert_eq!(rep.frames, 1000);
        rewrite_markers(&p, &markers()).unwrap();
        assert_eq!(read_markers(&p).unwrap(), markers());
        assert_eq!(hound::WavReader::open(&p).unwrap().len(), 1000);
    }
}
