"""The cost component: prices from the registry, zero at zero intensity, signals when published."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.model.clock import DT, Clock
from fentsim.model.costs import TOTAL, Costs, cost_output, quantity_output
from fentsim.model.engine import simulate
from fentsim.model.recorder import Output
from fentsim.params import ParamSet, load_registry, sample
from fentsim.policy import STATUS_QUO, PolicyPlan, compile_plan, levers
from fentsim.policy.portfolio import LeverPlan, Portfolio
from fentsim.policy.schedule import Schedule

CLOCK = Clock(2024, 2029)


def point(n: int = 1) -> ParamSet:
    return ParamSet.point(load_registry(), n)


def run(plan: PolicyPlan, params: ParamSet | None = None, extra=()):
    params = params if params is not None else point()
    return simulate(params, plan, clock=CLOCK, components=lambda: [*extra, Costs()])


def single(lever: str, intensity: float, start: str = "2025", ramp: float = 0.0) -> PolicyPlan:
    pf = Portfolio("one", {lever: LeverPlan(lever, (Schedule.build(intensity, start, ramp=ramp),))})
    return compile_plan(pf, CLOCK)


def test_outputs_declared_for_every_lever():
    names = {o.name for o in Costs().outputs}
    assert TOTAL in names
    assert names == {TOTAL, *(cost_output(n) for n in levers())}
    assert all(o.kind == "flow" and o.unit == "USD" for o in Costs().outputs)


def test_status_quo_costs_nothing():
    res = run(STATUS_QUO)
    assert all(np.all(v == 0) for v in res.outcomes.values())


@pytest.mark.parametrize("lever", list(levers()))
def test_zero_intensity_is_identical_to_absence(lever: str):
    params = sample(load_registry(), 8, seed=3)
    zero = run(single(lever, 0.0), params)
    none = run(STATUS_QUO, params)
    for k in none.outcomes:
        np.testing.assert_array_equal(zero.outcomes[k], none.outcomes[k])


@pytest.mark.parametrize("lever", list(levers()))
def test_every_lever_costs_something_positive_and_total_adds_up(lever: str):
    params = sample(load_registry(), 8, seed=4)
    lv = levers()[lever]
    res = run(single(lever, lv.default), params)
    own = res.outcomes[cost_output(lever)]
    assert np.all(own[:, 1:] > 0)
    assert np.all(res.outcomes[cost_output(lever)][:, 0] == 0)  # before the 2025 start
    np.testing.assert_allclose(res.outcomes[TOTAL], own)


def test_naloxone_cost_is_kits_times_price():
    res = run(single("naloxone", 2.0))  # 2 million extra kits a year from 2025
    price = load_registry()["cost_naloxone_kit"].value
    np.testing.assert_allclose(res.outcomes["cost_naloxone_usd"][0, 1:], 2e6 * price)


def test_security_aid_costs_the_appropriation_plus_overhead():
    res = run(single("security_aid", 100.0))
    overhead = load_registry()["cost_security_aid_overhead"].value
    np.testing.assert_allclose(res.outcomes["cost_security_aid_usd"][0, 1:], 100e6 * overhead)


def test_barrier_capital_is_paid_while_building_and_upkeep_after():
    reg = load_registry()
    per_mile, upkeep = (
        reg["cost_border_barrier_mile"].value,
        reg["cost_border_barrier_upkeep_mile"].value,
    )
    plan = single("border_barrier", 120.0, ramp=2)  # 5 miles a month through 2025 and 2026
    res = run(plan)
    miles = plan.levels["border_barrier"]
    capital = np.diff(miles, prepend=0.0) * per_mile
    monthly = capital + miles * upkeep / 12
    expected = monthly.reshape(CLOCK.n_years, 12).sum(axis=1)
    np.testing.assert_allclose(res.outcomes["cost_border_barrier_usd"][0], expected)
    assert capital.sum() == pytest.approx(120 * per_mile)
    np.testing.assert_allclose(res.outcomes["cost_border_barrier_usd"][0, 3:], 120 * upkeep)


def test_ramp_down_pays_no_negative_capital():
    pf = Portfolio(
        "d",
        {
            "border_barrier": LeverPlan(
                "border_barrier", (Schedule.build(100, "2025", end="2025", ramp_down=1),)
            )
        },
    )
    res = run(compile_plan(pf, CLOCK))
    assert np.all(res.outcomes["cost_border_barrier_usd"] >= 0)


class Signals:
    """A stand-in component tracking two costed quantities, as the epidemic engine does."""

    name = "signals"
    outputs = (
        Output(quantity_output("drug_checking"), "flow", "person-years", "tracked", True),
        Output(quantity_output("moud_access"), "flow", "person-years", "tracked", True),
    )

    def init(self, p, clock, ctx):
        self.clock = clock
        self.users, self.added = 1_000_000.0, 50_000.0

    def step(self, m, plan, ctx, rec):
        y = self.clock.year_index(m)
        covered = plan.level("drug_checking", m) * self.users * DT
        rec.add_year(quantity_output("drug_checking"), y, covered)
        rec.add_year(quantity_output("moud_access"), y, self.added * DT)


def test_state_signals_replace_the_registry_base():
    reg = load_registry()
    res = run(single("drug_checking", 0.5), extra=[Signals()])
    expected = 0.5 * 1_000_000 * reg["cost_drug_checking_user_year"].value
    np.testing.assert_allclose(res.outcomes["cost_drug_checking_usd"][0, 1:], expected)
    res = run(single("moud_access", 1.0), extra=[Signals()])
    np.testing.assert_allclose(
        res.outcomes["cost_moud_access_usd"][0, 1:], 50_000 * reg["cost_moud_patient_year"].value
    )


def test_without_signals_the_registry_base_is_used():
    reg = load_registry()
    res = run(single("drug_checking", 0.5))
    expected = (
        0.5 * reg["drug_checking_reference_users"].value * reg["cost_drug_checking_user_year"].value
    )
    np.testing.assert_allclose(res.outcomes["cost_drug_checking_usd"][0, 1:], expected)


def test_cost_overrides_move_cost_and_per_run_designs_work():
    params = point(3).with_overrides({"cost_naloxone_kit": 40})
    plan = compile_plan(
        Portfolio("n", {"naloxone": LeverPlan("naloxone", (Schedule.build(1, "2025"),))}),
        CLOCK,
        intensity_scale={"naloxone": np.array([0.0, 1.0, 3.0])},
    )
    res = run(plan, params)
    np.testing.assert_allclose(res.outcomes["cost_naloxone_usd"][:, 2], [0.0, 40e6, 120e6])


def test_costs_are_chunk_invariant():
    params = sample(load_registry(), 10, seed=9)
    plan = compile_plan("all-levers", CLOCK)
    whole = simulate(params, plan, clock=CLOCK, components=lambda: [Costs()])
    parts = simulate(params, plan, clock=CLOCK, components=lambda: [Costs()], block=3)
    for k in whole.outcomes:
        np.testing.assert_array_equal(whole.outcomes[k], parts.outcomes[k])
