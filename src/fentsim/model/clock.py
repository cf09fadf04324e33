"""Simulation time: monthly steps from January of ``start_year`` to December of ``end_year``.

Example:
    >>> c = Clock(1999, 2001)
    >>> c.n_months, c.n_years, c.year_index(13), c.month_of_year(13)
    (36, 3, 1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DT: float = 1.0 / 12.0  #: the step, in years


@dataclass(frozen=True)
class Clock:
    """Monthly calendar of a simulation (both years inclusive)."""

    start_year: int = 1999
    end_year: int = 2035

    def __post_init__(self) -> None:
        if self.end_year < self.start_year:
            raise ValueError(f"end year {self.end_year} is before start year {self.start_year}")

    @property
    def n_months(self) -> int:
        return 12 * (self.end_year - self.start_year + 1)

    @property
    def n_years(self) -> int:
        return self.end_year - self.start_year + 1

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.start_year, self.end_year + 1)

    def year_index(self, m: int) -> int:
        return m // 12

    def year(self, m: int) -> int:
        return self.start_year + m // 12

    def month_of_year(self, m: int) -> int:
        """0 for January … 11 for December."""
        return m % 12

    def time(self, m: int) -> float:
        """Decimal year at the middle of month ``m`` (1999-01 → 1999.0417)."""
        return self.start_year + (m + 0.5) / 12.0

    def month(self, year: int, month: int = 1) -> int:
        """The step index of ``year``-``month`` (month 1 = January), clipped to the clock."""
        m = (year - self.start_year) * 12 + (month - 1)
        return int(min(max(m, 0), self.n_months))

    def times(self) -> np.ndarray:
        """Decimal mid-month times of every step."""
        return self.start_year + (np.arange(self.n_months) + 0.5) / 12.0
