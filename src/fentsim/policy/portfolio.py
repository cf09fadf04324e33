"""Portfolios: named sets of scheduled levers plus parameter overrides, and their compilation.

A :class:`Portfolio` holds one :class:`LeverPlan` per lever (one or more schedule phases, whose
levels add up, and the lever's options) and a table of parameter overrides. Presets are scenario
files shipped in ``fentsim/policy/presets/`` (the file name is the preset name); users write
their own in the same format (:mod:`fentsim.policy.scenario`). :func:`compile_plan` turns a
portfolio into the :class:`~fentsim.policy.plan.PolicyPlan` the model reads.

Example:
    >>> from fentsim.model.clock import Clock
    >>> plan = compile_plan("essay", Clock(2020, 2030))
    >>> sorted(plan.levels), plan.option("military_campaign", "consent")
    (['maritime_interdiction', 'military_campaign'], False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError
from .catalogue import closest, lever
from .plan import PolicyPlan
from .schedule import Schedule

STATUS_QUO_NAME = "status-quo"
COMBINE = "+"  #: joins portfolio names into a combination, e.g. ``essay+public-health``


class UnknownPortfolioError(UserError):
    """A portfolio name that is neither a preset nor a scenario file."""


class IntensityScaleError(UserError):
    """A per-run intensity design that does not fit the portfolio or the lever's range."""


@dataclass(frozen=True)
class LeverPlan:
    """A lever in a portfolio: its schedule phases (levels add up), options and a source note."""

    lever: str
    phases: tuple[Schedule, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def profile(self, clock) -> np.ndarray:
        """Monthly level over ``clock`` (sum of the phases), shape ``(n_months,)``."""
        out = np.zeros(clock.n_months)
        for phase in self.phases:
            out += phase.profile(clock)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schedule": [p.to_dict() for p in self.phases],
            "options": dict(self.options),
            "source": self.source,
        }


@dataclass(frozen=True)
class Portfolio:
    """A named set of scheduled levers plus parameter overrides.

    Example:
        >>> p = Portfolio("demo", levers={"naloxone": LeverPlan("naloxone", (Schedule.build(5, "2026"),))})
        >>> p.lever_names, p.is_status_quo
        (['naloxone'], False)
    """

    name: str
    levers: Mapping[str, LeverPlan] = field(default_factory=dict)
    overrides: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    sources: tuple[str, ...] = ()
    origin: str = ""

    @property
    def lever_names(self) -> list[str]:
        """Names of the scheduled levers."""
        return list(self.levers)

    @property
    def is_status_quo(self) -> bool:
        """No lever and no override: the model baseline."""
        return not self.levers and not self.overrides

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (levers with schedules, overrides, description, sources)."""
        return {
            "name": self.name,
            "description": self.description,
            "levers": {k: v.to_dict() for k, v in self.levers.items()},
            "overrides": dict(self.overrides),
            "sources": list(self.sources),
            "origin": self.origin,
        }


def merge(
    name: str, parts: list[Portfolio], own: Portfolio | None = None, origin: str = ""
) -> Portfolio:
    """Combine portfolios: a lever or override set by two parts must be set by ``own`` instead.

    ``own`` (the including file's own content) wins over every part.

    Example:
        >>> merge("both", [preset("essay"), preset("public-health")]).lever_names[:2]
        ['military_campaign', 'maritime_interdiction']
    """
    levers: dict[str, LeverPlan] = {}
    overrides: dict[str, float] = {}
    seen_lever: dict[str, str] = {}
    seen_override: dict[str, str] = {}
    own_levers = own.levers if own else {}
    own_overrides = own.overrides if own else {}
    for part in parts:
        for k, v in part.levers.items():
            if k in seen_lever and k not in own_levers:
                raise UserError(
                    f"{origin or name}: lever {k} is set by both {seen_lever[k]!r} and {part.name!r}; "
                    f"set it in this portfolio to say which schedule applies"
                )
            seen_lever[k], levers[k] = part.name, v
        for k, v in part.overrides.items():
            if k in seen_override and overrides[k] != v and k not in own_overrides:
                raise UserError(
                    f"{origin or name}: override {k} differs between {seen_override[k]!r} and {part.name!r}; "
                    f"set it in this portfolio"
                )
            seen_override[k], overrides[k] = part.name, v
    levers.update(own_levers)
    overrides.update(own_overrides)
    description = own.description if own and own.description else " + ".join(p.name for p in parts)
    sources = tuple(s for p in [*parts, *([own] if own else [])] for s in p.sources)
    return Portfolio(name, levers, overrides, description, sources, origin)


def _preset_files() -> dict[str, Any]:
    folder = resources.files("fentsim.policy") / "presets"
    files = [f for f in folder.iterdir() if f.name.endswith(".toml")]
    return {f.name[: -len(".toml")]: f for f in sorted(files, key=lambda f: f.name)}


@lru_cache(maxsize=1)
def _presets() -> dict[str, Portfolio]:
    from .scenario import parse_scenario

    out: dict[str, Portfolio] = {}
    for name, f in _preset_files().items():
        out[name] = parse_scenario(
            f.read_text(encoding="utf-8"), f"preset {name}", name=name, _stack=(f"preset:{name}",)
        )
    return out


PRESET_ORDER: tuple[str, ...] = (
    "status-quo", "merida-era", "border-first", "ports-and-sanctions", "essay",
    "public-health", "essay+public-health", "all-levers",
)  # fmt: skip


def presets() -> dict[str, Portfolio]:
    """Every shipped preset, ``{name: Portfolio}``, in the order of :data:`PRESET_ORDER`.

    Example:
        >>> list(presets())[:3]
        ['status-quo', 'merida-era', 'border-first']
    """
    found = _presets()
    order = [n for n in PRESET_ORDER if n in found] + [n for n in found if n not in PRESET_ORDER]
    return {n: found[n] for n in order}


def preset(name: str) -> Portfolio:
    """One preset by name (an unknown name raises :class:`UnknownPortfolioError`).

    Example:
        >>> preset("status-quo").is_status_quo
        True
    """
    found = _presets()
    if name not in found:
        close = closest(name, found)
        hint = f"did you mean {close!r}? " if close else ""
        raise UnknownPortfolioError(
            f"unknown portfolio {name!r}; {hint}presets: {', '.join(presets())}; "
            f"or give the path of a scenario .toml file"
        )
    return found[name]


def resolve(spec: Portfolio | str | Path) -> Portfolio:
    """A portfolio from a preset name, a ``a+b`` combination of presets, or a scenario file path.

    Example:
        >>> resolve("essay+public-health").lever_names == resolve("essay").lever_names + resolve("public-health").lever_names
        True
    """
    from .scenario import load_scenario

    if isinstance(spec, Portfolio):
        return spec
    if isinstance(spec, Path):
        return load_scenario(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownPortfolioError(
            f"a portfolio is a preset name or a scenario file path, got {spec!r}"
        )
    if spec in _presets():
        return _presets()[spec]
    if spec.endswith(".toml") or Path(spec).exists() or "/" in spec:
        return load_scenario(Path(spec))
    if COMBINE in spec:
        return merge(spec, [preset(part) for part in spec.split(COMBINE)])
    return preset(spec)


load_portfolio = resolve  #: alias used by other layers


def _scaled(name: str, base: np.ndarray, scale: Any, n_runs: int | None) -> np.ndarray:
    lv = lever(name)
    arr = np.asarray(scale, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise IntensityScaleError(
            f"intensity_scale[{name}] must be a 1-D array over runs, got shape {arr.shape}"
        )
    if n_runs is not None and arr.size != n_runs:
        raise IntensityScaleError(
            f"intensity_scale[{name}] has {arr.size} runs; other levers have {n_runs}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise IntensityScaleError(f"intensity_scale[{name}] must hold finite numbers >= 0")
    if lv.binary and not np.all(np.isin(arr, (0.0, 1.0))):
        raise IntensityScaleError(f"intensity_scale[{name}] must be 0 or 1 for a {lv.unit} lever")
    peak = float(np.max(base) * np.max(arr))
    problem = lv.check_intensity(peak)
    if problem:
        raise IntensityScaleError(
            f"intensity_scale[{name}] reaches level {peak:g}, which {problem}"
        )
    return base[:, None] * arr[None, :]


def compile_plan(
    portfolio: Portfolio | str | Path,
    clock,
    intensity_scale: Mapping[str, Any] | None = None,
) -> PolicyPlan:
    """Monthly lever levels of a portfolio over ``clock`` (in addition to the status quo).

    Args:
        portfolio: a :class:`Portfolio`, a preset name, a combination or a scenario file path.
        clock: the model calendar (:class:`~fentsim.model.clock.Clock`).
        intensity_scale: optional ``{lever: array over runs}``; that lever's level becomes
            ``(n_months, n_runs)`` = profile × scale (a design over lever intensities). Every array
            must have the same length, every lever must be scheduled in the portfolio, and the
            scaled levels must stay inside the lever's range.

    Example:
        >>> import numpy as np
        >>> from fentsim.model.clock import Clock
        >>> plan = compile_plan("public-health", Clock(2025, 2027), {"naloxone": np.array([0.0, 1.0, 2.0])})
        >>> plan.levels["naloxone"].shape, plan.levels["moud_access"].shape
        ((36, 3), (36,))
    """
    pf = resolve(portfolio)
    levels = {name: lp.profile(clock) for name, lp in pf.levers.items()}
    n_runs: int | None = None
    for name, scale in (intensity_scale or {}).items():
        lever(name)  # an unknown name fails with a suggestion
        if name not in levels:
            raise IntensityScaleError(
                f"intensity_scale names {name}, which portfolio {pf.name!r} does not schedule; "
                f"scheduled: {', '.join(levels) or 'none'}"
            )
        levels[name] = _scaled(name, levels[name], scale, n_runs)
        n_runs = levels[name].shape[1]
    options = {}
    for name, lp in pf.levers.items():
        opts = lever(name).default_options()
        opts.update(lp.options)
        if opts:
            options[name] = opts
    return PolicyPlan(pf.name, levels, options)
