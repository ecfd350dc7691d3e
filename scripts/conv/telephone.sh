#!/usr/bin/env bash
# telephone.sh IN_MANIFEST OUT_DIR
#
# Makes telephone-band versions of every clip listed in a manifest.jsonl (the
# schema of tests/fixtures/real/manifest.jsonl and tests/fixtures/conv/manifest.jsonl:
# one JSON object per line with a "file" path relative to the manifest's folder).
#
# Three variants, each written as OUT_DIR/<variant>/clips/... (same relative path
# as in the input) plus OUT_DIR/<variant>/manifest.jsonl with the same entries,
# "band": "tel" and "variant": "<variant>":
#   mulaw        8 kHz G.711 mu-law round trip, back to 16 kHz s16
#   gsm          GSM 06.10 (8 kHz) round trip, back to 16 kHz s16
#   mulaw_noise  pink noise mixed in at about 20 dB SNR (against the clip's
#                whole-file RMS), then the 8 kHz mu-law round trip
#
# Deterministic: sox runs with -R (repeatable mode, fixed PRNG seed), so the
# pink noise and the dither are the same on every run. Quick to rerun: a clip
# whose output is newer than its input is skipped. Needs sox and python3.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 IN_MANIFEST OUT_DIR" >&2
    exit 2
fi
IN_MANIFEST=$1
OUT_DIR=$2
[ -f "$IN_MANIFEST" ] || { echo "telephone.sh: no manifest $IN_MANIFEST" >&2; exit 1; }
command -v sox >/dev/null || { echo "telephone.sh: sox is needed" >&2; exit 1; }
IN_DIR=$(cd "$(dirname "$IN_MANIFEST")" && pwd)
VARIANTS="mulaw gsm mulaw_noise"
SNR_DB=20
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The relative clip paths, one per line.
mapfile -t FILES < <(python3 - "$IN_MANIFEST" <<'EOF'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if line.strip():
        f = json.loads(line)["file"]
        if f.startswith("/") or ".." in f.split("/"):
            sys.exit(f"line {n}: file must be a relative path inside the manifest folder: {f}")
        print(f)
EOF
)

# mulaw round trip: IN OUT
mulaw() {
    sox -R "$1" -r 8000 -c 1 -e mu-law -b 8 "$TMP/ulaw.wav"
    sox -R "$TMP/ulaw.wav" -r 16000 -c 1 -e signed-integer -b 16 "$2"
}

# GSM 06.10 round trip: IN OUT
gsm() {
    sox -R "$1" -r 8000 -c 1 -t gsm "$TMP/x.gsm"
    sox -R -t gsm -r 8000 -c 1 "$TMP/x.gsm" -r 16000 -c 1 -e signed-integer -b 16 "$2"
}

# noise at SNR_DB, then mulaw: IN OUT
mulaw_noise() {
    local in=$1 out=$2 dur rms nrms gain
    sox -R "$in" -r 16000 -c 1 -e signed-integer -b 16 "$TMP/clean.wav"
    dur=$(soxi -D "$TMP/clean.wav")
    rms=$(sox "$TMP/clean.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
    sox -R -n -r 16000 -c 1 -e signed-integer -b 16 "$TMP/pink.wav" synth "$dur" pinknoise
    nrms=$(sox "$TMP/pink.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
    gain=$(python3 -c "import sys; r,n,s=map(float,sys.argv[1:]); print(f'{(r/n)*10**(-s/20) if n>0 else 0:.8f}')" "$rms" "$nrms" "$SNR_DB")
    sox -R -m -v 1 "$TMP/clean.wav" -v "$gain" "$TMP/pink.wav" "$TMP/mixed.wav"
    mulaw "$TMP/mixed.wav" "$out"
}

made=0; skipped=0
for v in $VARIANTS; do
    for f in "${FILES[@]}"; do
        in="$IN_DIR/$f"
        out="$OUT_DIR/$v/$f"
        [ -f "$in" ] || { echo "telephone.sh: missing clip $in" >&2; exit 1; }
        if [ -f "$out" ] && [ "$out" -nt "$in" ]; then
            skipped=$((skipped + 1)); continue
        fi
        mkdir -p "$(dirname "$out")"
        "$v" "$in" "$out.part.wav" 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
        mv "$out.part.wav" "$out"
        made=$((made + 1))
    done
    python3 - "$IN_MANIFEST" "$OUT_DIR/$v/manifest.jsonl" "$v" <<'EOF'
import json, sys
src, dst, variant = sys.argv[1:]
with open(dst, "w", encoding="utf-8") as o:
    for line in open(src, encoding="utf-8"):
        if line.strip():
            d = json.loads(line)
            d["band"] = "tel"
            d["variant"] = variant
            o.write(json.dumps(d, ensure_ascii=False) + "\n")
EOF
done
echo "telephone.sh: ${#FILES[@]} clips x 3 variants into $OUT_DIR ($made made, $skipped up to date)"
