//! The act classifier: utterance text (as Whisper writes it) -> negotiation act of the
//! coaching spec, with a `why` naming the rules that decided. Runs on the coach/sink thread,
//! inside [`crate::transforms::coach::Coach`].
//!
//! Design: a hand-written, scored rule system. The text is normalised (lowercase, apostrophes
//! dropped so "don't" and "dont" are one word, fillers removed), split into sentences, and
//! leading discourse markers ("so", "okay") are stripped from each sentence of "me". Every
//! `[[rules]]` regex of `config/coach.toml` that matches a sentence adds its weight to its act
//! (once per utterance); the mirror feature compares "me"'s words with "them"'s previous
//! utterance. The highest score wins, ties go by `[tie_break]`, no score means `other`.
//! Precedence in the spec ("commitment beats no", "that's right beats confirmation", "a closed
//! question is classified by the answer wanted") is expressed through the weights.

use std::collections::HashSet;

use crate::event::{Act, Speaker};
use crate::transforms::coach::{ClassifyRules, CoachRules, Shape, SpeakerRules, TextRules};

/// All acts, in a fixed order for score arrays.
const ALL_ACTS: [Act; 12] = Act::ALL;

fn act_index(a: Act) -> usize {
    ALL_ACTS
        .iter()
        .position(|x| *x == a)
        .unwrap_or(ALL_ACTS.len() - 1)
}

/// One sentence of an utterance after normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// Lowercase words joined by single spaces, no punctuation, no apostrophes.
    pub text: String,
    pub question: bool,
    /// Began with a filler ("uh, sure"): hesitation is a sign of a counterfeit yes.
    pub hesitant: bool,
}

/// Normalises `text` into sentences. `strip_prefaces` removes leading discourse markers.
pub fn sentences(rules: &TextRules, text: &str, strip_prefaces: bool) -> Vec<Sentence> {
    let lower = expand_ambiguous_contractions(&text.to_lowercase());
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' => {}
            '?' | '!' | ';' => {
                push_sentence(rules, &mut out, &cur, c == '?', strip_prefaces);
                cur.clear();
            }
            '.' => {
                let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                let prev_word: String = cur
                    .split(|ch: char| !ch.is_alphanumeric())
                    .next_back()
                    .unwrap_or("")
                    .to_string();
                let abbrev = matches!(
                    prev_word.as_str(),
                    "mr" | "mrs" | "ms" | "dr" | "st" | "vs" | "jr" | "sr"
                );
                if next_digit || abbrev {
                    cur.push(' ');
                } else {
                    push_sentence(rules, &mut out, &cur, false, strip_prefaces);
                    cur.clear();
                }
            }
            c if c.is_alphanumeric() => cur.push(c),
            _ => cur.push(' '),
        }
        i += 1;
    }
    push_sentence(rules, &mut out, &cur, false, strip_prefaces);
    out
}

/// "we'll" and "we're" would become "well" and "were" once apostrophes go, words with another
/// meaning ("well, I don't know" is no promise): spell them out while the apostrophe is there.
fn expand_ambiguous_contractions(lower: &str) -> String {
    let mut out = String::with_capacity(lower.len() + 8);
    let mut rest = lower;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word_start = !prev.is_some_and(char::is_alphanumeric);
        let mut replaced = false;
        if at_word_start && c == 'w' {
            for (from, to) in [
                ("we'll", "we will"),
                ("we\u{2019}ll", "we will"),
                ("we're", "we are"),
                ("we\u{2019}re", "we are"),
            ] {
                if let Some(after) = rest.strip_prefix(from) {
                    if !after.chars().next().is_some_and(char::is_alphanumeric) {
                        out.push_str(to);
                        rest = after;
                        prev = Some('x');
                        replaced = true;
                        break;
                    }
                }
            }
        }
        if !replaced {
            out.push(c);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn push_sentence(rules: &TextRules, out: &mut Vec<Sentence>, raw: &str, qmark: bool, strip: bool) {
    // "uh huh" and "mm hmm" are answers, not fillers: join them before fillers go.
    let all: Vec<&str> = raw.split_whitespace().collect();
    let mut joined: Vec<&str> = Vec::with_capacity(all.len());
    let mut k = 0;
    while k < all.len() {
        match (all[k], all.get(k + 1).copied()) {
            ("uh", Some("huh")) => {
                joined.push("uhhuh");
                k += 2;
            }
            ("mm" | "m" | "hm", Some("hmm" | "hm")) => {
                joined.push("mmhmm");
                k += 2;
            }
            (t, _) => {
                joined.push(t);
                k += 1;
            }
        }
    }
    let hesitant = joined
        .first()
        .is_some_and(|t| rules.fillers.iter().any(|f| f == t));
    let mut toks: Vec<&str> = joined
        .into_iter()
        .filter(|t| !rules.fillers.iter().any(|f| f == t))
        .collect();
    if strip {
        'outer: loop {
            for p in &rules.prefaces {
                if toks.len() >= p.len() && toks.iter().zip(p).all(|(a, b)| a == b) {
                    toks.drain(..p.len());
                    continue 'outer;
                }
            }
            break;
        }
    }
    if toks.is_empty() {
        // A sentence that was only a preface ("Okay.") still asks if it had a question mark.
        if qmark {
            if let Some(last) = out.last_mut() {
                last.question = true;
            }
        }
        return;
    }
    let starts = toks
        .first()
        .is_some_and(|t| rules.question_starts.iter().any(|q| q == t));
    let tagged = toks.len() >= 3
        && rules.question_tags.iter().any(|tag| {
            toks.len() > tag.len()
                && toks[toks.len() - tag.len()..]
                    .iter()
                    .zip(tag)
                    .all(|(a, b)| a == b)
        });
    out.push(Sentence {
        text: toks.join(" "),
        question: qmark || starts || tagged,
        hesitant,
    });
}

/// The act classifier. Keeps the conversation context it needs (the counterpart's previous
/// utterance, for mirrors); [`Classifier::reset`] starts a new conversation.
pub struct Classifier {
    rules: ClassifyRules,
    /// Words of "them"'s last utterance, pronouns mapped to their group.
    last_them: HashSet<String>,
    /// Act of the last utterance of each speaker (me, them), for `after` conditions.
    last_act: [Option<Act>; 2],
    /// Scratch: which rules fired in the current utterance.
    fired: Vec<bool>,
}

impl Classifier {
    pub fn new(rules: &CoachRules) -> Classifier {
        let n = rules
            .classify
            .me
            .rules
            .len()
            .max(rules.classify.them.rules.len());
        Classifier {
            rules: rules.classify.clone(),
            last_them: HashSet::new(),
            last_act: [None, None],
            fired: vec![false; n],
        }
    }

    /// Forgets the conversation.
    pub fn reset(&mut self) {
        self.last_them.clear();
        self.last_act = [None, None];
    }

    /// Classifies one utterance of `speaker` and remembers it as context. Returns the act and
    /// a human-readable explanation naming the rules that decided.
    pub fn classify(&mut self, speaker: Speaker, text: &str) -> (Act, String) {
        let sents = sentences(&self.rules.text, text, speaker == Speaker::Me);
        let sr: &SpeakerRules = match speaker {
            Speaker::Me => &self.rules.me,
            Speaker::Them => &self.rules.them,
        };
        let other_last = self.last_act[match speaker {
            Speaker::Me => 1,
            Speaker::Them => 0,
        }];
        let mut scores = [0f32; 12];
        let mut reasons: Vec<(Act, String, f32)> = Vec::new();
        self.fired.iter_mut().for_each(|f| *f = false);
        if self.fired.len() < sr.rules.len() {
            self.fired.resize(sr.rules.len(), false);
        }
        for s in &sents {
            for idx in sr.set.matches(&s.text).iter() {
                let Some(rule) = sr.rules.get(idx) else {
                    continue;
                };
                if self.fired[idx] {
                    continue;
                }
                match rule.requires {
                    Some(Shape::Question) if !s.question => continue,
                    Some(Shape::Statement) if s.question => continue,
                    Some(Shape::Hesitant) if !s.hesitant => continue,
                    _ => {}
                }
                if let Some(after) = &rule.after {
                    if !other_last.is_some_and(|a| after.contains(&a)) {
                        continue;
                    }
                }
                if rule.unless.as_ref().is_some_and(|u| u.is_match(&s.text)) {
                    continue;
                }
                self.fired[idx] = true;
                scores[act_index(rule.act)] += rule.weight;
                reasons.push((rule.act, rule.name.clone(), rule.weight));
            }
        }

        let words: Vec<String> = sents
            .iter()
            .flat_map(|s| s.text.split(' '))
            .map(|w| self.pronoun_key(w))
            .collect();
        match speaker {
            Speaker::Me => {
                let vetoed = self
                    .rules
                    .mirror
                    .unless
                    .as_ref()
                    .is_some_and(|u| sents.iter().any(|s| u.is_match(&s.text)));
                let mirror = if vetoed {
                    None
                } else {
                    self.mirror_of_last_them(&words)
                };
                if let Some(detail) = mirror {
                    scores[act_index(Act::Mirror)] += self.rules.mirror.weight;
                    reasons.push((Act::Mirror, detail, self.rules.mirror.weight));
                }
            }
            Speaker::Them => {
                self.last_them = words.iter().cloned().collect();
            }
        }

        // Best act of this speaker by score, ties by the configured order.
        let order = &sr.tie_break;
        let mut best: Option<(Act, f32)> = None;
        let mut second: Option<(Act, f32)> = None;
        for a in order {
            let s = scores[act_index(*a)];
            if s <= 0.0 {
                continue;
            }
            match best {
                None => best = Some((*a, s)),
                Some((_, bs)) if s > bs => {
                    second = best;
                    best = Some((*a, s));
                }
                _ => {
                    if second.is_none_or(|(_, ss)| s > ss) {
                        second = Some((*a, s));
                    }
                }
            }
        }
        let slot = match speaker {
            Speaker::Me => 0,
            Speaker::Them => 1,
        };
        let Some((act, score)) = best else {
            let why = if sents.is_empty() {
                "other: nothing left after fillers and discourse markers".to_string()
            } else {
                "other: no rule matched".to_string()
            };
            self.last_act[slot] = Some(Act::Other);
            return (Act::Other, why);
        };
        self.last_act[slot] = Some(act);
        let by: Vec<String> = reasons
            .iter()
            .filter(|(a, _, _)| *a == act)
            .map(|(_, n, w)| format!("{n}({w:+.1})"))
            .collect();
        let mut why = format!("{act} {score:.1} by {}", by.join(", "));
        if let Some((a2, s2)) = second {
            let by2: Vec<String> = reasons
                .iter()
                .filter(|(a, _, _)| *a == a2)
                .map(|(_, n, _)| n.clone())
                .collect();
            why.push_str(&format!("; beat {a2} {s2:.1} ({})", by2.join(", ")));
        }
        (act, why)
    }

    fn pronoun_key(&self, w: &str) -> String {
        for (i, g) in self.rules.mirror.pronoun_groups.iter().enumerate() {
            if g.iter().any(|p| p == w) {
                return format!("<pron{i}>");
            }
        }
        w.to_string()
    }

    /// If `words` (of "me") repeat key words of "them"'s last utterance, the explanation.
    fn mirror_of_last_them(&self, words: &[String]) -> Option<String> {
        let m = &self.rules.mirror;
        if words.is_empty() || words.len() > m.max_words || self.last_them.is_empty() {
            return None;
        }
        let shared = words.iter().filter(|w| self.last_them.contains(*w)).count();
        let key = words
            .iter()
            .filter(|w| self.last_them.contains(*w) && !m.stopwords.iter().any(|s| s == *w))
            .count();
        let share = shared as f32 / words.len() as f32;
        if key >= 1 && share >= m.min_overlap {
            Some(format!(
                "mirror[{shared}/{} words of their last utterance]",
                words.len()
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Classifier {
        Classifier::new(&CoachRules::builtin().unwrap())
    }

    fn me(c: &mut Classifier, t: &str) -> Act {
        c.classify(Speaker::Me, t).0
    }
    fn them(c: &mut Classifier, t: &str) -> Act {
        c.classify(Speaker::Them, t).0
    }

    #[test]
    fn sentences_normalise_asr_text() {
        let r = CoachRules::builtin().unwrap();
        let s = sentences(
            &r.classify.text,
            "Um, so, DON'T you think Mr. Ross is right? okay.",
            true,
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].text, "dont you think mr ross is right");
        assert!(s[0].question);
        let s = sentences(&r.classify.text, "uh is now a bad time to talk", true);
        assert_eq!(s[0].text, "is now a bad time to talk");
        assert!(
            s[0].question,
            "question by its first word, no question mark"
        );
    }

    #[test]
    fn well_is_not_we_will() {
        let r = CoachRules::builtin().unwrap();
        let s = sentences(&r.classify.text, "Well, we'll see. We're in!", false);
        let t: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(t, vec!["well we will see", "we are in"]);
        let mut c = c();
        assert_eq!(them(&mut c, "um well i dont know"), Act::Other);
    }

    #[test]
    fn questions_without_punctuation() {
        let mut c = c();
        assert_eq!(
            me(&mut c, "um do you have a couple of minutes"),
            Act::YesQuestion
        );
        assert_eq!(me(&mut c, "is now a bad time to talk"), Act::NoQuestion);
        assert_eq!(
            me(
                &mut c,
                "so what is the biggest challenge for your team right now"
            ),
            Act::CalibratedQuestion
        );
        assert_eq!(me(&mut c, "you want to save money right"), Act::YesQuestion);
    }

    #[test]
    fn closed_question_by_the_answer_wanted() {
        let mut c = c();
        assert_eq!(
            me(&mut c, "Are you against a short trial?"),
            Act::NoQuestion
        );
        assert_eq!(
            me(&mut c, "would it be ridiculous to start with one team"),
            Act::NoQuestion
        );
        assert_eq!(
            me(&mut c, "Have you given up on finding a cheaper rate?"),
            Act::NoQuestion
        );
        assert_eq!(
            me(&mut c, "Don't you agree that's a fair price?"),
            Act::YesQuestion
        );
        assert_eq!(
            me(&mut c, "Isn't it true that your team is overloaded?"),
            Act::YesQuestion
        );
        assert_eq!(me(&mut c, "Is now a good time?"), Act::YesQuestion);
    }

    #[test]
    fn fillers_and_case_do_not_matter() {
        let mut c = c();
        assert_eq!(me(&mut c, "UM, UH, IT SOUNDS LIKE YOU'RE BUSY"), Act::Label);
        assert_eq!(
            me(&mut c, "uh it seems like this is the wrong time"),
            Act::Label
        );
        assert_eq!(them(&mut c, "uhm i think so"), Act::CounterfeitYes);
    }

    #[test]
    fn mirror_uses_the_previous_utterance_of_them() {
        let mut c = c();
        assert_eq!(them(&mut c, "We already have a provider."), Act::Other);
        assert_eq!(me(&mut c, "Already have a provider?"), Act::Mirror);
        assert_eq!(
            them(&mut c, "we dont have budget for this right now"),
            Act::Other
        );
        assert_eq!(me(&mut c, "don't have budget"), Act::Mirror);
        // Same words without the context are a plain question.
        c.reset();
        assert_ne!(me(&mut c, "don't have budget?"), Act::Mirror);
    }

    #[test]
    fn a_label_reusing_their_words_is_a_label() {
        let mut c = c();
        them(&mut c, "The budget is tight this year.");
        assert_eq!(me(&mut c, "Sounds like the budget is tight."), Act::Label);
        them(&mut c, "Thanks for calling.");
        assert_eq!(me(&mut c, "Thanks."), Act::Other);
    }

    #[test]
    fn mirror_maps_pronouns() {
        let mut c = c();
        them(&mut c, "honestly we're locked in until march");
        assert_eq!(me(&mut c, "you're locked in?"), Act::Mirror);
    }

    #[test]
    fn commitment_beats_no() {
        let mut c = c();
        assert_eq!(
            them(&mut c, "No, let's do it, set it up for Monday."),
            Act::CommitmentYes
        );
        assert_eq!(
            them(
                &mut c,
                "no put a meeting on my calendar for the first week of october"
            ),
            Act::CommitmentYes
        );
        assert_eq!(them(&mut c, "No, it's fine, go ahead."), Act::No);
        assert_eq!(them(&mut c, "not yet"), Act::No);
    }

    #[test]
    fn thats_right_beats_confirmation() {
        let mut c = c();
        assert_eq!(them(&mut c, "Yes, that's right."), Act::ThatsRight);
        assert_eq!(them(&mut c, "exactly thats right"), Act::ThatsRight);
        assert_eq!(them(&mut c, "that's not right"), Act::No);
        assert_eq!(them(&mut c, "Yes."), Act::ConfirmationYes);
        assert_eq!(them(&mut c, "You're right, sure."), Act::CounterfeitYes);
    }

    #[test]
    fn counterfeit_and_commitment_by_the_action() {
        let mut c = c();
        assert_eq!(
            them(&mut c, "Sure, just send me an email."),
            Act::CounterfeitYes
        );
        assert_eq!(
            them(&mut c, "okay send the contract and ill sign today"),
            Act::CommitmentYes
        );
        assert_eq!(
            them(&mut c, "book me for tuesday at ten"),
            Act::CommitmentYes
        );
    }

    #[test]
    fn can_i_ask_is_not_eaten_as_a_preface() {
        let mut c = c();
        assert_eq!(me(&mut c, "can i ask you a question"), Act::YesQuestion);
    }

    #[test]
    fn im_in_a_meeting_is_not_a_commitment() {
        let mut c = c();
        assert_eq!(them(&mut c, "I'm in a meeting."), Act::Other);
        assert_eq!(them(&mut c, "Count me in."), Act::CommitmentYes);
    }

    #[test]
    fn answers_depend_on_the_question() {
        let mut c = c();
        me(
            &mut c,
            "Would it be crazy to think about selling this spring?",
        );
        assert_eq!(them(&mut c, "Yes, it would, we just renovated."), Act::No);
        me(&mut c, "It sounds like you haven't been sleeping well.");
        assert_eq!(them(&mut c, "No, I haven't."), Act::ConfirmationYes);
        me(&mut c, "Do you want to see a demo?");
        assert_eq!(them(&mut c, "No, I haven't got time."), Act::No);
    }

    #[test]
    fn why_names_the_rule() {
        let mut c = c();
        let (a, why) = c.classify(Speaker::Me, "Are you against a short trial?");
        assert_eq!(a, Act::NoQuestion);
        assert!(why.starts_with("no_question"), "{why}");
        assert!(why.contains("no_framing"), "{why}");
        let (_, why) = c.classify(Speaker::Me, "hmm");
        assert!(why.starts_with("other"), "{why}");
    }

    #[test]
    fn classify_is_fast() {
        let mut c = c();
        let t0 = std::time::Instant::now();
        for _ in 0..200 {
            c.classify(Speaker::Me, "so um would it be a bad idea to spend two minutes on what happens if you cant work");
            c.classify(Speaker::Them, "yeah i mean sure send me an email");
        }
        let per = t0.elapsed().as_secs_f64() / 400.0;
        assert!(per < 1e-3, "{per} s per utterance");
    }
}
