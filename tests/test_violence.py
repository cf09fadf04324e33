"""Violence in Mexico: leadership-removal shocks, fragmentation, cooperation and civilian harm."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.model import violence as vi
from fentsim.model.clock import Clock
from fentsim.model.recorder import Recorder
from fentsim.params import ParamSet, load_registry
from fentsim.policy.plan import STATUS_QUO, PolicyPlan

CLOCK = Clock(2000, 2009)


def run(removals, ops=0.0, consent=False, params=None, built=0.0, production=0.0):
    """Step the violence component with given monthly removals; return monthly homicides etc."""
    ps = params or ParamSet.point(load_registry(), 1)
    ctx = {"leadership_removals": np.zeros(1), "cartel_war": np.zeros(1),
           "fentanyl_production_kg": np.full(1, production)}  # fmt: skip
    v = vi.Violence()
    v.init(ps, CLOCK, ctx)
    v.hist_built[:] = 0.0
    v.hist_built[12] = built
    n = CLOCK.n_months
    plan = PolicyPlan("ops", {"military_campaign": np.full(n, ops)},
                      {"military_campaign": {"target_mix": {"leadership": 0.2, "labs": 0.3, "nodes": 0.5},
                                             "consent": consent}})  # fmt: skip
    rec = Recorder(CLOCK, 1, list(v.outputs))
    hom, groups, coop = [], [], []
    for m in range(n):
        ctx["leadership_removals"][:] = removals(m)
        before = v.acc[0, 0]
        v.step(m, plan if ops else STATUS_QUO, ctx, rec)
        hom.append(v.acc[0, 0] - before if m % 12 != 11 else np.nan)
        groups.append(v.S[0, vi.GROUPS])
        coop.append(ctx["mexico_cooperation"][0])
    return np.array(hom), np.array(groups), np.array(coop), rec.result()


def test_a_leadership_removal_raises_homicides_for_months_then_fades():
    reg = load_registry()
    ps = ParamSet.point(reg, 1, {"groups_growth_rate": 0.0, "groups_per_removal": 0.0})
    base, _, _, _ = run(lambda m: 0.0, params=ps)
    shock, _, _, _ = run(lambda m: 1.0 if m == 24 else 0.0, params=ps)
    d = shock - base
    assert np.nanmax(np.abs(d[:24])) == 0.0
    assert d[24] > 0 and d[30] > 0
    assert d[30] < d[24] and d[60] < 0.05 * d[24]
    # the national jump equals the local effect times the share of homicides affected
    conflict = base[24] - ps["homicides_base"][0] / 12.0
    assert d[24] / conflict == pytest.approx(
        ps["removal_local_effect"][0] * ps["removal_homicide_share"][0], rel=1e-6
    )


def test_removals_fragment_groups_and_groups_consolidate_above_capacity():
    _, g0, _, _ = run(lambda m: 0.0)
    _, g1, _, _ = run(lambda m: 1.0)
    assert np.all(g1[1:] > g0[1:])
    reg = load_registry()
    ps = ParamSet.point(reg, 1, {"groups_init": 8.0, "groups_capacity": 80.0})
    big = ParamSet(ps)
    big["groups_init"] = np.array([400.0])  # far above capacity (outside the prior, on purpose)
    _, g, _, _ = run(lambda m: 0.0, params=big)
    assert np.all(np.diff(g) < 0)


def test_unilateral_operations_lower_cooperation_and_consent_keeps_it():
    _, _, c_uni, r_uni = run(lambda m: 0.0, ops=30.0, consent=False)
    _, _, c_con, _r_con = run(lambda m: 0.0, ops=30.0, consent=True)
    assert c_uni[-1] < 0.99 and c_uni[-1] < c_con[-1]
    assert r_uni["civilian_harm"][0, 0] > 0


def test_civilian_harm_is_operations_times_harm_per_operation():
    ps = ParamSet.point(load_registry(), 1)
    _, _, _, res = run(lambda m: 0.0, ops=10.0, params=ps)
    per_op = (
        0.2 * ps["harm_per_op_leadership"]
        + 0.3 * ps["harm_per_op_labs"]
        + 0.5 * ps["harm_per_op_nodes"]
    )[0]
    np.testing.assert_allclose(res["civilian_harm"][0], 12 * 10.0 * per_op, rtol=1e-12)


def test_barrier_displacement_deaths_sum_to_the_per_mile_effect():
    ps = ParamSet.point(load_registry(), 1)
    _, _, _, a = run(lambda m: 0.0, params=ps)
    _, _, _, b = run(lambda m: 0.0, params=ps, built=100.0)
    extra = (b["mexico_homicides"] - a["mexico_homicides"]).sum()
    decay = np.exp(-1.0 / ps["removal_effect_time"][0])
    months_after = CLOCK.n_months - 12
    expected = 100.0 * ps["barrier_homicides_per_mile"][0] * (1 - decay**months_after)
    assert extra == pytest.approx(expected, rel=1e-9)


def test_more_fentanyl_production_raises_the_stakes():
    a = run(lambda m: 0.0, production=0.0)[3]["mexico_homicides"].sum()
    b = run(lambda m: 0.0, production=500.0)[3]["mexico_homicides"].sum()
    assert b > a
