//! cpal devices, for capture (`sources::microphone`), playback (role-play's counterpart) and
//! review alike: naming, listing and picking devices, and the one dispatch from a device's
//! sample format to a stream typed for it. The callbacks themselves stay with their owners;
//! they run on cpal's audio thread and never allocate, lock, log or do I/O.

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

/// A device sample type: converts from and to the pipeline's `f32` (inline, so it is fit for
/// the audio callback).
pub trait AudioSample: SizedSample + FromSample<f32> {
    fn to_f32(self) -> f32;
}

impl<T> AudioSample for T
where
    T: SizedSample + FromSample<f32>,
    f32: FromSample<T>,
{
    #[inline]
    fn to_f32(self) -> f32 {
        f32::from_sample_(self)
    }
}

/// Builds a stream once the sample type is known: implemented by capture, playback and review
/// for their own callbacks; [`build_stream`] picks `T` from the device's format.
pub trait StreamBuilder {
    type Output;
    fn build<T: AudioSample>(self) -> Self::Output;
}

/// The one sample-format dispatch: `None` for a format Ringside does not handle.
pub fn build_stream<B: StreamBuilder>(format: SampleFormat, b: B) -> Option<B::Output> {
    Some(match format {
        SampleFormat::F32 => b.build::<f32>(),
        SampleFormat::I16 => b.build::<i16>(),
        SampleFormat::I32 => b.build::<i32>(),
        SampleFormat::U16 => b.build::<u16>(),
        SampleFormat::U8 => b.build::<u8>(),
        SampleFormat::I8 => b.build::<i8>(),
        SampleFormat::F64 => b.build::<f64>(),
        _ => return None,
    })
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
    super::with_stderr_silenced(list_devices_inner)
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
