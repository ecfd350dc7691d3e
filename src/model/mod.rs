//! (temporary stub until the model branch lands)
use std::path::{Path, PathBuf};
#[derive(Debug, thiserror::Error)]
#[error("model {0} not found; run `ringside model fetch tiny.en`")]
pub struct ModelError(String);
pub fn resolve(spec: &str, models_dir: &Path, _progress: bool) -> Result<PathBuf, ModelError> {
    let p = Path::new(spec);
    if p.is_file() { return Ok(p.to_path_buf()); }
    let f = models_dir.join(format!("ggml-{spec}.bin"));
    if f.is_file() { Ok(f) } else { Err(ModelError(f.display().to_string())) }
}
