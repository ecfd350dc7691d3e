//! Syllables of English text estimated from its spelling (the rate's numerator).

// ---------------------------------------------------------------------------------------------
// Syllables
// ---------------------------------------------------------------------------------------------

/// Syllables of a digit's name ("seven" and "zero" 2, the rest 1).
pub(super) fn digit_syllables(d: u32) -> u32 {
    match d {
        0 | 7 => 2,
        _ => 1,
    }
}

/// Syllables of 0..=99 read as a cardinal ("forty-two" 3); 0 reads as nothing here.
pub(super) fn below_100(n: u32) -> u32 {
    const TEENS: [u32; 10] = [1, 3, 1, 2, 2, 2, 2, 3, 2, 2]; // ten, eleven, twelve, thir-teen...
    match n {
        0 => 0,
        1..=9 => digit_syllables(n),
        10..=19 => TEENS[(n - 10) as usize],
        // twenty .. ninety: two syllables, "seventy" three.
        _ => {
            let tens = if n / 10 == 7 { 3 } else { 2 };
            tens + match n % 10 {
                0 => 0,
                u => digit_syllables(u),
            }
        }
    }
}

/// Syllables of 0..=999 read as a cardinal ("three hundred twelve" 4).
pub(super) fn below_1000(n: u32) -> u32 {
    let h = n / 100;
    (if h > 0 { digit_syllables(h) + 2 } else { 0 }) + below_100(n % 100)
}

/// Syllables of a run of digits as it is usually read: 1100–1999 and 2010–2099 as years
/// ("nineteen sixty-one"), other numbers up to six digits as cardinals ("four thousand
/// two"), longer runs and runs with a leading zero (phone numbers, codes) digit by digit.
pub(super) fn number_syllables(digits: &[u8]) -> u32 {
    let per_digit = || {
        digits
            .iter()
            .map(|d| digit_syllables(u32::from(d - b'0')))
            .sum()
    };
    if digits.len() > 6 || (digits.len() > 1 && digits[0] == b'0') {
        return per_digit();
    }
    let n: u32 = digits.iter().fold(0, |a, d| a * 10 + u32::from(d - b'0'));
    if n == 0 {
        return 2;
    }
    if digits.len() == 4 && ((1100..=1999).contains(&n) || (2010..=2099).contains(&n)) {
        let tail = match n % 100 {
            0 => 2,                        // "hundred"
            t @ 1..=9 => 1 + below_100(t), // "oh five"
            t => below_100(t),
        };
        return below_100(n / 100) + tail;
    }
    let th = n / 1000;
    (if th > 0 { below_1000(th) + 2 } else { 0 }) + below_1000(n % 1000)
}

pub(super) fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Syllables of one lower-case ASCII word (letters and apostrophes) from its spelling.
pub(super) fn word_syllables(w: &[u8]) -> u32 {
    // Clitics: "n't" adds a syllable after a consonant ("didn't", "isn't"; not "don't",
    // "can't"); "'s" adds one after a sibilant ("George's"); the rest add none ("there's",
    // "we're", "I'll").
    if let Some(pos) = w.iter().position(|&c| c == b'\'') {
        let (base, suffix) = (&w[..pos], &w[pos + 1..]);
        let b = base.len();
        let extra = match suffix {
            b"t" => u32::from(b >= 2 && base[b - 1] == b'n' && !is_vowel(base[b - 2])),
            b"s" => u32::from(
                base.last()
                    .is_some_and(|&c| matches!(c, b's' | b'x' | b'z'))
                    || base.ends_with(b"ch")
                    || base.ends_with(b"sh")
                    || base.ends_with(b"ge")
                    || base.ends_with(b"ce"),
            ),
            _ => 0,
        };
        return word_syllables(base) + extra;
    }
    if w.is_empty() {
        return 0;
    }
    if w == b"ok" || w == b"maybe" {
        return 2;
    }
    let n = w.len();
    let mut groups = 0u32;
    let mut prev_vowel = false;
    for (i, &c) in w.iter().enumerate() {
        // 'y' at the start of a word is a consonant ("yes", "you").
        let v = is_vowel(c) && !(c == b'y' && i == 0);
        if v && !prev_vowel {
            groups += 1;
        }
        prev_vowel = v;
    }
    let consonant = |i: usize| !is_vowel(w[i]);
    // Silent final "e" ("make", "these"), but not "-le" after a consonant ("table") and not
    // when it is the only vowel ("the", "be").
    if n >= 3 && w[n - 1] == b'e' && consonant(n - 2) && groups > 1 {
        let le = w[n - 2] == b'l' && consonant(n - 3);
        if !le {
            groups -= 1;
        }
    }
    // "-es" and "-ed" are silent after most consonants ("makes", "jumped") but voiced after
    // sibilants / t / d ("boxes", "wanted") and in "-dled", "-dred" ("handled", "hundred").
    if n >= 4 && (w.ends_with(b"es") || w.ends_with(b"ed")) && consonant(n - 3) && groups > 1 {
        let c = w[n - 3];
        let voiced_es = w[n - 1] == b's' && matches!(c, b's' | b'x' | b'z' | b'h' | b'g' | b'c');
        let voiced_ed = w[n - 1] == b'd'
            && (matches!(c, b't' | b'd')
                || (matches!(c, b'l' | b'r') && n >= 5 && consonant(n - 4) && w[n - 4] != c));
        if !(voiced_es || voiced_ed) {
            groups -= 1;
        }
    }
    // Silent "e" before a suffix: "lately", "careful", "statement", "lateness", "useless"
    // (but "element": not before "-ment" after an "l").
    for suffix in [&b"ly"[..], b"ful", b"ment", b"ness", b"less"] {
        let k = suffix.len();
        if n >= k + 3
            && w.ends_with(suffix)
            && w[n - k - 1] == b'e'
            && consonant(n - k - 2)
            && !(k == 4 && w[n - k - 2] == b'l')
        {
            groups -= 1;
        }
    }
    // "-ing" after a vowel is its own syllable ("going", "being", "trying").
    if n >= 5 && w.ends_with(b"ing") && is_vowel(w[n - 4]) {
        groups += 1;
    }
    // "ua" is two vowels except after q / g ("actual", "usual"; "quality", "language").
    for i in 1..n.saturating_sub(1) {
        if w[i] == b'u' && w[i + 1] == b'a' && !matches!(w[i - 1], b'q' | b'g') {
            groups += 1;
        }
    }
    // Elided vowels in common stems: "some-" in compounds ("something"), "every" before a
    // consonant ("everything"; not "everyone"), "interest" ("in-trest").
    if (n > 5 && w.starts_with(b"some") && consonant(4))
        || (n > 5 && w.starts_with(b"every") && consonant(5))
        || w.starts_with(b"interest")
    {
        groups -= 1;
    }
    groups.max(1)
}

/// English syllable estimate from spelling, for the speaking rate: vowel groups per word
/// (with "y" as a vowel except word-initially), minus a silent final "e" (not "-le" as in
/// "table"), a silent "-es"/"-ed" ("makes", "jumped"; not "boxes", "wanted", "hundred") and
/// a silent "e" before "-ly", "-ful", "-ment", "-ness", "-less"; plus one for "-ing" after
/// a vowel ("going"), "ua" ("actual"), "n't" after a consonant ("didn't"); every word has at
/// least one. Numbers written in digits count as they are usually read (`number_syllables`).
///
/// Accuracy against CMUdict (first pronunciation): 98.8 % of the word tokens in this
/// project's text fixtures exact (bias −0.5 %), 87 % of 3000 random dictionary words exact
/// and 99.6 % within one (rare words and names are harder); per sentence the median error is
/// 0 and the 90th percentile 9 %. Known misses: "our", "hour", "area", "idea", "business".
pub fn syllables(text: &str) -> u32 {
    let mut total = 0u32;
    let mut word: Vec<u8> = Vec::new();
    let mut digits: Vec<u8> = Vec::new();
    let flush = |word: &mut Vec<u8>, digits: &mut Vec<u8>, total: &mut u32| {
        *total += word_syllables(word);
        if !digits.is_empty() {
            *total += number_syllables(digits);
        }
        word.clear();
        digits.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphabetic() {
            if !digits.is_empty() {
                flush(&mut word, &mut digits, &mut total);
            }
            word.push(ch.to_ascii_lowercase() as u8);
        } else if ch.is_ascii_digit() {
            if !word.is_empty() {
                flush(&mut word, &mut digits, &mut total);
            }
            digits.push(ch as u8);
        } else if (ch == '\'' || ch == '\u{2019}') && !word.is_empty() {
            // Apostrophes stay inside the word ("don't", "it's") without adding a vowel.
            word.push(b'\'');
        } else if ch == ',' && !digits.is_empty() {
            // Thousands separator ("1,500"); a comma after a number is dropped too.
            continue;
        } else {
            flush(&mut word, &mut digits, &mut total);
        }
    }
    flush(&mut word, &mut digits, &mut total);
    total
}
