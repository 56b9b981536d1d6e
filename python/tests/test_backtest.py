"""vela.backtest: the same run as `vela backtest`, from a dataset or a DataFrame."""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path

import polars as pl
import pytest

import vela
from conftest import SAMPLE_BARS, SAMPLE_DATASET

CROSSOVER = {"fast": 50, "slow": 200}


@pytest.fixture(scope="module")
def result(sample_dir: Path) -> vela.Result:
    return vela.backtest(SAMPLE_DATASET, "crossover", CROSSOVER, data_dir=sample_dir)


def test_the_readme_run_gives_the_cli_numbers(result: vela.Result) -> None:
    # The README's main command prints these for the same run.
    assert result.stats["trades"] == 148
    assert result.stats["total_return"] == pytest.approx(-0.2004, abs=5e-5)
    assert result.summary is not None and result.summary["orders"]["submitted"] == 295
    assert result.fingerprint["config"].startswith("83649bbaafaa")
    assert result.fingerprint["data"].startswith("977052a577cb")
    assert result.fingerprint["trades"].startswith("a0fbf6556558")


def test_trades_and_equity_are_polars_frames(result: vela.Result) -> None:
    trades, equity = result.trades, result.equity
    assert trades.height == 148
    assert {"entry_ts", "exit_ts", "entry_price", "exit_price", "quantity", "fees", "pnl", "exit_reason"} <= set(trades.columns)
    assert trades.schema["entry_ts"] == pl.Datetime("ms", "UTC")
    assert equity.height == SAMPLE_BARS
    assert equity.columns == ["ts", "equity", "exposure"]
    final = equity.get_column("equity")[-1]
    assert final == pytest.approx(result.summary["final_equity"])
    assert trades.get_column("pnl").sum() == pytest.approx(final - 10_000, abs=1e-6)


def test_plot_and_html_summary(result: vela.Result) -> None:
    chart = result.plot()
    assert chart._repr_svg_().lstrip().startswith("<svg")
    page = result._repr_html_()
    assert "total return" in page and "-20.04 %" in page
    assert "crossover" in repr(result)


def test_save_writes_the_cli_run_directory(result: vela.Result, tmp_path: Path) -> None:
    run_dir = result.save(tmp_path / "run")
    names = {p.name for p in run_dir.iterdir()}
    assert {"bot.toml", "backtest.toml", "stats.json", "trades.parquet", "equity.parquet", "fingerprint.json", "equity.svg", "report.html"} <= names
    trades = pl.read_parquet(run_dir / "trades.parquet")
    assert trades.height == 148


def test_promote_writes_the_bot_and_a_rerun_from_it_is_identical(result: vela.Result, tmp_path: Path, sample_dir: Path) -> None:
    path = result.promote(tmp_path / "live" / "bot.toml")
    bot = tomllib.loads(path.read_text())
    assert bot["strategy"]["name"] == "crossover"
    assert bot["strategy"]["params"]["fast"] == 50
    again = vela.backtest(SAMPLE_DATASET, bot=path, data_dir=sample_dir)
    assert again.fingerprint == result.fingerprint


def test_a_dataframe_gives_the_same_trades_as_the_dataset(result: vela.Result, sample_dir: Path) -> None:
    bars = vela.bars(SAMPLE_DATASET, data_dir=sample_dir)
    from_frame = vela.backtest(bars, "crossover", CROSSOVER, symbol="BTCUSDT")
    assert from_frame.fingerprint["data"] == result.fingerprint["data"]
    assert from_frame.fingerprint["trades"] == result.fingerprint["trades"]
    assert from_frame.stats == result.stats


def test_both_tiers_make_the_same_trades(result: vela.Result, sample_dir: Path) -> None:
    vector = vela.backtest(SAMPLE_DATASET, "crossover", CROSSOVER, tier="vector", data_dir=sample_dir)
    columns = ["entry_bar", "exit_bar", "quantity", "entry_price", "exit_price"]
    assert vector.trades.select(columns).equals(result.trades.select(columns))


def test_every_strategy_runs_on_the_event_tier(sample_dir: Path) -> None:
    for schema in vela.strategies():
        name = schema["name"]
        if name in {"triangular", "signal_follower", "new_listing", "auto"}:
            continue  # need several symbols, external signals or listings
        run = vela.backtest(SAMPLE_DATASET, name, start="2022-01-10", end="2022-01-12", data_dir=sample_dir)
        assert run.equity.height == 2 * 1440, name


def test_bad_input_is_a_value_error_that_names_it(sample_dir: Path) -> None:
    with pytest.raises(vela.ParameterError, match="fast"):
        vela.backtest(SAMPLE_DATASET, "crossover", {"fast": "quick"}, data_dir=sample_dir)
    with pytest.raises(ValueError, match="nope"):
        vela.backtest(SAMPLE_DATASET, "crossover", {"nope": 1}, data_dir=sample_dir)
    with pytest.raises(ValueError, match="moonshot"):
        vela.backtest(SAMPLE_DATASET, "moonshot", data_dir=sample_dir)
    with pytest.raises(ValueError, match="look-ahead"):
        vela.backtest(SAMPLE_DATASET, "crossover", fill="this_close", volume_cap=0.5, data_dir=sample_dir)
    with pytest.raises(vela.DataError, match="no bars"):
        vela.backtest(SAMPLE_DATASET, "crossover", start="2030-01-01", data_dir=sample_dir)
    with pytest.raises(ValueError, match="tier"):
        vela.backtest(SAMPLE_DATASET, "crossover", tier="quantum", data_dir=sample_dir)
    with pytest.raises(ValueError, match="symbol="):
        vela.backtest(vela.generate(100), "crossover")
    with pytest.raises(FileNotFoundError):
        vela.backtest("sample/BTCUSDT/5m", "crossover", data_dir=sample_dir)


def test_signal_runs_cannot_be_promoted() -> None:
    bars = vela.generate(300, seed=2)
    entries = (pl.int_range(300, eager=True) % 50 == 0)
    exits = (pl.int_range(300, eager=True) % 50 == 25)
    run = vela.simulate(bars, entries=entries, exits=exits, symbol="BTCUSDT")
    with pytest.raises(vela.ParameterError, match="live runner"):
        run.promote("bot.toml")


def test_the_gil_is_released_while_rust_computes(sample_dir: Path) -> None:
    bars = vela.generate(400_000, seed=9)
    done = threading.Event()

    def work() -> None:
        vela.backtest(bars, "crossover", {"fast": 5, "slow": 20}, symbol="BTCUSDT")
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    # This thread runs while the other is inside the extension only if the GIL is free;
    # held, it would get here only after the backtest (seconds) had finished.
    time.sleep(0.2)
    running = not done.is_set()
    thread.join()
    assert running, "the backtest held the GIL"
