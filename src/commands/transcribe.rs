//! `ringside transcribe`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::TranscribeArgs;
pub fn run(_g: &Globals, _a: TranscribeArgs) -> Result<()> { bail!("not implemented yet") }
