//! Integration tests of the coaching CLI commands: `ringside classify` (JSON lines through
//! stdin/stdout) and `ringside eval acts` on the held-out labelled set.

// The helpers below are test code too; `allow-unwrap-in-tests` only covers `#[test]` fns.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn ringside() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ringside"));
    // The tests must not pick up a developer's config.
    c.env_remove("RINGSIDE_CONFIG");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn classify(input: &str) -> (Vec<serde_json::Value>, String, bool) {
    let mut child = ringside()
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        lines,
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

fn cue_ids(v: &serde_json::Value) -> Vec<String> {
    v["cues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn classify_writes_acts_and_cues_and_reports_bad_lines() {
    let input = r#"{"speaker": "me", "text": "Hello, am I speaking with Ms. Alvarez?"}
{"speaker": "me", "text": "do you have a couple of minutes"}
this is not json
{"speaker": "them", "text": "uhm i think so"}
{"speaker": "robot", "text": "beep"}
{"speaker": "me", "text": "would you say its important to have a plan"}
"#;
    let (out, err, ok) = classify(input);
    assert_eq!(out.len(), 4, "the good lines still flow: {out:?}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("line 5"), "{err}");
    assert!(!ok, "exit status is non-zero when a line was bad");
    assert_eq!(out[0]["act"], "other");
    assert_eq!(out[1]["act"], "yes_question");
    assert_eq!(cue_ids(&out[1]), vec!["opening_yes"]);
    assert_eq!(out[2]["act"], "counterfeit_yes");
    assert_eq!(cue_ids(&out[2]), vec!["counterfeit_yes"]);
    assert_eq!(out[3]["act"], "yes_question");
    assert!(cue_ids(&out[3]).contains(&"yes_ladder".to_string()));
    assert!(out[3]["why"].as_str().unwrap().starts_with("yes_question"));
    let cue = &out[1]["cues"][0];
    assert_eq!(cue["severity"], "nudge");
    assert!(cue["message"].as_str().unwrap().contains("bad time"));
    // Fields not given are not invented.
    assert!(out[0].get("conv").is_none() && out[0].get("start").is_none());
}

#[test]
fn classify_resets_state_when_conv_changes() {
    let input = r#"{"conv": "a", "speaker": "them", "text": "We already have a provider."}
{"conv": "a", "speaker": "me", "text": "Do you like them?"}
{"conv": "b", "speaker": "me", "text": "Already have a provider?"}
{"conv": "b", "speaker": "me", "text": "Can I ask you something?"}
"#;
    let (out, err, ok) = classify(input);
    assert!(ok, "{err}");
    assert_eq!(out.len(), 4);
    assert_eq!(out[1]["conv"], "a");
    assert_eq!(cue_ids(&out[1]), vec!["opening_yes"]);
    // New conversation: no previous "them" utterance to mirror...
    assert_ne!(out[2]["act"], "mirror");
    // ... and the first (sure) question of conv b gets opening_yes again.
    let first_q = out
        .iter()
        .skip(2)
        .find(|o| o["act"] == "yes_question" && o["unsure"] != true)
        .unwrap();
    assert!(cue_ids(first_q).contains(&"opening_yes".to_string()));
}

#[test]
fn classify_timed_cues_need_timings() {
    let mut timed = String::new();
    let mut untimed = String::new();
    for i in 0..8 {
        let (s, e) = (i as f64 * 10.0, i as f64 * 10.0 + 9.5);
        timed.push_str(&format!(
            "{{\"speaker\": \"me\", \"text\": \"and another thing about our plan\", \"start\": {s}, \"end\": {e}}}\n"
        ));
        untimed.push_str("{\"speaker\": \"me\", \"text\": \"and another thing about our plan\"}\n");
    }
    let (out, err, ok) = classify(&timed);
    assert!(ok, "{err}");
    let all: Vec<String> = out.iter().flat_map(cue_ids).collect();
    assert!(all.contains(&"talk_ratio".to_string()), "{all:?}");
    assert!(all.contains(&"long_monologue".to_string()), "{all:?}");
    assert_eq!(out[7]["start"], 70.0);
    let (out, _, _) = classify(&untimed);
    let all: Vec<String> = out.iter().flat_map(cue_ids).collect();
    assert!(
        !all.iter()
            .any(|c| c == "talk_ratio" || c == "long_monologue"),
        "{all:?}"
    );
}

#[test]
fn eval_acts_by_domain_prints_leave_one_domain_out_figures() {
    let out = ringside()
        .args([
            "eval",
            "acts",
            "--by-domain",
            "tests/fixtures/acts/heldout.jsonl",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("veterinary"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let keys: Vec<&str> = last
        .split_whitespace()
        .map(|kv| kv.split_once('=').unwrap().0)
        .collect();
    assert_eq!(
        keys,
        ["lodo_macro_f1_me", "lodo_macro_f1_them", "lodo_cue_f1"],
        "{last}"
    );
}

#[test]
fn eval_acts_on_held_out_set_meets_targets() {
    let out = ringside()
        .args(["eval", "acts", "tests/fixtures/acts/test.jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap();
    let mut macro_f1 = None;
    let mut cue_f1 = None;
    let mut cue_p = None;
    for kv in last.split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        match k {
            "macro_f1" => macro_f1 = Some(v.parse::<f64>().unwrap()),
            "cue_f1" => cue_f1 = Some(v.parse::<f64>().unwrap()),
            "cue_precision" => cue_p = Some(v.parse::<f64>().unwrap()),
            "macro_f1_me" | "macro_f1_them" => {}
            _ => panic!("unexpected key in {last}"),
        }
    }
    let (m, c, p) = (macro_f1.unwrap(), cue_f1.unwrap(), cue_p.unwrap());
    assert!(m >= 0.90, "macro_f1 {m} < 0.90\n{stdout}");
    // A cue is a promise: precision first. The thresholds chosen on real conversation hold
    // back unsure cues, which costs recall here (README "Coaching on real talk").
    assert!(p >= 0.97, "cue precision {p} < 0.97\n{stdout}");
    assert!(c >= 0.92, "cue_f1 {c} < 0.92\n{stdout}");
}

#[test]
fn eval_acts_reports_a_bad_file_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, "{\"conv\":\"x\",\"speaker\":\"me\",\"text\":\"hi\",\"act\":\"other\"}\n{\"speaker\":\"me\"}\n").unwrap();
    let out = ringside().args(["eval", "acts"]).arg(&f).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.jsonl:2"), "{err}");
}

#[test]
fn bench_classify_prints_key_values() {
    let out = ringside().args(["bench", "classify"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(
        last.contains("classify_us_p50=") && last.contains("classify_us_p99="),
        "{last}"
    );
}

#[test]
fn classify_reports_a_bad_rules_file_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let builtin =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/coach.toml")).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        builtin.replacen(
            "name = \"negative_question\"",
            "name = \"negative_question\"\nunless = 'x(('",
            1,
        ),
    )
    .unwrap();
    let config = dir.path().join("ringside.toml");
    std::fs::write(
        &config,
        format!("[coach]\nrules = {:?}\n", rules.display().to_string()),
    )
    .unwrap();
    let mut child = ringside()
        .arg("--config")
        .arg(&config)
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"speaker\": \"me\", \"text\": \"hi\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("negative_question") && err.contains("unless") && err.contains("x(("),
        "{err}"
    );
}

#[test]
fn report_computes_the_debrief_of_an_older_session_with_the_configured_rewrites() {
    // A session without debrief.json (recorded before the debrief existed): the events of the
    // sample call's golden session.
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("20260101-000000-abcdef");
    std::fs::create_dir(&session).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/golden/sample_call/events.jsonl"
        ),
        session.join("events.jsonl"),
    )
    .unwrap();
    let report = |config: Option<&std::path::Path>| {
        let mut c = ringside();
        if let Some(cfg) = config {
            c.arg("--config").arg(cfg);
        }
        let out = c.arg("report").arg(&session).output().unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (ok, out, err) = report(None);
    assert!(ok, "{err}");
    assert!(out.contains("Debrief: the three changes"), "{out}");
    assert!(
        out.contains(
            "try:       Hi, this is Tom from Blue River Insurance. Is now a bad time to talk?"
        ),
        "{out}"
    );
    assert!(
        !session.join("debrief.json").exists(),
        "report only reads the session"
    );

    // `[coach] rewrites` replaces the built-in rules.
    let builtin =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/rewrites.toml"))
            .unwrap();
    let mine = tmp.path().join("rewrites.toml");
    std::fs::write(
        &mine,
        builtin.replace(
            "template = \"Is now a bad time to talk?\"",
            "template = \"Is this a bad moment?\"",
        ),
    )
    .unwrap();
    let config = tmp.path().join("ringside.toml");
    std::fs::write(
        &config,
        format!("[coach]\nrewrites = {:?}\n", mine.display().to_string()),
    )
    .unwrap();
    let (ok, out, err) = report(Some(&config));
    assert!(ok, "{err}");
    assert!(
        out.contains("Blue River Insurance. Is this a bad moment?"),
        "{out}"
    );

    // A malformed file: one line naming the file, the key, and what to do.
    std::fs::write(
        &mine,
        builtin.replacen("version = 1", "version = 1\nbogus = 2", 1),
    )
    .unwrap();
    let (ok, out, err) = report(Some(&config));
    assert!(!ok, "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("rewrites.toml") && err.contains("bogus") && err.contains("built-in rules"),
        "{err}"
    );
}
