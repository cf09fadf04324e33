"""Synthetic-data recovery: simulate a small compartment model with known parameters, add the
likelihood's own noise, calibrate with the full pipeline (engine, targets, likelihood, SMC) and
recover every parameter inside its 90% posterior interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from fentsim.calibration.bayes import SMCSettings
from fentsim.calibration.diagnostics import fit_table, parameter_table, rhat, sampler_summary
from fentsim.calibration.targets import Target
from fentsim.calibration.validate import build_problem, calibrate, posterior_runs, validate
from fentsim.model.clock import DT
from fentsim.model.recorder import Output
from fentsim.params.registry import Registry, parse_registry_text

REGISTRY_TOML = """
[syn_init]
group = "demand.synthetic"
unit = "persons/yr"
value = 50000
prior = { dist = "uniform", low = 20000, high = 100000 }
source = "synthetic test model"
calibrate = true

[syn_growth]
group = "demand.synthetic"
unit = "1/yr"
value = 0.05
prior = { dist = "uniform", low = -0.05, high = 0.15 }
source = "synthetic test model"
calibrate = true

[syn_quit]
group = "demand.synthetic"
unit = "1/yr"
value = 0.2
prior = { dist = "loguniform", low = 0.05, high = 0.6 }
source = "synthetic test model"
calibrate = true

[syn_od]
group = "demand.synthetic"
unit = "1/yr"
value = 0.01
prior = { dist = "lognormal", median = 0.01, gsd = 2.0 }
source = "synthetic test model"
calibrate = true

[syn_mid]
group = "demand.synthetic"
unit = "yr"
value = 2010
prior = { dist = "uniform", low = 2004, high = 2016 }
source = "synthetic test model"
calibrate = true

[syn_u0]
group = "demand.synthetic"
unit = "persons"
value = 150000
prior = { dist = "uniform", low = 100000, high = 200000 }
source = "synthetic test model (not calibrated: stays at its point value)"

[syn_fixed_mult]
group = "demand.synthetic"
unit = "multiplier"
value = 3.0
prior = { dist = "uniform", low = 2.0, high = 4.0 }
source = "synthetic test model (not calibrated: stays at its point value)"
"""

TRUTH = {
    "syn_init": 62000.0,
    "syn_growth": 0.06,
    "syn_quit": 0.25,
    "syn_od": 0.012,
    "syn_mid": 2009.0,
}
START, END = 2000, 2019


class Users:
    """One stock of users; deaths rise with a logistic 'share' of a deadlier drug."""

    name = "synthetic"
    outputs = (
        Output("users", "level", "persons", "people using"),
        Output("deaths", "flow", "deaths/yr", "deaths"),
        Output("share", "level", "fraction", "share of the deadlier drug"),
    )

    def init(self, p, clock, ctx):
        self.p, self.clock = p, clock
        self.u = p["syn_u0"].copy()

    def step(self, m, plan, ctx, rec):
        p, t = self.p, self.clock.time(m)
        share = expit(t - p["syn_mid"])
        hazard = p["syn_od"] * (1.0 + (p["syn_fixed_mult"] - 1.0) * share)
        inflow = p["syn_init"] * np.exp(p["syn_growth"] * (t - START))
        deaths = hazard * self.u * DT
        self.u = self.u + inflow * DT - p["syn_quit"] * self.u * DT - deaths
        rec.level("users", m, self.u)
        rec.flow("deaths", m, deaths)
        rec.level("share", m, share)


TARGETS = (
    Target("deaths", "deaths", ("deaths",), "negbin", 0.05),
    Target("users", "users", ("users",), "lognormal", 0.1),
    Target("share", "share", ("share",), "logitnormal", 0.3),
)


@pytest.fixture(scope="module")
def registry():
    return Registry(parse_registry_text(REGISTRY_TOML, "synthetic.toml"))


@pytest.fixture(scope="module")
def observed(registry):
    """Noisy observations drawn from the model at TRUTH with the targets' own noise models."""
    prob = build_problem(None, targets=TARGETS, observed=_frame({t.series: (START, END) for t in TARGETS}),
                         registry=registry, components=lambda: [Users()], start_year=START)  # fmt: skip
    truth = np.array([[TRUTH[n] for n in prob.names]])
    res = prob.simulate(truth)
    rng = np.random.default_rng(2024)
    rows = []
    for part in prob.likelihood.parts:
        y = part.predictive(res, rng)[0]
        rows += [{"series": part.name, "year": int(yr), "value": float(v), "provenance": "V"}
                 for yr, v in zip(part.years, y, strict=True)]  # fmt: skip
    return pd.DataFrame(rows)


def _frame(spans):
    return pd.DataFrame(
        [
            {"series": s, "year": y, "value": 0.5}
            for s, (a, b) in spans.items()
            for y in range(a, b + 1)
        ]
    )


def _problem(registry, observed, through=None):
    return build_problem(through, targets=TARGETS, observed=observed, registry=registry,
                         components=lambda: [Users()], start_year=START)  # fmt: skip


def test_recovers_known_parameters(registry, observed):
    prob = _problem(registry, observed)
    assert prob.names == tuple(TRUTH)  # calibrate = true only; the others stay at point values
    cal = calibrate(prob, SMCSettings(draws=4000, particles=600, groups=2, seed=7, max_moves=10))
    table = {row["name"]: row for row in parameter_table(cal)}
    for name, true in TRUTH.items():
        row = table[name]
        assert row["p05"] <= true <= row["p95"], (name, true, row)
        assert row["rhat"] < 1.1, row
    # growth, overdose rate and the share's midpoint are sharply identified; initiation and
    # quitting trade off along a ridge (their ratio sets the level), so only their ratio is tight
    for name in ("syn_growth", "syn_od", "syn_mid"):
        row = table[name]
        assert row["p95"] - row["p05"] < 0.2 * (row["prior_p95"] - row["prior_p05"]), row
    ratio = cal.posterior.column("syn_init") / cal.posterior.column("syn_quit")
    assert (
        np.quantile(ratio, 0.05)
        <= TRUTH["syn_init"] / TRUTH["syn_quit"]
        <= np.quantile(ratio, 0.95)
    )
    summ = sampler_summary(cal)
    assert summ["rhat_ok"] and summ["stages"] >= 2
    fit = fit_table(prob.likelihood.parts, posterior_runs(cal, END, 7), seed=7)
    assert fit["deaths"]["r2"] > 0.95 and fit["users"]["coverage90"] >= 0.75


def test_results_do_not_depend_on_chunk_size(registry, observed):
    prob = _problem(registry, observed)
    small = SMCSettings(draws=200, particles=40, groups=2, seed=3, max_moves=3)
    a = calibrate(prob, small)
    b = calibrate(prob, SMCSettings(**{**vars(small), "chunk": 53}))
    np.testing.assert_array_equal(a.posterior.values, b.posterior.values)
    assert a.posterior.meta["spec_hash"] == b.posterior.meta["spec_hash"]


def test_validate_projects_the_held_out_years(registry, observed):
    out = validate(2014, SMCSettings(draws=600, particles=120, groups=2, seed=5, max_moves=4),
                   targets=TARGETS, observed=observed, registry=registry,
                   components=lambda: [Users()], start_year=START)  # fmt: skip
    assert out["through"] == 2014
    deaths = out["series"]["deaths"]
    assert deaths["years"] == list(range(2015, END + 1))
    assert set(deaths) == {"years", "observed", "mean", "p05", "p95"}
    assert all(
        lo <= m <= hi
        for lo, m, hi in zip(deaths["p05"], deaths["mean"], deaths["p95"], strict=True)
    )
    assert 0.0 <= out["coverage"]["deaths"] <= 1.0 and out["mape"]["deaths"] >= 0.0


def test_rhat_flags_disagreeing_groups():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 1))
    x[200:] += 3.0
    assert rhat(x, np.repeat([0, 1], 200))[0] > 1.5
