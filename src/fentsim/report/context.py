"""The report's options and the inputs every section reads (gathered once, shared by all).

Example:
    >>> opts = ReportOptions(portfolios=("status-quo", "essay"), runs=10, seed=3)
    >>> opts.reference, opts.window
    ('status-quo', (2026, 2035))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.result import SimResult
from . import inputs
from .inputs import DEFAULT_PORTFOLIOS, DEFAULT_WINDOW, Unavailable

#: model outputs the report looks for, by role; the first name the model records is used
OUTPUT_ROLES: dict[str, tuple[str, ...]] = {
    "deaths": ("opioid_deaths",),
    "homicides": ("mexico_homicides", "homicides"),
    "civilian_harm": ("civilian_harm",),
    "delivered": ("fentanyl_delivered_kg", "fentanyl_delivered"),
    "seized": ("fentanyl_seized_kg", "fentanyl_seized"),
    "seized_cbp": ("cbp_seizures_lb",),
    "purity": ("potency_index", "purity"),
    "share": ("fentanyl_share",),
    "price": ("price_index",),
    "groups": ("criminal_groups",),
    "cost": ("programme_cost_usd", "programme_cost"),
}


def trajectory_outputs() -> set[str]:
    """Model outputs whose yearly trajectories the report keeps: chart roles and fit targets."""
    keep = {n for names in OUTPUT_ROLES.values() for n in names}
    targets = inputs.attempt(
        "calibration targets", lambda: inputs.need("fentsim.calibration.targets", "DEFAULT_TARGETS")
    )
    if not isinstance(targets, Unavailable):
        keep |= {o for t in targets for o in t.outputs}
    return keep


@dataclass(frozen=True)
class ReportOptions:
    """What the report compares and how hard it works.

    Attributes:
        portfolios: preset names or portfolio objects; the first is the reference.
        runs: parameter draws shared by every portfolio.
        seed: the one seed of the ensemble and of the analyses.
        window: years over which outcomes are cumulated.
        analyses: also run sensitivity, scenario discovery and the claims audit (slower).
        sensitivity_samples: Sobol base sample for the tornado (power of two).
        discovery_share: scenario discovery asks when the focus portfolio averts at least this
            share of the reference's deaths (default: its mean averted share in the comparison).
    """

    portfolios: Sequence[Any] = DEFAULT_PORTFOLIOS
    runs: int = 500
    seed: int = 0
    window: tuple[int, int] = DEFAULT_WINDOW
    exposure: str = "coupled"
    analyses: bool = True
    sensitivity_samples: int = 64
    discovery_share: float | None = None
    title: str = "fentsim policy report"

    @property
    def names(self) -> list[str]:
        return [p if isinstance(p, str) else str(getattr(p, "name", p)) for p in self.portfolios]

    @property
    def reference(self) -> str:
        return self.names[0]

    @property
    def focus(self) -> str:
        """The portfolio the analyses examine: the second named (the first is the reference)."""
        return self.names[1] if len(self.names) > 1 else self.names[0]


@dataclass
class ReportContext:
    """Inputs gathered for one report; each is a value or an :class:`Unavailable`."""

    options: ReportOptions
    comparison: Any | Unavailable
    summary: dict[str, Any] | Unavailable
    results: Mapping[str, SimResult] | Unavailable
    figures: dict[str, bytes] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def output(self, role: str) -> str | None:
        """The model output playing ``role`` (see :data:`OUTPUT_ROLES`), if the model records one."""
        if isinstance(self.results, Unavailable) or not self.results:
            return None
        have = next(iter(self.results.values())).outcomes
        return next((n for n in OUTPUT_ROLES.get(role, ()) if n in have), None)

    def unit(self, name: str) -> str:
        if isinstance(self.results, Unavailable):
            return ""
        meta = next(iter(self.results.values())).meta
        return meta[name].unit if name in meta else ""

    def first_year(self) -> int:
        """Where projection charts start: a few observed years before the window."""
        return int(self.options.window[0]) - 6


def gather(
    options: ReportOptions, comparison: Any = None, progress: inputs.Progress | None = None
) -> ReportContext:
    """Run (or reuse) the comparison and collect its summary and per-portfolio runs."""
    if comparison is None:
        comparison = inputs.attempt(
            "the comparison",
            lambda: inputs.run_comparison(
                options.portfolios,
                options.runs,
                options.seed,
                options.window,
                options.exposure,
                progress,
                trajectory_outputs(),
            ),
        )
    if isinstance(comparison, Unavailable):
        return ReportContext(options, comparison, comparison, comparison)
    summary = inputs.attempt("the comparison summary", lambda: inputs.comparison_json(comparison))
    results = inputs.comparison_results(comparison)
    return ReportContext(options, comparison, summary, results)


def distribution(x: np.ndarray) -> dict[str, float]:
    """``{"mean", "p05", "p95"}`` of a sample (the comparison's summary shape).

    Example:
        >>> distribution(np.arange(101.0))
        {'mean': 50.0, 'p05': 5.0, 'p95': 95.0}
    """
    return {
        "mean": float(np.mean(x)),
        "p05": float(np.quantile(x, 0.05)),
        "p95": float(np.quantile(x, 0.95)),
    }
