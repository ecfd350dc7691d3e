//! `ringside practice`, `ringside devices`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::PracticeArgs;
pub fn run(_g: &Globals, _a: PracticeArgs) -> Result<()> { bail!("not implemented yet") }
pub fn devices(_g: &Globals) -> Result<()> { bail!("not implemented yet") }
