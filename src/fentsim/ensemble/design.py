"""Experiments: a parameter design × portfolios (× a design over lever intensities), one seed.

An :class:`Experiment` says *what* to run — never *how* (that is an executor's job, EMA Workbench
style). Its run axis is the parameter design: run ``i`` is parameter set ``i``, and every
portfolio is evaluated on the same parameter sets (common random numbers), so a difference
between portfolios is the policy, not noise. Everything random derives from the one ``seed`` and
the run index, so the experiment is cut into chunks of run indices and chunk ``[a, b)`` is
computed identically by whichever process runs it.

An experiment round-trips through a JSON *spec* (:meth:`Experiment.spec`,
:meth:`Experiment.from_spec`) that the results store keeps, with its hash, next to the results.

Example:
    >>> exp = Experiment(runs=10, seed=7, portfolios=["status-quo"], source="prior")
    >>> exp.chunks(4)
    [(0, 0, 4), (1, 4, 8), (2, 8, 10)]
    >>> Experiment.from_spec(exp.spec()).spec_hash == exp.spec_hash
    True
"""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserError
from ..model.clock import Clock
from ..params import METHODS, ParamSet, Registry, load_registry
from ..policy.plan import PolicyPlan
from . import sources
from .levers import LeverDesign, plan_from_json, plan_to_json, resolve_plan
from .summary import SummarySpec

SCHEMA = 1
EXPOSURES: tuple[str, ...] = ("coupled", "observed")  # mirrors fentsim.model.engine.EXPOSURE_MODES


def run_seed_sequence(seed: int, run: int) -> np.random.SeedSequence:
    """The random stream of run ``run`` (for components that need per-run randomness).

    Example:
        >>> a = np.random.default_rng(run_seed_sequence(1, 5)).random()
        >>> a == np.random.default_rng(run_seed_sequence(1, 5)).random()
        True
    """
    return np.random.SeedSequence([seed, run])


@dataclass(frozen=True)
class Experiment:
    """Parameter design × portfolios (× lever design): what an ensemble evaluates.

    Args:
        runs: parameter sets in the design (taken from ``draws`` when those are given).
        seed: the one seed everything random derives from.
        portfolios: portfolio names or compiled :class:`~fentsim.policy.plan.PolicyPlan` objects.
        clock: the simulated calendar.
        exposure: ``coupled`` or ``observed``.
        source: ``projection``, ``prior``, ``draws`` or ``auto`` (draws if given, else
            :func:`~fentsim.ensemble.sources.default_source`).
        method: the design over priors (``lhs``, ``sobol``, ``mc``) for the ``prior`` source.
        draws: caller-supplied parameter sets, one row per run (e.g. a calibrated posterior).
        overrides: parameters held at one value in every run.
        levers: an optional design over lever intensities.
        summary: what each run's summary row holds.
        trajectories: also keep every outcome year by year (long table).
        components: a component factory (``"module:function"`` or a module-level function) in
            place of the model's own; for plug-in and test models.
        registry: a custom parameter registry (default: the shipped one).

    Example:
        >>> exp = Experiment(runs=4, portfolios="status-quo", source="prior")
        >>> exp.portfolio_names, exp.runs
        (('status-quo',), 4)
    """

    runs: int | None = None
    seed: int = 0
    portfolios: Sequence[str | PolicyPlan] | str = ("status-quo",)
    clock: Clock = field(default_factory=Clock)
    exposure: str = "coupled"
    source: str = "auto"
    method: str = "lhs"
    draws: ParamSet | None = field(default=None, repr=False, compare=False)
    overrides: Mapping[str, float] = field(default_factory=dict)
    levers: LeverDesign | None = None
    summary: SummarySpec = field(default_factory=SummarySpec)
    trajectories: bool = False
    components: str | Callable[[], Sequence[Any]] | None = None
    registry: Registry | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        if isinstance(self.portfolios, str | PolicyPlan):
            put(self, "portfolios", (self.portfolios,))
        put(self, "portfolios", tuple(self.portfolios))
        if self.draws is not None:
            if self.runs is not None and self.runs != self.draws.n:
                raise UserError(
                    f"runs={self.runs} but the supplied draws hold {self.draws.n} parameter sets"
                )
            put(self, "runs", self.draws.n)
        if self.source == "auto":
            put(self, "source", "draws" if self.draws is not None else sources.default_source())
        if self.source not in sources.SOURCES:
            raise UserError(
                f"source {self.source!r} is not one of auto, {', '.join(sources.SOURCES)}"
            )
        if (
            self.runs is None
            or isinstance(self.runs, bool)
            or int(self.runs) != self.runs
            or self.runs < 1
        ):
            raise UserError(f"runs must be a whole number >= 1, got {self.runs!r}")
        put(self, "runs", int(self.runs))
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int | np.integer)
            or self.seed < 0
        ):
            raise UserError(f"seed must be a whole number >= 0, got {self.seed!r}")
        put(self, "seed", int(self.seed))
        if self.exposure not in EXPOSURES:
            raise UserError(f"exposure {self.exposure!r} is not one of {', '.join(EXPOSURES)}")
        if self.method not in METHODS:
            raise UserError(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.method == "sobol" and self.source == "prior" and self.runs & (self.runs - 1):
            warnings.warn(
                f"a Sobol design of {self.runs} runs loses its balance properties; "
                "use a power of 2",
                UserWarning,
                stacklevel=3,
            )
        if self.components is not None and not isinstance(self.components, str):
            put(self, "components", _import_path(self.components))
        put(self, "overrides", self._registry.check_overrides(dict(self.overrides)))
        self._check_portfolios()
        w = self.summary.window
        if w is not None and (w[0] < self.clock.start_year or w[1] > self.clock.end_year):
            raise UserError(
                f"summary window {w[0]}-{w[1]} lies outside the simulated years "
                f"{self.clock.start_year}-{self.clock.end_year}"
            )

    # -- derived -----------------------------------------------------------------------------
    @property
    def _registry(self) -> Registry:
        return self.registry if self.registry is not None else load_registry()

    @property
    def portfolio_names(self) -> tuple[str, ...]:
        """Portfolio names in the experiment's order."""
        return tuple(p.name if isinstance(p, PolicyPlan) else p for p in self.portfolios)

    @property
    def window(self) -> tuple[int, int]:
        """The summary window (inclusive years)."""
        return self.summary.window or (self.clock.start_year, self.clock.end_year)

    def chunks(self, size: int) -> list[tuple[int, int, int]]:
        """The design cut into chunks: ``(index, start, stop)`` with ``stop - start <= size``."""
        if isinstance(size, bool) or int(size) != size or size < 1:
            raise UserError(f"chunk size must be a whole number >= 1, got {size!r}")
        size = int(size)
        return [(k, a, min(a + size, self.runs)) for k, a in enumerate(range(0, self.runs, size))]

    def params(self, start: int, stop: int, draws: ParamSet | None = None) -> ParamSet:
        """Parameter sets of runs ``[start, stop)`` (``draws``: those rows of supplied draws)."""
        if self.source == "draws" and draws is None:
            if self.draws is None:
                raise ValueError("this experiment's draws were detached; pass the chunk's rows")
            draws = self.draws.take(slice(start, stop))
        return sources.draw_params(
            self.source,
            self.runs,
            self.seed,
            start,
            stop,
            method=self.method,
            registry=self.registry,
            overrides=self.overrides,
            draws=draws,
        )

    def varied(self) -> list[str]:
        """Parameters that differ between runs (stored with the results)."""
        names = list(self.draws) if self.draws is not None else self._draws_names
        return sources.varied_names(self.source, self.registry, names, self.overrides)

    _draws_names: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def component_factory(self) -> Callable[[], Sequence[Any]] | None:
        """The component factory named by ``components`` (``None``: the model's own)."""
        if self.components is None:
            return None
        mod, _, attr = str(self.components).partition(":")
        try:
            obj: Any = importlib.import_module(mod)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"components {self.components!r} cannot be imported ({exc})") from None
        return obj

    def detached(self) -> Experiment:
        """A copy without the supplied draws (what is shipped to workers with each chunk)."""
        if self.draws is None:
            return self
        names = list(self.draws)
        new = dataclasses.replace(self, draws=None, runs=self.runs, source="draws")
        object.__setattr__(new, "_draws_names", names)
        return new

    # -- running ---------------------------------------------------------------------------
    def evaluate(self, executor: Any = None, chunk: int | None = None, kind: str = "summary"):
        """Run in memory and return ``kind`` (summary, params, trajectories) as a DataFrame.

        Example:
            >>> Experiment(runs=2, source="prior", clock=Clock(1999, 2000)).evaluate()  # doctest: +SKIP
        """
        from .runner import evaluate

        return evaluate(self, executor=executor, chunk=chunk, kind=kind)

    def run(
        self,
        store: Any = None,
        executor: Any = None,
        chunk: int | None = None,
        run_id: str | None = None,
    ) -> str:
        """Run into the results store (see :func:`~fentsim.ensemble.runner.run_ensemble`)."""
        from .runner import run_ensemble

        return run_ensemble(self, store=store, executor=executor, chunk=chunk, run_id=run_id)

    # -- spec -------------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """The JSON-ready spec that rebuilds this experiment (see :meth:`from_spec`)."""
        reg: dict[str, Any] = {"hash": sources.registry_hash(self._registry)}
        if self.registry is not None:
            reg["table"] = sources.registry_table(self.registry)
        params: dict[str, Any] = {
            "source": self.source,
            "method": self.method,
            "overrides": dict(self.overrides),
            "registry": reg,
        }
        if self.source == "projection":
            params["projection"] = sources.projection_fingerprint()
        if self.source == "draws":
            if self.draws is not None:
                params["draws"] = {
                    "sha256": sources.draws_hash(self.draws),
                    "names": list(self.draws),
                }
            else:
                params["draws"] = {"names": self._draws_names}
        return {
            "kind": "fentsim.ensemble",
            "schema": SCHEMA,
            "runs": self.runs,
            "seed": self.seed,
            "portfolios": [plan_to_json(p) for p in self.portfolios],
            "clock": [self.clock.start_year, self.clock.end_year],
            "exposure": self.exposure,
            "params": params,
            "levers": self.levers.to_json() if self.levers else None,
            "summary": self.summary.to_json(),
            "trajectories": self.trajectories,
            "components": self.components,
        }

    @property
    def spec_hash(self) -> str:
        """A short hash of :meth:`spec` (stamped on every stored result)."""
        return sources.json_hash(self.spec())

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], draws: ParamSet | None = None) -> Experiment:
        """Rebuild an experiment from :meth:`spec` (``draws``: the stored supplied draws)."""
        if spec.get("kind") != "fentsim.ensemble" or spec.get("schema") != SCHEMA:
            raise UserError(f"not a fentsim ensemble spec of schema {SCHEMA}")
        p = spec["params"]
        table = p["registry"].get("table")
        lev = spec.get("levers")
        return cls(
            runs=spec["runs"],
            seed=spec["seed"],
            portfolios=tuple(plan_from_json(x) for x in spec["portfolios"]),
            clock=Clock(*spec["clock"]),
            exposure=spec["exposure"],
            source=p["source"],
            method=p["method"],
            draws=draws,
            overrides=p["overrides"],
            levers=LeverDesign(lev["ranges"], lev["method"], lev["start_year"]) if lev else None,
            summary=SummarySpec(
                tuple(spec["summary"]["window"]) if spec["summary"]["window"] else None,
                spec["summary"]["yearly"],
            ),
            trajectories=spec["trajectories"],
            components=spec["components"],
            registry=sources.registry_from_table(table) if table is not None else None,
        )

    def _check_portfolios(self) -> None:
        names = self.portfolio_names
        if not names:
            raise UserError("an experiment needs at least one portfolio")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise UserError(f"portfolio names must be unique; repeated: {', '.join(dup)}")
        for p in self.portfolios:
            plan = resolve_plan(p, self.clock)
            for lever, arr in plan.levels.items():
                if np.ndim(arr) == 2 and arr.shape[1] != self.runs:
                    raise UserError(
                        f"portfolio {plan.name!r} lever {lever} has per-run levels for "
                        f"{arr.shape[1]} runs; the experiment has {self.runs}"
                    )


def _import_path(fn: Callable[..., Any]) -> str:
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not mod or "<" in qual or mod == "__main__":
        raise UserError(
            f"components must be a module-level function importable by workers, got {fn!r}"
        )
    return f"{mod}:{qual}"
