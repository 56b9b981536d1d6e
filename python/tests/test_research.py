"""Your own signals, sweeps (with Ctrl-C) and walk-forward from Python."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import vela
from conftest import SAMPLE_DATASET


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return vela.generate(5_000, seed=21)


def test_simulate_fills_own_signals_at_the_next_open(bars: pl.DataFrame) -> None:
    i = np.arange(bars.height)
    entries = i % 500 == 10
    exits = i % 500 == 60
    run = vela.simulate(bars, entries=entries, exits=exits, symbol="BTCUSDT")
    trades = run.trades
    assert trades.height == 10
    assert trades.get_column("entry_bar").to_list() == [11 + 500 * k for k in range(10)]
    assert trades.get_column("exit_bar").to_list() == [61 + 500 * k for k in range(10)]
    opens = bars.get_column("open").to_numpy()
    assert trades.get_column("entry_price").to_list() == pytest.approx(opens[trades.get_column("entry_bar").to_numpy()], rel=1e-6)
    assert run.summary is None
    assert set(run.fingerprint) == {"config", "data", "trades"}


def test_signals_may_be_series_or_column_names_and_give_the_same_run(bars: pl.DataFrame) -> None:
    fast = pl.col("close").rolling_mean(10)
    slow = pl.col("close").rolling_mean(40)
    with_signals = bars.with_columns(
        ((fast > slow) & (fast.shift(1) <= slow.shift(1))).fill_null(False).alias("entry"),
        ((fast < slow) & (fast.shift(1) >= slow.shift(1))).fill_null(False).alias("exit"),
    )
    by_name = vela.simulate(with_signals, entries="entry", exits="exit", symbol="BTCUSDT")
    by_series = vela.simulate(bars, entries=with_signals["entry"], exits=with_signals["exit"], symbol="BTCUSDT")
    assert by_name.stats == by_series.stats
    assert by_name.fingerprint == by_series.fingerprint
    assert by_name.stats["trades"] > 10


def test_target_exposure(bars: pl.DataFrame) -> None:
    exposure = np.zeros(bars.height)
    exposure[100:200] = 1.0
    exposure[300:400] = 0.5
    run = vela.simulate(bars, exposure=exposure, symbol="BTCUSDT")
    assert run.trades.height >= 2
    held = run.equity.get_column("exposure").to_numpy()
    assert held[150] > 0.9 and held[250] == 0.0


def test_simulate_errors_name_the_column(bars: pl.DataFrame) -> None:
    short = np.zeros(10, dtype=bool)
    with pytest.raises(vela.DataError, match="entries"):
        vela.simulate(bars, entries=short, exits=short, symbol="BTCUSDT")
    with pytest.raises(vela.ParameterError, match="not both"):
        vela.simulate(bars, entries=np.zeros(bars.height, bool), exits=np.zeros(bars.height, bool), exposure=np.zeros(bars.height), symbol="BTCUSDT")
    with pytest.raises(ValueError, match="exposure"):
        vela.simulate(bars, exposure=np.full(bars.height, 1.5), symbol="BTCUSDT")
    with pytest.raises(vela.ParameterError, match="DOGEXYZ"):
        vela.simulate(bars, exposure=np.zeros(bars.height), symbol="DOGEXYZ")


@pytest.fixture(scope="module")
def sweep(sample_dir: Path) -> vela.Sweep:
    return vela.sweep(
        SAMPLE_DATASET,
        "crossover",
        {"fast": [10, 20, 30], "slow": [50, 100]},
        constraints=["fast < slow"],
        data_dir=sample_dir,
    )


def test_sweep_ranks_every_combination(sweep: vela.Sweep) -> None:
    table = sweep.table
    assert table.height == 6
    sharpe = table.get_column("sharpe").to_list()
    assert sharpe == sorted(sharpe, reverse=True)
    assert set(sweep.best) == {"fast", "slow"}
    assert sweep.heatmap()._repr_svg_().lstrip().startswith("<svg")
    assert "6 runs" in repr(sweep)


def test_a_sweep_row_equals_the_single_vector_backtest(sweep: vela.Sweep, sample_dir: Path) -> None:
    row = sweep.table.filter((pl.col("fast") == 20) & (pl.col("slow") == 100)).row(0, named=True)
    single = vela.backtest(SAMPLE_DATASET, "crossover", {"fast": 20, "slow": 100}, tier="vector", data_dir=sample_dir)
    assert row["total_return"] == pytest.approx(single.stats["total_return"], rel=1e-12)
    assert row["trades"] == single.stats["trades"]


def test_sweep_output_does_not_depend_on_the_thread_count(sample_dir: Path) -> None:
    args = (SAMPLE_DATASET, "crossover", {"fast": range(5, 40, 5), "slow": [60, 120]})
    one = vela.sweep(*args, threads=1, data_dir=sample_dir)
    two = vela.sweep(*args, threads=2, data_dir=sample_dir)
    assert one.table.equals(two.table)
    assert one.fingerprint == two.fingerprint


def test_sweep_errors(sample_dir: Path) -> None:
    with pytest.raises(ValueError, match="nope"):
        vela.sweep(SAMPLE_DATASET, "crossover", {"nope": [1, 2]}, data_dir=sample_dir)
    with pytest.raises(ValueError, match="metric|sharpness"):
        vela.sweep(SAMPLE_DATASET, "crossover", {"fast": [5]}, metric="sharpness", data_dir=sample_dir)
    with pytest.raises(vela.ParameterError, match="threads"):
        vela.sweep(SAMPLE_DATASET, "crossover", {"fast": [5]}, threads=0, data_dir=sample_dir)


def test_ctrl_c_stops_a_long_sweep(tmp_path: Path) -> None:
    script = tmp_path / "long_sweep.py"
    script.write_text(
        textwrap.dedent(
            """
            import signal, sys, vela
            # The default handler even if this process was started with SIGINT ignored
            # (as background jobs of a non-interactive shell are).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            bars = vela.generate(300_000, seed=4)
            print("started", flush=True)
            try:
                vela.sweep(bars, "crossover", {"fast": range(2, 200), "slow": range(201, 400)}, symbol="BTCUSDT")
                print("finished", flush=True)
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            """
        )
    )
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=120)
    assert out.strip() == "interrupted"
    assert child.returncode == 0


def test_walk_forward_on_the_sample(sample_dir: Path) -> None:
    walk = vela.walk_forward(
        SAMPLE_DATASET,
        "crossover",
        {"fast": [10, 30], "slow": [60, 120]},
        in_sample="6d",
        out_of_sample="3d",
        data_dir=sample_dir,
    )
    assert walk.windows.height >= 7
    assert walk.windows.get_column("out_of_sample_start").is_sorted()
    assert {"total_return", "sharpe", "trades"} <= set(walk.stats)
    assert walk.equity.height == walk.windows.height * 3 * 1440
    assert walk.plot()._repr_svg_().lstrip().startswith("<svg")
    with pytest.raises(vela.ParameterError, match="90s"):
        vela.walk_forward(SAMPLE_DATASET, "crossover", {"fast": [10]}, in_sample="90s", out_of_sample="1d", data_dir=sample_dir)
