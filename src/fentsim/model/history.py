"""Historical policy inputs: the dated events of the policy timeline as monthly drivers.

The historical run reflects the events in ``data/policy_timeline.csv`` through generic rules, one
per kind of event (the timeline's ``lever`` column); no year-specific adjustments. Each rule turns
an event's dates (and, where the timeline gives one, its numeric magnitude) into a monthly *shape*
that the supply and violence components multiply by per-run effect sizes from the registry:

=====================  =========  ===================================================================
timeline lever         shape      driver (column of :data:`DRIVERS`)
=====================  =========  ===================================================================
security_aid           step       ``aid_on`` — 1 while in force; × ``hist_security_aid`` (USD/yr)
kingpin_strategy       step       ``kingpin_on`` — × ``hist_kingpin_removals`` (removals/yr)
border_barrier         ramp       ``barrier_miles`` — new miles built linearly from start to end
                                  (miles from the magnitude: new barrier where none existed if
                                  stated, else the miles built); ``barrier_built`` — miles this month
precursor_control      impulse    ``listings`` — precursors listed this month ("N precursors")
precursor_control      step       ``classwide`` — class-wide scheduling of fentanyl-related
                                  substances in force (acts on finished fentanyl sold from China)
precursor_control      step       ``coop_steps`` — enforcement cooperation without a listing (no
                                  magnitude): counts agreements in force
immigration_suspension step       ``immigration_on`` — × ``hist_immigration_suspension``
financial_sanctions    step       ``sanctions_on`` — × ``hist_sanctions_rate`` (designations/yr)
poe_scanning           ramp       ``scanning`` — rollout progress 0 → 1 from start to end
fto_designation        step       ``fto_on`` — unless the magnitude says ``none`` (floated, shelved)
cartel_conflict        impulse    ``war_start`` — an internal war of the largest organisation begins
military_strikes       ignored    strikes on boats in the Caribbean and Eastern Pacific hit cocaine
                                  routes, not the overland and port routes of fentanyl precursors
=====================  =========  ===================================================================

A step is on from its start month up to (not including) its end month (open-ended events stay on:
the status quo is that policies in force continue). A ramp rises linearly and is complete in its
end month. A timeline row whose lever has no rule is an error, so a data update cannot be silently
ignored.

Example:
    >>> from fentsim.model.clock import Clock
    >>> h = history_drivers(Clock(2006, 2026))
    >>> h.shape == (Clock(2006, 2026).n_months, len(DRIVERS))
    True
    >>> float(h[Clock(2006, 2026).month(2010, 1), DRIVERS.index("kingpin_on")])
    1.0
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np

from .clock import Clock

#: The timeline's dataset name in :mod:`fentsim.data`.
TIMELINE = "policy_timeline"

DRIVERS: tuple[str, ...] = (
    "aid_on", "kingpin_on", "barrier_miles", "barrier_built", "listings", "classwide",
    "coop_steps", "immigration_on", "sanctions_on", "scanning", "fto_on", "war_start",
)  # fmt: skip
H = {name: i for i, name in enumerate(DRIVERS)}

_LISTED = re.compile(r"(\d+)\s+precursors?", re.IGNORECASE)
_NEW_MILES = re.compile(r"(\d[\d,]*)\s+miles where no barrier existed", re.IGNORECASE)
_MILES = re.compile(r"(\d[\d,]*)\s+miles", re.IGNORECASE)
_IGNORED = {"military_strikes"}


def load_timeline():
    """The policy timeline as a DataFrame (``start, end, lever, event, magnitude, …``).

    Read through :func:`fentsim.data.load`; the shipped CSV is the fallback while the data layer
    is unavailable (switching is this one function).
    """
    try:
        from .. import data

        return data.load(TIMELINE)
    except (ImportError, AttributeError, KeyError, LookupError, FileNotFoundError):
        import pandas as pd

        path = resources.files("fentsim.data") / "files" / f"{TIMELINE}.csv"
        with resources.as_file(path) as f:
            return pd.read_csv(f, dtype=str)


def _month(clock: Clock, text: object) -> int | None:
    """Month index of ``YYYY-MM`` on ``clock`` (not clipped; None when empty)."""
    s = "" if text is None else str(text).strip()
    if not s or s.lower() == "nan":
        return None
    year, month = s.split("-")[:2]
    return (int(year) - clock.start_year) * 12 + int(month) - 1


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _step(n: int, a: int, b: int | None) -> np.ndarray:
    m = np.arange(n)
    return ((m >= a) & (m < (b if b is not None else n + 1))).astype(float)


def _ramp(n: int, a: int, b: int | None, shift: int = 0) -> np.ndarray:
    """Linear progress 0 → 1: ``(m − a + 1) / (b − a + 1)`` clipped (complete in month ``b``)."""
    m = np.arange(n) - shift
    span = max((b if b is not None else a) - a + 1, 1)
    return np.clip((m - a + 1) / span, 0.0, 1.0)


def _impulse(n: int, a: int) -> np.ndarray:
    out = np.zeros(n)
    if 0 <= a < n:
        out[a] = 1.0
    return out


def timeline_drivers(frame, clock: Clock) -> np.ndarray:
    """Monthly drivers ``(n_months, len(DRIVERS))`` from a timeline frame (see the module table).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"start": ["2001-01"], "end": ["2001-12"], "lever": ["border_barrier"],
        ...                    "magnitude": ["120 miles"]})
        >>> d = timeline_drivers(df, Clock(2001, 2002))
        >>> float(d[11, H["barrier_miles"]]), float(d[:, H["barrier_built"]].sum())
        (120.0, 120.0)
    """
    n = clock.n_months
    out = np.zeros((n, len(DRIVERS)))
    for _, row in frame.iterrows():
        lever = str(row["lever"]).strip()
        a = _month(clock, row["start"])
        b = _month(clock, row.get("end"))
        mag = str(row.get("magnitude", "") or "").strip()
        mag = "" if mag.lower() == "nan" else mag
        if a is None:
            raise ValueError(f"policy timeline row {lever!r} has no start date")
        if lever in _IGNORED:
            continue
        if lever == "security_aid":
            out[:, H["aid_on"]] += _step(n, a, b)
        elif lever == "kingpin_strategy":
            out[:, H["kingpin_on"]] += _step(n, a, b)
        elif lever == "border_barrier":
            found = _NEW_MILES.search(mag) or _MILES.search(mag)
            if found is None:
                raise ValueError(
                    f"policy timeline border_barrier row {row['start']} gives no miles: {mag!r}"
                )
            miles = _number(found.group(1))
            out[:, H["barrier_miles"]] += miles * _ramp(n, a, b)
            out[:, H["barrier_built"]] += miles * (_ramp(n, a, b) - _ramp(n, a, b, shift=1))
        elif lever == "precursor_control":
            listed = _LISTED.search(mag)
            if listed is not None:
                out[:, H["listings"]] += _number(listed.group(1)) * _impulse(n, a)
            elif "class" in mag.lower():
                out[:, H["classwide"]] += _step(n, a, b)
            elif not mag:
                out[:, H["coop_steps"]] += _step(n, a, b)
            else:
                raise ValueError(
                    f"policy timeline precursor_control row {row['start']}: unknown magnitude {mag!r}"
                )
        elif lever == "immigration_suspension":
            out[:, H["immigration_on"]] += _step(n, a, b)
        elif lever == "financial_sanctions":
            out[:, H["sanctions_on"]] += _step(n, a, b)
        elif lever == "poe_scanning":
            out[:, H["scanning"]] += _ramp(n, a, b)
        elif lever == "fto_designation":
            if mag.lower() != "none":
                out[:, H["fto_on"]] = np.maximum(out[:, H["fto_on"]], _step(n, a, b))
        elif lever == "cartel_conflict":
            out[:, H["war_start"]] += _impulse(n, a)
        else:
            raise ValueError(
                f"policy timeline lever {lever!r} (row {row['start']}) has no rule in fentsim.model.history"
            )
    return out


@lru_cache(maxsize=16)
def history_drivers(clock: Clock) -> np.ndarray:
    """The shipped timeline's drivers on ``clock`` (cached per clock; treat as read-only)."""
    arr = timeline_drivers(load_timeline(), clock)
    arr.setflags(write=False)
    return arr
