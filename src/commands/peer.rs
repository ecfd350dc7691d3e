//! The peer ASR (faster-whisper on the same weights, `scripts/peer_asr.py`) that `bench asr`
//! and `eval real` compare against.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::Globals;

pub fn repo_root() -> PathBuf {
    // The bench scripts live in the source tree; run benches from the repository.
    PathBuf::from(".")
}

/// The CTranslate2 directory of the default model (the peer loads it directly).
pub fn ct2_dir(g: &Globals) -> Result<PathBuf> {
    let name = &g.config.models.default;
    let known = crate::model::fetch::known(name)
        .with_context(|| format!("bench needs a known model name, not {name:?}"))?;
    Ok(crate::model::fetch::ct2_dir(
        known,
        &g.config.models.dir,
        true,
    )?)
}

/// Runs scripts/peer_asr.py; returns its JSON lines.
pub fn run_peer(args: &[String]) -> Result<Vec<serde_json::Value>> {
    let script = repo_root().join("scripts/peer_asr.py");
    if !script.is_file() {
        bail!(
            "{} not found: run benchmarks from the repository root",
            script.display()
        );
    }
    eprintln!("bench: running the peer (faster-whisper int8, beam 1); the first run installs it into .venv/peer");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run python3 for the peer")?;
    if !out.status.success() {
        bail!("the peer (scripts/peer_asr.py) failed with {}", out.status);
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).context("peer output is not JSON"))
        .collect()
}
