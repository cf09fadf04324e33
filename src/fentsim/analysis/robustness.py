"""Robustness of portfolios across an ensemble: regret, minimax and satisficing.

Every portfolio runs on the *same* parameter draws (common random numbers), so run ``i`` is one
possible world seen under each portfolio. In each world the **loss** of a portfolio is

* its cumulative opioid deaths over the window (default), or
* deaths + ``cost_weight`` × programme cost (cost-weighted). ``cost_weight`` is in deaths per USD;
  ``1 / VSL`` prices a dollar at the value of a statistical life, so the loss reads as
  "deaths-equivalent". :data:`DEFAULT_VSL` is the US DOT figure; pass another VSL or any weight.

The **regret** of a portfolio in a run is its loss minus the smallest loss of any portfolio analysed
in that run (0 for the best one). Across runs we report mean, 90th-percentile and maximum regret;
the most robust portfolio is the one with the smallest maximum regret (**minimax regret**) and the
one with the smallest 90th-percentile regret (less driven by a single extreme run). The
**satisficing share** is the share of runs in which a portfolio's loss is at most a threshold.
Regret is relative to the set analysed: adding or removing a portfolio can change it.

Example:
    >>> loss = np.array([[10.0, 12.0], [20.0, 15.0], [30.0, 31.0]])
    >>> res = regret_table(loss, ["a", "b"])
    >>> res.regret.tolist()
    [[0.0, 2.0], [5.0, 0.0], [0.0, 1.0]]
    >>> res.most_robust
    {'minimax': 'b', 'p90': 'b', 'mean': 'b'}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UserError
from ..params import load_registry
from .outcomes import (
    COST,
    DEATHS,
    DEFAULT_WINDOW,
    Progress,
    RunSpec,
    cumulative,
    draws,
    portfolio_name,
    run_portfolios,
    total_cost,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

#: US DOT value of a statistical life, USD, base year 2023 ("Departmental Guidance on Valuation of
#: a Statistical Life in Economic Analysis", 2024 update: $13.2 million), from the registry.
DEFAULT_VSL = load_registry()["value_of_statistical_life"].value
QUANTILE = 0.9  #: the regret quantile reported next to the maximum


@dataclass
class RobustnessResult:
    """Loss and regret of each portfolio in each run, and their summaries.

    Attributes:
        portfolios: portfolio names, in column order.
        loss: ``(n_runs, n_portfolios)`` — deaths, or deaths + cost_weight × cost.
        regret: ``loss`` minus the row minimum.
        deaths, cost: the components (``cost`` is None when not cost-weighted).
        cost_weight: deaths per USD used in the loss (0 = deaths only).
        threshold: the satisficing threshold on the loss (None = not computed).
    """

    portfolios: list[str]
    loss: np.ndarray
    regret: np.ndarray
    deaths: np.ndarray | None = None
    cost: np.ndarray | None = None
    cost_weight: float = 0.0
    threshold: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(self.loss.shape[0])

    def satisficing(self) -> np.ndarray | None:
        """Share of runs in which each portfolio's loss is at most the threshold."""
        if self.threshold is None:
            return None
        return (self.loss <= self.threshold).mean(axis=0)

    def summary(self) -> pd.DataFrame:
        """DataFrame, one row per portfolio: loss and regret statistics (and satisficing share)."""
        import pandas as pd

        q = np.quantile
        cols: dict[str, np.ndarray] = {
            "mean_loss": self.loss.mean(axis=0),
            "p05_loss": q(self.loss, 0.05, axis=0),
            "p95_loss": q(self.loss, 0.95, axis=0),
            "mean_regret": self.regret.mean(axis=0),
            f"p{round(QUANTILE * 100)}_regret": q(self.regret, QUANTILE, axis=0),
            "max_regret": self.regret.max(axis=0),
            "best_share": (self.regret == 0).mean(axis=0),
        }
        if self.cost is not None and self.deaths is not None:
            cols["mean_deaths"] = self.deaths.mean(axis=0)
            cols["mean_cost"] = self.cost.mean(axis=0)
        share = self.satisficing()
        if share is not None:
            cols["satisficing_share"] = share
        return pd.DataFrame(cols, index=pd.Index(self.portfolios, name="portfolio"))

    to_frame = summary

    @property
    def most_robust(self) -> dict[str, str]:
        """The portfolio with the smallest max, p90 and mean regret (first one on ties)."""
        s = self.summary()
        key = f"p{round(QUANTILE * 100)}_regret"
        crit = {"minimax": "max_regret", "p90": key, "mean": "mean_regret"}
        return {k: str(s[c].idxmin()) for k, c in crit.items()}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: settings, per-portfolio summary and the most robust choices."""
        s = self.summary()
        rows = [
            {"portfolio": str(i), **{k: float(v) for k, v in r.items()}} for i, r in s.iterrows()
        ]
        return {
            **self.meta,
            "runs": self.n_runs,
            "loss": "deaths" if not self.cost_weight else "deaths + cost_weight * cost",
            "cost_weight": self.cost_weight,
            "threshold": self.threshold,
            "portfolios": rows,
            "most_robust": self.most_robust,
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Box plot of each portfolio's regret across runs; returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 0.5 * len(self.portfolios) + 2))[1]
        ax.boxplot(
            self.regret,
            orientation="horizontal",
            tick_labels=self.portfolios,
            whis=(5, 95),
            showmeans=True,
        )
        ax.set_xlabel(
            "regret (" + ("deaths" if not self.cost_weight else "deaths-equivalent") + ")"
        )
        ax.set_title("regret against the best portfolio in each run")
        return ax


def regret(loss: np.ndarray) -> np.ndarray:
    """Loss minus the smallest loss in the same run (row).

    Example:
        >>> regret(np.array([[3.0, 1.0, 2.0]])).tolist()
        [[2.0, 0.0, 1.0]]
    """
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 2 or loss.shape[1] < 1:
        raise ValueError(f"loss must be (n_runs, n_portfolios), got shape {loss.shape}")
    return loss - loss.min(axis=1, keepdims=True)


def regret_table(
    loss: np.ndarray,
    portfolios: Sequence[str],
    *,
    threshold: float | None = None,
    deaths: np.ndarray | None = None,
    cost: np.ndarray | None = None,
    cost_weight: float = 0.0,
) -> RobustnessResult:
    """Regret and robustness summaries from a loss matrix (runs × portfolios)."""
    loss = np.asarray(loss, dtype=float)
    if loss.shape[1] != len(portfolios):
        raise ValueError(f"{len(portfolios)} portfolio names for {loss.shape[1]} loss columns")
    if not np.isfinite(loss).all():
        raise ValueError("loss has non-finite values")
    return RobustnessResult(
        list(portfolios), loss, regret(loss), deaths, cost, cost_weight, threshold
    )


def robustness(
    portfolios: Sequence[Any],
    *,
    runs: int = 1000,
    seed: int = 0,
    window: tuple[int, int] = DEFAULT_WINDOW,
    exposure: str = "coupled",
    cost_weight: float | None = None,
    vsl: float | None = None,
    threshold: float | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    simulator: Callable[..., Any] | None = None,
) -> RobustnessResult:
    """Run ``portfolios`` on the same draws and compare their regret.

    Args:
        portfolios: two or more portfolios (preset names, files or plans).
        runs, seed: the Latin-hypercube design over the uncertain parameters.
        source: ``prior`` or ``projection`` (see :func:`~fentsim.analysis.outcomes.draws`).
        window: years over which deaths (and cost) are cumulated.
        cost_weight: deaths per USD added to the loss (mutually exclusive with ``vsl``).
        vsl: value of a statistical life in USD; sets ``cost_weight = 1 / vsl``.
        threshold: satisficing threshold on the loss (deaths, or deaths-equivalent).

    Example:
        >>> res = robustness(["status-quo", "essay", "public-health"], runs=500)  # doctest: +SKIP
        >>> res.summary()  # doctest: +SKIP
    """
    names = [portfolio_name(p) for p in portfolios]
    if len(names) < 2:
        raise UserError(f"portfolios: got {len(names)}; regret needs at least two to compare")
    if len(set(names)) != len(names):
        raise UserError(f"portfolios lists a portfolio twice: {', '.join(names)}")
    if cost_weight is not None and vsl is not None:
        raise UserError("give either cost_weight or vsl, not both")
    if vsl is not None and not vsl > 0:
        raise UserError(f"vsl is {vsl}; allowed: a positive amount in USD (e.g. {DEFAULT_VSL:.3g})")
    if cost_weight is not None and cost_weight < 0:
        raise UserError(f"cost_weight is {cost_weight}; allowed: >= 0 deaths per USD")
    weight = float(1.0 / vsl if vsl is not None else (cost_weight or 0.0))
    spec = RunSpec(window=window, exposure=exposure, simulator=simulator)
    params, source = draws(runs, seed, source=source)
    res = run_portfolios(params, portfolios, spec, progress, keep={DEATHS, COST})
    deaths = np.column_stack([cumulative(res[n], DEATHS, window) for n in names])
    cost = np.column_stack([total_cost(res[n], window) for n in names]) if weight else None
    loss = deaths + weight * cost if cost is not None else deaths
    out = regret_table(
        loss, names, threshold=threshold, deaths=deaths, cost=cost, cost_weight=weight
    )
    out.meta = {
        "window": list(window),
        "seed": seed,
        "source": source,
        "exposure": exposure,
        "vsl": vsl,
    }
    return out
