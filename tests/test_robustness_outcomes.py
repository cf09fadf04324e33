"""The shared outcome helpers (``fentsim.analysis.outcomes``): windows, paired outcomes, cost."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.analysis.outcomes import (
    OUTCOMES,
    RunSpec,
    averted,
    averted_share,
    cumulative,
    outcome,
    relative_change,
    run_portfolios,
    total_cost,
)
from fentsim.errors import UserError
from fentsim.model.result import SimResult
from fentsim.params import ParamSet
from fentsim.policy.plan import PolicyPlan

YEARS = np.array([2025, 2026, 2027])
REF = SimResult(
    YEARS,
    {
        "opioid_deaths": np.array([[10.0, 10.0, 10.0], [20.0, 0.0, 0.0]]),
        "mexico_homicides": np.array([[100.0, 100.0, 100.0], [50.0, 50.0, 50.0]]),
    },
)
POL = SimResult(
    YEARS,
    {
        "opioid_deaths": np.array([[9.0, 8.0, 7.0], [20.0, 0.0, 0.0]]),
        "mexico_homicides": np.array([[100.0, 110.0, 130.0], [50.0, 50.0, 50.0]]),
        "cost_naloxone": np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]),
        "cost_moud": np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]),
    },
)
W = (2026, 2027)


def test_window_sums_and_paired_outcomes():
    np.testing.assert_array_equal(cumulative(POL, "opioid_deaths", W), [15.0, 0.0])
    np.testing.assert_array_equal(averted(POL, REF, window=W), [5.0, 0.0])
    # a zero reference leaves nothing to avert: the share is 0, not NaN
    np.testing.assert_allclose(averted_share(POL, REF, window=W), [0.25, 0.0])
    np.testing.assert_allclose(relative_change(POL, REF, "mexico_homicides", W), [0.2, 0.0])
    np.testing.assert_allclose(outcome("extra-homicides", POL, REF, W), [40.0, 0.0])
    np.testing.assert_allclose(outcome("homicides-change", POL, REF, W), [0.2, 0.0])
    np.testing.assert_allclose(outcome("deaths", POL, None, W), [15.0, 0.0])
    np.testing.assert_allclose(total_cost(POL, W), [6.0, 6.0])
    np.testing.assert_allclose(outcome("cost", POL, None, W), [6.0, 6.0])
    assert set(OUTCOMES) >= {"deaths", "averted", "homicides"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cumulative(POL, "opioid_deaths", (2030, 2031)), "outside the simulated years"),
        (lambda: cumulative(POL, "opioid_deaths", (2027, 2026)), "is empty"),
        (lambda: cumulative(POL, "overdoses", W), "'overdoses' is not produced"),
        (lambda: total_cost(REF, W), "records no programme cost"),
        (lambda: outcome("lives", POL, REF, W), "allowed: deaths, averted"),
        (lambda: RunSpec(exposure="mixed"), "exposure is 'mixed'; allowed: coupled, observed"),
        (lambda: RunSpec(window=(1990, 2000)).clock(), "before the simulation starts"),
    ],
)
def test_outcome_user_errors(call, message):
    with pytest.raises(UserError, match=message):
        call()


def test_run_portfolios_applies_scenario_overrides_to_that_portfolio_only(monkeypatch):
    import fentsim.analysis.outcomes as oc

    seen = {}

    def simulate(params, plan, *, clock, exposure):
        seen[plan.name] = params["k"].copy()
        return SimResult(clock.years, {"opioid_deaths": np.zeros((params.n, clock.n_years))})

    plan = PolicyPlan("fixes-k", {})
    monkeypatch.setattr(
        oc, "prepare_portfolio", lambda p, clock: (p, {"k": 7.0} if p is plan else {})
    )
    ps = ParamSet({"k": np.array([1.0, 2.0])})
    out = run_portfolios(
        ps, [plan, PolicyPlan("other", {})], RunSpec(window=(2026, 2026), simulator=simulate)
    )
    np.testing.assert_array_equal(seen["fixes-k"], [7.0, 7.0])
    np.testing.assert_array_equal(seen["other"], [1.0, 2.0])
    assert list(out) == ["fixes-k", "other"]


def test_chunked_runs_equal_one_call_and_report_progress():
    def simulate(params, plan, *, clock, exposure):
        k = params["k"][:, None] * np.arange(1, clock.n_years + 1)
        return SimResult(clock.years, {"opioid_deaths": k, "other": -k})

    ps = ParamSet({"k": np.arange(10.0)})
    plans = [PolicyPlan("x", {}), PolicyPlan("y", {})]
    ticks = []
    whole = run_portfolios(ps, plans, RunSpec(window=(2026, 2027), simulator=simulate))
    spec = RunSpec(window=(2026, 2027), simulator=simulate, chunk=3)
    cut = run_portfolios(ps, plans, spec, lambda *a: ticks.append(a[1:]), keep={"opioid_deaths"})
    np.testing.assert_array_equal(
        cut["y"].outcomes["opioid_deaths"], whole["y"].outcomes["opioid_deaths"]
    )
    assert list(cut["x"].outcomes) == ["opioid_deaths"]  # outputs not kept are dropped
    assert ticks[-1] == (8, 8)  # 2 portfolios × 4 chunks of at most 3 runs


@pytest.mark.parametrize(
    "module",
    [
        "fentsim.analysis.outcomes",
        "fentsim.analysis.sensitivity",
        "fentsim.analysis.prim",
        "fentsim.analysis.robustness",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
