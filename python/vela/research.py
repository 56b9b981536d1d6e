"""Backtests, your own signals, sweeps and walk-forward: the backtester from Python."""

from __future__ import annotations

import decimal
import json
import os
from typing import Any, Iterable, Mapping, Sequence

import polars as pl

from . import _vela
from ._convert import TimeLike, bar_columns, signal_column, to_ms
from .errors import ParameterError
from .result import Result, Sweep, WalkForward

__all__ = ["backtest", "simulate", "sweep", "walk_forward"]

Number = int | float | decimal.Decimal | str


def _decimal(value: Number | None, name: str) -> str | None:
    """A money or rate value as exact decimal text (floats by their shortest repr)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value!r}: expected a number")
    try:
        return str(decimal.Decimal(str(value)))
    except decimal.InvalidOperation:
        raise ParameterError(f"{name}={value!r}: expected a number") from None


def _instrument(
    taker_fee: Number | None,
    maker_fee: Number | None,
    price_decimals: int | None,
    quantity_decimals: int | None,
    min_quantity: Number | None,
    min_notional: Number | None,
) -> dict[str, Any]:
    return {
        "taker_fee": _decimal(taker_fee, "taker_fee"),
        "maker_fee": _decimal(maker_fee, "maker_fee"),
        "price_decimals": price_decimals,
        "quantity_decimals": quantity_decimals,
        "min_quantity": _decimal(min_quantity, "min_quantity"),
        "min_notional": _decimal(min_notional, "min_notional"),
    }


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        if not isinstance(value, (bool, int, float, str)):
            raise ParameterError(f"parameter {name}={value!r}: expected a bool, number or string")
        out[name] = value
    return out


def _source(data: Any, options: dict[str, Any], start: TimeLike, end: TimeLike) -> Any:
    """``data`` as the extension takes it: a dataset name into ``options``, or bar columns."""
    if isinstance(data, str):
        options["dataset"] = data
        options["start"] = to_ms(start, "start")
        options["end"] = to_ms(end, "end")
        return None
    if start is not None or end is not None:
        raise ParameterError("start= and end= apply to stored datasets; filter a DataFrame yourself")
    return bar_columns(data)


def _choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    """``value`` if it is one of ``allowed`` (``-`` and ``_`` alike), else a ParameterError."""
    if value is None:
        return None
    normal = str(value).replace("-", "_")
    if normal not in allowed:
        raise ParameterError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return normal


def _fill(fill: str | None) -> str | None:
    return _choice(fill, "fill", ("next_open", "this_close"))


def backtest(
    data: str | pl.DataFrame,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    tier: str | None = None,
    budget: Number | None = None,
    compound: bool = True,
    symbol: str | None = None,
    interval: str | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    fill: str | None = None,
    slippage_bps: float | None = None,
    volume_cap: float | None = None,
    intrabar: str | None = None,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    taker_fee: Number | None = None,
    maker_fee: Number | None = None,
    price_decimals: int | None = None,
    quantity_decimals: int | None = None,
    min_quantity: Number | None = None,
    min_notional: Number | None = None,
    bot: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Result:
    """Backtests a built-in strategy (see :func:`vela.strategies`) exactly as
    ``vela backtest`` does.

    ``data`` is a stored dataset (``"sample/BTCUSDT/1m"``, read from ``data_dir``, optionally
    between ``start`` and ``end``) or a DataFrame of bars (``ts``, ``open``, ``high``,
    ``low``, ``close``, ``volume``; give ``symbol``, and ``interval`` unless it can be told
    from the open times). ``tier`` is ``"event"`` (default: the real engine and risk layer
    against the simulated exchange; every strategy) or ``"vector"`` (the vectorised
    simulator; strategies with a vectorised form). ``fill`` is ``"next_open"`` (default) or
    ``"this_close"``. ``bot`` is a ``bot.toml`` (e.g. a promoted one) to start from; the
    other arguments override it. Unknown symbols need ``price_decimals`` and
    ``quantity_decimals``.
    """
    bot_text = None
    if bot is not None:
        try:
            with open(bot, encoding="utf-8") as f:
                bot_text = f.read()
        except OSError as exc:
            from .errors import DatasetNotFoundError

            raise DatasetNotFoundError(f"bot={os.fspath(bot)!r}: {exc.strerror}") from None
    options: dict[str, Any] = {
        "strategy": strategy,
        "params": _params(params),
        "bot": bot_text,
        "data_dir": None if data_dir is None else os.fspath(data_dir),
        "symbol": symbol,
        "interval": interval,
        "tier": _choice(tier, "tier", ("event", "vector")),
        "budget": _decimal(budget, "budget"),
        "no_compound": not compound,
        "fill": _fill(fill),
        "slippage_bps": slippage_bps,
        "volume_cap": volume_cap,
        "intrabar": _choice(intrabar, "intrabar", ("pessimistic", "optimistic")),
        "stop_loss": stop_loss,
        "take_profit": take_profit,
        "trailing_stop": trailing_stop,
        "instrument": _instrument(taker_fee, maker_fee, price_decimals, quantity_decimals, min_quantity, min_notional),
    }
    columns = _source(data, options, start, end)
    return Result(_vela.backtest(json.dumps(options), columns))


def simulate(
    bars: pl.DataFrame,
    *,
    entries: Any = None,
    exits: Any = None,
    exposure: Any = None,
    symbol: str,
    interval: str | None = None,
    cash: float = 10_000.0,
    fill: str | None = None,
    slippage_bps: float | None = None,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    intrabar: str | None = None,
    quote_amount: float | None = None,
    fraction: float | None = None,
    taker_fee: Number | None = None,
    maker_fee: Number | None = None,
    price_decimals: int | None = None,
    quantity_decimals: int | None = None,
    min_quantity: Number | None = None,
    min_notional: Number | None = None,
) -> Result:
    """Runs the vectorised simulator on your own signals: ``entries`` and ``exits``
    (booleans, one per bar, decided at that bar's close) or ``exposure`` (the share of
    equity to hold, in [0, 1]). Each may be a numpy array, a polars Series or the name of a
    column of ``bars``. Fills, fees, precision and minimums follow the same rules as
    :func:`backtest`; sizing is all-in unless ``quote_amount`` or ``fraction`` is given."""
    frame = bars if isinstance(bars, pl.DataFrame) else None
    columns = bar_columns(bars)
    options = {
        "symbol": symbol,
        "interval": interval,
        "cash": cash,
        "fill": _fill(fill),
        "slippage_bps": slippage_bps,
        "stop_loss": stop_loss,
        "take_profit": take_profit,
        "trailing_stop": trailing_stop,
        "intrabar": _choice(intrabar, "intrabar", ("pessimistic", "optimistic")),
        "quote_amount": quote_amount,
        "fraction": fraction,
        "instrument": _instrument(taker_fee, maker_fee, price_decimals, quantity_decimals, min_quantity, min_notional),
    }
    run = _vela.simulate(
        json.dumps(options),
        columns,
        signal_column(entries, frame, "entries", bool),
        signal_column(exits, frame, "exits", bool),
        signal_column(exposure, frame, "exposure", float),
    )
    return Result(run)


def _grid(grid: Mapping[str, Iterable[Any] | Any]) -> list[str]:
    """``{"fast": range(5, 50, 5), "ma": ["sma", "ema"]}`` as the sweep's ``name=v1,v2``
    entries (every value listed; a string is taken as the CLI's own syntax, e.g.
    ``"5:50:5"``)."""
    entries = []
    for name, values in grid.items():
        if isinstance(values, str):
            entries.append(f"{name}={values}")
            continue
        if not isinstance(values, Iterable):
            values = [values]
        texts = []
        for v in values:
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, bool):
                texts.append("true" if v else "false")
            elif isinstance(v, (int, float, str)):
                texts.append(str(v))
            else:
                raise ParameterError(f"grid {name}: {v!r} is not a number, bool or string")
        if not texts:
            raise ParameterError(f"grid {name}: no values")
        entries.append(f"{name}={','.join(texts)}")
    return entries


def sweep(
    data: str | Sequence[str] | pl.DataFrame,
    strategy: str,
    grid: Mapping[str, Iterable[Any] | Any],
    *,
    constraints: Sequence[str] = (),
    metric: str = "sharpe",
    symbol: str | None = None,
    interval: str | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    cash: float = 10_000.0,
    fill: str | None = None,
    slippage_bps: float | None = None,
    threads: int | None = None,
    taker_fee: Number | None = None,
    maker_fee: Number | None = None,
    price_decimals: int | None = None,
    quantity_decimals: int | None = None,
    min_quantity: Number | None = None,
    min_notional: Number | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Sweep:
    """Every combination of ``grid`` (e.g. ``{"fast": range(5, 50, 5), "slow": [100,
    200]}``) for a built-in strategy through the vectorised tier, in parallel, with
    ``constraints`` such as ``"fast < slow"``; ranked by ``metric``. ``data`` is one or
    more stored datasets or a DataFrame of bars. The result's table is the same whatever
    ``threads`` is. Ctrl-C stops it."""
    options: dict[str, Any] = {
        "strategy": strategy,
        "grid": _grid(grid),
        "constraints": list(constraints),
        "metric": metric,
        "data_dir": None if data_dir is None else os.fspath(data_dir),
        "symbol": symbol,
        "interval": interval,
        "cash": cash,
        "fill": _fill(fill),
        "slippage_bps": slippage_bps,
        "threads": threads,
        "instrument": _instrument(taker_fee, maker_fee, price_decimals, quantity_decimals, min_quantity, min_notional),
    }
    columns = None
    if isinstance(data, str):
        data = [data]
    if isinstance(data, (list, tuple)):
        options["datasets"] = list(data)
        options["start"] = to_ms(start, "start")
        options["end"] = to_ms(end, "end")
    else:
        if start is not None or end is not None:
            raise ParameterError("start= and end= apply to stored datasets; filter a DataFrame yourself")
        columns = bar_columns(data)
    raw = _vela.sweep(json.dumps(options), columns)
    return Sweep(raw, metric, list(grid))


def walk_forward(
    data: str | pl.DataFrame,
    strategy: str,
    grid: Mapping[str, Iterable[Any] | Any],
    *,
    in_sample: str | int,
    out_of_sample: str | int,
    anchored: bool = False,
    params: Mapping[str, Any] | None = None,
    constraints: Sequence[str] = (),
    metric: str = "sharpe",
    budget: Number | None = None,
    symbol: str | None = None,
    interval: str | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    fill: str | None = None,
    slippage_bps: float | None = None,
    taker_fee: Number | None = None,
    maker_fee: Number | None = None,
    price_decimals: int | None = None,
    quantity_decimals: int | None = None,
    min_quantity: Number | None = None,
    min_notional: Number | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> WalkForward:
    """Walk-forward analysis as ``vela walk-forward`` runs it: windows of ``in_sample``
    and ``out_of_sample`` bars (a count, or a duration such as ``"7d"``, ``"36h"``),
    rolling or ``anchored``; each in-sample window optimised by a sweep of ``grid``, the
    pick traded out of sample by the event tier with the equity carried over; ``params``
    fixes the other parameters."""
    run: dict[str, Any] = {
        "strategy": strategy,
        "params": _params(params),
        "data_dir": None if data_dir is None else os.fspath(data_dir),
        "symbol": symbol,
        "interval": interval,
        "budget": _decimal(budget, "budget"),
        "fill": _fill(fill),
        "slippage_bps": slippage_bps,
        "instrument": _instrument(taker_fee, maker_fee, price_decimals, quantity_decimals, min_quantity, min_notional),
    }
    columns = _source(data, run, start, end)
    options = {
        "backtest": run,
        "grid": _grid(grid),
        "constraints": list(constraints),
        "metric": metric,
        "in_sample": str(in_sample),
        "out_of_sample": str(out_of_sample),
        "anchored": anchored,
    }
    return WalkForward(_vela.walk_forward(json.dumps(options), columns))
