"""Regret and robustness on a hand-computable loss matrix, and ``robustness()`` on shared draws of a
stand-in simulator (deaths-only and cost-weighted losses)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import fentsim.params
from fentsim.analysis.robustness import DEFAULT_VSL, regret, regret_table, robustness
from fentsim.errors import UserError
from fentsim.model.result import SimResult
from fentsim.params.registry import Registry, parse_registry_text
from fentsim.policy.plan import PolicyPlan

matplotlib.use("Agg")

# runs × portfolios A, B, C (deaths). Regret by hand:
#   r1: A 0,  B 10, C 5     r2: A 50, B 0, C 20     r3: A 0, B 40, C 15     r4: A 0, B 30, C 20
# max regret A 50, B 40, C 20 → minimax C; mean regret A 12.5, B 20, C 15 → mean A;
# p90 (linear interpolation over 4 runs, position 2.7): A 35, B 37, C 20 → p90 C.
LOSS = np.array(
    [
        [100.0, 110.0, 105.0],
        [200.0, 150.0, 170.0],
        [100.0, 140.0, 115.0],
        [100.0, 130.0, 120.0],
    ]
)
NAMES = ["A", "B", "C"]


def test_regret_by_hand():
    expected = [[0, 10, 5], [50, 0, 20], [0, 40, 15], [0, 30, 20]]
    np.testing.assert_array_equal(regret(LOSS), expected)


def test_summary_and_most_robust_choices():
    res = regret_table(LOSS, NAMES, threshold=120.0)
    s = res.summary()
    np.testing.assert_allclose(s["max_regret"], [50, 40, 20])
    np.testing.assert_allclose(s["mean_regret"], [12.5, 20, 15])
    np.testing.assert_allclose(s["p90_regret"], [35, 37, 20])
    np.testing.assert_allclose(s["mean_loss"], [125, 132.5, 127.5])
    np.testing.assert_allclose(s["best_share"], [0.75, 0.25, 0.0])
    # satisficing: loss at most 120 deaths
    np.testing.assert_allclose(s["satisficing_share"], [0.75, 0.25, 0.75])
    assert res.most_robust == {"minimax": "C", "p90": "C", "mean": "A"}


def test_no_threshold_no_satisficing_column_and_json_plot():
    res = regret_table(LOSS, NAMES)
    assert "satisficing_share" not in res.summary()
    doc = json.loads(json.dumps(res.to_json()))
    assert doc["most_robust"]["minimax"] == "C"
    assert [r["portfolio"] for r in doc["portfolios"]] == NAMES
    assert doc["loss"] == "deaths"
    assert res.plot().get_xlabel() == "regret (deaths)"


def test_regret_table_checks_shapes():
    with pytest.raises(ValueError, match="2 portfolio names for 3"):
        regret_table(LOSS, ["A", "B"])
    with pytest.raises(ValueError, match="non-finite"):
        regret_table(np.array([[1.0, np.nan]]), ["A", "B"])


# --- robustness() on a stand-in simulator -------------------------------------------------------

REGISTRY = """
[a]
group = "test"
unit = "fraction"
value = 0.5
prior = { dist = "uniform", low = 0.0, high = 1.0 }
source = "test"
"""
CHEAP = PolicyPlan("cheap", {"naloxone": np.ones(12)})
DEAR = PolicyPlan("dear", {"moud_access": np.ones(12)})


@pytest.fixture
def sim(monkeypatch):
    """cheap averts 10% of deaths for $1M a year; dear averts 10% + 20%·a for $100M a year."""
    reg = Registry(parse_registry_text(REGISTRY, "test.toml"))
    monkeypatch.setattr(fentsim.params, "load_registry", lambda: reg)
    calls = []

    def simulate(params, plan, *, clock, exposure):
        calls.append(params["a"].copy())
        a = params["a"]
        cut = {"cheap": 0.1, "dear": 0.1 + 0.2 * a}.get(plan.name, 0.0)
        cost = {"cheap": 1e6, "dear": 1e8}.get(plan.name, 0.0)
        deaths = 1000.0 * (1.0 - cut) * np.ones_like(a)
        ones = np.ones(clock.n_years)
        outs = {
            "opioid_deaths": deaths[:, None] * ones,
            "programme_cost_usd": np.full((len(a), len(ones)), cost),
        }
        return SimResult(clock.years, outs, {}, plan.name)

    simulate.calls = calls
    return simulate


def test_robustness_runs_every_portfolio_on_the_same_draws(sim):
    res = robustness(
        ["status-quo", CHEAP, DEAR],
        runs=50,
        seed=4,
        window=(2026, 2027),
        source="prior",
        simulator=sim,
    )
    assert len(sim.calls) == 3
    for draw in sim.calls[1:]:
        np.testing.assert_array_equal(draw, sim.calls[0])
    a = sim.calls[0]
    np.testing.assert_allclose(res.loss[:, 2], 2 * 1000.0 * (0.9 - 0.2 * a))
    assert res.portfolios == ["status-quo", "cheap", "dear"]
    assert res.most_robust["minimax"] == "dear"
    assert res.cost is None


def test_cost_weighted_loss_prices_cost_at_the_vsl(sim):
    vsl = 1e7  # $10M per statistical life: dear's $200M over two years weighs 20 deaths
    res = robustness(
        [CHEAP, DEAR], runs=40, seed=4, window=(2026, 2027), vsl=vsl, source="prior", simulator=sim
    )
    np.testing.assert_allclose(res.loss, res.deaths + res.cost / vsl)
    np.testing.assert_allclose(res.cost[:, 1], 2e8)
    assert res.cost_weight == pytest.approx(1 / vsl)
    # dear saves 2·1000·0.2·a deaths over cheap for 19.8 deaths-equivalent of extra cost
    a = sim.calls[0]
    np.testing.assert_allclose(res.regret[:, 0], np.maximum(0.0, 400.0 * a - 19.8))
    by_weight = robustness(
        [CHEAP, DEAR],
        runs=40,
        seed=4,
        window=(2026, 2027),
        cost_weight=1 / vsl,
        source="prior",
        simulator=sim,
    )
    np.testing.assert_allclose(by_weight.loss, res.loss)
    assert DEFAULT_VSL == 13.2e6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"portfolios": [CHEAP]}, "at least two"),
        ({"portfolios": [CHEAP, CHEAP]}, "twice"),
        ({"vsl": 1e7, "cost_weight": 1e-7}, "either cost_weight or vsl"),
        ({"vsl": -5.0}, "vsl is -5.0"),
        ({"cost_weight": -1.0}, "cost_weight is -1.0"),
    ],
)
def test_robustness_user_errors(sim, kwargs, message):
    kwargs.setdefault("portfolios", [CHEAP, DEAR])
    with pytest.raises(UserError, match=message):
        robustness(runs=10, source="prior", simulator=sim, **kwargs)
