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
use cpal::{FromSample, SampleFormat, SizedSample};

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

/// A device as listed by `ringside devices`.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub name: String,
    /// The host's stable id of the device (e.g. the PulseAudio source name).
    pub id: String,
    pub is_input: bool,
    pub is_output: bool,
    pub default_format: String,
    pub is_default: bool,
}

/// A device's human-readable name (its id when it has none).
pub fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_string())
        .or_else(|_| d.id().map(|i| i.to_string()))
        .unwrap_or_else(|_| "?".into())
}

/// Lists input and output devices of the default host.
pub fn list_devices() -> Result<(String, Vec<DeviceInfo>), String> {
    crate::audio::with_stderr_silenced(list_devices_inner)
}

fn list_devices_inner() -> Result<(String, Vec<DeviceInfo>), String> {
    let host = cpal::default_host();
    let host_name = host.id().name().to_string();
    let id_of = |d: cpal::Device| d.id().map(|i| i.to_string()).ok();
    let def_in = host.default_input_device().and_then(id_of);
    let def_out = host.default_output_device().and_then(id_of);
    let mut out = Vec::new();
    let devices = host.devices().map_err(|e| e.to_string())?;
    for d in devices {
        let name = device_name(&d);
        let id = d.id().map(|i| i.to_string()).unwrap_or_default();
        let is_input = d.default_input_config().is_ok();
        let is_output = d.default_output_config().is_ok();
        let cfg = if is_input {
            d.default_input_config().ok()
        } else {
            d.default_output_config().ok()
        };
        let default_format = cfg
            .map(|c| {
                format!(
                    "{} ch, {} Hz, {:?}",
                    c.channels(),
                    c.sample_rate(),
                    c.sample_format()
                )
            })
            .unwrap_or_else(|| "-".into());
        let is_default = Some(&id) == def_in.as_ref() || Some(&id) == def_out.as_ref();
        out.push(DeviceInfo {
            name,
            id,
            is_input,
            is_output,
            default_format,
            is_default,
        });
    }
    Ok((host_name, out))
}

/// Picks `n` from `devices`: by exact name, then by id ("host:name" or just "name"), then by
/// case-insensitive substring of the name.
pub fn pick_device(devices: Vec<cpal::Device>, n: &str) -> Option<cpal::Device> {
    if let Some(d) = devices.iter().find(|d| device_name(d) == n) {
        return Some(d.clone());
    }
    let id_matches = |d: &cpal::Device| {
        d.id()
            .map(|i| {
                let s = i.to_string();
                s == n || s.split_once(':').is_some_and(|(_, rest)| rest == n)
            })
            .unwrap_or(false)
    };
    if let Some(d) = devices.iter().find(|d| id_matches(d)) {
        return Some(d.clone());
    }
    let lower = n.to_lowercase();
    devices
        .into_iter()
        .find(|d| device_name(d).to_lowercase().contains(&lower))
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
    let stream = match cfg.sample_format() {
        SampleFormat::F32 => {
            build::<f32>(device, stream_cfg, producer, stats.clone(), start_timeout)
        }
        SampleFormat::I16 => {
            build::<i16>(device, stream_cfg, producer, stats.clone(), start_timeout)
        }
        SampleFormat::I32 => {
            build::<i32>(device, stream_cfg, producer, stats.clone(), start_timeout)
        }
        SampleFormat::U16 => {
            build::<u16>(device, stream_cfg, producer, stats.clone(), start_timeout)
        }
        SampleFormat::U8 => build::<u8>(device, stream_cfg, producer, stats.clone(), start_timeout),
        SampleFormat::I8 => build::<i8>(device, stream_cfg, producer, stats.clone(), start_timeout),
        SampleFormat::F64 => {
            build::<f64>(device, stream_cfg, producer, stats.clone(), start_timeout)
        }
        other => return Err(open_err(format!("unsupported sample format {other:?}"))),
    }
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

fn build<T>(
    device: &cpal::Device,
    cfg: cpal::StreamConfig,
    mut producer: rtrb::Producer<f32>,
    stats: Arc<CaptureStats>,
    timeout: Duration,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
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
                    dst.write(src.to_sample::<f32>());
                }
                for (dst, src) in b.iter_mut().zip(&data[la..take]) {
                    dst.write(src.to_sample::<f32>());
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
