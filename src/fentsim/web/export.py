"""Turn a comparison into what the dashboard draws and downloads: trajectories and CSV tables.

Only the outputs the charts use are summarised (:data:`CHART_ROLES`), so a 2,000-run result is
quick to serialise; the CSVs hold the comparison table and the same trajectories.

Example:
    >>> summary = {"window": [2026, 2035], "reference": "a", "portfolios": {
    ...     "a": {"deaths": {"mean": 10.0, "p05": 8.0, "p95": 12.0}, "averted": None}}}
    >>> print(summary_csv(summary).strip())
    portfolio,outcome,mean,p05,p95,window_from,window_to,reference
    a,deaths,10.0,8.0,12.0,2026,2035,a
    a,averted,,,,2026,2035,a
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..report.context import OUTPUT_ROLES
from ..report.inputs import Unavailable, comparison_results
from .models import PortfolioSeries, SeriesQuantiles

#: output roles drawn as fan charts in the dashboard, in menu order
CHART_ROLES: tuple[str, ...] = (
    "deaths",
    "homicides",
    "civilian_harm",
    "delivered",
    "seized",
    "purity",
    "share",
    "price",
    "groups",
    "cost",
)


def chart_outputs(outcomes: Mapping[str, Any]) -> list[str]:
    """The model outputs to chart, one per role the model records."""
    names = []
    for role in CHART_ROLES:
        name = next((n for n in OUTPUT_ROLES[role] if n in outcomes), None)
        if name is not None:
            names.append(name)
    return names


def _finite(a: np.ndarray) -> list[float]:
    return [float(v) if np.isfinite(v) else 0.0 for v in a]


def series_of(comparison: Any) -> dict[str, PortfolioSeries]:
    """Per portfolio, yearly mean/p05/p50/p95 of the charted outputs."""
    results = comparison_results(comparison)
    if isinstance(results, Unavailable):
        return {}
    out: dict[str, PortfolioSeries] = {}
    for name, res in results.items():
        names = chart_outputs(res.outcomes)
        quant: dict[str, SeriesQuantiles] = {}
        for n in names:
            x = res.outcomes[n]
            p05, p50, p95 = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
            quant[n] = SeriesQuantiles(
                mean=_finite(x.mean(axis=0)), p05=_finite(p05), p50=_finite(p50), p95=_finite(p95)
            )
        units = {n: res.meta[n].unit for n in names if n in res.meta}
        out[name] = PortfolioSeries(years=[int(y) for y in res.years], outcomes=quant, units=units)
    return out


def _cell(v: Any) -> str:
    return "" if v is None else repr(float(v)) if isinstance(v, float) else str(v)


def summary_csv(summary: Mapping[str, Any]) -> str:
    """The comparison table, one row per portfolio and outcome (empty cells: not modelled)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["portfolio", "outcome", "mean", "p05", "p95", "window_from", "window_to", "reference"]
    )
    w0, w1 = summary["window"]
    for name, outs in summary["portfolios"].items():
        for key, stats in outs.items():
            stats = stats or {}
            w.writerow(
                [
                    name,
                    key,
                    *(_cell(stats.get(k)) for k in ("mean", "p05", "p95")),
                    w0,
                    w1,
                    summary["reference"],
                ]
            )
    return buf.getvalue()


def series_csv(series: Mapping[str, PortfolioSeries]) -> str:
    """Trajectories: one row per portfolio, output and year."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["portfolio", "outcome", "unit", "year", "mean", "p05", "p50", "p95"])
    for name, s in series.items():
        for out, q in s.outcomes.items():
            unit = s.units.get(out, "")
            for i, year in enumerate(s.years):
                w.writerow([name, out, unit, year, q.mean[i], q.p05[i], q.p50[i], q.p95[i]])
    return buf.getvalue()
