"""The epidemic engine: conservation, non-negativity, signed lever effects, chunk invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fentsim.model.clock import Clock
from fentsim.model.demand import Demand
from fentsim.model.engine import simulate
from fentsim.model.exposure import ObservedExposure
from fentsim.params import load_registry, sample
from fentsim.params.projection import fitted_point
from fentsim.policy.plan import PolicyPlan

CLOCK = Clock(1999, 2030)
REG = load_registry()


class StockMonitor:
    """Records the smallest stock value and the worst conservation residual of every month."""

    name = "monitor"
    outputs = ()

    def __init__(self, demand: Demand):
        self.demand = demand
        self.min_stock = np.inf
        self.max_ledger = 0.0

    def init(self, p, clock, ctx):
        pass

    def step(self, m, plan, ctx, rec):
        self.min_stock = min(self.min_stock, float(self.demand.S.min()))
        scale = self.demand.S.sum(axis=1)
        self.max_ledger = max(
            self.max_ledger, float(np.max(np.abs(self.demand.ledger_error()) / scale))
        )


def run_monitored(ps, plan=None, clock=CLOCK):
    plan = plan or PolicyPlan()
    monitors = []

    def factory():
        d = Demand()
        mon = StockMonitor(d)
        monitors.append(mon)
        return [ObservedExposure(), d, mon]

    res = simulate(ps, plan, clock=clock, exposure="observed", components=factory)
    return res, monitors


def lever_plan(lever: str, level: float, clock=CLOCK, start=2026) -> PolicyPlan:
    arr = np.zeros(clock.n_months)
    arr[clock.month(start) :] = level
    return PolicyPlan(lever, {lever: arr})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_stocks_never_negative_and_people_conserved(seed):
    ps = sample(REG, 24, seed=seed, method="mc")
    res, monitors = run_monitored(ps)
    for mon in monitors:
        assert mon.min_stock >= 0.0
        assert mon.max_ledger < 1e-9  # inflows − outflows − deaths balance every month
    for name, out in res.meta.items():
        if out.kind == "level":
            assert (res.outcomes[name] >= 0).all(), name


def test_extreme_levers_keep_stocks_non_negative():
    ps = sample(REG, 16, seed=3, method="mc")
    levels = {"naloxone": 50.0, "moud_access": 3.0, "moud_retention": 0.9, "drug_checking": 1.0,
              "prescribing_limits": 0.9, "prevention": 1.0, "recovery_support": 1.0}  # fmt: skip
    plan = PolicyPlan("max", {k: np.full(CLOCK.n_months, v) for k, v in levels.items()})
    _, monitors = run_monitored(ps, plan)
    assert all(m.min_stock >= 0 and m.max_ledger < 1e-9 for m in monitors)


def cumulative_deaths(ps, plan, first=2026, last=2030):
    res = simulate(ps, plan, clock=CLOCK, exposure="observed")
    return res.window(first, last).outcomes["opioid_deaths"].sum(axis=1)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), extra=st.floats(0.1, 20.0))
def test_more_naloxone_never_raises_deaths(seed, extra):
    ps = sample(REG, 16, seed=seed, method="mc")
    base = cumulative_deaths(ps, PolicyPlan())
    more = cumulative_deaths(ps, lever_plan("naloxone", extra))
    assert (more <= base * (1 + 1e-12)).all()
    assert (more < base).any()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), extra=st.floats(0.05, 3.0))
def test_more_moud_capacity_never_raises_deaths(seed, extra):
    ps = sample(REG, 16, seed=seed, method="mc")
    base = cumulative_deaths(ps, PolicyPlan())
    more = cumulative_deaths(ps, lever_plan("moud_access", extra))
    assert (more <= base * (1 + 1e-12)).all()


@pytest.mark.parametrize("lever", ["drug_checking", "prevention", "recovery_support"])
def test_public_health_levers_lower_deaths(lever):
    ps = fitted_point(4).with_overrides({"drug_checking_effect": 0.2, "prevention_effect": 0.2,
                                        "recovery_relapse_reduction": 0.3})  # fmt: skip
    base = cumulative_deaths(ps, PolicyPlan())
    assert (cumulative_deaths(ps, lever_plan(lever, 0.5)) < base).all()


def test_moud_retention_never_raises_deaths_and_helps_when_capacity_is_free():
    ps = fitted_point(2)
    base = cumulative_deaths(ps, PolicyPlan())
    assert (cumulative_deaths(ps, lever_plan("moud_retention", 0.5)) <= base * (1 + 1e-12)).all()
    arr = np.zeros(CLOCK.n_months)
    arr[CLOCK.month(2026) :] = 1.0
    roomy = PolicyPlan("roomy", {"moud_access": arr * 3.0})
    retained = PolicyPlan("retained", {"moud_access": arr * 3.0, "moud_retention": arr * 0.5})
    assert (cumulative_deaths(ps, retained) < cumulative_deaths(ps, roomy)).all()


def test_prescribing_limits_cut_rx_misuse_initiation():
    ps = fitted_point(2)
    base = simulate(ps, PolicyPlan(), clock=CLOCK, exposure="observed").window(2027, 2030)
    lim = simulate(
        ps, lever_plan("prescribing_limits", 0.3), clock=CLOCK, exposure="observed"
    ).window(2027, 2030)
    assert (lim.outcomes["rx_misuse"] < base.outcomes["rx_misuse"]).all()


def test_lever_before_its_start_changes_nothing():
    ps = fitted_point(2)
    base = simulate(ps, PolicyPlan(), clock=CLOCK, exposure="observed")
    alt = simulate(ps, lever_plan("naloxone", 5.0, start=2026), clock=CLOCK, exposure="observed")
    before = base.years < 2026
    for name in base.outcomes:
        np.testing.assert_array_equal(base.outcomes[name][:, before], alt.outcomes[name][:, before])
    assert not np.array_equal(
        base.outcomes["opioid_deaths"][:, ~before], alt.outcomes["opioid_deaths"][:, ~before]
    )


def test_results_identical_in_one_batch_or_in_chunks():
    ps = sample(REG, 50, seed=11)
    plan = lever_plan("naloxone", 2.0)
    whole = simulate(ps, plan, clock=CLOCK, exposure="observed", block=4096)
    for block in (7, 16):
        chunked = simulate(ps, plan, clock=CLOCK, exposure="observed", block=block)
        for name in whole.outcomes:
            np.testing.assert_array_equal(whole.outcomes[name], chunked.outcomes[name])
    parts = [
        simulate(ps.take(slice(a, a + 10)), plan, clock=CLOCK, exposure="observed")
        for a in range(0, 50, 10)
    ]
    np.testing.assert_array_equal(
        whole.outcomes["opioid_deaths"],
        np.concatenate([p.outcomes["opioid_deaths"] for p in parts]),
    )


def test_fentanyl_raises_overdose_deaths():
    ps = fitted_point(1)
    lo = simulate(
        ps.with_overrides({"fentanyl_share_ceiling": 0.75}), clock=CLOCK, exposure="observed"
    )
    hi = simulate(
        ps.with_overrides({"fentanyl_share_ceiling": 0.99}), clock=CLOCK, exposure="observed"
    )
    assert (
        hi.window(2026, 2030).outcomes["opioid_deaths"].sum()
        > lo.window(2026, 2030).outcomes["opioid_deaths"].sum()
    )


def test_death_categories_add_up():
    res = simulate(sample(REG, 8, seed=5), clock=CLOCK, exposure="observed")
    o = res.outcomes
    np.testing.assert_allclose(
        o["opioid_deaths"],
        o["opioid_deaths_rx"] + o["opioid_deaths_heroin"] + o["opioid_deaths_synthetic"],
        rtol=1e-12,
    )


def test_rx_initiation_split_at_the_nsduh_redesign_adds_up_to_the_series():
    from fentsim import data
    from fentsim.model.inputs import NSDUH_REDEFINITION_YEAR, observed_inputs

    inp = observed_inputs(CLOCK)
    df = data.load("demand_series")[["year", "rx_misuse_initiates_nsduh"]].dropna()
    whole = np.interp(CLOCK.times(), df["year"] + 0.5, df["rx_misuse_initiates_nsduh"])
    np.testing.assert_allclose(inp.rx_initiation + inp.rx_initiation_redefined, whole, rtol=1e-12)
    times = CLOCK.times()
    assert (inp.rx_initiation_redefined[times < NSDUH_REDEFINITION_YEAR - 0.5] == 0).all()
    assert (inp.rx_initiation[times > NSDUH_REDEFINITION_YEAR + 0.5] == 0).all()


def test_rx_misuse_redefinition_lowers_rx_misuse_only_after_2015():
    ps = fitted_point(1)
    ps["rx_misuse_redefinition"] = np.array([1.0])
    one = simulate(ps, PolicyPlan(), clock=CLOCK, exposure="observed")
    ps["rx_misuse_redefinition"] = np.array([1.5])
    wide = simulate(ps, PolicyPlan(), clock=CLOCK, exposure="observed")
    a, b = one.outcomes["rx_misuse"], wide.outcomes["rx_misuse"]
    years = np.asarray(one.years)
    before, after = years <= 2013, years >= 2015  # annual figures sit at mid-year
    np.testing.assert_allclose(a[..., before], b[..., before], rtol=1e-12)
    # the inflow from 2015 (and its projection) is divided by 1.5: fewer people misuse after it
    assert (b[..., after] < a[..., after]).all()
    assert float((b[..., years == 2030] / a[..., years == 2030]).max()) < 0.9
