#!/usr/bin/env python3
"""Rebuild tests/fixtures/conv/ (clips + manifest.jsonl) from fetched repository snapshots.

Usage:
  scripts/conv/build_conv.py MIRROR_DIR [--out tests/fixtures/conv]

MIRROR_DIR holds bare git snapshots as <owner>+<name>/repo (the layout the search
tool's fetch gives). Each source below is read at a pinned commit with
`git --git-dir=MIRROR_DIR/<owner>+<name>/repo show COMMIT:PATH`, optionally trimmed,
and converted with `sox in -r 16000 -c 1 -b 16 out.wav`. The reference text is the
human transcript shipped next to the audio in the same repository; where the
repository's text is a list of timed segments, the segments inside the clip are
joined (see SOURCES). Non-speech annotations would be stripped by clean_text(); the
two current references have none. Fillers (um, umm, uh) are kept.

Needs git, sox and python3. Writes nothing outside --out.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One entry per clip, in conversation order within each conversation.
SOURCES = [
    {
        "name": "ami_ES2011a_t000",
        "repo": "lhotse-speech/lhotse",
        "commit": "a79cc864e4275f6342bb94261313526a14d385fb",
        "path": "test/fixtures/ami/ES2011a.Headset-0-40s-46s.wav",
        "trim": None,  # the fixture is already a 6.0 s cut (40-46 s of ES2011a.Headset-0)
        # text: the two supervisions of test/fixtures/ami/cuts.json inside the cut
        # (1.46-2.82 s and 3.36-4.36 s); they agree with ES2011a_sups.jsonl.gz
        # (ES2011a-202/-203, AMI manual transcript, speaker FEE041).
        "text_from": ("lhotse_cuts", "test/fixtures/ami/cuts.json"),
        "licence": "CC-BY-4.0 (AMI Meeting Corpus, University of Edinburgh; lhotse code Apache-2.0)",
        "speaker": "ami-FEE041",
        "conversation": "ami-ES2011a",
        "turn": 0,
        "band": "wide",
    },
    {
        "name": "notsofar_example_t000",
        "repo": "microsoft/NOTSOFAR1-Challenge",
        "commit": "3828cbefa1f6a359e44d8641625bb300c2578610",
        "path": "example.wav",
        "trim": None,  # 7.3 s, used whole
        "text_from": ("plain", "ref.txt"),
        "licence": "CC-BY-4.0 (NOTSOFAR-1 data licence in the repository README; repository code MIT)",
        "speaker": "notsofar-example-A",
        "conversation": "notsofar-example",
        "turn": 0,
        "band": "wide",
    },
]

NON_SPEECH = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}|\([^)]*\)")


def clean_text(text):
    """Drop bracketed non-speech annotations and partial-word dashes; keep words and fillers."""
    t = NON_SPEECH.sub(" ", text)
    t = re.sub(r"(?<=\w)-(?=\s|$)", "", t)  # partial word "th-" -> "th"
    return re.sub(r"\s+", " ", t).strip()


def git_show(git_dir, commit, path):
    res = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        sys.exit(f"build_conv: git show {commit[:10]}:{path} failed: {res.stderr.decode().strip()}")
    return res.stdout


def reference(src, git_dir):
    kind, path = src["text_from"]
    raw = git_show(git_dir, src["commit"], path).decode("utf-8")
    if kind == "plain":
        return clean_text(raw)
    if kind == "lhotse_cuts":
        cuts = json.loads(raw)
        sups = sorted(cuts[0]["supervisions"], key=lambda s: s["start"])
        return clean_text(" ".join(s["text"] for s in sups))
    sys.exit(f"build_conv: unknown text source {kind}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mirror_dir", help="folder holding <owner>+<name>/repo bare snapshots")
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "conv"))
    args = ap.parse_args()

    clips = os.path.join(args.out, "clips")
    os.makedirs(clips, exist_ok=True)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in SOURCES:
            git_dir = os.path.join(args.mirror_dir, src["repo"].replace("/", "+"), "repo")
            if not os.path.isdir(git_dir):
                sys.exit(f"build_conv: no snapshot {git_dir} (fetch {src['repo']} first)")
            raw = os.path.join(tmp, "in" + os.path.splitext(src["path"])[1])
            with open(raw, "wb") as f:
                f.write(git_show(git_dir, src["commit"], src["path"]))
            rel = f"clips/{src['name']}.wav"
            cmd = ["sox", raw, "-r", "16000", "-c", "1", "-b", "16", os.path.join(args.out, rel)]
            source_path = src["path"]
            if src["trim"]:
                a, b = src["trim"]
                cmd += ["trim", f"{a:.3f}", f"={b:.3f}"]
                source_path += f" (trim {a:.3f}-{b:.3f} s)"
            subprocess.run(cmd, check=True)
            lines.append({
                "file": rel,
                "text": reference(src, git_dir),
                "kind": "conversation",
                "source_repo": src["repo"],
                "source_path": f"{source_path} @ {src['commit'][:10]}",
                "licence": src["licence"],
                "speaker": src["speaker"],
                "band": src["band"],
                "conversation": src["conversation"],
                "turn": src["turn"],
            })
    with open(os.path.join(args.out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for d in lines:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"build_conv: {len(lines)} clips into {args.out}")


if __name__ == "__main__":
    main()
