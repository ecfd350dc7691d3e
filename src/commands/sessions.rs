//! `ringside sessions` (list, repair, reindex, delete, export), `report`, `review`, `analyze`: the commands over
//! recorded session directories (see [`crate::session`] for the on-disk format).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::Globals;
use crate::cli::{AnalyzeArgs, ReportArgs, ReviewArgs, SessionsArgs, SessionsCommand};
use crate::event::mmss;
use crate::session::index::{db_path, Store};
use crate::session::{self, debrief, review};

/// `ringside analyze FILE.wav`: the recorded call through the same pipeline, as fast as the
/// machine allows, into a session directory like a live one. Prints progress on stderr and the
/// session directory as the last line of stdout.
pub fn analyze(g: &Globals, a: AnalyzeArgs) -> Result<()> {
    use crate::app::{Input, SessionBuilder};
    use crate::event::{Event, SessionEvent};
    use crate::session::meta::session_meta;
    use crate::sinks::FnSink;
    use std::io::{IsTerminal, Write};
    let input = Input::Replay {
        path: a.file.clone(),
        them: a.them.clone(),
        speed: crate::event::Speed::Max,
        blocks: crate::sources::replay::Blocks::default(),
    };
    // Reject unreadable input before loading the model.
    // Headers only: the audio is streamed by the replay (a 3-hour file is not held).
    let probe = |p: &std::path::Path| -> Result<f64> {
        let w = crate::audio::wav::WavStream::open(p)?;
        if w.frames == 0 {
            return Err(crate::audio::wav::WavError::Empty {
                path: p.to_path_buf(),
            }
            .into());
        }
        Ok(w.frames as f64 / f64::from(w.spec.sample_rate))
    };
    let total = probe(&a.file)?;
    if let Some(t) = &a.them {
        probe(t)?;
    }
    let model = super::model_path(g, a.model.as_deref())?;
    let mut coach = crate::transforms::coach::Coach::load(g.config.coach.rules.as_deref())?;
    let transcriber = crate::transforms::transcribe::Transcriber::new(&model, &g.config.asr)?;
    let dir = sessions_dir(g, a.sessions_dir.clone());
    let meta = session_meta(input.devices(), &model, &g.config);
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut last_shown = 0.0f64;
    let mut progress = FnSink(|ev: Event<'_>| {
        if let Event::Audio(b) = ev {
            let t = crate::event::samples_to_secs(b.start_sample + b.samples.len() as u64);
            if t - last_shown >= 10.0 || (tty && t - last_shown >= 1.0) {
                last_shown = t;
                let pct = if total > 0.0 { 100.0 * t / total } else { 0.0 };
                let mut e = std::io::stderr().lock();
                let _ = write!(
                    e,
                    "{}analyze: {:5.1}% ({:.0} of {:.0} s){}",
                    if tty { "\r" } else { "" },
                    pct.min(100.0),
                    t,
                    total,
                    if tty { "" } else { "\n" }
                );
                let _ = e.flush();
            }
        } else if let Event::Record(SessionEvent::Warning { message }) = ev {
            eprintln!("\nanalyze: warning: {message}");
        }
        Ok(())
    });
    let out = SessionBuilder::new(&g.config, input)
        .record(Some(dir), meta)
        .sink(&mut progress)
        .run(transcriber, &mut coach)?;
    let wall = started.elapsed().as_secs_f64();
    if tty {
        eprintln!();
    }
    eprintln!(
        "analyze: {:.1} s of audio in {:.1} s ({:.1}x real time): {} utterances, {} cues",
        total,
        wall,
        if wall > 0.0 { total / wall } else { 0.0 },
        out.summary.utterances.len(),
        out.summary.cues.len()
    );
    let rec = out
        .recording
        .ok_or_else(|| anyhow::anyhow!("the session was not recorded"))?;
    for w in &rec.warnings {
        eprintln!("analyze: warning: {w}");
    }
    if let Some(inc) = &rec.incomplete {
        eprintln!("analyze: {}", inc.line(&rec.dir));
    }
    println!("{}", rec.dir.display());
    Ok(())
}

fn sessions_dir(g: &Globals, flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(|| g.config.session.dir.clone())
}

/// `2026-11-26T14:05:09+01:00` -> `2026-11-26 14:05`.
fn short_date(rfc3339: &str) -> String {
    let s: String = rfc3339.chars().take(16).collect();
    s.replace('T', " ")
}

pub fn sessions(g: &Globals, a: SessionsArgs) -> Result<()> {
    let dir = sessions_dir(g, a.sessions_dir);
    match a.command.unwrap_or(SessionsCommand::List) {
        SessionsCommand::List => list(&dir),
        SessionsCommand::Reindex => reindex(g, &dir),
        SessionsCommand::Delete { session, yes } => delete(g, &dir, &session, yes),
        SessionsCommand::Export { session, output } => export(g, &dir, &session, output),
        SessionsCommand::Repair { session: Some(q) } => {
            let d = session::resolve_session(&dir, &q)?;
            let rep = session::repair(&d)?;
            println!("{rep}");
            Ok(())
        }
        SessionsCommand::Repair { session: None } => {
            let results = session::repair_unfinished(&dir)?;
            if results.is_empty() {
                println!("No unfinished sessions in {}.", dir.display());
            }
            let mut failed = 0;
            for r in results {
                match r {
                    Ok(rep) => println!("{rep}"),
                    Err(e @ session::SessionError::InUse { .. }) => {
                        println!("Left alone: {e}");
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("ringside: error: {e}");
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} session(s) could not be repaired (see above)");
            }
            Ok(())
        }
    }
}

fn list(dir: &Path) -> Result<()> {
    let all = session::list_sessions(dir)?;
    if all.is_empty() {
        println!(
            "No sessions in {} yet; record one with `ringside practice`.",
            dir.display()
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:<16} {:>7} {:>5} {:<6} CUES",
        "ID", "DATE", "LENGTH", "UTTS", "COMMIT"
    )?;
    let mut unfinished = 0;
    for s in &all {
        let cues: Vec<String> = s.cues.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        let mut cues = cues.join(" ");
        if cues.is_empty() {
            cues = "-".into();
        }
        let mark = if !s.finished {
            unfinished += 1;
            "  [unfinished]"
        } else if s.repaired {
            "  [repaired]"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<24} {:<16} {:>7} {:>5} {:<6} {cues}{mark}",
            s.id,
            short_date(&s.started_at),
            mmss(s.duration),
            s.utterances,
            if s.commitment_reached { "yes" } else { "no" },
        )?;
    }
    if unfinished > 0 {
        writeln!(
            out,
            "{unfinished} unfinished session(s) (the recorder was interrupted); run `ringside sessions repair`."
        )?;
    }
    Ok(())
}

pub fn report(g: &Globals, a: ReportArgs) -> Result<()> {
    let dir = sessions_dir(g, a.sessions_dir);
    let d = session::resolve_session(&dir, &a.session)?;
    let s = session::load_session(&d)?;
    let debrief = load_debrief(g, &s)?;
    let drills = crate::session::drill::load(&s.dir);
    if a.json {
        // The scorecard with enough metadata to tell sessions apart.
        let v = serde_json::json!({
            "id": s.info.id,
            "started_at": s.info.started_at,
            "duration": s.info.duration,
            "finished": s.info.finished,
            "repaired": s.info.repaired,
            "scorecard": s.scorecard,
            "debrief": debrief,
            "drill": drills.as_ref().ok(),
            "drill_error": drills.as_ref().err().map(|e| e.to_string()),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).context("serialising the scorecard")?
        );
        return Ok(());
    }
    println!(
        "Session {} (started {}, {})",
        s.info.id,
        short_date(&s.info.started_at),
        mmss(s.info.duration)
    );
    if !s.info.finished {
        println!(
            "  unfinished (interrupted recording): numbers from the events so far; run `ringside sessions repair {}`",
            s.info.id
        );
    }
    if let Some(e) = &s.info.audio_error {
        println!("  note: recording problem during the call: {e}");
    }
    for issue in &s.log_issues {
        println!("  note: {issue}");
    }
    print!("{}", s.scorecard.render_text());
    print!("{}", debrief.render_summary());
    print!("{}", debrief.render_rewrites());
    print_drills(drills);
    Ok(())
}

/// The drill section (runs of `ringside drill`), or a note when `drill.json` is unreadable.
fn print_drills(
    drills: Result<crate::session::drill::DrillLog, crate::session::drill::DrillError>,
) {
    match drills {
        Ok(log) if log.runs.is_empty() => {
            println!(
                "Drills            none yet; drill these moments out loud with `ringside drill ID`"
            )
        }
        Ok(log) => print!("{}", log.render()),
        Err(e) => println!("  note: {e}"),
    }
}

/// The session's debrief: its `debrief.json`, or computed with the configured rewrite rules.
fn load_debrief(g: &Globals, s: &session::LoadedSession) -> Result<debrief::Debrief> {
    let rules = crate::transforms::rewrite::RewriteRules::load(g.config.coach.rewrites.as_deref())?;
    Ok(debrief::load_or_build(&s.dir, &s.events, &rules))
}

pub fn review(g: &Globals, a: ReviewArgs) -> Result<()> {
    let dir = sessions_dir(g, a.sessions_dir);
    let d = session::resolve_session(&dir, &a.session)?;
    let s = session::load_session(&d)?;
    let debrief = load_debrief(g, &s)?;
    if a.no_audio {
        print!("{}", debrief::format_timeline(&s.events, &debrief));
        print!("{}", debrief.render_summary());
        print_drills(crate::session::drill::load(&s.dir));
        return Ok(());
    }
    if !s.info.finished {
        eprintln!(
            "note: session {} is unfinished; audio may end early until `ringside sessions repair {}`",
            s.info.id, s.info.id
        );
    }
    let items = debrief::timeline_with_rewrites(&s.events, &debrief);
    review::play_timeline(&s, items, &mut std::io::stdout())?;
    print!("{}", debrief.render_summary());
    print_drills(crate::session::drill::load(&s.dir));
    Ok(())
}

/// `ringside sessions delete ID`: the directory, then the index row (if there is an index).
fn delete(g: &Globals, sessions_dir: &Path, query: &str, yes: bool) -> Result<()> {
    use std::io::IsTerminal;
    let d = session::resolve_session(sessions_dir, query)?;
    let s = session::load_session(&d)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "not deleting {} without confirmation: pass --yes (stdin is not a terminal)",
                s.info.id
            );
        }
        print!(
            "Delete session {} ({}, {}) and its recording? [y/N] ",
            s.info.id,
            short_date(&s.info.started_at),
            mmss(s.info.duration)
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Not deleted.");
            return Ok(());
        }
    }
    session::delete_session(&d)?;
    let db = db_path(g.config.daemon.db.as_deref(), sessions_dir);
    if db.is_file() {
        Store::open(&db)?.remove(&s.info.id)?;
    }
    println!("deleted {} ({})", s.info.id, d.display());
    Ok(())
}

/// `ringside sessions export ID [-o FILE]`.
fn export(g: &Globals, sessions_dir: &Path, query: &str, output: Option<PathBuf>) -> Result<()> {
    let d = session::resolve_session(sessions_dir, query)?;
    let id = d
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dest = output.unwrap_or_else(|| PathBuf::from(session::archive::archive_name(&id)));
    let rules = crate::transforms::rewrite::RewriteRules::load(g.config.coach.rewrites.as_deref())?;
    let report = session::archive::write_archive_file(&d, &rules, &dest)?;
    for f in &report.computed {
        eprintln!("ringside: {f} was not in the session directory; computed from the events");
    }
    println!("{}", dest.display());
    Ok(())
}

/// `ringside sessions reindex`.
fn reindex(g: &Globals, sessions_dir: &Path) -> Result<()> {
    let db = db_path(g.config.daemon.db.as_deref(), sessions_dir);
    let mut store = Store::open(&db)?;
    let rep = store.reindex(sessions_dir)?;
    for s in &rep.skipped {
        eprintln!("ringside: warning: skipped {s}");
    }
    println!(
        "indexed {} session(s) from {} into {}",
        rep.indexed,
        sessions_dir.display(),
        db.display()
    );
    Ok(())
}
