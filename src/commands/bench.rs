//! `ringside bench ...`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::BenchCommand;
pub fn run(_g: &Globals, _c: BenchCommand) -> Result<()> { bail!("not implemented yet") }
