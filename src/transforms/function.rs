//! The dialogue function of an utterance in real conversation: is it a yes/no question, an
//! open question, a statement, a yes, a no, a maybe or a backchannel? Learned from real
//! telephone calls between real people (SwDA's hand-tagged train calls, `assets/acts/real/`)
//! and from the written sales lines, whose acts say their function. The act classifier
//! ([`crate::transforms::classify`]) asks this model whether a line can carry a question act
//! or an answer act at all: a statement is never a question, and an answer act needs an
//! answer. Runs on the coach thread; trained once per process (well under a second).
//!
//! Features are deliberately surface-level and punctuation-free apart from one "?" feature,
//! so the model works on text as a recogniser without punctuation writes it: the first and
//! last words (after fillers and discourse markers), words and word pairs, the length, and the
//! shape of the other speaker's last utterance (was it a question?).

use std::sync::{Arc, OnceLock};

use crate::event::{Act, Speaker};
use crate::fillers::{is_filler_word, FillerUse};
use crate::transforms::acts_data::{builtin_corpus, real_talk_corpus, LabelledRow};
use crate::transforms::learn::{LinearModel, TrainParams};

/// What an utterance does in the conversation, whatever its Voss act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Function {
    YesNoQuestion,
    OpenQuestion,
    /// Statements, opinions and everything that asks or answers nothing.
    Statement,
    YesAnswer,
    NoAnswer,
    Maybe,
    /// "uh-huh", "yeah", "right" while the other one talks.
    Backchannel,
}

impl Function {
    pub const ALL: [Function; 7] = [
        Function::YesNoQuestion,
        Function::OpenQuestion,
        Function::Statement,
        Function::YesAnswer,
        Function::NoAnswer,
        Function::Maybe,
        Function::Backchannel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Function::YesNoQuestion => "yes_no_question",
            Function::OpenQuestion => "open_question",
            Function::Statement => "statement",
            Function::YesAnswer => "yes_answer",
            Function::NoAnswer => "no_answer",
            Function::Maybe => "maybe",
            Function::Backchannel => "backchannel",
        }
    }

    /// The function of a SwDA DAMSL tag (the mapping of the README's "Coaching on real talk").
    pub fn from_swda_tag(tag: &str) -> Function {
        match tag {
            "qy" | "^g" | "qy^d" | "qrr" => Function::YesNoQuestion,
            "qw" | "qo" | "qh" | "qw^d" => Function::OpenQuestion,
            "ny" | "aa" | "na" => Function::YesAnswer,
            "nn" | "ng" | "ar" | "arp_nd" => Function::NoAnswer,
            "aap_am" => Function::Maybe,
            "b" | "bk" | "bh" | "b^m" => Function::Backchannel,
            _ => Function::Statement,
        }
    }

    /// The function a written line's act implies.
    pub fn from_act(act: Act) -> Function {
        match act {
            Act::YesQuestion | Act::NoQuestion => Function::YesNoQuestion,
            Act::CalibratedQuestion => Function::OpenQuestion,
            Act::ConfirmationYes | Act::CommitmentYes | Act::ThatsRight => Function::YesAnswer,
            Act::CounterfeitYes => Function::Maybe,
            Act::No => Function::NoAnswer,
            Act::Label | Act::Mirror | Act::Pitch | Act::Other => Function::Statement,
        }
    }

    pub fn is_question(self) -> bool {
        matches!(self, Function::YesNoQuestion | Function::OpenQuestion)
    }
}

impl std::fmt::Display for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Skipped to find the core start of an utterance ("well, so do you...").
const MARKERS: &[&str] = &[
    "well", "so", "and", "but", "oh", "okay", "ok", "now", "yeah", "like", "or", "then",
];
/// Auxiliaries that open a yes/no question.
const AUX: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "were", "am", "would", "could", "can", "will", "have",
    "has", "had", "should", "shall", "may", "might", "dont", "doesnt", "didnt", "isnt", "arent",
    "wasnt", "werent", "wouldnt", "couldnt", "cant", "wont", "havent", "hasnt",
];
/// Words that open an open question.
const WH: &[&str] = &[
    "what", "whats", "how", "hows", "why", "who", "whos", "where", "wheres", "when", "which",
];

fn question_word(w: &str) -> bool {
    AUX.contains(&w) || WH.contains(&w)
}

/// Words of an utterance as the model reads them: lower case, apostrophes dropped ("don't" ->
/// "dont"), punctuation and fillers gone.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut apostrophe = false;
    let push = |cur: &mut String, apostrophe: bool, out: &mut Vec<String>| {
        // "we're" and "we'll" must not read as the auxiliaries "were" and "well".
        match (apostrophe, cur.as_str()) {
            (true, "were") => out.extend(["we".to_string(), "are".to_string()]),
            (true, "well") => out.extend(["we".to_string(), "will".to_string()]),
            _ => out.push(cur.clone()),
        }
        cur.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '\u{2019}') {
            apostrophe = !cur.is_empty();
        } else if !cur.is_empty() {
            push(&mut cur, apostrophe, &mut out);
            apostrophe = false;
        }
    }
    if !cur.is_empty() {
        push(&mut cur, apostrophe, &mut out);
    }
    // Dropped before the words are read: hesitation sounds.
    out.retain(|w| !is_filler_word(FillerUse::Model, w));
    out
}

/// The grammatical shape of a question, read from the words alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionShape {
    /// No question shape.
    None,
    /// An auxiliary opens the utterance and a subject follows ("do you have kids", "is it
    /// five or three"), three words or more: a yes/no question in any register.
    Inverted,
    /// A short echo of what the other one just said ("did you?", "is that right?", "oh, do
    /// they really?"): a backchannel in question form, not a question that fishes for yes.
    Echo,
    /// A statement closed by a question tag ("that was weird, wasn't it", "you didn't
    /// notice, did you"): it asks for a yes, in any register and without a "?".
    Tag,
}

/// Subjects that follow an inverted auxiliary.
const SUBJECTS: &[&str] = &[
    "you",
    "they",
    "it",
    "he",
    "she",
    "we",
    "i",
    "that",
    "there",
    "this",
    "your",
    "the",
    "a",
    "those",
    "these",
    "anybody",
    "anyone",
    "somebody",
    "someone",
    "any",
    "my",
    "his",
    "her",
    "our",
    "their",
    "its",
    "everybody",
    "everyone",
];
/// Negative auxiliaries (apostrophe dropped, as [`words`] gives them) that open a question
/// tag ("isn't it").
const NEG_AUX: &[&str] = &[
    "isnt", "wasnt", "arent", "werent", "dont", "doesnt", "didnt", "havent", "hasnt", "hadnt",
    "wouldnt", "couldnt", "shouldnt", "wont", "cant", "aint",
];
/// Positive auxiliaries of a tag after a negative statement ("you didn't, did you").
const POS_TAG_AUX: &[&str] = &[
    "is", "was", "are", "were", "do", "does", "did", "have", "has", "had", "will", "would", "can",
    "could", "should",
];
/// Pronouns of a question tag ("there" is left out: "the time just isn't there").
const TAG_PRONOUNS: &[&str] = &["you", "it", "he", "she", "they", "we", "i"];
/// Words before an auxiliary and a pronoun that make them no tag ("so do i", "than we did",
/// "what time is it").
const NOT_BEFORE_TAG: &[&str] = &[
    "so", "neither", "nor", "than", "as", "what", "how", "where", "who", "when", "why", "which",
    "whatever", "if", "whether",
];
/// Two-word openers skipped before a question shape is read ("i mean, are they ...").
const LEAD_PAIRS: &[(&str, &str)] = &[("i", "mean"), ("you", "know"), ("lets", "see")];

/// `words` without the markers and two-word openers before the clause ("well, i mean, so
/// are you ..." -> "are you ...").
fn clause(words: &[String]) -> &[String] {
    let mut c = core(words);
    loop {
        let pair = c.len() > 2 && LEAD_PAIRS.iter().any(|(a, b)| c[0] == *a && c[1] == *b);
        if !pair {
            return c;
        }
        c = core(&c[2..]);
    }
}

/// True when `c` (words without leading markers) ends in a question tag: a negative auxiliary
/// and a pronoun ("..., wasn't it"), or a positive one after a negative statement ("you don't
/// have kids, do you"), four words or more, and not an open question ("what time is it").
/// On the Switchboard train split 92% of the negative and 83% of the positive tags so found
/// are tagged yes/no questions; most of the rest are opinions closed by a tag, which ask for
/// agreement just the same.
fn ends_in_tag(c: &[String]) -> bool {
    let n = c.len();
    if n < 4 || WH.contains(&c[0].as_str()) {
        return false;
    }
    let (before, aux, pron) = (c[n - 3].as_str(), c[n - 2].as_str(), c[n - 1].as_str());
    if !TAG_PRONOUNS.contains(&pron) || NOT_BEFORE_TAG.contains(&before) {
        return false;
    }
    if NEG_AUX.contains(&aux) {
        return true;
    }
    // "to do it", "had it": a main verb and its object, not a tag.
    let main_verb = pron == "it" && matches!(aux, "do" | "does" | "did" | "have" | "has" | "had");
    POS_TAG_AUX.contains(&aux)
        && !main_verb
        && c[..n - 2]
            .iter()
            .any(|w| NEG_AUX.contains(&w.as_str()) || matches!(w.as_str(), "not" | "never"))
}

/// The question shape of `words` (see [`words`]).
pub fn shape(words: &[String]) -> QuestionShape {
    let c = clause(words);
    let inverted =
        c.len() >= 2 && AUX.contains(&c[0].as_str()) && SUBJECTS.contains(&c[1].as_str());
    if !inverted {
        return if ends_in_tag(c) {
            QuestionShape::Tag
        } else {
            QuestionShape::None
        };
    }
    let rest = &c[2..];
    let echo = rest.is_empty()
        || rest.iter().all(|w| {
            matches!(
                w.as_str(),
                "really" | "right" | "so" | "now" | "too" | "not" | "true" | "huh"
            )
        });
    if echo {
        QuestionShape::Echo
    } else {
        QuestionShape::Inverted
    }
}

/// The other speaker's last utterance, as context.
#[derive(Debug, Clone, Default)]
struct Last {
    words: Vec<String>,
    qmark: bool,
}

impl Last {
    fn looks_like_question(&self) -> bool {
        self.qmark || core(&self.words).first().is_some_and(|w| question_word(w))
    }
}

fn core(words: &[String]) -> &[String] {
    let skip = words
        .iter()
        .take_while(|w| MARKERS.contains(&w.as_str()))
        .count();
    &words[skip..]
}

fn len_bucket(n: usize) -> usize {
    match n {
        0..=3 => n,
        4..=6 => 4,
        7..=10 => 5,
        11..=16 => 6,
        _ => 7,
    }
}

/// Conversation context for the features: the last utterance of each speaker.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    last: [Option<Last>; 2],
    last_speaker: Option<Speaker>,
}

fn slot(s: Speaker) -> usize {
    match s {
        Speaker::Me => 0,
        Speaker::Them => 1,
    }
}

impl Tracker {
    pub fn reset(&mut self) {
        *self = Tracker::default();
    }

    /// The features of `text` said by `speaker` in the current context; then the context
    /// moves on past it.
    pub fn features(&mut self, speaker: Speaker, text: &str) -> Vec<String> {
        let w = words(text);
        let qmark = text.contains('?');
        let other = match speaker {
            Speaker::Me => Speaker::Them,
            Speaker::Them => Speaker::Me,
        };
        let mut f: Vec<String> = Vec::with_capacity(4 * w.len() + 24);
        let c = core(&w);
        let lb = len_bucket(w.len());
        f.push(format!("len:{lb}"));
        if qmark {
            f.push("q?".into());
            if text.trim_end().ends_with('?') {
                f.push("q?end".into());
            }
        }
        if let Some(a) = c.first() {
            f.push(format!("c1:{a}"));
            if question_word(a) {
                f.push("cq".into());
                f.push(format!("cq&len:{lb}"));
            }
            if let Some(b) = c.get(1) {
                f.push(format!("c2:{a} {b}"));
                if let Some(d) = c.get(2) {
                    f.push(format!("c3:{a} {b} {d}"));
                }
            }
        }
        if let Some(a) = w.first() {
            f.push(format!("f1:{a}"));
        }
        if let Some(z) = w.last() {
            f.push(format!("l1:{z}"));
            if w.len() >= 2 {
                f.push(format!("l2:{} {z}", w[w.len() - 2]));
            }
        }
        if w.len() == 1 {
            f.push(format!("one:{}", w[0]));
        }
        if w.len() <= 3 {
            f.push(format!("short:{}", w.join(" ")));
        }
        for (i, t) in w.iter().enumerate() {
            f.push(format!("w:{t}"));
            if let Some(n) = w.get(i + 1) {
                f.push(format!("b:{t} {n}"));
                // An auxiliary before a pronoun anywhere: "so do you", "i mean are they".
                if AUX.contains(&t.as_str())
                    && matches!(
                        n.as_str(),
                        "you"
                            | "they"
                            | "it"
                            | "he"
                            | "she"
                            | "we"
                            | "i"
                            | "that"
                            | "there"
                            | "this"
                    )
                {
                    f.push("aux_pron".into());
                }
            }
        }
        let cont = self.last_speaker == Some(speaker);
        if cont {
            f.push("cont".into());
        }
        match &self.last[slot(other)] {
            Some(o) => {
                let oq = o.looks_like_question();
                if oq {
                    f.push("oq".into());
                    f.push(format!("oq&len:{lb}"));
                    if let Some(a) = c.first() {
                        f.push(format!("oq&c1:{a}"));
                    }
                    if w.len() <= 3 {
                        f.push(format!("oq&short:{}", w.join(" ")));
                    }
                    if cont {
                        f.push("oq&cont".into());
                    }
                }
                if let Some(a) = core(&o.words).first() {
                    f.push(format!("oc1:{a}"));
                }
                if let Some(z) = o.words.last() {
                    f.push(format!("ol1:{z}"));
                }
                f.push(format!("olen:{}", len_bucket(o.words.len())));
            }
            None => f.push("o:none".into()),
        }
        self.last[slot(speaker)] = Some(Last { words: w, qmark });
        self.last_speaker = Some(speaker);
        f
    }
}

/// The fitted function model.
#[derive(Debug, Clone)]
pub struct FunctionModel {
    model: LinearModel<Function>,
}

impl FunctionModel {
    /// Fits the model on labelled rows in conversation order: a row with a SwDA `tag` has the
    /// tag's function, a written row its act's.
    pub fn train(rows: &[LabelledRow]) -> FunctionModel {
        let mut t = Tracker::default();
        let mut conv: Option<&str> = None;
        let mut ex: Vec<(Vec<String>, Function)> = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            if i == 0 || r.conv.as_deref() != conv {
                t.reset();
                conv = r.conv.as_deref();
            }
            let y = match &r.tag {
                Some(tag) => Function::from_swda_tag(tag),
                None => Function::from_act(r.act),
            };
            ex.push((t.features(r.speaker, &r.text), y));
        }
        let p = TrainParams {
            epochs: 6,
            lr: 0.2,
            l2: 1e-4,
            seed: 11,
        };
        FunctionModel {
            model: LinearModel::train(&Function::ALL, &ex, p),
        }
    }

    /// The model trained on the built-in corpus, fitted once per process.
    pub fn builtin() -> Arc<FunctionModel> {
        static MODEL: OnceLock<Arc<FunctionModel>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                let mut rows = builtin_corpus();
                rows.extend(real_talk_corpus());
                let m = Arc::new(FunctionModel::train(&rows));
                drop(rows);
                // Training on 88,000 lines leaves about 120 MB of freed heap that glibc keeps
                // for the process; a daemon that runs all day should give it back.
                #[cfg(all(target_os = "linux", target_env = "gnu"))]
                // SAFETY: malloc_trim only returns free heap pages to the system.
                unsafe {
                    libc::malloc_trim(0);
                }
                m
            })
            .clone()
    }

    /// The features that pushed `f` up the most against `vs`, largest first.
    pub fn top_features(&self, feats: &[String], f: Function, vs: Function) -> String {
        self.model
            .top_features(feats, f, vs, 12)
            .iter()
            .map(|(n, w)| format!("{n}({w:+.1})"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Probability of every function, in the order of [`Function::ALL`].
    pub fn predict(&self, feats: &[String]) -> [f32; 7] {
        let p = self.model.predict(feats);
        let mut out = [0f32; 7];
        for (c, v) in self.model.classes().iter().zip(p) {
            if let Some(i) = Function::ALL.iter().position(|f| f == c) {
                out[i] = v;
            }
        }
        out
    }
}

/// Probability of `f` in a [`FunctionModel::predict`] result.
pub fn prob(p: &[f32; 7], f: Function) -> f32 {
    Function::ALL
        .iter()
        .position(|x| *x == f)
        .map_or(0.0, |i| p[i])
}

/// The most probable function and its probability.
pub fn best(p: &[f32; 7]) -> (Function, f32) {
    let mut bi = 0;
    for i in 1..7 {
        if p[i] > p[bi] {
            bi = i;
        }
    }
    (Function::ALL[bi], p[bi])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_fillers_punctuation_and_apostrophes() {
        assert_eq!(words("Uh, I don't KNOW."), vec!["i", "dont", "know"]);
        assert_eq!(
            words("we're here, we were"),
            vec!["we", "are", "here", "we", "were"]
        );
    }

    #[test]
    fn question_shapes_tell_an_echo_from_a_question() {
        let w = |s: &str| words(s);
        assert_eq!(shape(&w("So, do you have kids?")), QuestionShape::Inverted);
        assert_eq!(shape(&w("is it five or three")), QuestionShape::Inverted);
        assert_eq!(shape(&w("Oh, did you really?")), QuestionShape::Echo);
        assert_eq!(shape(&w("Is that right?")), QuestionShape::Echo);
        assert_eq!(
            shape(&w("We're going to have to get off.")),
            QuestionShape::None
        );
        assert_eq!(
            shape(&w("Parents aren't parents any more.")),
            QuestionShape::None
        );
        assert_eq!(shape(&w("were any of them twins")), QuestionShape::Inverted);
        assert_eq!(
            shape(&w("well i mean are they starting though with the children")),
            QuestionShape::Inverted
        );
    }

    #[test]
    fn question_tags_are_told_from_statements_that_end_alike() {
        let w = |s: &str| shape(&words(s));
        // Real lines of the Switchboard train split, lower case without punctuation.
        assert_eq!(w("that was weird wasn't it"), QuestionShape::Tag);
        assert_eq!(w("they did that didn't they"), QuestionShape::Tag);
        assert_eq!(
            w("well we learned from kramer versus kramer didn't we"),
            QuestionShape::Tag
        );
        assert_eq!(
            w("so you don't really feel like you're really working that hard do you"),
            QuestionShape::Tag
        );
        // Not tags: a main verb and its object, an agreement, a location, an open question.
        assert_eq!(w("that's the smart way to do it"), QuestionShape::None);
        assert_eq!(w("i don't either and neither do i"), QuestionShape::None);
        assert_eq!(w("the immediacy just isn't there"), QuestionShape::None);
        assert_eq!(w("what time is it"), QuestionShape::None);
        assert_eq!(w("i know you did"), QuestionShape::None);
    }

    #[test]
    fn tags_map_onto_the_families_of_the_issue() {
        assert_eq!(Function::from_swda_tag("qy^d"), Function::YesNoQuestion);
        assert_eq!(Function::from_swda_tag("sv"), Function::Statement);
        assert_eq!(Function::from_swda_tag("arp_nd"), Function::NoAnswer);
        assert_eq!(Function::from_swda_tag("bh"), Function::Backchannel);
        assert_eq!(Function::from_act(Act::Pitch), Function::Statement);
    }

    #[test]
    fn context_says_whether_the_other_side_just_asked() {
        let mut t = Tracker::default();
        t.features(Speaker::Me, "so do you have kids");
        let f = t.features(Speaker::Them, "no");
        assert!(f.iter().any(|x| x == "oq"), "{f:?}");
        assert!(f.iter().any(|x| x == "oq&short:no"), "{f:?}");
        let f = t.features(Speaker::Them, "we live in texas");
        assert!(f.iter().any(|x| x == "cont"), "{f:?}");
    }
}
