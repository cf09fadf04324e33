"""The compiled form of a portfolio that the model reads: lever levels per month.

A :class:`PolicyPlan` maps lever names to monthly levels in the lever's own unit (kits per year,
coverage fraction, operations per month …). A level is either an array over months, shape
``(n_months,)`` (every run gets the same schedule), or ``(n_months, n_runs)`` (designs over lever
intensities). Levers absent from the plan are at level 0. Levels are *in addition to* the
status quo: the status-quo baseline (policies in force continue) is the empty plan.

Options that are not intensities (a military campaign's target mix, whether Mexico consents)
live in :attr:`PolicyPlan.options`, one table per lever.

Example:
    >>> import numpy as np
    >>> plan = PolicyPlan("demo", {"naloxone": np.ones(24)})
    >>> plan.level("naloxone", 3), plan.level("moud_access", 3)
    (1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PolicyPlan:
    """Monthly lever levels for one portfolio."""

    name: str = "status-quo"
    levels: Mapping[str, np.ndarray] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def active(self, lever: str) -> bool:
        """Whether the lever is ever above zero."""
        arr = self.levels.get(lever)
        return arr is not None and bool(np.any(arr != 0))

    def level(self, lever: str, m: int) -> Any:
        """The lever's level in month ``m``: a float, or an array over runs."""
        arr = self.levels.get(lever)
        if arr is None or m >= arr.shape[0]:
            return 0.0
        v = arr[m]
        return float(v) if np.ndim(v) == 0 else v

    def option(self, lever: str, key: str, default: Any = None) -> Any:
        """A non-intensity option of a lever (``default`` when not set)."""
        return self.options.get(lever, {}).get(key, default)

    def take(self, index: Any) -> PolicyPlan:
        """The plan restricted to some runs (per-run levels are sliced, shared ones kept)."""
        levels = {k: (v[:, index] if v.ndim == 2 else v) for k, v in self.levels.items()}
        return PolicyPlan(self.name, levels, self.options)


STATUS_QUO = PolicyPlan()
