"""The fit report: R² and MAPE per calibration series, and the SOURCE base-case comparison.

SOURCE (Lim et al. 2022) reports total opioid deaths R² 0.969 and MAPE 9.4% (X8_GOF.tab) and a
base-case projection of 541,164 cumulative opioid deaths 2022–2032 (anchors-demand §1.1). The
report puts fentsim's fitted baseline next to both; it does not force agreement.

Example:
    >>> rep = fit_report(runs=1)
    >>> "opioid_deaths" in rep["series"]
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.clock import Clock
from ..model.engine import simulate
from ..params.projection import fitted_point, fitted_values
from .demand_fit import demand_targets
from .fit_metrics import mape, r_squared

#: SOURCE's fit and base case, for the side-by-side (anchors-demand §1.1, C = computed from S)
SOURCE_TOTAL_DEATHS_R2 = 0.969
SOURCE_TOTAL_DEATHS_MAPE = 9.4
SOURCE_CUMULATIVE_2022_2032 = 541_164
SOURCE_CUMULATIVE_INTERVAL = (504_706, 582_284)
SOURCE_WINDOW = (2022, 2032)

#: "no new policy from 2022", as SOURCE's base case: inputs frozen at their 2021 trend, fentanyl
#: share rising to SOURCE's base curve (~0.81 by 2032), and no potency effect (SOURCE has none).
SOURCE_LIKE_OVERRIDES: dict[str, float] = {
    "naloxone_kits_growth": 0.0,
    "moud_capacity_growth": 0.0,
    "fentanyl_share_ceiling": 0.81,
    "potency_cfr_elasticity": 0.0,
}


def series_fit(last_year: int = 2024) -> dict[str, dict[str, Any]]:
    """R², MAPE and the yearly model-vs-observed table per demand target, at the fitted point."""
    ps = fitted_point(1)
    res = simulate(ps, clock=Clock(Clock().start_year, last_year), exposure="observed")
    out: dict[str, dict[str, Any]] = {}
    for t in demand_targets(last_year):
        pred = t.predict(res)[0]
        out[t.name] = {
            "r2": r_squared(t.obs, pred),
            "mape": mape(t.obs, pred),
            "years": t.years.tolist(),
            "observed": t.obs.tolist(),
            "model": pred.tolist(),
        }
    return out


def source_comparison(runs: int = 1) -> dict[str, Any]:
    """Cumulative 2022–2032 opioid deaths under a SOURCE-like base case vs SOURCE's 541k."""
    ps = fitted_point(runs).with_overrides(SOURCE_LIKE_OVERRIDES)
    res = simulate(ps, clock=Clock(Clock().start_year, SOURCE_WINDOW[1]), exposure="observed")
    w = res.window(*SOURCE_WINDOW)
    cum = w.outcomes["opioid_deaths"].sum(axis=1)
    yearly = w.outcomes["opioid_deaths"].mean(axis=0)
    return {
        "window": list(SOURCE_WINDOW),
        "fentsim_cumulative": float(np.mean(cum)),
        "fentsim_by_year": dict(
            zip([int(y) for y in w.years], [float(v) for v in yearly], strict=True)
        ),
        "source_cumulative": SOURCE_CUMULATIVE_2022_2032,
        "source_interval": list(SOURCE_CUMULATIVE_INTERVAL),
        "overrides": SOURCE_LIKE_OVERRIDES,
        "explanation": (
            "SOURCE was fitted through 2020 and projected ~63k deaths in 2021 falling to ~45k in "
            "2032; observed deaths were 80-83k in 2021-2023, which fentsim's fit (through 2024) "
            "reproduces, so from a higher starting level the same no-new-policy assumptions "
            "accumulate more deaths. SOURCE's base fentanyl curve and frozen inputs are used "
            "here; fentsim's own status quo additionally lets potency fall after 2023 as DEA "
            "purity data show."
        ),
    }


def fit_report(runs: int = 1) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    series = series_fit()
    total = series.get("opioid_deaths", {})
    return {
        "fitted_parameters": fitted_values(),
        "series": series,
        "total_deaths": {
            "r2": total.get("r2"),
            "mape": total.get("mape"),
            "source_r2": SOURCE_TOTAL_DEATHS_R2,
            "source_mape": SOURCE_TOTAL_DEATHS_MAPE,
        },
        "source_base_case": source_comparison(runs),
    }
