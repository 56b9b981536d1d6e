#!/usr/bin/env bash
# Runs every check and test of vela: formatting, lints, docs, and all test suites.
# Usage: scripts/test.sh        (from anywhere; no arguments)
set -euo pipefail

cd "$(dirname "$0")/.."

# Build artifacts live outside the clone so repeated runs (and CI on the same machine)
# are warm. Override with CARGO_TARGET_DIR.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vela/target}"
mkdir -p "$CARGO_TARGET_DIR"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install the Rust toolchain (rustup) first" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

# Tests that read real market data look for ../shared/data/real beside the repository;
# without it their real-data parts are skipped, and that must be visible.
real_data="$(cd .. && pwd)/shared/data/real"
real_note=""
if [ -d "$real_data" ]; then
    echo "real-data tests: using $real_data"
else
    real_note="real-data parts of some tests skipped: $real_data not found"
    echo "real-data tests: $real_data not found: their real-data parts are SKIPPED"
fi

step "cargo test (workspace: unit, integration, property and doc tests)"
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over every suite.
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
            if ($(i+1) ~ /^ignored/) s += $i
        }
     }
     END {
        if (note != "") printf "\n%s", note
        printf "\nvela tests: %d passed, %d failed, %d skipped\n", p, f, s
     }' note="$real_note" "$log"
exit "$status"
