"""The cost of crossing the Python/Rust boundary with 1,000,000 bars (issue 6: "measure
and record the overhead for 1M rows"). Run in the test environment:

    $HOME/.cache/vela/venv/bin/python benches/python/boundary.py [--rows 1000000]

Each figure is the median of --repeat runs (after one warm-up):
- out: Rust columns → numpy (the vectors handed over, no copy) → polars DataFrame;
- in: polars DataFrame → numpy views (float64 without nulls: no copy) → Rust slices;
- round trip through the vectorised simulator, against the simulation alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np
import polars as pl

import vela
from vela import _vela
from vela._convert import bar_columns, bars_frame


def median_ms(f: Callable[[], object], repeat: int) -> float:
    f()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n, r = args.rows, args.repeat

    raw = _vela.generate_bars(n, 7)
    frame = bars_frame(raw)
    columns = bar_columns(frame)
    shares = all(np.shares_memory(columns[c], frame.get_column(c).to_numpy()) for c in ("open", "close"))
    entries = np.zeros(n, dtype=bool)
    entries[::1000] = True
    exits = np.zeros(n, dtype=bool)
    exits[500::1000] = True
    options = '{"symbol": "BTCUSDT", "interval": "1m"}'

    rows = [
        ("generate 1M bars in Rust, columns to numpy (no copy)", median_ms(lambda: _vela.generate_bars(n, 7), r)),
        ("numpy columns → polars DataFrame (bars_frame)", median_ms(lambda: bars_frame(raw), r)),
        ("polars DataFrame → numpy columns (bar_columns)", median_ms(lambda: bar_columns(frame), r)),
        ("simulate: Rust call on numpy columns", median_ms(lambda: _vela.simulate(options, columns, entries, exits), r)),
        ("simulate: vela.simulate from the DataFrame (conversion + call + result)", median_ms(
            lambda: vela.simulate(frame, entries=entries, exits=exits, symbol="BTCUSDT", interval="1m").stats, r)),
        ("equity curve back as a polars DataFrame (1M rows)", median_ms(
            lambda: vela.simulate(frame, entries=entries, exits=exits, symbol="BTCUSDT", interval="1m").equity, r)),
    ]
    print(f"rows: {n:,}; DataFrame → numpy shares memory (no copy): {shares}")
    for label, ms in rows:
        print(f"{ms:9.2f} ms  {label}")


if __name__ == "__main__":
    main()
