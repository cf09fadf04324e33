"""The engine's fast paths give the same numbers as the plain month-by-month component loop.

* ``observed`` mode runs the epidemic's whole horizon in one compiled call;
* :func:`simulate_portfolios` simulates the shared history once and forks the model;
* :class:`Recorder` blocks write every output once, in place.
"""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.analysis.compare import compare, projection_draws
from fentsim.model.clock import Clock
from fentsim.model.engine import (
    default_components,
    first_active_month,
    simulate,
    simulate_portfolios,
)
from fentsim.model.recorder import Output, Recorder
from fentsim.policy import PolicyPlan, compile_plan, resolve

CLOCK = Clock(1999, 2032)


def assert_same(a, b, rtol=1e-12):
    assert set(a.outcomes) == set(b.outcomes)
    for k in b.outcomes:
        np.testing.assert_allclose(a.outcomes[k], b.outcomes[k], rtol=rtol, atol=1e-9, err_msg=k)


@pytest.fixture(scope="module")
def draws():
    return projection_draws(24, seed=5)


@pytest.fixture(scope="module")
def plans():
    names = ["status-quo", "essay", "public-health", "essay+public-health"]
    return [compile_plan(resolve(n), CLOCK) for n in names]


@pytest.mark.parametrize("preset", ["status-quo", "public-health"])
def test_observed_whole_horizon_kernel_equals_the_component_loop(draws, preset):
    plan = compile_plan(resolve(preset), CLOCK)
    fast = simulate(draws, plan, clock=CLOCK, exposure="observed", block=10)
    slow = simulate(
        draws, plan, clock=CLOCK, exposure="observed",
        components=lambda: default_components("observed"),
    )  # fmt: skip
    assert_same(fast, slow)
    if preset != "status-quo":
        assert fast.outcomes["programme_cost_usd"][:, -1].min() > 0  # costs were charged


def test_per_run_lever_levels_in_the_whole_horizon_kernel(draws):
    levels = np.zeros((CLOCK.n_months, draws.n))
    levels[CLOCK.month(2026) :] = np.linspace(0.0, 0.8, draws.n)  # a design over intensities
    plan = PolicyPlan(
        "design", {"moud_retention": levels, "naloxone": np.full(CLOCK.n_months, 2.0)}
    )
    fast = simulate(draws, plan, clock=CLOCK, exposure="observed", block=7)
    slow = simulate(
        draws, plan, clock=CLOCK, exposure="observed",
        components=lambda: default_components("observed"),
    )  # fmt: skip
    assert_same(fast, slow)
    # retention pays for level × patients in MOUD, each at its draw's price
    level = levels[-1]
    price = draws["cost_moud_patient_year"] + draws["cost_moud_retention_support"]
    expected = level * fast.outcomes["people_in_moud"][:, -1] * price
    np.testing.assert_allclose(fast.outcomes["cost_moud_retention_usd"][:, -1], expected, rtol=1e-9)


@pytest.mark.parametrize("preset", ["status-quo", "essay", "essay+public-health"])
def test_coupled_whole_horizon_kernel_equals_the_component_loop(draws, preset):
    plan = compile_plan(resolve(preset), CLOCK)
    fast = simulate(draws, plan, clock=CLOCK, block=10)
    slow = simulate(draws, plan, clock=CLOCK, components=lambda: default_components("coupled"))
    assert_same(fast, slow, rtol=1e-9)  # the fused kernel is compiled with fast math


def test_forked_portfolios_equal_separate_runs(draws, plans):
    forked = simulate_portfolios(draws, plans, clock=CLOCK, block=10)
    for res, plan in zip(forked, plans, strict=True):
        assert res.portfolio == plan.name
        assert_same(res, simulate(draws, plan, clock=CLOCK, block=10), rtol=1e-9)
    # plans with per-run levels fork the month-by-month loop the same way
    levels = np.zeros((CLOCK.n_months, draws.n))
    levels[CLOCK.month(2027) :] = np.linspace(0.0, 1.0, draws.n)
    design = PolicyPlan("design", {"precursor_controls": levels})
    loop = simulate_portfolios(draws, [plans[0], design], clock=CLOCK, block=10)
    for res, plan in zip(loop, [plans[0], design], strict=True):
        assert_same(res, simulate(draws, plan, clock=CLOCK, block=10), rtol=1e-9)
    # the portfolios did part ways
    assert not np.allclose(
        forked[0].outcomes["opioid_deaths"][:, -1], forked[2].outcomes["opioid_deaths"][:, -1]
    )


def test_fork_month_is_the_first_lever_month(plans):
    assert first_active_month(plans[0]) is None  # the status quo pulls no lever
    starts = [first_active_month(p) for p in plans[1:]]
    assert all(s is not None and CLOCK.month(2025) <= s < CLOCK.n_months for s in starts)


def test_compare_keeps_trajectories_on_request(draws):
    cmp = compare(
        ["status-quo", "public-health"], params=draws, window=(2026, 2030), end=2030,
        keep=["opioid_deaths"],
    )  # fmt: skip
    res = cmp.results["public-health"]
    assert list(res.outcomes) == ["opioid_deaths"]
    assert res.outcomes["opioid_deaths"].shape == (draws.n, 2030 - 1999 + 1)
    window = res.outcomes["opioid_deaths"][:, -5:].sum(axis=1)
    np.testing.assert_allclose(window, cmp.samples["public-health"]["deaths"])
    assert compare(["status-quo"], params=draws, window=(2026, 2026)).results == {}


def test_recorder_blocks_write_in_place_and_forks_copy_the_past():
    clock = Clock(2020, 2022)
    rec = Recorder(
        clock, 4, [Output("x", "flow", "kg", "demo"), Output("y", "level", "kg", "demo")]
    )
    left, right = rec.block(slice(0, 2)), rec.block(slice(2, 4))
    for m in range(clock.n_months):
        left.flow("x", m, 1.0)
        right.flow("x", m, 2.0)
        right.level("y", m, 6.0)
    fork = rec.fork(through_year=0)
    fork.flow("x", 30, 5.0)
    out = rec.result()
    np.testing.assert_array_equal(out["x"], [[12, 12, 12]] * 2 + [[24, 24, 24]] * 2)
    np.testing.assert_array_equal(out["y"][2:], 6.0)
    forked = fork.result()
    np.testing.assert_array_equal(forked["x"][0], [12, 0, 5])  # 2020 copied, then its own values


@pytest.mark.parametrize("exposure", ["observed", "coupled"])
def test_block_kernels_give_the_same_numbers_on_one_thread_or_several(draws, exposure):
    """The block kernels share blocks of runs among threads (model/blocks.py): every run's
    numbers are the same whichever thread ran it, including a short last block."""
    import numba

    ps = draws.take(slice(0, 21))  # one full block of 16 runs and a short one of 5
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(ps, clock=CLOCK, exposure=exposure)
        numba.set_num_threads(max(2, before))
        several = simulate(ps, clock=CLOCK, exposure=exposure)
    finally:
        numba.set_num_threads(before)
    assert_same(one, several, rtol=0.0)


def test_runs_do_not_depend_on_their_block_neighbours(draws):
    """A run's trajectory is the same alone or inside a block of other runs."""
    whole = simulate(draws.take(slice(0, 21)), clock=CLOCK)
    alone = simulate(draws.take(slice(17, 18)), clock=CLOCK)
    for k in whole.outcomes:
        np.testing.assert_allclose(
            whole.outcomes[k][17:18], alone.outcomes[k], rtol=1e-12, atol=1e-9, err_msg=k
        )
