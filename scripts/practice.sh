#!/usr/bin/env bash
# The main job: set up what is missing, then run a live practice session. With a microphone it
# coaches you live; without one (a headless machine) it replays the built-in sample call through
# the same live pipeline. Extra arguments go to `ringside practice` (see --help).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"
scripts/setup.sh
echo "practice: building (release)..." >&2
cargo build --release --quiet
exec target/release/ringside practice "$@"
