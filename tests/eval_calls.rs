//! `ringside eval calls` on one short call script, through the real model and the whole audio
//! pipeline: every turn is heard, and the act scores come out on the `key=value` line.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

#[test]
fn eval_calls_hears_every_turn_of_a_synthesized_call_and_scores_its_acts() {
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .env("RINGSIDE_MODELS", common::model().parent().unwrap())
        // The command finds scripts/tts_call.py and caches under target/ from the repository.
        .current_dir(common::repo())
        .args(["eval", "calls"])
        .arg(common::fixture("calls/yes_ladder.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    let kv: HashMap<&str, &str> = last
        .split_whitespace()
        .map(|p| p.split_once('=').unwrap())
        .collect();
    let num = |k: &str| -> f64 {
        kv.get(k)
            .unwrap_or_else(|| panic!("{k} missing from {last:?}"))
            .parse()
            .unwrap()
    };
    assert_eq!(num("calls"), 1.0, "{stdout}");
    assert_eq!(num("turns"), 14.0, "{stdout}");
    assert_eq!(num("found"), num("turns"), "{stdout}");
    assert!(num("act_macro_f1") >= 0.7, "{stdout}");
    assert!(num("text_macro_f1") >= 0.7, "{stdout}");
    // No text heard twice (a turn heard in parts is a split, counted apart).
    assert_eq!(num("duplicates"), 0.0, "{stdout}");
    assert!(num("splits") <= 1.0, "{stdout}");
    assert!(stderr.contains("eval calls: yes_ladder"), "{stderr}");
}
