"""Sensitivity analysis: SALib plumbing on the Ishigami function, and the model wrapper on a stand-in
simulator (one vectorised call per portfolio, priors honoured, paired draws)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import fentsim.params
from fentsim.analysis.sensitivity import ModelFunction, morris_screening, sensitivity, sobol_indices
from fentsim.errors import UserError
from fentsim.model.result import SimResult
from fentsim.params.registry import Registry, parse_registry_text
from fentsim.policy.plan import PolicyPlan

matplotlib.use("Agg")

PI = np.pi
# Ishigami (a = 7, b = 0.1): analytic indices (Saltelli et al. 2008, "Global Sensitivity Analysis: The
# Primer", §2.6; also SALib's test suite)
S1_TRUE = np.array([0.3139, 0.4424, 0.0])
ST_TRUE = np.array([0.5576, 0.4424, 0.2437])


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_recovers_ishigami_indices_in_one_vectorised_call():
    calls = []

    def f(X):
        calls.append(X.shape)
        return ishigami(X)

    res = sobol_indices(f, ["x1", "x2", "x3"], bounds=[(-PI, PI)] * 3, samples=1024, seed=7)
    assert calls == [(1024 * (3 + 2), 3)]  # one N × D matrix in, N outputs out
    frame = res.to_frame().loc[["x1", "x2", "x3"]]
    np.testing.assert_allclose(frame["S1"], S1_TRUE, atol=0.05)
    np.testing.assert_allclose(frame["ST"], ST_TRUE, atol=0.05)
    assert (frame["S1_conf"] > 0).all()
    assert (frame["ST_conf"] > 0).all()
    # the bootstrap intervals are honest: the truth is inside (widened by a small tolerance)
    assert (np.abs(frame["ST"] - ST_TRUE) <= frame["ST_conf"] + 0.02).all()
    assert res.ranking() == ["x1", "x2", "x3"]


def test_sobol_is_reproducible_and_handles_several_outputs():
    def f(X):
        return np.column_stack([ishigami(X), X[:, 2]])

    kw = {"bounds": [(-PI, PI)] * 3, "samples": 256, "seed": 3, "output_names": ["ish", "x3"]}
    a, b = sobol_indices(f, ["x1", "x2", "x3"], **kw), sobol_indices(f, ["x1", "x2", "x3"], **kw)
    np.testing.assert_array_equal(a.indices["ish"]["ST"], b.indices["ish"]["ST"])
    assert a.outputs == ["ish", "x3"]
    assert a.ranking("x3")[0] == "x3"
    assert a.to_frame("x3").loc["x3", "ST"] == pytest.approx(1.0, abs=0.05)


def test_morris_on_ishigami():
    names = ["x1", "x2", "x3", "dummy"]
    res = morris_screening(ishigami, names, bounds=[(-PI, PI)] * 4, trajectories=100, seed=1)
    f = res.to_frame()
    assert res.evaluations == 100 * 5
    assert res.ranking()[-1] == "dummy"
    assert f.loc["dummy", "mu_star"] == 0.0
    assert set(res.ranking()[:2]) == {"x1", "x2"}
    # x2 only ever steps between the grid levels ±π, ±π/3 (4 levels, Δ = 2/3 of the range):
    # each elementary effect is 7·(sin²(π/3) − 0) / (2/3) = ±7.875 exactly
    assert f.loc["x2", "mu_star"] == pytest.approx(7.875, abs=1e-9)
    # x1 acts monotonically-ish (μ ≈ μ*); x2 and x3 act with both signs (|μ| ≪ μ*)
    assert f.loc["x1", "mu"] / f.loc["x1", "mu_star"] > 0.8
    assert abs(f.loc["x2", "mu"]) / f.loc["x2", "mu_star"] < 0.3
    assert abs(f.loc["x3", "mu"]) / f.loc["x3", "mu_star"] < 0.3


def test_constant_output_gives_zero_indices_with_a_note():
    res = sobol_indices(lambda X: np.ones(len(X)), ["a", "b"], samples=64)
    assert np.all(res.to_frame().to_numpy() == 0.0)
    assert res.notes
    assert "does not vary" in res.notes[0]


def test_tornado_frame_json_and_plot():
    res = sobol_indices(ishigami, ["x1", "x2", "x3"], bounds=[(-PI, PI)] * 3, samples=128, seed=2)
    frame = res.to_frame()
    assert list(frame.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert frame["ST"].is_monotonic_decreasing
    doc = json.loads(json.dumps(res.to_json()))
    assert doc["method"] == "sobol"
    assert [r["parameter"] for r in doc["outputs"]["y"]] == res.ranking()
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == res.ranking()[::-1]
    mor = morris_screening(ishigami, ["x1", "x2", "x3"], bounds=[(-PI, PI)] * 3, trajectories=10)
    assert mor.plot().get_xlabel().startswith("μ*")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sobol_indices(ishigami, ["a", "b", "c"], samples=300), "power of two"),
        (lambda: sobol_indices(ishigami, [], samples=64), "params is empty"),
        (lambda: morris_screening(ishigami, ["a", "b", "c"], trajectories=1), "at least 2"),
        (lambda: morris_screening(ishigami, ["a", "b", "c"], levels=3), "even number"),
    ],
)
def test_bad_design_settings_are_user_errors(call, field):
    with pytest.raises(UserError, match=field):
        call()


# --- the model wrapper on a stand-in simulator --------------------------------------------------

REGISTRY = """
[a]
group = "test"
unit = "fraction"
value = 0.5
prior = { dist = "uniform", low = 0.0, high = 1.0 }
source = "test"
[b]
group = "test"
unit = "fraction"
value = 0.5
prior = { dist = "uniform", low = 0.0, high = 1.0 }
source = "test"
[c]
group = "test"
unit = "fraction"
value = 0.5
prior = { dist = "uniform", low = 0.0, high = 1.0 }
source = "test"
[d]
group = "test"
unit = "multiplier"
value = 1.0
prior = { dist = "lognormal", median = 1.0, gsd = 2.0 }
source = "test"
[e]
group = "test"
unit = "multiplier"
value = 3.0
prior = { dist = "fixed" }
source = "test"
"""
POLICY = PolicyPlan("policy", {"naloxone": np.ones(12)})


@pytest.fixture
def fake(monkeypatch):
    """A test registry and a simulator whose deaths depend on a and b only; records its calls."""
    reg = Registry(parse_registry_text(REGISTRY, "test.toml"))
    monkeypatch.setattr(fentsim.params, "load_registry", lambda: reg)
    calls = []

    def simulate(params, plan, *, clock, exposure):
        calls.append((plan.name, {k: v.copy() for k, v in params.items()}))
        a, b = params["a"], params["b"]
        effect = 0.3 * a + 0.1 * b if plan.name == "policy" else 0.0
        deaths = 1000.0 * (1.0 + a) * (1.0 - effect)
        ones = np.ones(clock.n_years)
        return SimResult(clock.years, {"opioid_deaths": deaths[:, None] * ones}, {}, plan.name)

    return calls, simulate


def test_model_sensitivity_runs_each_portfolio_once_on_shared_draws(fake):
    calls, sim = fake
    res = sensitivity(
        POLICY,
        outcome="averted",
        params=["a", "b", "c", "d"],
        samples=128,
        seed=1,
        window=(2026, 2027),
        simulator=sim,
    )
    assert [c[0] for c in calls] == ["policy", "status-quo"]
    assert all(len(c[1]["a"]) == 128 * (4 + 2) for c in calls)
    for name in "abcde":
        np.testing.assert_array_equal(calls[0][1][name], calls[1][1][name])
    assert set(res.ranking()[:2]) == {"a", "b"}
    frame = res.to_frame()
    assert frame.loc["c", "ST"] < 0.02
    assert frame.loc["d", "ST"] < 0.02
    assert res.meta["against"] == "status-quo"
    assert res.meta["window"] == [2026, 2027]


def test_unit_cube_maps_through_each_prior_within_1st_to_99th_percentile(fake):
    fn = ModelFunction(["a", "d"])
    ps = fn.params(np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]))
    np.testing.assert_allclose(ps["a"], [0.01, 0.5, 0.99])
    z99 = 2.3263478740408408  # standard normal 99th percentile
    np.testing.assert_allclose(ps["d"], [2.0**-z99, 1.0, 2.0**z99])
    assert (ps["e"] == 3.0).all()
    assert (ps["b"] == 0.5).all()


def test_default_parameters_come_from_morris_screening(fake):
    _, sim = fake
    res = sensitivity(
        POLICY, outcome="averted", samples=64, max_params=2, window=(2026, 2026), simulator=sim
    )
    assert set(res.meta["screening"]["kept"]) == {"a", "b"} == set(res.names)
    mor = sensitivity(POLICY, outcome="deaths", method="morris", samples=8, simulator=sim)
    assert set(mor.names) == {"a", "b", "c", "d"}
    assert mor.ranking()[0] == "a"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "lives"}, "outcome is 'lives'; allowed: deaths"),
        ({"method": "fast"}, "method is 'fast'; allowed: sobol, morris"),
        ({"params": ["aa"]}, "unknown parameter 'aa'; did you mean 'a'"),
        ({"params": ["e"]}, "'e' has a fixed prior"),
        ({"outcome": "averted", "against": "policy"}, "both 'policy'"),
    ],
)
def test_model_sensitivity_user_errors(fake, kwargs, message):
    _, sim = fake
    with pytest.raises(UserError, match=message):
        sensitivity(POLICY, simulator=sim, **kwargs)
