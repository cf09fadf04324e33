"""Annual outputs accumulated from monthly model quantities.

Components declare their outputs as :class:`Output` (name, kind, unit, description) and write
monthly values; the recorder turns them into ``(n_runs, n_years)`` arrays:

* ``flow``  — monthly amounts summed over the year (deaths, kg delivered, cost);
* ``level`` — monthly values averaged over the year (people with OUD, price index).

Internally the arrays are ``(n_years, n_runs)`` so that each monthly write is contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .clock import Clock


@dataclass(frozen=True)
class Output:
    """A recorded outcome."""

    name: str
    kind: Literal["flow", "level"]
    unit: str
    description: str


class Recorder:
    """Accumulates declared outputs for one block of runs."""

    def __init__(self, clock: Clock, n: int, outputs: list[Output]):
        self.clock = clock
        self.n = n
        self.meta: dict[str, Output] = {}
        self._data: dict[str, np.ndarray] = {}
        for out in outputs:
            if out.name in self.meta:
                raise ValueError(f"output {out.name!r} is declared twice")
            self.meta[out.name] = out
            self._data[out.name] = np.zeros((clock.n_years, n))

    def flow(self, name: str, m: int, value: np.ndarray | float) -> None:
        """Add a monthly amount to the year's total."""
        row = self._data[name][m // 12]
        np.add(row, value, out=row)

    def level(self, name: str, m: int, value: np.ndarray | float) -> None:
        """Add a monthly value to the year's average (the sum is divided by 12 in :meth:`result`)."""
        row = self._data[name][m // 12]
        np.add(row, value, out=row)

    def result(self) -> dict[str, np.ndarray]:
        """Outputs as ``(n_runs, n_years)`` arrays."""
        out = {}
        for k, v in self._data.items():
            arr = np.ascontiguousarray(v.T)
            if self.meta[k].kind == "level":
                arr *= 1.0 / 12.0
            out[k] = arr
        return out
