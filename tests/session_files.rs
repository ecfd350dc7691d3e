//! Integration tests of session directories: a golden-file test over a synthetic session
//! (fixed events + synthetic tones), a crash (SIGKILL of a child process mid-recording)
//! followed by repair, and a disk-full child (RLIMIT_FSIZE). The child processes are this test
//! binary re-run with an environment variable naming the helper to act as.
//!
//! Regenerate the golden files with `RINGSIDE_REGEN=1 cargo test --test session_files`.

// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ringside::event::{Act, ClassifiedUtterance, Cue, CueId, Severity, Speaker, Utterance};
use ringside::event::{DeviceChange, DeviceNotice};
use ringside::session::format::{read_events, SessionEvent};
use ringside::session::wav::read_markers;
use ringside::session::{
    self, Recorder, SessionInfo, SessionMeta, AUDIO_FILE, EVENTS_FILE, INFO_FILE, LABELS_FILE,
    VTT_FILE,
};

const SR: u64 = 16_000;

fn tone(freq: f32, start: u64, len: u64) -> Vec<f32> {
    (start..start + len)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * freq * i as f32 / SR as f32).sin())
        .collect()
}

fn to_i16(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

fn cu(
    id: u64,
    speaker: Speaker,
    start: f64,
    end: f64,
    text: &str,
    act: Act,
) -> ClassifiedUtterance {
    ClassifiedUtterance {
        utterance: Utterance {
            prosody: None,
            id,
            speaker,
            start_sample: (start * SR as f64) as u64,
            end_sample: (end * SR as f64) as u64,
            text: text.into(),
            latency_ms: Some(400.0 + id as f64),
            hesitation: None,
        },
        act,
        why: format!("rule {}", act),
        confidence: None,
        unsure: false,
    }
}

fn cue(id: CueId, severity: Severity, at: f64, utterance_id: Option<u64>) -> Cue {
    Cue {
        review_only: false,
        id,
        severity,
        message: format!("message of {id}"),
        at_sample: (at * SR as f64) as u64,
        utterance_id,
    }
}

/// What happens in the synthetic call, keyed by the time (s) after which it is reported.
enum Step {
    U(ClassifiedUtterance),
    C(Cue),
    D(Speaker, DeviceChange, f64, &'static str),
}

fn script() -> Vec<(f64, Step)> {
    use Act::*;
    use Speaker::*;
    use Step::*;
    vec![
        (
            1.5,
            U(cu(
                0,
                Me,
                0.25,
                1.5,
                "Hi, this is Tom from Greenleaf.",
                Other,
            )),
        ),
        (
            2.5,
            U(cu(
                1,
                Me,
                1.75,
                2.5,
                "Is now a bad time to talk?",
                NoQuestion,
            )),
        ),
        (
            2.5,
            C(cue(CueId::GoodNoQuestion, Severity::Praise, 2.5, Some(1))),
        ),
        (3.5, U(cu(2, Them, 2.75, 3.5, "No, um, go ahead.", No))),
        (3.5, C(cue(CueId::NoHeard, Severity::Praise, 3.5, Some(2)))),
        (4.6, D(Them, DeviceChange::Lost, 4.0, "headset <unplugged>")),
        (4.6, D(Them, DeviceChange::Restored, 4.5, "headset")),
        (
            5.5,
            U(cu(
                3,
                Me,
                4.75,
                5.5,
                "It sounds like, like, you're busy.",
                Label,
            )),
        ),
        (6.5, U(cu(4, Them, 5.75, 6.5, "That's right.", ThatsRight))),
        (
            8.0,
            U(cu(
                5,
                Me,
                6.75,
                8.0,
                "Our plan saves you money & time.",
                Pitch,
            )),
        ),
        (
            8.0,
            C(cue(CueId::PitchEarly, Severity::Alert, 8.0, Some(5))),
        ),
        (
            9.5,
            U(cu(
                6,
                Them,
                8.25,
                9.25,
                "Send the contract, I'll sign today.",
                CommitmentYes,
            )),
        ),
        (
            9.5,
            C(cue(CueId::Commitment, Severity::Praise, 9.25, Some(6))),
        ),
    ]
}

const ME_LEN: u64 = 10 * SR; // 10.0 s
const THEM_LEN: u64 = 9 * SR + SR / 2; // 9.5 s, and a hole at 4.0-4.5 s (device lost)
const HOLE: (u64, u64) = (4 * SR, 4 * SR + SR / 2);

/// Records the synthetic call: "me" in blocks of 160 samples, "them" in blocks of 1000 with
/// a hole, events reported as their time passes.
fn record(sessions_dir: &Path) -> (PathBuf, session::FinishedSession) {
    let mut rec = Recorder::create(
        sessions_dir,
        SessionMeta {
            mic_device: Some("test mic".into()),
            counterpart_device: Some("test loopback".into()),
            model: Some("tiny.en".into()),
            model_sha256: Some("00".repeat(32)),
            config: [("vad.threshold".to_string(), "0.5".to_string())].into(),
        },
        2,
    )
    .unwrap();
    let dir = rec.dir().to_path_buf();
    let mut steps = script().into_iter().peekable();
    let (mut me, mut them) = (0u64, 0u64);
    while me < ME_LEN || them < THEM_LEN {
        if me < ME_LEN {
            let n = 160.min(ME_LEN - me);
            rec.push_audio(Speaker::Me, me, &tone(440.0, me, n))
                .unwrap();
            me += n;
        }
        for _ in 0..2 {
            if them < THEM_LEN && them + 1000 <= me + 2000 {
                if them == HOLE.0 {
                    them = HOLE.1;
                }
                rec.push_audio(Speaker::Them, them, &tone(660.0, them, 1000))
                    .unwrap();
                them += 1000;
            }
        }
        while let Some((t, _)) = steps.peek() {
            if (me as f64) < t * SR as f64 {
                break;
            }
            let Some((_, step)) = steps.next() else { break };
            match step {
                Step::U(u) => rec.utterance(&u).unwrap(),
                Step::C(c) => rec.cue(&c).unwrap(),
                Step::D(s, ch, at, d) => rec
                    .event(ringside::event::SessionEvent::Device(DeviceNotice {
                        speaker: s,
                        event: ch,
                        time: ringside::event::samples_to_secs((at * SR as f64) as u64),
                        detail: d.to_string(),
                    }))
                    .unwrap(),
            }
        }
    }
    for (_, step) in steps {
        if let Step::U(u) = step {
            rec.utterance(&u).unwrap();
        }
    }
    let f = rec.finish().unwrap();
    (dir, f)
}

/// Replaces what differs between runs (id, wall clock) with fixed placeholders.
fn normalize(text: &str, id: &str, started_at: &str) -> String {
    text.replace(id, "SESSION-ID")
        .replace(started_at, "STARTED-AT")
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/session/expected")
        .join(name);
    if std::env::var_os("RINGSIDE_REGEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate with RINGSIDE_REGEN=1", path.display()));
    assert_eq!(actual, expected, "{name} differs from {}", path.display());
}

fn sox_info(path: &Path) -> Option<String> {
    let out = Command::new("sox").arg("--i").arg(path).output().ok()?;
    assert!(
        out.status.success(),
        "sox --i {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn golden_session_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, fin) = record(tmp.path());
    assert!(fin.warnings.is_empty(), "{:?}", fin.warnings);
    let info: SessionInfo =
        serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
    assert!(info.finished && !info.repaired);
    assert_eq!(info.duration, 10.0);
    assert_eq!(info.meta.model.as_deref(), Some("tiny.en"));
    let norm = |name: &str| {
        let t = std::fs::read_to_string(dir.join(name)).unwrap();
        normalize(&t, &info.id, &info.started_at)
    };
    golden("events.jsonl", &norm(EVENTS_FILE));
    golden("transcript.vtt", &norm(VTT_FILE));
    golden("labels.txt", &norm(LABELS_FILE));
    golden(
        "scorecard.json",
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&info.scorecard.unwrap()).unwrap()
        ),
    );

    // The WAV: exactly the input length, both channels where they belong, hole and tail silent.
    let wav = dir.join(AUDIO_FILE);
    let r = hound::WavReader::open(&wav).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 16_000, 16)
    );
    assert_eq!(r.duration() as u64, ME_LEN);
    let s: Vec<i16> = r.into_samples::<i16>().map(|x| x.unwrap()).collect();
    let me_tone = tone(440.0, 0, ME_LEN);
    let them_tone = tone(660.0, 0, THEM_LEN);
    for i in 0..ME_LEN as usize {
        assert_eq!(s[2 * i], to_i16(me_tone[i]), "left frame {i}");
        let in_hole = (HOLE.0..HOLE.1).contains(&(i as u64));
        let want = if in_hole || i as u64 >= THEM_LEN {
            0
        } else {
            to_i16(them_tone[i])
        };
        assert_eq!(s[2 * i + 1], want, "right frame {i}");
    }
    let markers = read_markers(&wav).unwrap();
    assert_eq!(markers.len(), 4);
    assert_eq!(markers[0].frame, 40_000);
    assert_eq!(
        markers[0].label,
        "CUE good_no_question: message of good_no_question"
    );
    assert_eq!(markers[3].frame, 148_000);
    if let Some(i) = sox_info(&wav) {
        assert!(
            i.contains("Channels       : 2") && i.contains("00:00:10.00"),
            "{i}"
        );
    }
    // The report and review readers see the same session.
    let loaded = session::load_session(&dir).unwrap();
    assert_eq!(loaded.scorecard.questions.no, 1);
    let timeline = session::review::format_timeline(&loaded.events);
    assert!(
        timeline.contains("00:04.0  --    them device lost: headset <unplugged>"),
        "{timeline}"
    );
    assert!(
        timeline.contains("them audio missing for 0.5 s"),
        "{timeline}"
    );
}

// ---- child processes -------------------------------------------------------------------

const CHILD_ENV: &str = "RINGSIDE_SESSION_TEST_CHILD";
const DIR_ENV: &str = "RINGSIDE_SESSION_TEST_DIR";

/// Re-runs this test binary as `helper`, recording into `dir`.
fn spawn_child(helper: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", helper, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, helper)
        .env(DIR_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn child_role(helper: &str) -> Option<PathBuf> {
    (std::env::var(CHILD_ENV).ok()? == helper)
        .then(|| PathBuf::from(std::env::var_os(DIR_ENV).unwrap_or_default()))
}

/// Child: records forever in 0.1 s blocks, reporting progress, until killed.
#[test]
fn crash_child() {
    let Some(dir) = child_role("crash_child") else {
        return;
    };
    let mut rec = Recorder::create(&dir, SessionMeta::default(), 2).unwrap();
    let mut pos = 0u64;
    let mut id = 0;
    loop {
        let n = SR / 10;
        rec.push_audio(Speaker::Them, pos, &tone(300.0, pos, n))
            .unwrap();
        rec.push_audio(Speaker::Me, pos, &tone(500.0, pos, n))
            .unwrap();
        pos += n;
        if pos.is_multiple_of(SR / 2) {
            let t = pos as f64 / SR as f64;
            rec.utterance(&cu(
                id,
                Speaker::Me,
                t - 0.4,
                t,
                "Is now a bad time?",
                Act::NoQuestion,
            ))
            .unwrap();
            println!("UTT {id}");
            id += 1;
        }
        println!("PUSHED {pos}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn sigkill_mid_recording_then_repair_keeps_audio_and_events() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn_child("crash_child", tmp.path());
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut pushed, mut utts) = (0u64, 0u64);
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("PUSHED ") {
            pushed = n.parse().unwrap();
        } else if line.starts_with("UTT ") {
            utts += 1;
        }
        // Stop at an odd moment: 5.3 s, mid-second for the header refresh.
        if pushed >= 5 * SR + 3 * SR / 10 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let dirs = session::store::session_dirs(tmp.path()).unwrap();
    assert_eq!(dirs.len(), 1);
    let dir = &dirs[0];
    let info: SessionInfo =
        serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
    assert!(!info.finished);
    // Before repair the header already covers all but at most ~1 s.
    let before = hound::WavReader::open(dir.join(AUDIO_FILE))
        .unwrap()
        .duration() as u64;
    assert!(
        before + SR >= pushed,
        "header covered {before} of {pushed} frames"
    );

    let reports = session::repair_unfinished(tmp.path()).unwrap();
    assert_eq!(reports.len(), 1);
    let rep = reports.into_iter().next().unwrap().unwrap();
    let frames = rep.wav.as_ref().unwrap().frames;
    assert!(frames + SR >= pushed, "kept {frames} of {pushed} frames");
    let r = hound::WavReader::open(dir.join(AUDIO_FILE)).unwrap();
    assert_eq!(r.duration() as u64, frames);
    if let Some(i) = sox_info(&dir.join(AUDIO_FILE)) {
        assert!(i.contains("Channels       : 2"), "{i}");
    }
    let log = read_events(&dir.join(EVENTS_FILE)).unwrap();
    let got = log
        .events
        .iter()
        .filter(|e| matches!(e, SessionEvent::Utterance { .. }))
        .count() as u64;
    assert!(
        got >= utts,
        "{got} utterances in the log, {utts} reported written"
    );
    let info: SessionInfo =
        serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
    assert!(info.finished && info.repaired);
    assert!(info.scorecard.unwrap().questions.no as u64 >= utts);
    assert!(dir.join(VTT_FILE).exists() && dir.join(LABELS_FILE).exists());
}

/// Child: records under a 300 kB file size limit (a full disk as far as the WAV goes).
#[test]
fn disk_full_child() {
    let Some(dir) = child_role("disk_full_child") else {
        return;
    };
    // SAFETY: process-wide settings of this child only.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: 300_000,
            rlim_max: 300_000,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    let mut rec = Recorder::create(&dir, SessionMeta::default(), 2).unwrap();
    let mut pos = 0u64;
    let mut errors = 0;
    while pos < 10 * SR {
        let n = SR / 10;
        rec.push_audio(Speaker::Me, pos, &tone(500.0, pos, n))
            .unwrap();
        if let Err(e) = rec.push_audio(Speaker::Them, pos, &tone(300.0, pos, n)) {
            errors += 1;
            println!("ERR {e}");
        }
        pos += n;
    }
    assert_eq!(errors, 1, "the error is returned once");
    rec.utterance(&cu(
        0,
        Speaker::Them,
        9.0,
        9.5,
        "Book me for Tuesday.",
        Act::CommitmentYes,
    ))
    .unwrap();
    let fin = rec.finish().unwrap();
    println!("FINISHED {}", fin.info.audio_error.unwrap_or_default());
}

#[test]
fn disk_full_keeps_earlier_audio_and_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let child = spawn_child("disk_full_child", tmp.path());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let err = stdout
        .lines()
        .find_map(|l| l.split_once("ERR ").map(|x| x.1))
        .unwrap_or_else(|| panic!("no ERR line in {stdout}"));
    assert!(err.contains("audio.wav"), "{err}");
    assert!(err.contains("disk is full"), "{err}");
    assert!(err.contains("what was written before is kept"), "{err}");
    assert!(!err.contains('\n'));
    assert!(stdout.contains("FINISHED cannot write"), "{stdout}");

    let dir = &session::store::session_dirs(tmp.path()).unwrap()[0];
    let wav = dir.join(AUDIO_FILE);
    let r = hound::WavReader::open(&wav).unwrap();
    let frames = r.duration() as u64;
    assert_eq!(
        frames,
        (300_000 - 44) / 4,
        "everything up to the limit is kept"
    );
    let s: Vec<i16> = r.into_samples::<i16>().map(|x| x.unwrap()).collect();
    assert_eq!(s[2 * 1000], to_i16(tone(500.0, 1000, 1)[0]));
    if let Some(i) = sox_info(&wav) {
        assert!(i.contains("Channels       : 2"), "{i}");
    }
    let info: SessionInfo =
        serde_json::from_slice(&std::fs::read(dir.join(INFO_FILE)).unwrap()).unwrap();
    assert!(info.finished);
    assert!(
        info.scorecard.unwrap().commitment_reached,
        "events kept flowing after the audio stopped"
    );
}

/// Runs the CLI on a private sessions directory.
fn cli(sessions_dir: &Path, args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(args)
        .arg("--sessions-dir")
        .arg(sessions_dir)
        .env_remove("RINGSIDE_CONFIG")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn sessions_export_writes_one_zip_and_sessions_delete_asks_then_removes_dir_and_index_row() {
    let tmp = tempfile::tempdir().unwrap();
    let sessions = tmp.path().join("sessions");
    let (dir, _) = record(&sessions);
    let id = dir.file_name().unwrap().to_string_lossy().into_owned();
    // An index with the row, as a daemon would have written it.
    let db = sessions.join("history.sqlite");
    session::index::Store::open(&db)
        .unwrap()
        .index_dir(&dir)
        .unwrap();

    // Export, default name in the current directory.
    let out = cli(&sessions, &["sessions", "export", &id[..12]], tmp.path());
    assert!(out.status.success(), "{out:?}");
    let zip_path = tmp.path().join(format!("ringside-{id}.zip"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ringside-{id}.zip")
    );
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_string())
        .collect();
    for f in [
        AUDIO_FILE,
        VTT_FILE,
        LABELS_FILE,
        EVENTS_FILE,
        INFO_FILE,
        "transcript.txt",
        "debrief.json",
        "scorecard.txt",
    ] {
        assert!(
            names.contains(&format!("ringside-{id}/{f}")),
            "{f} in {names:?}"
        );
    }
    let mut wav = Vec::new();
    std::io::Read::read_to_end(
        &mut z.by_name(&format!("ringside-{id}/{AUDIO_FILE}")).unwrap(),
        &mut wav,
    )
    .unwrap();
    assert_eq!(wav, std::fs::read(dir.join(AUDIO_FILE)).unwrap());
    // -o FILE.
    let other = tmp.path().join("out/call.zip");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    let out = cli(
        &sessions,
        &["sessions", "export", &id, "-o", other.to_str().unwrap()],
        tmp.path(),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read(&other).unwrap(),
        std::fs::read(&zip_path).unwrap(),
        "the same archive"
    );

    // Delete: without a terminal it asks for --yes and deletes nothing.
    let out = cli(&sessions, &["sessions", "delete", &id], tmp.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--yes") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(dir.is_dir());
    let out = cli(&sessions, &["sessions", "delete", &id, "--yes"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert!(!dir.exists());
    let store = session::index::Store::open(&db).unwrap();
    assert!(store.get(&id).unwrap().is_none(), "index row gone");
    let out = cli(&sessions, &["sessions", "delete", &id, "--yes"], tmp.path());
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ringside sessions"),
        "{out:?}"
    );
    // --help names both.
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["sessions", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("delete") && help.contains("export"), "{help}");
}
