//! Playback: the counterpart's voice out through a cpal output device (the headset, or on the
//! virtual PulseAudio setup the `call_feed` sink).
//!
//! Real-time rule, as for capture: the cpal data callback only pops mono samples from a
//! lock-free SPSC ring (`rtrb`) sized once at open, writes them to the selected channels and
//! fills the rest with zeros. No allocation, lock, log or I/O there. It counts what it did in
//! atomics (frames out, frames taken from the ring, frames discarded on a flush) and stores the
//! device's reported output latency; a stream error sets an atomic flag. The player thread
//! that owns the [`Output`] reads those counters to know exactly which samples were played.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use crate::audio::device::{build_stream, device_name, pick_device, AudioSample, StreamBuilder};

/// Which channels of the output device carry the voice (`"all"`, `"left"`, `"right"` in a
/// daemon start request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputChannels {
    /// Every channel (both ears of a headset).
    #[default]
    All,
    /// The first channel only.
    Left,
    /// The second channel only (e.g. the counterpart side of the virtual `call_feed` sink, so
    /// the voice does not leak into the practitioner's virtual microphone on the left).
    Right,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("no audio output device found on the {host} host; plug in a headset or pass --output NAME (see `ringside devices`)")]
    NoDefault { host: String },
    #[error("output device {name:?} not found; list devices with `ringside devices`")]
    NotFound { name: String },
    #[error("cannot open output device {name:?}: {message}; check it with `ringside devices`")]
    Open { name: String, message: String },
}

/// Counters shared with the callback.
#[derive(Debug, Default)]
pub struct OutputStats {
    /// Frames handed to the device (voice or silence).
    pub frames_out: AtomicU64,
    /// Frames taken from the ring (the rest of `frames_out` was silence: idle or underrun).
    pub frames_from_ring: AtomicU64,
    /// Frames dropped from the ring on a flush (barge-in), never played.
    pub frames_discarded: AtomicU64,
    /// Set by the player to make the callback drop what the ring holds.
    pub flush: AtomicBool,
    /// Microseconds from the callback to the predicted playback of its first frame.
    pub latency_us: AtomicU64,
    /// Set by the error callback when the stream failed.
    pub failed: AtomicBool,
}

/// An open output stream and the producer end of its ring. Lives on the thread that opened it.
pub struct Output {
    _stream: cpal::Stream,
    pub producer: rtrb::Producer<f32>,
    pub stats: Arc<OutputStats>,
    pub rate: u32,
    pub channels: u16,
    pub name: String,
}

/// Finds an output device by exact name, id (with or without the host prefix), then
/// case-insensitive substring; `None` = the default output.
pub fn find_output(name: Option<&str>) -> Result<cpal::Device, OutputError> {
    let host = cpal::default_host();
    let Some(n) = name else {
        return host
            .default_output_device()
            .ok_or_else(|| OutputError::NoDefault {
                host: host.id().name().to_string(),
            });
    };
    let devices: Vec<cpal::Device> = host
        .output_devices()
        .map_err(|e| OutputError::Open {
            name: n.into(),
            message: e.to_string(),
        })?
        .collect();
    pick_device(devices, n).ok_or_else(|| OutputError::NotFound { name: n.into() })
}

/// Opens `device` with its default rate and channel count, a device buffer of about
/// `buffer_ms` (the server's default can be seconds on PulseAudio) and a ring of `ring_secs`.
pub fn open(
    device: &cpal::Device,
    which: OutputChannels,
    buffer_ms: u32,
    ring_secs: f64,
    timeout: Duration,
) -> Result<Output, OutputError> {
    let name = device_name(device);
    let open_err = |message: String| OutputError::Open {
        name: name.clone(),
        message,
    };
    let cfg = device
        .default_output_config()
        .map_err(|e| open_err(e.to_string()))?;
    let rate = cfg.sample_rate();
    let channels = cfg.channels();
    let stats = Arc::new(OutputStats::default());
    let fixed = (rate as u64 * buffer_ms as u64 / 1000).max(64) as u32;
    let mut last_err = String::new();
    // A fixed buffer keeps the latency low; hosts that refuse it get their default.
    for size in [cpal::BufferSize::Fixed(fixed), cpal::BufferSize::Default] {
        let cap = ((rate as f64 * ring_secs) as usize).max(4096);
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(cap);
        let sc = cpal::StreamConfig {
            channels,
            sample_rate: rate,
            buffer_size: size,
        };
        let s = stats.clone();
        let format = cfg.sample_format();
        let builder = OutputBuilder {
            device,
            cfg: sc,
            consumer,
            stats: s,
            which,
            timeout,
        };
        let built = build_stream(format, builder)
            .ok_or_else(|| open_err(format!("unsupported sample format {format:?}")))?;
        match built {
            Ok(stream) => {
                stream.play().map_err(|e| open_err(e.to_string()))?;
                return Ok(Output {
                    _stream: stream,
                    producer,
                    stats,
                    rate,
                    channels,
                    name,
                });
            }
            Err(e) => last_err = e.to_string(),
        }
    }
    Err(open_err(last_err))
}

/// The parts of an output stream, typed by [`build_stream`] from the device's format.
struct OutputBuilder<'d> {
    device: &'d cpal::Device,
    cfg: cpal::StreamConfig,
    consumer: rtrb::Consumer<f32>,
    stats: Arc<OutputStats>,
    which: OutputChannels,
    timeout: Duration,
}

impl StreamBuilder for OutputBuilder<'_> {
    type Output = Result<cpal::Stream, cpal::Error>;

    fn build<T: AudioSample>(self) -> Self::Output {
        build::<T>(
            self.device,
            self.cfg,
            self.consumer,
            self.stats,
            self.which,
            self.timeout,
        )
    }
}

fn build<T>(
    device: &cpal::Device,
    cfg: cpal::StreamConfig,
    mut consumer: rtrb::Consumer<f32>,
    stats: Arc<OutputStats>,
    which: OutputChannels,
    timeout: Duration,
) -> Result<cpal::Stream, cpal::Error>
where
    T: AudioSample,
{
    let ch = cfg.channels.max(1) as usize;
    let (lo, hi) = match which {
        OutputChannels::All => (0, ch),
        OutputChannels::Left => (0, 1),
        OutputChannels::Right => (ch.min(2) - 1, ch.min(2)),
    };
    let err_stats = stats.clone();
    device.build_output_stream::<T, _, _>(
        cfg,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            // Real-time context: no allocation, no locks, no I/O.
            let ts = info.timestamp();
            let lat = ts.playback.duration_since(ts.callback);
            stats
                .latency_us
                .store(lat.as_micros() as u64, Ordering::Relaxed);
            if stats.flush.swap(false, Ordering::AcqRel) {
                let n = consumer.slots();
                if let Ok(chunk) = consumer.read_chunk(n) {
                    chunk.commit_all();
                }
                stats
                    .frames_discarded
                    .fetch_add(n as u64, Ordering::Relaxed);
            }
            let frames = data.len() / ch;
            let take = consumer.slots().min(frames);
            let silence = T::from_sample(0.0f32);
            let mut frame_iter = data.chunks_exact_mut(ch);
            if let Ok(chunk) = consumer.read_chunk(take) {
                let (a, b) = chunk.as_slices();
                for (frame, v) in (&mut frame_iter).zip(a.iter().chain(b.iter())) {
                    let s = T::from_sample(*v);
                    for (k, out) in frame.iter_mut().enumerate() {
                        *out = if k >= lo && k < hi { s } else { silence };
                    }
                }
                chunk.commit_all();
            }
            for frame in frame_iter {
                for out in frame.iter_mut() {
                    *out = silence;
                }
            }
            stats.frames_out.fetch_add(frames as u64, Ordering::Relaxed);
            stats
                .frames_from_ring
                .fetch_add(take as u64, Ordering::Relaxed);
        },
        move |e: cpal::Error| {
            use cpal::ErrorKind::*;
            match e.kind() {
                Xrun | RealtimeDenied | DeviceChanged => {}
                _ => err_stats.failed.store(true, Ordering::Relaxed),
            }
        },
        Some(timeout),
    )
}

/// Resamples a whole 16 kHz line to `rate` (done once per line before the call, off the
/// audio path). Linear interpolation is enough for a TTS voice going up in rate; the rate
/// conversion back to 16 kHz for the pipeline uses the proper resampler.
pub fn upsample_16k(x: &[f32], rate: u32) -> Vec<f32> {
    if rate == crate::event::SAMPLE_RATE_HZ || x.is_empty() {
        return x.to_vec();
    }
    let n_out = (x.len() as u64 * rate as u64 / crate::event::SAMPLE_RATE_HZ as u64) as usize;
    let step = crate::event::SAMPLE_RATE_HZ as f64 / rate as f64;
    (0..n_out)
        .map(|i| {
            let t = i as f64 * step;
            let k = t as usize;
            let f = (t - k as f64) as f32;
            let a = x.get(k).copied().unwrap_or(0.0);
            let b = x.get(k + 1).copied().unwrap_or(a);
            a + (b - a) * f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsampling_keeps_duration() {
        let x: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.01).sin()).collect();
        assert_eq!(upsample_16k(&x, 48_000).len(), 4800);
        assert_eq!(upsample_16k(&x, 44_100).len(), 4410);
        assert_eq!(upsample_16k(&x, 16_000), x);
    }
}
