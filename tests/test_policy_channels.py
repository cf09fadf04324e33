"""The catalogue and the model agree: each lever moves its channels in the documented direction,
and a lever at zero intensity is identical to its absence.

Directions are checked on the mean over parameter draws of the change summed over 2026-2030: the
documented direction is the lever's expected effect; uncertain feedbacks (a unilateral campaign
costing Mexican cooperation, traffickers adapting to scanners) may reverse it in single draws.

One simulation holds every lever: a design over lever intensities (``intensity_scale``) turns on
one lever per group of runs, group 0 has every lever scheduled at zero. A channel is checked when
the model records an output of the same name (supply-side channels are checked once the supply
model records them).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from fentsim.analysis.compare import model_components, projection_draws
from fentsim.model.clock import Clock
from fentsim.model.costs import cost_output
from fentsim.model.engine import simulate
from fentsim.policy import STATUS_QUO, compile_plan, levers

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fentsim.model.demand") is None,
    reason="fentsim.model.demand has not landed yet",
)

CLOCK = Clock(1999, 2030)
WINDOW = (CLOCK.years >= 2026) & (CLOCK.years <= 2030)
DRAWS = 8
NAMES = list(levers())
RTOL = 1e-9  # numerical noise allowed against the documented direction


factory = model_components("coupled")  # the engine's coupled list, with the cost component


@pytest.fixture(scope="module")
def design():
    params = projection_draws(DRAWS, seed=11)
    groups = len(NAMES) + 1
    runs = params.take(np.tile(np.arange(DRAWS), groups))
    group = np.repeat(np.arange(groups), DRAWS)
    scale = {name: (group == i + 1).astype(float) for i, name in enumerate(NAMES)}
    plan = compile_plan("all-levers", CLOCK, intensity_scale=scale)
    res = simulate(runs, plan, clock=CLOCK, components=factory)
    base = simulate(params, STATUS_QUO, clock=CLOCK, components=factory)
    totals = {k: v[:, WINDOW].sum(axis=1).reshape(groups, DRAWS) for k, v in res.outcomes.items()}
    return res, base, totals


def test_all_levers_at_zero_intensity_are_identical_to_the_empty_plan(design):
    res, base, _ = design
    for name, arr in base.outcomes.items():
        np.testing.assert_array_equal(res.outcomes[name][:DRAWS], arr, err_msg=name)


@pytest.mark.parametrize("lever", NAMES)
def test_lever_moves_its_channels_in_the_documented_direction(design, lever):
    _, _, totals = design
    i = NAMES.index(lever) + 1
    checked, moved = [], []
    for ch in levers()[lever].channels:
        if ch.channel not in totals:
            continue
        sign = 1.0 if ch.direction == "+" else -1.0
        change = sign * np.mean(totals[ch.channel][i] - totals[ch.channel][0])
        tol = RTOL * (np.mean(np.abs(totals[ch.channel][0])) + 1.0)
        assert change >= -tol, (
            f"{lever} moves {ch.channel} against '{ch.direction}' on average: {change:g}"
        )
        checked.append(ch.channel)
        if change > tol:
            moved.append(ch.channel)
    if not checked:
        pytest.skip(f"the model records none of {lever}'s channels yet")
    assert moved, f"{lever} moves none of its recorded channels {checked}"


@pytest.mark.parametrize("lever", NAMES)
def test_lever_cost_is_charged_to_that_lever_only(design, lever):
    _, _, totals = design
    i = NAMES.index(lever) + 1
    cost = totals[cost_output(lever)]
    assert np.all(cost[0] == 0)
    assert np.all(np.delete(cost, i, axis=0) == 0)
    if levers()[lever].cost.quantity_signal:  # priced on patients actually treated: may be 0
        assert np.all(cost[i] >= 0) and cost[i].sum() > 0
    else:
        assert np.all(cost[i] > 0)
