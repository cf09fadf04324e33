"""Parameter draws for projections: the calibrated posterior plus prior draws for the rest.

Every projection (``fentsim run``, ``compare``, ensembles, the dashboard) gets its parameter sets
here, so that they all agree:

1. the base value of each parameter is its registry point value, replaced by the shipped fitted
   point (``fentsim/calibration/*_fitted.toml``) where one exists;
2. the calibrated parameters come from the shipped posterior
   (``fentsim/calibration/posterior_default.npz``, written by ``fentsim calibrate``), resampled by
   run index; without a posterior they stay at the fitted point (no calibration uncertainty —
   the result says so in ``source``);
3. the remaining uncertain parameters (lever effect sizes, extrapolation rules, …) are drawn from
   their priors with a design deterministic per run index.

Run ``i`` of an ``n``-run projection depends only on ``(seed, n, i)``, whatever the chunking.

Example:
    >>> ps = projection_params(4, seed=7)
    >>> ps.n
    4
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .paramset import ParamSet
from .registry import Registry, load_registry
from .sampling import sample

#: files of fitted point values shipped with the package (later files win)
FITTED_FILES: tuple[str, ...] = ("demand_fitted.toml", "supply_fitted.toml")


@lru_cache(maxsize=1)
def fitted_values() -> dict[str, float]:
    """The shipped fitted point values of calibrated parameters, by name."""
    folder = resources.files("fentsim.calibration")
    values: dict[str, float] = {}
    for name in FITTED_FILES:
        path = Path(str(folder.joinpath(name)))
        if path.exists():
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            values.update({k: float(v) for k, v in doc.items() if isinstance(v, int | float)})
    reg = load_registry()
    return {k: v for k, v in values.items() if k in reg}


def base_values(registry: Registry | None = None) -> dict[str, float]:
    """Point values with the fitted point applied."""
    reg = registry or load_registry()
    vals = {name: p.value for name, p in reg.items()}
    vals.update(fitted_values())
    return vals


def fitted_point(n: int = 1) -> ParamSet:
    """Every parameter at its fitted (or point) value, repeated ``n`` times."""
    reg = load_registry()
    return ParamSet.point(reg, n, base_values(reg))


def _posterior():
    try:
        from ..calibration.posterior_io import PosteriorNotFoundError, load_posterior
    except ImportError:  # pragma: no cover - calibration layer absent
        return None
    try:
        return load_posterior()
    except PosteriorNotFoundError:
        return None


def projection_params(
    n: int,
    seed: int,
    start: int = 0,
    stop: int | None = None,
    *,
    method: str = "lhs",
    use_posterior: bool = True,
    overrides: dict[str, float] | None = None,
) -> ParamSet:
    """Rows ``[start, stop)`` of an ``n``-run projection design (see the module docstring)."""
    reg = load_registry()
    base = base_values(reg)
    post = _posterior() if use_posterior else None
    calibrated = set(reg.calibrated)
    free = [name for name in reg.uncertain if name not in calibrated]
    ps = sample(reg, n, seed, method=method, names=free, base=base, start=start, stop=stop)
    if post is not None:
        rows = post.resample(n, seed, start, stop)
        for j, name in enumerate(post.names):
            if name in ps:
                ps[name] = np.ascontiguousarray(rows[:, j])
    if overrides:
        ps = ps.with_overrides(reg.check_overrides(overrides))
    return ps


def posterior_source() -> str:
    """A one-line description of where calibrated parameters come from."""
    post = _posterior()
    if post is not None:
        return f"posterior ({post.n_draws} weighted draws)"
    if fitted_values():
        return "fitted point (no posterior shipped: calibrated parameters carry no uncertainty)"
    return "registry point values (no fit shipped)"
