//! `ringside classify`
use anyhow::{bail, Result};
use super::Globals;
pub fn run(_g: &Globals) -> Result<()> { bail!("not implemented yet") }
