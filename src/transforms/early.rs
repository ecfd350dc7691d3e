//! Early decoding: the segmenter announces a tentative segment at the first short pause and
//! it is decoded at once; when the final segment turns out to be the same audio, that text is
//! reused instead of decoding again. Synchronous: the caller passes the decoder in, so the
//! reuse rules are tested without Whisper.
//!
//! Rules: a tentative decode is kept per speaker until that speaker's final segment; speech
//! resuming drops it; a final segment reuses it only when its bounds are the tentative's, so a
//! segment that grew is decoded whole. A decode that gave nothing (cancelled because speech
//! resumed, or failed) is not kept.

use std::collections::HashMap;

use crate::event::{Speaker, SpeechSegment};
use crate::transforms::segment::SegmentEvent;

/// A decode's text and, when the text is empty, why (see `Transcript::unclear_reason`).
pub type Decoded = (String, &'static str);

/// A final segment with its text.
#[derive(Debug)]
pub struct Finished {
    pub segment: SpeechSegment,
    pub decoded: Decoded,
    /// The text came from the tentative decode.
    pub reused: bool,
}

/// Keeps the last tentative decode of each speaker.
#[derive(Debug, Default)]
pub struct EarlyDecode {
    pending: HashMap<Speaker, (u64, u64, Decoded)>,
}

impl EarlyDecode {
    /// Feeds one segmenter event. `decode` runs the decoder on a segment (`None`: no result).
    /// Returns the final segment and its text when `ev` closed one that decoded.
    pub fn on_event(
        &mut self,
        ev: SegmentEvent,
        mut decode: impl FnMut(&SpeechSegment) -> Option<Decoded>,
    ) -> Option<Finished> {
        match ev {
            SegmentEvent::Tentative(seg) => {
                if let Some(d) = decode(&seg) {
                    self.pending
                        .insert(seg.speaker, (seg.start_sample, seg.end_sample, d));
                } else {
                    self.pending.remove(&seg.speaker);
                }
                None
            }
            SegmentEvent::Resumed { speaker, .. } => {
                self.pending.remove(&speaker);
                None
            }
            SegmentEvent::Final(seg) => {
                let kept = match self.pending.remove(&seg.speaker) {
                    Some((s, e, d)) if s == seg.start_sample && e == seg.end_sample => Some(d),
                    _ => None,
                };
                let reused = kept.is_some();
                let decoded = match kept {
                    Some(d) => d,
                    None => decode(&seg)?,
                };
                Some(Finished {
                    segment: seg,
                    decoded,
                    reused,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn seg(speaker: Speaker, start: u64, end: u64) -> SpeechSegment {
        SpeechSegment {
            speaker,
            start_sample: start,
            end_sample: end,
            audio_start_sample: start,
            samples: vec![0.0; (end - start) as usize],
            closed_at_sample: end,
            closed_at: Instant::now(),
            cancel: None,
            prosody: None,
        }
    }

    /// Feeds `ev`; the decoder names the bounds it decoded and counts its calls (`ok`
    /// false: it gives nothing, as a cancelled or failed decode).
    fn feed(
        e: &mut EarlyDecode,
        ev: SegmentEvent,
        calls: &mut usize,
        ok: bool,
    ) -> Option<Finished> {
        e.on_event(ev, |s| {
            *calls += 1;
            ok.then(|| (format!("{}-{}", s.start_sample, s.end_sample), ""))
        })
    }

    fn tentative(sp: Speaker, a: u64, b: u64) -> SegmentEvent {
        SegmentEvent::Tentative(seg(sp, a, b))
    }

    fn last(sp: Speaker, a: u64, b: u64) -> SegmentEvent {
        SegmentEvent::Final(seg(sp, a, b))
    }

    #[test]
    fn a_final_with_the_tentative_bounds_reuses_its_text() {
        let (mut e, mut calls) = (EarlyDecode::default(), 0);
        assert!(feed(&mut e, tentative(Speaker::Them, 100, 900), &mut calls, true).is_none());
        let f = feed(&mut e, last(Speaker::Them, 100, 900), &mut calls, true)
            .expect("a final segment gives text");
        assert!(f.reused);
        assert_eq!(f.decoded.0, "100-900");
        assert_eq!(calls, 1, "decoded once");
    }

    #[test]
    fn a_segment_that_grew_or_resumed_is_decoded_whole() {
        let (mut e, mut calls) = (EarlyDecode::default(), 0);
        feed(&mut e, tentative(Speaker::Me, 0, 500), &mut calls, true);
        let f = feed(&mut e, last(Speaker::Me, 0, 800), &mut calls, true).unwrap();
        assert!(!f.reused);
        assert_eq!(f.decoded.0, "0-800");
        feed(&mut e, tentative(Speaker::Me, 1000, 1500), &mut calls, true);
        let resumed = SegmentEvent::Resumed {
            speaker: Speaker::Me,
            start_sample: 1000,
        };
        assert!(feed(&mut e, resumed, &mut calls, true).is_none());
        // Same bounds again after a resumption (speech then stopped at the same place): the
        // dropped guess is not reused.
        let f = feed(&mut e, last(Speaker::Me, 1000, 1500), &mut calls, true).unwrap();
        assert!(!f.reused);
        assert_eq!(calls, 4);
    }

    #[test]
    fn speakers_do_not_share_guesses_and_a_failed_guess_is_not_kept() {
        let (mut e, mut calls) = (EarlyDecode::default(), 0);
        feed(&mut e, tentative(Speaker::Me, 0, 500), &mut calls, true);
        let f = feed(&mut e, last(Speaker::Them, 0, 500), &mut calls, true).unwrap();
        assert!(!f.reused, "the other speaker's guess");
        // The guess is still there for its own speaker's final.
        let f = feed(&mut e, last(Speaker::Me, 0, 500), &mut calls, false).unwrap();
        assert!(f.reused);
        // A cancelled or failed tentative decode gives nothing and leaves nothing behind.
        feed(
            &mut e,
            tentative(Speaker::Them, 600, 900),
            &mut calls,
            false,
        );
        let f = feed(&mut e, last(Speaker::Them, 600, 900), &mut calls, true).unwrap();
        assert!(!f.reused);
        // A final that fails to decode gives no text.
        assert!(feed(&mut e, last(Speaker::Me, 2000, 2500), &mut calls, false).is_none());
    }
}
