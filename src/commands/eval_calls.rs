//! `ringside eval calls [SCRIPT.txt ...]`: the act classifier on synthesized calls heard through
//! the whole audio pipeline (replay -> VAD -> Whisper -> classifier), scored against the act
//! each turn of the call script names in the comment above it (`# label -> good_label`).
//!
//! Each script is synthesized by `scripts/tts_call.py` into `target/calls/eval/` (kept while
//! the script and the synthesizer are unchanged), replayed at full speed through
//! `app::run_session` with one model loaded for all calls, and every utterance is matched to the
//! truth turn of its speaker it overlaps most. The same turns are also classified from the
//! script's text alone, so the share of the errors that comes from hearing (ASR, segmenting)
//! rather than from the classifier is visible side by side.
//!
//! A turn heard as several utterances counts as right when any of them has the expected act:
//! live, each utterance gets its act and cues, so the coach did see it. Such a turn is a
//! *duplicate* when one part repeats another's words (the same text heard twice) and a *split*
//! when the parts are different words (a turn with a long pause heard in two); both are listed
//! with their acts. A turn heard as nothing is a miss for its act.
//! Macro-F1 is over the (speaker, act) classes present in the expected or the predicted acts,
//! "me other" and "them other" counted apart, as in `eval acts`.
//!
//! Runs on the main thread (the pipeline's own threads come from `app`). Progress goes to
//! stderr; the last line of stdout is
//! `calls=N turns=N found=N act_macro_f1=… text_macro_f1=… duplicates=N splits=N extra=N`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::eval_real::{run_call, Heard};
use super::Globals;
use crate::event::{Act, Speaker};
use crate::metrics::f1;
use crate::transforms::classify::Classifier;
use crate::transforms::rules::CoachRules;
use crate::transforms::transcribe::Transcriber;

/// Where the scripts, the synthesizer and the cache are, relative to the repository root (the
/// eval, like the benches, runs from the repository).
const CALLS_DIR: &str = "tests/fixtures/calls";
const TTS_SCRIPT: &str = "scripts/tts_call.py";
const CACHE_DIR: &str = "target/calls/eval";
/// A script left out of the default set: the five-minute benchmark material repeats the other
/// calls, so it would count their turns twice.
const SKIP_BY_DEFAULT: &str = "long.txt";

/// One turn of a call script with the act its comment names.
#[derive(Debug, Clone, PartialEq)]
struct ScriptTurn {
    speaker: Speaker,
    text: String,
    act: Act,
}

/// One turn of `NAME.truth.json` as `tts_call.py` writes it.
#[derive(Debug, serde::Deserialize)]
struct TruthTurn {
    speaker: Speaker,
    text: String,
    start: f64,
    end: f64,
}

#[derive(Debug, serde::Deserialize)]
struct Truth {
    turns: Vec<TruthTurn>,
}

fn act_named(name: &str) -> Option<Act> {
    Act::ALL.into_iter().find(|a| a.as_str() == name)
}

/// Parses a call script (the format of `scripts/tts_call.py`) and the expected acts: a comment
/// whose first word is an act applies to the next turn. Every turn must have one, valid for its
/// speaker; a script without them cannot be scored.
fn parse_script(src: &str, name: &str) -> Result<Vec<ScriptTurn>> {
    let mut turns = Vec::new();
    let mut pending: Option<(Act, usize)> = None;
    for (i, raw) in src.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(act) = comment.split_whitespace().next().and_then(act_named) {
                pending = Some((act, n));
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            bail!("{name}:{n}: expected 'me: text', 'them: text' or 'pause: seconds'");
        };
        let speaker = match key.trim().to_lowercase().as_str() {
            "me" => Speaker::Me,
            "them" => Speaker::Them,
            "pause" => continue,
            other => bail!("{name}:{n}: unknown line kind {other:?}"),
        };
        let Some((act, at)) = pending.take() else {
            bail!("{name}:{n}: no `# <act>` comment above this turn names its expected act");
        };
        if !Act::for_speaker(speaker).contains(&act) {
            bail!("{name}:{at}: {act} is not an act of {speaker}");
        }
        turns.push(ScriptTurn {
            speaker,
            text: value.trim().to_string(),
            act,
        });
    }
    if turns.is_empty() {
        bail!("{name}: no turns");
    }
    Ok(turns)
}

/// The default scripts: every `*.txt` of the calls fixtures but the benchmark material.
fn default_scripts() -> Result<Vec<PathBuf>> {
    let dir = Path::new(CALLS_DIR);
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot read {} (run `eval calls` from the repository root, or name the scripts)",
            dir.display()
        )
    })?;
    let mut out = Vec::new();
    for e in entries {
        let p = e
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let keep = p.extension().is_some_and(|x| x == "txt")
            && p.file_name().is_some_and(|f| f != SKIP_BY_DEFAULT);
        if keep {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        bail!("no call scripts in {}", dir.display());
    }
    Ok(out)
}

/// The synthesized call of `script` (`CACHE_DIR/NAME.wav` and its truth), made once and again
/// only when the script or the synthesizer changed: a `.key` file beside the WAV holds the
/// sha256 of both.
fn synthesize(script: &Path, src: &str, name: &str) -> Result<PathBuf> {
    let tts = Path::new(TTS_SCRIPT);
    let tts_src = std::fs::read(tts).with_context(|| {
        format!(
            "cannot read {} (run `eval calls` from the repository root)",
            tts.display()
        )
    })?;
    let mut h = Sha256::new();
    h.update(src.as_bytes());
    h.update([0u8]);
    h.update(&tts_src);
    let key = crate::model::output::hex(&h.finalize());
    let dir = Path::new(CACHE_DIR);
    let wav = dir.join(format!("{name}.wav"));
    let truth = dir.join(format!("{name}.truth.json"));
    let key_path = dir.join(format!("{name}.key"));
    let cached = std::fs::read_to_string(&key_path).is_ok_and(|k| k.trim() == key);
    if cached && wav.is_file() && truth.is_file() {
        eprintln!("eval calls: {name}: synthesized call cached");
        return Ok(wav);
    }
    eprintln!("eval calls: {name}: synthesizing {}", script.display());
    // Into a private directory first, then renamed into place: a run interrupted half-way, or a
    // second run at the same time, never leaves a WAV whose truth or key belongs to another.
    let tmp = dir.join(format!("tmp-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let st = Command::new("python3")
        .arg(tts)
        .arg(script)
        .args(["--name", name, "--out"])
        .arg(&tmp)
        .status()
        .context("cannot run scripts/tts_call.py (python3)")?;
    if !st.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        bail!(
            "scripts/tts_call.py failed on {}; run scripts/setup.sh --test for the TTS voices",
            script.display()
        );
    }
    for (from, to) in [
        (tmp.join(format!("{name}.wav")), &wav),
        (tmp.join(format!("{name}.truth.json")), &truth),
    ] {
        std::fs::rename(&from, to)
            .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::write(&key_path, format!("{key}\n"))
        .with_context(|| format!("cannot write {}", key_path.display()))?;
    Ok(wav)
}

/// For each truth turn, the utterances whose overlap with it is the largest among the turns of
/// the utterance's speaker; and the utterances that overlap no turn of their speaker.
fn match_turns(truth: &[TruthTurn], heard: &[Heard]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut by_turn = vec![Vec::new(); truth.len()];
    let mut extra = Vec::new();
    for (k, (speaker, start, end, _, _)) in heard.iter().enumerate() {
        let best = truth
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == *speaker)
            .map(|(i, t)| (i, end.min(t.end) - start.max(t.start)))
            .filter(|(_, overlap)| *overlap > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, _)) => by_turn[i].push(k),
            None => extra.push(k),
        }
    }
    (by_turn, extra)
}

/// Per-class counts (true positives, false positives, false negatives); classes are
/// (speaker, act). A `None` prediction (the turn was not heard) is a false negative only.
#[derive(Debug, Default)]
struct Counts(BTreeMap<(Speaker, Act), (usize, usize, usize)>);

impl Counts {
    fn add(&mut self, speaker: Speaker, expected: Act, predicted: Option<Act>) {
        match predicted {
            Some(p) if p == expected => self.0.entry((speaker, expected)).or_default().0 += 1,
            Some(p) => {
                self.0.entry((speaker, p)).or_default().1 += 1;
                self.0.entry((speaker, expected)).or_default().2 += 1;
            }
            None => self.0.entry((speaker, expected)).or_default().2 += 1,
        }
    }

    fn merge(&mut self, other: &Counts) {
        for (k, (tp, fp, fn_)) in &other.0 {
            let e = self.0.entry(*k).or_default();
            e.0 += tp;
            e.1 += fp;
            e.2 += fn_;
        }
    }

    fn f1_of(&self, class: (Speaker, Act)) -> Option<(f64, f64, f64, usize)> {
        self.0.get(&class).map(|&(tp, fp, fn_)| {
            let (p, r, f) = f1(tp, fp, fn_);
            (p, r, f, tp + fn_)
        })
    }

    /// Macro-F1 over the classes present (expected or predicted).
    fn macro_f1(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let sum: f64 = self
            .0
            .values()
            .map(|&(tp, fp, fn_)| f1(tp, fp, fn_).2)
            .sum();
        sum / self.0.len() as f64
    }
}

/// One scored call.
struct CallScore {
    name: String,
    turns: usize,
    found: usize,
    /// Turns heard as several utterances with the same words repeated.
    duplicates: usize,
    /// Turns heard as several utterances of different words.
    splits: usize,
    extra: usize,
    audio: Counts,
    text: Counts,
    /// Report lines: the confusions, duplicates and extra utterances of this call.
    notes: Vec<String>,
}

/// Whether some utterance of one turn repeats another's words: at least 60% of the shorter
/// one's words (and at least one) are in the longer one.
fn repeats_words(texts: &[&str]) -> bool {
    let words: Vec<Vec<String>> = texts.iter().map(|t| crate::wer::words(t)).collect();
    for (i, a) in words.iter().enumerate() {
        for b in &words[i + 1..] {
            let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            let shared = short.iter().filter(|w| long.contains(w)).count();
            if shared > 0 && shared * 5 >= short.len() * 3 {
                return true;
            }
        }
    }
    false
}

/// Scores one call: `heard` against the expected acts, and the text-alone predictions.
fn score_call(
    name: &str,
    script: &[ScriptTurn],
    truth: &[TruthTurn],
    heard: &[Heard],
    text_pred: &[Act],
) -> CallScore {
    let (by_turn, extra) = match_turns(truth, heard);
    let mut s = CallScore {
        name: name.to_string(),
        turns: script.len(),
        found: 0,
        duplicates: 0,
        splits: 0,
        extra: extra.len(),
        audio: Counts::default(),
        text: Counts::default(),
        notes: Vec::new(),
    };
    for (i, turn) in script.iter().enumerate() {
        let hits = &by_turn[i];
        // Any utterance with the expected act makes the turn right (see the file header);
        // otherwise the longest one speaks for it.
        let predicted = if hits.iter().any(|k| heard[*k].4 == turn.act) {
            Some(turn.act)
        } else {
            hits.iter()
                .max_by(|a, b| {
                    let len = |k: &usize| heard[*k].2 - heard[*k].1;
                    len(a).total_cmp(&len(b))
                })
                .map(|k| heard[*k].4)
        };
        s.found += usize::from(!hits.is_empty());
        let texts: Vec<&str> = hits.iter().map(|k| heard[*k].3.as_str()).collect();
        let repeated = repeats_words(&texts);
        s.duplicates += usize::from(hits.len() > 1 && repeated);
        s.splits += usize::from(hits.len() > 1 && !repeated);
        s.audio.add(turn.speaker, turn.act, predicted);
        s.text.add(turn.speaker, turn.act, Some(text_pred[i]));
        let said: Vec<&str> = hits.iter().map(|k| heard[*k].3.as_str()).collect();
        if predicted != Some(turn.act) || text_pred[i] != turn.act {
            // Whose error it is: wrong on the text too is the classifier's; right on the text
            // but wrong heard is the pipeline's (ASR or segmenting).
            let blame = match (predicted == Some(turn.act), text_pred[i] == turn.act) {
                (false, false) => "classifier",
                (false, true) => "asr",
                _ => "text only",
            };
            s.notes.push(format!(
                "  [{name} #{}] {} expected {}: heard {:?} -> {}; text alone -> {} ({blame})\n      script: {:?}",
                i + 1,
                turn.speaker,
                turn.act,
                said.join(" | "),
                predicted.map_or("(not heard)", Act::as_str),
                text_pred[i],
                turn.text
            ));
        }
        if hits.len() > 1 {
            let parts: Vec<String> = hits
                .iter()
                .map(|k| format!("{:?} as {}", heard[*k].3, heard[*k].4))
                .collect();
            s.notes.push(format!(
                "  [{name} #{}] {}: {} utterances on one {} turn: {}",
                i + 1,
                if repeated { "duplicate" } else { "split" },
                hits.len(),
                turn.speaker,
                parts.join(", ")
            ));
        }
    }
    for k in &extra {
        let (sp, start, end, text, act) = &heard[*k];
        s.notes.push(format!(
            "  [{name}] extra: {sp} {start:.1}-{end:.1} s {text:?} as {act} overlaps no turn of {sp}"
        ));
    }
    s
}

/// The acts the classifier gives the script's turns as text, in order, as one conversation.
fn classify_text(classifier: &mut Classifier, script: &[ScriptTurn]) -> Vec<Act> {
    classifier.reset();
    script
        .iter()
        .map(|t| classifier.classify(t.speaker, &t.text).0)
        .collect()
}

pub fn run(g: &Globals, scripts: Vec<PathBuf>) -> Result<()> {
    let scripts = if scripts.is_empty() {
        default_scripts()?
    } else {
        scripts
    };
    // Parse everything first: a script without expected acts fails before any synthesis.
    let mut calls = Vec::with_capacity(scripts.len());
    for path in &scripts {
        let src = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .with_context(|| format!("{}: not a file name", path.display()))?;
        let turns = parse_script(&src, &path.display().to_string())?;
        calls.push((path, src, name, turns));
    }
    let rules = CoachRules::load(g.config.coach.rules.as_deref()).context("loading coach rules")?;
    let mut classifier = Classifier::new(&rules);
    let model = super::model_path(g, None)?;
    let mut transcriber = Transcriber::new(&model, &g.config.asr)?;
    eprintln!("eval calls: {} calls", calls.len());

    let mut scores = Vec::with_capacity(calls.len());
    for (path, src, name, turns) in &calls {
        let wav = synthesize(path, src, name)?;
        let truth_path = wav.with_extension("truth.json");
        let truth: Truth = serde_json::from_str(
            &std::fs::read_to_string(&truth_path)
                .with_context(|| format!("cannot read {}", truth_path.display()))?,
        )
        .with_context(|| format!("{} is not a truth file", truth_path.display()))?;
        let same = truth.turns.len() == turns.len()
            && truth
                .turns
                .iter()
                .zip(turns)
                .all(|(t, s)| t.speaker == s.speaker && t.text == s.text);
        if !same {
            bail!(
                "{} does not match {} turn for turn; delete {CACHE_DIR} and run again",
                truth_path.display(),
                path.display()
            );
        }
        let secs = truth.turns.last().map_or(0.0, |t| t.end);
        eprintln!(
            "eval calls: {name}: {} turns, {secs:.0} s through the pipeline",
            turns.len()
        );
        let t0 = Instant::now();
        let (heard, t) = run_call(g, transcriber, &wav)
            .with_context(|| format!("running {} through the pipeline", wav.display()))?;
        transcriber = t;
        let text_pred = classify_text(&mut classifier, turns);
        let s = score_call(name, turns, &truth.turns, &heard, &text_pred);
        eprintln!(
            "eval calls: {name}: found {}/{} turns in {:.1} s, act macro-F1 {:.3} (text alone {:.3})",
            s.found,
            s.turns,
            t0.elapsed().as_secs_f64(),
            s.audio.macro_f1(),
            s.text.macro_f1()
        );
        scores.push(s);
    }
    drop(transcriber);

    let mut audio = Counts::default();
    let mut text = Counts::default();
    println!(
        "{:<20} {:>5} {:>5} {:>4} {:>5} {:>5} {:>8} {:>8}",
        "call", "turns", "found", "dup", "split", "extra", "act_f1", "text_f1"
    );
    for s in &scores {
        println!(
            "{:<20} {:>5} {:>5} {:>4} {:>5} {:>5} {:>8.3} {:>8.3}",
            s.name,
            s.turns,
            s.found,
            s.duplicates,
            s.splits,
            s.extra,
            s.audio.macro_f1(),
            s.text.macro_f1()
        );
        audio.merge(&s.audio);
        text.merge(&s.text);
    }
    println!(
        "\n{:<4} {:<20} {:>4} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "", "act (pooled)", "n", "prec", "recall", "f1", "t_prec", "t_rec", "t_f1"
    );
    let classes: std::collections::BTreeSet<(Speaker, Act)> =
        audio.0.keys().chain(text.0.keys()).copied().collect();
    for class in classes {
        let a = audio.f1_of(class);
        let t = text.f1_of(class);
        let n = a.or(t).map_or(0, |x| x.3);
        let fmt = |x: Option<(f64, f64, f64, usize)>| match x {
            Some((p, r, f, _)) => format!("{p:>6.3} {r:>6.3} {f:>6.3}"),
            None => format!("{:>6} {:>6} {:>6}", "-", "-", "-"),
        };
        println!(
            "{:<4} {:<20} {n:>4} | {} | {}",
            class.0.as_str(),
            class.1.as_str(),
            fmt(a),
            fmt(t)
        );
    }
    println!(
        "\nconfusions (expected -> heard as / classified from the text as), duplicates, splits, extras:"
    );
    for s in &scores {
        for line in &s.notes {
            println!("{line}");
        }
    }
    let turns: usize = scores.iter().map(|s| s.turns).sum();
    let found: usize = scores.iter().map(|s| s.found).sum();
    let duplicates: usize = scores.iter().map(|s| s.duplicates).sum();
    let splits: usize = scores.iter().map(|s| s.splits).sum();
    let extra: usize = scores.iter().map(|s| s.extra).sum();
    println!(
        "\ncalls={} turns={turns} found={found} act_macro_f1={:.3} text_macro_f1={:.3} duplicates={duplicates} splits={splits} extra={extra}",
        scores.len(),
        audio.macro_f1(),
        text.macro_f1()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(speaker: &str, text: &str, start: f64, end: f64) -> TruthTurn {
        TruthTurn {
            speaker: if speaker == "me" {
                Speaker::Me
            } else {
                Speaker::Them
            },
            text: text.to_string(),
            start,
            end,
        }
    }

    #[test]
    fn scripts_give_each_turn_the_act_of_the_comment_above_it() {
        let src = "# A call.\n#\n# yes_question -> opening_yes\nme: Do you have a minute?\n\
                   pause: 1.5\n# counterfeit_yes\nthem: Well, I guess.\n";
        let t = parse_script(src, "x.txt").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].act, Act::YesQuestion);
        assert_eq!(t[1].act, Act::CounterfeitYes);
        assert_eq!(t[1].text, "Well, I guess.");
    }

    #[test]
    fn a_turn_without_an_act_or_with_the_other_speakers_act_is_an_error() {
        let e = parse_script("me: Hi.\n", "x.txt").unwrap_err();
        assert!(e.to_string().contains("x.txt:1"), "{e}");
        let e = parse_script("# no\nme: Hi.\n", "x.txt").unwrap_err();
        assert!(e.to_string().contains("not an act of me"), "{e}");
    }

    #[test]
    fn every_shipped_call_script_names_an_act_for_every_turn() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CALLS_DIR);
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt") {
                let src = std::fs::read_to_string(&p).unwrap();
                parse_script(&src, &p.display().to_string()).unwrap();
                n += 1;
            }
        }
        assert!(n >= 9, "{n} scripts");
    }

    #[test]
    fn utterances_go_to_the_turn_they_overlap_most_and_a_turn_in_two_parts_is_a_split() {
        let truth = vec![
            turn("me", "a", 0.5, 3.0),
            turn("them", "b", 4.0, 5.0),
            turn("me", "c", 6.0, 8.0),
        ];
        let script = vec![
            ScriptTurn {
                speaker: Speaker::Me,
                text: "a".into(),
                act: Act::YesQuestion,
            },
            ScriptTurn {
                speaker: Speaker::Them,
                text: "b".into(),
                act: Act::No,
            },
            ScriptTurn {
                speaker: Speaker::Me,
                text: "c".into(),
                act: Act::Label,
            },
        ];
        let heard: Vec<Heard> = vec![
            (Speaker::Me, 0.4, 1.5, "hi".into(), Act::Other),
            (Speaker::Me, 1.7, 3.1, "do you".into(), Act::YesQuestion),
            // Overlaps the "me" turn c but is "them": not a match.
            (Speaker::Them, 6.5, 7.0, "echo".into(), Act::Other),
            (Speaker::Me, 5.9, 8.1, "c".into(), Act::Pitch),
        ];
        let s = score_call(
            "t",
            &script,
            &truth,
            &heard,
            &[Act::YesQuestion, Act::No, Act::Label],
        );
        assert_eq!(
            (s.turns, s.found, s.duplicates, s.splits, s.extra),
            (3, 2, 0, 1, 1)
        );
        // Audio: yes_question right, no missed, label heard as pitch.
        assert_eq!(s.audio.0[&(Speaker::Me, Act::YesQuestion)], (1, 0, 0));
        assert_eq!(s.audio.0[&(Speaker::Them, Act::No)], (0, 0, 1));
        assert_eq!(s.audio.0[&(Speaker::Me, Act::Pitch)], (0, 1, 0));
        assert_eq!(s.text.macro_f1(), 1.0);
        // yes_question 1, no 0, label 0, pitch 0.
        assert!((s.audio.macro_f1() - 0.25).abs() < 1e-9);
        // The same words heard twice on one turn is a duplicate, not a split.
        let twice: Vec<Heard> = vec![
            (
                Speaker::Me,
                0.4,
                1.5,
                "Probably our CTO.".into(),
                Act::Other,
            ),
            (Speaker::Me, 1.7, 3.1, "probably our CTO".into(), Act::Other),
        ];
        let d = score_call("t", &script[..1], &truth[..1], &twice, &[Act::YesQuestion]);
        assert_eq!((d.duplicates, d.splits), (1, 0));
    }
}
