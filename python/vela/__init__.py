"""vela: backtest-first crypto trading research, from Python.

Data (``datasets``, ``bars``, ``import_file``, ``check``, ``generate``, ``sql``),
strategies (``strategies``, ``strategy``), backtests of built-in strategies
(``backtest`` → :class:`Result` with ``.stats``, ``.trades``, ``.equity``, ``.plot()``,
``.save()``, ``.promote()``), your own signals (``simulate``), parameter sweeps
(``sweep`` → :class:`Sweep`) and walk-forward analysis (``walk_forward`` →
:class:`WalkForward`). DataFrames are polars; the work runs in Rust without the GIL.
"""

from __future__ import annotations

from . import _vela
from .data import CheckReport, bars, check, datasets, generate, import_file, sql
from .errors import (
    DataError,
    DatasetNotFoundError,
    InternalError,
    ParameterError,
    QueryError,
    StoreError,
    VelaError,
)
from .research import backtest, simulate, sweep, walk_forward
from .result import Chart, Result, Sweep, WalkForward
from .strategies import strategies, strategy

__version__: str = _vela.__version__

__all__ = [
    "CheckReport",
    "Chart",
    "DataError",
    "DatasetNotFoundError",
    "InternalError",
    "ParameterError",
    "QueryError",
    "Result",
    "StoreError",
    "Sweep",
    "VelaError",
    "WalkForward",
    "backtest",
    "bars",
    "check",
    "datasets",
    "generate",
    "import_file",
    "simulate",
    "sql",
    "strategies",
    "strategy",
    "sweep",
    "walk_forward",
]
