//! Live source: a cpal capture device feeding one or two channels ("me", or "me" and "them"
//! from a stereo device), with the device's life around it: it reports a lost device, pads
//! the timeline with silence while it is gone, reopens it when it comes back, and falls back
//! from a lost named microphone to the default input. Runs on its own capture thread (spawned
//! by [`crate::app`]); the cpal callback behind it only fills the ring (see [`microphone`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::microphone;
use crate::audio::resample::{downmix_into, pick_channel_into, Resampler};
use crate::event::{samples_to_secs, DeviceChange, DeviceNotice, Speaker, Stats, SAMPLE_RATE_HZ};

/// One channel a device feeds: 16 kHz mono blocks in, contiguous from its position.
pub trait Channel {
    fn speaker(&self) -> Speaker;
    /// Stream position reached (samples at 16 kHz).
    fn pos(&self) -> u64;
    fn push(&mut self, start_sample: u64, samples: &[f32]);
    /// The source is done: flush what is pending.
    fn finish(&mut self);
}

/// What a live source reports besides audio.
#[derive(Debug, Clone)]
pub enum Notice {
    Device(DeviceNotice),
    /// The device could not be opened at the start: the session cannot run.
    Fatal(String),
}

/// Which samples of a device's frames feed a channel.
#[derive(Debug, Clone, Copy)]
pub enum ChannelSel {
    Mix,
    Index(usize),
}

/// A capture device feeding one or two channels, reopened when it fails.
pub struct LiveSource<C: Channel> {
    pub device: Option<String>,
    pub ring_secs: f64,
    pub start_timeout: Duration,
    pub procs: Vec<(ChannelSel, C)>,
    pub stop: Arc<AtomicBool>,
    /// Where device changes and a failed first open are reported.
    pub notify: Box<dyn FnMut(Notice) + Send>,
    /// The session's counters: `started` (stream time 0 on the wall clock, set at the first
    /// open) and `dropped_samples` (what the capture ring had no room for, per channel).
    pub stats: Arc<Stats>,
    pub limit: Option<u64>,
}

/// How long a lost named device is retried before falling back to the default input.
const FALLBACK_GRACE: Duration = Duration::from_secs(5);

impl<C: Channel> LiveSource<C> {
    fn speaker0(&self) -> Speaker {
        self.procs
            .first()
            .map(|(_, p)| p.speaker())
            .unwrap_or(Speaker::Me)
    }

    /// Captures until `stop`, the limit, or a failed first open (reported as
    /// [`Notice::Fatal`]); reopens a lost device and falls back as described above.
    pub fn run(mut self) {
        let t0 = Instant::now();
        let _ = self.stats.started.set(t0);
        let mut first = true;
        let mut use_default = false;
        let mut lost_since: Option<Instant> = None;
        let mut unusable_reported = false;
        while !self.stop.load(Ordering::Relaxed) && !self.past_limit() {
            let name = if use_default {
                None
            } else {
                self.device.as_deref()
            };
            let opened = microphone::find_input(name)
                .and_then(|d| microphone::open(&d, self.ring_secs, self.start_timeout));
            let mut cap = match opened {
                Ok(c) => c,
                Err(e) => {
                    if first {
                        (self.notify)(Notice::Fatal(e.to_string()));
                        break;
                    }
                    if self.falls_back(use_default, lost_since) {
                        use_default = true;
                        self.fallback_notice(&e.to_string());
                    }
                    std::thread::sleep(Duration::from_millis(500));
                    self.pad_to_wall_clock(t0);
                    continue;
                }
            };
            // Audio at another rate is never passed on as if it were 16 kHz: a device whose
            // rate cannot be converted is an error, said once with the rate.
            let resamplers: Result<Vec<Resampler>, _> = self
                .procs
                .iter()
                .map(|_| Resampler::new(cap.rate))
                .collect();
            let mut resamplers = match resamplers {
                Ok(r) => r,
                Err(e) => {
                    let detail = format!("input {:?}: {e}", cap.name);
                    if first {
                        (self.notify)(Notice::Fatal(detail));
                        break;
                    }
                    // Said once per loss, not at every retry; the reopened device counts as
                    // still lost, so the fallback to the default input can follow.
                    if !unusable_reported {
                        unusable_reported = true;
                        let at = self.pos();
                        let notice = self.notice(DeviceChange::Lost, at, detail.clone());
                        (self.notify)(Notice::Device(notice));
                    }
                    if lost_since.is_none() {
                        lost_since = Some(Instant::now());
                    }
                    if self.falls_back(use_default, lost_since) {
                        use_default = true;
                        self.fallback_notice(&detail);
                    }
                    drop(cap);
                    std::thread::sleep(Duration::from_millis(500));
                    self.pad_to_wall_clock(t0);
                    continue;
                }
            };
            lost_since = None;
            unusable_reported = false;
            if !first {
                let at = self.pos();
                let notice = self.notice(DeviceChange::Restored, at, cap.name.clone());
                (self.notify)(Notice::Device(notice));
            }
            first = false;
            self.capture(&mut cap, &mut resamplers, t0);
            if self.stop.load(Ordering::Relaxed) || self.past_limit() {
                break;
            }
            // The stream failed: report, then reopen.
            let at = self.pos();
            let notice = self.notice(
                DeviceChange::Lost,
                at,
                format!("input {:?} stopped delivering audio", cap.name),
            );
            (self.notify)(Notice::Device(notice));
            if lost_since.is_none() {
                lost_since = Some(Instant::now());
            }
        }
        for (_, p) in self.procs.iter_mut() {
            p.finish();
        }
    }

    fn notice(&self, event: DeviceChange, at_sample: u64, detail: String) -> DeviceNotice {
        DeviceNotice {
            speaker: self.speaker0(),
            event,
            time: samples_to_secs(at_sample),
            detail,
        }
    }

    fn pos(&self) -> u64 {
        self.procs.first().map(|(_, p)| p.pos()).unwrap_or(0)
    }

    fn past_limit(&self) -> bool {
        self.limit.is_some_and(|l| self.pos() >= l)
    }

    /// While a device is gone, the timeline keeps running: pad with silence up to the wall
    /// clock so the recording's gap has the length of the outage.
    fn pad_to_wall_clock(&mut self, t0: Instant) {
        let want = (t0.elapsed().as_secs_f64() * SAMPLE_RATE_HZ as f64) as u64;
        for (_, p) in self.procs.iter_mut() {
            let pos = p.pos();
            if want > pos {
                let zeros = vec![0.0f32; (want - pos) as usize];
                p.push(pos, &zeros);
            }
        }
    }

    /// Only the practitioner's named mic falls back to the default input, after it has been
    /// lost for [`FALLBACK_GRACE`]: the default input is the mic, so a counterpart falling
    /// back to it would hear "me" twice.
    fn falls_back(&self, use_default: bool, lost_since: Option<Instant>) -> bool {
        !use_default
            && self.device.is_some()
            && self.speaker0() == Speaker::Me
            && lost_since.is_some_and(|t| t.elapsed() > FALLBACK_GRACE)
    }

    fn fallback_notice(&mut self, why: &str) {
        let at = self.pos();
        let notice = self.notice(
            DeviceChange::Fallback,
            at,
            format!("{why}; falling back to the default input"),
        );
        (self.notify)(Notice::Device(notice));
    }

    fn capture(
        &mut self,
        cap: &mut microphone::Capture,
        resamplers: &mut [Resampler],
        t0: Instant,
    ) {
        let ch = cap.channels.max(1) as usize;
        let mut raw: Vec<f32> = Vec::with_capacity(cap.rate as usize * ch);
        let mut mono = Vec::with_capacity(cap.rate as usize);
        let mut out16 = Vec::with_capacity(SAMPLE_RATE_HZ as usize);
        let mut last_dropped = 0u64;
        let mut last_data = Instant::now();
        // A reopened device starts where the timeline is now.
        self.pad_to_wall_clock(t0);
        loop {
            if self.stop.load(Ordering::Relaxed) || self.past_limit() {
                return;
            }
            if cap.stats.failed.load(Ordering::Relaxed) {
                return;
            }
            let n = cap.consumer.slots();
            let n = n - n % ch;
            if n == 0 {
                if last_data.elapsed() > Duration::from_secs(3) {
                    // No callback for 3 s: the device is gone without an error report.
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            last_data = Instant::now();
            raw.clear();
            if let Ok(chunk) = cap.consumer.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                raw.extend_from_slice(a);
                raw.extend_from_slice(b);
                chunk.commit_all();
            }
            let dropped = cap.stats.dropped.load(Ordering::Relaxed);
            if dropped > last_dropped {
                self.stats
                    .dropped_samples
                    .fetch_add((dropped - last_dropped) / ch as u64, Ordering::Relaxed);
                last_dropped = dropped;
            }
            for (i, (sel, proc_)) in self.procs.iter_mut().enumerate() {
                mono.clear();
                match sel {
                    ChannelSel::Mix => downmix_into(&raw, ch, &mut mono),
                    ChannelSel::Index(k) => pick_channel_into(&raw, ch, *k, &mut mono),
                }
                out16.clear();
                if let Some(r) = resamplers.get_mut(i) {
                    r.process(&mono, &mut out16);
                }
                if !out16.is_empty() {
                    let start = proc_.pos();
                    proc_.push(start, &out16);
                }
            }
        }
    }
}
