"""Per-run summaries: what each run × portfolio row of an ensemble holds, and how it is computed.

Example:
    >>> SummarySpec(window=(2026, 2035)).to_json()
    {'window': [2026, 2035], 'yearly': ['opioid_deaths']}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UserError

#: Outcomes kept year by year in the run summaries by default (when the model has them).
KEY_OUTCOMES: tuple[str, ...] = ("opioid_deaths",)


@dataclass(frozen=True)
class SummarySpec:
    """What each run's summary row holds.

    * every outcome over ``window`` (inclusive years; default the whole clock): flows summed
      (``<outcome>_total``), levels averaged (``<outcome>_mean``);
    * the outcomes named in ``yearly`` year by year (``<outcome>_<year>``); ``"all"`` keeps every
      outcome; names the model does not produce are skipped.
    """

    window: tuple[int, int] | None = None
    yearly: tuple[str, ...] | str = KEY_OUTCOMES

    def __post_init__(self) -> None:
        if self.window is not None:
            a, b = (int(x) for x in self.window)
            if a > b:
                raise UserError(f"summary window {a}-{b} must run forward (first <= last)")
            object.__setattr__(self, "window", (a, b))
        if not isinstance(self.yearly, str):
            object.__setattr__(self, "yearly", tuple(str(x) for x in self.yearly))
        elif self.yearly != "all":
            object.__setattr__(self, "yearly", (self.yearly,))

    def to_json(self) -> dict[str, Any]:
        return {
            "window": list(self.window) if self.window else None,
            "yearly": self.yearly if isinstance(self.yearly, str) else list(self.yearly),
        }


def summarise(
    outcomes: dict[str, np.ndarray],
    years: np.ndarray,
    kinds: dict[str, str],
    window: tuple[int, int],
    yearly: tuple[str, ...] | str,
) -> dict[str, np.ndarray]:
    """Summary columns of one portfolio's ``(n_runs, n_years)`` outcomes.

    Example:
        >>> x = {"d": np.array([[1.0, 2.0, 4.0]])}
        >>> s = summarise(x, np.array([2000, 2001, 2002]), {"d": "flow"}, (2001, 2002), ("d",))
        >>> {k: v.tolist() for k, v in s.items()}
        {'d_total': [6.0], 'd_2000': [1.0], 'd_2001': [2.0], 'd_2002': [4.0]}
    """
    cols = np.flatnonzero((years >= window[0]) & (years <= window[1]))
    out: dict[str, np.ndarray] = {}
    for name, x in outcomes.items():
        acc = x[:, cols[0]].copy()
        for j in cols[1:]:  # a fixed order of additions, row by row: chunk-invariant bits
            acc += x[:, j]
        if kinds.get(name, "flow") == "level":
            out[f"{name}_mean"] = acc / len(cols)
        else:
            out[f"{name}_total"] = acc
    keep = list(outcomes) if yearly == "all" else [k for k in yearly if k in outcomes]
    for name in keep:
        for j, y in enumerate(years):
            out[f"{name}_{int(y)}"] = np.ascontiguousarray(outcomes[name][:, j])
    return out
