//! `ringside eval acts FILE.jsonl`: scores the act classifier and the cue rules against a
//! labelled file (`{"conv", "speaker", "text", "act"}` per line, optional `start`/`end` secs).
//!
//! Prints per-act precision/recall/F1 for each speaker, macro-F1 per speaker, the confusion
//! pairs, the misclassified lines with the classifier's `why`, and cue F1: the cues the spec's
//! rules derive from the GOLD acts against those derived from the PREDICTED acts, matched by
//! (conv, utterance index in the conv, cue id).
//!
//! `macro_f1` on the last line is the macro average over all acts of both speakers, "me other"
//! and "them other" counted as two classes (13 classes); a class that appears neither in the
//! gold nor in the predictions is left out. Last line: `macro_f1=<x.xxx> cue_f1=<x.xxx>`.

use std::collections::{BTreeMap, HashSet};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::Globals;
use crate::cli::EvalCommand;
use crate::event::{secs_to_samples, Act, ClassifiedUtterance, Cue, CueId, Speaker, Utterance};
use crate::transforms::classify::Classifier;
use crate::transforms::coach::CoachRules;
use crate::transforms::cue::CueEngine;

#[derive(Debug, Deserialize)]
struct Row {
    #[serde(default)]
    conv: Option<String>,
    speaker: Speaker,
    text: String,
    act: Act,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
}

pub fn run(g: &Globals, c: EvalCommand) -> Result<()> {
    let file = match c {
        EvalCommand::Acts { file } => file,
        EvalCommand::Real { manifest, no_peer } => {
            return super::eval_real::run(g, &manifest, !no_peer)
        }
    };
    let src =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let mut rows = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: Row = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a labelled utterance", file.display(), i + 1))?;
        if !Act::for_speaker(r.speaker).contains(&r.act) {
            bail!(
                "{}:{}: act `{}` is not an act of {}",
                file.display(),
                i + 1,
                r.act,
                r.speaker
            );
        }
        rows.push(r);
    }
    if rows.is_empty() {
        bail!("{}: no labelled utterances", file.display());
    }
    let rules = CoachRules::load(g.config.coach.rules.as_deref()).context("loading coach rules")?;
    let report = evaluate(&rules, &rows);
    print!("{}", report.text);
    println!(
        "macro_f1={:.3} cue_f1={:.3}",
        report.macro_f1, report.cue_f1
    );
    Ok(())
}

struct Report {
    text: String,
    macro_f1: f64,
    cue_f1: f64,
}

fn f1(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn evaluate(rules: &CoachRules, rows: &[Row]) -> Report {
    use std::fmt::Write;
    let mut text = String::new();
    let mut classifier = Classifier::new(rules);
    let mut gold_cues = CueEngine::new(&rules.cues);
    let mut pred_cues = CueEngine::new(&rules.cues);
    let mut conv: Option<&str> = None;
    let mut conv_no = 0usize;
    let mut idx = 0u64;
    let mut preds: Vec<(Act, String)> = Vec::with_capacity(rows.len());
    let mut gold_set: HashSet<(usize, u64, CueId)> = HashSet::new();
    let mut pred_set: HashSet<(usize, u64, CueId)> = HashSet::new();
    let mut buf: Vec<Cue> = Vec::new();
    for r in rows {
        if r.conv.as_deref() != conv || conv_no == 0 {
            classifier.reset();
            gold_cues.reset();
            pred_cues.reset();
            conv = r.conv.as_deref();
            conv_no += 1;
            idx = 0;
        }
        let (act, why) = classifier.classify(r.speaker, &r.text);
        let (s, e) = match (r.start, r.end) {
            (Some(s), Some(e)) if e > s => (secs_to_samples(s), secs_to_samples(e)),
            _ => (0, 0),
        };
        let u = Utterance {
            id: idx,
            speaker: r.speaker,
            start_sample: s,
            end_sample: e,
            text: r.text.clone(),
            latency_ms: None,
            hesitation: None,
        };
        for (engine, a, set) in [
            (&mut gold_cues, r.act, &mut gold_set),
            (&mut pred_cues, act, &mut pred_set),
        ] {
            buf.clear();
            engine.on_utterance(
                &ClassifiedUtterance {
                    utterance: u.clone(),
                    act: a,
                    why: String::new(),
                },
                &mut buf,
            );
            set.extend(buf.iter().map(|c| (conv_no, idx, c.id)));
        }
        preds.push((act, why));
        idx += 1;
    }

    // Per-class counts; classes are (speaker, act).
    let mut counts: BTreeMap<(Speaker, Act), (usize, usize, usize)> = BTreeMap::new();
    let mut confusions: BTreeMap<(Speaker, Act, Act), usize> = BTreeMap::new();
    for (r, (p, _)) in rows.iter().zip(&preds) {
        if r.act == *p {
            counts.entry((r.speaker, r.act)).or_default().0 += 1;
        } else {
            counts.entry((r.speaker, *p)).or_default().1 += 1;
            counts.entry((r.speaker, r.act)).or_default().2 += 1;
            *confusions.entry((r.speaker, r.act, *p)).or_default() += 1;
        }
    }
    let correct = rows
        .iter()
        .zip(&preds)
        .filter(|(r, (p, _))| r.act == *p)
        .count();
    let _ = writeln!(
        text,
        "{} utterances, {} conversations, accuracy {:.3}",
        rows.len(),
        conv_no,
        correct as f64 / rows.len() as f64
    );
    let mut all_f = Vec::new();
    for sp in [Speaker::Me, Speaker::Them] {
        let _ = writeln!(
            text,
            "\n{sp}: {:<20} {:>6} {:>6} {:>6} {:>5}",
            "act", "prec", "recall", "f1", "n"
        );
        let mut fs = Vec::new();
        for a in Act::for_speaker(sp) {
            let Some(&(tp, fp, fn_)) = counts.get(&(sp, *a)) else {
                continue;
            };
            let (p, r, f) = f1(tp, fp, fn_);
            let _ = writeln!(
                text,
                "{sp}: {:<20} {p:>6.3} {r:>6.3} {f:>6.3} {:>5}",
                a.as_str(),
                tp + fn_
            );
            fs.push(f);
        }
        let m = if fs.is_empty() {
            0.0
        } else {
            fs.iter().sum::<f64>() / fs.len() as f64
        };
        let _ = writeln!(text, "{sp}: macro_f1 {m:.3}");
        all_f.extend(fs);
    }
    let macro_f1 = if all_f.is_empty() {
        0.0
    } else {
        all_f.iter().sum::<f64>() / all_f.len() as f64
    };

    let mut pairs: Vec<_> = confusions.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1));
    let _ = writeln!(text, "\nconfusions (gold -> predicted):");
    for ((sp, g, p), n) in &pairs {
        let _ = writeln!(text, "  {sp}: {g} -> {p}: {n}");
    }
    let _ = writeln!(text, "\nmisclassified:");
    for (r, (p, why)) in rows.iter().zip(&preds) {
        if r.act != *p {
            let _ = writeln!(
                text,
                "  [{}] {} {:?}: gold {} got {} ({why})",
                r.conv.as_deref().unwrap_or("-"),
                r.speaker,
                r.text,
                r.act,
                p
            );
        }
    }

    let tp = gold_set.intersection(&pred_set).count();
    let (cp, cr, cf) = f1(tp, pred_set.len() - tp, gold_set.len() - tp);
    let cue_f1 = if gold_set.is_empty() && pred_set.is_empty() {
        1.0
    } else {
        cf
    };
    let _ = writeln!(
        text,
        "\ncues: gold {} predicted {} matched {tp}: precision {cp:.3} recall {cr:.3}",
        gold_set.len(),
        pred_set.len()
    );
    for id in CueId::ALL {
        let g = gold_set.iter().filter(|c| c.2 == id).count();
        let p = pred_set.iter().filter(|c| c.2 == id).count();
        let m = gold_set
            .iter()
            .filter(|c| c.2 == id && pred_set.contains(c))
            .count();
        if g + p > 0 {
            let _ = writeln!(
                text,
                "  {:<18} gold {g:>4} predicted {p:>4} matched {m:>4}",
                id.as_str()
            );
        }
    }
    Report {
        text,
        macro_f1,
        cue_f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one() {
        let rules = CoachRules::builtin().unwrap();
        let rows: Vec<Row> = [
            r#"{"conv":"a","speaker":"me","text":"Is now a bad time to talk?","act":"no_question"}"#,
            r#"{"conv":"a","speaker":"them","text":"No, go ahead.","act":"no"}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let r = evaluate(&rules, &rows);
        assert_eq!(r.macro_f1, 1.0);
        assert_eq!(r.cue_f1, 1.0);
    }

    #[test]
    fn f1_of_nothing_is_zero() {
        assert_eq!(f1(0, 0, 0), (0.0, 0.0, 0.0));
        assert_eq!(f1(1, 1, 0).2, 2.0 / 3.0);
    }
}
