//! The one list of filler words and phrases of the crate, and which readers count each. A
//! leaf of the bottom layer (beside [`crate::event`]): transcribe, classify, the function
//! model and the scorecard all read it, each through its own [`FillerUse`].
//!
//! The readers want different subsets on purpose, and the subsets are part of measured
//! behaviour (the function model was trained on words with exactly its fillers dropped; the
//! scorecard's filler counts are in every recorded session), so a word is not added to a
//! reader without re-measuring that reader.

/// Who reads a filler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillerUse {
    /// Dropped from the words the function model reads (`transforms::function::words`).
    Model,
    /// Hesitation Whisper kept in its text (`transforms::transcribe::count_fillers`).
    Whisper,
    /// Hesitation in the text of an utterance, hedges included (`transforms::classify`).
    Hesitation,
    /// Counted as a filler on the scorecard (`session::scorecard::count_fillers`; "like" only
    /// set off by a comma, "kind of"/"sort of" only before a comma or at the end).
    Scorecard,
}

const M: u8 = 1;
const W: u8 = 2;
const H: u8 = 4;
const S: u8 = 8;

impl FillerUse {
    fn bit(self) -> u8 {
        match self {
            FillerUse::Model => M,
            FillerUse::Whisper => W,
            FillerUse::Hesitation => H,
            FillerUse::Scorecard => S,
        }
    }
}

/// Every filler: lower-case words (a phrase has its words separated by one space) and the
/// readers that count it.
const FILLERS: &[(&str, u8)] = &[
    ("uh", M | W | H | S),
    ("uhh", W | H | S),
    ("um", M | W | H | S),
    ("umm", W | H | S),
    ("uhm", M | W | H | S),
    ("er", M | W | H | S),
    ("erm", M | W | H | S),
    ("ah", M | W | S),
    ("hm", M | W | H),
    ("hmm", M | W | H | S),
    ("mm", M | W),
    ("mmm", W | H),
    ("basically", S),
    ("literally", S),
    ("like", S),
    ("i mean", H | S),
    ("i guess", H),
    ("you know", S),
    ("kind of", S),
    ("sort of", S),
];

/// The fillers `reader` counts, words and phrases, in the list's order.
pub fn fillers(reader: FillerUse) -> impl Iterator<Item = &'static str> {
    FILLERS
        .iter()
        .filter(move |(_, uses)| uses & reader.bit() != 0)
        .map(|(f, _)| *f)
}

/// Whether `word` (lower case) is a one-word filler `reader` counts.
pub fn is_filler_word(reader: FillerUse, word: &str) -> bool {
    FILLERS
        .iter()
        .any(|(f, uses)| uses & reader.bit() != 0 && !f.contains(' ') && *f == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(reader: FillerUse) -> Vec<&'static str> {
        let mut v: Vec<_> = fillers(reader).collect();
        v.sort_unstable();
        v
    }

    fn sorted(mut v: Vec<&'static str>) -> Vec<&'static str> {
        v.sort_unstable();
        v
    }

    /// The subsets the five lists held before they became one: each reader's behaviour rests
    /// on its own.
    #[test]
    fn each_reader_keeps_its_subset() {
        assert_eq!(
            set(FillerUse::Model),
            sorted(vec![
                "uh", "um", "uhm", "er", "erm", "ah", "hm", "hmm", "mm"
            ])
        );
        assert_eq!(
            set(FillerUse::Whisper),
            sorted(vec![
                "uh", "um", "uhm", "umm", "uhh", "er", "erm", "hmm", "hm", "mm", "mmm", "ah"
            ])
        );
        assert_eq!(
            set(FillerUse::Hesitation),
            sorted(vec![
                "uh", "uhh", "um", "umm", "uhm", "er", "erm", "hmm", "hm", "mmm", "i mean",
                "i guess"
            ])
        );
        assert_eq!(
            set(FillerUse::Scorecard),
            sorted(vec![
                "um",
                "umm",
                "uh",
                "uhh",
                "uhm",
                "erm",
                "er",
                "ah",
                "hmm",
                "basically",
                "literally",
                "like",
                "you know",
                "i mean",
                "kind of",
                "sort of"
            ])
        );
    }

    #[test]
    fn phrases_are_not_filler_words() {
        assert!(is_filler_word(FillerUse::Scorecard, "like"));
        assert!(!is_filler_word(FillerUse::Model, "like"));
        assert!(!is_filler_word(FillerUse::Scorecard, "i mean"));
        assert!(FILLERS
            .iter()
            .all(|(f, _)| *f == f.to_lowercase() && !f.contains("  ")));
    }
}
