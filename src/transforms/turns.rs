//! Turn-taking: numbers the utterances of a session and measures the pause before an answer.
//! Runs on the session thread, before the coach, one utterance or unclear turn at a time.
//!
//! The pause is measured between sounds, not between the VAD's edges: from the end of the
//! other side's last sound to the start of this one, each taken from the waveform when the
//! utterance carries a prosody record (`voice_start` / `voice_end`), else from the VAD's
//! edges (typed text, old sessions). The VAD's edges are up to ~150 ms off, which is the
//! difference between a quick yes and a slow one.

use std::collections::HashMap;

use crate::event::{samples_to_secs, secs_to_samples, Speaker, Unclear, Utterance};

/// A pause longer than this is no longer an answer's pause (the other side left the call,
/// or the user paused the practice).
const MAX_ANSWER_PAUSE_MS: f64 = 10_000.0;

/// Ids and answer pauses over one session.
#[derive(Debug, Default)]
pub struct Turns {
    next_id: u64,
    /// End of the last sound (utterance or unclear turn) of each speaker, in samples.
    last_end: HashMap<Speaker, u64>,
}

impl Turns {
    pub fn new() -> Turns {
        Turns::default()
    }

    /// Numbers `u` and, when it answers a turn of the other side (the other side spoke last,
    /// after this speaker's own last sound), sets `hesitation.pause_before_ms`.
    pub fn utterance(&mut self, u: &mut Utterance) {
        u.id = self.next_id;
        self.next_id += 1;
        let (start, end) = sound_bounds(u);
        let other_end = self.last_end.get(&u.speaker.other()).copied();
        let own_end = self.last_end.get(&u.speaker).copied().unwrap_or(0);
        if let Some(o) = other_end.filter(|o| *o >= own_end && *o <= start) {
            let pause_ms = samples_to_secs(start - o) * 1000.0;
            if let Some(h) = u
                .hesitation
                .as_mut()
                .filter(|_| pause_ms < MAX_ANSWER_PAUSE_MS)
            {
                h.pause_before_ms = Some(pause_ms.round() as u32);
            }
        }
        self.heard(u.speaker, end);
    }

    /// Speech that gave no text still ends a turn.
    pub fn unclear(&mut self, u: &Unclear) {
        self.heard(u.speaker, u.end_sample);
    }

    fn heard(&mut self, speaker: Speaker, end: u64) {
        let e = self.last_end.entry(speaker).or_insert(0);
        *e = (*e).max(end);
    }
}

/// Where the sound of `u` starts and ends: the waveform's edges when measured, else the VAD's.
pub fn sound_bounds(u: &Utterance) -> (u64, u64) {
    let p = u.prosody.as_ref();
    let start = p
        .and_then(|p| p.voice_start)
        .map_or(u.start_sample, secs_to_samples);
    let end = p
        .and_then(|p| p.voice_end)
        .map_or(u.end_sample, secs_to_samples);
    (start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Ending, Hesitation, Prosody, PROSODY_VERSION};

    fn utt(speaker: Speaker, start: f64, end: f64) -> Utterance {
        Utterance {
            id: 99,
            speaker,
            start_sample: secs_to_samples(start),
            end_sample: secs_to_samples(end),
            text: "yes".into(),
            latency_ms: None,
            hesitation: Some(Hesitation::default()),
            prosody: None,
        }
    }

    fn voiced(mut u: Utterance, start: f64, end: f64) -> Utterance {
        u.prosody = Some(Prosody {
            version: PROSODY_VERSION,
            f0_median_hz: None,
            f0_range_st: None,
            end: Ending::Unknown,
            end_slope_st_s: None,
            rate_syl_s: None,
            level_dbfs: -20.0,
            voiced_s: 0.0,
            voice_start: Some(start),
            voice_end: Some(end),
            contour_hz: Vec::new(),
        });
        u
    }

    fn pauses(list: Vec<Utterance>) -> Vec<(u64, Option<u32>)> {
        let mut t = Turns::new();
        list.into_iter()
            .map(|mut u| {
                t.utterance(&mut u);
                (u.id, u.hesitation.and_then(|h| h.pause_before_ms))
            })
            .collect()
    }

    #[test]
    fn ids_count_up_and_only_answers_get_a_pause() {
        let got = pauses(vec![
            utt(Speaker::Me, 0.0, 2.0),
            utt(Speaker::Me, 2.5, 3.0),
            utt(Speaker::Them, 3.6, 4.0),
            utt(Speaker::Them, 5.0, 6.0),
            utt(Speaker::Me, 6.25, 7.0),
        ]);
        assert_eq!(
            got,
            vec![
                (0, None),
                (1, None),
                (2, Some(600)),
                (3, None),
                (4, Some(250))
            ]
        );
    }

    #[test]
    fn the_waveform_edges_win_over_the_vad_edges() {
        // The VAD saw the question end at 2.2 s and the answer start at 2.9 s (0.7 s); the
        // sounds end at 2.05 s and start at 3.0 s: the pause is 0.95 s.
        let got = pauses(vec![
            voiced(utt(Speaker::Me, 0.0, 2.2), 0.05, 2.05),
            voiced(utt(Speaker::Them, 2.9, 3.5), 3.0, 3.45),
        ]);
        assert_eq!(got[1], (1, Some(950)));
    }

    #[test]
    fn overlap_and_long_silence_give_no_pause() {
        let got = pauses(vec![
            utt(Speaker::Me, 0.0, 3.0),
            // Starts before "me" ended: an interruption, not an answer after a pause.
            utt(Speaker::Them, 2.5, 3.5),
            utt(Speaker::Me, 4.0, 5.0),
            utt(Speaker::Them, 16.0, 17.0),
        ]);
        assert_eq!(got[1].1, None);
        assert_eq!(got[2].1, Some(500));
        assert_eq!(got[3].1, None);
    }

    #[test]
    fn an_unclear_turn_ends_a_turn_too() {
        let mut t = Turns::new();
        let mut q = utt(Speaker::Me, 0.0, 1.0);
        t.utterance(&mut q);
        t.unclear(&Unclear {
            speaker: Speaker::Them,
            start_sample: secs_to_samples(1.2),
            end_sample: secs_to_samples(1.5),
            reason: "no_speech".into(),
        });
        let mut a = utt(Speaker::Them, 2.0, 2.5);
        t.utterance(&mut a);
        // "them" spoke last: their next line is no answer to "me".
        assert_eq!(a.hesitation.and_then(|h| h.pause_before_ms), None);
    }
}
