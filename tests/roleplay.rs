//! Whole role-plays without a human: `ringside roleplay` with a simulated practitioner whose
//! TTS lines go into a virtual microphone (PulseAudio), the counterpart speaking through a
//! cpal output, Whisper and the coach on both channels, and the recording checked afterwards.
//!
//! Each test loads its own null sink and remapped source into the running PulseAudio daemon
//! (the practitioner on the sink's left channel = the test's microphone, the counterpart on its
//! right channel), so tests running in parallel do not hear each other.
//!
//! Needs the environment of `scripts/test.sh` (the virtual microphone exported by
//! `scripts/virtmic.sh start`; festival, flite, paplay from `scripts/setup.sh --test`).

// The helpers below are test code too; `allow-unwrap-in-tests` only covers `#[test]` fns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::virtual_line::{require_env, VirtualLine};

struct Run {
    lines: Vec<serde_json::Value>,
    summary: serde_json::Value,
    session: PathBuf,
    _tmp: tempfile::TempDir,
}

fn roleplay(tag: &str, script: &str, extra: &[&str]) -> Run {
    require_env();
    let line = VirtualLine::new(tag);
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .current_dir(common::repo())
        .env_remove("RINGSIDE_CONFIG")
        .env("XDG_DATA_HOME", tmp.path().join("data"))
        .env(
            "RINGSIDE_TTS_CACHE",
            common::repo().join("target/tts-cache/roleplay"),
        )
        .args([
            "roleplay",
            "insurance_cold_call",
            "--json",
            "--output-channel",
            "right",
        ])
        .args([
            "--mic",
            &line.mic,
            "--output",
            &line.sink,
            "--practitioner-sink",
            &line.sink,
        ])
        .arg("--practitioner-script")
        .arg(roleplay_script(script))
        .args(["--duration", "150"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ringside roleplay failed:\n{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    for l in &lines {
        match l["type"].as_str() {
            Some("utterance") => eprintln!(
                "{:6.2} {:4} {} [{}]",
                l["start"].as_f64().unwrap(),
                l["speaker"].as_str().unwrap(),
                l["text"],
                l["act"]
            ),
            Some("cue") => eprintln!("{:6.2}      cue {}", l["time"].as_f64().unwrap(), l["id"]),
            Some("counterpart") => eprintln!("       counterpart {} {}", l["event"], l["text"]),
            _ => {}
        }
    }
    let summary = lines
        .iter()
        .rev()
        .find(|l| l["type"] == "summary")
        .cloned()
        .expect("a summary line");
    eprintln!("{summary}");
    let session = PathBuf::from(
        summary["session_dir"]
            .as_str()
            .expect("the session was recorded"),
    );
    assert!(
        session.starts_with(tmp.path()),
        "recorded under XDG_DATA_HOME: {}",
        session.display()
    );
    Run {
        lines,
        summary,
        session,
        _tmp: tmp,
    }
}

/// Per channel, the share of 100 ms windows with speech-level energy.
fn active_share(wav: &Path) -> (f64, f64) {
    let mut r = hound::WavReader::open(wav).unwrap();
    assert_eq!(r.spec().channels, 2, "both channels recorded");
    let s: Vec<f32> = r
        .samples::<i16>()
        .map(|x| x.unwrap() as f32 / 32768.0)
        .collect();
    let (mut act, mut n) = ([0usize; 2], 0usize);
    for w in s.chunks(3200) {
        n += 1;
        for (c, a) in act.iter_mut().enumerate() {
            let e: f32 = w.iter().skip(c).step_by(2).map(|v| v * v).sum::<f32>() / 1600.0;
            if e.sqrt() > 0.01 {
                *a += 1;
            }
        }
    }
    (act[0] as f64 / n as f64, act[1] as f64 / n as f64)
}

fn cues(r: &Run) -> Vec<String> {
    r.summary["cues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn check_recording(r: &Run, result: &str) {
    let (me, them) = active_share(&r.session.join("audio.wav"));
    eprintln!("speech share: me {me:.2}, them {them:.2}");
    assert!(
        me > 0.15 && them > 0.15,
        "both channels carry speech: me {me:.2}, them {them:.2}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.session.join("roleplay.json")).unwrap())
            .unwrap();
    assert_eq!(log["result"], result);
    assert_eq!(r.summary["result"], result);
    // The counterpart's lines were transcribed from the "them" channel like a person's.
    let them_utts = r
        .lines
        .iter()
        .filter(|l| l["type"] == "utterance" && l["speaker"] == "them")
        .count();
    assert!(them_utts >= 3, "{them_utts} them utterances");
    let events = std::fs::read_to_string(r.session.join("events.jsonl")).unwrap();
    for c in cues(r) {
        assert!(
            events.contains(&format!("\"id\":\"{c}\"")),
            "cue {c} recorded"
        );
    }
    let lats: Vec<f64> = r.summary["reply_latencies_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(!lats.is_empty(), "replies were measured");
    eprintln!(
        "reply_latency_p50_ms={:.0} reply_latency_p95_ms={:.0} replies={}",
        r.summary["reply_latency_p50_ms"].as_f64().unwrap(),
        r.summary["reply_latency_p95_ms"].as_f64().unwrap(),
        lats.len()
    );
}

#[test]
fn a_yes_ladder_makes_the_prospect_hang_up() {
    // The counterpart's channel goes through VAD and Whisper here, as a person's would.
    let r = roleplay("ladder", "yes_ladder.txt", &["--transcribe-counterpart"]);
    check_recording(&r, "hang_up");
    let c = cues(&r);
    assert!(c.iter().any(|x| x == "yes_ladder"), "{c:?}");
    assert!(!c.iter().any(|x| x == "commitment"), "{c:?}");
    // The fourth line of the script is never said: the prospect hung up after the third.
    let said_last = r.lines.iter().any(|l| {
        l["type"] == "utterance"
            && l["speaker"] == "me"
            && l["text"].as_str().unwrap().to_lowercase().contains("quote")
    });
    assert!(
        !said_last,
        "the practitioner stops when the prospect hangs up"
    );
}

#[test]
fn no_oriented_questions_and_labels_get_a_commitment() {
    let r = roleplay("noq", "no_oriented.txt", &[]);
    check_recording(&r, "commitment");
    let c = cues(&r);
    for want in ["good_no_question", "good_label", "commitment"] {
        assert!(c.iter().any(|x| x == want), "{want} in {c:?}");
    }
    assert!(!c.iter().any(|x| x == "yes_ladder"), "{c:?}");
}

#[test]
fn talking_over_the_counterpart_makes_it_stop() {
    let r = roleplay("barge", "barge_in.txt", &[]);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.session.join("roleplay.json")).unwrap())
            .unwrap();
    let cuts = log["interruptions"].as_array().unwrap();
    assert!(!cuts.is_empty(), "the barge-in was noticed: {log:#}");
    let cut = &cuts[0];
    let (stopped, onset) = (
        cut["time"].as_f64().unwrap(),
        cut["me_onset"].as_f64().unwrap(),
    );
    eprintln!("barge-in: me from {onset:.2} s, counterpart stopped at {stopped:.2} s");
    assert!(
        stopped - onset < 0.5,
        "stopped {:.0} ms after the practitioner started",
        (stopped - onset) * 1000.0
    );
    let line = log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["interrupted"] == true)
        .expect("an interrupted line");
    // The interrupted answer is shorter than the full line.
    let played = line["end"].as_f64().unwrap() - line["start"].as_f64().unwrap();
    assert!(played < 3.0, "played {played:.1} s of the interrupted line");
    // The counterpart still answered the interrupting label and the call went on.
    assert_eq!(
        r.summary["interruptions"].as_u64().unwrap(),
        cuts.len() as u64
    );
    assert_eq!(log["result"], "commitment", "{log:#}");
}

#[test]
fn scenarios_are_listed_and_a_bad_file_is_named_with_its_field() {
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("scenarios")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "insurance_cold_call",
        "saas_renewal",
        "salary_negotiation",
        "landlord_rent",
    ] {
        assert!(text.contains(name), "{name} listed:\n{text}");
    }
    // A malformed file: the error names the file and the field, before any audio is touched.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    let src = std::fs::read_to_string(common::repo().join("config/scenarios/landlord_rent.toml"))
        .unwrap();
    std::fs::write(
        &bad,
        src.replacen(
            "[[responses.pitch]]\ntext = \"Hmm. Maybe.\"",
            "[[responses.pitch]]\ntext = \"\"",
            1,
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("roleplay")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "{}: responses.pitch[2].text: empty",
            bad.display()
        )),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["roleplay", "no_such_scenario"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success() && err.contains("ringside scenarios"),
        "{err}"
    );
}

/// The session hooks role-play uses, without audio devices: a replayed "me" channel, a "them"
/// feed with audio and a ready-made utterance, and the VAD activity notices.
#[test]
fn session_hooks_add_a_them_feed_and_report_vad_activity() {
    use ringside::app::{FeedItem, Input, SessionBuilder, SessionHooks};
    use ringside::event::{Event, Speaker, Utterance};
    use ringside::sinks::FnSink;

    let cfg = ringside::config::Config::default();
    let t = ringside::transforms::transcribe::Transcriber::new(&common::model(), &cfg.asr).unwrap();
    let mut coach = ringside::transforms::coach::Coach::load(None).unwrap();
    let input = Input::Replay {
        path: common::fixture("asr/01.wav"),
        them: None,
        speed: ringside::event::Speed::Max,
        blocks: Default::default(),
    };
    let (feed_tx, feed_rx) = crossbeam_channel::bounded(64);
    for _ in 0..10 {
        feed_tx.send(FeedItem::Audio(vec![0.0; 8000])).unwrap();
    }
    let said = "No, it's fine. What is this about?";
    let u = Utterance {
        prosody: None,
        id: 0,
        speaker: Speaker::Them,
        start_sample: 80_000,
        end_sample: 96_000,
        text: said.into(),
        latency_ms: None,
        hesitation: None,
    };
    feed_tx.send(FeedItem::Utterance(u)).unwrap();
    drop(feed_tx);
    let (vad_tx, vad_rx) = crossbeam_channel::bounded(64);
    let hooks = SessionHooks {
        them_feed: Some(feed_rx),
        transcribe_them_feed: false,
        vad: Some(vad_tx),
    };
    let mut them_audio = 0usize;
    let mut sink = FnSink(|ev: Event<'_>| {
        if let Event::Audio(b) = ev {
            if b.speaker == Speaker::Them {
                them_audio += b.samples.len();
            }
        }
        Ok(())
    });
    let summary = SessionBuilder::new(&cfg, input)
        .hooks(hooks)
        .sink(&mut sink)
        .run(t, &mut coach)
        .unwrap()
        .summary;
    assert_eq!(summary.channels, vec![Speaker::Me, Speaker::Them]);
    assert_eq!(
        them_audio, 80_000,
        "the feed's audio is the them channel, as sent"
    );
    let them: Vec<_> = summary
        .utterances
        .iter()
        .filter(|c| c.utterance.speaker == Speaker::Them)
        .collect();
    assert_eq!(them.len(), 1);
    assert_eq!(them[0].utterance.text, said);
    assert_eq!(
        them[0].act,
        ringside::event::Act::No,
        "the injected utterance is classified like any other"
    );
    let me = summary
        .utterances
        .iter()
        .find(|c| c.utterance.speaker == Speaker::Me)
        .expect("me transcribed");
    assert_eq!(me.act, ringside::event::Act::NoQuestion);
    let acts: Vec<_> = vad_rx
        .try_iter()
        .filter(|v| v.speaker == Speaker::Me)
        .map(|v| v.speaking)
        .collect();
    assert!(
        acts.len() >= 2 && acts[0] && !acts[acts.len() - 1],
        "onset then end of speech: {acts:?}"
    );
}

/// A practitioner script: the two the benchmark embeds live in `assets/roleplay/`, the rest
/// in `tests/fixtures/roleplay/`.
fn roleplay_script(name: &str) -> std::path::PathBuf {
    let asset = common::asset(&format!("roleplay/{name}"));
    if asset.is_file() {
        asset
    } else {
        common::fixture(&format!("roleplay/{name}"))
    }
}
