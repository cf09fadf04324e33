"""fentsim — a calibrated, uncertainty-aware policy laboratory for the illicit-fentanyl crisis.

The one-line API (imported lazily, so that ``import fentsim`` stays fast):

Example:
    >>> import fentsim
    >>> fentsim.run("status-quo", runs=2, end=2025, exposure="observed").outcomes["opioid_deaths"].shape
    (2, 27)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "compare", "run"]


def __getattr__(name: str) -> Any:
    if name in ("run", "compare"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'fentsim' has no attribute {name!r}")
