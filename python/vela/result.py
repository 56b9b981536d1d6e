"""Result objects: a backtest or simulation (:class:`Result`), a sweep (:class:`Sweep`),
a walk-forward (:class:`WalkForward`) and charts (:class:`Chart`), each shown compactly in
Jupyter."""

from __future__ import annotations

import html
import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from ._convert import bars_frame, read_ipc, with_times

__all__ = ["Chart", "Result", "Sweep", "WalkForward"]

# The statistics shown in the compact HTML summary, with their formatting.
_SUMMARY = (
    ("total_return", "total return", "pct"),
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("sortino", "Sortino", "num"),
    ("max_drawdown", "max drawdown", "pct"),
    ("win_rate", "win rate", "pct"),
    ("profit_factor", "profit factor", "num"),
    ("trades", "trades", "int"),
    ("fees", "fees", "num"),
    ("exposure", "exposure", "pct"),
)


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, str):
        return value
    if kind == "pct":
        return f"{value * 100:.2f} %"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.3f}"


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


class Chart:
    """An SVG chart drawn by vela (plotters); shown inline in Jupyter."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the SVG to ``path``."""
        target = Path(path)
        target.write_text(self.svg, encoding="utf-8")
        return target

    def __repr__(self) -> str:
        return f"<vela.Chart: {len(self.svg)} bytes of SVG>"


class Result:
    """One run: :attr:`stats` (dict), :attr:`trades` and :attr:`equity` (polars
    DataFrames), :attr:`fingerprint`, :meth:`plot`, :meth:`save` (the run directory of
    ``vela backtest``) and :meth:`promote` (the file the live runner takes)."""

    def __init__(self, run: Any) -> None:
        self._run = run

    @cached_property
    def stats(self) -> dict[str, Any]:
        """Statistics: total return, CAGR, Sharpe, Sortino, Calmar, max drawdown and its
        duration (ms), win rate, profit factor, expectancy, average win and loss,
        exposure, trades, fees, turnover."""
        return json.loads(self._run.stats_json())

    @cached_property
    def summary(self) -> dict[str, Any] | None:
        """What ran (strategy, parameters, dataset, tier, bars, order counts); ``None``
        for a simulation of your own signals."""
        raw = self._run.summary_json()
        return None if raw is None else json.loads(raw)

    @cached_property
    def fingerprint(self) -> dict[str, str]:
        """Hashes of the configuration, the data and the trade list: equal inputs give
        equal hashes on any machine and thread count."""
        return json.loads(self._run.fingerprint_json())

    @cached_property
    def trades(self) -> pl.DataFrame:
        """One row per trade: symbol, side, entry/exit bar, time and price, quantity, fees,
        P&L and exit reason."""
        return with_times(read_ipc(self._run.trades_ipc()), "entry_ts", "exit_ts")

    @cached_property
    def equity(self) -> pl.DataFrame:
        """The equity curve: ``ts``, ``equity`` (quote asset, at each bar's close) and
        ``exposure`` (share of equity in the position)."""
        return bars_frame(self._run.equity())

    @property
    def title(self) -> str:
        """What ran, in one line."""
        return self._run.title()

    @property
    def config(self) -> str:
        """The bot as it ran, as the live runner's TOML (``bot.toml``)."""
        return self._run.bot_toml()

    def plot(self) -> Chart:
        """Equity above its drawdown (the chart of the run directory)."""
        return Chart(self._run.svg())

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Writes the run directory ``vela backtest`` writes (bot.toml, backtest.toml,
        stats.json, trades.parquet, equity.parquet, fingerprint.json, equity.svg,
        report.html); ``vela report`` re-renders it."""
        target = Path(directory)
        self._run.save(os.fspath(target))
        return target

    def promote(self, path: str | os.PathLike[str]) -> Path:
        """Writes the bot as it ran to ``path``: the configuration file the live runner
        accepts unchanged (``vela live add <path>``)."""
        text = self.config
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        s = self.stats
        rows = [(label, _fmt(s.get(key), kind)) for key, label, kind in _SUMMARY]
        fp = self.fingerprint
        prints = " ".join(f"{k} {str(v)[:12]}" for k, v in fp.items())
        return (
            f"<div><b>{html.escape(self.title)}</b>{_table(rows)}"
            f"<small>fingerprint: {html.escape(prints)}</small></div>"
        )

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"<vela.Result {self.title}: return {_fmt(s.get('total_return'), 'pct')}, "
            f"Sharpe {_fmt(s.get('sharpe'), 'num')}, {s.get('trades')} trades>"
        )


class Sweep:
    """A parameter sweep: :attr:`table` (one row per combination and dataset, best first
    by :attr:`metric`), :attr:`fingerprint`, :meth:`heatmap` for two-parameter grids and
    :attr:`best` (the top row's parameters)."""

    def __init__(self, raw: dict[str, Any], metric: str, params: list[str]) -> None:
        self.table: pl.DataFrame = read_ipc(raw["table"])
        self.metric = metric
        self.fingerprint: str = raw["fingerprint"]
        self.runs: int = raw["runs"]
        self.bar_combinations = int(raw["bar_combinations"])
        self._heatmap: str | None = raw["heatmap"]
        self._params = params

    @property
    def best(self) -> dict[str, Any]:
        """The best combination's parameters."""
        if self.table.is_empty():
            return {}
        row = self.table.row(0, named=True)
        return {p: row[p] for p in self._params if p in row}

    def heatmap(self) -> Chart:
        """The metric over the two varying parameters (a two-parameter grid only)."""
        if self._heatmap is None:
            from .errors import ParameterError

            raise ParameterError("a heatmap needs a grid with exactly two varying parameters")
        return Chart(self._heatmap)

    def _repr_html_(self) -> str:
        head = self.table.head(10)._repr_html_()
        return (
            f"<div><b>sweep</b>: {self.runs} runs ranked by {html.escape(self.metric)}; "
            f"fingerprint {html.escape(self.fingerprint[:80])}{head}</div>"
        )

    def __repr__(self) -> str:
        return f"<vela.Sweep {self.runs} runs ranked by {self.metric}; best {self.best}>"


class WalkForward:
    """A walk-forward: :attr:`windows` (per window: parameters chosen, in-sample vs
    out-of-sample metric and return), :attr:`stats` of the stitched out-of-sample run, its
    :attr:`trades` and :attr:`equity`, and :meth:`plot`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        summary = json.loads(raw["summary"])
        self.metric: str = summary["rank_by"]
        self.unused_bars: int = summary["unused_bars"]
        self.stats: dict[str, Any] = summary["out_of_sample"]
        windows = summary["windows"]
        self.windows = with_times(
            pl.DataFrame(
                [
                    {
                        "window": w["window"],
                        "in_sample_start": w["in_sample_start"],
                        "out_of_sample_start": w["out_of_sample_start"],
                        "out_of_sample_end": w["out_of_sample_end"],
                        "parameters": w["parameters"],
                        f"in_sample_{self.metric}": w["in_sample_score"],
                        f"out_of_sample_{self.metric}": w["out_of_sample_score"],
                        "in_sample_return": w["in_sample"]["total_return"],
                        "out_of_sample_return": w["out_of_sample"]["total_return"],
                        "start_equity": w["start_equity"],
                        "end_equity": w["end_equity"],
                    }
                    for w in windows
                ]
            ),
            "in_sample_start",
            "out_of_sample_start",
            "out_of_sample_end",
        )
        self.trades = with_times(read_ipc(raw["trades"]), "entry_ts", "exit_ts")
        self.equity = bars_frame(raw["equity"])
        self._svg: str = raw["svg"]

    def plot(self) -> Chart:
        """The stitched out-of-sample equity above its drawdown."""
        return Chart(self._svg)

    def _repr_html_(self) -> str:
        rows = [(label, _fmt(self.stats.get(key), kind)) for key, label, kind in _SUMMARY]
        return (
            f"<div><b>walk-forward</b>: {self.windows.height} windows, ranked by "
            f"{html.escape(self.metric)}{_table(rows)}{self.windows._repr_html_()}</div>"
        )

    def __repr__(self) -> str:
        return (
            f"<vela.WalkForward {self.windows.height} windows: out-of-sample return "
            f"{_fmt(self.stats.get('total_return'), 'pct')}>"
        )
