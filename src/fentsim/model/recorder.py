"""Annual outputs accumulated from monthly model quantities.

Components declare their outputs as :class:`Output` (name, kind, unit, description) and write
monthly values; the recorder turns them into ``(n_runs, n_years)`` arrays:

* ``flow``  — monthly amounts summed over the year (deaths, kg delivered, cost);
* ``level`` — monthly values averaged over the year (people with OUD, price index).

Internally the arrays are ``(n_years, n_runs)`` so that each monthly write is contiguous.
Components that accumulate in compiled code add a whole year (:meth:`Recorder.add_year`) or
every year (:meth:`Recorder.add_years`) at once. An ``internal`` output is bookkeeping between
components (the costed quantities the epidemic hands to the cost component): it can be read back
with :meth:`Recorder.year_total` but is not part of the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .clock import Clock
from .table_pool import aligned_zeros, output_table, zero_pages


@dataclass(frozen=True)
class Output:
    """A recorded outcome."""

    name: str
    kind: Literal["flow", "level"]
    unit: str
    description: str
    internal: bool = False


class Recorder:
    """Accumulates declared outputs for ``n`` runs.

    The engine simulates the runs in blocks: :meth:`block` gives a recorder for some of the runs
    that writes into the same arrays, so each output is written once, in place, and
    :meth:`result` needs neither concatenation nor a copy. The table's memory may be a previous
    table's (:mod:`~fentsim.model.table_pool`): a row is zeroed on its first use unless a kernel
    stored it whole first.
    """

    def __init__(self, clock: Clock, n: int, outputs: list[Output]):
        self.clock = clock
        self.n = n
        self.meta: dict[str, Output] = {}
        self._kinds: dict[str, str] = {}
        self._data: dict[str, np.ndarray] = {}
        self._written: set[str] = set()
        self._averaged: set[str] = set()  # levels a kernel stored as the year's mean (see table)
        self._final: dict[str, np.ndarray] = {}
        for out in outputs:
            if out.name in self._kinds:
                raise ValueError(f"output {out.name!r} is declared twice")
            if not out.internal:
                self.meta[out.name] = out
            self._kinds[out.name] = out.kind
        self._store, self._data, stale = _zeros(list(self._kinds), clock.n_years, n, pooled=True)
        self._row = {name: k for k, name in enumerate(self._data)}
        #: rows that may hold a previous table's values: zeroed (whole, for every run) on first
        #: use, unless a kernel stores them whole first (:meth:`mark_written`)
        self._stale: set[str] = set(self._kinds) if stale else set()
        self._root = self._store

    def block(self, runs: slice) -> Recorder:
        """A recorder for the runs ``runs`` (a slice) that writes into this one's arrays."""
        sub = object.__new__(Recorder)
        sub.clock, sub.meta, sub._kinds = self.clock, self.meta, self._kinds
        sub._written, sub._averaged, sub._final = self._written, self._averaged, {}
        sub._stale, sub._root = self._stale, self._root
        sub._data = {k: v[:, runs] for k, v in self._data.items()}
        sub._store, sub._row = self._store[:, :, runs], self._row
        sub.n = next(iter(sub._data.values())).shape[1] if sub._data else 0
        return sub

    def fork(self, through_year: int) -> Recorder:
        """A new recorder (own arrays) holding this one's values for year indices ``0..through_year``
        (the engine forks a simulation whose portfolios part ways in that year)."""
        new = Recorder.__new__(Recorder)
        new.clock, new.n, new.meta, new._kinds = self.clock, self.n, self.meta, self._kinds
        new._written, new._averaged, new._final = set(self._written), set(self._averaged), {}
        new._store, new._data, _ = _zeros(list(self._data), self.clock.n_years, self.n)
        new._stale, new._root = set(), new._store
        new._row = self._row
        for k in self._written:
            new._data[k][: through_year + 1] = self._data[k][: through_year + 1]
        return new

    def add_rows(self, m: int, acc: np.ndarray, outputs: tuple[Output, ...]) -> None:
        """Add a year of accumulators ``acc`` ``(n, len(outputs))``, column ``j`` to ``outputs[j]``
        (flows summed, levels as the sum of the months); ``m`` is a month of that year."""
        t = np.ascontiguousarray(acc.T)
        for j, out in enumerate(outputs):
            self.add_year(out.name, m // 12, t[j])

    def take(self, other: Recorder) -> None:
        """Copy every written output of ``other`` (same outputs, same number of runs) into this one."""
        for k in other._written:
            self._data[k][...] = other._data[k]
        self._stale.difference_update(other._written)
        self._written.update(other._written)
        self._averaged.update(other._averaged)

    def flow(self, name: str, m: int, value: np.ndarray | float) -> None:
        """Add a monthly amount to the year's total."""
        self.add_year(name, m // 12, value)

    def level(self, name: str, m: int, value: np.ndarray | float) -> None:
        """Add a monthly value to the year's average (the sum is divided by 12 in :meth:`result`)."""
        self.add_year(name, m // 12, value)

    def add_year(self, name: str, y: int, value: np.ndarray | float) -> None:
        """Add a year's total (flows) or a year's sum of 12 monthly values (levels)."""
        self._sums_only(name)
        self._clean(name)
        row = self._data[name][y]
        np.add(row, value, out=row)
        self._written.add(name)

    def add_years(self, name: str, years: slice, values: np.ndarray) -> None:
        """:meth:`add_year` for the years ``years`` at once: ``values`` ``(len(years), n)``."""
        self._sums_only(name)
        self._clean(name)
        rows = self._data[name][years]
        np.add(rows, values, out=rows)
        self._written.add(name)

    def _clean(self, name: str) -> None:
        """Zero ``name``'s row for every run if it may hold a previous table's values."""
        if name in self._stale:
            self._root[self._row[name]] = 0.0
            self._stale.discard(name)

    def _sums_only(self, name: str) -> None:
        if name in self._averaged:
            raise ValueError(f"output {name!r} holds yearly means written by a kernel")

    def table(self) -> tuple[np.ndarray, dict[str, int]]:
        """The ``(outputs, years, runs)`` array behind every output, and each output's row in it:
        kernels that run many months write whole years into it in place (flows summed, levels as
        the sum of the months, or their mean: see :meth:`level_scale`), then name what they wrote
        with :meth:`mark_written`. Kernels store every year of the rows they write (the table
        may hold a previous table's values: :mod:`~fentsim.model.table_pool`), never add."""
        return self._store, self._row

    def level_scale(self) -> np.ndarray:
        """Per row of :meth:`table`: 1/12 for levels, 1 for flows — what a kernel multiplies a
        year's monthly sums by to store levels as the year's mean (then ``mark_written(names,
        averaged=True)``), which saves :meth:`result` a pass over every level output.

        Example:
            >>> from fentsim.model.clock import Clock
            >>> rec = Recorder(Clock(2020, 2021), 1, [Output("a", "flow", "", ""),
            ...                                       Output("b", "level", "", "")])
            >>> rec.level_scale().tolist()
            [1.0, 0.08333333333333333]
        """
        return np.array([1.0 / 12.0 if self._kinds[k] == "level" else 1.0 for k in self._row])

    def mark_written(self, names: list[str], averaged: bool = False) -> None:
        """Record that values were written for ``names`` through :meth:`table`; with
        ``averaged``, levels were stored as the year's mean (:meth:`level_scale`)."""
        self._written.update(names)
        self._stale.difference_update(names)
        if averaged:
            self._averaged.update(k for k in names if self._kinds[k] == "level")

    def attach(self, name: str, values: np.ndarray) -> None:
        """Take a finished output: ``values`` ``(n_runs, n_years)`` in final units (levels averaged),
        used as is by :meth:`result` (for kernels that run every month in one call)."""
        if name not in self._data or name in self._written:
            raise ValueError(f"output {name!r} is not declared, or already has monthly values")
        self._final[name] = values

    def has(self, name: str) -> bool:
        """Whether the output (public or internal) is declared."""
        return name in self._data

    def year_total(self, name: str, y: int) -> np.ndarray:
        """The amount accumulated so far for year index ``y`` (levels: the monthly sum)."""
        if name in self._final:
            return self._final[name][:, y] * (12.0 if self._kinds[name] == "level" else 1.0)
        if name in self._averaged:
            return self._data[name][y] * 12.0
        self._clean(name)
        return self._data[name][y]

    def years_total(self, name: str, years: slice) -> np.ndarray:
        """:meth:`year_total` for the years ``years`` at once, ``(len(years), n)``."""
        if name in self._final:
            scale = 12.0 if self._kinds[name] == "level" else 1.0
            return self._final[name][:, years].T * scale
        if name in self._averaged:
            return self._data[name][years] * 12.0
        self._clean(name)
        return self._data[name][years]

    def result(self) -> dict[str, np.ndarray]:
        """Public outputs as ``(n_runs, n_years)`` arrays (call once: the recorder is spent)."""
        out = {}
        unwritten = [
            k
            for k in self._data
            if k in self.meta and k not in self._final and k not in self._written
        ]
        table = zero_pages((len(unwritten), self.n, self.clock.n_years))
        zeros = dict(zip(unwritten, table, strict=True))
        for k, v in self._data.items():
            if k not in self.meta:
                continue
            if k in zeros:
                out[k] = zeros[k]
                continue
            if k in self._final:
                out[k] = self._final[k]
                continue
            if self._kinds[k] == "level" and k not in self._averaged:
                v *= 1.0 / 12.0
            out[k] = v.T  # a transposed view (Fortran order): no copy
        # the arrays now belong to the result (the table's memory returns to the pool with them)
        self._data, self._store = {}, np.zeros((0, 0, 0))
        self._root = self._store
        return out


def _zeros(
    names: list[str], n_years: int, n: int, pooled: bool = False
) -> tuple[np.ndarray, dict[str, np.ndarray], bool]:
    """One ``(len(names), n_years, n)`` table with cache-line-aligned rows, a view of it per
    name, and whether it holds old values (``pooled``: memory of a table no longer referenced,
    :func:`~fentsim.model.table_pool.output_table`).

    Otherwise the table is fresh zeros: one large allocation is mapped fresh from the operating
    system, whose pages are zero until written, so outputs that are never written (those a kernel
    attaches whole) cost nothing.
    """
    shape = (len(names), n_years, n)
    block, stale = output_table(shape) if pooled else (aligned_zeros(shape), False)
    return block, {name: block[i] for i, name in enumerate(names)}, stale
