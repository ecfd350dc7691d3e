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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::Globals;
use crate::cli::EvalCommand;
use crate::event::{secs_to_samples, Act, ClassifiedUtterance, Cue, CueId, Speaker, Utterance};
use crate::metrics::f1;
use crate::transforms::acts_data::{parse_jsonl, LabelledRow as Row};
use crate::transforms::classify::{ActModel, Classified, Classifier};
use crate::transforms::cues::CueEngine;
use crate::transforms::learn::TrainParams;
use crate::transforms::rules::CoachRules;

pub fn run(g: &Globals, c: EvalCommand) -> Result<()> {
    let (files, by_domain, rules_only) = match c {
        EvalCommand::Acts {
            files,
            by_domain,
            rules_only,
        } => (files, by_domain, rules_only),
        EvalCommand::Real {
            manifest,
            no_peer,
            asr_only,
        } => return super::eval_real::run(g, &manifest, !no_peer, asr_only),
        EvalCommand::Calls { scripts } => return super::eval_calls::run(g, scripts),
        EvalCommand::Prosody { manifest, real } => {
            return super::eval_prosody::run(g, &manifest, &real)
        }
        EvalCommand::Talk { files, examples } => {
            let files = if files.is_empty() {
                super::eval_talk::default_files()?
            } else {
                files
            };
            return super::eval_talk::run(g, &files, examples);
        }
    };
    let mut rows: Vec<Row> = Vec::new();
    for file in &files {
        let src =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let name = file.display().to_string();
        let mut r = parse_jsonl(&src, &name).map_err(anyhow::Error::msg)?;
        if r.is_empty() {
            bail!("{name}: no labelled utterances");
        }
        // Conversations of different files never join, even with equal names.
        for row in &mut r {
            row.conv = Some(format!("{name}#{}", row.conv.as_deref().unwrap_or("-")));
        }
        rows.extend(r);
    }
    let rules = CoachRules::load(g.config.coach.rules.as_deref()).context("loading coach rules")?;
    if by_domain {
        let r = leave_one_domain_out(&rules, &rows, rules_only);
        print!("{}", r.text);
        println!(
            "lodo_macro_f1_me={:.3} lodo_macro_f1_them={:.3} lodo_cue_f1={:.3}",
            r.macro_me, r.macro_them, r.cue_f1
        );
        return Ok(());
    }
    let mut classifier = if rules_only {
        Classifier::rules_only(&rules)
    } else {
        Classifier::new(&rules)
    };
    let preds = predict(&mut classifier, &rows);
    let report = score(&rules, &rows, &preds, true);
    print!("{}", report.text);
    println!(
        "macro_f1={:.3} macro_f1_me={:.3} macro_f1_them={:.3} cue_f1={:.3} cue_precision={:.3}",
        report.macro_f1, report.macro_me, report.macro_them, report.cue_f1, report.cue_precision
    );
    Ok(())
}

/// Leave-one-domain-out: the model of each fold is fitted on the other domains only.
fn leave_one_domain_out(rules: &CoachRules, rows: &[Row], rules_only: bool) -> Report {
    use std::fmt::Write;
    let domains: Vec<String> = rows
        .iter()
        .map(|r| r.domain().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut preds: Vec<Classified> = vec![
        Classified {
            act: Act::Other,
            confidence: 1.0,
            why: String::new(),
        };
        rows.len()
    ];
    let mut text = String::new();
    let _ = writeln!(
        text,
        "leave-one-domain-out over {} domains, {} utterances{}",
        domains.len(),
        rows.len(),
        if rules_only { " (rules only)" } else { "" }
    );
    let _ = writeln!(
        text,
        "{:<20} {:>5} {:>8} {:>8} {:>8}",
        "domain", "n", "me_f1", "them_f1", "cue_f1"
    );
    for d in &domains {
        let (held, train): (Vec<usize>, Vec<usize>) =
            (0..rows.len()).partition(|i| rows[*i].domain() == d);
        let mut c = if rules_only {
            Classifier::rules_only(rules)
        } else {
            let train_rows: Vec<Row> = train.iter().map(|i| rows[*i].clone()).collect();
            let m = ActModel::train(rules, &train_rows, TrainParams::default());
            Classifier::with_model(rules, Some(Arc::new(m)))
        };
        let held_rows: Vec<Row> = held.iter().map(|i| rows[*i].clone()).collect();
        let p = predict(&mut c, &held_rows);
        let r = score(rules, &held_rows, &p, false);
        let _ = writeln!(
            text,
            "{d:<20} {:>5} {:>8.3} {:>8.3} {:>8.3}",
            held.len(),
            r.macro_me,
            r.macro_them,
            r.cue_f1
        );
        for (i, pr) in held.iter().zip(p) {
            preds[*i] = pr;
        }
    }
    let pooled = score(rules, rows, &preds, true);
    let _ = writeln!(text, "\npooled over all held-out folds:");
    text.push_str(&pooled.text);
    Report { text, ..pooled }
}

fn predict(classifier: &mut Classifier, rows: &[Row]) -> Vec<Classified> {
    let mut conv: Option<&str> = None;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if i == 0 || r.conv.as_deref() != conv {
            classifier.reset();
            conv = r.conv.as_deref();
        }
        out.push(classifier.classify_full(r.speaker, &r.text, r.hesitation.as_ref()));
    }
    out
}

struct Report {
    text: String,
    macro_f1: f64,
    macro_me: f64,
    macro_them: f64,
    cue_f1: f64,
    cue_precision: f64,
}

/// Scores predictions against the gold acts; `detail` adds confusions and misclassified lines.
fn score(rules: &CoachRules, rows: &[Row], preds: &[Classified], detail: bool) -> Report {
    use std::fmt::Write;
    let mut text = String::new();
    let mut gold_cues = CueEngine::new(&rules.cues);
    let mut pred_cues = CueEngine::new(&rules.cues);
    let mut conv: Option<&str> = None;
    let mut conv_no = 0usize;
    let mut idx = 0u64;
    let mut gold_set: HashSet<(usize, u64, CueId)> = HashSet::new();
    let mut pred_set: HashSet<(usize, u64, CueId)> = HashSet::new();
    let mut buf: Vec<Cue> = Vec::new();
    let mut seen: HashMap<(usize, u64), (&str, Act, Act, f32)> = HashMap::new();
    for (
        r,
        Classified {
            act, confidence, ..
        },
    ) in rows.iter().zip(preds)
    {
        let act = *act;
        if r.conv.as_deref() != conv || conv_no == 0 {
            gold_cues.reset();
            pred_cues.reset();
            conv = r.conv.as_deref();
            conv_no += 1;
            idx = 0;
        }
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
            prosody: None,
        };
        seen.insert((conv_no, idx), (r.text.as_str(), r.act, act, *confidence));
        for (engine, a, confidence, set) in [
            (&mut gold_cues, r.act, None, &mut gold_set),
            (&mut pred_cues, act, Some(*confidence), &mut pred_set),
        ] {
            buf.clear();
            engine.on_utterance(
                &ClassifiedUtterance {
                    utterance: u.clone(),
                    act: a,
                    why: String::new(),
                    confidence,
                    unsure: false,
                },
                &mut buf,
            );
            set.extend(buf.iter().map(|c| (conv_no, idx, c.id)));
        }
        idx += 1;
    }

    // Per-class counts; classes are (speaker, act).
    let mut counts: BTreeMap<(Speaker, Act), (usize, usize, usize)> = BTreeMap::new();
    let mut confusions: BTreeMap<(Speaker, Act, Act), usize> = BTreeMap::new();
    for (r, Classified { act: p, .. }) in rows.iter().zip(preds) {
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
        .zip(preds)
        .filter(|(r, p)| r.act == p.act)
        .count();
    let _ = writeln!(
        text,
        "{} utterances, {} conversations, accuracy {:.3}",
        rows.len(),
        conv_no,
        correct as f64 / rows.len() as f64
    );
    let mut all_f = Vec::new();
    let mut per_speaker = [0.0f64; 2];
    for (k, sp) in [Speaker::Me, Speaker::Them].into_iter().enumerate() {
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
        per_speaker[k] = m;
        all_f.extend(fs);
    }
    let macro_f1 = if all_f.is_empty() {
        0.0
    } else {
        all_f.iter().sum::<f64>() / all_f.len() as f64
    };

    let mut pairs: Vec<_> = confusions.iter().collect();
    if !detail {
        pairs.clear();
    }
    pairs.sort_by(|a, b| b.1.cmp(a.1));
    let _ = writeln!(text, "\nconfusions (gold -> predicted):");
    for ((sp, g, p), n) in &pairs {
        let _ = writeln!(text, "  {sp}: {g} -> {p}: {n}");
    }
    let _ = writeln!(text, "\nmisclassified:");
    for (r, Classified { act: p, why, .. }) in rows.iter().zip(preds) {
        if detail && r.act != *p {
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

    if detail {
        let _ = writeln!(text, "\nmissed cues (right act or not, not fired):");
        let mut missed: Vec<_> = gold_set.difference(&pred_set).collect();
        missed.sort();
        for (conv, idx, id) in missed {
            if let Some((t, g, p, c)) = seen.get(&(*conv, *idx)) {
                let _ = writeln!(text, "  {id}: {t:?}: gold {g} got {p} p={c:.2}");
            }
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
        macro_me: per_speaker[0],
        macro_them: per_speaker[1],
        cue_f1,
        cue_precision: if pred_set.is_empty() { 1.0 } else { cp },
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
        let mut c = Classifier::new(&rules);
        let p = predict(&mut c, &rows);
        let r = score(&rules, &rows, &p, true);
        assert_eq!(r.macro_f1, 1.0);
        assert_eq!(r.cue_f1, 1.0);
    }

    #[test]
    fn f1_of_nothing_is_zero() {
        assert_eq!(f1(0, 0, 0), (0.0, 0.0, 0.0));
        assert_eq!(f1(1, 1, 0).2, 2.0 / 3.0);
    }
}
