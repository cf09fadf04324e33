"""Where an ensemble's parameter sets come from, and how they are fingerprinted.

Three sources, all deterministic per run index so that rows ``[a, b)`` of an ``n``-run design
are the same whichever chunk computes them:

* ``projection`` — :func:`fentsim.params.projection.projection_params` (calibrated posterior
  draws for the calibrated parameters, prior draws for the rest);
* ``prior``      — :func:`fentsim.params.sample` over the registry's priors (``lhs``, ``sobol``,
  ``mc``);
* ``draws``      — a :class:`~fentsim.params.ParamSet` supplied by the caller (for example a
  posterior sample); it is stored with the ensemble so a resumed run reads the same rows.

:func:`default_source` is the one place that decides what a projection uses by default.

Example:
    >>> from fentsim.params.registry import parse_registry_text
    >>> reg = Registry(parse_registry_text(
    ...     '[k]\\ngroup="t"\\nunit="1/yr"\\nvalue=1.0\\nprior={dist="uniform",low=0.5,high=2}\\nsource="x"'))
    >>> ps = draw_params("prior", 10, seed=3, start=4, stop=6, registry=reg)
    >>> bool((ps["k"] == draw_params("prior", 10, 3, 0, 10, registry=reg)["k"][4:6]).all())
    True
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import UserError
from ..params import Parameter, ParamSet, Prior, Registry, load_registry, sample

SOURCES: tuple[str, ...] = ("projection", "prior", "draws")


def projection_available() -> bool:
    """Whether :mod:`fentsim.params.projection` (posterior + prior draws) is installed."""
    try:
        return importlib.util.find_spec("fentsim.params.projection") is not None
    except (ImportError, ValueError):
        return False


def default_source() -> str:
    """The parameter source a projection uses unless told otherwise.

    Calibrated projections (``projection``) once :mod:`fentsim.params.projection` exists, prior
    draws before that. Switching the default is a one-line change here.
    """
    return "projection" if projection_available() else "prior"


def draw_params(
    source: str,
    n: int,
    seed: int,
    start: int,
    stop: int,
    *,
    method: str = "lhs",
    registry: Registry | None = None,
    overrides: Mapping[str, float] | None = None,
    draws: ParamSet | None = None,
) -> ParamSet:
    """Rows ``[start, stop)`` of an ``n``-run parameter design.

    Args:
        source: ``projection``, ``prior`` or ``draws``.
        n: total runs in the design (the design depends on it; a chunk does not).
        seed: the design's seed.
        start, stop: the rows wanted.
        method: the design over priors (``prior`` source only).
        registry: the registry (default: the shipped one).
        overrides: parameters held at one value in every run.
        draws: for ``draws``, the rows ``[start, stop)`` of the caller's parameter sets; registry
            parameters missing from them sit at their point values.
    """
    reg = registry if registry is not None else load_registry()
    if source == "prior":
        with warnings.catch_warnings():  # a chunk of a Sobol design is rarely a power of 2; the
            warnings.filterwarnings(
                "ignore", message="The balance properties"
            )  # design's n is checked once
            ps = sample(reg, n, seed, method=method, start=start, stop=stop)
    elif source == "projection":
        from ..params.projection import projection_params

        ps = projection_params(n, seed, start, stop, method=method)
    elif source == "draws":
        if draws is None or draws.n != stop - start:
            raise ValueError(
                f"source 'draws' needs the {stop - start} supplied rows [{start}, {stop})"
            )
        ps = ParamSet.point(reg, stop - start, base_values(registry))
        ps.update({k: np.asarray(v, dtype=float) for k, v in draws.items()})
    else:
        raise UserError(f"parameter source {source!r} is not one of {', '.join(SOURCES)}")
    return ps.with_overrides(overrides) if overrides else ps


def base_values(registry: Registry | None) -> dict[str, float] | None:
    """Values of parameters that supplied draws leave out: the fitted point for the shipped
    registry (where :mod:`fentsim.params.projection` provides one), else registry point values."""
    if registry is not None or not projection_available():
        return None
    from ..params.projection import base_values as fitted

    return fitted()


def projection_fingerprint() -> dict[str, str]:
    """What a ``projection`` source depends on besides the registry: the posterior and the
    fitted point values (stored in the spec, so a resume after a recalibration is refused)."""
    from ..params import projection

    out = {"base_hash": json_hash(projection.base_values())}
    if hasattr(projection, "posterior_source"):
        out["posterior"] = projection.posterior_source()
    return out


def varied_names(
    source: str,
    registry: Registry | None,
    draws_names: list[str] | None,
    overrides: Mapping[str, float],
) -> list[str]:
    """The parameters that differ between runs (stored with the results), in a fixed order.

    The list depends on the design only, never on a chunk's values, so every chunk's parameter
    table has the same columns.
    """
    reg = registry if registry is not None else load_registry()
    if source == "draws":
        names = list(draws_names or [])
    elif source == "projection":
        names = list(dict.fromkeys([*reg.uncertain, *reg.calibrated]))
    else:
        names = list(reg.uncertain)
    return [n for n in names if n not in overrides]


def registry_table(reg: Registry) -> list[dict[str, Any]]:
    """The registry as JSON-ready rows (enough to rebuild it with :func:`registry_from_table`)."""
    return [
        {
            "name": p.name,
            "group": p.group,
            "unit": p.unit,
            "value": p.value,
            "prior": {"dist": p.prior.dist, **p.prior.args},
            "source": p.source,
            "note": p.note,
            "calibrate": p.calibrate,
        }
        for p in reg.values()
    ]


def registry_from_table(rows: list[dict[str, Any]]) -> Registry:
    """Rebuild a registry stored with :func:`registry_table`."""
    params = []
    for r in rows:
        prior = dict(r["prior"])
        dist = prior.pop("dist")
        params.append(
            Parameter(
                r["name"],
                r["group"],
                r["unit"],
                float(r["value"]),
                Prior(dist, prior),
                r["source"],
                r.get("note", ""),
                bool(r.get("calibrate", False)),
            )
        )
    return Registry(params)


def registry_hash(reg: Registry) -> str:
    """A short fingerprint of every entry's name, unit, value and prior."""
    return json_hash(
        [{k: r[k] for k in ("name", "unit", "value", "prior")} for r in registry_table(reg)]
    )


def draws_hash(ps: ParamSet) -> str:
    """A short fingerprint of supplied draws (names, order and exact bytes)."""
    h = hashlib.sha256()
    for name in sorted(ps):
        h.update(name.encode())
        h.update(np.ascontiguousarray(ps[name], dtype="<f8").tobytes())
    return h.hexdigest()[:16]


def json_hash(obj: Any) -> str:
    """A short SHA-256 of the canonical JSON form of ``obj``."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
