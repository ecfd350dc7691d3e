#!/usr/bin/env python3
"""Synthesize a two-speaker practice call from a call script (stdlib only).

Input: a call script (tests/fixtures/calls/NAME.txt) with lines
    me: text          the practitioner, left channel
    them: text        the counterpart, right channel
    pause: 1.2        gap in seconds before the next turn (default: 0.8-1.2 s,
                      varied deterministically per turn)
    # comment         ignored, as are blank lines

Output: OUT/NAME.wav, stereo 16 kHz s16le (left = me, right = them), and
OUT/NAME.truth.json:
    {"version": 1, "sample_rate": 16000,
     "turns": [{"speaker": "me", "text": ..., "start": s, "end": s}, ...]}
start/end are the trimmed speech of each turn as placed on the timeline
(exact to the sample, rounded to the millisecond).

Each turn is synthesized (me: festival slt HTS, them: flite rms by default),
trimmed with sox `silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse`,
resampled to 16 kHz mono, put on its own channel (`remix 1 0` / `remix 0 1`),
padded with the pause and concatenated with sox. Per-turn synthesis is cached
(target/tts-cache, or $RINGSIDE_TTS_CACHE), so a long call that repeats a
script costs one synthesis per distinct line.

Deterministic: the same script and options give a byte-identical WAV (sox runs
with -R and without dither; gaps come from a hash, not a random generator).

Also: `--say TEXT --voice SPEC --wav OUT.wav` writes one mono 16 kHz clip
(for ASR fixtures).
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = 16000
# Bump when the synthesis/trim pipeline changes, so cached turns are redone.
CACHE_VERSION = "1"
TRIM = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
# -R: repeatable (fixed seeds); -D: no dither (dither would add noise that
# depends on nothing we control and breaks byte-identical output).
SOX = ["sox", "-R", "-D", "-q"]

DEFAULT_VOICES = {"me": "festival:cmu_us_slt_arctic_hts", "them": "flite:rms"}


def log(msg):
    print(f"tts_call: {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"tts_call: error: {msg}", file=sys.stderr)
    sys.exit(1)


def need(tool, package):
    if shutil.which(tool) is None:
        die(f"{tool} not found (Debian package {package}): run scripts/setup.sh")


def run(cmd):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        die(f"{' '.join(cmd)} failed: {res.stderr.decode(errors='replace').strip()}")


def parse_voice(spec):
    """'festival:VOICE' or 'flite:VOICE' -> (engine, voice)."""
    engine, _, voice = spec.partition(":")
    if engine not in ("festival", "flite") or not voice:
        die(f"bad voice {spec!r}: use festival:VOICE (e.g. festival:cmu_us_slt_arctic_hts) "
            "or flite:VOICE (e.g. flite:rms, flite:awb, flite:slt)")
    return engine, voice


def parse_script(path):
    """Return [(speaker, text, gap_after or None)]."""
    turns = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        die(f"cannot read script {path}: {e.strerror}")
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            die(f"{path}:{n}: expected 'me: text', 'them: text' or 'pause: seconds'")
        if key in ("me", "them"):
            if not value:
                die(f"{path}:{n}: empty turn")
            turns.append([key, value, None])
        elif key == "pause":
            try:
                secs = float(value)
            except ValueError:
                die(f"{path}:{n}: pause needs seconds, got {value!r}")
            if secs < 0 or not turns:
                die(f"{path}:{n}: pause must be >= 0 and follow a turn")
            turns[-1][2] = secs
        else:
            die(f"{path}:{n}: unknown line kind {key!r}")
    if not turns:
        die(f"{path}: no turns")
    return [tuple(t) for t in turns]


def default_gap(index, text):
    """0.80..1.20 s in 10 ms steps, from a hash of the turn (no RNG state)."""
    h = int.from_bytes(hashlib.sha256(f"{index}:{text}".encode()).digest()[:4], "big")
    return 0.80 + (h % 41) / 100.0


def synth_turn(engine, voice, text, cache_dir):
    """Synthesize + trim + resample one utterance; return the cached mono path."""
    key = hashlib.sha256(f"{CACHE_VERSION}\0{engine}\0{voice}\0{text}".encode()).hexdigest()[:24]
    out = os.path.join(cache_dir, f"{key}.wav")
    if os.path.exists(out):
        return out, True
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        txt = os.path.join(tmp, "t.txt")
        raw = os.path.join(tmp, "raw.wav")
        with open(txt, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        if engine == "festival":
            run(["text2wave", txt, "-eval", f"(voice_{voice})", "-o", raw])
        else:
            run(["flite", "-voice", voice, "-f", txt, "-o", raw])
        part = os.path.join(tmp, "turn.wav")
        run(SOX + [raw, "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", part] + TRIM)
        if frames(part) == 0:
            die(f"{engine}:{voice} produced no audible speech for {text!r}")
        os.replace(part, out)  # atomic: parallel workers never see half a file
    return out, False


def frames(path):
    with wave.open(path, "rb") as w:
        return w.getnframes()


def cache_root():
    d = os.environ.get("RINGSIDE_TTS_CACHE") or os.path.join(REPO, "target", "tts-cache")
    os.makedirs(d, exist_ok=True)
    return d


def synth_all(items, cache_dir):
    """items: list of (engine, voice, text) -> dict item -> path; parallel."""
    unique = sorted(set(items))
    done = {}
    hits = 0
    workers = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futs = {pool.submit(synth_turn, e, v, t, cache_dir): (e, v, t) for e, v, t in unique}
        for i, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            path, hit = fut.result()
            hits += hit
            done[futs[fut]] = path
            if i % 10 == 0 or i == len(unique):
                log(f"synthesized {i}/{len(unique)} distinct turns ({hits} from cache)")
    return done


def build_call(args):
    for tool, pkg in (("sox", "sox"), ("text2wave", "festival"), ("flite", "flite")):
        need(tool, pkg)
    voices = {"me": parse_voice(args.me_voice), "them": parse_voice(args.them_voice)}
    script = parse_script(args.script)
    name = args.name or os.path.splitext(os.path.basename(args.script))[0]
    out_dir = args.out or os.path.join(REPO, "target", "calls")
    os.makedirs(out_dir, exist_ok=True)
    cache_dir = cache_root()

    t0 = time.monotonic()
    paths = synth_all([voices[s] + (t,) for s, t, _ in script], cache_dir)
    lengths = {k: frames(p) for k, p in paths.items()}
    once = sum(lengths[voices[s] + (t,)] for s, t, _ in script) / RATE

    # Lay out the timeline: repeat the script until --repeat / --min-secs is met.
    lead = round(args.leading_silence * RATE)
    tail = round(args.tail * RATE)
    pos = lead
    turns = []  # (speaker, text, start_frame, end_frame, gap_frames, mono_path)
    index = 0
    rounds = 0
    while True:
        for speaker, text, pause in script:
            key = voices[speaker] + (text,)
            n = lengths[key]
            gap = pause if pause is not None else default_gap(index, text)
            gap_frames = round(gap * RATE)
            turns.append((speaker, text, pos, pos + n, gap_frames, paths[key]))
            pos += n + gap_frames
            index += 1
            # --min-secs stops at the first turn that reaches it (mid-pass).
            if args.min_secs is not None and pos / RATE >= args.min_secs:
                break
        rounds += 1
        if args.min_secs is not None:
            if pos / RATE >= args.min_secs:
                break
        elif rounds >= args.repeat:
            break
    # The last turn is followed by the tail, not by its gap.
    last = turns[-1]
    turns[-1] = last[:4] + (tail,) + last[5:]

    # Per-turn stereo pieces, then one sox concatenation (in batches so that
    # a very long call does not hit the argument-length or open-file limits).
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        pieces = []
        if lead:
            p = os.path.join(tmp, "lead.wav")
            # Format options go before -n: they set the null input's rate, else
            # it runs at 48 kHz and `trim Ns` counts 48 kHz samples.
            run(SOX + ["-r", str(RATE), "-c", "2", "-n", "-b", "16", "-e", "signed-integer", p,
                       "trim", "0", f"{lead}s"])
            pieces.append(p)
        stereo = {}
        for i, (speaker, _, _, _, gap_frames, mono) in enumerate(turns):
            k = (mono, speaker, gap_frames)
            if k not in stereo:
                p = os.path.join(tmp, f"turn{len(stereo):05d}.wav")
                remix = ["1", "0"] if speaker == "me" else ["0", "1"]
                run(SOX + [mono, "-c", "2", p, "remix"] + remix + ["pad", "0", f"{gap_frames}s"])
                stereo[k] = p
            pieces.append(stereo[k])
        batch = 200
        while len(pieces) > 1:
            merged = []
            for b in range(0, len(pieces), batch):
                chunk = pieces[b:b + batch]
                if len(chunk) == 1:
                    merged.append(chunk[0])
                    continue
                p = os.path.join(tmp, f"cat{len(pieces)}_{b}.wav")
                run(SOX + chunk + [p])
                merged.append(p)
            pieces = merged
        wav_out = os.path.join(out_dir, f"{name}.wav")
        shutil.copyfile(pieces[0], wav_out)

    total = frames(wav_out)
    if total != pos - last[4] + tail:
        die(f"internal: wav has {total} frames, timeline says {pos - last[4] + tail}")
    truth = {
        "version": 1,
        "sample_rate": RATE,
        "turns": [
            {"speaker": s, "text": t, "start": round(a / RATE, 3), "end": round(b / RATE, 3)}
            for s, t, a, b, _, _ in turns
        ],
    }
    truth_out = os.path.join(out_dir, f"{name}.truth.json")
    with open(truth_out, "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    secs = total / RATE
    log(f"{wav_out}: {secs:.1f} s, {len(turns)} turns ({len(turns) / len(script):.2f} x {len(script)}; "
        f"speech per pass {once:.1f} s), built in {time.monotonic() - t0:.1f} s")
    log(f"{truth_out}")


def say(args):
    need("sox", "sox")
    engine, voice = parse_voice(args.voice)
    need("text2wave" if engine == "festival" else "flite", engine)
    if not args.wav:
        die("--say needs --wav OUT.wav")
    path, _ = synth_turn(engine, voice, args.say, cache_root())
    pad = str(round(args.leading_silence * RATE)) + "s"
    tail = str(round(args.tail * RATE)) + "s"
    run(SOX + [path, args.wav, "pad", pad, tail])
    log(f"{args.wav}: {frames(args.wav) / RATE:.2f} s ({engine}:{voice})")


def main():
    ap = argparse.ArgumentParser(
        description="Synthesize a two-speaker call (left = me, right = them) and its truth JSON.")
    ap.add_argument("script", nargs="?", help="call script: lines 'me: ...', 'them: ...', 'pause: S'")
    ap.add_argument("--out", help="output directory (default: target/calls in the repo)")
    ap.add_argument("--name", help="output base name (default: the script's name)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--repeat", type=int, default=1, help="play the script N times (default 1)")
    g.add_argument("--min-secs", type=float, help="repeat the script until the call lasts S seconds")
    ap.add_argument("--leading-silence", type=float, default=0.5,
                    help="seconds of silence before the first turn (default 0.5)")
    ap.add_argument("--tail", type=float, default=1.0,
                    help="seconds of silence after the last turn (default 1.0)")
    ap.add_argument("--me-voice", default=DEFAULT_VOICES["me"],
                    help=f"voice of 'me', festival:VOICE or flite:VOICE (default {DEFAULT_VOICES['me']})")
    ap.add_argument("--them-voice", default=DEFAULT_VOICES["them"],
                    help=f"voice of 'them' (default {DEFAULT_VOICES['them']})")
    ap.add_argument("--say", metavar="TEXT", help="instead of a call: one mono clip of TEXT")
    ap.add_argument("--voice", default=DEFAULT_VOICES["me"], help="voice for --say")
    ap.add_argument("--wav", help="output file for --say")
    args = ap.parse_args()
    if args.say is not None:
        return say(args)
    if not args.script:
        ap.error("a call script is required (or --say TEXT)")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if args.leading_silence < 0 or args.tail < 0:
        ap.error("--leading-silence and --tail must be >= 0")
    build_call(args)


if __name__ == "__main__":
    main()
