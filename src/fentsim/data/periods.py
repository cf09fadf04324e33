"""Reading the period keys of the raw files: ``2019``, ``FY2025``, ``2019Q1``, ``2025_Oct-Jan``, ``2023-12``.

A key gives the year it belongs to and whether the figure covers one whole year (``annual``).
Partial keys are kept (the raw text stays in the ``period`` column) but are excluded from annual
calibration targets.

* ``2019`` (year) → 2019, annual;
* ``FY2024`` (fiscal_year) → fiscal 2024, annual;
* ``2019Q1`` → 2019, partial (one quarter);
* ``FY2025_Oct-Jan`` or ``2025_Oct-Jan`` → 2025, partial (part of the year);
* ``2023-12`` (month_end) → 2023, annual (the 12 months ending December are calendar 2023);
* ``2024-09`` (month_end) → 2024, not annual (12 months ending September).

Example:
    >>> parse_period("2019Q1", "year")
    Period(key='2019Q1', year=2019, annual=False)
    >>> parse_period("2023-12", "month_end").annual
    True
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .catalogue import DataError

_FULL = re.compile(r"^(?:FY)?(\d{4})$")
_QUARTER = re.compile(r"^(?:FY)?(\d{4})[-_ ]?Q[1-4]$")
_PART = re.compile(r"^(?:FY)?(\d{4})[-_ ]+[A-Za-z].*$")
_MONTH_END = re.compile(r"^(\d{4})-(\d{2})$")
#: The month a 12-month window must end in to cover one calendar year.
_DECEMBER = 12


class Period(NamedTuple):
    """A parsed key: the raw text, the year it belongs to, and whether it covers a whole year."""

    key: str
    year: int
    annual: bool


def parse_period(key: object, kind: str) -> Period:
    """Parse one key of a dataset whose period column is of ``kind`` (see module docstring)."""
    text = str(key).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a year column read as float
        text = text[:-2]
    if kind == "month_end":
        m = _MONTH_END.match(text)
        if m and 1 <= int(m.group(2)) <= _DECEMBER:
            return Period(text, int(m.group(1)), int(m.group(2)) == _DECEMBER)
    else:
        for pattern, annual in ((_FULL, True), (_QUARTER, False), (_PART, False)):
            m = pattern.match(text)
            if m:
                return Period(text, int(m.group(1)), annual)
    allowed = "YYYY-MM" if kind == "month_end" else "YYYY, FYYYYY, YYYYQn or YYYY_<part>"
    raise DataError(f"period key {text!r} cannot be read as {kind}; allowed forms: {allowed}")
