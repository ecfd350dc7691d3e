//! `ringside bench ...`: benchmarks that print figures, last line `key=value` pairs.
use anyhow::Result;

use super::Globals;
use crate::cli::BenchCommand;

pub fn run(g: &Globals, c: BenchCommand) -> Result<()> {
    match c {
        BenchCommand::Asr { clips } => bench_asr(g, clips),
        BenchCommand::Latency { call, speed } => bench_latency(g, call, speed),
        BenchCommand::Classify => crate::transforms::coach::bench_classify(),
    }
}

fn bench_asr(_g: &Globals, _clips: Vec<std::path::PathBuf>) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

fn bench_latency(
    _g: &Globals,
    _call: Option<std::path::PathBuf>,
    _speed: crate::cli::Speed,
) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
