#!/usr/bin/env python3
"""Alignment sanity check: faster-whisper (scripts/peer_asr.py) WER per clip and per source.

Usage:
  scripts/conv/peer_wer.py MANIFEST [--model-dir models/.cache/tiny.en/ct2] [--max-wer 0.6]

Decodes every clip of MANIFEST with the peer, prints one JSON line per clip
({"file", "source_repo", "wer", "wer_nofill", "ref", "hyp"}) and a summary per
source_repo (word-weighted WER, with and without fillers) on stderr. Clips above
--max-wer (fillers removed) are listed as likely misaligned. Normalisation:
lower case, punctuation and hyphens to spaces; "nofill" also drops um/umm/uh/uhm/hmm/mm.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILLERS = {"um", "umm", "uh", "uhm", "hmm", "mm", "mhm", "er", "erm", "ah"}


def words(text, nofill=False):
    t = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " "))
    w = [x.strip("'") for x in t.split() if x.strip("'")]
    return [x for x in w if not (nofill and x in FILLERS)]


def edits(r, h):
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("--model-dir", default=os.path.join(REPO, "models", ".cache", "tiny.en", "ct2"))
    ap.add_argument("--max-wer", type=float, default=0.6)
    args = ap.parse_args()
    base = os.path.dirname(os.path.abspath(args.manifest))
    items = [json.loads(l) for l in open(args.manifest, encoding="utf-8") if l.strip()]
    paths = [os.path.join(base, d["file"]) for d in items]
    res = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "peer_asr.py"),
                          "--model-dir", args.model_dir] + paths,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    hyps = [json.loads(l)["text"] for l in res.stdout.splitlines() if l.strip()]
    tot = defaultdict(lambda: [0, 0, 0, 0])  # errs, ref words, errs nofill, ref words nofill
    bad = []
    for d, hyp in zip(items, hyps):
        r, h = words(d["text"]), words(hyp)
        rn, hn = words(d["text"], True), words(hyp, True)
        e, en = edits(r, h), edits(rn, hn)
        w = e / max(1, len(r))
        wn = en / max(1, len(rn))
        t = tot[d["source_repo"]]
        t[0] += e; t[1] += len(r); t[2] += en; t[3] += len(rn)
        print(json.dumps({"file": d["file"], "source_repo": d["source_repo"], "wer": round(w, 3),
                          "wer_nofill": round(wn, 3), "ref": d["text"], "hyp": hyp}))
        if wn > args.max_wer:
            bad.append(d["file"])
    for k, t in sorted(tot.items()):
        print(f"{k}: WER {t[0] / max(1, t[1]):.3f} ({t[1]} words), "
              f"without fillers {t[2] / max(1, t[3]):.3f}", file=sys.stderr)
    print(f"above {args.max_wer}: {len(bad)} {bad}", file=sys.stderr)


if __name__ == "__main__":
    main()
