"""The coupled model gives identical results whatever the block size (runs never interact)."""

from __future__ import annotations

import numpy as np

from fentsim.model.clock import Clock
from fentsim.model.coupling import coupled_components
from fentsim.model.engine import simulate
from fentsim.params import load_registry, sample
from fentsim.policy.plan import PolicyPlan

CLOCK = Clock(1999, 2030)


def test_same_results_with_block_sizes_7_and_64():
    params = sample(load_registry(), 20, seed=9)
    m0 = CLOCK.month(2026)
    on = (np.arange(CLOCK.n_months) >= m0).astype(float)
    # a per-run lever level (a design over intensities) exercises the per-run policy path too
    per_run = np.outer(on, np.linspace(0.0, 60.0, params.n))
    plan = PolicyPlan("mix", {"military_campaign": per_run, "poe_scanning_passenger": 0.3 * on,
                              "precursor_controls": 0.5 * on})  # fmt: skip
    a = simulate(params, plan, clock=CLOCK, block=7, components=coupled_components)
    b = simulate(params, plan, clock=CLOCK, block=64, components=coupled_components)
    assert set(a.outcomes) == set(b.outcomes)
    for name in a.outcomes:
        np.testing.assert_array_equal(a.outcomes[name], b.outcomes[name], err_msg=name)


def test_coupled_mode_is_the_engine_default():
    comps = [c.name for c in coupled_components()]
    assert comps[:4] == ["supply", "market", "demand", "violence"]
    res = simulate(sample(load_registry(), 2, seed=1), clock=Clock(1999, 2002))
    for name in ("fentanyl_delivered_kg", "fentanyl_share", "mexico_homicides", "opioid_deaths"):
        assert name in res.outcomes
