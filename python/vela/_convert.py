"""Conversions at the boundary: times, bar DataFrames to numpy columns (no copy for
float64 columns without nulls), numpy columns and Arrow IPC back to polars."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Mapping

import numpy as np
import polars as pl

from .errors import DataError, ParameterError

BAR_COLUMNS = ("ts", "open", "high", "low", "close", "volume")

TimeLike = dt.datetime | dt.date | str | int | None


def to_ms(value: TimeLike, name: str) -> int | None:
    """A point in time as epoch milliseconds UTC: a datetime (naive means UTC), a date, an
    ISO-8601 string (``"2022-01-05"``, ``"2022-01-05 12:00"``, ``"...Z"``) or an int (ms)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value!r}: expected a time, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ParameterError(
                f"{name}={value!r}: expected a date or time such as 2022-01-05 or "
                "2022-01-05T12:00:00Z, or epoch milliseconds"
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    raise ParameterError(f"{name}={value!r}: expected a datetime, date, string or int (ms)")


def bars_frame(columns: Mapping[str, np.ndarray]) -> pl.DataFrame:
    """A dict of numpy bar columns as a DataFrame with ``ts`` as a UTC datetime."""
    frame = pl.DataFrame({name: pl.Series(name, values) for name, values in columns.items()})
    return frame.with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))


def with_times(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    """``frame`` with the epoch-ms columns ``names`` as UTC datetimes."""
    present = [n for n in names if n in frame.columns]
    return frame.with_columns(pl.col(n).cast(pl.Datetime("ms", "UTC")) for n in present)


def read_ipc(data: bytes) -> pl.DataFrame:
    """A DataFrame from Arrow IPC file bytes."""
    return pl.read_ipc(io.BytesIO(data))


def _float_column(frame: pl.DataFrame, name: str) -> np.ndarray:
    series = frame.get_column(name)
    if series.null_count():
        raise DataError(
            f"bar column {name!r} has {series.null_count()} null value(s): vela does not "
            "fill them in; drop or fill them first"
        )
    if not series.dtype.is_numeric():
        raise DataError(f"bar column {name!r} is {series.dtype}, expected numbers")
    return series.cast(pl.Float64).to_numpy()


def _ts_column(frame: pl.DataFrame) -> np.ndarray:
    series = frame.get_column("ts")
    if series.null_count():
        raise DataError(f"bar column 'ts' has {series.null_count()} null value(s)")
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.epoch("ms").to_numpy()
    if series.dtype.is_integer():
        return series.cast(pl.Int64).to_numpy()
    raise DataError(
        f"bar column 'ts' is {series.dtype}: expected the bars' open times as a Datetime or "
        "as epoch milliseconds (Int64)"
    )


def bar_columns(frame: Any) -> dict[str, np.ndarray]:
    """The bar columns of a polars (or pandas) DataFrame as numpy arrays: ``ts`` (int64
    epoch ms), ``open``, ``high``, ``low``, ``close``, ``volume`` (float64) and, when
    present, ``quote_volume``."""
    if type(frame).__module__.startswith("pandas"):
        frame = pl.from_pandas(frame)
    if not isinstance(frame, pl.DataFrame):
        raise DataError(f"bars: expected a polars (or pandas) DataFrame, got {type(frame).__name__}")
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"bars are missing column(s) {', '.join(missing)} (need ts, open, high, low, close, volume; "
            f"got {', '.join(frame.columns)})"
        )
    columns = {"ts": _ts_column(frame)}
    for name in BAR_COLUMNS[1:]:
        columns[name] = _float_column(frame, name)
    if "quote_volume" in frame.columns:
        columns["quote_volume"] = _float_column(frame, "quote_volume")
    return columns


def signal_column(value: Any, frame: pl.DataFrame | None, name: str, dtype: type) -> np.ndarray | None:
    """A signal column: a numpy array, a polars Series, a list, or the name of a column of
    ``frame``; as a contiguous numpy array of ``dtype``."""
    if value is None:
        return None
    if isinstance(value, str):
        if frame is None or value not in frame.columns:
            raise ParameterError(f"{name}={value!r}: no such column in the bars")
        value = frame.get_column(value)
    if isinstance(value, pl.Series):
        if value.null_count():
            raise DataError(f"{name}: {value.null_count()} null value(s); fill them first")
        value = value.cast(pl.Boolean if dtype is bool else pl.Float64).to_numpy()
    array = np.asarray(value)
    if array.ndim != 1:
        raise DataError(f"{name}: expected one value per bar (a 1-D column), got shape {array.shape}")
    if dtype is bool and array.dtype != np.bool_:
        if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
            raise DataError(f"{name}: expected booleans (or 0/1), got {array.dtype}")
        array = array.astype(np.bool_)
    if dtype is float:
        array = array.astype(np.float64, copy=False)
    return np.ascontiguousarray(array)
