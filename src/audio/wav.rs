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

/// Reads `path` at its own rate: one f32 vector per channel, and the spec.
pub fn read_wav_native(path: &Path) -> Result<(Vec<Vec<f32>>, hound::WavSpec), WavError> {
    let file = open_regular(path)?;
    decode_native(std::io::BufReader::new(file), path)
}

/// [`read_wav`] of WAV bytes in memory (the built-in sample call); `name` is for messages.
pub fn read_wav_bytes(bytes: &[u8], name: &Path) -> Result<WavAudio, WavError> {
    let (raw, spec) = decode_native(std::io::Cursor::new(bytes), name)?;
    resample_all(raw, spec, name)
}

fn decode_native<R: std::io::Read>(
    input: R,
    path: &Path,
) -> Result<(Vec<Vec<f32>>, hound::WavSpec), WavError> {
    let fmt_err = |message: String| WavError::Format {
        path: path.to_path_buf(),
        message,
    };
    let reader = hound::WavReader::new(input).map_err(|e| fmt_err(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate < 4000 || spec.sample_rate > 384_000 {
        return Err(fmt_err(format!(
            "unsupported layout: {} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    let n_ch = spec.channels as usize;
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| fmt_err(e.to_string()))?,
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| fmt_err(e.to_string()))?
        }
        (f, b) => {
            return Err(fmt_err(format!(
                "unsupported sample format {f:?} with {b} bits"
            )))
        }
    };
    let frames = interleaved.len() / n_ch;
    if frames == 0 {
        return Err(WavError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut channels = vec![Vec::with_capacity(frames); n_ch];
    for frame in interleaved.chunks_exact(n_ch) {
        for (c, v) in channels.iter_mut().zip(frame) {
            c.push(*v);
        }
    }
    Ok((channels, spec))
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
