//! The rules file (`config/coach.toml`, built in): loads and validates it into [`CoachRules`]
//! for the act classifier and the cue engine. A leaf of the transforms: `classify` and `cue`
//! read their parts of it, `coach` composes them.
//!
//! Rules file format (see the comments in `config/coach.toml`): `[text]` normalisation lists,
//! `[lexicons]` word lists that patterns reference as `{name}`, `[mirror]` parameters,
//! `[[rules]]` scored regex rules, `[tie_break]` orders, and `[cues.*]` thresholds and
//! messages. A rules file replaces the built-in one as a whole; unknown keys are errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet};
use serde::Deserialize;
use toml::Spanned;

use crate::event::{Act, CueId, Severity, Speaker};

/// The built-in rules file.
pub const BUILTIN_RULES: &str = include_str!("../../config/coach.toml");
/// How the built-in rules file is named in error messages.
pub const BUILTIN_RULES_NAME: &str = "config/coach.toml (built in)";

/// Why a rules file could not be loaded. Every variant names the file; the ones about a value
/// name its key and line.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, unknown keys, wrong types: toml's message carries line and column.
    #[error("{file}: {message}")]
    Toml { file: String, message: String },
    /// A semantically invalid value (bad regex, act not valid for the speaker, ...).
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Raw file (serde, deny_unknown_fields)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    version: u32,
    text: RawText,
    #[serde(default)]
    lexicons: HashMap<String, Vec<String>>,
    mirror: RawMirror,
    rules: Vec<RawRule>,
    tie_break: RawTieBreak,
    cues: RawCues,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    fillers: Vec<String>,
    prefaces: Vec<String>,
    question_starts: Vec<String>,
    question_tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirror {
    weight: f32,
    max_words: usize,
    min_overlap: f32,
    stopwords: Vec<String>,
    pronoun_groups: Vec<Vec<String>>,
    #[serde(default)]
    unless: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    speaker: Speaker,
    act: Spanned<Act>,
    weight: Spanned<f32>,
    pattern: Spanned<PatternSrc>,
    #[serde(default)]
    unless: Option<Spanned<String>>,
    #[serde(default)]
    requires: Option<Shape>,
    #[serde(default)]
    after: Option<Vec<Act>>,
}

/// A pattern: one regex or a list of alternatives.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PatternSrc {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTieBreak {
    me: Spanned<Vec<Act>>,
    them: Spanned<Vec<Act>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCues {
    opening_yes: CueText,
    yes_ladder: YesLadderRule,
    question_barrage: BarrageRule,
    pitch_early: CueText,
    counterfeit_yes: CueText,
    no_heard: CueText,
    thats_right: CueText,
    commitment: CueText,
    good_no_question: CueText,
    good_label: CueText,
    talk_ratio: TalkRatioRule,
    long_monologue: MonologueRule,
    land_it: LandItRule,
    hold_silence: HoldSilenceRule,
    silence_held: HoldSilenceRule,
    slow_down: SlowDownRule,
    slow_yes: SlowYesRule,
    closing_up: ClosingUpRule,
}

// ---------------------------------------------------------------------------------------------
// Validated rules

/// The shape a rule may require of the sentence it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Ends with '?', starts with a question word, or ends with a question tag.
    Question,
    /// Anything that is not a question.
    Statement,
    /// Began with a filler ("uh, sure").
    Hesitant,
}

/// One scored rule: if `pattern` matches a sentence of an utterance of `speaker` (and `unless`
/// does not, and the sentence has the `requires` shape), `weight` is added to `act`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub act: Act,
    pub weight: f32,
    pub unless: Option<Regex>,
    pub requires: Option<Shape>,
    /// Only when the other speaker's previous utterance had one of these acts.
    pub after: Option<Vec<Act>>,
}

/// The compiled rules of one speaker: one `RegexSet` over all patterns (one pass per
/// sentence), the rules in the same order.
#[derive(Debug, Clone)]
pub struct SpeakerRules {
    pub set: RegexSet,
    pub rules: Vec<Rule>,
    /// Tie-break order: earlier wins on equal scores.
    pub tie_break: Vec<Act>,
}

/// Mirror detection parameters.
#[derive(Debug, Clone)]
pub struct MirrorRules {
    pub weight: f32,
    /// A mirror has at most this many words (fillers and prefaces removed).
    pub max_words: usize,
    /// Share of its words that must occur in "them"'s previous utterance.
    pub min_overlap: f32,
    /// Words that do not count as key words (a mirror repeats at least one key word).
    pub stopwords: Vec<String>,
    /// Words treated as one when comparing ("we" said by them is "you" when mirrored).
    pub pronoun_groups: Vec<Vec<String>>,
    /// Not a mirror when this matches the normalised utterance (a label that reuses words).
    pub unless: Option<Regex>,
}

/// Text normalisation lists.
#[derive(Debug, Clone)]
pub struct TextRules {
    pub fillers: Vec<String>,
    /// Leading discourse markers stripped from a sentence ("so", "okay", ...), longest first.
    pub prefaces: Vec<Vec<String>>,
    pub question_starts: Vec<String>,
    /// Question tags ("right", "isnt it") at the end of a sentence, as token lists.
    pub question_tags: Vec<Vec<String>>,
}

/// Everything the classifier needs.
#[derive(Debug, Clone)]
pub struct ClassifyRules {
    /// Hash of the rules file text: the learned model is trained once per rules file.
    pub fingerprint: u64,
    pub text: TextRules,
    pub mirror: MirrorRules,
    pub me: SpeakerRules,
    pub them: SpeakerRules,
}

/// Severity and message of a cue, plus whether it is on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueText {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires only when the classifier is at least this sure of the act (0..1); below it the
    /// act is recorded "(unsure)" and the cue held back.
    #[serde(default)]
    pub min_confidence: f32,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YesLadderRule {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires only when the classifier is at least this sure of the act (0..1); below it the
    /// act is recorded "(unsure)" and the cue held back.
    #[serde(default)]
    pub min_confidence: f32,
    /// Fires from this many consecutive yes-questions on.
    pub streak: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrageRule {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires only when the classifier is at least this sure of the act (0..1); below it the
    /// act is recorded "(unsure)" and the cue held back.
    #[serde(default)]
    pub min_confidence: f32,
    /// Consecutive questions that make a barrage.
    pub questions: u32,
    /// Fires while "them" said fewer than this many words since the first of them.
    pub max_them_words: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkRatioRule {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Not before this many seconds into the call.
    pub min_call_secs: f64,
    /// The sliding window the share is computed over.
    pub window_secs: f64,
    /// Fires when "me" holds more than this share (0..1) of the speaking time in the window.
    pub max_share: f64,
    /// At most once per this many seconds.
    pub every_secs: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonologueRule {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires when "me" has spoken for more than this many seconds without "them" speaking.
    pub max_secs: f64,
}

/// `land_it`: an ask, a price, a deadline or a pitch of "me" whose end rises.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandItRule {
    pub severity: Severity,
    /// `{rise}` is replaced by the measured rise ("+4.8 st").
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub min_confidence: f32,
    /// Fires when the last 400 ms of voicing rose by at least this many semitones (the
    /// prosody's `end` is `rise` too).
    pub min_rise_st: f32,
    /// Shown live (paced with the other delivery cues) or recorded for the review only.
    #[serde(default)]
    pub live: bool,
}

/// `hold_silence` (speaking again too soon after a label or mirror) and `silence_held` (the
/// praise for waiting until they answered).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldSilenceRule {
    pub severity: Severity,
    /// `{wait}` is replaced by the measured silence ("1.2 s").
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// hold_silence: fires when "me" speaks again within this many seconds of the end of a
    /// label or mirror, "them" silent meanwhile. silence_held: praise when "them" answered
    /// after at least this many seconds.
    pub wait_secs: f64,
}

/// `slow_down`: "me" speaking faster than their usual.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowDownRule {
    pub severity: Severity,
    /// `{rate}` and `{usual}` are replaced by the syllables per second.
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Utterances the rate is taken over (their voiced time pooled).
    pub utterances: usize,
    /// Fires when that rate is at least this share above the baseline (0.15 = 15 %) ...
    pub over_usual: f32,
    /// ... and above this many syllables per voiced second.
    pub min_rate: f32,
}

/// `slow_yes`: a yes of "them" that came late.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowYesRule {
    pub severity: Severity,
    /// `{pause}` is replaced by the measured pause ("1.6 s").
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub min_confidence: f32,
    /// Fires when the pause before the yes is at least this long ...
    pub min_pause_ms: u32,
    /// ... and at least this many times the call's usual answer gap ...
    pub times_usual: f32,
    /// ... measured over at least this many earlier answers (before that: no cue).
    pub min_answers: usize,
}

/// `closing_up`: their answers shorter and slower after a run of my questions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingUpRule {
    pub severity: Severity,
    pub message: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// My questions in a row before it may fire (a label or mirror ends the run).
    pub questions: usize,
    /// Their latest answers' words at most this share of their first answers' ...
    pub shorter: f32,
    /// ... and their pause before answering at least this many ms longer.
    pub slower_ms: f32,
}

/// The cue thresholds and messages.
#[derive(Debug, Clone)]
pub struct CueRules {
    pub opening_yes: CueText,
    pub yes_ladder: YesLadderRule,
    pub question_barrage: BarrageRule,
    pub pitch_early: CueText,
    pub counterfeit_yes: CueText,
    pub no_heard: CueText,
    pub thats_right: CueText,
    pub commitment: CueText,
    pub good_no_question: CueText,
    pub good_label: CueText,
    pub talk_ratio: TalkRatioRule,
    pub long_monologue: MonologueRule,
    pub land_it: LandItRule,
    pub hold_silence: HoldSilenceRule,
    pub silence_held: HoldSilenceRule,
    pub slow_down: SlowDownRule,
    pub slow_yes: SlowYesRule,
    pub closing_up: ClosingUpRule,
}

impl CueRules {
    /// The same rules with every confidence threshold at 0 (the coach before real talk).
    pub fn without_thresholds(&self) -> CueRules {
        let mut r = self.clone();
        for t in [
            &mut r.opening_yes,
            &mut r.pitch_early,
            &mut r.counterfeit_yes,
            &mut r.no_heard,
            &mut r.thats_right,
            &mut r.commitment,
            &mut r.good_no_question,
            &mut r.good_label,
        ] {
            t.min_confidence = 0.0;
        }
        r.yes_ladder.min_confidence = 0.0;
        r.question_barrage.min_confidence = 0.0;
        r.land_it.min_confidence = 0.0;
        r.slow_yes.min_confidence = 0.0;
        r
    }

    /// The least confidence in the act that lets cue `id` fire (0 for the timed cues).
    pub fn min_confidence(&self, id: CueId) -> f32 {
        match id {
            CueId::OpeningYes => self.opening_yes.min_confidence,
            CueId::YesLadder => self.yes_ladder.min_confidence,
            CueId::QuestionBarrage => self.question_barrage.min_confidence,
            CueId::PitchEarly => self.pitch_early.min_confidence,
            CueId::CounterfeitYes => self.counterfeit_yes.min_confidence,
            CueId::NoHeard => self.no_heard.min_confidence,
            CueId::ThatsRight => self.thats_right.min_confidence,
            CueId::Commitment => self.commitment.min_confidence,
            CueId::GoodNoQuestion => self.good_no_question.min_confidence,
            CueId::GoodLabel => self.good_label.min_confidence,
            CueId::LandIt => self.land_it.min_confidence,
            CueId::SlowYes => self.slow_yes.min_confidence,
            CueId::TalkRatio
            | CueId::LongMonologue
            | CueId::HoldSilence
            | CueId::SilenceHeld
            | CueId::SlowDown
            | CueId::ClosingUp => 0.0,
        }
    }

    /// Severity, message and switch of a cue.
    pub fn text(&self, id: CueId) -> (Severity, &str, bool) {
        // Every cue's table has these three fields, whatever thresholds it adds.
        macro_rules! t {
            ($c:expr) => {
                ($c.severity, $c.message.as_str(), $c.enabled)
            };
        }
        match id {
            CueId::OpeningYes => t!(self.opening_yes),
            CueId::YesLadder => t!(self.yes_ladder),
            CueId::QuestionBarrage => t!(self.question_barrage),
            CueId::PitchEarly => t!(self.pitch_early),
            CueId::CounterfeitYes => t!(self.counterfeit_yes),
            CueId::NoHeard => t!(self.no_heard),
            CueId::ThatsRight => t!(self.thats_right),
            CueId::Commitment => t!(self.commitment),
            CueId::GoodNoQuestion => t!(self.good_no_question),
            CueId::GoodLabel => t!(self.good_label),
            CueId::TalkRatio => t!(self.talk_ratio),
            CueId::LongMonologue => t!(self.long_monologue),
            CueId::LandIt => t!(self.land_it),
            CueId::HoldSilence => t!(self.hold_silence),
            CueId::SilenceHeld => t!(self.silence_held),
            CueId::SlowDown => t!(self.slow_down),
            CueId::SlowYes => t!(self.slow_yes),
            CueId::ClosingUp => t!(self.closing_up),
        }
    }
}

/// A validated rules file.
#[derive(Debug, Clone)]
pub struct CoachRules {
    pub classify: ClassifyRules,
    pub cues: CueRules,
}

impl CoachRules {
    /// The built-in rules (`config/coach.toml`).
    pub fn builtin() -> Result<CoachRules, RulesError> {
        CoachRules::parse(BUILTIN_RULES, BUILTIN_RULES_NAME)
    }

    /// Loads `path`, or the built-in rules when `None`.
    pub fn load(path: Option<&Path>) -> Result<CoachRules, RulesError> {
        match path {
            None => CoachRules::builtin(),
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|source| RulesError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                CoachRules::parse(&src, &p.display().to_string())
            }
        }
    }

    /// Parses and validates rules text; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<CoachRules, RulesError> {
        let raw: RawRules = toml::from_str(src).map_err(|e| RulesError::Toml {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let line_of = |span: std::ops::Range<usize>| -> usize {
            src.get(..span.start).map_or(0, |s| s.matches('\n').count()) + 1
        };
        let invalid =
            |span: std::ops::Range<usize>, key: String, message: String| RulesError::Invalid {
                file: file.to_string(),
                line: line_of(span),
                key,
                message,
            };
        if raw.version != 1 {
            return Err(RulesError::Invalid {
                file: file.to_string(),
                line: 1,
                key: "version".into(),
                message: format!("unsupported version {} (this build reads 1)", raw.version),
            });
        }

        // Lexicons become `(?:a|b|c)` alternations, longest first so "next week" beats "next".
        let mut lex: HashMap<String, String> = HashMap::new();
        for (name, words) in &raw.lexicons {
            let mut words: Vec<&String> = words.iter().collect();
            words.sort_by_key(|w| std::cmp::Reverse(w.len()));
            let alt: Vec<String> = words.iter().map(|w| w.trim().to_string()).collect();
            lex.insert(name.clone(), format!("(?:{})", alt.join("|")));
        }
        let expand = |pat: &str| -> Result<String, String> { expand_lexicons(pat, &lex) };

        let mut me = (Vec::new(), Vec::new());
        let mut them = (Vec::new(), Vec::new());
        for (i, r) in raw.rules.iter().enumerate() {
            let key = |field: &str| format!("rules[{i}] (name = \"{}\").{field}", r.name);
            let act = *r.act.get_ref();
            if !Act::for_speaker(r.speaker).contains(&act) {
                return Err(invalid(
                    r.act.span(),
                    key("act"),
                    format!("act `{act}` is not an act of speaker `{}`", r.speaker),
                ));
            }
            if !r.weight.get_ref().is_finite() {
                return Err(invalid(
                    r.weight.span(),
                    key("weight"),
                    "must be finite".into(),
                ));
            }
            let alts: Vec<&String> = match r.pattern.get_ref() {
                PatternSrc::One(p) => vec![p],
                PatternSrc::Many(v) => v.iter().collect(),
            };
            if alts.is_empty() {
                return Err(invalid(
                    r.pattern.span(),
                    key("pattern"),
                    "empty list".into(),
                ));
            }
            let mut parts = Vec::with_capacity(alts.len());
            for (j, a) in alts.iter().enumerate() {
                let k = if alts.len() > 1 || matches!(r.pattern.get_ref(), PatternSrc::Many(_)) {
                    key(&format!("pattern[{j}]"))
                } else {
                    key("pattern")
                };
                let p = expand(a).map_err(|m| invalid(r.pattern.span(), k.clone(), m))?;
                // Compile alone first so the error names this rule and pattern, not the set.
                Regex::new(&p)
                    .map_err(|e| invalid(r.pattern.span(), k, format!("bad regex {a:?}: {e}")))?;
                parts.push(format!("(?:{p})"));
            }
            let pat = parts.join("|");
            let unless = match &r.unless {
                None => None,
                Some(u) => {
                    let p = expand(u.get_ref()).map_err(|m| invalid(u.span(), key("unless"), m))?;
                    Some(Regex::new(&p).map_err(|e| {
                        invalid(
                            u.span(),
                            key("unless"),
                            format!("bad regex {:?}: {e}", u.get_ref()),
                        )
                    })?)
                }
            };
            let rule = Rule {
                name: r.name.clone(),
                act,
                weight: *r.weight.get_ref(),
                unless,
                requires: r.requires,
                after: r.after.clone(),
            };
            let dst = match r.speaker {
                Speaker::Me => &mut me,
                Speaker::Them => &mut them,
            };
            dst.0.push(pat);
            dst.1.push(rule);
        }
        let check_order =
            |sp: &Spanned<Vec<Act>>, speaker: Speaker| -> Result<Vec<Act>, RulesError> {
                let key = format!("tie_break.{speaker}");
                for a in sp.get_ref() {
                    if !Act::for_speaker(speaker).contains(a) {
                        return Err(invalid(
                            sp.span(),
                            key,
                            format!("`{a}` is not an act of {speaker}"),
                        ));
                    }
                }
                for a in Act::for_speaker(speaker) {
                    if !sp.get_ref().contains(a) {
                        return Err(invalid(sp.span(), key, format!("missing act `{a}`")));
                    }
                }
                Ok(sp.get_ref().clone())
            };
        let build = |(pats, rules): (Vec<String>, Vec<Rule>), order: Vec<Act>| {
            RegexSet::new(&pats)
                .map(|set| SpeakerRules {
                    set,
                    rules,
                    tie_break: order,
                })
                .map_err(|e| RulesError::Invalid {
                    file: file.to_string(),
                    line: 1,
                    key: "rules".into(),
                    message: e.to_string(),
                })
        };
        let me = build(me, check_order(&raw.tie_break.me, Speaker::Me)?)?;
        let them = build(them, check_order(&raw.tie_break.them, Speaker::Them)?)?;

        let words =
            |v: &[String]| -> Vec<String> { v.iter().map(|s| s.trim().to_lowercase()).collect() };
        let phrases = |v: &[String]| -> Vec<Vec<String>> {
            let mut p: Vec<Vec<String>> = v
                .iter()
                .map(|s| {
                    s.split_whitespace()
                        .map(|w| w.to_lowercase())
                        .collect::<Vec<_>>()
                })
                .filter(|p: &Vec<String>| !p.is_empty())
                .collect();
            p.sort_by_key(|p| std::cmp::Reverse(p.len()));
            p
        };
        let text = TextRules {
            fillers: words(&raw.text.fillers),
            prefaces: phrases(&raw.text.prefaces),
            question_starts: words(&raw.text.question_starts),
            question_tags: phrases(&raw.text.question_tags),
        };
        let m = &raw.mirror;
        if !(0.0..=1.0).contains(&m.min_overlap) {
            return Err(RulesError::Invalid {
                file: file.to_string(),
                line: find_line(src, "min_overlap"),
                key: "mirror.min_overlap".into(),
                message: "must be between 0 and 1".into(),
            });
        }
        let mirror_unless = match &m.unless {
            None => None,
            Some(u) => {
                let p = expand(u.get_ref())
                    .map_err(|msg| invalid(u.span(), "mirror.unless".into(), msg))?;
                Some(Regex::new(&p).map_err(|e| {
                    invalid(
                        u.span(),
                        "mirror.unless".into(),
                        format!("bad regex {:?}: {e}", u.get_ref()),
                    )
                })?)
            }
        };
        let mirror = MirrorRules {
            unless: mirror_unless,
            weight: m.weight,
            max_words: m.max_words,
            min_overlap: m.min_overlap,
            stopwords: words(&m.stopwords),
            pronoun_groups: m.pronoun_groups.iter().map(|g| words(g)).collect(),
        };
        let c = raw.cues;
        let tr = &c.talk_ratio;
        if !(0.0..=1.0).contains(&tr.max_share) || tr.window_secs <= 0.0 {
            return Err(RulesError::Invalid {
                file: file.to_string(),
                line: find_line(src, "max_share"),
                key: "cues.talk_ratio".into(),
                message: "max_share must be in 0..1 and window_secs > 0".into(),
            });
        }
        let cues = CueRules {
            opening_yes: c.opening_yes,
            yes_ladder: c.yes_ladder,
            question_barrage: c.question_barrage,
            pitch_early: c.pitch_early,
            counterfeit_yes: c.counterfeit_yes,
            no_heard: c.no_heard,
            thats_right: c.thats_right,
            commitment: c.commitment,
            good_no_question: c.good_no_question,
            good_label: c.good_label,
            talk_ratio: c.talk_ratio,
            long_monologue: c.long_monologue,
            land_it: c.land_it,
            hold_silence: c.hold_silence,
            silence_held: c.silence_held,
            slow_down: c.slow_down,
            slow_yes: c.slow_yes,
            closing_up: c.closing_up,
        };
        for id in CueId::ALL {
            let m = cues.min_confidence(id);
            if !(0.0..=1.0).contains(&m) {
                let header = format!("[cues.{id}]");
                let at = src.find(&header).unwrap_or(0);
                return Err(RulesError::Invalid {
                    file: file.to_string(),
                    line: find_line(&src[at..], "min_confidence") + find_line(src, &header) - 1,
                    key: format!("cues.{id}.min_confidence"),
                    message: format!("{m} must be between 0 and 1 (the least confidence in the act for the cue to fire)"),
                });
            }
        }
        Ok(CoachRules {
            classify: ClassifyRules {
                fingerprint: {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    src.hash(&mut h);
                    h.finish()
                },
                text,
                mirror,
                me,
                them,
            },
            cues,
        })
    }
}

/// Line of the first occurrence of `needle` (1 if absent), for errors of keys without a span.
fn find_line(src: &str, needle: &str) -> usize {
    src.find(needle)
        .map_or(1, |i| src[..i].matches('\n').count() + 1)
}

/// Replaces `{name}` with the lexicon alternation. `{3}`, `{2,4}` (regex repetitions) are left
/// alone.
fn expand_lexicons(pat: &str, lex: &HashMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(pat.len());
    let mut rest = pat;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j)
                if after[..j]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic()) =>
            {
                let name = &after[..j];
                let alt = lex
                    .get(name)
                    .ok_or_else(|| format!("unknown lexicon {{{name}}}"))?;
                out.push_str(alt);
                rest = &after[j + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        CoachRules::builtin().unwrap();
    }

    fn with_replaced(from: &str, to: &str) -> String {
        assert!(
            BUILTIN_RULES.contains(from),
            "fixture text not found: {from}"
        );
        BUILTIN_RULES.replacen(from, to, 1)
    }

    #[test]
    fn bad_regex_names_rule_key_pattern_and_line() {
        let src = with_replaced(
            "name = \"negative_question\"",
            "name = \"negative_question\"\nunless = '(unclosed'",
        );
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("negative_question"), "{e}");
        assert!(e.contains("unless"), "{e}");
        assert!(e.contains("(unclosed"), "{e}");
        assert!(e.starts_with("x.toml:"), "{e}");
        let line: usize = e.split(':').nth(1).unwrap().parse().unwrap();
        let expect = src.lines().position(|l| l.contains("(unclosed")).unwrap() + 1;
        assert_eq!(line, expect, "{e}");
    }

    #[test]
    fn a_confidence_threshold_outside_0_to_1_is_named_with_its_line() {
        let from = "[cues.no_heard]";
        let at = BUILTIN_RULES.find(from).unwrap();
        let threshold = at + BUILTIN_RULES[at..].find("min_confidence = 0.8").unwrap();
        let mut src = BUILTIN_RULES.to_string();
        src.replace_range(
            threshold..threshold + "min_confidence = 0.8".len(),
            "min_confidence = 80",
        );
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("cues.no_heard.min_confidence"), "{e}");
        assert!(e.contains("between 0 and 1"), "{e}");
        let line: usize = e.split(':').nth(1).unwrap().parse().unwrap();
        let expect = src[..threshold].matches('\n').count() + 1;
        assert_eq!(line, expect, "{e}");
    }

    #[test]
    fn bad_pattern_in_a_list_names_its_index() {
        let src = with_replaced("'^how do you do\\b',", "'^how do you do\\b', 'a[b',");
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("identification"), "{e}");
        assert!(e.contains(".pattern["), "{e}");
        assert!(e.contains("a[b"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error_with_line() {
        let src = with_replaced("[mirror]", "[mirror]\nmax_wrods = 3");
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("max_wrods"), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn act_of_wrong_speaker_is_rejected() {
        let src = with_replaced("act = \"label\"", "act = \"commitment_yes\"");
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("not an act of speaker `me`"), "{e}");
    }

    #[test]
    fn unknown_lexicon_is_an_error() {
        let src = with_replaced(
            "name = \"negative_question\"",
            "name = \"negative_question\"\nunless = '{nosuchlex}'",
        );
        let e = CoachRules::parse(&src, "x.toml").unwrap_err().to_string();
        assert!(e.contains("unknown lexicon {nosuchlex}"), "{e}");
    }

    #[test]
    fn lexicon_expansion_leaves_repetitions() {
        let mut lex = HashMap::new();
        lex.insert("day".to_string(), "(?:mon|tue)".to_string());
        assert_eq!(
            expand_lexicons(r"a{2,3} {day}\b", &lex).unwrap(),
            r"a{2,3} (?:mon|tue)\b"
        );
    }
}
