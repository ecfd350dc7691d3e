//! `ringside transcribe FILE.wav`: a whole file through Whisper, timestamped lines or JSON.

use anyhow::{Context, Result};

use super::Globals;
use crate::audio::wav::read_wav;
use crate::cli::TranscribeArgs;
use crate::transforms::transcribe::{DecodeMode, Transcriber};

pub fn run(g: &Globals, a: TranscribeArgs) -> Result<()> {
    let audio = read_wav(&a.file)?;
    let model = super::model_path(g, a.model.as_deref())?;
    let mut t = Transcriber::new(&model, &g.config.asr)?;
    let mono = audio.mono();
    let started = std::time::Instant::now();
    let tr = t
        .transcribe(&mono, DecodeMode::File)
        .with_context(|| format!("transcribing {}", a.file.display()))?;
    let decode_s = started.elapsed().as_secs_f64();
    if a.json {
        let segs: Vec<serde_json::Value> = tr
            .spans
            .iter()
            .map(|s| serde_json::json!({"start": s.start_secs, "end": s.end_secs, "text": s.text}))
            .collect();
        let v = serde_json::json!({
            "file": a.file.display().to_string(),
            "duration": audio.duration_secs(),
            "model": model.display().to_string(),
            "decode_secs": decode_s,
            "text": tr.text(),
            "segments": segs,
        });
        println!("{v}");
    } else {
        for s in &tr.spans {
            println!("[{:7.2} -> {:7.2}] {}", s.start_secs, s.end_secs, s.text);
        }
        if tr.spans.is_empty() {
            eprintln!("no speech found in {}", a.file.display());
        }
    }
    Ok(())
}
