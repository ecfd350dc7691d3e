//! `ringside model ...`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::ModelCommand;
pub fn run(_g: &Globals, _c: ModelCommand) -> Result<()> { bail!("not implemented yet") }
