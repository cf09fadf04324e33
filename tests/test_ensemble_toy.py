"""A tiny stand-in model for the ensemble tests: a real component following the engine protocol.

``toy_components`` is importable by worker processes (``test_ensemble_toy:toy_components``), so
every executor can run it; ``TOY_REGISTRY`` is a small registry with priors over its parameters.
The toy reads the ``naloxone`` lever so portfolios differ, and uses ``exp``/``log`` so that the
bitwise-invariance tests exercise transcendental functions too.
"""

from __future__ import annotations

import numpy as np

from fentsim.model.clock import DT, Clock
from fentsim.model.recorder import Output
from fentsim.params import ParamSet, Registry
from fentsim.params.registry import parse_registry_text
from fentsim.policy.plan import PolicyPlan

TOY_TOML = """
[toy_users0]
group = "toy"
unit = "persons"
value = 1000.0
prior = { dist = "uniform", low = 500.0, high = 2000.0 }
source = "test"

[toy_growth]
group = "toy"
unit = "1/yr"
value = 0.05
prior = { dist = "normal", mean = 0.05, sd = 0.02, low = -0.05, high = 0.2 }
source = "test"

[toy_od_rate]
group = "toy"
unit = "1/yr"
value = 0.02
prior = { dist = "lognormal", median = 0.02, gsd = 1.5 }
source = "test"

[toy_naloxone_effect]
group = "toy"
unit = "elasticity"
value = 0.3
prior = { dist = "beta", a = 2, b = 5 }
source = "test"

[toy_fixed]
group = "toy"
unit = "multiplier"
value = 1.0
prior = { dist = "fixed" }
source = "test"
"""

TOY_REGISTRY = Registry(parse_registry_text(TOY_TOML, "toy.toml"))
COMPONENTS = "test_ensemble_toy:toy_components"


class Toy:
    """Users grow, some overdose each month; naloxone cuts the death share."""

    name = "toy"
    outputs = (
        Output("toy_deaths", "flow", "deaths/yr", "toy deaths"),
        Output("toy_users", "level", "persons", "toy users"),
        Output("opioid_deaths", "flow", "deaths/yr", "alias so the key outcome exists"),
    )

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        self.users = p["toy_users0"].copy()
        self.growth = p["toy_growth"]
        self.od = p["toy_od_rate"]
        self.eff = p["toy_naloxone_effect"] * p["toy_fixed"]

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec) -> None:
        nal = plan.level("naloxone", m)
        hazard = self.od * np.exp(-self.eff * np.log1p(nal)) * (1.0 + 0.1 * np.sin(m * 0.5))
        deaths = self.users * (1.0 - np.exp(-hazard * DT))
        self.users = self.users * np.exp(self.growth * DT) - deaths
        rec.flow("toy_deaths", m, deaths)
        rec.flow("opioid_deaths", m, deaths)
        rec.level("toy_users", m, self.users)


def toy_components() -> list[Toy]:
    """The stand-in model's component list."""
    return [Toy()]


def naloxone_plan(clock: Clock, kits: float = 2.0) -> PolicyPlan:
    """A portfolio adding ``kits`` from the first month."""
    return PolicyPlan("naloxone", {"naloxone": np.full(clock.n_months, kits)})


def test_toy_runs_and_naloxone_helps() -> None:
    from fentsim.model.engine import simulate

    clock = Clock(1999, 2003)
    ps = ParamSet.point(TOY_REGISTRY, 3)
    base = simulate(ps, clock=clock, components=toy_components)
    more = simulate(ps, naloxone_plan(clock), clock=clock, components=toy_components)
    assert base.outcomes["toy_deaths"].shape == (3, 5)
    assert (more.outcomes["toy_deaths"] < base.outcomes["toy_deaths"]).all()


def assert_bitwise(a, b) -> None:
    """Two result DataFrames hold the same columns, dtypes and bits (NaN-safe, -0.0-aware)."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        assert x.dtype == y.dtype, col
        if x.dtype.kind == "f":
            assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), col
        else:
            assert (x == y).all(), col


def toy_experiment(runs: int = 50, **kw):
    """An experiment over the toy model: two portfolios, short clock, prior draws."""
    from fentsim.ensemble import Experiment

    clock = kw.pop("clock", Clock(1999, 2005))
    kw.setdefault("portfolios", ("status-quo", naloxone_plan(clock)))
    kw.setdefault("source", "prior")
    kw.setdefault("seed", 11)
    kw.setdefault("components", COMPONENTS)
    return Experiment(runs=runs, clock=clock, registry=TOY_REGISTRY, **kw)
