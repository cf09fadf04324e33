"""The US market: mass balance of share and potency, demand elasticity, purity absorbs shortfalls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentsim.model import market as mk
from fentsim.model.clock import Clock
from fentsim.model.recorder import Recorder
from fentsim.params import ParamSet, load_registry, sample
from fentsim.policy.plan import STATUS_QUO


@settings(max_examples=200, deadline=None)
@given(cov=st.floats(0.0, 20.0), ceiling=st.floats(0.5, 1.0), half=st.floats(0.01, 2.0))
def test_share_times_potency_is_the_coverage(cov, ceiling, half):
    s, pot = mk.share_potency(cov, ceiling, half)
    assert 0.0 <= s <= ceiling
    assert pot > 0.0
    assert s * pot == pytest.approx(cov, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    cov=st.floats(0.01, 5.0),
    cut=st.floats(0.05, 0.9),
    ceiling=st.floats(0.7, 1.0),
    half=st.floats(0.05, 1.0),
)
def test_less_supply_lowers_share_and_potency(cov, cut, ceiling, half):
    s0, p0 = mk.share_potency(cov, ceiling, half)
    s1, p1 = mk.share_potency(cov * (1 - cut), ceiling, half)
    assert s1 < s0 and p1 < p0


def test_near_saturation_a_shortfall_shows_mostly_in_potency():
    s0, p0 = mk.share_potency(0.9, 0.95, 0.3)  # the 2020s: share near its ceiling
    s1, p1 = mk.share_potency(0.6, 0.95, 0.3)
    assert np.log(p0 / p1) > 2 * np.log(s0 / s1)


@pytest.mark.parametrize("elasticity", [-0.9, -0.6, -0.3])
def test_demand_elasticity_at_the_reference_price(elasticity):
    h = 1e-6
    slope = (
        np.log(mk.demand_factor(1 + h, elasticity)) - np.log(mk.demand_factor(1 - h, elasticity))
    ) / (np.log(1 + h) - np.log(1 - h))
    assert slope == pytest.approx(elasticity, rel=1e-5)
    assert mk.demand_factor(1.5, elasticity) < 1.0 < mk.demand_factor(0.7, elasticity)


def test_registry_priors_span_the_documented_ranges():
    reg = load_registry()
    lo, hi = reg["price_elasticity"].prior.support
    assert (lo, hi) == (-0.9, -0.3)
    lo, hi = reg["volatility_od_effect"].prior.support
    assert lo < 0.0 < hi  # the sign of the volatility effect is genuinely uncertain


def run_market(params: ParamSet, delivered, users=2.0e6, months=240):
    ctx = {"illicit_users": np.full(params.n, users), "fentanyl_delivered_kg": np.zeros(params.n)}
    m = mk.Market()
    clock = Clock(2000, 2000 + months // 12 - 1)
    m.init(params, clock, ctx)
    rec = Recorder(clock, params.n, list(m.outputs))
    trace = []
    for k in range(clock.n_months):
        ctx["fentanyl_delivered_kg"][:] = delivered(k)
        m.step(k, STATUS_QUO, ctx, rec)
        trace.append((ctx["fentanyl_share"].copy(), ctx["potency"].copy(), ctx["od_risk_supply"].copy(),
                      m.S[:, mk.POT_PREV].copy(), m.S[:, mk.PRICE].copy()))  # fmt: skip
        assert np.all(np.abs(m.balance()) <= 1e-9 * (1 + m.cum[:, mk.CU_IN]))
        assert np.all(m.S >= 0)
    return trace


def test_a_supply_cut_lowers_potency_more_than_share_and_raises_price():
    ps = ParamSet.point(load_registry(), 1)
    flow = 600.0
    trace = run_market(ps, lambda k: flow if k < 120 else 0.6 * flow)
    s0, _, _, pot0, price0 = trace[119]
    s1, _, _, pot1, price1 = trace[-1]
    assert pot1 < pot0 and s1 < s0
    assert price1 > price0  # partly through price
    assert np.log(pot0 / pot1) > np.log(s0 / s1) or s0 < 0.5 * ps["share_ceiling"][0]


def test_tolerance_rate_zero_passes_street_potency_and_fast_rate_normalises_it():
    reg = load_registry()
    slow = ParamSet.point(reg, 1, {"tolerance_adaptation_rate": 0.0})
    fast = ParamSet.point(reg, 1, {"tolerance_adaptation_rate": 4.0})
    a = run_market(slow, lambda k: 500.0)
    b = run_market(fast, lambda k: 500.0)
    assert a[-1][1][0] == pytest.approx(a[-1][3][0])  # ctx potency = street potency
    assert b[-1][1][0] == pytest.approx(1.0, abs=1e-3)  # adapted: relative potency back to 1


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_volatility_moves_overdose_risk_in_the_direction_of_its_effect(sign):
    reg = load_registry()
    ps = ParamSet.point(reg, 1, {"volatility_od_effect": 2.0 * sign})
    trace = run_market(ps, lambda k: 500.0 * (1.5 if (k // 6) % 2 else 0.5))
    risk = np.array([t[2][0] for t in trace[24:]])
    assert np.all(sign * (risk - 1.0) > 0.0)


def test_many_draws_stay_finite_and_bounded():
    ps = sample(load_registry(), 32, seed=2, names=list(mk.PARAMS))
    trace = run_market(ps, lambda k: 20.0 * k)
    for s, pot, risk, _, price in trace:
        assert (
            np.all((s >= 0) & (s <= 1))
            and np.all(pot > 0)
            and np.all(risk > 0)
            and np.all(price > 0)
        )
