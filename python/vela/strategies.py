"""The built-in strategies and their parameter schemas."""

from __future__ import annotations

import json
from typing import Any

from . import _vela
from .errors import ParameterError

__all__ = ["strategies", "strategy"]


def strategies() -> list[dict[str, Any]]:
    """Every built-in strategy: ``name``, ``description`` and ``params`` (each with
    ``name``, ``kind``, ``default``, ``min``, ``max``, ``description``)."""
    return json.loads(_vela.strategies())


def strategy(name: str) -> dict[str, Any]:
    """One built-in strategy's schema (see :func:`strategies`)."""
    for schema in strategies():
        if schema["name"] == name:
            return schema
    known = ", ".join(s["name"] for s in strategies())
    raise ParameterError(f"unknown strategy {name!r} (known: {known})")
