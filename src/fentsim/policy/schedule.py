"""Schedules: when a lever starts, how fast it ramps up, how long it lasts and how hard it acts.

A :class:`Schedule` has an ``intensity`` (in the lever's unit), a ``start`` month, a linear
``ramp`` (years from 0 to full intensity), an optional inclusive ``end`` month, and an optional
linear ``ramp_down`` (years from the level at ``end`` to 0). Dates are ``YYYY`` or ``YYYY-MM``;
a bare year means January for ``start`` and December for ``end`` ("sustained through 2030").

Month ``k`` of the schedule (``k = 0`` is the start month) has level
``intensity × min(1, (k + 1) / (12 × ramp))``; after ``end`` the level falls by
``level_at_end / (12 × ramp_down)`` a month. Before the start and after the ramp-down it is 0.

Example:
    >>> from fentsim.model.clock import Clock
    >>> s = Schedule(intensity=12.0, start=YearMonth.parse("2001"), ramp=0.5,
    ...              end=YearMonth.parse("2001-12", end=True))
    >>> s.profile(Clock(2000, 2002))[11:14].tolist(), s.profile(Clock(2000, 2002))[23:25].tolist()
    ([0.0, 2.0, 4.0], [12.0, 0.0])
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UserError

MONTHS_PER_YEAR = 12
FIRST_YEAR = 1999  #: the model's first simulated year: no schedule may start earlier
LAST_YEAR = 2100  #: the latest date a schedule may name
MAX_RAMP_YEARS = 50.0
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class ScheduleError(UserError):
    """A date, ramp or ordering in a schedule that cannot be used."""


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month (``month`` 1 = January).

    Example:
        >>> YearMonth.parse("2026-07"), YearMonth.parse(2030, end=True)
        (YearMonth(year=2026, month=7), YearMonth(year=2030, month=12))
    """

    year: int
    month: int = 1

    @property
    def index(self) -> int:
        """Months since January of year 0 (comparable across clocks)."""
        return self.year * MONTHS_PER_YEAR + self.month - 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, value: Any, *, end: bool = False) -> YearMonth:
        """Read ``"YYYY"``, ``"YYYY-MM"``, an integer year or a TOML date.

        A bare year is January, or December when ``end`` is true. Raises :class:`ScheduleError`
        with what is allowed.
        """
        allowed = f'allowed: "YYYY" or "YYYY-MM" between {FIRST_YEAR} and {LAST_YEAR}'
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, _dt.date):
            year, month = value.year, value.month
        elif isinstance(value, int) and not isinstance(value, bool):
            year, month = value, (MONTHS_PER_YEAR if end else 1)
        elif isinstance(value, str) and (match := _DATE.match(value.strip())):
            year = int(match.group(1))
            month = int(match.group(2)) if match.group(2) else (MONTHS_PER_YEAR if end else 1)
        else:
            raise ScheduleError(f"{value!r} is not a date; {allowed}")
        if not 1 <= month <= MONTHS_PER_YEAR:
            raise ScheduleError(f"{value!r} has month {month}, not 1-12; {allowed}")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ScheduleError(f"{value!r} is outside {FIRST_YEAR}-{LAST_YEAR}; {allowed}")
        return cls(year, month)


def check_years(value: Any, what: str) -> float:
    """A ramp length in years, or a :class:`ScheduleError` naming ``what`` and the allowed range.

    Example:
        >>> check_years(1, "ramp"), check_years(0.5, "ramp")
        (1.0, 0.5)
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScheduleError(
            f"{what} = {value!r} must be a number of years; allowed: 0 to {MAX_RAMP_YEARS:g}"
        )
    if not 0 <= value <= MAX_RAMP_YEARS:
        raise ScheduleError(
            f"{what} = {value!r} years is out of range; allowed: 0 to {MAX_RAMP_YEARS:g}"
        )
    return float(value)


@dataclass(frozen=True)
class Schedule:
    """When and how hard a lever acts (see the module docstring for the exact profile)."""

    intensity: float
    start: YearMonth
    ramp: float = 0.0
    end: YearMonth | None = None
    ramp_down: float = 0.0

    def __post_init__(self) -> None:
        check_years(self.ramp, "ramp")
        check_years(self.ramp_down, "ramp_down")
        if self.end is not None and self.end < self.start:
            raise ScheduleError(
                f"end {self.end} is before start {self.start}; end must be on or after start"
            )
        if self.ramp_down > 0 and self.end is None:
            raise ScheduleError("ramp_down needs an end date")

    @classmethod
    def build(
        cls, intensity: float, start: Any, ramp: Any = 0.0, end: Any = None, ramp_down: Any = 0.0
    ) -> Schedule:
        """A schedule from raw values (dates as strings, years or TOML dates).

        Example:
            >>> Schedule.build(5, "2026", ramp=2).describe()
            '5 from 2026-01, ramp 2 yr, sustained'
        """
        return cls(
            intensity=float(intensity),
            start=YearMonth.parse(start),
            ramp=check_years(ramp, "ramp"),
            end=None if end is None else YearMonth.parse(end, end=True),
            ramp_down=check_years(ramp_down, "ramp_down"),
        )

    @property
    def last_index(self) -> int | None:
        """Absolute index of the last month with a non-zero level (``None``: open-ended)."""
        if self.end is None:
            return None
        return self.end.index + math.ceil(self.ramp_down * MONTHS_PER_YEAR)

    def levels_at(self, index: np.ndarray) -> np.ndarray:
        """Levels at absolute month indices (see :attr:`YearMonth.index`)."""
        with np.errstate(over="ignore"):  # a vanishing ramp overflows to a step, as it should
            return self._levels_at(index)

    def _levels_at(self, index: np.ndarray) -> np.ndarray:
        k = np.asarray(index, dtype=float) - self.start.index
        ramp_months = self.ramp * MONTHS_PER_YEAR
        up = np.ones_like(k) if ramp_months <= 0 else np.minimum((k + 1.0) / ramp_months, 1.0)
        level = np.where(k >= 0, self.intensity * up, 0.0)
        if self.end is not None:
            k_end = self.end.index - self.start.index
            at_end = self.intensity * (
                1.0 if ramp_months <= 0 else min((k_end + 1.0) / ramp_months, 1.0)
            )
            after = k - k_end
            down_months = self.ramp_down * MONTHS_PER_YEAR
            down = (
                np.zeros_like(k)
                if down_months <= 0
                else np.clip(1.0 - after / down_months, 0.0, 1.0)
            )
            level = np.where(after > 0, at_end * down, level)
        return level

    def profile(self, clock) -> np.ndarray:
        """Monthly levels over a :class:`~fentsim.model.clock.Clock`, shape ``(n_months,)``.

        Example:
            >>> from fentsim.model.clock import Clock
            >>> Schedule.build(3, "2001-11").profile(Clock(2001, 2001))[9:].tolist()
            [0.0, 3.0, 3.0]
        """
        first = clock.start_year * MONTHS_PER_YEAR
        return self.levels_at(first + np.arange(clock.n_months))

    def describe(self) -> str:
        """A one-line summary, e.g. ``'30 from 2026-01, ramp 1 yr, until 2030-12'``."""
        parts = [f"{self.intensity:g} from {self.start}"]
        if self.ramp:
            parts.append(f"ramp {self.ramp:g} yr")
        parts.append(f"until {self.end}" if self.end else "sustained")
        if self.ramp_down:
            parts.append(f"ramp-down {self.ramp_down:g} yr")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (dates as ``YYYY-MM``)."""
        return {
            "intensity": self.intensity,
            "start": str(self.start),
            "ramp": self.ramp,
            "end": None if self.end is None else str(self.end),
            "ramp_down": self.ramp_down,
        }
