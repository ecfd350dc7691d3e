//! Microphone source: a cpal input device (the practitioner's headset, or the counterpart's
//! channel: a monitor of the call's output or a second device).
//!
//! Real-time rule: the cpal data callback only converts samples to f32 and pushes them into a
//! lock-free SPSC ring (`rtrb`) sized once at open. No allocation, lock, log or I/O there. A
//! short write drops the rest of the block and counts it in an atomic; a stream error sets an
//! atomic flag. The capture thread that owns the `Capture` drains the ring and reports.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use crate::audio::device::{build_stream, device_name, pick_device, AudioSample, StreamBuilder};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no audio input device found{hint}; plug in a headset, or replay a file with `ringside practice --replay FILE` (or --sample)")]
    NoDefaultInput { hint: String },
    #[error("input device {name:?} not found; list devices with `ringside devices`")]
    NotFound { name: String },
    #[error("cannot open input device {name:?}: {message}; check it with `ringside devices`")]
    Open { name: String, message: String },
    #[error("input device {name:?} delivered no audio within {secs:.1} s; check that it is not muted or in use")]
    Silent { name: String, secs: f64 },
}

/// Counters shared with the callback.
#[derive(Debug, Default)]
pub struct CaptureStats {
    /// Samples the ring had no room for.
    pub dropped: AtomicU64,
    /// Set by the error callback when the stream failed (device unplugged, server gone).
    pub failed: AtomicBool,
    /// Samples delivered by the callback.
    pub delivered: AtomicU64,
}

/// An open input stream and the consumer end of its ring. Not `Send` on every platform: it
/// lives on the capture thread that opened it.
pub struct Capture {
    _stream: cpal::Stream,
    pub consumer: rtrb::Consumer<f32>,
    pub stats: Arc<CaptureStats>,
    pub rate: u32,
    pub channels: u16,
    pub name: String,
}

/// Finds an input device by exact name, then by case-insensitive substring; `None` = default.
pub fn find_input(name: Option<&str>) -> Result<cpal::Device, OpenError> {
    crate::audio::with_stderr_silenced(|| find_input_inner(name))
}

fn find_input_inner(name: Option<&str>) -> Result<cpal::Device, OpenError> {
    let host = cpal::default_host();
    match name {
        None => host
            .default_input_device()
            .ok_or_else(|| OpenError::NoDefaultInput {
                hint: format!(" on the {} host", host.id().name()),
            }),
        Some(n) => {
            let devices: Vec<cpal::Device> = host
                .input_devices()
                .map_err(|e| OpenError::Open {
                    name: n.into(),
                    message: e.to_string(),
                })?
                .collect();
            pick_device(devices, n).ok_or_else(|| OpenError::NotFound { name: n.into() })
        }
    }
}

/// Opens `device` for capture with its default config and a ring of `ring_secs`.
pub fn open(
    device: &cpal::Device,
    ring_secs: f64,
    start_timeout: Duration,
) -> Result<Capture, OpenError> {
    crate::audio::with_stderr_silenced(|| open_inner(device, ring_secs, start_timeout))
}

fn open_inner(
    device: &cpal::Device,
    ring_secs: f64,
    start_timeout: Duration,
) -> Result<Capture, OpenError> {
    let name = device_name(device);
    let open_err = |message: String| OpenError::Open {
        name: name.clone(),
        message,
    };
    let cfg = device
        .default_input_config()
        .map_err(|e| open_err(e.to_string()))?;
    let rate = cfg.sample_rate();
    let channels = cfg.channels();
    let cap = ((rate as f64 * ring_secs) as usize * channels as usize).max(4096);
    let (producer, consumer) = rtrb::RingBuffer::<f32>::new(cap);
    let stats = Arc::new(CaptureStats::default());
    let stream_cfg: cpal::StreamConfig = cfg.config();
    let format = cfg.sample_format();
    let builder = InputBuilder {
        device,
        cfg: stream_cfg,
        producer,
        stats: stats.clone(),
        timeout: start_timeout,
    };
    let stream = build_stream(format, builder)
        .ok_or_else(|| open_err(format!("unsupported sample format {format:?}")))?
        .map_err(|e| open_err(e.to_string()))?;
    // On the PulseAudio host `play()` blocks until the first audio arrives, so a silent or
    // suspended source would hang the capture thread (and with it the end of the session).
    // Play on a helper thread and give up after the start timeout; a late start then just
    // drops the stream.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ringside-stream-start".into())
        .spawn(move || {
            let r = stream.play();
            let _ = tx.send((stream, r));
        })
        .map_err(|e| open_err(e.to_string()))?;
    let stream = match rx.recv_timeout(start_timeout) {
        Ok((stream, Ok(()))) => stream,
        Ok((_, Err(e))) => return Err(open_err(e.to_string())),
        Err(_) => {
            return Err(OpenError::Silent {
                name,
                secs: start_timeout.as_secs_f64(),
            })
        }
    };
    Ok(Capture {
        _stream: stream,
        consumer,
        stats,
        rate,
        channels,
        name,
    })
}

/// The parts of an input stream, typed by [`build_stream`] from the device's format.
struct InputBuilder<'d> {
    device: &'d cpal::Device,
    cfg: cpal::StreamConfig,
    producer: rtrb::Producer<f32>,
    stats: Arc<CaptureStats>,
    timeout: Duration,
}

impl StreamBuilder for InputBuilder<'_> {
    type Output = Result<cpal::Stream, cpal::Error>;

    fn build<T: AudioSample>(self) -> Self::Output {
        build::<T>(
            self.device,
            self.cfg,
            self.producer,
            self.stats,
            self.timeout,
        )
    }
}

fn build<T>(
    device: &cpal::Device,
    cfg: cpal::StreamConfig,
    mut producer: rtrb::Producer<f32>,
    stats: Arc<CaptureStats>,
    timeout: Duration,
) -> Result<cpal::Stream, cpal::Error>
where
    T: AudioSample,
{
    let err_stats = stats.clone();
    device.build_input_stream::<T, _, _>(
        cfg,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            // Real-time context: no allocation, no locks, no I/O.
            let n = data.len();
            let room = producer.slots();
            let take = n.min(room);
            if let Ok(mut chunk) = producer.write_chunk_uninit(take) {
                let (a, b) = chunk.as_mut_slices();
                let la = a.len();
                for (dst, src) in a.iter_mut().zip(&data[..la]) {
                    dst.write(src.to_f32());
                }
                for (dst, src) in b.iter_mut().zip(&data[la..take]) {
                    dst.write(src.to_f32());
                }
                // SAFETY: all `take` slots were written just above.
                unsafe { chunk.commit_all() };
            }
            stats.delivered.fetch_add(take as u64, Ordering::Relaxed);
            if take < n {
                stats
                    .dropped
                    .fetch_add((n - take) as u64, Ordering::Relaxed);
            }
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
