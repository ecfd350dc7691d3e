//! `ringside sessions`, `report`, `review`, `analyze`
use anyhow::{bail, Result};
use super::Globals;
use crate::cli::{AnalyzeArgs, ReportArgs, ReviewArgs, SessionsArgs};
pub fn analyze(_g: &Globals, _a: AnalyzeArgs) -> Result<()> { bail!("not implemented yet") }
pub fn sessions(_g: &Globals, _a: SessionsArgs) -> Result<()> { bail!("not implemented yet") }
pub fn report(_g: &Globals, _a: ReportArgs) -> Result<()> { bail!("not implemented yet") }
pub fn review(_g: &Globals, _a: ReviewArgs) -> Result<()> { bail!("not implemented yet") }
