"""The data functions against the bundled sample and stores made in the test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import vela
from conftest import SAMPLE_BARS, SAMPLE_DATASET


def test_datasets_lists_the_sample_with_its_coverage(store_copy: Path) -> None:
    frame = vela.datasets(store_copy)
    assert frame.get_column("dataset").to_list() == [SAMPLE_DATASET]
    row = frame.row(0, named=True)
    assert row["rows"] == SAMPLE_BARS
    assert row["symbol"] == "BTCUSDT" and row["interval"] == "1m"
    assert row["first"] == dt.datetime(2021, 12, 31, 23, 1, tzinfo=dt.timezone.utc)


def test_bars_are_a_polars_frame_with_utc_open_times(sample_dir: Path) -> None:
    bars = vela.bars(SAMPLE_DATASET, data_dir=sample_dir)
    assert bars.height == SAMPLE_BARS
    assert bars.columns[:6] == ["ts", "open", "high", "low", "close", "volume"]
    assert bars.schema["ts"] == pl.Datetime("ms", "UTC")
    assert bars.schema["close"] == pl.Float64
    assert (bars.get_column("high") >= bars.get_column("low")).all()
    assert bars.get_column("ts").is_sorted()


def test_bars_take_a_half_open_time_range(sample_dir: Path) -> None:
    bars = vela.bars(SAMPLE_DATASET, start="2022-01-05", end=dt.datetime(2022, 1, 6), data_dir=sample_dir)
    assert bars.height == 1440
    assert bars.get_column("ts").min() == dt.datetime(2022, 1, 5, tzinfo=dt.timezone.utc)
    assert bars.get_column("ts").max() == dt.datetime(2022, 1, 5, 23, 59, tzinfo=dt.timezone.utc)


def test_a_missing_dataset_is_a_file_not_found_error_naming_it(sample_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="sample/ETHUSDT/1m") as info:
        vela.bars("sample/ETHUSDT/1m", data_dir=sample_dir)
    assert isinstance(info.value, vela.DatasetNotFoundError)
    assert isinstance(info.value, vela.VelaError)


def test_a_bad_dataset_name_and_a_bad_time_are_value_errors(sample_dir: Path) -> None:
    with pytest.raises(ValueError, match="BTC USDT"):
        vela.bars("sample/BTC USDT/1m", data_dir=sample_dir)
    with pytest.raises(vela.ParameterError, match="start='yesterday'"):
        vela.bars(SAMPLE_DATASET, start="yesterday", data_dir=sample_dir)


def test_generate_is_seeded_and_deterministic() -> None:
    a = vela.generate(2_000, seed=11)
    b = vela.generate(2_000, seed=11)
    c = vela.generate(2_000, seed=12)
    assert a.equals(b)
    assert not a.equals(c)
    assert a.height == 2_000
    assert a.get_column("ts").diff().drop_nulls().unique().to_list() == [dt.timedelta(minutes=1)]
    with pytest.raises(vela.ParameterError):
        vela.generate(0)


def test_import_then_read_round_trips_the_bars(tmp_path: Path) -> None:
    bars = vela.generate(3_000, seed=5, interval="5m")
    path = tmp_path / "bars.parquet"
    bars.write_parquet(path)
    store = tmp_path / "store"
    summary = vela.import_file(path, exchange="synth", symbol="ETHUSDT", data_dir=store)
    assert summary["dataset"] == "synth/ETHUSDT/5m"
    assert summary["added"] == 3_000
    back = vela.bars("synth/ETHUSDT/5m", data_dir=store)
    assert back.select(bars.columns).equals(bars)
    # The same file again changes nothing; a differing bar is refused by default.
    again = vela.import_file(path, exchange="synth", symbol="ETHUSDT", data_dir=store)
    assert again["added"] == 0
    changed = bars.with_columns(pl.when(pl.int_range(pl.len()) == 10).then(pl.col("close") * 1.001).otherwise(pl.col("close")).alias("close"))
    changed = changed.with_columns(pl.max_horizontal("high", "close").alias("high"), pl.min_horizontal("low", "close").alias("low"))
    changed.write_parquet(path)
    with pytest.raises(ValueError, match="synth/ETHUSDT/5m"):
        vela.import_file(path, exchange="synth", symbol="ETHUSDT", data_dir=store)


def test_import_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothere.csv"):
        vela.import_file(tmp_path / "nothere.csv", exchange="x", symbol="BTCUSDT", data_dir=tmp_path)


def test_check_finds_duplicates_and_gaps_in_a_frame_and_repairs_nothing() -> None:
    bars = vela.generate(500, seed=3)
    broken = pl.concat([bars.head(100), bars.slice(99, 1), bars.slice(110, 390)])
    report = vela.check(broken, interval="1m", name="broken")
    assert not report.clean
    text = "\n".join(report.findings)
    assert "share the open time" in text and "gap of 10 bars" in text, text
    assert "broken" in str(report)
    assert vela.check(bars, interval="1m").clean


def test_check_of_a_stored_dataset(sample_dir: Path) -> None:
    report = vela.check(SAMPLE_DATASET, data_dir=sample_dir)
    assert report.rows == SAMPLE_BARS
    assert report.dataset == SAMPLE_DATASET


def test_sql_over_the_catalog(store_copy: Path) -> None:
    frame = vela.sql("SELECT count(*) AS n, min(close) AS low FROM bars", data_dir=store_copy)
    assert frame.get_column("n").to_list() == [SAMPLE_BARS]
    bars = vela.bars(SAMPLE_DATASET, data_dir=store_copy)
    assert frame.get_column("low")[0] == bars.get_column("close").min()
    with pytest.raises(ValueError, match="(?i)sql") as info:
        vela.sql("SELECT nope FROM nowhere", data_dir=store_copy)
    assert isinstance(info.value, vela.QueryError)


def test_bar_columns_reject_nulls_and_missing_columns() -> None:
    bars = vela.generate(200, seed=1)
    with pytest.raises(vela.DataError, match="volume"):
        vela.check(bars.drop("volume"), interval="1m")
    nulls = bars.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("close")).alias("close"))
    with pytest.raises(vela.DataError, match="'close' has 1 null"):
        vela.check(nulls, interval="1m")


def test_columns_come_out_without_a_copy() -> None:
    # The numpy arrays the extension returns own the Rust vectors; polars wraps them.
    columns = vela._vela.generate_bars(1_000, 1)
    assert columns["close"].flags["OWNDATA"] is False or columns["close"].base is not None
    assert columns["close"].dtype == np.float64
