"""Supply chain and market: mass balance every month, no negative stocks, under random draws and plans.

The demand side is replaced by a constant user count (the supply side is tested on its own); the
coupled model is covered by ``test_coupled_*``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fentsim.model.clock import Clock
from fentsim.model.market import Market
from fentsim.model.recorder import Recorder
from fentsim.model.supply import Supply
from fentsim.model.violence import Violence
from fentsim.params import load_registry, sample
from fentsim.policy.plan import STATUS_QUO, PolicyPlan

CLOCK = Clock(1999, 2032)
RUNS = 6
SECURITY = (
    "security_aid", "border_barrier", "poe_scanning_passenger", "poe_scanning_commercial",
    "immigration_suspension", "terrorist_designation", "financial_sanctions", "military_campaign",
    "maritime_interdiction", "precursor_controls",
)  # fmt: skip
#: lever ranges used for the random plans (the catalogue's valid ranges, capped for speed of growth)
UPPER = {"security_aid": 2000.0, "border_barrier": 1300.0, "financial_sanctions": 1000.0,
         "military_campaign": 600.0, "terrorist_designation": 1.0}  # fmt: skip


class Users:
    """Stand-in for the demand side: a constant number of illicit opioid users."""

    name = "users"
    outputs = ()

    def __init__(self, users: float = 2.0e6):
        self.users = users

    def init(self, p, clock, ctx):
        ctx["illicit_users"] = np.full(p.n, self.users)

    def step(self, m, plan, ctx, rec):
        pass


def run_checked(params, plan, clock=CLOCK):
    """Step the supply-side components month by month; return the worst relative residual."""
    ctx: dict[str, np.ndarray] = {}
    comps = [Users(), Supply(), Market(), Violence()]
    for c in comps:
        c.init(params, clock, ctx)
    rec = Recorder(clock, params.n, [o for c in comps for o in c.outputs])
    supply, market, violence = comps[1], comps[2], comps[3]
    worst = 0.0
    for m in range(clock.n_months):
        for c in comps:
            c.step(m, plan, ctx, rec)
        scale = supply.cum.max(axis=1) + 1e-9
        for _name, resid in {**supply.balance(), "market": market.balance()}.items():
            worst = max(worst, float(np.max(np.abs(resid) / scale)))
        assert np.all(supply.S >= 0.0), f"negative supply stock in month {m}"
        assert np.all(market.S >= 0.0), f"negative market stock in month {m}"
        assert np.all(violence.S >= 0.0), f"negative violence state in month {m}"
        assert np.all(np.isfinite(supply.S)) and np.all(np.isfinite(market.S))
    return worst, rec.result()


def test_mass_balance_and_non_negativity_at_the_point_values():
    params = sample(load_registry(), RUNS, seed=1)
    worst, res = run_checked(params, STATUS_QUO)
    assert worst < 1e-10
    for name, arr in res.items():
        assert np.all(np.isfinite(arr)), name
    for name in (
        "fentanyl_delivered_kg",
        "fentanyl_seized_kg",
        "precursor_kg",
        "fentanyl_consumed_kg",
    ):
        assert np.all(res[name] >= 0.0), name


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    levels=st.fixed_dictionaries({k: st.floats(0.0, 1.0) for k in SECURITY}),
    start=st.integers(2000, 2030),
    consent=st.booleans(),
)
def test_mass_balance_every_month_under_random_draws_and_plans(seed, levels, start, consent):
    params = sample(load_registry(), RUNS, seed=seed, method="mc")
    m0 = CLOCK.month(start)
    plan = PolicyPlan(
        "random",
        {
            k: np.where(np.arange(CLOCK.n_months) >= m0, v * UPPER.get(k, 1.0), 0.0)
            for k, v in levels.items()
        },
        {
            "military_campaign": {
                "target_mix": {"leadership": 0.5, "labs": 0.3, "nodes": 0.2},
                "consent": consent,
            }
        },
    )
    worst, _ = run_checked(params, plan)
    assert worst < 1e-9


def test_annual_flows_reconcile_with_the_ledger():
    params = sample(load_registry(), RUNS, seed=5)
    _, res = run_checked(params, STATUS_QUO, Clock(1999, 2026))
    seized = sum(res[f"fentanyl_seized_kg_{m}"] for m in
                 ("poe_passenger", "poe_commercial", "poe_pedestrian", "between_ports", "tunnel",
                  "maritime", "drone", "mail"))  # fmt: skip
    np.testing.assert_allclose(seized, res["fentanyl_seized_kg"], rtol=1e-10, atol=1e-9)
    assert np.all(res["fentanyl_seized_poe_kg"] <= res["fentanyl_seized_kg"] * (1 + 1e-12))
    sources = sum(
        res[f"precursor_kg_{s}"]
        for s in ("china_direct", "china_via_third", "india", "mexico_domestic")
    )
    np.testing.assert_allclose(
        sources - res["precursor_shipping_losses"], res["precursor_kg"], rtol=1e-9, atol=1e-9
    )
