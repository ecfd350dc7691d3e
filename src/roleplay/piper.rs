//! Piper: a neural voice (a VITS model exported to ONNX) run in this process with ONNX Runtime
//! through `ort`, its phonemes from the `espeak-ng` command. Part of [`super::voice`]: it
//! returns the voice's native samples (22.05 kHz for the medium voices), which `voice`
//! resamples, trims and caches like every other engine's. Runs on the TTS worker threads,
//! before a call starts; never on the audio path.
//!
//! Text to phoneme ids follows Piper (piper-phonemize): the text is cut into clauses at
//! `. ? ! , ; :` followed by a space (or the end), each clause phonemized by espeak-ng as IPA,
//! the clause's punctuation appended (`,` `;` `:` with a space after), and a sentence (up to
//! `. ? !`) becomes one model input: `^ _ p1 _ p2 _ ... pn _ $` through the voice's
//! `phoneme_id_map` (a symbol the map lacks is skipped, as Piper does). Sentences are
//! synthesized one by one and joined with [`SENTENCE_SILENCE_SECS`] of silence.
//!
//! espeak-ng runs as `espeak-ng -q --ipa -v <voice> --stdin`: plain `--ipa` prints the
//! phonemes of a clause as one line, words separated by spaces, with no separator inside a
//! word, which is what Piper's own espeak call (IPA mode, no tie) gives. (`--ipa=3` would put
//! a zero-width joiner inside diphthongs such as `o‍ʊ`; those are stripped all the same.)
//!
//! The ONNX Runtime library is loaded once per process and each voice's session once per
//! process, on first use, then shared (behind a mutex: `ort` runs a session through `&mut`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;

use super::voice_error::VoiceError;
use crate::model::piper as files;

/// Silence between two sentences of a line (Piper's own default).
pub const SENTENCE_SILENCE_SECS: f32 = 0.2;
/// Peak of a synthesized line. Piper scales every sentence to full scale; a little headroom
/// keeps the 16-bit cache and the resampler clear of clipping.
const PEAK: f32 = 0.9;

/// The part of a voice's `.onnx.json` that synthesis needs.
#[derive(Debug, Deserialize)]
struct VoiceConfig {
    audio: AudioConfig,
    espeak: EspeakConfig,
    #[serde(default)]
    inference: InferenceConfig,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default)]
    phoneme_type: Option<String>,
    #[serde(default)]
    num_speakers: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct AudioConfig {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct EspeakConfig {
    voice: String,
}

#[derive(Debug, Deserialize)]
struct InferenceConfig {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

impl Default for InferenceConfig {
    fn default() -> Self {
        InferenceConfig {
            noise_scale: 0.667,
            length_scale: 1.0,
            noise_w: 0.8,
        }
    }
}

/// Symbol -> ids, with the three special symbols looked up once.
#[derive(Debug, Clone)]
pub struct PhonemeIds {
    map: HashMap<char, Vec<i64>>,
    pad: Vec<i64>,
    bos: Vec<i64>,
    eos: Vec<i64>,
}

impl PhonemeIds {
    /// From a voice's `phoneme_id_map` (keys of one character; `_`, `^` and `$` required).
    pub fn new(raw: &HashMap<String, Vec<i64>>) -> Result<PhonemeIds, String> {
        let mut map = HashMap::new();
        for (k, v) in raw {
            let mut cs = k.chars();
            if let (Some(c), None) = (cs.next(), cs.next()) {
                map.insert(c, v.clone());
            }
        }
        let get = |c: char| {
            map.get(&c)
                .cloned()
                .ok_or_else(|| format!("phoneme_id_map has no {c:?}"))
        };
        Ok(PhonemeIds {
            pad: get('_')?,
            bos: get('^')?,
            eos: get('$')?,
            map,
        })
    }

    /// One sentence's model input: `^ _ p1 _ p2 _ ... pn _ $`. Returns the ids and how many
    /// symbols the map lacked (skipped).
    pub fn ids(&self, phonemes: &str) -> (Vec<i64>, usize) {
        let mut out = Vec::with_capacity(2 * phonemes.len() + 3);
        out.extend(&self.bos);
        out.extend(&self.pad);
        let mut missing = 0;
        for c in phonemes.chars() {
            match self.map.get(&c) {
                Some(ids) => {
                    out.extend(ids);
                    out.extend(&self.pad);
                }
                None => missing += 1,
            }
        }
        out.extend(&self.eos);
        (out, missing)
    }
}

/// A clause of text and the punctuation that ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub text: String,
    pub end: Option<char>,
}

/// Words after which a `.` does not end a sentence.
const ABBREVIATIONS: &[&str] = &["mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e"];

/// Cuts text into sentences of clauses: a clause ends at `. ? ! , ; :` followed by white
/// space or the end of the text (so `3.5` and `e.g.x` stay whole), a sentence at `. ? !`.
/// A `.` after a title such as `Mrs` ends nothing. Clauses without a letter or digit are
/// dropped, with their punctuation.
pub fn sentences(text: &str) -> Vec<Vec<Clause>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Vec<Clause>> = Vec::new();
    let mut sentence: Vec<Clause> = Vec::new();
    let mut cur = String::new();
    let push = |cur: &mut String, end: Option<char>, sentence: &mut Vec<Clause>| {
        let t = cur.trim();
        if t.chars().any(char::is_alphanumeric) {
            sentence.push(Clause {
                text: t.to_string(),
                end,
            });
        }
        cur.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if !matches!(c, '.' | '?' | '!' | ',' | ';' | ':') {
            continue;
        }
        let at_break = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if !at_break {
            continue;
        }
        if c == '.' {
            let word = cur[..cur.len() - 1]
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if ABBREVIATIONS.contains(&word.as_str()) {
                continue;
            }
        }
        push(&mut cur, Some(c), &mut sentence);
        if matches!(c, '.' | '?' | '!') && !sentence.is_empty() {
            out.push(std::mem::take(&mut sentence));
        }
    }
    push(&mut cur, None, &mut sentence);
    if !sentence.is_empty() {
        out.push(sentence);
    }
    out
}

/// espeak-ng's IPA output of one clause -> the symbols Piper feeds: lines joined by a space,
/// language switch marks such as `(fr)` and zero-width joiners removed.
pub fn clean_ipa(raw: &str) -> String {
    let joined = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::with_capacity(joined.len());
    let mut in_flag = false;
    for c in joined.chars() {
        match c {
            '(' => in_flag = true,
            ')' if in_flag => in_flag = false,
            _ if in_flag => {}
            '\u{200d}' | '\u{200c}' => {}
            _ => out.push(c),
        }
    }
    out
}

/// A sentence's phonemes: each clause's IPA and its punctuation, as Piper appends it.
pub fn sentence_phonemes(
    clauses: &[Clause],
    phonemize: &mut dyn FnMut(&str) -> Result<String, VoiceError>,
) -> Result<String, VoiceError> {
    let mut s = String::new();
    for cl in clauses {
        s.push_str(&clean_ipa(&phonemize(&cl.text)?));
        match cl.end {
            Some(c @ ('.' | '?' | '!')) => s.push(c),
            Some(c @ (',' | ';' | ':')) => {
                s.push(c);
                s.push(' ');
            }
            _ => {}
        }
    }
    Ok(s)
}

/// `espeak-ng -q --ipa -v <voice> --stdin` on one clause.
pub fn espeak_ipa(voice: &str, text: &str) -> Result<String, VoiceError> {
    let mut child = match Command::new("espeak-ng")
        .args(["-q", "--ipa", "-v", voice, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VoiceError::Missing {
                command: "espeak-ng",
                package: "espeak-ng",
                setup: "scripts/setup.sh",
            })
        }
        Err(e) => return Err(espeak_failed(voice, text, e.to_string())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| espeak_failed(voice, text, e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| espeak_failed(voice, text, e.to_string()))?;
    if !out.status.success() {
        return Err(espeak_failed(
            voice,
            text,
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn espeak_failed(voice: &str, text: &str, message: String) -> VoiceError {
    VoiceError::Synth {
        engine: "piper",
        voice: format!("(espeak-ng -v {voice})"),
        text: text.to_string(),
        message,
    }
}

/// A loaded voice.
struct Voice {
    session: Mutex<Session>,
    ids: PhonemeIds,
    sample_rate: u32,
    espeak_voice: String,
    /// noise, length, noise_w.
    scales: [f32; 3],
}

type Voices = Mutex<HashMap<PathBuf, Arc<Voice>>>;

fn voices() -> &'static Voices {
    static V: OnceLock<Voices> = OnceLock::new();
    V.get_or_init(Voices::default)
}

/// Loads ONNX Runtime from `<models_dir>/piper/` once per process. The first library loaded
/// stays: `ort` binds one runtime per process.
fn init_runtime(models_dir: &Path) -> Result<(), VoiceError> {
    static RT: OnceLock<Result<(), String>> = OnceLock::new();
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(r) = RT.get() {
        return r.clone().map_err(VoiceError::PiperRuntime);
    }
    let _guard = INIT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = RT.get() {
        return r.clone().map_err(VoiceError::PiperRuntime);
    }
    let path = files::runtime_path(models_dir);
    if !path.is_file() {
        // Not cached: setup may still install it while this process runs.
        return Err(VoiceError::PiperMissing {
            what: "ONNX Runtime",
            path,
            package: format!("{}=={}", files::RUNTIME.package, files::RUNTIME.version),
        });
    }
    let r = load_runtime(&path);
    let _ = RT.set(r.clone());
    r.map_err(VoiceError::PiperRuntime)
}

fn load_runtime(path: &Path) -> Result<(), String> {
    let hint = |what: String| {
        format!(
            "cannot load ONNX Runtime {} ({what}): delete it and run scripts/setup.sh (or ringside model fetch piper)",
            path.display()
        )
    };
    // The pinned library is checked before it is loaded: `ort` panics on a library it cannot
    // load, and a damaged one could crash the process.
    // (Only where that pin applies: elsewhere the library is the user's own build.)
    if cfg!(all(target_os = "linux", target_arch = "x86_64"))
        && path.file_name().and_then(|n| n.to_str()) == Some(files::RUNTIME_FILE)
    {
        let sha = crate::model::file_sha256(path).map_err(|e| hint(e.to_string()))?;
        let pinned = files::RUNTIME.files.first().map(|f| f.2).unwrap_or("");
        if sha != pinned {
            return Err(hint(format!("sha256 {sha} is not the pinned {pinned}")));
        }
    }
    let p = path.to_string_lossy().into_owned();
    match std::panic::catch_unwind(move || ort::init_from(p).with_name("ringside").commit()) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(hint(e.to_string())),
        Err(_) => Err(hint("the library does not load".into())),
    }
}

fn load_voice(models_dir: &Path, name: &str) -> Result<Arc<Voice>, VoiceError> {
    let (onnx, json) = files::voice_paths(models_dir, name);
    let mut map = voices().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(v) = map.get(&onnx) {
        return Ok(v.clone());
    }
    let package = |p: &Path| match files::known_voice(name) {
        Some(k) => VoiceError::PiperMissing {
            what: "Piper voice",
            path: p.to_path_buf(),
            package: format!("{}=={}", k.package.package, k.package.version),
        },
        None => VoiceError::PiperUnknown {
            voice: name.to_string(),
            path: p.to_path_buf(),
            known: files::VOICES
                .iter()
                .map(|v| v.name)
                .collect::<Vec<_>>()
                .join(", "),
        },
    };
    for p in [&onnx, &json] {
        if !p.is_file() {
            return Err(package(p));
        }
    }
    init_runtime(models_dir)?;
    let corrupt = |path: &Path, message: String| VoiceError::PiperCorrupt {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(&json).map_err(|e| corrupt(&json, e.to_string()))?;
    let cfg: VoiceConfig =
        serde_json::from_str(&text).map_err(|e| corrupt(&json, e.to_string()))?;
    if cfg.phoneme_type.as_deref().is_some_and(|t| t != "espeak") {
        return Err(corrupt(
            &json,
            format!(
                "phoneme_type {:?}: only espeak voices are supported",
                cfg.phoneme_type
            ),
        ));
    }
    if cfg.num_speakers.is_some_and(|n| n > 1) {
        return Err(corrupt(
            &json,
            "a multi-speaker voice: only single-speaker voices are supported".into(),
        ));
    }
    let ids = PhonemeIds::new(&cfg.phoneme_id_map).map_err(|m| corrupt(&json, m))?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let session = Session::builder()
        .and_then(|b| b.with_intra_threads(threads))
        .and_then(|b| b.commit_from_file(&onnx))
        .map_err(|e| corrupt(&onnx, e.to_string()))?;
    for input in ["input", "input_lengths", "scales"] {
        if !session.inputs.iter().any(|i| i.name == input) {
            return Err(corrupt(&onnx, format!("the model has no input {input:?}")));
        }
    }
    let v = Arc::new(Voice {
        session: Mutex::new(session),
        ids,
        sample_rate: cfg.audio.sample_rate,
        espeak_voice: cfg.espeak.voice,
        scales: [
            cfg.inference.noise_scale,
            cfg.inference.length_scale,
            cfg.inference.noise_w,
        ],
    });
    map.insert(onnx, v.clone());
    Ok(v)
}

/// Checks that voice `name` can speak: espeak-ng, the runtime and the voice load.
pub fn check(models_dir: &Path, name: &str) -> Result<(), VoiceError> {
    let v = load_voice(models_dir, name)?;
    espeak_ipa(&v.espeak_voice, "Okay.").map(|_| ())
}

/// Synthesizes `text` with voice `name` from `<models_dir>/piper/`: the native samples and
/// their rate.
pub fn synthesize(
    models_dir: &Path,
    name: &str,
    text: &str,
) -> Result<(Vec<f32>, u32), VoiceError> {
    let v = load_voice(models_dir, name)?;
    let fail = |message: String| VoiceError::Synth {
        engine: "piper",
        voice: name.to_string(),
        text: text.to_string(),
        message,
    };
    let gap = vec![0.0f32; (SENTENCE_SILENCE_SECS * v.sample_rate as f32) as usize];
    let mut audio: Vec<f32> = Vec::new();
    let mut phonemize = |t: &str| espeak_ipa(&v.espeak_voice, t);
    for sentence in sentences(text) {
        let phonemes = sentence_phonemes(&sentence, &mut phonemize)?;
        let (ids, _missing) = v.ids.ids(&phonemes);
        if ids.len() <= 3 {
            continue;
        }
        let n = ids.len();
        let input = Tensor::from_array(([1usize, n], ids)).map_err(|e| fail(e.to_string()))?;
        let lengths =
            Tensor::from_array(([1usize], vec![n as i64])).map_err(|e| fail(e.to_string()))?;
        let scales =
            Tensor::from_array(([3usize], v.scales.to_vec())).map_err(|e| fail(e.to_string()))?;
        let mut session = v.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![
                "input" => input,
                "input_lengths" => lengths,
                "scales" => scales,
            ])
            .map_err(|e| fail(e.to_string()))?;
        let (_, samples) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| fail(e.to_string()))?;
        if !audio.is_empty() {
            audio.extend(&gap);
        }
        audio.extend(samples);
    }
    let peak = audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = PEAK / peak.max(0.01);
    for x in &mut audio {
        *x *= gain;
    }
    Ok((audio, v.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> PhonemeIds {
        let raw: HashMap<String, Vec<i64>> = [
            ("_", 0),
            ("^", 1),
            ("$", 2),
            (" ", 3),
            (",", 8),
            (".", 10),
            ("?", 13),
            ("h", 20),
            ("ə", 59),
            ("ˈ", 120),
            ("oʊ", 99), // not one character: ignored, as Piper's maps have none
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), vec![v]))
        .collect();
        PhonemeIds::new(&raw).unwrap()
    }

    #[test]
    fn ids_are_bos_pad_then_each_symbol_and_a_pad_then_eos() {
        let (v, missing) = ids().ids("hə ˈh.");
        assert_eq!(
            v,
            vec![1, 0, 20, 0, 59, 0, 3, 0, 120, 0, 20, 0, 10, 0, 2],
            "^ _ h _ ə _ ' ' _ ˈ _ h _ . _ $"
        );
        assert_eq!(missing, 0);
        assert_eq!(ids().ids("").0, vec![1, 0, 2]);
    }

    #[test]
    fn symbols_missing_from_the_map_are_skipped_and_counted() {
        let (v, missing) = ids().ids("hxʊh");
        assert_eq!(v, vec![1, 0, 20, 0, 20, 0, 2]);
        assert_eq!(missing, 2);
    }

    #[test]
    fn a_map_without_the_special_symbols_is_refused() {
        let raw: HashMap<String, Vec<i64>> =
            [("_".to_string(), vec![0]), ("^".to_string(), vec![1])].into();
        assert!(PhonemeIds::new(&raw).unwrap_err().contains("'$'"));
    }

    #[test]
    fn text_is_cut_into_sentences_of_clauses() {
        let s = sentences("Hello, this is Dana. Is now a bad time? It costs 3.5 thousand");
        let flat: Vec<Vec<(&str, Option<char>)>> = s
            .iter()
            .map(|c| c.iter().map(|c| (c.text.as_str(), c.end)).collect())
            .collect();
        assert_eq!(
            flat,
            vec![
                vec![("Hello,", Some(',')), ("this is Dana.", Some('.'))],
                vec![("Is now a bad time?", Some('?'))],
                vec![("It costs 3.5 thousand", None)],
            ]
        );
        let s = sentences("Mrs. Keller said: no! ... Well");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0][0].text, "Mrs. Keller said:");
        assert_eq!(s[0][1].end, Some('!'));
        assert!(sentences(" ... ").is_empty());
    }

    #[test]
    fn clause_punctuation_is_appended_as_piper_does() {
        let clauses = sentences("Hello, there: fine; yes?").remove(0);
        let mut seen = Vec::new();
        let p = sentence_phonemes(&clauses, &mut |t| {
            seen.push(t.to_string());
            Ok(format!("[{}]\n", t.len()))
        })
        .unwrap();
        assert_eq!(p, "[6], [6]: [5]; [4]?");
        assert_eq!(seen, ["Hello,", "there:", "fine;", "yes?"]);
    }

    #[test]
    fn espeak_output_is_cleaned_of_lines_flags_and_joiners() {
        assert_eq!(clean_ipa("həlˈo\u{200d}ʊ\naɪ mˈiːn\n"), "həlˈoʊ aɪ mˈiːn");
        assert_eq!(clean_ipa("ʃˈɛ (fr)ʃɛ(en) ɪz"), "ʃˈɛ ʃɛ ɪz");
    }

    /// The real espeak-ng (installed by scripts/setup.sh): IPA a Piper voice's map knows.
    #[test]
    fn espeak_gives_ipa_without_separators() {
        let ipa = clean_ipa(&espeak_ipa("en-us", "Hello there.").unwrap_or_else(|e| {
            panic!("{e}");
        }));
        assert_eq!(ipa, "həlˈoʊ ðˈɛɹ");
    }
}
