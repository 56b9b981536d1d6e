"""The data layer: the store's datasets, bars as DataFrames, imports, checks, the synthetic
generator and SQL over the DuckDB catalog."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import _vela
from ._convert import TimeLike, bar_columns, bars_frame, read_ipc, to_ms, with_times
from .errors import ParameterError

__all__ = ["datasets", "bars", "import_file", "check", "CheckReport", "generate", "sql"]

PathLike = str | os.PathLike[str]


def _dir(data_dir: PathLike | None) -> str | None:
    return None if data_dir is None else os.fspath(data_dir)


def datasets(data_dir: PathLike | None = None) -> pl.DataFrame:
    """The store's datasets with their coverage: one row per dataset (``dataset``,
    ``exchange``, ``symbol``, ``interval``, ``rows``, ``first``/``last`` open times, gaps,
    missing bars, content hash).

    ``data_dir`` is the store's root (default: ``$VELA_DATA_DIR``, else ``./vela-data``);
    the bundled sample is ``data/sample`` in the repository.
    """
    rows = json.loads(_vela.datasets(_dir(data_dir)))
    schema = {
        "dataset": pl.String, "exchange": pl.String, "symbol": pl.String, "interval": pl.String,
        "rows": pl.Int64, "first_ts": pl.Int64, "last_ts": pl.Int64, "gaps": pl.Int64,
        "missing_bars": pl.Int64, "has_quote_volume": pl.Boolean, "content_hash": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema)
    return with_times(frame, "first_ts", "last_ts").rename({"first_ts": "first", "last_ts": "last"})


def bars(
    dataset: str,
    start: TimeLike = None,
    end: TimeLike = None,
    data_dir: PathLike | None = None,
) -> pl.DataFrame:
    """The bars of a stored dataset (``"exchange/SYMBOL/interval"``, e.g.
    ``"sample/BTCUSDT/1m"``) opening in ``[start, end)``: columns ``ts`` (open time, UTC),
    ``open``, ``high``, ``low``, ``close``, ``volume`` (and ``quote_volume`` when stored)."""
    columns = _vela.read_bars(dataset, to_ms(start, "start"), to_ms(end, "end"), _dir(data_dir))
    return bars_frame(columns)


def import_file(
    path: PathLike,
    *,
    exchange: str,
    symbol: str,
    interval: str | None = None,
    on_conflict: str = "fail",
    sort: bool = False,
    drop_duplicates: str | None = None,
    data_dir: PathLike | None = None,
) -> dict[str, Any]:
    """Imports a bar file (CSV with a header or Binance klines, Parquet, Arrow IPC/feather)
    into the store as ``exchange/SYMBOL/interval`` (interval inferred when not given).

    ``on_conflict`` says what happens when a bar differs from the stored one at the same
    time: ``"fail"`` (default), ``"keep-existing"`` or ``"replace"``. ``sort`` and
    ``drop_duplicates`` (``"keep-first"``/``"keep-last"``) are named repairs; nothing is
    repaired otherwise. Returns what the write did and the dataset's new coverage."""
    return json.loads(
        _vela.import_file(
            os.fspath(path), exchange, symbol, interval, on_conflict, sort, drop_duplicates, _dir(data_dir)
        )
    )


@dataclass(frozen=True)
class CheckReport:
    """What a data check found: one line per finding (gaps, duplicates, rows out of order,
    OHLC rule violations, non-positive prices, zero-volume runs, ...)."""

    dataset: str
    rows: int
    clean: bool
    findings: list[str] = field(default_factory=list)
    summary: str = ""

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        import html

        items = "".join(f"<li>{html.escape(f)}</li>" for f in self.findings[:50])
        more = f"<li>… {len(self.findings) - 50} more</li>" if len(self.findings) > 50 else ""
        verdict = "clean" if self.clean else f"{len(self.findings)} finding(s)"
        return f"<b>{html.escape(self.dataset)}</b>: {self.rows} rows, {verdict}<ul>{items}{more}</ul>"


def check(
    data: str | pl.DataFrame,
    *,
    interval: str | None = None,
    name: str | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    data_dir: PathLike | None = None,
) -> CheckReport:
    """Checks a stored dataset (by name) or a DataFrame of bars (``interval`` required,
    e.g. ``"1m"``) and reports every problem found. Nothing is repaired."""
    if isinstance(data, str):
        raw = _vela.check_dataset(data, to_ms(start, "start"), to_ms(end, "end"), _dir(data_dir))
    else:
        if interval is None:
            raise ParameterError("checking a DataFrame needs interval= (e.g. interval=\"1m\")")
        raw = _vela.check_columns(name or "bars", interval, bar_columns(data))
    return CheckReport(**json.loads(raw))


def generate(
    bars: int,
    *,
    seed: int = 7,
    interval: str = "1m",
    start: TimeLike = "2022-01-01",
    price: float = 40_000.0,
) -> pl.DataFrame:
    """Seeded synthetic bars (a random walk with volatility regimes and volume spikes):
    the same arguments give the same bars on every machine."""
    if bars < 1:
        raise ParameterError(f"bars={bars}: generate at least one bar")
    start_ms = to_ms(start, "start")
    columns = _vela.generate_bars(bars, seed, interval, start_ms, price)
    return bars_frame(columns)


def sql(query: str, data_dir: PathLike | None = None) -> pl.DataFrame:
    """Runs one SQL statement over the store's DuckDB catalog: tables ``datasets``,
    ``partitions``, ``bars`` (every dataset) and one view per dataset (e.g.
    ``sample_btcusdt_1m``). The result as a DataFrame."""
    data = _vela.sql(query, _dir(data_dir))
    if not data:
        return pl.DataFrame()
    import io

    return pl.read_ipc_stream(io.BytesIO(data))
