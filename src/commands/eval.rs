//! `ringside eval acts`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::EvalCommand;
pub fn run(_g: &Globals, _c: EvalCommand) -> Result<()> { bail!("not implemented yet") }
