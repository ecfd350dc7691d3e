//! Rewrites for the debrief: a weak line of "me" (a flagged moment) -> one better line in the
//! technique that fits, built from the practitioner's own words and from what "them" said just
//! before, by the rules and templates of `config/rewrites.toml` (built in; the file's header
//! explains the format). Pure and synchronous: called by `session::debrief` at the end of a
//! session and by the readers of older sessions, on whatever thread they run.
//!
//! A rules file is parsed with `deny_unknown_fields` and validated once into [`RewriteRules`]:
//! patterns compile, every template slot is a named group of its pattern or a built-in slot,
//! every act is one of "me". Errors name the file and the key, on one line.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::event::{Act, CueId, Severity, Speaker};

/// The built-in rewrite rules.
pub const BUILTIN_REWRITES: &str = include_str!("../../config/rewrites.toml");
/// How the built-in rules are named in error messages.
pub const BUILTIN_REWRITES_NAME: &str = "config/rewrites.toml (built in)";

/// Why a moment of "me" is weak: one of the warning cues of the spec on the line itself, or a
/// missed chance (a counterfeit yes or a no from "them" answered with a pitch or another
/// yes-question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    OpeningYes,
    YesLadder,
    QuestionBarrage,
    PitchEarly,
    MissedChance,
    /// A delivery moment: an ask whose end rose (`land_it`). Its rewrite is the same words,
    /// landed.
    LandIt,
}

impl Flag {
    pub const ALL: [Flag; 6] = [
        Flag::OpeningYes,
        Flag::YesLadder,
        Flag::QuestionBarrage,
        Flag::PitchEarly,
        Flag::MissedChance,
        Flag::LandIt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::OpeningYes => "opening_yes",
            Flag::YesLadder => "yes_ladder",
            Flag::QuestionBarrage => "question_barrage",
            Flag::PitchEarly => "pitch_early",
            Flag::MissedChance => "missed_chance",
            Flag::LandIt => "land_it",
        }
    }

    /// The flag a cue on a "me" line raises, if any.
    pub fn from_cue(id: CueId) -> Option<Flag> {
        match id {
            CueId::OpeningYes => Some(Flag::OpeningYes),
            CueId::YesLadder => Some(Flag::YesLadder),
            CueId::QuestionBarrage => Some(Flag::QuestionBarrage),
            CueId::PitchEarly => Some(Flag::PitchEarly),
            CueId::LandIt => Some(Flag::LandIt),
            _ => None,
        }
    }
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rewrite: the line to say instead, the act it is meant to be, and the rule that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rewrite {
    pub text: String,
    /// The act the rewrite is meant to be (a test holds the classifier to it).
    pub act: Act,
    /// Name of the rule of the rewrites file that wrote it.
    pub rule: String,
}

/// Why a rewrites file could not be loaded. Each message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("cannot read rewrites file {path}: {source}; check `[coach] rewrites` in the config (empty: the built-in rules)")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, unknown keys, wrong types.
    #[error("{file}: {message}; fix the file, or set `[coach] rewrites = \"\"` to use the built-in rules")]
    Toml { file: String, message: String },
    /// A value that parses but makes no sense (bad regex, unknown slot, act of "them", ...).
    #[error("{file}: {key}: {message}; fix the file, or set `[coach] rewrites = \"\"` to use the built-in rules")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Raw file

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: u32,
    text: RawText,
    slots: RawSlots,
    ranking: Ranking,
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    fillers: Vec<String>,
    connectives: Vec<String>,
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlots {
    verbs: Vec<String>,
    products: Vec<String>,
    answer_words: Vec<String>,
    min_them_words: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    flags: Vec<Flag>,
    #[serde(default)]
    after: Option<Vec<Act>>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    keep_intro: bool,
    template: String,
    act: Act,
    example: String,
    #[serde(default)]
    example_them: Option<String>,
}

/// `[ranking]`: how the debrief summary picks its changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    /// Severity of a missed chance that no cue flagged.
    pub missed_chance: Severity,
    /// A flag not listed yet goes before a second moment of a listed flag.
    pub one_per_flag: bool,
    /// How many changes the summary lists.
    pub top: usize,
}

// ---------------------------------------------------------------------------------------------
// Validated rules

/// A piece of a template.
#[derive(Debug, Clone)]
enum Piece {
    Lit(String),
    Slot { name: String, ing: bool, you: bool },
}

/// One validated rule of the rewrites file.
#[derive(Debug, Clone)]
pub struct RewriteRule {
    pub name: String,
    pub flags: Vec<Flag>,
    /// Only when "them"'s line just before has one of these acts.
    pub after: Option<Vec<Act>>,
    pattern: Option<Regex>,
    pub keep_intro: bool,
    pub template: String,
    pieces: Vec<Piece>,
    pub act: Act,
    /// A line of "me" the rule rewrites (checked by the tests with the classifier).
    pub example: String,
    /// "them"'s line before the example, when the rule needs one.
    pub example_them: Option<String>,
}

/// The validated rewrites file.
#[derive(Debug, Clone)]
pub struct RewriteRules {
    fillers: Option<Regex>,
    connectives: Vec<String>,
    /// Question tags as word lists, longest first.
    tags: Vec<Vec<String>>,
    verbs: Vec<String>,
    products: Vec<String>,
    /// Answer openers as word lists, longest first.
    answer_words: Vec<Vec<String>>,
    min_them_words: usize,
    pub ranking: Ranking,
    pub rules: Vec<RewriteRule>,
}

const BUILTIN_SLOTS: [&str; 6] = ["intro", "core", "them", "them_np", "them_tail", "product"];

fn words_of(s: &str) -> Vec<String> {
    s.split_whitespace().map(|w| w.to_lowercase()).collect()
}

fn longest_first(v: &[String]) -> Vec<Vec<String>> {
    let mut p: Vec<Vec<String>> = v
        .iter()
        .map(|s| words_of(s))
        .filter(|w| !w.is_empty())
        .collect();
    p.sort_by_key(|w| std::cmp::Reverse(w.len()));
    p
}

/// Named groups a pattern defines.
fn group_names(re: &Regex) -> Vec<String> {
    re.capture_names().flatten().map(str::to_string).collect()
}

/// Parses `{slot|filter}` pieces of a template.
fn parse_template(t: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        if i > 0 {
            out.push(Piece::Lit(rest[..i].to_string()));
        }
        let after = &rest[i + 1..];
        let j = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in {t:?}"))?;
        let mut parts = after[..j].split('|');
        let name = parts.next().unwrap_or("").trim().to_string();
        if name.is_empty() {
            return Err(format!("empty slot `{{}}` in {t:?}"));
        }
        let (mut ing, mut you) = (false, false);
        for f in parts {
            match f.trim() {
                "ing" => ing = true,
                "you" => you = true,
                other => {
                    return Err(format!(
                        "unknown filter `{other}` in {t:?} (known: ing, you)"
                    ))
                }
            }
        }
        out.push(Piece::Slot { name, ing, you });
        rest = &after[j + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest.to_string()));
    }
    Ok(out)
}

impl RewriteRules {
    /// The built-in rules (`config/rewrites.toml`).
    pub fn builtin() -> Result<RewriteRules, RewriteError> {
        RewriteRules::parse(BUILTIN_REWRITES, BUILTIN_REWRITES_NAME)
    }

    /// Loads `path`, or the built-in rules when `None`.
    pub fn load(path: Option<&Path>) -> Result<RewriteRules, RewriteError> {
        match path {
            None => RewriteRules::builtin(),
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|source| RewriteError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                RewriteRules::parse(&src, &p.display().to_string())
            }
        }
    }

    /// Parses and validates rules text; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<RewriteRules, RewriteError> {
        let raw: RawFile = toml::from_str(src).map_err(|e| RewriteError::Toml {
            file: file.to_string(),
            // toml's message spans lines (a caret under the key); the error is one line.
            message: e
                .to_string()
                .lines()
                .map(str::trim)
                // The quoted source line and the caret under it ("38 | bogus = 2") go.
                .filter(|l| !l.is_empty() && !l.contains('|'))
                .collect::<Vec<_>>()
                .join(": "),
        })?;
        let invalid = |key: String, message: String| RewriteError::Invalid {
            file: file.to_string(),
            key,
            message,
        };
        if raw.version != 1 {
            return Err(invalid(
                "version".into(),
                format!("unsupported version {} (this build reads 1)", raw.version),
            ));
        }
        if raw.rules.is_empty() {
            return Err(invalid("rules".into(), "no [[rules]]".into()));
        }
        let fillers = if raw.text.fillers.is_empty() {
            None
        } else {
            let mut f: Vec<String> = raw
                .text
                .fillers
                .iter()
                .map(|w| regex::escape(w.trim()))
                .collect();
            f.sort_by_key(|w| std::cmp::Reverse(w.len()));
            let p = format!(r"(?i)\b(?:{})\b,?", f.join("|"));
            Some(Regex::new(&p).map_err(|e| invalid("text.fillers".into(), e.to_string()))?)
        };
        let mut rules = Vec::with_capacity(raw.rules.len());
        let mut names = std::collections::HashSet::new();
        for (i, r) in raw.rules.into_iter().enumerate() {
            let key = |field: &str| format!("rules[{i}] (name = \"{}\").{field}", r.name);
            if !names.insert(r.name.clone()) {
                return Err(invalid(key("name"), "used by an earlier rule".into()));
            }
            if r.flags.is_empty() {
                return Err(invalid(
                    key("flags"),
                    "empty: name at least one flag".into(),
                ));
            }
            if !Act::for_speaker(Speaker::Me).contains(&r.act) || r.act == Act::Other {
                return Err(invalid(
                    key("act"),
                    format!("`{}` is not a technique of \"me\" (yes_question, no_question, label, calibrated_question, mirror, pitch)", r.act),
                ));
            }
            if let Some(after) = &r.after {
                if let Some(a) = after
                    .iter()
                    .find(|a| !Act::for_speaker(Speaker::Them).contains(a))
                {
                    return Err(invalid(
                        key("after"),
                        format!("`{a}` is not an act of \"them\""),
                    ));
                }
            }
            let pattern = match &r.pattern {
                None => None,
                Some(p) => Some(Regex::new(&format!("(?i)^(?:{p})$")).map_err(|e| {
                    invalid(
                        key("pattern"),
                        format!("bad regex {p:?}: {}", e.to_string().replace('\n', " ")),
                    )
                })?),
            };
            let pieces = parse_template(&r.template).map_err(|m| invalid(key("template"), m))?;
            let groups = pattern.as_ref().map(group_names).unwrap_or_default();
            for p in &pieces {
                if let Piece::Slot { name, .. } = p {
                    if !BUILTIN_SLOTS.contains(&name.as_str()) && !groups.contains(name) {
                        return Err(invalid(
                            key("template"),
                            format!("unknown slot `{{{name}}}`: not a named group of the pattern nor a built-in slot ({})", BUILTIN_SLOTS.join(", ")),
                        ));
                    }
                }
            }
            if r.example.trim().is_empty() {
                return Err(invalid(key("example"), "empty".into()));
            }
            rules.push(RewriteRule {
                name: r.name,
                flags: r.flags,
                after: r.after,
                pattern,
                keep_intro: r.keep_intro,
                template: r.template,
                pieces,
                act: r.act,
                example: r.example,
                example_them: r.example_them,
            });
        }
        let lower = |v: &[String]| {
            v.iter()
                .map(|w| w.trim().to_lowercase())
                .collect::<Vec<_>>()
        };
        Ok(RewriteRules {
            fillers,
            connectives: lower(&raw.text.connectives),
            tags: longest_first(&raw.text.tags),
            verbs: lower(&raw.slots.verbs),
            products: lower(&raw.slots.products),
            answer_words: longest_first(&raw.slots.answer_words),
            min_them_words: raw.slots.min_them_words,
            ranking: raw.ranking,
            rules,
        })
    }

    /// The rewrite of a line of "me" flagged `flag`, given "them"'s line just before (text and
    /// act): the first rule that applies. `None` when no rule does (the built-in file ends
    /// with a rule for every flag).
    pub fn rewrite(&self, flag: Flag, me: &str, them: Option<(&str, Act)>) -> Option<Rewrite> {
        let ctx = self.context(me, them);
        self.rules
            .iter()
            .filter(|r| r.flags.contains(&flag))
            .find_map(|r| self.apply(r, &ctx, them.map(|t| t.1)))
    }

    /// What the rule at `index` writes for `me` (ignoring its flags), for tests and tools.
    pub fn apply_rule(&self, index: usize, me: &str, them: Option<(&str, Act)>) -> Option<Rewrite> {
        let r = self.rules.get(index)?;
        let ctx = self.context(me, them);
        self.apply(r, &ctx, them.map(|t| t.1))
    }

    fn apply(&self, r: &RewriteRule, ctx: &Context, them_act: Option<Act>) -> Option<Rewrite> {
        if let Some(after) = &r.after {
            if !them_act.is_some_and(|a| after.contains(&a)) {
                return None;
            }
        }
        // The pattern matches the whole core or, in a line run together ("hi this is ryan from
        // sunpath do you own your home", as Whisper often writes it), the core from the first
        // word on that can open a question or a statement about "you"; the words before it
        // join the intro.
        let mut intro = ctx.intro.clone();
        let caps = match &r.pattern {
            None => None,
            Some(p) => match p.captures(&ctx.core) {
                Some(c) => Some(c),
                None => {
                    let (at, c) = word_starts(&ctx.core)
                        .into_iter()
                        .skip(1)
                        .filter(|&i| opens_clause(&ctx.core[i..]) && may_end_intro(&ctx.core[..i]))
                        .find_map(|i| p.captures(&ctx.core[i..]).map(|c| (i, c)))?;
                    let prefix = tidy(&ctx.core[..at]);
                    if !prefix.is_empty() {
                        intro = Some(match intro {
                            Some(i) => format!("{i} {prefix}."),
                            None => format!("{prefix}."),
                        });
                    }
                    Some(c)
                }
            },
        };
        let mut text = String::new();
        for p in &r.pieces {
            match p {
                Piece::Lit(s) => text.push_str(s),
                Piece::Slot { name, ing, you } => {
                    let v: String = match name.as_str() {
                        "intro" => intro.clone()?,
                        "core" => ctx.core.clone(),
                        "them" => ctx.them.clone()?,
                        "them_np" => ctx.them_np.clone()?,
                        "them_tail" => ctx.them_tail.clone()?,
                        "product" => ctx.product.clone()?,
                        g => caps.as_ref()?.name(g)?.as_str().to_string(),
                    };
                    let mut v = tidy(&v);
                    if v.is_empty() {
                        return None;
                    }
                    if *you {
                        v = to_you(&v);
                    }
                    if *ing {
                        v = gerund_phrase(&v);
                    }
                    if text.is_empty() {
                        // A slot that opens the sentence opens it with a capital.
                        let mut c = v.chars();
                        if let Some(f) = c.next() {
                            text.extend(f.to_uppercase());
                            text.push_str(c.as_str());
                        }
                    } else {
                        text.push_str(&lower_first(&v));
                    }
                }
            }
        }
        if r.keep_intro {
            if let Some(intro) = &intro {
                text = format!("{intro} {text}");
            }
        }
        // The line opens with a capital, as a line to say should.
        let mut c = text.chars();
        let text = match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => text,
        };
        Some(Rewrite {
            text,
            act: r.act,
            rule: r.name.clone(),
        })
    }

    /// Cleans the line and computes the built-in slots.
    fn context(&self, me: &str, them: Option<(&str, Act)>) -> Context {
        let me = self.clean(me);
        let sents = split_sentences(&me);
        let is_q = |s: &str| s.ends_with('?') || self.has_tag(s) || starts_like_question(s);
        let target = sents
            .iter()
            .rposition(|s| s.ends_with('?'))
            .or_else(|| sents.iter().rposition(|s| is_q(s)))
            .unwrap_or(sents.len().saturating_sub(1));
        let intro_sents = &sents[..target.min(sents.len())];
        // Only statements are kept in front of a rewrite: a question there would still fish.
        let intro = if intro_sents.is_empty() || intro_sents.iter().any(|s| s.ends_with('?')) {
            None
        } else {
            let mut s = intro_sents.join(" ");
            if !s.ends_with(['.', '!']) {
                s.push('.');
            }
            Some(s)
        };
        let core = sents
            .get(target)
            .map(|s| self.core_of(s))
            .unwrap_or_default();
        let product = me
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '?' | '!' | ';' | ':'))
            .map(|w| w.to_lowercase())
            .find(|w| self.products.contains(w))
            .map(|w| {
                let article = if w.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                format!("{article} {w}")
            });
        let (them_clause, them_np, them_tail) = match them {
            Some((t, _)) => self.them_slots(t),
            None => (None, None, None),
        };
        Context {
            intro,
            core,
            them: them_clause,
            them_np,
            them_tail,
            product,
        }
    }

    /// Drops fillers, normalises apostrophes and spaces.
    fn clean(&self, text: &str) -> String {
        let t = text.replace(['\u{2019}', '\u{2018}', '`'], "'");
        let t = match &self.fillers {
            Some(re) => re.replace_all(&t, " ").into_owned(),
            None => t,
        };
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        // "word ," left where a filler was taken out.
        t.replace(" ,", ",")
            .replace(" ?", "?")
            .replace(" .", ".")
            .replace(",,", ",")
    }

    fn has_tag(&self, s: &str) -> bool {
        let w = words_of(&s.replace([',', '.', '?', '!'], " "));
        self.tags
            .iter()
            .any(|t| w.len() > t.len() && w.ends_with(t))
    }

    /// The sentence without its end punctuation, leading connectives and trailing tag.
    fn core_of(&self, s: &str) -> String {
        let s = s.trim_end_matches(['.', '?', '!', ',', ' ']);
        let mut words: Vec<&str> = s.split_whitespace().collect();
        let norm = |w: &str| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        };
        // Trailing tag: ", right", "don't you".
        for tag in &self.tags {
            if words.len() > tag.len() {
                let tail: Vec<String> = words[words.len() - tag.len()..]
                    .iter()
                    .map(|w| norm(w))
                    .collect();
                if &tail == tag {
                    words.truncate(words.len() - tag.len());
                    break;
                }
            }
        }
        // Leading connectives: "so", "and", "okay so".
        while words.len() > 1 && self.connectives.contains(&norm(words[0])) {
            words.remove(0);
        }
        words
            .join(" ")
            .trim_matches(|c: char| c == ',' || c.is_whitespace())
            .to_string()
    }

    /// `{them}`, `{them_np}` and `{them_tail}` from "them"'s line.
    fn them_slots(&self, text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let t = self.clean(text);
        let mut best: Option<String> = None;
        for s in split_sentences(&t) {
            let s = s.trim_end_matches(['.', '?', '!', ',', ' ']);
            let rest = self.strip_answer_words(s);
            if !rest.is_empty() {
                best = Some(rest);
            }
        }
        let Some(line) = best else {
            return (None, None, None);
        };
        // A mirror repeats their last one to three words, as they said them.
        let words: Vec<&str> = line.split_whitespace().collect();
        let tail = words[words.len().saturating_sub(3)..].join(" ");
        let tail = tidy(&tail);
        // Not "I hear you?": a mirror of their words about "you" is no mirror.
        let about_you = tail.split_whitespace().any(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .eq_ignore_ascii_case("you")
        });
        let them_tail = (words.len() >= 2 && !tail.is_empty() && !about_you).then_some(tail);
        let norm: Vec<String> = line
            .split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                    .to_lowercase()
            })
            .collect();
        let speaks_of_you = norm.iter().any(|w| {
            matches!(
                w.as_str(),
                "you"
                    | "your"
                    | "yours"
                    | "you're"
                    | "youre"
                    | "yourself"
                    | "youve"
                    | "you've"
                    | "youll"
                    | "you'll"
                    | "youd"
                    | "you'd"
            )
        });
        if speaks_of_you || norm.len() < self.min_them_words {
            return (None, None, them_tail);
        }
        let clause = norm.iter().any(|w| self.verbs.contains(w));
        let v = to_you(&line);
        if clause {
            (Some(v), None, them_tail)
        } else {
            (None, Some(v), them_tail)
        }
    }

    /// Drops leading answer words ("No, not really.", "Yes, of course") from a sentence.
    fn strip_answer_words(&self, s: &str) -> String {
        let mut words: Vec<&str> = s.split_whitespace().collect();
        let norm = |w: &str| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        };
        loop {
            let mut cut = 0;
            for a in &self.answer_words {
                if words.len() >= a.len()
                    && words[..a.len()].iter().map(|w| norm(w)).collect::<Vec<_>>() == *a
                {
                    cut = a.len();
                    break;
                }
            }
            if cut == 0 {
                break;
            }
            words.drain(..cut);
        }
        words
            .join(" ")
            .trim_matches(|c: char| c == ',' || c.is_whitespace())
            .to_string()
    }
}

/// The slots of one line.
struct Context {
    intro: Option<String>,
    core: String,
    them: Option<String>,
    them_np: Option<String>,
    /// The last words of "them"'s line, to mirror.
    them_tail: Option<String>,
    product: Option<String>,
}

/// Sentences ending in `.`, `?` or `!` followed by a space or the end ("$3.50" stays whole).
fn split_sentences(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let end =
            matches!(c, '.' | '?' | '!') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if end {
            let s = cur.trim().to_string();
            if s.chars().any(char::is_alphanumeric) {
                out.push(s);
            }
            cur.clear();
        }
    }
    let s = cur.trim().to_string();
    if s.chars().any(char::is_alphanumeric) {
        out.push(s);
    }
    out
}

/// Byte offsets where the words of `s` start.
fn word_starts(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        if prev_space && !c.is_whitespace() {
            out.push(i);
        }
        prev_space = c.is_whitespace();
    }
    out
}

/// Whether words may stand before a matched clause as an intro: not when they end with an
/// auxiliary or a verb of saying ("did | you get ...", "is it fair to say | you're ..."),
/// which the clause needs to keep its meaning.
fn may_end_intro(prefix: &str) -> bool {
    let last = prefix
        .split_whitespace()
        .last()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        })
        .unwrap_or_default();
    !starts_like_question(&last)
        && !matches!(
            last.as_str(),
            "did"
                | "that"
                | "say"
                | "if"
                | "think"
                | "agree"
                | "know"
                | "sure"
                | "whether"
                | "when"
                | "what"
                | "how"
                | "why"
                | "where"
                | "who"
                | "mean"
                | "guess"
        )
}

/// Opens a question or a statement about "you": an auxiliary, or "you"/"your"/"isn't".
fn opens_clause(s: &str) -> bool {
    starts_like_question(s)
        || s.split_whitespace()
            .next()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                    .to_lowercase()
            })
            .is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "you"
                        | "your"
                        | "youre"
                        | "you're"
                        | "youd"
                        | "you'd"
                        | "youve"
                        | "you've"
                        | "youll"
                        | "you'll"
                        | "wouldnt"
                        | "wouldn't"
                        | "won't"
                        | "wont"
                )
            })
}

/// Starts with an auxiliary, as closed questions do ("do you ...", "is it ...").
fn starts_like_question(s: &str) -> bool {
    const AUX: [&str; 24] = [
        "do", "does", "did", "are", "is", "was", "were", "can", "could", "would", "will", "should",
        "shall", "may", "have", "has", "dont", "don't", "wouldnt", "wouldn't", "isnt", "isn't",
        "arent", "aren't",
    ];
    s.split_whitespace()
        .next()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        })
        .is_some_and(|w| AUX.contains(&w.as_str()))
}

/// Trims spaces and the punctuation a slot should not carry.
fn tidy(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '?' | '!' | ';' | ':'))
        .to_string()
}

/// Lowercases the first letter unless the first word is "I" (or "I'm", ...) or an acronym.
fn lower_first(s: &str) -> String {
    let first = s.split_whitespace().next().unwrap_or("");
    let keep = first == "I"
        || first.starts_with("I'")
        || (first.len() > 1
            && first
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(|c| c.is_uppercase()));
    if keep {
        return s.to_string();
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Turns the words of "them" about themselves into words about "you" ("we already have a
/// provider" -> "you already have a provider").
pub fn to_you(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut prev_i = false;
    for w in words {
        let start = w.find(|c: char| c.is_alphanumeric()).unwrap_or(w.len());
        let end = w
            .rfind(|c: char| c.is_alphanumeric())
            .map_or(start, |e| e + 1)
            .max(start);
        let (pre, core, post) = (&w[..start], &w[start..end], &w[end..]);
        let lower = core.to_lowercase().replace('\u{2019}', "'");
        let swapped = match lower.as_str() {
            "i" | "me" | "we" | "us" => Some("you"),
            "my" | "our" => Some("your"),
            "mine" | "ours" => Some("yours"),
            "myself" => Some("yourself"),
            "ourselves" => Some("yourselves"),
            "i'm" | "im" | "we're" => Some("you're"),
            "i've" | "ive" | "we've" | "weve" => Some("you've"),
            "i'll" | "we'll" => Some("you'll"),
            "i'd" | "we'd" => Some("you'd"),
            "am" => Some("are"),
            "was" if prev_i => Some("were"),
            _ => None,
        };
        prev_i = lower == "i";
        match swapped {
            Some(s) => out.push(format!("{pre}{s}{post}")),
            None => out.push(w.to_string()),
        }
    }
    out.join(" ")
}

/// "protect your family" -> "protecting your family"; "not worry about it" -> "not worrying
/// about it". Only the first verb changes.
pub fn gerund_phrase(s: &str) -> String {
    let mut words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    let i = words
        .iter()
        .position(|w| {
            !matches!(
                w.to_lowercase().as_str(),
                "not" | "never" | "always" | "really" | "finally" | "just" | "actually"
            )
        })
        .unwrap_or(0);
    if let Some(w) = words.get_mut(i) {
        *w = gerund(w);
    }
    words.join(" ")
}

/// The -ing form of one verb.
fn gerund(w: &str) -> String {
    let l = w.to_lowercase();
    if l.ends_with("ing") && l.len() > 4 {
        return l;
    }
    const DOUBLE: [&str; 14] = [
        "stop", "plan", "ship", "shop", "drop", "skip", "swap", "grab", "chat", "trim", "spin",
        "plug", "scan", "begin",
    ];
    let c: Vec<char> = l.chars().collect();
    let n = c.len();
    let vowel = |ch: char| "aeiou".contains(ch);
    if l == "be" {
        return "being".into();
    }
    if matches!(l.as_str(), "lie" | "die" | "tie") {
        return format!("{}ying", &l[..n - 2]);
    }
    if DOUBLE.contains(&l.as_str())
        || (n == 3 && !vowel(c[0]) && vowel(c[1]) && !vowel(c[2]) && !"wxy".contains(c[2]))
    {
        return format!("{l}{}ing", c[n - 1]);
    }
    if n > 2 && l.ends_with('e') && !l.ends_with("ee") && !l.ends_with("ye") && !l.ends_with("oe") {
        return format!("{}ing", &l[..n - 1]);
    }
    format!("{l}ing")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RewriteRules {
        RewriteRules::builtin().unwrap()
    }

    #[test]
    fn the_issue_examples() {
        let r = rules();
        let w = |f, me: &str, them: Option<(&str, Act)>| r.rewrite(f, me, them).unwrap().text;
        assert_eq!(
            w(Flag::OpeningYes, "Do you have a few minutes?", None),
            "Is now a bad time to talk?"
        );
        assert_eq!(
            w(
                Flag::OpeningYes,
                "Hi, this is Tom from Blue River Insurance. Do you have a minute?",
                None
            ),
            "Hi, this is Tom from Blue River Insurance. Is now a bad time to talk?"
        );
        assert_eq!(
            w(
                Flag::YesLadder,
                "You want to protect your family, right?",
                Some(("Well, I guess so.", Act::CounterfeitYes))
            ),
            "It seems like protecting your family matters a lot to you."
        );
        assert_eq!(
            w(
                Flag::PitchEarly,
                "Our family plan saves people $300 a year.",
                None
            ),
            "What would have to change for a plan like this to make sense for you?"
        );
        assert_eq!(
            w(
                Flag::MissedChance,
                "Our plan covers all of that.",
                Some(("I guess so.", Act::CounterfeitYes))
            ),
            "It sounds like you're not sure this is worth your time."
        );
    }

    #[test]
    fn slots_come_from_their_words_and_the_asr_style() {
        let r = rules();
        let w = |f, me: &str, them: Option<(&str, Act)>| r.rewrite(f, me, them).unwrap().text;
        assert_eq!(
            w(
                Flag::MissedChance,
                "our plan is cheaper",
                Some(("No, not really. The price goes up every year.", Act::No))
            ),
            "It sounds like the price goes up every year."
        );
        assert_eq!(
            w(
                Flag::QuestionBarrage,
                "and what about the kids",
                Some(("We already have a provider.", Act::Other))
            ),
            "It sounds like you already have a provider."
        );
        assert_eq!(
            w(Flag::YesLadder, "and you want to save money dont you", None),
            "It seems like saving money matters a lot to you."
        );
        assert_eq!(
            w(
                Flag::YesLadder,
                "so can we uh set up a demo next week",
                None
            ),
            "Would it be a bad idea to set up a demo next week?"
        );
        assert_eq!(
            w(Flag::YesLadder, "is friday morning good for you", None),
            "Is friday morning a bad time for you?"
        );
    }

    #[test]
    fn gerunds_and_pronouns() {
        for (v, g) in [
            ("protect", "protecting"),
            ("save", "saving"),
            ("get", "getting"),
            ("see", "seeing"),
            ("stop", "stopping"),
            ("open", "opening"),
            ("grow", "growing"),
            ("be", "being"),
        ] {
            assert_eq!(gerund(v), g);
        }
        assert_eq!(gerund_phrase("not worry about it"), "not worrying about it");
        assert_eq!(
            to_you("I was sure we'd lose our house."),
            "you were sure you'd lose your house."
        );
    }

    #[test]
    fn malformed_files_give_one_line_naming_file_and_key() {
        let bad = [
            (
                BUILTIN_REWRITES.replacen("version = 1", "version = 1\nbogus = 2", 1),
                "bogus",
            ),
            (
                BUILTIN_REWRITES.replacen(
                    "template = \"Is now a bad time to talk?\"",
                    "template = \"Is {nothing} a bad time?\"",
                    1,
                ),
                "unknown slot `{nothing}`",
            ),
            (
                BUILTIN_REWRITES.replacen("act = \"label\"", "act = \"commitment_yes\"", 1),
                "not a technique",
            ),
            (
                BUILTIN_REWRITES.replacen("pattern = '(?:do you", "pattern = '((?:do you", 1),
                "bad regex",
            ),
            (
                BUILTIN_REWRITES.replacen(
                    "flags = [\"missed_chance\"]",
                    "flags = [\"missed_chanse\"]",
                    1,
                ),
                "missed_chanse",
            ),
            ("version = 1\n[text".to_string(), "my.toml"),
        ];
        for (src, want) in bad {
            let e = RewriteRules::parse(&src, "my.toml")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("my.toml"), "{e}");
            assert!(e.contains(want), "{want}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
            assert!(
                e.contains("rewrites = \\\"\\\"") || e.contains("rewrites = \"\""),
                "says what to do: {e}"
            );
        }
        let e = RewriteRules::load(Some(Path::new("no-such-dir/rewrites.toml")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no-such-dir/rewrites.toml") && !e.contains('\n'),
            "{e}"
        );
    }
}
