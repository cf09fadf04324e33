"""Model claims (i, k1, k2): the plumbing against a stand-in API now, the real API once it exists."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from fentsim.analysis.claims import evaluate, load_claims

MODEL_CLAIMS = ("i", "k1", "k2")
JUDGED = {"supported", "roughly right", "wrong", "not supported by the data"}


class FakeRun:
    def __init__(self, per_year: float, n_runs: int):
        self.years = np.arange(1999, 2036)
        base = np.linspace(0.8, 1.2, n_runs)[:, None] * per_year
        self.outcomes = {"opioid_deaths": np.repeat(base, len(self.years), axis=1)}


class FakeComparison:
    def __init__(self, averted: dict[str, float], supply: bool = True):
        self.averted = averted
        self.supply = supply

    def to_json(self) -> dict:
        base = 1_000_000.0
        out = {"window": [2026, 2035], "reference": "status-quo", "portfolios": {}}
        for name, a in {"status-quo": 0.0, **self.averted}.items():
            out["portfolios"][name] = {
                "deaths": {"mean": base - a, "p05": 0.8 * (base - a), "p95": 1.2 * (base - a)},
                "averted": {"mean": a, "p05": 0.5 * a, "p95": 1.5 * a},
                "averted_share": {"mean": a / base, "p05": 0.5 * a / base, "p95": 1.5 * a / base},
                "fentanyl_delivered_kg": {"mean": 1.0, "p05": 1.0, "p95": 1.0}
                if self.supply
                else None,
            }
        return out


def fake_api(monkeypatch, per_year=122_000.0, averted=None, supply=True, calls=None):
    averted = averted or {"essay": 50_000.0, "public-health": 150_000.0}
    api = types.ModuleType("fentsim.api")

    def run(portfolio="status-quo", *, runs=200, seed=0, **kw):
        if calls is not None:
            calls.append(("run", portfolio, runs, seed))
        return FakeRun(per_year, runs)

    def compare(portfolios, *, runs=200, seed=0, window=(2026, 2035), **kw):
        if calls is not None:
            calls.append(("compare", tuple(portfolios), runs, seed, tuple(window)))
        return FakeComparison(averted, supply)

    api.run, api.compare = run, compare
    monkeypatch.setitem(sys.modules, "fentsim.api", api)
    return api


def model_results(**kw) -> dict:
    cf = load_claims()
    return {r.id: r for r in evaluate(cf, **kw) if r.id in MODEL_CLAIMS}


def test_model_claims_use_the_api_contract(monkeypatch):
    calls: list = []
    fake_api(monkeypatch, calls=calls)
    res = model_results(runs=11, seed=5)
    # i: 10 years (2024-2033) x 122,000 per year on average, spread 0.8x..1.2x across runs
    assert res["i"].computed == pytest.approx(1_220_000)
    lo, hi = res["i"].interval
    assert lo < 1_220_000 < hi
    assert res["i"].verdict == "supported"
    # k1: essay 50k vs public-health 150k averted
    assert res["k1"].computed == pytest.approx(1 / 3)
    assert res["k1"].verdict == "wrong"
    assert "public-health" in res["k1"].detail
    # k2: 5% of status-quo deaths averted (asserted >= 10%), interval 2.5%..7.5%
    assert res["k2"].computed == pytest.approx(0.05)
    assert res["k2"].interval == pytest.approx((0.025, 0.075))
    assert res["k2"].verdict == "wrong"
    # one run and one (cached) comparison, with the requested ensemble
    assert calls.count(("run", "status-quo", 11, 5)) == 1
    assert [c for c in calls if c[0] == "compare"] == [
        ("compare", ("status-quo", "essay", "public-health"), 11, 5, (2026, 2035))
    ]


def test_model_verdicts_follow_the_model(monkeypatch):
    fake_api(
        monkeypatch, per_year=60_000.0, averted={"essay": 300_000.0, "public-health": 100_000.0}
    )
    res = model_results(runs=4, seed=1)
    assert res["i"].verdict == "wrong"  # 600k vs 1.22M, outside the 480k-720k interval
    assert res["k1"].verdict == "supported" and res["k1"].computed == pytest.approx(3.0)
    assert res["k2"].verdict == "supported" and res["k2"].computed == pytest.approx(0.3)


def test_model_without_the_supply_channel_is_not_evaluated(monkeypatch):
    fake_api(monkeypatch, supply=False)
    res = model_results(runs=4, seed=1)
    assert res["i"].verdict == "supported"
    for cid in ("k1", "k2"):
        assert res[cid].verdict == "not evaluated"
        assert "fentanyl_delivered_kg" in res[cid].reason


def test_paired_runs_carry_uncertainty_into_the_verdict(monkeypatch):
    # essay averts more on average (ratio of means 1.2) but less than public-health in some runs
    essay = np.array([20.0, 60.0, 100.0, 140.0, 180.0]) * 1000
    health = np.full(5, 83_333.0)
    api = fake_api(monkeypatch, averted={"essay": essay.mean(), "public-health": health.mean()})
    original = api.compare

    def compare(portfolios, **kw):
        res = original(portfolios, **kw)
        res.samples = {"status-quo": {"averted": np.zeros(5)}, "essay": {"averted": essay},
                       "public-health": {"averted": health}}  # fmt: skip
        return res

    api.compare = compare
    k1 = model_results(runs=5, seed=1)["k1"]
    assert k1.computed == pytest.approx(100_000 / 83_333.0)
    lo, hi = k1.interval
    assert lo < 1.0 < hi
    assert k1.verdict == "roughly right"  # best on average, not across the 90% interval
    assert "60% of paired runs" in k1.detail


def test_missing_api_means_not_evaluated(monkeypatch):
    monkeypatch.setitem(sys.modules, "fentsim.api", None)  # import raises ImportError
    res = model_results(runs=4, seed=1)
    for cid in MODEL_CLAIMS:
        assert res[cid].verdict == "not evaluated"
        assert "fentsim.api" in res[cid].reason


def test_api_without_compare_means_not_evaluated(monkeypatch):
    api = types.ModuleType("fentsim.api")
    monkeypatch.setitem(sys.modules, "fentsim.api", api)  # neither run nor compare: AttributeError
    res = model_results(runs=4, seed=1)
    assert {r.verdict for r in res.values()} == {"not evaluated"}


def test_bad_runs_are_refused():
    from fentsim.errors import UserError

    with pytest.raises(UserError, match="--runs"):
        evaluate(load_claims(), runs=0)


# --- the real model, once fentsim.api.run and .compare exist --------------------------------------


def real_api():
    api = pytest.importorskip("fentsim.api")
    if not (hasattr(api, "run") and hasattr(api, "compare")):
        pytest.skip("fentsim.api.run / fentsim.api.compare are not written yet")
    return api


@pytest.mark.slow
def test_model_claims_with_the_real_model():
    real_api()
    res = model_results(runs=20, seed=3)
    i = res["i"]
    assert i.verdict in JUDGED, i.reason
    assert i.interval is not None and i.interval[0] <= i.computed <= i.interval[1]
    assert i.computed > 0
    for cid in ("k1", "k2"):
        r = res[cid]
        # judged, or honestly not evaluated because the model lacks the supply channel
        assert r.verdict in JUDGED or "fentanyl_delivered_kg" in r.reason, r.reason
        if r.verdict in JUDGED:
            assert r.computed is not None and np.isfinite(r.computed)
