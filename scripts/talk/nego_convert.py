#!/usr/bin/env python3
"""Convert real human-human negotiation dialogues into utterance-level JSONL.

Reads straight from bare git directories produced by fetching the source
repositories (no work tree needed; files are read with `git show COMMIT:PATH`
at the pinned commits below, so the output is deterministic).

Usage:
  python3 convert.py --craigslist GITDIR_OF_Kenjiro-study/my_study \
                     --dnd GITDIR_OF_facebookresearch/end-to-end-negotiator \
                     [--casino GITDIR_OF_kushalchawla/CaSiNo] \
                     [--out DIR]   (default: directory of this script)
"""
import argparse
import collections
import json
import os
import subprocess
import sys

MAX_DIALOGUES = 300

CRAIGSLIST = {
    "repo": "Kenjiro-study/my_study",
    "commit": "d598355d8240adb4106626465a9c4e76a183aaa0",
    "path": "src/rule/dev-parsed.json",
}
DND = {
    "repo": "facebookresearch/end-to-end-negotiator",
    "commit": "bbb93bbf00f69fced75d5c0d22e855bda07c9b78",
    "path": "src/data/negotiate/val.txt",
}
CASINO = {
    "repo": "kushalchawla/CaSiNo",
    "commit": "2f6ed4a6a55110152a7699fbaa8150d6036314be",
    "paths": ["data/split/casino_test.json", "data/split/casino_valid.json"],
}
# CaSiNo chat_logs entries that are deal-interface actions, not utterances
CASINO_SYSTEM = {"Submit-Deal", "Accept-Deal", "Reject-Deal", "Walk-Away"}


def git_show(gitdir, commit, path):
    return subprocess.run(
        ["git", "--git-dir", gitdir, "show", f"{commit}:{path}"],
        check=True, capture_output=True,
    ).stdout.decode("utf-8")


def write_jsonl(rows, path):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def report(name, rows, label_key="tag"):
    convs = len({r["conv"] for r in rows})
    print(f"== {name}: {convs} dialogues, {len(rows)} utterances")
    c = collections.Counter(r[label_key] for r in rows)
    for lab, n in sorted(c.items(), key=lambda t: (-t[1], str(t[0]))):
        print(f"  {lab!s:22} {n:6d}  {100.0 * n / len(rows):5.1f}%")
    return c


def convert_craigslist(gitdir):
    data = json.loads(git_show(gitdir, CRAIGSLIST["commit"], CRAIGSLIST["path"]))
    rows, used, skipped_unparsed, missing_meta, empty = [], 0, 0, 0, 0
    for dlg in data:
        if used >= MAX_DIALOGUES:
            break
        msgs = [e for e in dlg["events"] if e["action"] == "message"]
        # Dialogues the original pipeline skipped (Preprocessor.skip_example)
        # carry no parse at all: leave them out.
        if not any(e.get("metadata") for e in dlg["events"]):
            skipped_unparsed += 1
            continue
        roles = {i: kb["personal"]["Role"] for i, kb in enumerate(dlg["scenario"]["kbs"])}
        first = None
        conv_rows = []
        for e in msgs:
            text = (e.get("data") or "").strip()
            if not text:
                empty += 1
                continue
            if first is None:
                first = e["agent"]
            md = e.get("metadata") or {}
            tag = md.get("intent")
            if tag is None:
                missing_meta += 1
                continue
            conv_rows.append({
                "conv": dlg["uuid"],
                "speaker": "A" if e["agent"] == first else "B",
                "role": roles[e["agent"]],
                "text": text,
                "tag": tag,
            })
        if conv_rows:
            rows.extend(conv_rows)
            used += 1
    print(f"craigslist: skipped {skipped_unparsed} unparsed dialogues, "
          f"{empty} empty texts, {missing_meta} messages without intent")
    return rows


def parse_dnd_line(line):
    inp = line.split("<input>")[1].split("</input>")[0].strip()
    pinp = line.split("<partner_input>")[1].split("</partner_input>")[0].strip()
    dia = line.split("<dialogue>")[1].split("</dialogue>")[0].strip()
    turns = []
    for t in dia.split("<eos>"):
        t = t.strip()
        if not t:
            continue
        who, _, text = t.partition(":")
        text = text.strip()
        if text == "<selection>" or not text:
            continue
        turns.append((who.strip(), text))
    return inp, pinp, turns


def convert_dnd(gitdir):
    lines = git_show(gitdir, DND["commit"], DND["path"]).splitlines()
    seen, rows, n_dlg, dup = set(), [], 0, 0
    for line in lines:
        if "<dialogue>" not in line:
            continue
        if n_dlg >= MAX_DIALOGUES:
            break
        inp, pinp, turns = parse_dnd_line(line)
        if not turns:
            continue
        # same dialogue seen from the other side: same texts, inputs swapped
        key = (tuple(t for _, t in turns), frozenset([inp, pinp]))
        if key in seen:
            dup += 1
            continue
        seen.add(key)
        conv = f"dnd-val-{n_dlg:04d}"
        first = turns[0][0]
        for who, text in turns:
            rows.append({
                "conv": conv,
                "speaker": "A" if who == first else "B",
                "text": text,
                "tag": "question" if "?" in text else "statement",
            })
        n_dlg += 1
    print(f"dealornodeal: dropped {dup} mirrored copies among lines read")
    return rows


def convert_casino(gitdir):
    rows, n_dlg, mismatch = [], 0, 0
    for path in CASINO["paths"]:
        data = json.loads(git_show(gitdir, CASINO["commit"], path))
        for dlg in data:
            ann = dlg.get("annotations") or []
            if not ann or n_dlg >= MAX_DIALOGUES:
                continue
            utts = [c for c in dlg["chat_logs"] if c["text"] not in CASINO_SYSTEM]
            if len(utts) != len(ann) or any(u["text"] != a[0] for u, a in zip(utts, ann)):
                mismatch += 1
                continue
            first = utts[0]["id"]
            conv = f"casino-{dlg['dialogue_id']}"
            for u, (_, labels) in zip(utts, ann):
                text = u["text"].strip()
                if not text:
                    continue
                rows.append({
                    "conv": conv,
                    "speaker": "A" if u["id"] == first else "B",
                    "text": text,
                    "tag": labels,
                    "tags": [l.strip() for l in labels.split(",") if l.strip()],
                })
            n_dlg += 1
    print(f"casino: skipped {mismatch} dialogues whose annotations did not align")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--craigslist", required=True)
    ap.add_argument("--dnd", required=True)
    ap.add_argument("--casino")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()

    cl = convert_craigslist(a.craigslist)
    write_jsonl(cl, os.path.join(a.out, "craigslist.jsonl"))
    dnd = convert_dnd(a.dnd)
    write_jsonl(dnd, os.path.join(a.out, "dealornodeal.jsonl"))
    report("craigslist.jsonl", cl)
    report("craigslist.jsonl (role)", cl, "role")
    report("dealornodeal.jsonl", dnd)
    if a.casino:
        cas = convert_casino(a.casino)
        write_jsonl(cas, os.path.join(a.out, "casino.jsonl"))
        report("casino.jsonl (tag string as annotated)", cas)
        flat = [{"conv": r["conv"], "tag": t} for r in cas for t in r["tags"]]
        report("casino.jsonl (individual strategy labels)", flat)


if __name__ == "__main__":
    sys.exit(main())
