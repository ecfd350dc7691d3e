//! Word error rate: the measure the ASR benchmarks and tests use. Words are compared
//! lowercased, without punctuation, hyphens splitting words.

/// Lowercased words without punctuation.
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .replace(['-', '\u{2014}'], " ")
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
        })
        .map(|w| w.trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// (word edits, reference words): Levenshtein distance over words, for accumulating a WER
/// over several utterances.
pub fn edits(reference: &[String], hyp: &[String]) -> (usize, usize) {
    let mut prev: Vec<usize> = (0..=hyp.len()).collect();
    for i in 1..=reference.len() {
        let mut cur = vec![i; hyp.len() + 1];
        for j in 1..=hyp.len() {
            let sub = prev[j - 1] + usize::from(reference[i - 1] != hyp[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    (prev[hyp.len()], reference.len())
}

/// Word error rate of `hyp` against `reference`.
pub fn wer(reference: &str, hyp: &str) -> f64 {
    let (e, n) = edits(&words(reference), &words(hyp));
    if n == 0 {
        return if e == 0 { 0.0 } else { 1.0 };
    }
    e as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_word_edits_ignoring_case_and_punctuation() {
        assert_eq!(wer("is now a bad time", "is now a bad time"), 0.0);
        assert!((wer("is now a bad time", "is now bad time") - 0.2).abs() < 1e-9);
        assert_eq!(wer("Hello, World!", "hello world"), 0.0);
        assert_eq!(wer("well-known", "well known"), 0.0);
    }
}
