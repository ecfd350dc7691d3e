//! Role-play scenarios: the readable TOML files of `config/scenarios/` (built into the binary)
//! or a user's file, parsed with `deny_unknown_fields` and validated once into a [`Scenario`].
//! Pure data; loaded on the caller's thread before a role-play starts.
//!
//! Format (version 1; `config/scenarios/insurance_cold_call.toml` is the commented example):
//!
//! ```toml
//! version = 1
//! title = "..."                 # one line for `ringside scenarios`
//! voice = "piper:en_US-joe-medium"  # piper:VOICE, festival:VOICE or flite:VOICE
//! [persona]                     # name, situation, patience, rapport_needed, objections
//! [[persona.needs]]             # hidden needs: name, keywords, replies
//! [opening]    lines = [...]    # the counterpart answers the phone
//! [commitment] needs, on, lines # when a commitment yes comes, and its lines
//! [hang_up]    lines = [...]
//! [[responses.ACT]]             # ACT: a "me" act; when = condition, text = one variant
//! [timing]                      # optional: pause before answering, ms, by what a line says:
//!                               # no, counterfeit_yes, confirmation_yes, commitment_yes,
//!                               # thats_right, other (defaults 250, 1000, 350, 300, 300, 450)
//! ```
//!
//! Every error names the file and the field, e.g.
//! `config/scenarios/x.toml: responses.label[2].text: empty`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::event::Act;

/// The user's scenarios: `<config dir>/scenarios/*.toml` (see [`crate::config::config_dir`]).
pub fn user_dir() -> PathBuf {
    crate::config::config_dir().join("scenarios")
}

/// Where a listed scenario comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScenarioSource {
    #[serde(rename = "built-in")]
    BuiltIn,
    #[serde(rename = "file")]
    File,
}

/// One scenario of [`catalog`] (`ringside scenarios`, `GET /api/scenarios`, version 1). A file
/// that cannot be used is listed with its `error` and nothing else, so the user sees why.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    /// What to start it by (built-in name or file stem).
    pub name: String,
    pub source: ScenarioSource,
    pub title: Option<String>,
    /// The counterpart's name.
    pub persona: Option<String>,
    pub situation: Option<String>,
    pub voice: Option<String>,
    /// The file, for `file` scenarios.
    pub path: Option<PathBuf>,
    pub error: Option<String>,
}

impl CatalogEntry {
    fn of(s: &Scenario, source: ScenarioSource, path: Option<PathBuf>) -> CatalogEntry {
        CatalogEntry {
            name: s.name.clone(),
            source,
            title: Some(s.title.clone()),
            persona: Some(s.persona_name.clone()),
            situation: Some(s.situation.clone()),
            voice: Some(s.voice.clone()),
            path,
            error: None,
        }
    }
}

/// Whether a file stem can be a scenario name (it travels in URLs and JSON).
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The `*.toml` files of `dir`, sorted (none when it does not exist).
fn user_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Regular files and links (a link is listed with its error: it is not followed).
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && std::fs::symlink_metadata(p)
                    .is_ok_and(|m| m.file_type().is_file() || m.file_type().is_symlink())
        })
        .collect();
    v.sort();
    v
}

/// Every scenario one can start by name: the built-ins, then the files of `user_dir`
/// (malformed ones, and ones named like a built-in, with their error).
pub fn catalog(user_dir: &Path) -> Vec<CatalogEntry> {
    let mut out: Vec<CatalogEntry> = Scenario::builtins()
        .into_iter()
        .flatten()
        .map(|s| CatalogEntry::of(&s, ScenarioSource::BuiltIn, None))
        .collect();
    for path in user_files(user_dir) {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let failed = |error: String| CatalogEntry {
            name: name.clone(),
            source: ScenarioSource::File,
            title: None,
            persona: None,
            situation: None,
            voice: None,
            path: Some(path.clone()),
            error: Some(error),
        };
        let entry = if !valid_name(&name) {
            failed(format!(
                "{}: rename the file to letters, digits, _ and - only",
                path.display()
            ))
        } else if BUILTIN.iter().any(|(n, _)| *n == name) {
            failed(format!(
                "{}: has the name of a built-in scenario; rename the file",
                path.display()
            ))
        } else {
            match Scenario::load_own_file(&path) {
                Ok(s) => CatalogEntry::of(&s, ScenarioSource::File, Some(path.clone())),
                Err(e) => failed(e.to_string()),
            }
        };
        out.push(entry);
    }
    out
}

/// A scenario by name only (no paths: a request from the web page must not name files): a
/// built-in, or `<user_dir>/<name>.toml`.
pub fn find(name: &str, user_dir: &Path) -> Result<Scenario, ScenarioError> {
    if let Some((n, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
        return Scenario::parse(text, n, &format!("config/scenarios/{n}.toml (built in)"));
    }
    let path = user_dir.join(format!("{name}.toml"));
    if valid_name(name) && std::fs::symlink_metadata(&path).is_ok() {
        return Scenario::load_own_file(&path);
    }
    Err(ScenarioError::Unknown {
        name: name.to_string(),
        known: catalog(user_dir)
            .iter()
            .filter(|e| e.error.is_none())
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The scenarios shipped with Ringside, compiled in: (name, file text).
pub const BUILTIN: [(&str, &str); 4] = [
    (
        "insurance_cold_call",
        include_str!("../../config/scenarios/insurance_cold_call.toml"),
    ),
    (
        "saas_renewal",
        include_str!("../../config/scenarios/saas_renewal.toml"),
    ),
    (
        "salary_negotiation",
        include_str!("../../config/scenarios/salary_negotiation.toml"),
    ),
    (
        "landlord_rent",
        include_str!("../../config/scenarios/landlord_rent.toml"),
    ),
];

/// Why a scenario could not be loaded. The message always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown scenario {name:?}: not one of {known} and no such file; list them with `ringside scenarios`")]
    Unknown { name: String, known: String },
    /// TOML syntax, unknown keys, wrong types: toml's message names the key, line and column.
    #[error("{file}: {message}")]
    Toml { file: String, message: String },
    /// A value that parses but makes no sense.
    #[error("{file}: {field}: {message}")]
    Invalid {
        file: String,
        field: String,
        message: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Raw file

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    version: u32,
    title: String,
    voice: String,
    persona: RawPersona,
    opening: RawLines,
    commitment: RawCommitment,
    hang_up: RawLines,
    responses: RawResponses,
    #[serde(default)]
    timing: RawTiming,
}

/// `[timing]` (optional): the counterpart's pause before it answers, ms, by what its line
/// says (the act Ringside hears in it as an answer).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTiming {
    no: u32,
    counterfeit_yes: u32,
    confirmation_yes: u32,
    commitment_yes: u32,
    thats_right: u32,
    other: u32,
}

impl Default for RawTiming {
    fn default() -> Self {
        let t = Timing::default();
        RawTiming {
            no: t.no_ms,
            counterfeit_yes: t.counterfeit_yes_ms,
            confirmation_yes: t.confirmation_yes_ms,
            commitment_yes: t.commitment_yes_ms,
            thats_right: t.thats_right_ms,
            other: t.other_ms,
        }
    }
}

/// The counterpart's answer gap by what its line says: a real prospect says "no" at once,
/// commits promptly, and gives a counterfeit yes after a beat. Milliseconds from the end of
/// the practitioner's speech; a reply that is ready later starts when it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub no_ms: u32,
    pub counterfeit_yes_ms: u32,
    pub confirmation_yes_ms: u32,
    pub commitment_yes_ms: u32,
    pub thats_right_ms: u32,
    /// Everything else (a question back, a statement, an objection).
    pub other_ms: u32,
}

impl Default for Timing {
    /// People answer within 200-500 ms; a hesitant yes comes later.
    fn default() -> Self {
        Timing {
            no_ms: 250,
            counterfeit_yes_ms: 1000,
            confirmation_yes_ms: 350,
            commitment_yes_ms: 300,
            thats_right_ms: 300,
            other_ms: 450,
        }
    }
}

/// Longest answer gap a scenario may set (a longer one is a hang, not a pause).
const MAX_GAP_MS: u32 = 5000;

impl Timing {
    /// The gap before a line that Ringside hears as `act`.
    pub fn gap_ms(&self, act: Act) -> u32 {
        match act {
            Act::No => self.no_ms,
            Act::CounterfeitYes => self.counterfeit_yes_ms,
            Act::ConfirmationYes => self.confirmation_yes_ms,
            Act::CommitmentYes => self.commitment_yes_ms,
            Act::ThatsRight => self.thats_right_ms,
            _ => self.other_ms,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    name: String,
    situation: String,
    patience: u32,
    rapport_needed: u32,
    #[serde(default)]
    objections: Vec<String>,
    #[serde(default)]
    needs: Vec<RawNeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeed {
    name: String,
    keywords: Vec<String>,
    replies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLines {
    lines: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    needs: u32,
    on: Vec<Act>,
    lines: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponses {
    #[serde(default)]
    yes_question: Vec<RawResponse>,
    #[serde(default)]
    no_question: Vec<RawResponse>,
    #[serde(default)]
    label: Vec<RawResponse>,
    #[serde(default)]
    calibrated_question: Vec<RawResponse>,
    #[serde(default)]
    mirror: Vec<RawResponse>,
    #[serde(default)]
    pitch: Vec<RawResponse>,
    other: Vec<RawResponse>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    #[serde(default)]
    when: When,
    text: String,
}

// ---------------------------------------------------------------------------------------------
// Validated scenario

/// The call state a response applies to. More specific conditions win over `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Always applies (the fallback).
    #[default]
    Any,
    /// Fewer rapport moves than `persona.rapport_needed` so far.
    NoRapport,
    /// At least `persona.rapport_needed` rapport moves.
    Rapport,
    /// The second or later consecutive yes-question (`yes_question` only).
    Ladder,
    /// A pitch before any label, mirror or calibrated question (`pitch` only).
    Early,
}

impl When {
    pub fn as_str(self) -> &'static str {
        match self {
            When::Any => "any",
            When::NoRapport => "no_rapport",
            When::Rapport => "rapport",
            When::Ladder => "ladder",
            When::Early => "early",
        }
    }

    /// Selection order: the first matching condition of this list is used.
    pub const PRIORITY: [When; 5] = [
        When::Ladder,
        When::Early,
        When::NoRapport,
        When::Rapport,
        When::Any,
    ];
}

/// Index of a counterpart line in [`Scenario::lines`] (each distinct text once, so each is
/// synthesized once).
pub type LineId = usize;

/// A hidden need: a label, mirror or calibrated question with one of the keywords hits it.
#[derive(Debug, Clone)]
pub struct Need {
    pub name: String,
    /// Lowercase words or phrases, matched on word boundaries.
    pub keywords: Vec<String>,
    pub replies: Vec<LineId>,
}

/// One response variant of an act.
#[derive(Debug, Clone)]
pub struct Response {
    pub when: When,
    pub line: LineId,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Built-in name or file stem.
    pub name: String,
    /// Where it came from, for messages (`config/scenarios/x.toml (built in)` or the path).
    pub source: String,
    pub title: String,
    /// `festival:VOICE` or `flite:VOICE`.
    pub voice: String,
    pub persona_name: String,
    pub situation: String,
    /// Yes-questions and early pitches tolerated: the one that reaches it ends the call.
    pub patience: u32,
    /// Rapport moves (no-question, label, mirror, calibrated question) before a commitment.
    pub rapport_needed: u32,
    /// Hidden needs that must be hit before a commitment.
    pub needs_for_commitment: u32,
    /// The acts that ask for the next step once the counterpart is ready.
    pub commitment_on: Vec<Act>,
    pub needs: Vec<Need>,
    pub objections: Vec<LineId>,
    pub opening: Vec<LineId>,
    pub commitment: Vec<LineId>,
    pub hang_up: Vec<LineId>,
    /// Per "me" act (in [`Act::ME`] order), the response variants.
    pub responses: Vec<(Act, Vec<Response>)>,
    /// Every distinct line the counterpart can say.
    pub lines: Vec<String>,
    /// The answer gap by what a line says.
    pub timing: Timing,
}

impl Scenario {
    /// A scenario by name ([`find`] in `user_dir`), else a path to a TOML file.
    pub fn resolve(spec: &str, user_dir: &Path) -> Result<Scenario, ScenarioError> {
        match find(spec, user_dir) {
            Err(ScenarioError::Unknown { .. }) if Path::new(spec).is_file() => {
                Scenario::load_file(Path::new(spec))
            }
            r => r,
        }
    }

    /// The built-in scenario `name`, a path to a TOML file, or an error listing the built-ins.
    pub fn load(spec: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
            return Scenario::parse(
                text,
                name,
                &format!("config/scenarios/{name}.toml (built in)"),
            );
        }
        let path = Path::new(spec);
        if path.is_file() {
            return Scenario::load_file(path);
        }
        Err(ScenarioError::Unknown {
            name: spec.to_string(),
            known: BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Loads a scenario file the user named (a link is followed); the name is the file stem.
    pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, crate::files::Links::Follow)
    }

    /// Loads a scenario file of the user's scenarios folder: a regular file, never a link
    /// (the folder is Ringside's; a link there could show any file's text in an error).
    pub fn load_own_file(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, crate::files::Links::Refuse)
    }

    fn load_with(path: &Path, links: crate::files::Links) -> Result<Scenario, ScenarioError> {
        let text = crate::files::read_regular_string(path, crate::files::MAX_SCENARIO_BYTES, links)
            .map_err(|source| ScenarioError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::parse(&text, &name, &path.display().to_string())
    }

    /// All built-in scenarios (they are checked by a unit test, so errors here are bugs).
    pub fn builtins() -> Vec<Result<Scenario, ScenarioError>> {
        BUILTIN
            .iter()
            .map(|(n, t)| Scenario::parse(t, n, &format!("config/scenarios/{n}.toml (built in)")))
            .collect()
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, name: &str, file: &str) -> Result<Scenario, ScenarioError> {
        // toml's Display quotes the offending line of the file; the message and the position
        // say enough without echoing the file's text into logs and API answers.
        let raw: RawScenario = toml::from_str(text).map_err(|e| ScenarioError::Toml {
            file: file.to_string(),
            message: toml_message(text, &e),
        })?;
        Validator {
            file,
            lines: Vec::new(),
        }
        .build(raw, name)
    }

    /// The response variants of `act` (empty when the scenario has none for it).
    pub fn responses_for(&self, act: Act) -> &[Response] {
        self.responses
            .iter()
            .find(|(a, _)| *a == act)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    }

    /// The text of a line.
    pub fn line(&self, id: LineId) -> &str {
        self.lines.get(id).map(String::as_str).unwrap_or("")
    }
}

/// `line L, column C: message` of a TOML error, without the quoted source line.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

struct Validator<'a> {
    file: &'a str,
    lines: Vec<String>,
}

impl Validator<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn nonempty(&self, field: &str, s: &str) -> Result<String, ScenarioError> {
        let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            return Err(self.err(field, "empty"));
        }
        Ok(t)
    }

    /// Validates a spoken line and returns its id (equal texts share one id).
    fn line(&mut self, field: &str, s: &str) -> Result<LineId, ScenarioError> {
        let t = self.nonempty(field, s)?;
        if !t.chars().any(|c| c.is_alphabetic()) {
            return Err(self.err(field, "has no words to say"));
        }
        if t.len() > 400 {
            return Err(self.err(
                field,
                "longer than 400 characters; split it, the counterpart should not monologue",
            ));
        }
        if let Some(i) = self.lines.iter().position(|l| *l == t) {
            return Ok(i);
        }
        self.lines.push(t);
        Ok(self.lines.len() - 1)
    }

    fn lines(&mut self, field: &str, v: &[String]) -> Result<Vec<LineId>, ScenarioError> {
        if v.is_empty() {
            return Err(self.err(field, "needs at least one line"));
        }
        v.iter()
            .enumerate()
            .map(|(i, s)| self.line(&format!("{field}[{i}]"), s))
            .collect()
    }

    fn build(mut self, raw: RawScenario, name: &str) -> Result<Scenario, ScenarioError> {
        if raw.version != 1 {
            return Err(self.err(
                "version",
                format!("unsupported version {} (this build reads 1)", raw.version),
            ));
        }
        let title = self.nonempty("title", &raw.title)?;
        let voice = self.nonempty("voice", &raw.voice)?;
        if let Err(m) = super::voice::VoiceSpec::parse(&voice) {
            return Err(self.err("voice", m));
        }
        let p = &raw.persona;
        let persona_name = self.nonempty("persona.name", &p.name)?;
        let situation = self.nonempty("persona.situation", &p.situation)?;
        if p.patience == 0 {
            return Err(self.err("persona.patience", "must be at least 1"));
        }
        let t = &raw.timing;
        for (key, ms) in [
            ("no", t.no),
            ("counterfeit_yes", t.counterfeit_yes),
            ("confirmation_yes", t.confirmation_yes),
            ("commitment_yes", t.commitment_yes),
            ("thats_right", t.thats_right),
            ("other", t.other),
        ] {
            if ms > MAX_GAP_MS {
                return Err(self.err(
                    format!("timing.{key}"),
                    format!("{ms} ms is longer than {MAX_GAP_MS} ms (milliseconds of pause before the answer)"),
                ));
            }
        }
        let timing = Timing {
            no_ms: t.no,
            counterfeit_yes_ms: t.counterfeit_yes,
            confirmation_yes_ms: t.confirmation_yes,
            commitment_yes_ms: t.commitment_yes,
            thats_right_ms: t.thats_right,
            other_ms: t.other,
        };
        let opening = self.lines("opening.lines", &raw.opening.lines)?;
        let commitment = self.lines("commitment.lines", &raw.commitment.lines)?;
        let hang_up = self.lines("hang_up.lines", &raw.hang_up.lines)?;
        let mut objections = Vec::new();
        for (i, o) in p.objections.iter().enumerate() {
            objections.push(self.line(&format!("persona.objections[{i}]"), o)?);
        }
        let mut needs = Vec::new();
        let mut names = HashSet::new();
        for (i, n) in p.needs.iter().enumerate() {
            let f = format!("persona.needs[{i}]");
            let nm = self.nonempty(&format!("{f}.name"), &n.name)?;
            if !names.insert(nm.clone()) {
                return Err(self.err(format!("{f}.name"), format!("duplicate need {nm:?}")));
            }
            if n.keywords.is_empty() {
                return Err(self.err(format!("{f}.keywords"), "needs at least one keyword"));
            }
            let mut keywords = Vec::new();
            for (j, k) in n.keywords.iter().enumerate() {
                let k = self
                    .nonempty(&format!("{f}.keywords[{j}]"), k)?
                    .to_lowercase();
                if !k
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '\'' || c == '-')
                {
                    return Err(self.err(
                        format!("{f}.keywords[{j}]"),
                        "letters, digits, spaces, ' and - only",
                    ));
                }
                keywords.push(k);
            }
            let replies = self.lines(&format!("{f}.replies"), &n.replies)?;
            needs.push(Need {
                name: nm,
                keywords,
                replies,
            });
        }
        if raw.commitment.needs as usize > needs.len() {
            return Err(self.err(
                "commitment.needs",
                format!(
                    "asks for {} hidden needs but persona.needs has {}",
                    raw.commitment.needs,
                    needs.len()
                ),
            ));
        }
        if raw.commitment.on.is_empty() {
            return Err(self.err("commitment.on", "needs at least one act"));
        }
        for (i, a) in raw.commitment.on.iter().enumerate() {
            if !Act::ME.contains(a) {
                return Err(self.err(
                    format!("commitment.on[{i}]"),
                    format!("`{a}` is not an act of \"me\""),
                ));
            }
        }
        let r = &raw.responses;
        let lists: [(Act, &Vec<RawResponse>); 7] = [
            (Act::YesQuestion, &r.yes_question),
            (Act::NoQuestion, &r.no_question),
            (Act::Label, &r.label),
            (Act::CalibratedQuestion, &r.calibrated_question),
            (Act::Mirror, &r.mirror),
            (Act::Pitch, &r.pitch),
            (Act::Other, &r.other),
        ];
        let mut responses = Vec::new();
        for (act, list) in lists {
            let mut out = Vec::new();
            for (i, resp) in list.iter().enumerate() {
                let f = format!("responses.{act}[{i}]");
                let ok = match resp.when {
                    When::Ladder => act == Act::YesQuestion,
                    When::Early => act == Act::Pitch,
                    _ => true,
                };
                if !ok {
                    return Err(self.err(
                        format!("{f}.when"),
                        format!("`{}` does not apply to `{act}` (ladder: yes_question only; early: pitch only)", resp.when.as_str()),
                    ));
                }
                let line = self.line(&format!("{f}.text"), &resp.text)?;
                out.push(Response {
                    when: resp.when,
                    line,
                });
            }
            responses.push((act, out));
        }
        let other_any = r.other.iter().any(|x| x.when == When::Any);
        if !other_any {
            return Err(self.err(
                "responses.other",
                "needs at least one entry without `when` (the fallback reply)",
            ));
        }
        Ok(Scenario {
            name: name.to_string(),
            source: self.file.to_string(),
            title,
            voice,
            persona_name,
            situation,
            patience: p.patience,
            rapport_needed: p.rapport_needed,
            needs_for_commitment: raw.commitment.needs,
            commitment_on: raw.commitment.on,
            needs,
            objections,
            opening,
            commitment,
            hang_up,
            responses,
            lines: self.lines,
            timing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_loads() {
        for (name, _) in BUILTIN {
            let s = Scenario::load(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, name);
            assert!(!s.lines.is_empty());
            assert!(!s.commitment.is_empty() && !s.hang_up.is_empty());
            // Variants: every act a practitioner uses often has more than one reply.
            for act in [
                Act::YesQuestion,
                Act::NoQuestion,
                Act::Label,
                Act::CalibratedQuestion,
                Act::Pitch,
                Act::Other,
            ] {
                assert!(
                    s.responses_for(act).len() >= 2,
                    "{name}: {act} has fewer than 2 variants"
                );
            }
        }
        // The files on disk are the ones compiled in.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/scenarios");
        let mut on_disk = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                Scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"));
                on_disk += 1;
            }
        }
        assert_eq!(
            on_disk,
            BUILTIN.len(),
            "every file in config/scenarios is built in"
        );
    }

    #[test]
    fn timing_has_defaults_and_is_checked() {
        let s = Scenario::parse(BUILTIN[0].1, "x", "config/scenarios/x.toml").unwrap();
        assert_eq!(s.timing, Timing::default());
        assert_eq!(s.timing.gap_ms(Act::No), 250);
        assert_eq!(s.timing.gap_ms(Act::CounterfeitYes), 1000);
        assert_eq!(s.timing.gap_ms(Act::Label), s.timing.other_ms);
        let src = format!(
            "{}\n[timing]\nno = 120\ncounterfeit_yes = 1600\n",
            BUILTIN[0].1
        );
        let s = Scenario::parse(&src, "x", "config/scenarios/x.toml").unwrap();
        assert_eq!((s.timing.no_ms, s.timing.counterfeit_yes_ms), (120, 1600));
        assert_eq!(
            s.timing.commitment_yes_ms, 300,
            "unset keys keep their default"
        );
        let e = broken(|s| format!("{s}\n[timing]\nno = 9000\n"));
        assert!(
            e.starts_with("config/scenarios/x.toml: timing.no: 9000 ms is longer"),
            "{e}"
        );
        let e = broken(|s| format!("{s}\n[timing]\nmaybe = 300\n"));
        assert!(e.contains("maybe"), "{e}");
    }

    fn broken(edit: impl Fn(&str) -> String) -> String {
        let src = edit(BUILTIN[0].1);
        let e = Scenario::parse(&src, "x", "config/scenarios/x.toml").unwrap_err();
        e.to_string()
    }

    #[test]
    fn a_malformed_scenario_names_the_file_and_the_field() {
        // An empty response text: the error points at the entry.
        let src = BUILTIN[0].1;
        let needle = "[[responses.label]]";
        let third = src.match_indices(needle).nth(2).map(|(i, _)| i).unwrap();
        let text_at = third + src[third..].find("text = ").unwrap();
        let eol = text_at + src[text_at..].find('\n').unwrap();
        let edited = format!("{}text = \"  \"{}", &src[..text_at], &src[eol..]);
        let e = Scenario::parse(&edited, "x", "config/scenarios/x.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "config/scenarios/x.toml: responses.label[2].text: empty");

        let e = broken(|s| s.replacen("patience = ", "patience = 0 #", 1));
        assert_eq!(
            e,
            "config/scenarios/x.toml: persona.patience: must be at least 1"
        );
        let e = broken(|s| s.replacen("voice = \"", "voice = \"espeak:", 1));
        assert!(e.starts_with("config/scenarios/x.toml: voice: "), "{e}");
        // Unknown keys (typos) are errors that name the key.
        let e = broken(|s| s.replacen("[persona]", "[persona]\npatiense = 3", 1));
        assert!(
            e.starts_with("config/scenarios/x.toml: ") && e.contains("patiense"),
            "{e}"
        );
        let e = broken(|s| s.replacen("[[responses.label]]", "[[responses.lable]]", 1));
        assert!(e.contains("lable"), "{e}");
        // A condition that cannot apply to the act.
        let e = broken(|s| {
            s.replacen(
                "[[responses.label]]\ntext",
                "[[responses.label]]\nwhen = \"ladder\"\ntext",
                1,
            )
        });
        assert_eq!(
            e,
            "config/scenarios/x.toml: responses.label[1].when: `ladder` does not apply to `label` (ladder: yes_question only; early: pitch only)"
        );
        let e = broken(|s| s.replacen("on = [", "on = [\"commitment_yes\", ", 1));
        assert!(
            e.contains("commitment.on[0]") && e.contains("not an act of \"me\""),
            "{e}"
        );
    }

    #[test]
    fn user_scenarios_are_listed_and_found_by_name_and_bad_ones_say_why() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(catalog(&dir.join("missing")).len(), BUILTIN.len());
        let text = BUILTIN[0].1.replace("title = \"", "title = \"Mine: ");
        std::fs::write(dir.join("my_call.toml"), &text).unwrap();
        std::fs::write(dir.join("saas_renewal.toml"), &text).unwrap();
        std::fs::write(dir.join("broken.toml"), "version = 1\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
        let c = catalog(dir);
        assert_eq!(c.len(), BUILTIN.len() + 3, "{c:?}");
        assert!(c[..BUILTIN.len()]
            .iter()
            .all(|e| e.source == ScenarioSource::BuiltIn && e.error.is_none()));
        let mine = c.iter().find(|e| e.name == "my_call").unwrap();
        assert_eq!(mine.source, ScenarioSource::File);
        assert!(
            mine.title.as_deref().unwrap().starts_with("Mine: "),
            "{mine:?}"
        );
        assert!(mine.error.is_none() && mine.persona.is_some());
        let broken = c.iter().find(|e| e.name == "broken").unwrap();
        assert!(
            broken.error.as_deref().unwrap().contains("broken.toml"),
            "{broken:?}"
        );
        let shadow = c
            .iter()
            .find(|e| e.name == "saas_renewal" && e.source == ScenarioSource::File)
            .unwrap();
        assert!(
            shadow.error.as_deref().unwrap().contains("built-in"),
            "{shadow:?}"
        );
        assert_eq!(
            serde_json::to_value(mine).unwrap()["source"],
            serde_json::json!("file")
        );
        // Found by name; the built-in wins over a file of the same name; no paths.
        assert!(find("my_call", dir).unwrap().title.starts_with("Mine: "));
        assert!(!find("saas_renewal", dir)
            .unwrap()
            .title
            .starts_with("Mine: "));
        let e = find("../my_call", dir).unwrap_err().to_string();
        assert!(
            e.contains("unknown scenario") && e.contains("my_call"),
            "{e}"
        );
        assert!(find(dir.join("my_call.toml").to_str().unwrap(), dir).is_err());
        assert!(Scenario::resolve(dir.join("my_call.toml").to_str().unwrap(), dir).is_ok());
    }

    #[test]
    fn unknown_names_list_the_builtins() {
        let e = Scenario::load("no_such_scenario").unwrap_err().to_string();
        assert!(
            e.contains("insurance_cold_call") && e.contains("ringside scenarios"),
            "{e}"
        );
        let e = Scenario::load_file(Path::new("does/not/exist.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does/not/exist.toml"), "{e}");
    }
}
