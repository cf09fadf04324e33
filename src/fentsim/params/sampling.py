"""Designs over the registry's priors: Latin hypercube, Sobol and Monte Carlo.

One seed at the top; every design is deterministic per run index, so a chunk ``[start, stop)``
of an ``n``-run design is identical to the same rows of the whole design.

* ``lhs``   — Latin hypercube (``scipy.stats.qmc.LatinHypercube``), generated for the whole ``n``
  from the seed and sliced; memory grows with ``n × d`` (use ``sobol`` or ``mc`` beyond ~10^6 runs).
* ``sobol`` — scrambled Sobol points (``scipy.stats.qmc.Sobol``), fast-forwarded to ``start``.
* ``mc``    — independent uniforms from per-block streams ``SeedSequence([seed, block])``.

Example:
    >>> from fentsim.params import load_registry
    >>> reg = load_registry()
    >>> ps = sample(reg, 8, seed=1)
    >>> ps.n
    8
    >>> bool((sample(reg, 8, seed=1, start=4)["od_rate_illicit_oud"] == ps["od_rate_illicit_oud"][4:]).all())
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .paramset import ParamSet
from .registry import Registry, RegistryError

METHODS: tuple[str, ...] = ("lhs", "sobol", "mc")
_MC_BLOCK = 4096


def unit_design(
    method: str, n: int, d: int, seed: int, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """Rows ``[start, stop)`` of an ``n × d`` design on the open unit hypercube."""
    stop = n if stop is None else stop
    if not 0 <= start <= stop <= n:
        raise ValueError(f"rows [{start}, {stop}) are not inside a design of {n} runs")
    if d == 0 or stop == start:
        return np.zeros((stop - start, d))
    from scipy.stats import qmc  # imported here: scipy.stats is slow to import

    if method == "lhs":
        u = qmc.LatinHypercube(d=d, seed=np.random.default_rng([seed, 0x1A5])).random(n)[start:stop]
    elif method == "sobol":
        eng = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng([seed, 0x50B]))
        if start:
            eng.fast_forward(start)
        u = eng.random(stop - start)
    elif method == "mc":
        first, last = start // _MC_BLOCK, (stop - 1) // _MC_BLOCK
        blocks = [
            np.random.default_rng([seed, 0x3C, b]).random((_MC_BLOCK, d))
            for b in range(first, last + 1)
        ]
        u = np.concatenate(blocks)[start - first * _MC_BLOCK : stop - first * _MC_BLOCK]
    else:
        raise ValueError(f"design method {method!r} is not one of {', '.join(METHODS)}")
    # keep strictly inside (0, 1) so unbounded quantile functions stay finite
    return np.clip(u, 1e-12, 1 - 1e-12)


def sample(
    registry: Registry,
    n: int,
    seed: int,
    *,
    method: str = "lhs",
    names: Sequence[str] | None = None,
    base: Mapping[str, float] | None = None,
    start: int = 0,
    stop: int | None = None,
) -> ParamSet:
    """Draw rows ``[start, stop)`` of an ``n``-run design over the priors.

    Args:
        registry: the parameter registry.
        n: total number of runs in the design.
        seed: the design's seed.
        method: ``lhs``, ``sobol`` or ``mc``.
        names: parameters to vary (default: every parameter with a non-fixed prior); the rest sit
            at ``base`` values or their point values.
        base: values for the parameters that do not vary (default: registry point values).
        start, stop: the rows to generate (default: all).
    """
    if n < 1:
        raise RegistryError(f"a design needs at least one run, got {n}")
    names = list(registry.uncertain if names is None else names)
    for name in names:
        registry[name]  # raises a clear error for an unknown name
    stop = n if stop is None else stop
    u = unit_design(method, n, len(names), seed, start, stop)
    out = ParamSet.point(registry, stop - start, base)
    for j, name in enumerate(names):
        p = registry[name]
        out[name] = p.prior.ppf(u[:, j], point=p.value)
    return out
