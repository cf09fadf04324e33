"""Diagnostics of a calibration: sampler health, parameter summaries and fit per series.

* Sampler: ESS, acceptance rate and number of Metropolis repeats per stage, the tempering
  schedule, and the between-group R-hat (independent replicate samplers must agree).
* Parameters: posterior mean and 5/50/95% quantiles next to the prior's 5-95% range.
* Fit per series, the way SOURCE reports it (X8_GOF.tab): R² and mean absolute percentage error
  (MAPE, in percent) of the posterior mean trajectory, and the share of observed points inside the
  90% posterior-predictive interval (model draws plus the series' observation noise).

Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).standard_normal((400, 2))
    >>> bool(rhat(z, np.repeat([0, 1], 200)).max() < 1.05)
    True
    >>> fit_stats(np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([0.5, 1.5]), np.array([1.5, 2.5]))
    {'r2': 1.0, 'mape': 0.0, 'coverage90': 1.0, 'points': 2}
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Posterior-predictive interval reported and checked for coverage (5% and 95% quantiles).
INTERVAL: tuple[float, float] = (0.05, 0.95)
#: R-hat above this flags disagreement between replicate samplers (Gelman et al., BDA3, §11.4).
RHAT_WARN: float = 1.1


def rhat(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Gelman-Rubin potential scale reduction per column, with the groups as chains.

    Args:
        x: ``(n, d)`` equally weighted draws.
        group: ``(n,)`` group label of each draw (equal-sized groups).
    """
    labels = np.unique(group)
    if len(labels) < 2:
        return np.full(x.shape[1], np.nan)
    chains = np.stack([x[group == g] for g in labels])  # (m, n, d)
    n = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean(axis=0)
    between = n * chains.mean(axis=1).var(axis=0, ddof=1)
    var_hat = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(var_hat / within)
    return np.where(within > 0, r, 1.0)


def fit_stats(obs: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
    """R², MAPE (percent) and 90% coverage of observed points.

    R² is ``1 - SS_res / SS_tot`` of the mean trajectory (None for a single point or a flat
    series, so the result stays valid JSON).
    """
    res = float(((obs - mean) ** 2).sum())
    tot = float(((obs - obs.mean()) ** 2).sum())
    r2 = round(1.0 - res / tot, 4) if len(obs) > 1 and tot > 0 else None
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.abs(obs - mean) / np.abs(obs)
    ape = ape[np.isfinite(ape)]
    return {
        "r2": r2,
        "mape": round(float(100.0 * ape.mean()), 2) if len(ape) else None,
        "coverage90": round(float(((obs >= lo) & (obs <= hi)).mean()), 4),
        "points": len(obs),
    }


def predictive(part, result, rng: np.random.Generator) -> dict[str, list]:
    """Observed figures of one bound series with the posterior mean and 90% predictive interval.

    ``result`` holds equally weighted posterior runs covering the series' years.
    """
    pred = part.predict(result)
    draws = part.predictive(result, rng)
    lo, hi = np.quantile(draws, INTERVAL, axis=0)
    return {
        "years": [int(y) for y in part.years],
        "observed": [float(v) for v in part.obs],
        "mean": [float(v) for v in pred.mean(axis=0)],
        "p05": [float(v) for v in lo],
        "p95": [float(v) for v in hi],
    }


def fit_table(parts, result, seed: int) -> dict[str, dict[str, Any]]:
    """``{series: {r2, mape, coverage90, points}}`` for every bound series."""
    out = {}
    for i, part in enumerate(parts):
        s = predictive(part, result, np.random.default_rng([seed, i]))
        out[part.name] = fit_stats(*(np.asarray(s[k]) for k in ("observed", "mean", "p05", "p95")))
    return out


def parameter_table(cal) -> list[dict[str, Any]]:
    """Posterior summary per parameter with the prior's 5-95% range and the between-group R-hat."""
    prob, post = cal.problem, cal.posterior
    r = rhat(prob.values(cal.smc.z), cal.smc.group)
    rows = []
    for j, row in enumerate(post.summary()):
        prior = prob.registry[row["name"]]
        p05, p95 = (float(v) for v in prior.prior.ppf(np.array(INTERVAL), point=prior.value))
        rows.append({**row, "prior_p05": p05, "prior_p95": p95, "rhat": round(float(r[j]), 4)})
    return rows


def sampler_summary(cal) -> dict[str, Any]:
    """Headline sampler diagnostics: stages, final ESS, acceptance range, max R-hat, cost."""
    st = cal.smc.stages
    acc = [s.acceptance for s in st if np.isfinite(s.acceptance)]
    r = rhat(cal.smc.z, cal.smc.group)
    return {
        "stages": 1 + max(s.stage for s in st),
        "schedule": [[s.stage, s.group, round(s.beta, 6), round(s.ess, 1)] for s in st],
        "min_ess": round(min(s.ess for s in st), 1),
        "acceptance_min": round(min(acc), 4) if acc else None,
        "acceptance_max": round(max(acc), 4) if acc else None,
        "max_rhat": round(float(np.nanmax(r)), 4) if np.isfinite(r).any() else None,
        "rhat_ok": bool(np.nanmax(r) < RHAT_WARN) if np.isfinite(r).any() else None,
        "log_evidence": [round(float(v), 3) for v in cal.smc.log_evidence],
        "evaluations": cal.smc.evaluations,
        "seconds": round(cal.smc.seconds, 2),
    }
