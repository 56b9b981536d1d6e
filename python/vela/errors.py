"""Exceptions raised by vela. Every one is a :class:`VelaError`, and also the built-in
exception a caller would expect (a bad parameter is a ``ValueError``, a missing dataset a
``FileNotFoundError``), with the Rust side's message unchanged."""

from __future__ import annotations

__all__ = [
    "VelaError",
    "ParameterError",
    "DataError",
    "DatasetNotFoundError",
    "StoreError",
    "QueryError",
    "InternalError",
]


class VelaError(Exception):
    """Base class of every error vela raises."""


class ParameterError(VelaError, ValueError):
    """A bad argument, strategy parameter or configuration value; the message names it."""


class DataError(VelaError, ValueError):
    """Bars or columns that cannot be used (missing, unequal lengths, invalid values)."""


class DatasetNotFoundError(VelaError, FileNotFoundError):
    """A dataset or file that is not there."""


class StoreError(VelaError, OSError):
    """Reading or writing the data store or a file failed."""


class QueryError(VelaError, ValueError):
    """A SQL statement the catalog refused."""


class InternalError(VelaError):
    """A bug in vela, caught at the boundary instead of crashing Python; please report it."""
