"""Point fit of the epidemic engine: maximum a posteriori by a batched cross-entropy search.

Every candidate parameter set of an iteration is evaluated in ONE vectorised ``simulate`` call
(observed-exposure mode, 1999 to the last target year). The objective is the log-likelihood of the
calibration targets (:mod:`fentsim.calibration.targets`, demand layer) plus the log prior of the
``calibrate = true`` parameters. The search works in probit space ``z = Φ⁻¹(u)`` of the prior
quantiles ``u``: start from a Latin hypercube over the priors, then repeatedly fit a Gaussian
(full covariance) to the elite and resample from it, so every candidate stays inside its prior's
support. The fitted point ships as ``demand_fitted.toml``; the full posterior comes from
:mod:`fentsim.calibration.bayes`.

Example (small and fast; the shipped fit uses the defaults):
    >>> fit = fit_demand(FitSettings(first=256, per_iteration=256, iterations=1, elite=32), seed=1)
    >>> sorted(fit.values)[:2]
    ['cfr_fentanyl', 'cfr_heroin']
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..model.clock import Clock
from ..model.engine import simulate
from ..params import ParamSet, Registry, load_registry
from .targets import DEFAULT_TARGETS, TargetData, bind, observed_frame

FITTED_FILE = "demand_fitted.toml"


@dataclass(frozen=True)
class FitSettings:
    """Sizes of the cross-entropy search."""

    first: int = 16384  #: candidates in the initial Latin hypercube
    per_iteration: int = 4096  #: candidates per refinement iteration
    iterations: int = 12
    elite: int = 128  #: best candidates kept to fit the next sampling distribution
    last_year: int = 2024  #: last calibration year
    widen: float = 1.3  #: inflation of the elite covariance, to keep exploring


@dataclass
class DemandFit:
    """The fitted point and how it was found."""

    values: dict[str, float]
    log_posterior: float
    history: list[float] = field(default_factory=list)
    settings: FitSettings = field(default_factory=FitSettings)
    seed: int = 0


def demand_targets(last_year: int, registry: Registry | None = None) -> list[TargetData]:
    """The demand-layer calibration targets with their observed figures."""
    demand = [t for t in DEFAULT_TARGETS if t.layer == "demand"]
    return bind(demand, observed_frame(registry), through=last_year, since=Clock().start_year)


def log_posterior(
    ps: ParamSet, names: list[str], targets: list[TargetData], registry: Registry, clock: Clock
) -> np.ndarray:
    """Log-likelihood of the targets plus log prior of ``names``, per run."""
    res = simulate(ps, clock=clock, exposure="observed")
    total = np.zeros(ps.n)
    for t in targets:
        total += t.loglik(res)
    for name in names:
        total += registry[name].prior.logpdf(ps[name])
    return np.where(np.isfinite(total), total, -np.inf)


def fit_demand(
    settings: FitSettings = FitSettings(),
    seed: int = 20261129,
    progress: Callable[[int, float], None] | None = None,
) -> DemandFit:
    """Run the search and return the best parameter set found."""
    reg = load_registry()
    names = [n for n in reg.calibrated if reg[n].group.startswith("demand")]
    d = len(names)
    clock = Clock(Clock().start_year, settings.last_year)
    targets = demand_targets(settings.last_year, reg)
    rng = np.random.default_rng(seed)

    def evaluate(u: np.ndarray) -> np.ndarray:
        ps = ParamSet.point(reg, u.shape[0])
        for j, name in enumerate(names):
            ps[name] = reg[name].prior.ppf(u[:, j])
        return log_posterior(ps, names, targets, reg, clock)

    u = qmc.LatinHypercube(d=d, seed=rng).random(settings.first)
    lp = evaluate(u)
    z_all, lp_all = stats.norm.ppf(np.clip(u, 1e-9, 1 - 1e-9)), lp
    history = [float(lp.max())]
    for it in range(settings.iterations):
        order = np.argsort(lp_all)[::-1][: settings.elite]
        elite = z_all[order]
        mean = elite.mean(axis=0)
        cov = np.cov(elite, rowvar=False) * settings.widen**2 + np.eye(d) * 1e-6
        z = rng.multivariate_normal(mean, cov, size=settings.per_iteration)
        lp_new = evaluate(stats.norm.cdf(z))
        z_all = np.concatenate([elite, z])
        lp_all = np.concatenate([lp_all[order], lp_new])
        history.append(float(lp_all.max()))
        if progress:
            progress(it + 1, history[-1])
    best = int(np.argmax(lp_all))
    u_best = stats.norm.cdf(z_all[best])
    values = {name: float(reg[name].prior.ppf(u_best[j])) for j, name in enumerate(names)}
    return DemandFit(values, float(lp_all[best]), history, settings, seed)


def write_fitted(fit: DemandFit, path: Path) -> None:
    """Write the fitted values as TOML (name = value), with provenance of the fit in comments."""
    lines = [
        "# Fitted point of the epidemic engine's calibrated parameters (MAP, cross-entropy search).",
        "# Regenerate with `fentsim fit`; see fentsim.calibration.demand_fit.",
        f"# seed = {fit.seed}; log posterior = {fit.log_posterior:.3f}; settings = {fit.settings}",
        "",
    ]
    lines += [f"{name} = {value!r}" for name, value in sorted(fit.values.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def shipped_fitted_path() -> Path:
    """Where the shipped fitted point lives inside the package."""
    return Path(str(resources.files("fentsim.calibration").joinpath(FITTED_FILE)))


def load_fitted() -> dict[str, float]:
    """The shipped fitted values (empty if no fit has been shipped)."""
    path = shipped_fitted_path()
    if not path.exists():
        return {}
    return {k: float(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8")).items()}
