//! `ringside transcribe FILE.wav`: a whole file through the live path (VAD segments, each
//! decoded like a live utterance), timestamped lines or JSON. Channels are mixed.

use anyhow::{Context, Result};

use super::Globals;
use crate::audio::wav::read_wav;
use crate::cli::TranscribeArgs;
use crate::transforms::transcribe::Transcriber;

pub fn run(g: &Globals, a: TranscribeArgs) -> Result<()> {
    let audio = read_wav(&a.file)?;
    let model = super::model_path(g, a.model.as_deref())?;
    let mut t = Transcriber::new(&model, &g.config.asr)?;
    let mono = audio.mono();
    let started = std::time::Instant::now();
    let spans = crate::app::transcribe_offline(&g.config, &mut t, &mono)
        .with_context(|| format!("transcribing {}", a.file.display()))?;
    let text = spans
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let decode_s = started.elapsed().as_secs_f64();
    if a.json {
        let segs: Vec<serde_json::Value> = spans
            .iter()
            .map(|s| serde_json::json!({"start": s.start_secs, "end": s.end_secs, "text": s.text}))
            .collect();
        let v = serde_json::json!({
            "file": a.file.display().to_string(),
            "duration": audio.duration_secs(),
            "model": model.display().to_string(),
            "decode_secs": decode_s,
            "text": text,
            "segments": segs,
        });
        println!("{v}");
    } else {
        for s in &spans {
            println!("[{:7.2} -> {:7.2}] {}", s.start_secs, s.end_secs, s.text);
        }
        if spans.is_empty() {
            eprintln!("no speech found in {}", a.file.display());
        }
    }
    Ok(())
}
