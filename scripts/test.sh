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
# Python ≥ 3.11 for the Python package (python/) and the notebooks.
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: the Python package needs Python 3.11 or newer as $python (set PYTHON=...)" >&2
    exit 1
fi
venv="${VELA_VENV:-$HOME/.cache/vela/venv}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# pyo3's build script (clippy, docs) and maturin use the environment's interpreter.
export PYO3_PYTHON="$venv/bin/python"
# maturin (the build backend) is run from the environment.
export PATH="$venv/bin:$PATH"

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

# The Python package (python/): built with maturin into a virtual environment kept beside
# the build artifacts, then its pytest suite, which also executes every notebook.
step "Python package: pip install ./python into $venv"
set +e
python_status=0
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check \
        -r python/requirements-dev.txt -c python/constraints.txt; then
    echo "error: installing the Python test requirements failed" >&2
    python_status=1
elif ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation \
        --force-reinstall --no-deps ./python; then
    echo "error: building the Python package failed" >&2
    python_status=1
else
    step "pytest (python/tests: every API and the notebooks)"
    "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider 2>&1 | tee -a "$log"
    python_status=${PIPESTATUS[0]}
fi
set -e
if [ "$python_status" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$python_status
fi

# One closing line over every suite (cargo's "test result:" lines and pytest's summary).
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
            if ($(i+1) ~ /^ignored/) s += $i
        }
     }
     /^=+ .* in [0-9.]+s/ || /^[0-9]+ (passed|failed).* in [0-9.]+s/ {
        for (i = 1; i <= NF; i++) {
            w = $(i+1); gsub(/[,=]/, "", w)
            if (w == "passed") p += $i
            if (w == "failed" || w == "error" || w == "errors") f += $i
            if (w == "skipped") s += $i
        }
     }
     END {
        if (note != "") printf "\n%s", note
        printf "\nvela tests: %d passed, %d failed, %d skipped\n", p, f, s
     }' note="$real_note" "$log"
if [ "$python_status" -ne 0 ] && ! grep -qE '^=+ .* in [0-9.]+s|^[0-9]+ (passed|failed)' "$log"; then
    echo "vela tests: the Python suite did not run (see the errors above)"
fi
exit "$status"
