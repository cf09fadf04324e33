"""Annual outputs of an ensemble: ``outcomes[name]`` is an ``(n_runs, n_years)`` array.

Example:
    >>> import numpy as np
    >>> r = SimResult(np.array([2020, 2021]), {"x": np.array([[1.0, 2.0], [3.0, 4.0]])}, {}, "demo")
    >>> r.quantiles("x")["mean"].tolist()
    [2.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .recorder import Output

QUANTILES: tuple[tuple[str, float], ...] = (("p05", 0.05), ("p50", 0.50), ("p95", 0.95))


@dataclass
class SimResult:
    """Annual outcomes of ``n_runs`` runs of one portfolio."""

    years: np.ndarray
    outcomes: dict[str, np.ndarray]
    meta: Mapping[str, Output] = field(default_factory=dict)
    portfolio: str = "status-quo"

    @classmethod
    def concat(cls, parts: Sequence[SimResult]) -> SimResult:
        """One result from the results of consecutive blocks of runs of one portfolio."""
        first = parts[0]
        if len(parts) == 1:
            return first
        outcomes = {k: np.concatenate([p.outcomes[k] for p in parts]) for k in first.outcomes}
        return cls(first.years, outcomes, first.meta, first.portfolio)

    @property
    def n_runs(self) -> int:
        return next(iter(self.outcomes.values())).shape[0]

    def window(self, first: int, last: int) -> SimResult:
        """The years ``first``..``last`` (inclusive)."""
        sel = (self.years >= first) & (self.years <= last)
        if not sel.any():
            raise ValueError(
                f"no simulated year in {first}-{last} (have {self.years[0]}-{self.years[-1]})"
            )
        return SimResult(
            self.years[sel],
            {k: v[:, sel] for k, v in self.outcomes.items()},
            self.meta,
            self.portfolio,
        )

    def quantiles(self, name: str) -> dict[str, np.ndarray]:
        """Mean and 5/50/95% quantiles over runs, per year."""
        x = self.outcomes[name]
        out = {"mean": x.mean(axis=0)}
        for label, q in QUANTILES:
            out[label] = np.quantile(x, q, axis=0)
        return out

    def to_json(self, names: Sequence[str] | None = None) -> dict[str, Any]:
        """``{"years": [...], "outcomes": {NAME: {"mean", "p05", "p50", "p95"}}}`` (JSON-ready)."""
        names = list(names or self.outcomes)
        return {
            "portfolio": self.portfolio,
            "runs": self.n_runs,
            "years": [int(y) for y in self.years],
            "outcomes": {
                n: {k: [float(v) for v in arr] for k, arr in self.quantiles(n).items()}
                for n in names
            },
        }

    def to_frame(self, names: Sequence[str] | None = None):
        """Long DataFrame with columns ``run, year, outcome, value``."""
        import pandas as pd

        names = list(names or self.outcomes)
        frames = []
        for n in names:
            x = self.outcomes[n]
            runs, years = np.meshgrid(np.arange(x.shape[0]), self.years, indexing="ij")
            frames.append(
                pd.DataFrame(
                    {"run": runs.ravel(), "year": years.ravel(), "outcome": n, "value": x.ravel()}
                )
            )
        return pd.concat(frames, ignore_index=True)

    def summary(self, names: Sequence[str] | None = None):
        """DataFrame indexed by (outcome, year) with mean, p05, p50, p95."""
        import pandas as pd

        rows = []
        for n in names or self.outcomes:
            q = self.quantiles(n)
            for i, y in enumerate(self.years):
                rows.append(
                    {"outcome": n, "year": int(y), **{k: float(v[i]) for k, v in q.items()}}
                )
        return pd.DataFrame(rows).set_index(["outcome", "year"])

    def plot(self, name: str = "opioid_deaths", ax=None):
        """Fan chart of one outcome (median line, 90% band)."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4))[1]
        q = self.quantiles(name)
        ax.fill_between(self.years, q["p05"], q["p95"], alpha=0.3, label="90% interval")
        ax.plot(self.years, q["p50"], label=f"{self.portfolio} median")
        unit = self.meta[name].unit if name in self.meta else ""
        ax.set_title(name)
        ax.set_ylabel(unit)
        ax.legend()
        return ax
