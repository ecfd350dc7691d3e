//! Labelled utterances (`assets/acts/*.jsonl`, `tests/fixtures/acts/*.jsonl`, one JSON object a line) and the corpus
//! the built-in act model is trained on, embedded at build time so the binary needs no files.
//! Used by the classifier at startup (coach thread) and by `ringside eval acts`.

use serde::Deserialize;

use crate::event::{Act, Hesitation, Speaker};

/// One labelled utterance. Old rows have no `domain` (it is then the `conv` name up to its
/// last `-`); `hesitation` is optional audio evidence as the pipeline measures it.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledRow {
    #[serde(default)]
    pub conv: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    pub speaker: Speaker,
    pub text: String,
    pub act: Act,
    #[serde(default)]
    pub start: Option<f64>,
    #[serde(default)]
    pub end: Option<f64>,
    #[serde(default)]
    pub hesitation: Option<Hesitation>,
    /// The human dialogue-act tag of a real-talk row (SwDA's DAMSL), from which its
    /// [`crate::transforms::function::Function`] is known; written rows have none.
    #[serde(default)]
    pub tag: Option<String>,
}

impl LabelledRow {
    /// The domain of the row: its `domain` field, else its `conv` without the last `-part`.
    pub fn domain(&self) -> &str {
        if let Some(d) = &self.domain {
            return d;
        }
        let c = self.conv.as_deref().unwrap_or("-");
        c.rsplit_once('-').map_or(c, |(d, _)| d)
    }
}

/// Parses labelled JSON lines; the error names `file` and the line.
pub fn parse_jsonl(src: &str, file: &str) -> Result<Vec<LabelledRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: LabelledRow = serde_json::from_str(line)
            .map_err(|e| format!("{file}:{}: not a labelled utterance: {e}", i + 1))?;
        if !Act::for_speaker(r.speaker).contains(&r.act) {
            return Err(format!(
                "{file}:{}: act `{}` is not an act of {}",
                i + 1,
                r.act,
                r.speaker
            ));
        }
        rows.push(r);
    }
    Ok(rows)
}

/// The training corpus of the built-in model: `train.jsonl` and the domain files. Neither
/// `test.jsonl` nor `heldout.jsonl` is in it: they stay held out.
const CORPUS: &[(&str, &str)] = &[
    ("train.jsonl", include_str!("../../assets/acts/train.jsonl")),
    (
        "b2b-services.jsonl",
        include_str!("../../assets/acts/domains/b2b-services.jsonl"),
    ),
    (
        "car-sales.jsonl",
        include_str!("../../assets/acts/domains/car-sales.jsonl"),
    ),
    (
        "debt-collection.jsonl",
        include_str!("../../assets/acts/domains/debt-collection.jsonl"),
    ),
    (
        "family.jsonl",
        include_str!("../../assets/acts/domains/family.jsonl"),
    ),
    (
        "fundraising.jsonl",
        include_str!("../../assets/acts/domains/fundraising.jsonl"),
    ),
    (
        "healthcare-billing.jsonl",
        include_str!("../../assets/acts/domains/healthcare-billing.jsonl"),
    ),
    (
        "home-services.jsonl",
        include_str!("../../assets/acts/domains/home-services.jsonl"),
    ),
    (
        "insurance.jsonl",
        include_str!("../../assets/acts/domains/insurance.jsonl"),
    ),
    (
        "partnerships.jsonl",
        include_str!("../../assets/acts/domains/partnerships.jsonl"),
    ),
    (
        "procurement.jsonl",
        include_str!("../../assets/acts/domains/procurement.jsonl"),
    ),
    (
        "real-estate.jsonl",
        include_str!("../../assets/acts/domains/real-estate.jsonl"),
    ),
    (
        "recruiting.jsonl",
        include_str!("../../assets/acts/domains/recruiting.jsonl"),
    ),
    (
        "rent.jsonl",
        include_str!("../../assets/acts/domains/rent.jsonl"),
    ),
    (
        "saas.jsonl",
        include_str!("../../assets/acts/domains/saas.jsonl"),
    ),
    (
        "salary.jsonl",
        include_str!("../../assets/acts/domains/salary.jsonl"),
    ),
    (
        "solar.jsonl",
        include_str!("../../assets/acts/domains/solar.jsonl"),
    ),
    (
        "telecom.jsonl",
        include_str!("../../assets/acts/domains/telecom.jsonl"),
    ),
];

/// Real conversation between real people, labelled with the spec's acts through the tag
/// mapping of `scripts/talk/swda.py` (SwDA train calls; provenance and licence in
/// `tests/fixtures/talk/README.md`). The check split of `tests/fixtures/talk` is not in it.
const REAL: &[(&str, &str)] = &[(
    "swda.jsonl",
    include_str!("../../assets/acts/real/swda.jsonl"),
)];

/// The embedded training corpus of the act model (the written sales dialogue), parsed. A bad
/// embedded line is a build defect, caught by the test below; at runtime it is skipped.
pub fn builtin_corpus() -> Vec<LabelledRow> {
    CORPUS
        .iter()
        .flat_map(|(name, src)| parse_jsonl(src, name).unwrap_or_default())
        .collect()
}

/// Real conversation, parsed, every other call in plain lower case without punctuation (the
/// way telephone speech often comes out of the recogniser).
pub fn real_talk_corpus() -> Vec<LabelledRow> {
    let mut rows = Vec::new();
    let mut conv: Option<String> = None;
    let mut n = 0usize;
    for mut r in REAL
        .iter()
        .flat_map(|(name, src)| parse_jsonl(src, name).unwrap_or_default())
    {
        if r.conv != conv {
            conv = r.conv.clone();
            n += 1;
        }
        if n.is_multiple_of(2) {
            r.text = plain_text(&r.text);
        }
        rows.push(r);
    }
    rows
}

/// Lower case, punctuation removed (apostrophes kept inside words), single spaces: text as a
/// recogniser without punctuation writes it.
pub fn plain_text(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '\u{2019}' {
            s.extend(c.to_lowercase());
        } else {
            s.push(' ');
        }
    }
    s.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_corpus_parses() {
        for (name, src) in CORPUS.iter().chain(REAL) {
            let rows = parse_jsonl(src, name).unwrap();
            assert!(!rows.is_empty(), "{name}");
            assert!(
                rows.iter().all(|r| r.domain.is_some()),
                "{name}: a row without domain"
            );
        }
        assert!(builtin_corpus().len() >= 3000);
        let real = real_talk_corpus();
        assert!(real.len() >= 40_000);
        assert!(
            real.iter().all(|r| r.tag.is_some()),
            "a real row without its tag"
        );
    }

    #[test]
    fn old_rows_without_domain_still_load() {
        let rows = parse_jsonl(
            r#"{"conv": "train-rent", "speaker": "me", "text": "hi", "act": "other"}"#,
            "x",
        )
        .unwrap();
        assert_eq!(rows[0].domain(), "train");
    }
}
