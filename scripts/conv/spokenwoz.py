#!/usr/bin/env python3
"""Build the SpokenWOZ telephone-conversation development set (not committed: CC BY-NC 4.0).

Usage:
  scripts/conv/spokenwoz.py MIRROR_GIT_DIR OUT_DIR [--fixtures tests/fixtures/conv]

MIRROR_GIT_DIR is a bare git snapshot of github.com/shogo0731/jmoshi-ft (the
`repo` directory that the search tool's fetch gives). Every dialogue of
data/spokenwoz_sample/ whose audio AND word-level text are both readable at one of
the pinned COMMITS is used (audio blobs that the snapshot lists but does not
hold are skipped and reported). Each file's blob id is checked against BLOBS,
so a changed upstream file stops the build instead of silently changing the set.

Per dialogue:
  * The stereo 8 kHz WAV and the word list [{speaker, word, start, end}] are read.
  * Which speaker is on which channel is measured, not assumed: the RMS of each
    channel during each speaker's words (words that overlap the other speaker's
    are left out). A speaker must be >= 10 dB louder on its own channel. The
    leak of the other speaker into a channel ("bleed") is measured the same way.
  * Roles: SpokenWOZ puts the user on channel 0 (left) and the agent ("system")
    on channel 1 (right); speaker A of this sample is on the left, so
    A = user, B = agent. (Checked: in every dialogue the right-hand speaker is
    the one who says "help"/"assist"; a warning is printed otherwise.)
  * Turns: each speaker's words in time order are grouped; a new turn starts at a
    pause > MAX_PAUSE s, when the other speaker has a whole word inside the pause
    (a reply in between; an overlapping backchannel does not split), or when
    the turn would exceed MAX_TURN s. "turn" in the manifest is the index of the
    turn in time order across both speakers.
  * Clip: the speaker's channel from PAD_BEFORE s before the first word to
    PAD_AFTER s after the last, clamped to the file; when the channel's bleed is
    above BLEED_CLAMP the padding is also clamped so it does not reach into the
    other speaker's words. `sox -R in.wav -r 16000 -c 1 -b 16 out.wav remix N trim a =b`
    (-R: repeatable dither, so a rebuild is byte-identical).
  * Reference text: the sample's words joined with spaces, annotation tokens
    ([...], <...>, (...)) dropped (none occur in the pinned sample); fillers
    (uh, um, ah, mmhmm) and digit strings ("14:06", "1223247942") are kept as
    they are in the source. NB: per the SpokenWOZ README these words are the
    corpus's ASR transcription, not a hand transcript.
  * calls/<dialogue>.wav: the whole call, 16 kHz stereo s16, AGENT LEFT, USER
    RIGHT (Ringside's left channel is the practitioner, "me"; here the agent
    answering the call). calls/<dialogue>.txt: one turn per line in time order,
    `<start> <end> <L|R> <text>` (seconds of speech, without padding).

Writes OUT_DIR/clips/*.wav, OUT_DIR/calls/*, OUT_DIR/manifest.jsonl (SpokenWOZ
turns, then the clips of --fixtures/manifest.jsonl copied into OUT_DIR/clips) and
prints a summary. Needs git, sox and python3. Writes nothing outside OUT_DIR.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_REPO = "shogo0731/jmoshi-ft"
FOLDER = "data/spokenwoz_sample"
LICENCE = "CC BY-NC 4.0 (SpokenWOZ)"
# The sample is identical at all seven commits of the repository (78b87e2
# "init commit", 2025-08-22 ... a65c11c "merge", 2025-10-30); the first is
# tried first, the second as a fallback.
COMMITS = ["78b87e285e72ac6286f166dc0208123d6f50d4f9",
           "71bed3e0606007355c16fa6bdb9706bea6a231b5"]
# dialogue -> (audio blob, text blob) at the pinned commits.
BLOBS = {
    "MUL0947": ("40f30a12c4b75802a2f09c8a85b7ecf0f46eeada", "99aefa33647cb5696a2d143df32551048281b334"),
    "MUL1266": ("ecdd9ccf2c1a1087b8f9a65aef5a99aaea202d9a", "f63dad9b610912978259445d0b1e19c2dbda5037"),
    "MUL1423": ("19461cc8095ab987b7d88ff9c2758378fc8032e6", "c6ab9b937e821554af03f17e9737b439e9f6d6d6"),
    "MUL2195": ("3a7cfef52de81c621fdccf26f5ee82d6a6d61305", "172928cc168cc6104d79a82a08454a7a504f0017"),
    "MUL3404": ("cbaa01c91bf564cbccd2b618eced3eb97de1dda3", "ffecebf07af5196933b67fef3a8829664be60ebf"),
    "SNG0072": ("cddccbb56d688ac46fc490be1f77cb7a32753396", "971f461e920f2dd672321139201f027c970c4cac"),
    "SNG0480": ("e6a600d9255849fcb0b64459fadaaa74ffb6ce6a", "4f70a733e8d50fe55b044a2557b8e5267c521d54"),
    "SNG0696": ("000db790900ff2fb22e464aa04cdeca98db67e94", "cbf8d9cbd691890a9dacbdd1b7d9cd5c85b969b0"),
    "SNG1263": ("49cea31e0a45178cd27e17cb77a9cc0e1a598b45", "e898233ce675a6313bb649c1d64698bb8fa550d9"),
    "SNG1640": ("a47f73d6fcbb8b342d0406d1b423991700e92e06", "d738d74d178c1dfa369d109d2f32e311fcc17c6b"),
}
ROLE = {1: "user", 2: "agent"}  # sox channel number -> SpokenWOZ role
CALL_SIDE = {"agent": "L", "user": "R"}
MAX_PAUSE = 1.0
MAX_TURN = 20.0
PAD_BEFORE = 0.2
PAD_AFTER = 0.3
MIN_SEP_DB = 10.0
BLEED_CLAMP = 0.03  # -30 dB
ANNOTATION = re.compile(r"^[\[<(].*[\]>)]$")


def git(gitdir, *args, binary=False):
    r = subprocess.run(["git", "--git-dir", gitdir] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        return None
    return r.stdout if binary else r.stdout.decode()


def read_blob(gitdir, name, kind):
    """(commit, bytes) of the first pinned commit where the blob is readable, or (None, why)."""
    path = f"{FOLDER}/{'audio' if kind == 0 else 'text'}/{name}.{'wav' if kind == 0 else 'json'}"
    why = "not listed"
    for c in COMMITS:
        blob = git(gitdir, "rev-parse", f"{c}:{path}")
        if blob is None:
            continue
        blob = blob.strip()
        if blob != BLOBS[name][kind]:
            sys.exit(f"spokenwoz.py: {c}:{path} is blob {blob}, expected {BLOBS[name][kind]}")
        data = git(gitdir, "cat-file", "blob", blob, binary=True)
        if data is None:
            why = "listed but the blob is absent from the snapshot"
            continue
        if data.startswith(b"version https://git-lfs"):
            why = "Git LFS pointer"
            continue
        return c, path, data
    return None, path, why


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if len(x) else 0.0


def clean(word):
    w = word.strip()
    return "" if not w or ANNOTATION.match(w) else w


def make_turns(words):
    """words: sorted list of dicts of ONE speaker; other: the other speaker's words."""
    turns = []
    for w in words:
        t = turns[-1] if turns else None
        if (t is None or w["start"] - t["end"] > MAX_PAUSE or w["end"] - t["start"] > MAX_TURN
                or any(t["end"] <= o["start"] and o["end"] <= w["start"] for o in w["_other"])):
            turns.append({"start": w["start"], "end": w["end"], "words": [w]})
        else:
            t["end"] = max(t["end"], w["end"])
            t["words"].append(w)
    return turns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mirror_git_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures", "conv"),
                    help="folder with the committed conv manifest.jsonl + clips to copy in")
    args = ap.parse_args()
    for tool in ("git", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"spokenwoz.py: {tool} is needed")
    out = args.out_dir
    os.makedirs(os.path.join(out, "clips"), exist_ok=True)
    os.makedirs(os.path.join(out, "calls"), exist_ok=True)
    tmp = tempfile.mkdtemp()
    entries, skipped, stats = [], [], []
    try:
        for name in sorted(BLOBS):
            ca, apath, audio = read_blob(args.mirror_git_dir, name, 0)
            ct, tpath, text = read_blob(args.mirror_git_dir, name, 1)
            if ca is None or ct is None:
                skipped.append(f"{name}: audio {audio if ca is None else 'ok'}, "
                               f"text {text if ct is None else 'ok'}")
                continue
            wav_path = os.path.join(tmp, name + ".wav")
            with open(wav_path, "wb") as f:
                f.write(audio)
            words = sorted(json.loads(text.decode("utf-8")), key=lambda w: (w["start"], w["end"]))
            with wave.open(wav_path) as w:
                sr, nch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
                pcm = array("h", w.readframes(n))
            if nch != 2 or width != 2:
                sys.exit(f"spokenwoz.py: {name}: expected stereo s16, got {nch} ch {8 * width} bit")
            if sys.byteorder == "big":
                pcm.byteswap()
            dur = n / sr
            band = "tel" if sr <= 8000 else "wide"
            chans = {1: pcm[0::2], 2: pcm[1::2]}
            spks = sorted({w["speaker"] for w in words})
            if len(spks) != 2:
                sys.exit(f"spokenwoz.py: {name}: expected two speakers, got {spks}")
            for w in words:
                w["_other"] = [o for o in words if o["speaker"] != w["speaker"]]
            # Energy per channel during each speaker's words that overlap no other word.
            level = {}
            for s in spks:
                for c in (1, 2):
                    seg = array("h")
                    for w in words:
                        if w["speaker"] == s and not any(o["start"] < w["end"] and w["start"] < o["end"]
                                                         for o in w["_other"]):
                            seg.extend(chans[c][int(w["start"] * sr):int(w["end"] * sr)])
                    level[s, c] = rms(seg)
            chan = {}
            for s in spks:
                own = 1 if level[s, 1] > level[s, 2] else 2
                sep = 20 * math.log10(max(level[s, own], 1e-9) / max(level[s, 3 - own], 1e-9))
                if sep < MIN_SEP_DB:
                    sys.exit(f"spokenwoz.py: {name}: speaker {s} only {sep:.1f} dB louder on ch {own}")
                chan[s] = own
            if sorted(chan.values()) != [1, 2]:
                sys.exit(f"spokenwoz.py: {name}: both speakers on one channel {chan}")
            role = {s: ROLE[chan[s]] for s in spks}
            bleed = {}
            for s in spks:
                o = [x for x in spks if x != s][0]
                bleed[chan[s]] = level[o, chan[s]] / max(level[s, chan[s]], 1e-9)
            helpers = {s: sum(1 for w in words if w["speaker"] == s and w["word"] in ("help", "assist"))
                       for s in spks}
            agent = [s for s in spks if role[s] == "agent"][0]
            if helpers[agent] < max(helpers.values()):
                print(f"spokenwoz.py: warning: {name}: the 'agent' channel says help/assist less "
                      f"often than the user ({helpers})", file=sys.stderr)
            turns = []
            for s in spks:
                for t in make_turns([w for w in words if w["speaker"] == s]):
                    t["spk"] = s
                    turns.append(t)
            turns.sort(key=lambda t: (t["start"], t["end"]))
            call_lines = []
            nwords = 0
            for i, t in enumerate(turns):
                s, c = t["spk"], chan[t["spk"]]
                toks = [clean(w["word"]) for w in t["words"]]
                toks = [x for x in toks if x]
                if not toks:
                    continue
                a = max(0.0, t["start"] - PAD_BEFORE)
                b = min(dur, t["end"] + PAD_AFTER)
                if bleed[c] > BLEED_CLAMP:
                    for o in words:
                        if o["speaker"] == s:
                            continue
                        if o["end"] <= t["start"] and o["end"] > a:
                            a = o["end"]
                        if o["start"] >= t["end"] and o["start"] < b:
                            b = o["start"]
                a, b = round(a, 3), round(b, 3)
                r = role[s]
                rel = f"clips/{name}_{i:03d}_{r}.wav"
                subprocess.run(["sox", "-R", wav_path, "-r", "16000", "-c", "1", "-b", "16",
                                os.path.join(out, rel), "remix", str(c), "trim", f"{a}", f"={b}"],
                               check=True)
                text_ref = " ".join(toks)
                nwords += len(toks)
                entries.append({
                    "file": rel, "text": text_ref, "kind": "conversation",
                    "source_repo": SOURCE_REPO,
                    "source_path": f"{apath} ch {c} trim {a:.3f}-{b:.3f} @ {ca[:10]}",
                    "licence": LICENCE, "speaker": f"spokenwoz-{name}-{r}", "band": band,
                    "conversation": name, "turn": i,
                    "start": round(t["start"], 3), "end": round(t["end"], 3),
                    "orig_sr": sr,
                })
                call_lines.append(f"{t['start']:.3f} {t['end']:.3f} {CALL_SIDE[r]} {text_ref}")
                stats.append((name, r, t["end"] - t["start"], b - a, len(toks)))
            left = [c for s, c in chan.items() if role[s] == "agent"][0]
            subprocess.run(["sox", "-R", wav_path, "-r", "16000", "-c", "2", "-b", "16",
                            os.path.join(out, "calls", name + ".wav"), "remix", str(left), str(3 - left)],
                           check=True)
            with open(os.path.join(out, "calls", name + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(call_lines) + "\n")
            print(f"{name}: {sr} Hz, {dur:.1f} s, channels "
                  + ", ".join(f"{s}=ch{chan[s]} {role[s]} ({20 * math.log10(level[s, chan[s]] / max(level[s, 3 - chan[s]], 1e-9)):.0f} dB over ch{3 - chan[s]})" for s in spks)
                  + ", bleed " + ", ".join(f"ch{c} {20 * math.log10(max(v, 1e-9)):.0f} dB" for c, v in sorted(bleed.items()))
                  + f", {sum(1 for x in stats if x[0] == name)} turns, {nwords} words", file=sys.stderr)
        # The committed AMI / NOTSOFAR conversation clips, copied in.
        fx = os.path.join(args.fixtures, "manifest.jsonl")
        if os.path.isfile(fx):
            base = os.path.dirname(os.path.abspath(fx))
            for line in open(fx, encoding="utf-8"):
                if line.strip():
                    d = json.loads(line)
                    dst = os.path.join(out, "clips", os.path.basename(d["file"]))
                    shutil.copyfile(os.path.join(base, d["file"]), dst)
                    d["file"] = "clips/" + os.path.basename(d["file"])
                    entries.append(d)
        else:
            print(f"spokenwoz.py: warning: no {fx}; AMI/NOTSOFAR clips not added", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for d in entries:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    for s in skipped:
        print(f"skipped {s}", file=sys.stderr)
    dialogues = sorted({x[0] for x in stats})
    print(f"SpokenWOZ: {len(dialogues)} dialogues ({' '.join(dialogues)}), {len(stats)} clips, "
          f"{sum(x[4] for x in stats)} words, {2 * len(dialogues)} speakers "
          f"({sum(1 for x in stats if x[1] == 'user')} user / {sum(1 for x in stats if x[1] == 'agent')} agent clips), "
          f"speech {sum(x[2] for x in stats) / 60:.2f} min (first word to last word), "
          f"clip audio {sum(x[3] for x in stats) / 60:.2f} min; "
          f"manifest {len(entries)} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
