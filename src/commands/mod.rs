//! One function per CLI command. Each loads what it needs, runs, and prints; errors bubble up
//! as `anyhow` with context, and `main` prints them as one line.

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::Config;

pub mod bench;
pub mod classify;
pub mod daemon;
pub mod drill;
pub mod eval;
pub mod eval_calls;
pub mod eval_prosody;
pub mod eval_real;
pub mod eval_talk;
pub mod model;
pub mod peer;
pub mod practice;
pub mod roleplay;
pub mod sessions;
pub mod transcribe;

/// After a call: the recording's warnings, then where it was recorded and how to review it,
/// or, when the recording lacks part of the call, what it holds.
pub fn print_recorded(r: &crate::session::FinishedSession) {
    for w in &r.warnings {
        eprintln!("ringside: warning: {w}");
    }
    match &r.incomplete {
        // Not "recorded to": the recording lacks part of the call.
        Some(inc) => eprintln!("ringside: {}", inc.line(&r.dir)),
        None => eprintln!(
            "ringside: recorded to {}; review it with `ringside review {}`",
            r.dir.display(),
            r.info.id
        ),
    }
}

/// An error and its causes on one line, each cause said once. Library errors often quote
/// their source in their own message (`"cannot open X: {source}; check the path"`) and also
/// return it as `source()`, so `{:#}` printed the OS error twice; a cause whose text the line
/// already holds is left out.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Global options every command sees.
pub struct Globals {
    pub config: Config,
    /// The models directory came from `--models-dir` or `RINGSIDE_MODELS` (not the config's
    /// default): it must exist, so a typo never gets a model converted into a new folder.
    pub models_dir_given: bool,
}

impl Globals {
    /// The models directory for a command that installs or loads models: a directory given
    /// on the command line (or in `RINGSIDE_MODELS`) that does not exist is refused.
    pub fn models_dir(&self) -> Result<&std::path::Path> {
        let dir = self.config.models.dir.as_path();
        if self.models_dir_given && !dir.is_dir() {
            anyhow::bail!(
                "models directory {} (from --models-dir or RINGSIDE_MODELS) does not exist; check the path, or create it with `mkdir -p {}` to install models there",
                dir.display(),
                dir.display()
            );
        }
        Ok(dir)
    }
}

/// Resolves a model name or path (default: `models.default`), fetching the default model on
/// first use.
pub fn model_path(g: &Globals, spec: Option<&str>) -> Result<std::path::PathBuf> {
    let spec = spec.unwrap_or(&g.config.models.default);
    Ok(crate::model::resolve(spec, g.models_dir()?, true)?)
}

pub fn run(cli: Cli) -> Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    let models_dir_given = cli.models_dir.is_some();
    if let Some(dir) = cli.models_dir {
        config.models.dir = dir;
    }
    let g = Globals {
        config,
        models_dir_given,
    };
    match cli.command {
        Command::Practice(a) => practice::run(&g, a),
        Command::Transcribe(a) => transcribe::run(&g, a),
        Command::Devices => practice::devices(&g),
        Command::Model(c) => model::run(&g, c),
        Command::Classify => classify::run(&g),
        Command::Eval(c) => eval::run(&g, c),
        Command::Analyze(a) => sessions::analyze(&g, a),
        Command::Sessions(a) => sessions::sessions(&g, a),
        Command::Report(a) => sessions::report(&g, a),
        Command::Review(a) => sessions::review(&g, a),
        Command::Bench(c) => bench::run(&g, c),
        Command::Daemon(a) => daemon::daemon(&g, a),
        Command::Start(a) => daemon::start(&g, a),
        Command::Stop => daemon::stop(&g),
        Command::Status(a) => daemon::status(&g, a),
        Command::Roleplay(a) => roleplay::run(&g, a),
        Command::Drill(a) => drill::run(&g, a),
        Command::Scenarios => roleplay::scenarios(&g),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_quoted_by_its_context_is_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let wav = crate::audio::wav::WavError::Open {
            path: "x.wav".into(),
            source: io,
        };
        let e = anyhow::Error::new(wav).context("loading the call");
        let line = super::error_line(&e);
        assert_eq!(line.matches("entity not found").count(), 1, "{line}");
        assert!(
            line.starts_with("loading the call: cannot open x.wav"),
            "{line}"
        );
    }
}
