//! Whisper's vocabulary as whisper.cpp wants it: raw token bytes, not GPT-2's printable form.
//!
//! CTranslate2 stores tokens the way GPT-2's byte-level BPE prints them: every byte is mapped
//! to a visible Unicode character (`bytes_to_unicode()`; e.g. a space is `Ġ`). whisper.cpp
//! writes token bytes straight into the transcript, so they must be mapped back. Runs on the
//! caller's thread during conversion.

/// The byte that GPT-2's `bytes_to_unicode()` maps to each character, i.e. its inverse.
/// Printable Latin-1 bytes map to themselves; the 68 others were shifted to U+0100.. in order.
fn byte_for_char(c: char) -> Option<u8> {
    let printable = |b: u32| {
        (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b)
    };
    let cp = c as u32;
    if printable(cp) {
        return u8::try_from(cp).ok();
    }
    let n = cp.checked_sub(256)?;
    // The n-th non-printable byte, counting from 0.
    (0u32..256)
        .filter(|&b| !printable(b))
        .nth(n as usize)
        .and_then(|b| u8::try_from(b).ok())
}

/// Decode one token from GPT-2 byte-level form to its bytes. A character outside the table
/// (which no Whisper vocabulary has) is kept as its UTF-8 encoding rather than dropped, so the
/// token stays readable.
pub fn decode_token(token: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for c in token.chars() {
        match byte_for_char(c) {
            Some(b) => out.push(b),
            None => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out
}

/// Tokens of a `vocabulary.txt`: one per line, by id. Split on `\n` only (a token may hold
/// other whitespace) and keep empty lines, or every later id would shift.
pub fn parse_txt(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = text.split('\n').map(str::to_owned).collect();
    // The file ends with a newline: that is not an extra empty token.
    if text.ends_with('\n') {
        tokens.pop();
    }
    tokens
}

/// Tokens of a `vocabulary.json` (a JSON array of strings, by id).
pub fn parse_json(text: &str) -> Result<Vec<String>, serde_json::Error> {
    serde_json::from_str(text)
}

/// The ids whisper.cpp reads from the file: all before `<|endoftext|>` (50256 for English-only
/// models, 50257 for multilingual ones). whisper.cpp appends the special tokens itself.
/// `None` if there is no `<|endoftext|>` (not a Whisper vocabulary).
pub fn regular_tokens(tokens: &[String]) -> Option<Vec<Vec<u8>>> {
    let eot = tokens.iter().position(|t| t == "<|endoftext|>")?;
    Some(tokens[..eot].iter().map(|t| decode_token(t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_table_is_a_bijection_over_bytes() {
        let mut seen = [false; 256];
        for cp in (0x21u32..=0x7E)
            .chain(0xA1..=0xAC)
            .chain(0xAE..=0xFF)
            .chain(256..256 + 68)
        {
            let c = char::from_u32(cp).unwrap_or('?');
            let b = byte_for_char(c).unwrap_or_else(|| panic!("no byte for U+{cp:04X}"));
            assert!(!seen[b as usize], "byte {b} twice");
            seen[b as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(byte_for_char('\u{0100}'), Some(0));
        assert_eq!(byte_for_char(char::from_u32(256 + 68).unwrap_or('?')), None);
    }

    #[test]
    fn decodes_space_newline_and_non_ascii() {
        assert_eq!(decode_token("Ġhello"), b" hello");
        assert_eq!(decode_token("Ċ"), b"\n");
        assert_eq!(decode_token("ĉ"), b"\t");
        // "é" is C3 A9 in UTF-8; GPT-2 prints those two bytes as "Ã©".
        assert_eq!(decode_token("ĠcafÃ©"), " café".as_bytes());
        // A token can be half of a UTF-8 sequence: bytes, not a valid string.
        assert_eq!(decode_token("Ã"), vec![0xC3]);
        assert_eq!(decode_token(""), Vec::<u8>::new());
        assert_eq!(decode_token("<|endoftext|>"), b"<|endoftext|>");
    }

    #[test]
    fn txt_keeps_empty_lines_and_other_whitespace() {
        let toks = parse_txt("a\n\nb\r\nĠc\n");
        assert_eq!(toks, vec!["a", "", "b\r", "Ġc"]);
    }

    #[test]
    fn only_ids_before_endoftext() {
        let toks: Vec<String> = ["!", "Ġthe", "", "<|endoftext|>", "<|startoftranscript|>"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let reg = regular_tokens(&toks).unwrap_or_default();
        assert_eq!(reg, vec![b"!".to_vec(), b" the".to_vec(), vec![]]);
        assert!(regular_tokens(&toks[..2]).is_none());
    }

    #[test]
    fn json_vocabulary() {
        let toks = parse_json(r#"["a","Ġb",""]"#).unwrap_or_default();
        assert_eq!(toks, vec!["a", "Ġb", ""]);
    }
}
