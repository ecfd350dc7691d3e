//! Spoken drills: for each weak moment of a recorded call, Ringside plays the counterpart's
//! line that came before it, listens to the practitioner's answer through the same pipeline
//! as practice, and says whether the answer is the act the rewrite aims at.
//!
//! ```text
//!  per try:  prompt (cut from audio.wav) -> role-play voice thread -> output device
//!                                              | played samples + the line's text = "them"
//!  mic (cpal) -> VAD -> Whisper -> coach ------+--> TrySink (session thread): verdict, stop
//!  simulated practitioner (optional): a TTS line -> paplay -> virtual mic, after the prompt
//! ```
//!
//! Each try is one short session of [`crate::app::SessionBuilder`] (live mic, the prompt as
//! its "them" feed, not recorded), so the classifier hears every answer in the same context:
//! a fresh conversation whose only line before it is the prompt. The Whisper state is handed
//! from one try to the next. Threads: the pipeline's, the role-play voice thread
//! ([`crate::roleplay::player`]) and, headless, the simulated practitioner's; the caller's
//! thread runs the session loop and `on_event`. Which moments, the verdict and `drill.json`
//! are in [`crate::session::drill`].
//!
//! Channel edges are role-play's: the prompt's "them" feed (bounded 256 blocks; full: the
//! voice thread waits up to 500 ms, then drops the block and counts it), the VAD notices for
//! barge-in (bounded 1024; full: dropped, a capture thread never waits) and the voice
//! thread's notes (bounded 256; full: dropped). A practitioner's errors (bounded 64; full:
//! dropped) are shown as warnings.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use crate::app::{FeedItem, Input, SessionBuilder, SessionHooks};
use crate::config::{Config, CounterpartInput};
use crate::event::{samples_to_secs, secs_to_samples, AudioBlock, Event, SessionEvent, Speaker};
use crate::roleplay::player::{Player, PlayerCmd};
use crate::roleplay::practitioner;
use crate::roleplay::voice::{self, Tts, VoiceError};
use crate::roleplay::{LineKind, PlayerConfig, PlayerNote, PractitionerConfig, Script};
use crate::session::drill::{another_try, judge, DrillMoment, DrillRun, DrillTry};
use crate::sinks::Sink;
use crate::transforms::coach::Coach;
use crate::transforms::transcribe::{DecodeMode, Transcriber};

/// One moment to drill: its record (no tries yet) and what is played or shown before it.
#[derive(Debug, Clone)]
pub struct DrillItem {
    pub moment: DrillMoment,
    /// The counterpart's line at 16 kHz, cut from the recording (`None`: no prompt).
    pub prompt_audio: Option<Arc<[f32]>>,
    /// The situation in words, for a moment without a prompt.
    pub situation: Option<String>,
}

/// How a drill runs.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    /// Input device of the practitioner (`None`: the default input).
    pub mic: Option<String>,
    /// How the prompts go out (the role-play voice's settings).
    pub player: PlayerConfig,
    /// A simulated practitioner: one line per try, in order (headless runs).
    pub practitioner: Option<(Script, PractitionerConfig)>,
    /// TTS cache directory of the simulated practitioner.
    pub tts_cache: PathBuf,
    /// Tries per moment (a hit ends the moment earlier).
    pub max_tries: usize,
    /// A try without any speech for this long ends as "no answer".
    pub answer_timeout: Duration,
    /// The prompt starts this long after a try opens (capture is running by then).
    pub opening_delay: Duration,
}

impl Default for DrillOptions {
    fn default() -> Self {
        DrillOptions {
            mic: None,
            player: PlayerConfig::default(),
            practitioner: None,
            tts_cache: voice::default_cache_dir(),
            max_tries: 2,
            answer_timeout: Duration::from_secs(30),
            opening_delay: Duration::from_millis(800),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DrillRunError {
    #[error(transparent)]
    Voice(#[from] VoiceError),
    #[error("{0}")]
    Output(String),
    #[error("simulated practitioner: {0}")]
    Practitioner(String),
    #[error("{0:#}")]
    Session(anyhow::Error),
    #[error("{0:#}")]
    Caller(anyhow::Error),
}

/// What a drill reports while it runs (on the caller's thread).
#[derive(Debug)]
pub enum DrillEvent<'a> {
    /// A moment starts (`index` from 0).
    Moment {
        index: usize,
        total: usize,
        item: &'a DrillItem,
    },
    /// A try starts (`number` from 1).
    Try {
        moment: usize,
        number: usize,
        max: usize,
    },
    /// The prompt was played (or, without one, listening starts): the practitioner's turn.
    Listening { prompted: bool },
    /// The try's pipeline: its audio and records (the prompt and the answer as utterances).
    Pipeline(Event<'a>),
    /// "me" spoke but nothing was understood: the try goes on listening.
    Unclear,
    /// The verdict on a try, given as soon as the answer is classified (or when it timed
    /// out). `number` counts from 1; `more`: another try of this moment follows.
    Verdict {
        moment: usize,
        number: usize,
        item: &'a DrillMoment,
        attempt: &'a DrillTry,
        more: bool,
    },
    /// Something to say that does not stop the drill.
    Warning(String),
}

/// The outcome of [`run`].
pub struct DrillOutcome {
    /// The run as it goes into `drill.json` (tallied).
    pub run: DrillRun,
    /// Handed back, so a caller keeps the model loaded.
    pub transcriber: Transcriber,
}

type OnEvent<'f> = dyn FnMut(&DrillEvent) -> anyhow::Result<()> + 'f;

/// Drills `items` in order, up to `opts.max_tries` tries each, until done, `stop` is set
/// (Ctrl-C) or the simulated practitioner has no line left. The result is not written:
/// the caller appends it to `drill.json`.
pub fn run(
    cfg: &Config,
    items: &[DrillItem],
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: Arc<AtomicBool>,
    opts: DrillOptions,
    on_event: &mut OnEvent<'_>,
) -> Result<DrillOutcome, DrillRunError> {
    let clips = match &opts.practitioner {
        Some((script, _)) => {
            practitioner::check_paplay().map_err(DrillRunError::Practitioner)?;
            practitioner::prepare(
                script,
                &Tts::new(opts.tts_cache.clone()).with_models_dir(&cfg.models.dir),
            )?
        }
        None => Vec::new(),
    };
    // Whisper's first decode is slower than the rest: pay it now, not on the first answer.
    let mut transcriber = transcriber;
    if let Some(a) = items.iter().find_map(|i| i.prompt_audio.as_ref()) {
        let _ = transcriber.transcribe(a, DecodeMode::Utterance);
    }
    let now = std::time::SystemTime::now();
    let mut run = DrillRun {
        started: crate::session::time::LocalTime::from_system(now).rfc3339(),
        finished: false,
        max_tries: opts.max_tries as u32,
        moments: Vec::new(),
        tries: 0,
        hits: 0,
    };
    let mut next_clip = 0usize;
    let mut complete = true;
    'moments: for (index, item) in items.iter().enumerate() {
        let total = items.len();
        on_event(&DrillEvent::Moment { index, total, item }).map_err(DrillRunError::Caller)?;
        let mut m = item.moment.clone();
        while another_try(&m.tries, opts.max_tries) {
            if stop.load(Ordering::Relaxed) {
                complete = false;
                break;
            }
            let clip = match &opts.practitioner {
                None => None,
                Some(_) => match clips.get(next_clip) {
                    Some(c) => {
                        next_clip += 1;
                        Some(c.clone())
                    }
                    None => {
                        on_event(&DrillEvent::Warning(
                            "the practitioner script has no line left: the drill stops here".into(),
                        ))
                        .map_err(DrillRunError::Caller)?;
                        complete = false;
                        break;
                    }
                },
            };
            on_event(&DrillEvent::Try {
                moment: index,
                number: m.tries.len() + 1,
                max: opts.max_tries,
            })
            .map_err(DrillRunError::Caller)?;
            let at = TryAt {
                index,
                moment: &m,
                max: opts.max_tries,
            };
            let (t, attempt) = one_try(
                cfg,
                item,
                at,
                transcriber,
                coach,
                &stop,
                &opts,
                clip,
                on_event,
            )?;
            transcriber = t;
            let Some(attempt) = attempt else {
                complete = false;
                break;
            };
            m.tries.push(attempt);
        }
        if !m.tries.is_empty() {
            run.moments.push(m);
        }
        if !complete {
            break 'moments;
        }
    }
    run.finished = complete && run.moments.len() == items.len();
    run.tally();
    Ok(DrillOutcome { run, transcriber })
}

/// Which try this is: the moment (with its tries so far) and how many are allowed.
#[derive(Clone, Copy)]
struct TryAt<'m> {
    index: usize,
    moment: &'m DrillMoment,
    max: usize,
}

impl TryAt<'_> {
    /// The verdict event of `attempt`, this try's answer.
    fn verdict<'a>(&'a self, attempt: &'a DrillTry) -> DrillEvent<'a> {
        let number = self.moment.tries.len() + 1;
        DrillEvent::Verdict {
            moment: self.index,
            number,
            item: self.moment,
            attempt,
            more: !attempt.hit && number < self.max,
        }
    }
}

/// A silent prompt for a moment without one: its end is when listening starts.
const SILENT_PROMPT_SAMPLES: usize = 3_200;

/// One try: a short session that plays the prompt and ends at the first answer of "me"
/// (`None`: stopped before one).
#[allow(clippy::too_many_arguments)] // private: the parts of one try
fn one_try(
    cfg: &Config,
    item: &DrillItem,
    at: TryAt<'_>,
    transcriber: Transcriber,
    coach: &mut Coach,
    stop: &Arc<AtomicBool>,
    opts: &DrillOptions,
    clip: Option<PathBuf>,
    on_event: &mut OnEvent<'_>,
) -> Result<(Transcriber, Option<DrillTry>), DrillRunError> {
    // A fresh conversation: the prompt is the only line before the answer.
    coach.reset();
    let try_stop = Arc::new(AtomicBool::new(false));
    let (feed_tx, feed_rx) = crossbeam_channel::bounded::<FeedItem>(256);
    let (vad_tx, vad_rx) = crossbeam_channel::bounded(1024);
    let line: Arc<[f32]> = item
        .prompt_audio
        .clone()
        .unwrap_or_else(|| vec![0.0f32; SILENT_PROMPT_SAMPLES].into());
    // The prompt's words go with its audio as the "them" utterance (the classifier's context).
    let texts = Some(vec![item.moment.prompt.clone().unwrap_or_default()]);
    let player = Player::spawn(
        opts.player.clone(),
        vec![line],
        Instant::now(),
        try_stop.clone(),
        feed_tx,
        vad_rx,
        texts,
    )
    .map_err(|e| DrillRunError::Output(format!("cannot start the voice thread: {e}")))?;
    let wait = opts.player.start_timeout + Duration::from_secs(2);
    match player.notes.recv_timeout(wait) {
        Ok(PlayerNote::Ready { .. }) => {}
        Ok(PlayerNote::Failed { message }) => {
            try_stop.store(true, Ordering::Relaxed);
            player.join();
            return Err(DrillRunError::Output(message));
        }
        other => {
            try_stop.store(true, Ordering::Relaxed);
            player.join();
            return Err(DrillRunError::Output(format!(
                "the output did not open within {wait:?} ({other:?})"
            )));
        }
    }
    let (perr_tx, perr_rx) = crossbeam_channel::bounded::<String>(64);
    let mut pthread = None;
    if let (Some(clip), Some((_, pcfg))) = (clip, &opts.practitioner) {
        pthread = Some(
            practitioner::spawn(
                pcfg.clone(),
                vec![clip],
                vec![false],
                player.shared.clone(),
                Arc::new(AtomicBool::new(false)),
                try_stop.clone(),
                Arc::new(AtomicBool::new(false)),
                perr_tx,
            )
            .map_err(|e| DrillRunError::Practitioner(e.to_string()))?,
        );
    }
    let say = PlayerCmd::Say {
        line: 0,
        kind: LineKind::Reply,
        reply_to: None,
        not_before: Some(Instant::now() + opts.opening_delay),
    };
    if player.cmd.try_send(say).is_err() {
        on_event(&DrillEvent::Warning(
            "the voice thread is not taking the prompt".into(),
        ))
        .map_err(DrillRunError::Caller)?;
    }
    let input = Input::Live {
        mic: opts.mic.clone(),
        counterpart: CounterpartInput::None,
    };
    let hooks = SessionHooks {
        them_feed: Some(feed_rx),
        transcribe_them_feed: false,
        vad: Some(vad_tx),
    };
    let mut sink = TrySink {
        player: &player,
        at,
        on_event,
        practitioner_errors: perr_rx,
        stop,
        try_stop: try_stop.clone(),
        target: item.moment.target,
        land: item.moment.flag == crate::transforms::rewrite::Flag::LandIt,
        prompted: item.prompt_audio.is_some(),
        timeout: opts.answer_timeout,
        prompt_end: None,
        last_activity: None,
        answer: None,
        timed_out: false,
        failed: None,
    };
    let result = SessionBuilder::new(cfg, input)
        .stop_flag(try_stop.clone())
        .hooks(hooks)
        .sink(&mut sink)
        .run(transcriber, coach);
    try_stop.store(true, Ordering::Relaxed);
    let TrySink {
        answer,
        timed_out,
        failed,
        ..
    } = sink;
    player.join();
    if let Some(t) = pthread {
        let _ = t.join();
    }
    let out = result.map_err(DrillRunError::Session)?;
    if let Some(f) = failed {
        return Err(DrillRunError::Output(f));
    }
    let attempt = match (answer, timed_out) {
        (Some(a), _) => Some(a),
        (None, true) => {
            let a = DrillTry {
                text: String::new(),
                act: None,
                hit: false,
                latency_ms: None,
                verdict_ms: None,
            };
            on_event(&at.verdict(&a)).map_err(DrillRunError::Caller)?;
            Some(a)
        }
        (None, false) => None,
    };
    Ok((out.transcriber, attempt))
}

/// The session-thread side of one try: passes the pipeline on, notes when the prompt ended,
/// and stops the try at the first answer of "me" (or at the timeout, or Ctrl-C).
struct TrySink<'p, 'f, 'g> {
    player: &'p Player,
    at: TryAt<'p>,
    on_event: &'f mut OnEvent<'g>,
    practitioner_errors: Receiver<String>,
    /// Ctrl-C: the whole drill.
    stop: &'p AtomicBool,
    /// This try's session, voice and practitioner.
    try_stop: Arc<AtomicBool>,
    target: crate::event::Act,
    /// A delivery moment: the try hits when its end falls (or stays level), whatever words.
    land: bool,
    prompted: bool,
    timeout: Duration,
    /// Where the prompt's playback ended (stream samples).
    prompt_end: Option<u64>,
    /// Since when listening without hearing "me" speak.
    last_activity: Option<Instant>,
    answer: Option<DrillTry>,
    timed_out: bool,
    failed: Option<String>,
}

impl TrySink<'_, '_, '_> {
    fn on(&mut self, ev: Event<'_>) -> anyhow::Result<()> {
        (self.on_event)(&DrillEvent::Pipeline(ev))?;
        while let Ok(note) = self.player.notes.try_recv() {
            match note {
                PlayerNote::Finished { at_sample, .. } if self.prompt_end.is_none() => {
                    self.prompt_end = Some(at_sample);
                    self.last_activity = Some(Instant::now());
                    (self.on_event)(&DrillEvent::Listening {
                        prompted: self.prompted,
                    })?;
                }
                PlayerNote::Warning { message } => {
                    (self.on_event)(&DrillEvent::Warning(message))?;
                }
                PlayerNote::Failed { message } => {
                    self.failed.get_or_insert(message);
                    self.try_stop.store(true, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        while let Ok(e) = self.practitioner_errors.try_recv() {
            (self.on_event)(&DrillEvent::Warning(format!("simulated practitioner: {e}")))?;
        }
        if let Event::Record(r) = ev {
            match r {
                SessionEvent::Utterance {
                    speaker: Speaker::Me,
                    start,
                    act,
                    text,
                    latency_ms,
                    prosody,
                    ..
                } if self.answer.is_none() => {
                    // Answer start against the prompt's end (0 when it talked over the prompt).
                    let from = self.prompt_end.unwrap_or(0);
                    let latency =
                        samples_to_secs(secs_to_samples(*start).saturating_sub(from)) * 1000.0;
                    let a = DrillTry {
                        text: text.clone(),
                        act: Some(*act),
                        hit: if self.land {
                            crate::session::drill::landed(prosody.as_ref())
                        } else {
                            judge(self.target, Some(*act))
                        },
                        latency_ms: Some(latency.round()),
                        verdict_ms: latency_ms.map(f64::round),
                    };
                    self.try_stop.store(true, Ordering::Relaxed);
                    (self.on_event)(&self.at.verdict(&a))?;
                    self.answer = Some(a);
                }
                SessionEvent::Unclear {
                    speaker: Speaker::Me,
                    ..
                } => (self.on_event)(&DrillEvent::Unclear)?,
                _ => {}
            }
        }
        if self.player.shared.me_speaking.load(Ordering::Acquire) && self.last_activity.is_some() {
            self.last_activity = Some(Instant::now());
        }
        if self.answer.is_none()
            && self
                .last_activity
                .is_some_and(|t| t.elapsed() > self.timeout)
        {
            self.timed_out = true;
            self.try_stop.store(true, Ordering::Relaxed);
        }
        if self.stop.load(Ordering::Relaxed) {
            self.try_stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Sink for TrySink<'_, '_, '_> {
    fn audio(&mut self, block: &AudioBlock) -> std::io::Result<()> {
        self.on(Event::Audio(block))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }

    fn handle(&mut self, ev: &SessionEvent) -> std::io::Result<()> {
        self.on(Event::Record(ev))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }
}

/// Padding around a prompt cut from the recording: the VAD's times sit close to the words.
pub const PROMPT_PAD_SECS: f64 = 0.15;

/// A session's drill, ready for [`run`]: the moments chosen and what is played before each.
/// `items` is empty when the debrief flagged no line with a rewrite (nothing to drill).
#[derive(Debug)]
pub struct Plan {
    pub id: String,
    pub items: Vec<DrillItem>,
    /// Said, not fatal (e.g. the recording is unreadable: their lines are shown in text).
    pub warnings: Vec<String>,
}

/// Why a session cannot be drilled.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    #[error(transparent)]
    Log(#[from] crate::session::drill::DrillError),
}

/// The drill of the session in `dir`: `moments` of its debrief's ranking (default: the
/// debrief's top changes), each with the counterpart's line before it cut from `audio.wav`
/// (or, without one, the situation in words). A drill log that cannot be read stops the drill
/// now, not after it. Used by `ringside drill` and the daemon alike. Blocking (reads files).
pub fn plan(
    dir: &std::path::Path,
    rules: &crate::transforms::rewrite::RewriteRules,
    moments: Option<usize>,
) -> Result<Plan, PlanError> {
    use crate::session::drill::{cut, drill_moment, prompt_before, select_moments, situation};
    let s = crate::session::load_session(dir)?;
    crate::session::drill::load(dir)?;
    let d = crate::session::debrief::load_or_build(dir, &s.events, rules);
    let chosen = select_moments(&d, &rules.ranking, moments);
    let mut warnings = Vec::new();
    let prompts: Vec<_> = chosen.iter().map(|m| prompt_before(&s.events, m)).collect();
    // The "them" channel of the recording, when there is a prompt to cut from it.
    let them = if prompts.iter().any(Option::is_some) {
        match crate::audio::wav::read_wav(&dir.join(crate::session::AUDIO_FILE)) {
            Ok(w) if w.channels.len() >= 2 => w.channels.into_iter().nth(1),
            Ok(_) => None,
            Err(e) => {
                warnings.push(format!("{e}; their lines are shown in text instead"));
                None
            }
        }
    } else {
        None
    };
    let items = chosen
        .iter()
        .zip(&prompts)
        .filter_map(|(m, p)| {
            let moment = drill_moment(m, p.as_ref())?;
            let prompt_audio = match (p, &them) {
                (Some(p), Some(ch)) => {
                    let c = cut(ch, p.start, p.end, PROMPT_PAD_SECS);
                    (!c.is_empty()).then(|| c.into())
                }
                _ => None,
            };
            let situation = match p {
                Some(p) if prompt_audio.is_none() => Some(format!(
                    "They said: \"{}\" (their side was not recorded)",
                    p.text
                )),
                Some(_) => None,
                None => Some(situation(&s.events, m)),
            };
            Some(DrillItem {
                moment,
                prompt_audio,
                situation,
            })
        })
        .collect();
    Ok(Plan {
        id: s.info.id,
        items,
        warnings,
    })
}

/// What a drill says while it runs, as data: the lines of `ringside drill --json` and the
/// `drill_*` events of the daemon's live stream (one format for both). Times are seconds into
/// the recorded call. The records of a try's session (its utterances) are not among them: the
/// answer's words are in `drill_verdict`.
///
/// ```text
/// {"type":"drill_moment","index":0,"total":2,"utterance_id":2,"time":7.6,"flag":"yes_ladder","said":"You want to protect your family, right?","prompt":"Well, I guess so.","situation":null,"target":"label","technique":"...","rewrite":"It seems like ..."}
/// {"type":"drill_listening","moment":0,"try_number":1}
/// {"type":"drill_verdict","moment":0,"try_number":1,"text":"Do you want to protect your family?","act":"yes_question","target":"label","hit":false,"latency_ms":812.0,"verdict_ms":530.0,"hint":"It seems like ...","more":true}
/// {"type":"drill_summary","session":"20260101-090000-d7a11c","moments":2,"tries":4,"hits":2,"hit_rate":0.5,"finished":true,"run":1}
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DrillLine {
    /// A moment starts (`index` from 0).
    DrillMoment {
        index: usize,
        total: usize,
        utterance_id: u64,
        time: f64,
        flag: crate::transforms::rewrite::Flag,
        said: String,
        prompt: Option<String>,
        situation: Option<String>,
        target: crate::event::Act,
        /// The target act in words.
        technique: &'static str,
        rewrite: String,
    },
    /// The prompt has played (or listening starts): the practitioner's turn.
    DrillListening { moment: usize, try_number: usize },
    /// The verdict on one try (`act` null: no answer before the timeout).
    DrillVerdict {
        moment: usize,
        try_number: usize,
        text: String,
        act: Option<crate::event::Act>,
        target: crate::event::Act,
        hit: bool,
        latency_ms: Option<f64>,
        verdict_ms: Option<f64>,
        /// The rewrite, after a miss.
        hint: Option<String>,
        more: bool,
    },
    /// The last line: the run's figures, and which run of `drill.json` it was saved as
    /// (`run` null: nothing was drilled, nothing saved).
    DrillSummary {
        session: String,
        moments: usize,
        tries: u32,
        hits: u32,
        hit_rate: Option<f64>,
        finished: bool,
        run: Option<usize>,
        drill_file: Option<String>,
    },
}

impl DrillLine {
    /// The line of a drill event (`None`: not one of them). `at` is the (moment, try) under
    /// way, which the `Listening` event does not carry.
    pub fn of(ev: &DrillEvent, (moment, try_number): (usize, usize)) -> Option<DrillLine> {
        Some(match ev {
            DrillEvent::Moment { index, total, item } => {
                let m = &item.moment;
                DrillLine::DrillMoment {
                    index: *index,
                    total: *total,
                    utterance_id: m.utterance_id,
                    time: m.time,
                    flag: m.flag,
                    said: m.said.clone(),
                    prompt: m.prompt.clone(),
                    situation: item.situation.clone(),
                    target: m.target,
                    technique: crate::session::drill::technique(m.target),
                    rewrite: m.rewrite.clone(),
                }
            }
            DrillEvent::Listening { .. } => DrillLine::DrillListening { moment, try_number },
            DrillEvent::Verdict {
                moment,
                number,
                item,
                attempt,
                more,
            } => DrillLine::DrillVerdict {
                moment: *moment,
                try_number: *number,
                text: attempt.text.clone(),
                act: attempt.act,
                target: item.target,
                hit: attempt.hit,
                latency_ms: attempt.latency_ms,
                verdict_ms: attempt.verdict_ms,
                hint: (!attempt.hit).then(|| item.rewrite.clone()),
                more: *more,
            },
            _ => return None,
        })
    }

    /// The summary line of `run` (saved as run number `saved`, if it was).
    pub fn summary(session: &str, run: &DrillRun, saved: Option<(usize, String)>) -> DrillLine {
        DrillLine::DrillSummary {
            session: session.to_string(),
            moments: run.moments.len(),
            tries: run.tries,
            hits: run.hits,
            hit_rate: run.hit_rate(),
            finished: run.finished,
            run: saved.as_ref().map(|s| s.0),
            drill_file: saved.map(|s| s.1),
        }
    }
}

/// Keeps the (moment, try) under way, for [`DrillLine::of`].
#[derive(Debug, Default, Clone, Copy)]
pub struct TryCursor(pub usize, pub usize);

impl TryCursor {
    /// Notes a `Try` event; returns the (moment, try) under way.
    pub fn see(&mut self, ev: &DrillEvent) -> (usize, usize) {
        if let DrillEvent::Try { moment, number, .. } = ev {
            *self = TryCursor(*moment, *number);
        }
        (self.0, self.1)
    }
}
