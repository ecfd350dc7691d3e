//! WAV input: reads any PCM or float WAV that `hound` understands, de-interleaves it and
//! resamples every channel to the pipeline's 16 kHz. Used by `transcribe`, replay and analyze.

use std::path::{Path, PathBuf};

use super::resample::Resampler;
use crate::event::SAMPLE_RATE_HZ;

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("cannot open {path}: {source}; check the path")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a readable WAV file ({message}); convert it with e.g. `sox IN -r 16000 -b 16 OUT.wav`")]
    Format { path: PathBuf, message: String },
    #[error("{path} is not a regular file ({kind}); give the path of a WAV file (pipes and devices are not read, so they cannot block)")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} holds no audio samples; record or choose a non-empty WAV file")]
    Empty { path: PathBuf },
    #[error("{path}: {message}")]
    Resample { path: PathBuf, message: String },
}

/// A WAV file as 16 kHz mono channels.
#[derive(Debug, Clone)]
pub struct WavAudio {
    /// One vector per channel, each at 16 kHz.
    pub channels: Vec<Vec<f32>>,
    /// The file's own rate and layout, for messages.
    pub source_rate: u32,
    pub source_channels: u16,
}

impl WavAudio {
    pub fn duration_secs(&self) -> f64 {
        self.channels.first().map(|c| c.len()).unwrap_or(0) as f64 / SAMPLE_RATE_HZ as f64
    }

    /// All channels averaged into one.
    pub fn mono(&self) -> Vec<f32> {
        let n = self.channels.len().max(1) as f32;
        let len = self.channels.first().map(|c| c.len()).unwrap_or(0);
        (0..len)
            .map(|i| self.channels.iter().map(|c| c[i]).sum::<f32>() / n)
            .collect()
    }
}

/// Reads `path` and resamples every channel to 16 kHz.
pub fn read_wav(path: &Path) -> Result<WavAudio, WavError> {
    let (raw, spec) = read_wav_native(path)?;
    resample_all(raw, spec, path)
}

fn resample_all(
    raw: Vec<Vec<f32>>,
    spec: hound::WavSpec,
    path: &Path,
) -> Result<WavAudio, WavError> {
    let mut channels = Vec::with_capacity(raw.len());
    for ch in raw {
        let mut r = Resampler::new(spec.sample_rate).map_err(|e| WavError::Resample {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut out =
            Vec::with_capacity(ch.len() * SAMPLE_RATE_HZ as usize / spec.sample_rate as usize + 16);
        r.process(&ch, &mut out);
        r.finish(&mut out);
        channels.push(out);
    }
    Ok(WavAudio {
        channels,
        source_rate: spec.sample_rate,
        source_channels: spec.channels,
    })
}

/// Opens `path` for reading only if it is a regular file. The open itself must not block:
/// opening a FIFO for reading waits for a writer, which once hung the daemon's shutdown, so the
/// file is opened with `O_NONBLOCK` (no effect on regular files) and checked with `fstat`
/// before anything reads it.
pub fn open_regular(path: &Path) -> Result<std::fs::File, WavError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| WavError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let ft = file
        .metadata()
        .map_err(|source| WavError::Open {
            path: path.to_path_buf(),
            source,
        })?
        .file_type();
    if ft.is_file() {
        return Ok(file);
    }
    let kind = if ft.is_fifo() {
        "a named pipe"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(WavError::NotRegular {
        path: path.to_path_buf(),
        kind,
    })
}

/// The channel count of the WAV at `path` (a regular file; the header only).
pub fn probe_channels(path: &Path) -> Result<u16, WavError> {
    let file = open_regular(path)?;
    let reader =
        hound::WavReader::new(std::io::BufReader::new(file)).map_err(|e| WavError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(reader.spec().channels)
}

/// Reads `path` at its own rate: one f32 vector per channel, and the spec. A header that lies
/// about the data's length is warned about on stderr (see [`WavStream::warning`]).
pub fn read_wav_native(path: &Path) -> Result<(Vec<Vec<f32>>, hound::WavSpec), WavError> {
    let mut w = WavStream::open(path)?;
    if let Some(warning) = &w.warning {
        eprintln!("ringside: warning: {warning}");
    }
    read_all(&mut w)
}

/// [`read_wav`] of WAV bytes in memory (the built-in sample call); `name` is for messages.
pub fn read_wav_bytes(bytes: &[u8], name: &Path) -> Result<WavAudio, WavError> {
    let mut w = WavStream::from_bytes(bytes, name)?;
    let (raw, spec) = read_all(&mut w)?;
    resample_all(raw, spec, name)
}

fn read_all<R: std::io::Read>(
    w: &mut WavStream<R>,
) -> Result<(Vec<Vec<f32>>, hound::WavSpec), WavError> {
    let n_ch = w.spec.channels as usize;
    let mut channels = vec![Vec::with_capacity(w.frames as usize); n_ch];
    while w.read_frames(1 << 16, &mut channels)? > 0 {}
    if channels.first().is_none_or(Vec::is_empty) {
        return Err(WavError::Empty {
            path: w.path.clone(),
        });
    }
    Ok((channels, w.spec))
}

/// A WAV file read a block at a time at its own rate (a 3-hour call is not held in memory).
///
/// The data's length comes from the file, not only from the header: a header that says less
/// than the file holds (and no chunk follows where it says the data ends) or more than it
/// holds is read as far as the data goes, with [`WavStream::warning`] saying so, as `sox`
/// does. A header of 0 or 0xFFFFFFFF bytes (written by a streaming tool) is read to the end.
pub struct WavStream<R> {
    input: R,
    pub spec: hound::WavSpec,
    /// Frames that will be read (what is really there).
    pub frames: u64,
    /// The header's length was wrong: what it said and what was read instead.
    pub warning: Option<String>,
    bytes_left: u64,
    path: PathBuf,
    buf: Vec<u8>,
}

impl WavStream<std::io::BufReader<std::fs::File>> {
    /// Opens the regular file `path` (see [`open_regular`]) and reads its header.
    pub fn open(path: &Path) -> Result<Self, WavError> {
        use std::io::Seek;
        use std::os::unix::fs::FileExt;
        let file = open_regular(path)?;
        let open_err = |source| WavError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file_len = file.metadata().map_err(open_err)?.len();
        let mut reader = std::io::BufReader::new(file);
        let (spec, samples) = read_header(&mut reader, path)?;
        let offset = reader.stream_position().map_err(open_err)?;
        let mut size = [0u8; 4];
        reader
            .get_ref()
            .read_exact_at(&mut size, offset.saturating_sub(4))
            .map_err(open_err)?;
        let declared = declared_bytes(spec, samples, size, path)?;
        // What follows the declared end: a chunk header (e.g. `LIST`, `cue `) means the
        // header is right about where the data ends.
        let mut next = [0u8; 8];
        let chunk_follows = offset + declared + 8 <= file_len
            && reader
                .get_ref()
                .read_exact_at(&mut next, offset + declared)
                .is_ok()
            && looks_like_chunk(&next, file_len - (offset + declared + 8));
        let bytes_left = data_length(declared, file_len.saturating_sub(offset), chunk_follows);
        Ok(WavStream::new(reader, spec, declared, bytes_left, path))
    }
}

impl<'a> WavStream<std::io::Cursor<&'a [u8]>> {
    /// [`WavStream::open`] of bytes in memory; `name` is for messages.
    pub fn from_bytes(bytes: &'a [u8], name: &Path) -> Result<Self, WavError> {
        let mut reader = std::io::Cursor::new(bytes);
        let (spec, samples) = read_header(&mut reader, name)?;
        let offset = reader.position();
        let at = offset.saturating_sub(4) as usize;
        let size = bytes
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .unwrap_or_default();
        let declared = declared_bytes(spec, samples, size, name)?;
        let total = bytes.len() as u64;
        let at = (offset + declared) as usize;
        let chunk_follows = bytes
            .get(at..at + 8)
            .is_some_and(|n| looks_like_chunk(n, total.saturating_sub(offset + declared + 8)));
        let bytes_left = data_length(declared, total - offset, chunk_follows);
        Ok(WavStream::new(reader, spec, declared, bytes_left, name))
    }
}

/// The header (through hound) and the data length it declares, in bytes.
fn read_header<R: std::io::Read>(
    reader: &mut R,
    path: &Path,
) -> Result<(hound::WavSpec, u64), WavError> {
    let fmt_err = |message: String| WavError::Format {
        path: path.to_path_buf(),
        message,
    };
    let h = hound::WavReader::new(reader).map_err(|e| fmt_err(e.to_string()))?;
    let spec = h.spec();
    if spec.channels == 0 || spec.sample_rate < 4000 || spec.sample_rate > 384_000 {
        return Err(fmt_err(format!(
            "unsupported layout: {} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) | (hound::SampleFormat::Int, 8 | 16 | 24 | 32) => {}
        (f, b) => {
            return Err(fmt_err(format!(
                "unsupported sample format {f:?} with {b} bits"
            )))
        }
    }
    Ok((spec, u64::from(h.len())))
}

/// The data chunk's declared size in bytes (`size`, the 4 bytes before the data), checked
/// against hound's sample count: samples are read as stored, so a container wider than the
/// sample (24 bits in 4 bytes) is refused.
fn declared_bytes(
    spec: hound::WavSpec,
    samples: u64,
    size: [u8; 4],
    path: &Path,
) -> Result<u64, WavError> {
    let bytes = u64::from(u32::from_le_bytes(size));
    let width = u64::from(spec.bits_per_sample / 8);
    if samples > 0 && bytes / samples != width && bytes < u64::from(u32::MAX) - 8 {
        return Err(WavError::Format {
            path: path.to_path_buf(),
            message: format!(
                "{}-bit samples in {}-byte containers are not supported",
                spec.bits_per_sample,
                bytes / samples
            ),
        });
    }
    Ok(bytes)
}

/// Whether 8 bytes look like a RIFF chunk header (four printable ASCII bytes, a size that fits
/// in `room`).
fn looks_like_chunk(h: &[u8], room: u64) -> bool {
    h.len() >= 8
        && h[..4].iter().all(|b| (0x20..0x7f).contains(b))
        && u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]])) <= room
}

/// The data length to read: the header's unless it is wrong.
fn data_length(declared: u64, available: u64, chunk_follows: bool) -> u64 {
    if declared > available || (declared < available && !chunk_follows) {
        available
    } else {
        declared
    }
}

impl<R: std::io::Read> WavStream<R> {
    fn new(input: R, spec: hound::WavSpec, declared: u64, bytes_left: u64, path: &Path) -> Self {
        let frame = u64::from(spec.channels) * u64::from(spec.bits_per_sample / 8);
        let frames = bytes_left / frame.max(1);
        let secs = |bytes: u64| bytes as f64 / (frame.max(1) * u64::from(spec.sample_rate)) as f64;
        let warning = (bytes_left != declared && declared != 0 && declared < u64::from(u32::MAX) - 8)
            .then(|| {
                format!(
                    "{}: the WAV header says the audio is {:.1} s long, but the file holds {:.1} s; reading all of it (fix the header with e.g. `sox IN OUT.wav`)",
                    path.display(),
                    secs(declared),
                    secs(bytes_left)
                )
            });
        WavStream {
            input,
            spec,
            frames,
            warning,
            bytes_left: frames * frame,
            path: path.to_path_buf(),
            buf: Vec::new(),
        }
    }

    /// Appends up to `max_frames` frames, de-interleaved, to `out` (one vector per channel);
    /// returns how many were read (0 at the end).
    pub fn read_frames(
        &mut self,
        max_frames: usize,
        out: &mut [Vec<f32>],
    ) -> Result<usize, WavError> {
        let n_ch = usize::from(self.spec.channels);
        let width = usize::from(self.spec.bits_per_sample / 8);
        let frame = n_ch * width;
        let want = (max_frames as u64).min(self.bytes_left / frame as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        self.buf.resize(want * frame, 0);
        let mut got = 0;
        while got < self.buf.len() {
            match self.input.read(&mut self.buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(WavError::Format {
                        path: self.path.clone(),
                        message: e.to_string(),
                    })
                }
            }
        }
        let frames = got / frame;
        self.bytes_left = if frames < want {
            0
        } else {
            self.bytes_left - (frames * frame) as u64
        };
        let float = self.spec.sample_format == hound::SampleFormat::Float;
        let scale = 1.0 / (1u64 << (self.spec.bits_per_sample - 1)) as f32;
        for f in self.buf[..frames * frame].chunks_exact(frame) {
            for (c, b) in out.iter_mut().zip(f.chunks_exact(width)) {
                let v = match (float, width) {
                    (true, _) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    (false, 1) => (i32::from(b[0]) - 128) as f32 * scale,
                    (false, 2) => i16::from_le_bytes([b[0], b[1]]) as f32 * scale,
                    (false, 3) => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * scale,
                    (false, _) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 * scale,
                };
                c.push(v);
            }
        }
        Ok(frames)
    }
}

/// Writes 16 kHz 16-bit PCM channels (equal lengths) to `path`. For tests and tools.
pub fn write_wav_16k(path: &Path, channels: &[&[f32]]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: SAMPLE_RATE_HZ,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    let len = channels.iter().map(|c| c.len()).max().unwrap_or(0);
    for i in 0..len {
        for c in channels {
            let v = c.get(i).copied().unwrap_or(0.0).clamp(-1.0, 1.0);
            w.write_sample((v * 32767.0).round() as i16)?;
        }
    }
    w.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stereo_44k_and_resamples_each_channel() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        for i in 0..44_100 {
            w.write_sample(if i % 2 == 0 { 1000 } else { -1000 })
                .unwrap();
            w.write_sample(0).unwrap();
        }
        w.finalize().unwrap();
        let a = read_wav(&p).unwrap();
        assert_eq!(a.channels.len(), 2);
        assert_eq!(a.channels[0].len(), 16_000);
        assert!(a.channels[1].iter().all(|v| v.abs() < 1e-6));
        assert_eq!(a.source_rate, 44_100);
    }

    #[test]
    fn non_wav_and_empty_and_missing_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.wav");
        std::fs::write(&p, b"this is not audio at all").unwrap();
        let e = read_wav(&p).unwrap_err().to_string();
        assert!(
            e.contains("x.wav") && e.contains("not a readable WAV"),
            "{e}"
        );
        let empty = dir.path().join("e.wav");
        write_wav_16k(&empty, &[&[]]).unwrap();
        let e = read_wav(&empty).unwrap_err().to_string();
        assert!(e.contains("no audio samples"), "{e}");
        let e = read_wav(&dir.path().join("missing.wav"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing.wav") && e.contains("cannot open"),
            "{e}"
        );
    }
}
