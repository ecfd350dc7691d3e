//! (to be written)
pub fn bench_classify() -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
