"""The calibration pipeline: build the problem from the shipped data, calibrate, validate.

* :class:`CalibrationProblem` — the model as a vectorised log-likelihood of parameter draws.
* :func:`build_problem` — targets × observed series (up to a year) × registry priors.
* :func:`calibrate` — tempered SMC (:mod:`~fentsim.calibration.bayes`) on a problem, thinned to a
  storable :class:`~fentsim.calibration.posterior_io.Posterior`.
* :func:`run_calibration` — calibrate and assemble the JSON report (fit per series, diagnostics).
* :func:`validate` — calibrate on data up to ``through``, project the later years and score the
  projection against what was observed: 90% predictive-interval coverage and MAPE per series.

In ``observed`` exposure mode the fentanyl share and potency are exogenous inputs (as in SOURCE,
which fed the NFLIS share in as data); a validation in that mode therefore knows the observed
exposure after the cut-off. ``coupled`` mode projects exposure too and is the stricter test.

Example:
    >>> from fentsim.calibration.bayes import SMCSettings
    >>> out = validate(2019, SMCSettings(draws=64, particles=32, groups=2, seed=1))  # doctest: +SKIP
    >>> out["through"], "opioid_deaths" in out["series"]                              # doctest: +SKIP
    (2019, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from ..model.clock import Clock
from ..model.result import SimResult
from ..params import ParamSet, Registry, load_registry
from .bayes import Progress, SMCResult, SMCSettings, smc
from .diagnostics import fit_stats, fit_table, parameter_table, predictive, sampler_summary
from .likelihood import Likelihood
from .posterior_io import MAX_STORED_DRAWS, Posterior
from .targets import DEFAULT_TARGETS, Target, bind, observed_frame

#: The calibration window opens where the model's default clock does (1999, SOURCE's start).
START_YEAR: int = Clock().start_year


#: z-space draws are mapped to (U_EPS, 1 - U_EPS) before a prior's quantile function, as the
#: designs in ``fentsim.params.sampling`` do, so unbounded priors stay finite.
U_EPS: float = 1e-12


@dataclass
class CalibrationProblem:
    """The model as a vectorised log-likelihood of z-space draws of the calibrated parameters.

    Parameters not in ``names`` sit at ``base`` values or their registry point values (the
    SOURCE convention: literature parameters fixed, estimated ones free).

    Attributes:
        registry: the parameter registry (priors of ``names`` are the prior).
        names: the calibrated parameters (default in :func:`calibrated_names`).
        likelihood: the bound observed series.
        clock: the simulated calendar (its last year covers the last observed year).
        exposure: the engine's exposure mode.
        components: optional component factory for ``simulate`` (synthetic models in tests).
        base: values of non-calibrated parameters (default: point values).
    """

    registry: Registry
    names: tuple[str, ...]
    likelihood: Likelihood
    clock: Clock
    exposure: str = "observed"
    components: Callable[[], Sequence[Any]] | None = None
    base: Mapping[str, float] | None = None

    @property
    def d(self) -> int:
        return len(self.names)

    def values(self, z: np.ndarray) -> np.ndarray:
        """Parameter values ``(n, d)`` of z-space draws (prior quantiles of ``Φ(z)``)."""
        u = np.clip(ndtr(np.atleast_2d(z)), U_EPS, 1.0 - U_EPS)
        cols = [
            self.registry[n].prior.ppf(u[:, j], point=self.registry[n].value)
            for j, n in enumerate(self.names)
        ]
        return np.column_stack(cols) if cols else np.zeros((len(u), 0))

    def params(self, values: np.ndarray) -> ParamSet:
        """A full parameter set: ``values`` for the calibrated columns, ``base`` elsewhere."""
        ps = ParamSet.point(self.registry, len(values), self.base)
        for j, name in enumerate(self.names):
            ps[name] = np.ascontiguousarray(values[:, j])
        return ps

    def simulate(self, values: np.ndarray, clock: Clock | None = None) -> SimResult:
        """Simulate parameter values (status quo) over ``clock`` (default: the problem's)."""
        from ..model.engine import simulate

        return simulate(self.params(values), clock=clock or self.clock, exposure=self.exposure,
                        components=self.components)  # fmt: skip

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Log-likelihood per row of ``z``."""
        return self.likelihood(self.simulate(self.values(z)))

    def _layers(self) -> tuple[str, ...]:
        # groups whose fixed values can move the status-quo fit ("" matches every group)
        return CALIBRATED_LAYERS.get(self.exposure) or ("",)

    def spec_hash(self) -> str:
        """Short SHA-256 of :meth:`spec`: stamps a posterior with what produced it."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()[:16]

    def spec(self) -> dict[str, Any]:
        """Everything the posterior depends on, JSON-ready (hashed into ``spec_hash``)."""
        return {
            "priors": {n: self.registry[n].prior.describe() for n in self.names},
            "fixed": {n: (self.base or {}).get(n, p.value) for n, p in self.registry.items()
                      if n not in self.names and p.group.startswith(self._layers())},
            "exposure": self.exposure,
            "start_year": self.clock.start_year,
            "targets": [
                {"name": p.name, "series": p.target.series, "outputs": list(p.target.outputs),
                 "family": p.target.family, "scale": p.scale.tolist(), "factor": p.target.factor,
                 "years": p.years.tolist(), "obs": p.obs.tolist()}
                for p in self.likelihood.parts
            ],
        }  # fmt: skip


def calibrated_names(registry: Registry, layers: Sequence[str] | None = None) -> tuple[str, ...]:
    """Registry parameters marked ``calibrate = true`` with a non-fixed prior.

    Args:
        registry: the registry.
        layers: keep only parameters whose group starts with one of these (e.g. ``("demand",)``).

    Example:
        >>> names = calibrated_names(load_registry(), ("demand",))
        >>> "od_rate_illicit_oud" in names
        True
    """
    return tuple(
        n
        for n in registry.calibrated
        if registry[n].uncertain and (layers is None or registry[n].group.startswith(tuple(layers)))
    )


#: Layers whose parameters are calibrated in each exposure mode. In ``observed`` mode exposure
#: is data, so supply, market and violence parameters cannot move any target: calibrating them
#: would only add flat dimensions (their posterior is their prior).
CALIBRATED_LAYERS: dict[str, tuple[str, ...] | None] = {"observed": ("demand",), "coupled": None}


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`: the problem, the sampler's run and the stored posterior."""

    problem: CalibrationProblem
    smc: SMCResult
    posterior: Posterior


def calibrate(
    problem: CalibrationProblem,
    settings: SMCSettings = SMCSettings(),  # noqa: B008 - frozen dataclass
    *,
    progress: Progress | None = None,
    mapper=map,
    max_draws: int = MAX_STORED_DRAWS,
    meta: Mapping[str, Any] | None = None,
) -> Calibration:
    """Calibrate ``problem`` by tempered SMC and thin the population to a storable posterior.

    The final population (equally weighted) is thinned to at most ``max_draws`` evenly spaced
    particles (a stratified subsample across groups).
    """
    from .. import __version__

    res = smc(problem, problem.d, settings, progress=progress, mapper=mapper)
    p = len(res.loglik)
    keep = np.floor((np.arange(min(p, max_draws)) + 0.5) * p / min(p, max_draws)).astype(int)
    info = {
        "seed": settings.seed,
        "version": __version__,
        "through": problem.likelihood.last_year,
        "spec_hash": problem.spec_hash(),
        "exposure": problem.exposure,
        "draws": settings.draws,
        "particles": p,
        "groups": settings.groups,
        "evaluations": res.evaluations,
        "seconds": round(res.seconds, 3),
        "log_evidence": [float(x) for x in res.log_evidence],
        "targets": problem.likelihood.names,
        "stages": [vars(r) for r in res.stages],
        **dict(meta or {}),
    }
    post = Posterior(
        problem.names, problem.values(res.z[keep]), np.ones(len(keep)), res.loglik[keep], info
    )
    return Calibration(problem, res, post)


def build_problem(
    through: int | None = None,
    *,
    exposure: str = "observed",
    targets: Sequence[Target] = DEFAULT_TARGETS,
    observed=None,
    registry: Registry | None = None,
    names: Sequence[str] | None = None,
    components: Callable[[], Sequence[Any]] | None = None,
    base: Mapping[str, float] | None = None,
    start_year: int = START_YEAR,
) -> CalibrationProblem:
    """A calibration problem on the observed figures up to ``through`` (all when None).

    Supply-layer targets are used only in ``coupled`` exposure mode; targets whose model output
    the engine does not produce are skipped. The calibrated parameters default to the
    ``calibrate = true`` entries of the layers in :data:`CALIBRATED_LAYERS` for the mode.

    Example:
        >>> prob = build_problem(2019)
        >>> prob.likelihood.last_year, prob.clock.end_year, "opioid_deaths" in prob.likelihood.names
        (2019, 2019, True)
    """
    from ..model.engine import simulate

    if exposure not in CALIBRATED_LAYERS:
        raise ValueError(f"exposure {exposure!r} is not one of {', '.join(CALIBRATED_LAYERS)}")
    reg = registry or load_registry()
    observed = observed_frame(reg) if observed is None else observed
    chosen = [t for t in targets if exposure == "coupled" or t.layer != "supply"]
    probe = simulate(ParamSet.point(reg, 1, base), clock=Clock(start_year, start_year),
                     exposure=exposure, components=components)  # fmt: skip
    data = bind(chosen, observed, through=through, since=start_year, outputs=list(probe.outcomes))
    lik = Likelihood(data)
    names = (
        tuple(names) if names is not None else calibrated_names(reg, CALIBRATED_LAYERS[exposure])
    )
    clock = Clock(start_year, lik.last_year)
    return CalibrationProblem(reg, names, lik, clock, exposure, components, base)


def posterior_runs(cal: Calibration, last_year: int, seed: int) -> SimResult:
    """Simulate the posterior draws up to ``last_year`` (weighted draws are resampled first)."""
    post = cal.posterior
    equal = np.allclose(post.weights, post.weights[0])
    values = post.values if equal else post.resample(post.n_draws, seed)
    return cal.problem.simulate(values, Clock(cal.problem.clock.start_year, last_year))


def run_calibration(
    problem: CalibrationProblem,
    settings: SMCSettings = SMCSettings(),  # noqa: B008 - frozen dataclass
    *,
    progress: Progress | None = None,
    mapper=map,
    meta: Mapping[str, Any] | None = None,
) -> tuple[Calibration, dict[str, Any]]:
    """Calibrate and build the report: sampler summary, parameter table, in-sample fit."""
    cal = calibrate(problem, settings, progress=progress, mapper=mapper, meta=meta)
    runs = posterior_runs(cal, problem.clock.end_year, settings.seed)
    report = {
        "sampler": sampler_summary(cal),
        "parameters": parameter_table(cal),
        "fit": fit_table(problem.likelihood.parts, runs, settings.seed),
    }
    return cal, report


def validate(
    through: int,
    settings: SMCSettings = SMCSettings(),  # noqa: B008 - frozen dataclass
    *,
    progress: Progress | None = None,
    mapper=map,
    **problem_kw: Any,
) -> dict[str, Any]:
    """Calibrate on figures up to ``through`` and score the projection of the later years.

    Returns the JSON document of ``fentsim validate --json``: ``{"through", "series": {NAME:
    {"years", "observed", "mean", "p05", "p95"}}, "coverage": {NAME: share of points inside the
    90% interval}, "mape": {NAME: percent}}`` over the out-of-sample years, plus ``"in_sample"``
    (fit per calibration series) and ``"sampler"``. ``mean`` is the posterior mean trajectory;
    ``p05``/``p95`` bound the 90% posterior-predictive interval (model plus observation noise).
    """
    full = build_problem(None, **problem_kw)
    held = [p.after(through) for p in full.likelihood.parts]
    held = [p for p in held if p is not None]
    if not held:
        raise ValueError(f"no observed figure after {through} to validate against")
    cal, report = run_calibration(build_problem(through, **problem_kw), settings,
                                  progress=progress, mapper=mapper, meta={"validate_through": through})  # fmt: skip
    runs = posterior_runs(cal, full.likelihood.last_year, settings.seed)
    series, coverage, mape = {}, {}, {}
    for i, part in enumerate(held):
        s = predictive(part, runs, np.random.default_rng([settings.seed, 0x7A1, i]))
        stats = fit_stats(*(np.asarray(s[k]) for k in ("observed", "mean", "p05", "p95")))
        series[part.name], coverage[part.name], mape[part.name] = (
            s,
            stats["coverage90"],
            stats["mape"],
        )
    return {
        "through": through,
        "series": series,
        "coverage": coverage,
        "mape": mape,
        "in_sample": report["fit"],
        "sampler": {k: v for k, v in report["sampler"].items() if k != "schedule"},
    }


def stale_reasons(post: Posterior) -> list[str]:
    """Why ``post`` no longer matches the current registry, targets and data (empty if current).

    Rebuilds the calibration problem the posterior's metadata names (data through-year,
    exposure, parameters) and compares spec hashes. The model's code is not hashed: after a
    change to the model itself, recalibrate anyway.

    Example:
        >>> from fentsim.calibration.posterior_io import load_posterior
        >>> stale_reasons(load_posterior())  # doctest: +SKIP
        []
    """
    reg = load_registry()
    missing = [f"parameter {n!r} is no longer in the registry" for n in post.names if n not in reg]
    if missing:
        return missing
    meta = post.meta
    prob = build_problem(
        meta.get("through"), exposure=meta.get("exposure", "observed"), names=post.names
    )
    if prob.spec_hash() != meta.get("spec_hash"):
        return [
            "priors, fixed parameter values, targets or observed data changed since calibration"
        ]
    return []
