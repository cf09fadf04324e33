"""Designs over lever intensities, and the portfolios an experiment compares.

* :class:`LeverDesign` — per-run lever intensities drawn from their own stream (seed, run index);
* :func:`resolve_plan` — a portfolio name (preset, ``a+b`` combination, scenario file) or a
  :class:`~fentsim.policy.plan.PolicyPlan` → the compiled plan; :func:`plan_to_json` and
  :func:`plan_from_json` carry plans inside an experiment's spec.

Example:
    >>> d = LeverDesign({"naloxone": (0.0, 10.0)})
    >>> v = d.values(8, seed=1, start=0, stop=8)["naloxone"]
    >>> bool(((v >= 0) & (v <= 10)).all())
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UserError
from ..model.clock import Clock
from ..params import METHODS, unit_design
from ..policy.plan import STATUS_QUO, PolicyPlan

_LEVER_STREAM = 0x1E7E5  # tags the lever design's stream so it never reuses the parameter stream


def sub_seed(seed: int, tag: int) -> int:
    """A seed derived from (``seed``, ``tag``) for an independent stream of the same design."""
    return int(np.random.SeedSequence([seed, tag]).generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class LeverDesign:
    """A design over lever intensities, drawn per run index and applied to every portfolio.

    Run ``i`` sets lever ``L`` to ``low + u_i (high - low)`` from January of ``start_year``
    (default: the first simulated year) to the end, replacing the portfolio's own schedule of
    that lever. ``u`` comes from a Latin hypercube, Sobol or Monte Carlo design with a stream
    of its own, so adding a lever design never shifts the parameter draws.

    Example:
        >>> d = LeverDesign({"naloxone": (0.0, 10.0)})
        >>> v = d.values(8, seed=1, start=0, stop=8)["naloxone"]
        >>> bool(((v >= 0) & (v <= 10)).all())
        True
    """

    ranges: Mapping[str, tuple[float, float]]
    method: str = "lhs"
    start_year: int | None = None

    def __post_init__(self) -> None:
        if not self.ranges:
            raise UserError("lever design needs at least one lever range")
        clean = {}
        for lever, rng in self.ranges.items():
            try:
                lo, hi = (float(x) for x in rng)
            except (TypeError, ValueError):
                raise UserError(
                    f"lever range {lever}={rng!r} must be two numbers (low, high)"
                ) from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
                raise UserError(f"lever range {lever}=({lo}, {hi}) needs finite low <= high")
            _check_lever(str(lever), lo, hi)
            clean[str(lever)] = (lo, hi)
        object.__setattr__(self, "ranges", clean)
        if self.method not in METHODS:
            raise UserError(
                f"lever design method {self.method!r} is not one of {', '.join(METHODS)}"
            )

    def values(self, n: int, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """Each lever's intensity for runs ``[start, stop)`` of an ``n``-run design."""
        with warnings.catch_warnings():  # a chunk of a Sobol design is rarely a power of 2
            warnings.filterwarnings("ignore", message="The balance properties")
            u = unit_design(
                self.method, n, len(self.ranges), sub_seed(seed, _LEVER_STREAM), start, stop
            )
        return {
            lv: lo + u[:, j] * (hi - lo) for j, (lv, (lo, hi)) in enumerate(self.ranges.items())
        }

    def apply(self, plan: PolicyPlan, values: Mapping[str, np.ndarray], clock: Clock) -> PolicyPlan:
        """``plan`` with the designed levers set per run (levels of shape ``(n_months, n_runs)``)."""
        m0 = 0 if self.start_year is None else clock.month(self.start_year)
        levels = dict(plan.levels)
        for lever, v in values.items():
            arr = np.zeros((clock.n_months, len(v)))
            arr[m0:] = v
            levels[lever] = arr
        return PolicyPlan(plan.name, levels, plan.options)

    def to_json(self) -> dict[str, Any]:
        return {
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "method": self.method,
            "start_year": self.start_year,
        }


def resolve_plan(portfolio: str | PolicyPlan, clock: Clock) -> PolicyPlan:
    """The compiled plan of a portfolio given by name (or the plan itself)."""
    if isinstance(portfolio, PolicyPlan):
        return portfolio
    try:
        from ..policy import compile_plan  # presets, a+b combinations, scenario files
    except ImportError:  # the policy layer is optional for plug-in models
        if portfolio == STATUS_QUO.name:
            return STATUS_QUO
        raise UserError(f"portfolio {portfolio!r} is unknown; allowed: status-quo") from None
    return compile_plan(portfolio, clock)


def _check_lever(name: str, lo: float, hi: float) -> None:
    """Known lever, range inside the catalogue's (when the policy catalogue is installed)."""
    try:
        from ..policy.catalogue import lever
    except ImportError:
        return
    lv = lever(name)  # unknown names fail with a suggestion
    for value in (lo, hi):
        problem = lv.check_intensity(value)
        if problem:
            raise UserError(f"lever range {name}=({lo:g}, {hi:g}): {value:g} {problem}")


def plan_to_json(p: str | PolicyPlan) -> str | dict[str, Any]:
    """A portfolio as JSON: its name, or a plan's levels (exact floats) and options."""
    if isinstance(p, str):
        return p
    return {
        "name": p.name,
        "levels": {k: np.asarray(v, dtype=float).tolist() for k, v in p.levels.items()},
        "options": {k: dict(v) for k, v in p.options.items()},
    }


def plan_from_json(x: str | Mapping[str, Any]) -> str | PolicyPlan:
    """The inverse of :func:`plan_to_json`."""
    if isinstance(x, str):
        return x
    return PolicyPlan(
        x["name"],
        {k: np.asarray(v, dtype=float) for k, v in x["levels"].items()},
        {k: dict(v) for k, v in x["options"].items()},
    )
