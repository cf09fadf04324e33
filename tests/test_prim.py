"""PRIM scenario discovery: a planted box is recovered; the trade-off is monotone; the model-facing
``discover`` asks its questions on paired runs of a stand-in simulator."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import fentsim.params
from fentsim.analysis.prim import _paste, discover, prim
from fentsim.errors import UserError
from fentsim.model.result import SimResult
from fentsim.params.registry import Registry, parse_registry_text
from fentsim.policy.plan import PolicyPlan

matplotlib.use("Agg")

# the planted box: x1 in [0.3, 0.7] and x3 in [0, 0.4] (x3's lower side is the space's edge)
LOW1, HIGH1, HIGH3 = 0.3, 0.7, 0.4


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(11)
    X = rng.random((3000, 5))
    inside = (X[:, 1] > LOW1) & (X[:, 1] < HIGH1) & (X[:, 3] < HIGH3)
    y = inside ^ (rng.random(3000) < 0.05)  # 5% label noise both ways
    return X, y


def test_prim_recovers_the_planted_box(planted):
    X, y = planted
    res = prim(X, y, names=[f"x{j}" for j in range(5)], threshold=0.9, max_qp=0.05)
    assert res.box.restricted_names(res.names) == ["x1", "x3"]
    box = res.box_frame()
    assert box.loc["x1", "lower"] == pytest.approx(LOW1, abs=0.03)
    assert box.loc["x1", "upper"] == pytest.approx(HIGH1, abs=0.03)
    assert box.loc["x3", "upper"] == pytest.approx(HIGH3, abs=0.03)
    assert box.loc["x3", "lower"] == box.loc["x3", "range_lower"]  # one-sided restriction
    assert res.box.density >= 0.9
    assert res.box.coverage >= 0.75
    assert (box["qp"] < 1e-6).all()


def test_peeling_trajectory_trades_coverage_for_density(planted):
    X, y = planted
    res = prim(X, y, mass_min=0.05)
    t = res.to_frame()
    assert t.loc[0, "coverage"] == 1.0
    assert t.loc[0, "density"] == pytest.approx(y.mean())
    assert (np.diff(t["coverage"]) <= 0).all()
    assert (np.diff(t["density"]) > 0).all()
    assert (np.diff(t["mass"]) < 0).all()
    assert (t["mass"] >= 0.05).all()
    # the chosen box is the highest-coverage step reaching the density threshold (0.8)
    ok = t[t["density"] >= 0.8]
    assert res.chosen == ok["coverage"].idxmax()


def test_weak_restrictions_have_large_quasi_p_and_can_be_dropped(planted):
    X, y = planted
    res = prim(X, y, names=[f"x{j}" for j in range(5)], mass_min=0.02)
    last = res.select(len(res.trajectory) - 1)  # peeled far: spurious restrictions creep in
    spurious = set(last.box.restricted_names(res.names)) - {"x1", "x3"}
    assert spurious
    assert all(last.qp[n] > 0.01 for n in spurious)
    clean = res.select(len(res.trajectory) - 1, max_qp=0.01)
    assert clean.box.restricted_names(res.names) == ["x1", "x3"]


def test_pasting_widens_a_limit_while_the_density_rises():
    rng = np.random.default_rng(5)
    X = rng.random((4000, 2))
    # cases of interest: x0 < 0.5, but only 80% of them below x0 = 0.3 (all of them in 0.3–0.5)
    y = (X[:, 0] < 0.5) & ((X[:, 0] > 0.3) | (rng.random(4000) < 0.8))
    init = np.array([[X[:, 0].min(), X[:, 0].max()], [X[:, 1].min(), X[:, 1].max()]])
    over_peeled = init.copy()
    over_peeled[0, 1] = 0.3
    pasted = _paste(X, y, over_peeled, init, alpha=0.05)
    assert pasted[0, 1] == pytest.approx(0.5, abs=0.02)
    assert (pasted[1] == init[1]).all()


def test_no_case_and_every_case():
    X = np.random.default_rng(0).random((200, 3))
    none = prim(X, np.zeros(200, dtype=bool))
    assert none.box.restricted == ()
    assert "no run is a case of interest" in none.notes[0]
    every = prim(X, np.ones(200, dtype=bool))
    assert every.box.restricted == ()
    assert every.box.density == 1.0
    assert len(every.trajectory) == 1


def test_result_serialises_and_plots(planted):
    X, y = planted
    res = prim(X, y)
    doc = json.loads(json.dumps(res.to_json()))
    assert doc["chosen_step"] == res.chosen
    assert {r["parameter"] for r in doc["box"]["limits"]} == set(res.box_frame().index)
    assert len(doc["trajectory"]) == len(res.trajectory)
    assert res.plot().get_xlabel() == "coverage"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"peel_alpha": 0.0}, "peel_alpha is 0.0"), ({"threshold": 1.5}, "threshold is 1.5")],
)
def test_bad_prim_settings_are_user_errors(planted, kwargs, message):
    X, y = planted
    with pytest.raises(UserError, match=message):
        prim(X, y, **kwargs)


# --- discover() on a stand-in simulator -------------------------------------------------------

REGISTRY = "\n".join(
    f'[{n}]\ngroup = "test"\nunit = "fraction"\nvalue = 0.5\n'
    f'prior = {{ dist = "uniform", low = 0.0, high = 1.0 }}\nsource = "test"'
    for n in "abcd"
)
POLICY = PolicyPlan("policy", {"naloxone": np.ones(12)})


@pytest.fixture
def sim(monkeypatch):
    """Policy averts 30% of deaths when a > 0.5 and b < 0.3 (else 2%); raises homicides by 20%
    when c > 0.7."""
    reg = Registry(parse_registry_text(REGISTRY, "test.toml"))
    monkeypatch.setattr(fentsim.params, "load_registry", lambda: reg)

    def simulate(params, plan, *, clock, exposure):
        a, b, c = params["a"], params["b"], params["c"]
        on = plan.name == "policy"
        deaths = 1000.0 * (1 + a) * (1 - (np.where((a > 0.5) & (b < 0.3), 0.3, 0.02) if on else 0))
        hom = 100.0 * (1 + c) * (np.where(c > 0.7, 1.2, 1.0) if on else 1.0)
        ones = np.ones(clock.n_years)
        outs = {"opioid_deaths": deaths[:, None] * ones, "mexico_homicides": hom[:, None] * ones}
        return SimResult(clock.years, outs, {}, plan.name)

    return simulate


def test_discover_averted_share(sim):
    res = discover(
        POLICY,
        averted_share_at_least=0.2,
        runs=1000,
        seed=2,
        window=(2026, 2027),
        source="prior",
        simulator=sim,
        threshold=0.95,
        max_qp=0.05,
    )
    assert res.meta["share_of_interest"] == pytest.approx(0.5 * 0.3, abs=0.03)
    assert res.box.restricted_names(res.names) == ["a", "b"]
    box = res.box_frame()
    assert box.loc["a", "lower"] == pytest.approx(0.5, abs=0.03)
    assert box.loc["b", "upper"] == pytest.approx(0.3, abs=0.03)
    assert "averts at least 20.0%" in res.meta["question"]


def test_discover_homicides_change(sim):
    res = discover(
        POLICY,
        homicides_change_above=0.1,
        runs=600,
        seed=3,
        window=(2026, 2026),
        source="prior",
        simulator=sim,
        threshold=0.95,
    )
    assert res.box.restricted_names(res.names) == ["c"]
    assert res.box_frame().loc["c", "lower"] == pytest.approx(0.7, abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"averted_share_at_least": 0.1, "homicides_change_above": 0.1}, "exactly one of"),
        ({"averted_share_at_least": 1.5}, "averted_share_at_least is 1.5"),
        ({"averted_share_at_least": 0.1, "against": "policy"}, "both 'policy'"),
        ({"averted_share_at_least": 0.1, "runs": 1}, "runs is 1"),
        ({"averted_share_at_least": 0.1, "peel": 0.1}, "PRIM setting 'peel' is unknown"),
        ({"averted_share_at_least": 0.1, "max_qp": 0.0}, "max_qp is 0.0"),
    ],
)
def test_discover_user_errors(sim, kwargs, message):
    with pytest.raises(UserError, match=message):
        discover(POLICY, simulator=sim, source="prior", **kwargs)
