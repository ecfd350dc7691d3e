#!/usr/bin/env python3
"""Build tests/fixtures/prosody/: real sentences with controlled endings and tempo.

Source material: the `kind: "sentence"` clips of tests/fixtures/real/ (real
speech, 16 kHz mono 16-bit WAV). For every sentence this writes

  * four ending variants made with Praat's PSOLA (overlap-add) resynthesis:
      orig   unmodified pitch tier (same PSOLA artefacts as the others)
      rise3  last 400 ms of voicing ramped linearly 0 -> +3 semitones
      rise5  same, 0 -> +5 semitones
      fall5  same, 0 -> -5 semitones
    only the last ENDING_KEEP_S seconds of each are stored;
  * Praat's reference pitch track of the unmodified source clip
    (praat_f0/<stem>.json);
  * for a subset of the wide-band sentences (see TEMPO_*), two tempo variants
    made with `sox -R -D -q in.wav out.wav tempo 0.8|1.25` (pitch kept;
    repeatable, no dither, as the repo's other generators).

Each ending variant is measured again with Praat (praat_end_change_st) so a
reader can see that the manipulation did what its name says.

Praat (GPL) is used only here, through the Python package
praat-parselmouth==0.4.7; the Rust program never links or ships it.

Run from anywhere:  python3 scripts/prosody/make_set.py
(with a Python that has praat-parselmouth==0.4.7 and numpy, and `sox` on PATH).
The script is deterministic and idempotent: it rewrites every output and
deletes stale .wav/.json files in the output folders.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

try:
    import parselmouth
    from parselmouth.praat import call
except ImportError:  # pragma: no cover
    sys.exit("needs praat-parselmouth==0.4.7 (pip install praat-parselmouth==0.4.7 numpy)")

PARSELMOUTH_VERSION = "0.4.7"

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REAL_DIR = REPO / "tests" / "fixtures" / "real"
OUT_DIR = REPO / "tests" / "fixtures" / "prosody"
CLIP_DIR = OUT_DIR / "clips"
F0_DIR = OUT_DIR / "praat_f0"

FS = 16000

# Praat pitch analysis (To Pitch (ac)): 10 ms step, floor 75 Hz, other
# settings at Praat's defaults. Ceiling 600 Hz for the female speakers (LJ,
# the TIMIT LDC93S1 speaker, the OSR speaker), 500 Hz for JFK.
PITCH_STEP_S = 0.01
PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = {"jfk": 500.0}
PITCH_CEILING_DEFAULT_HZ = 600.0

# Finding the last voiced frame. Praat often marks a few frames of a final
# fricative or of noise as voiced, usually at an octave error (e.g. 530-590 Hz
# for a 200 Hz voice). The last voiced frame used here is the last frame of
# the last run of >= MIN_RUN_FRAMES consecutive voiced frames whose f0 lies
# within [PLAUSIBLE_LO, PLAUSIBLE_HI] x the clip's median voiced f0.
MIN_RUN_FRAMES = 5
PLAUSIBLE_LO = 0.5
PLAUSIBLE_HI = 1.7

# Ending manipulation.
WINDOW_S = 0.4
MIN_VOICED_IN_WINDOW = 10  # plausible voiced frames in the window, else skip
ENDING_VARIANTS = [("orig", 0.0), ("rise3", 3.0), ("rise5", 5.0), ("fall5", -5.0)]
ENDING_KEEP_S = 2.0  # stored tail of each ending variant (2.5 s would take the set over ~15 MB)
FADE_S = 0.010

# Praat check of each ending variant.
CHECK_SEG_S = 0.1
CHECK_MIN_FRAMES = 3
CHECK_FALLBACK_S = 0.4

# Tempo variants (whole clip). To keep the set small, only wide-band
# sentences of at most TEMPO_MAX_SOURCE_S seconds, plus the speakers in
# TEMPO_ALWAYS (JFK is the only male voice).
TEMPOS = [0.8, 1.25]
TEMPO_MAX_SOURCE_S = 7.5
TEMPO_ALWAYS = {"jfk"}


def rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def ceiling_for(speaker: str) -> float:
    return PITCH_CEILING_HZ.get(speaker, PITCH_CEILING_DEFAULT_HZ)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, FS):
            raise SystemExit(f"{path.name}: expected 16 kHz mono 16-bit WAV")
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


def write_wav(path: Path, x: np.ndarray) -> None:
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(FS)
        w.writeframes(q.tobytes())


def sound_of(x: np.ndarray) -> "parselmouth.Sound":
    return parselmouth.Sound(x, sampling_frequency=FS)


def pitch_track(x: np.ndarray, ceiling: float):
    """Praat To Pitch (ac): returns (frame times, f0 with 0 = unvoiced)."""
    p = sound_of(x).to_pitch_ac(
        time_step=PITCH_STEP_S, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=ceiling
    )
    f0 = np.nan_to_num(p.selected_array["frequency"], nan=0.0)
    return np.asarray(p.xs()), f0


def last_voiced(times: np.ndarray, f0: np.ndarray):
    """(robust last voiced time, raw last voiced time, median voiced f0)."""
    voiced = f0 > 0
    if not voiced.any():
        return None, None, None
    med = float(np.median(f0[voiced]))
    ok = voiced & (f0 >= PLAUSIBLE_LO * med) & (f0 <= PLAUSIBLE_HI * med)
    raw_last = float(times[np.nonzero(voiced)[0][-1]])
    i = len(f0) - 1
    while i >= 0:
        if ok[i]:
            j = i
            while j >= 0 and ok[j]:
                j -= 1
            if i - j >= MIN_RUN_FRAMES:
                return float(times[i]), raw_last, med
            i = j
        else:
            i -= 1
    return None, raw_last, med


def psola_variant(x: np.ndarray, ceiling: float, ws: float, we: float, st: float) -> np.ndarray:
    """Praat Manipulation + overlap-add resynthesis with a ramped pitch tier."""
    manip = call(sound_of(x), "To Manipulation", PITCH_STEP_S, PITCH_FLOOR_HZ, ceiling)
    tier = call(manip, "Extract pitch tier")
    if st != 0.0:
        call(
            tier,
            "Formula",
            f"if x < {ws!r} then self "
            f"else if x < {we!r} then self * 2^(({st!r}) * (x - {ws!r}) / {we - ws!r} / 12) "
            f"else self * 2^(({st!r}) / 12) fi fi",
        )
    call([manip, tier], "Replace pitch tier")
    out = call(manip, "Get resynthesis (overlap-add)")
    y = np.asarray(out.values[0], dtype=np.float64)
    if len(y) != len(x):
        raise SystemExit("resynthesis changed the length")
    return y


def cut_tail(y: np.ndarray):
    """Last ENDING_KEEP_S seconds with a linear fade-in at the cut."""
    keep = int(round(ENDING_KEEP_S * FS))
    start = max(0, len(y) - keep)
    z = y[start:].copy()
    if start > 0:
        n = int(round(FADE_S * FS))
        z[:n] *= np.arange(n) / n
    return z, start


def voiced_f0_between(times, f0, lo, hi, fmin, fmax):
    sel = (times >= lo) & (times <= hi) & (f0 >= fmin) & (f0 <= fmax)
    return f0[sel]


def end_change(x: np.ndarray, ceiling: float, ws: float, we: float, st: float, med: float):
    """Praat check of a stored ending variant.

    Median f0 of the voiced frames in the last 100 ms of the window vs the
    100 ms before the window start, in semitones. Frames at an octave error
    are left out: a frame counts only if its f0 is within
    [PLAUSIBLE_LO, PLAUSIBLE_HI] x the source's median f0 (times 2^(st/12)
    for the end segment). If the 100 ms before the window has fewer than 3
    such frames, the last 10 such frames of the 400 ms before the window are
    used. If the end segment has fewer than 3, the change is not measured.
    Returns (change_st, pre_hz, end_hz, voiced frames in window, notes)."""
    times, f0 = pitch_track(x, ceiling)
    notes = []
    n_win = int(np.count_nonzero((times >= ws - 1e-6) & (times <= we + 0.005) & (f0 > 0)))
    k = 2.0 ** (st / 12.0)
    end = voiced_f0_between(times, f0, we - CHECK_SEG_S + 1e-6, we + 0.005,
                            PLAUSIBLE_LO * med * k, PLAUSIBLE_HI * med * k)
    pre_lim = (PLAUSIBLE_LO * med, PLAUSIBLE_HI * med)
    pre = voiced_f0_between(times, f0, ws - CHECK_SEG_S, ws - 1e-6, *pre_lim)
    if len(pre) < CHECK_MIN_FRAMES:
        pre = voiced_f0_between(times, f0, ws - CHECK_FALLBACK_S, ws - 1e-6, *pre_lim)[-10:]
        notes.append("pre: <3 voiced frames in the 100 ms before the window; "
                     "used the last 10 voiced frames of the 400 ms before it")
    if len(end) < CHECK_MIN_FRAMES:
        notes.append(f"end: only {len(end)} voiced frames in the last 100 ms of the window "
                     "in Praat's track of this variant; not measured")
    if len(end) < CHECK_MIN_FRAMES or len(pre) < CHECK_MIN_FRAMES:
        return None, None, None, n_win, notes
    e, p = float(np.median(end)), float(np.median(pre))
    return 12.0 * math.log2(e / p), p, e, n_win, notes


def r(v, nd):
    return None if v is None else round(float(v), nd)


def main() -> int:
    if parselmouth.VERSION != PARSELMOUTH_VERSION:
        sys.exit(f"needs praat-parselmouth=={PARSELMOUTH_VERSION}, found {parselmouth.VERSION}")
    sox = shutil.which("sox")
    if not sox:
        sys.exit("needs sox on PATH (apt-get install sox)")

    CLIP_DIR.mkdir(parents=True, exist_ok=True)
    F0_DIR.mkdir(parents=True, exist_ok=True)

    sources = []
    with open(REAL_DIR / "manifest.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                m = json.loads(line)
                if m.get("kind") == "sentence":
                    sources.append(m)

    rows = []
    written = set()
    skipped = []
    odd = []

    for m in sources:
        src = REAL_DIR / m["file"]
        stem = src.stem
        speaker, band = m["speaker"], m["band"]
        ceiling = ceiling_for(speaker)
        x = read_wav(src)
        dur = len(x) / FS
        common = {
            "source": rel(src, OUT_DIR),
            "text": m["text"],
            "speaker": speaker,
            "band": band,
            "licence": m["licence"],
            "source_repo": m["source_repo"],
            "source_path": m["source_path"],
            "praat_f0": f"praat_f0/{stem}.json",
            "praat_ceiling_hz": ceiling,
        }

        # 3. Reference pitch of the unmodified source clip.
        times, f0 = pitch_track(x, ceiling)
        ref = {
            "step_s": PITCH_STEP_S,
            "t0_s": round(float(times[0]), 5),
            "f0_hz": [round(float(v), 1) if v > 0 else 0 for v in f0],
        }
        f0_path = F0_DIR / f"{stem}.json"
        f0_path.write_text(json.dumps(ref, separators=(",", ":")) + "\n", encoding="utf-8")
        written.add(f0_path)

        # 1. Ending variants.
        t_last, t_raw_last, med = last_voiced(times, f0)
        if t_last is None:
            skipped.append((stem, "no voiced run of >= 50 ms with plausible f0"))
            continue
        if t_raw_last - t_last > 0.005:
            odd.append(
                f"{stem}: ignored short/implausible voicing after the last voiced run "
                f"({t_last:.2f} s -> raw {t_raw_last:.2f} s)"
            )
        ws, we = t_last - WINDOW_S, t_last
        if ws - CHECK_SEG_S < max(0.0, dur - ENDING_KEEP_S):
            skipped.append((stem, "window plus 100 ms before it does not fit in the stored tail"))
            continue
        win = (times >= ws - 1e-6) & (times <= we + 1e-6)
        plausible = (f0 >= PLAUSIBLE_LO * med) & (f0 <= PLAUSIBLE_HI * med)
        voiced_in_win = int(np.count_nonzero(win & plausible))
        if voiced_in_win < MIN_VOICED_IN_WINDOW:
            skipped.append((stem, f"only {voiced_in_win} voiced frames (< {MIN_VOICED_IN_WINDOW}) "
                                  "in the 400 ms window; ending variants not made"))
            continue

        full = {name: psola_variant(x, ceiling, ws, we, st) for name, st in ENDING_VARIANTS}
        peak = max(float(np.max(np.abs(y))) for y in full.values())
        gain = 1.0 if peak <= 0.999 else 0.999 / peak
        if gain != 1.0:
            odd.append(f"{stem}: resynthesis peak {peak:.3f}, all four variants scaled by {gain:.3f}")

        for name, st in ENDING_VARIANTS:
            tail, start = cut_tail(full[name] * gain)
            out = CLIP_DIR / f"{stem}__{name}.wav"
            write_wav(out, tail)
            written.add(out)
            off = start / FS
            stored = read_wav(out)  # measure exactly what is stored
            change, pre_hz, end_hz, n_win, notes = end_change(stored, ceiling, ws - off, we - off, st, med)
            row = {
                "file": rel(out, OUT_DIR),
                **{k: common[k] for k in ("source", "text")},
                "variant": name,
                "semitones": st,
                "tempo": 1.0,
                "speaker": speaker,
                "band": band,
                "duration_s": r(len(stored) / FS, 4),
                "cut_start_s": r(off, 4),
                "window_start_s": r(ws - off, 4),
                "window_end_s": r(we - off, 4),
                "last_voiced_s": r(we - off, 4),
                "raw_last_voiced_s": r(t_raw_last - off, 4),
                "voiced_frames_in_window": voiced_in_win,
                "praat_voiced_frames_in_window": n_win,
                "praat_pre_hz": r(pre_hz, 1),
                "praat_end_hz": r(end_hz, 1),
                "praat_end_change_st": r(change, 2),
                "praat_end_change_vs_orig_st": None,
                "praat_check_notes": notes or None,
                **{k: common[k] for k in ("licence", "source_repo", "source_path", "praat_f0", "praat_ceiling_hz")},
            }
            if gain != 1.0:
                row["gain"] = round(gain, 4)
            rows.append(row)
        base = next(x for x in rows[-4:] if x["variant"] == "orig")["praat_end_change_st"]
        for row in rows[-4:]:
            c = row["praat_end_change_st"]
            row["praat_end_change_vs_orig_st"] = None if c is None or base is None else round(c - base, 2)

    # 2. Tempo variants of whole wide-band clips.
    for m in sources:
        if m["band"] != "wide":
            continue
        src = REAL_DIR / m["file"]
        x = read_wav(src)
        dur = len(x) / FS
        if dur > TEMPO_MAX_SOURCE_S and m["speaker"] not in TEMPO_ALWAYS:
            continue
        ceiling = ceiling_for(m["speaker"])
        _, f0_src = pitch_track(x, ceiling)
        med_src = float(np.median(f0_src[f0_src > 0]))
        for tempo in TEMPOS:
            out = CLIP_DIR / f"{src.stem}__tempo{tempo:g}.wav"
            subprocess.run([sox, "-R", "-D", "-q", str(src), str(out), "tempo", f"{tempo:g}"], check=True)
            written.add(out)
            y = read_wav(out)
            _, f0_out = pitch_track(y, ceiling)
            med_out = float(np.median(f0_out[f0_out > 0]))
            rows.append({
                "file": rel(out, OUT_DIR),
                "source": rel(src, OUT_DIR),
                "text": m["text"],
                "variant": f"tempo{tempo:g}",
                "semitones": None,
                "tempo": tempo,
                "speaker": m["speaker"],
                "band": m["band"],
                "duration_s": r(len(y) / FS, 4),
                "source_duration_s": r(dur, 4),
                "window_start_s": None,
                "window_end_s": None,
                "praat_end_change_st": None,
                "praat_median_f0_shift_st": r(12.0 * math.log2(med_out / med_src), 2),
                "licence": m["licence"],
                "source_repo": m["source_repo"],
                "source_path": m["source_path"],
                "praat_f0": f"praat_f0/{src.stem}.json",
                "praat_ceiling_hz": ceiling,
            })

    # Remove stale outputs from earlier runs with other settings.
    for d, pattern in ((CLIP_DIR, "*.wav"), (F0_DIR, "*.json")):
        for p in sorted(d.glob(pattern)):
            if p not in written:
                p.unlink()

    with open(OUT_DIR / "manifest.jsonl", "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    # Summary.
    print(f"sources: {len(sources)} sentences; clips written: {len(rows)}; "
          f"praat_f0 files: {len(list(F0_DIR.glob('*.json')))}")
    print()
    print(f"{'variant':8} {'n':>3} {'mean end change st':>19} {'sd':>5} {'mean vs orig st':>16} {'sd':>5} {'unmeasured':>10}")
    for name, _ in ENDING_VARIANTS:
        sel = [x for x in rows if x["variant"] == name]
        ch = [x["praat_end_change_st"] for x in sel if x["praat_end_change_st"] is not None]
        dv = [x["praat_end_change_vs_orig_st"] for x in sel if x["praat_end_change_vs_orig_st"] is not None]
        print(f"{name:8} {len(sel):3d} {np.mean(ch):19.2f} {np.std(ch):5.2f} "
              f"{np.mean(dv):16.2f} {np.std(dv):5.2f} {len(sel) - len(ch):10d}")
    for band in ("wide", "tel"):
        parts = []
        for name, _ in ENDING_VARIANTS[1:]:
            dv = [x["praat_end_change_vs_orig_st"] for x in rows
                  if x["variant"] == name and x["band"] == band and x["praat_end_change_vs_orig_st"] is not None]
            parts.append(f"{name} {np.mean(dv):+.2f}")
        print(f"  vs orig, band={band}: " + ", ".join(parts))
    print("  (a ramp to T st has a median of about 0.87*T over its last 100 ms)")
    for tempo in TEMPOS:
        sel = [x for x in rows if x["tempo"] == tempo]
        ratio = [x["source_duration_s"] / x["duration_s"] for x in sel]
        shift = [x["praat_median_f0_shift_st"] for x in sel]
        print(f"tempo{tempo:g}: n={len(sel)}, mean source/output duration {np.mean(ratio):.3f}, "
              f"mean median-f0 shift {np.mean(shift):+.2f} st")
    n_fb = sum(1 for x in rows if any(n.startswith("pre:") for n in x.get("praat_check_notes") or []))
    print(f"ending variants whose Praat check used the fallback pre segment: {n_fb}")
    unmeasured = [x["file"] for x in rows if x["tempo"] == 1.0 and x["praat_end_change_st"] is None]
    print(f"ending variants not measurable (end devoiced in Praat's track): {len(unmeasured)}"
          + (" -- " + ", ".join(unmeasured) if unmeasured else ""))
    rising = [f"{Path(x['file']).stem.split('__')[0]} {x['praat_end_change_st']:+.1f}" for x in rows
              if x["variant"] == "orig" and (x["praat_end_change_st"] or 0) >= 3.0]
    print(f"orig clips whose natural end change is >= +3 st: {len(rising)}"
          + (" -- " + ", ".join(rising) if rising else ""))
    print(f"skipped sources: {len(skipped)}")
    for stem, why in skipped:
        print(f"  {stem}: {why}")
    if odd:
        print("notes:")
        for line in odd:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
