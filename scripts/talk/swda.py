#!/usr/bin/env python3
"""Builds Ringside's real-conversation act data from the Switchboard Dialog Act corpus (SwDA).

Source: the `swda_data/train` split of github:NathanDuran/Switchboard-Corpus (one file per
call, lines `SPEAKER|text|DAMSL-tag`). Only the *train* split is read: SwDA's `val` and
`test` splits are never used here.

    scripts/talk/swda.py SWDA_TRAIN_DIR

writes (deterministic; run from the repository root):
- tests/fixtures/talk/swda_check.jsonl: the check split (every call whose number ends in 3),
  the original tags kept: {"conv", "speaker": "A"|"B", "text", "tag"}. Never trained on.
- assets/acts/real/swda.jsonl: training calls (the others, every TRAIN_EVERY-th), each with
  one side as "me" and the other as "them", labelled with the coaching spec's acts through
  the mapping below. Embedded in the binary (src/transforms/acts_data.rs).

The mapping (the issue's table; acts per speaker):
- me:   qy, qy^d, ^g, qrr -> yes_question (no_question when the wording asks for a no);
        qw, qo, qh, qw^d   -> calibrated_question when the first word is what/how, else other;
        b^m (repeat-phrase) -> mirror; everything else (statements, backchannels) -> other.
- them: ny, na, aa -> confirmation_yes (counterfeit_yes when hedged, thats_right for
        "that's right"/"exactly"); nn, ng, ar, arp_nd -> no; aap_am -> counterfeit_yes;
        everything else -> other.
"""
import json, os, re, sys

TRAIN_EVERY = int(os.environ.get("TRAIN_EVERY", "4"))
FILLERS = {"uh", "um", "oh", "well", "so", "and", "but", "now", "okay", "ok", "yeah", "like"}
NOQ = re.compile(r"\b(bad time|against|ridiculous|crazy|given up|would it be (a )?(terrible|bad|horrible)|is it (a )?(bad|terrible))\b")
HEDGE = re.compile(r"^(uh,? |um,? |well,? )*(i guess|i think so|i suppose|probably|maybe|possibly|sort of|kind of|i don'?t know)\b")
THATS = re.compile(r"^(uh,? |oh,? |well,? )*(that'?s (exactly )?right|exactly|that is right)\b")


def first_word(text):
    for w in re.findall(r"[a-z']+", text.lower()):
        if w not in FILLERS:
            return w
    return ""


def me_act(tag, text):
    t = text.lower()
    if tag in ("qy", "qy^d", "^g", "qrr"):
        return "no_question" if NOQ.search(t) else "yes_question"
    if tag in ("qw", "qo", "qh", "qw^d"):
        return "calibrated_question" if first_word(text) in ("what", "how", "whats") else "other"
    if tag == "b^m":
        return "mirror"
    return "other"


def them_act(tag, text):
    t = text.lower().strip()
    if tag in ("ny", "na", "aa"):
        if THATS.search(t):
            return "thats_right"
        if HEDGE.search(t):
            return "counterfeit_yes"
        return "confirmation_yes"
    if tag in ("nn", "ng", "ar", "arp_nd"):
        return "no"
    if tag == "aap_am":
        return "counterfeit_yes"
    return "other"


def clean(text):
    # SwDA marks a few merged lines with "*two utts" and similar notes.
    return re.sub(r"\s*\*[a-z ]+$", "", text).strip()


def main(src):
    calls = sorted(f for f in os.listdir(src) if f.endswith(".txt"))
    check, train = [], []
    for i, f in enumerate(calls):
        num = f[:-4]
        rows = []
        for line in open(os.path.join(src, f), encoding="utf-8"):
            parts = line.rstrip("\n").split("|")
            if len(parts) != 3:
                continue
            sp, text, tag = parts
            text = clean(text)
            if text:
                rows.append((sp, text, tag))
        if num.endswith("3"):
            for sp, text, tag in rows:
                check.append({"conv": f"sw{num}", "speaker": sp, "text": text, "tag": tag})
        elif i % TRAIN_EVERY == 0:
            me = "A" if (i // TRAIN_EVERY) % 2 == 0 else "B"
            for sp, text, tag in rows:
                if sp == me:
                    act, who = me_act(tag, text), "me"
                else:
                    act, who = them_act(tag, text), "them"
                train.append({"conv": f"sw{num}", "domain": "swda", "speaker": who, "text": text, "act": act, "tag": tag})
    with open("tests/fixtures/talk/swda_check.jsonl", "w") as o:
        for r in check:
            o.write(json.dumps(r) + "\n")
    with open("assets/acts/real/swda.jsonl", "w") as o:
        for r in train:
            o.write(json.dumps(r) + "\n")
    print(f"check: {len(check)} lines, {len({r['conv'] for r in check})} calls; "
          f"train: {len(train)} lines, {len({r['conv'] for r in train})} calls", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
