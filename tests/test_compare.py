"""The portfolio comparison: common random numbers, reproducibility, the JSON contract."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest

from fentsim.analysis.compare import METRICS, Comparison, compare, projection_draws
from fentsim.errors import UserError
from fentsim.model.costs import Costs
from fentsim.model.recorder import Output
from fentsim.policy import parse_scenario

HAS_DEMAND = importlib.util.find_spec("fentsim.model.demand") is not None
STATS = {"mean", "p05", "p95"}


class ToyModel:
    """Deaths scale with a drawn parameter (wide spread); naloxone cuts them by 1% per million kits;
    a military campaign adds 0.5% homicides per operation a month."""

    name = "toy"
    outputs = (
        Output("opioid_deaths", "flow", "deaths/yr", "toy deaths"),
        Output("mexico_homicides", "flow", "homicides/yr", "toy homicides"),
    )

    def init(self, p, clock, ctx):
        self.deaths = p["moud_reference_patients"] / 20.0
        self.homicides = p["recovery_reference_persons"] / 50.0

    def step(self, m, plan, ctx, rec):
        rec.flow("opioid_deaths", m, self.deaths * (1 - 0.01 * plan.level("naloxone", m)) / 12)
        rec.flow(
            "mexico_homicides",
            m,
            self.homicides * (1 + 0.005 * plan.level("military_campaign", m)) / 12,
        )


def toy():
    return [ToyModel(), Costs()]


def run_toy(portfolios=("status-quo", "public-health", "essay"), **kw) -> Comparison:
    args = {"runs": 64, "seed": 5, "window": (2026, 2030), "components": toy}
    args.update(kw)
    return compare(list(portfolios), **args)


def test_json_has_exactly_the_contract_shape():
    out = run_toy().to_json()
    assert list(out) == ["window", "reference", "portfolios"]
    assert out["window"] == [2026, 2030] and out["reference"] == "status-quo"
    assert list(out["portfolios"]) == ["status-quo", "public-health", "essay"]
    for metrics in out["portfolios"].values():
        assert list(metrics) == list(METRICS)
        for name in (
            "deaths",
            "averted",
            "averted_share",
            "cost_usd",
            "homicides",
            "homicides_change",
        ):
            assert set(metrics[name]) == STATS
    # outputs the model does not produce are null, not invented
    assert out["portfolios"]["essay"]["civilian_harm"] is None
    assert out["portfolios"]["essay"]["fentanyl_delivered_kg"] is None


def test_reference_averts_nothing_and_has_no_cost_per_death():
    ref = run_toy().to_json()["portfolios"]["status-quo"]
    assert ref["averted"] == {"mean": 0.0, "p05": 0.0, "p95": 0.0}
    assert ref["cost_usd"]["mean"] == 0.0
    assert ref["cost_per_death_averted_usd"] is None


def test_reproducible_bit_for_bit_and_seed_sensitive():
    a, b = run_toy(), run_toy()
    assert a.to_json() == b.to_json()
    for name in a.names:
        for m in METRICS:
            x, y = a.samples[name][m], b.samples[name][m]
            assert (x is None and y is None) or np.array_equal(x, y)
    assert run_toy(seed=6).to_json() != a.to_json()


def test_common_random_numbers_make_contrasts_tight():
    ph = run_toy().to_json()["portfolios"]["public-health"]
    spread = lambda s: s["p95"] - s["p05"]  # noqa: E731
    assert ph["averted"]["mean"] > 0
    assert spread(ph["averted"]) < 0.2 * spread(ph["deaths"])


def test_cost_per_death_averted_and_the_no_benefit_case():
    out = run_toy().to_json()["portfolios"]
    cpd = out["public-health"]["cost_per_death_averted_usd"]
    assert cpd["mean"] == pytest.approx(
        out["public-health"]["cost_usd"]["mean"] / out["public-health"]["averted"]["mean"]
    )
    assert 0 < cpd["p05"] <= cpd["p95"]
    essay = out["essay"]  # the toy gives the essay no effect on deaths: unbounded cost per death
    assert essay["averted"]["mean"] == 0 and essay["cost_usd"]["mean"] > 0
    assert essay["cost_per_death_averted_usd"] == {"mean": None, "p05": None, "p95": None}
    assert essay["homicides_change"]["p05"] > 0


def test_overrides_apply_to_their_portfolio_only():
    cheap = parse_scenario(
        'name = "cheap-naloxone"\n[levers.naloxone]\nintensity = 5\n[overrides]\ncost_naloxone_kit = 25',
        "cheap.toml",
    )
    dear = parse_scenario('name = "naloxone"\n[levers.naloxone]\nintensity = 5', "dear.toml")
    out = run_toy(["status-quo", dear, cheap]).to_json()["portfolios"]
    assert out["cheap-naloxone"]["cost_usd"]["mean"] < out["naloxone"]["cost_usd"]["mean"]
    assert out["cheap-naloxone"]["averted"] == out["naloxone"]["averted"]


def test_explicit_params_and_progress():
    seen = []
    cmp = run_toy(
        params=projection_draws(10, seed=2),
        progress=lambda label, done, total: seen.append((done, total)),
    )
    assert cmp.runs == 10 and cmp.seed is None
    assert seen[-1][0] == seen[-1][1] == 3 * 10 * 12 * (2030 - 1999 + 1)
    assert all(a <= b for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"window": (2030, 2026)}, "first year"),
        ({"window": (1990, 2000)}, "before the simulation"),
        ({"window": (2026, 2030), "end": 2028}, "end 2028"),
        ({"runs": 0}, "at least 1"),
    ],
)
def test_bad_arguments_are_user_errors(kw, match):
    with pytest.raises(UserError, match=match):
        run_toy(**kw)


def test_duplicate_and_unknown_portfolios_are_refused_before_running():
    with pytest.raises(UserError, match="named twice"):
        run_toy(["essay", "essay"])
    with pytest.raises(UserError, match="did you mean"):
        run_toy(["status-quo", "public-helth"])


def test_frame_table_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    from rich.console import Console

    cmp = run_toy()
    frame = cmp.to_frame()
    assert list(frame.index) == cmp.names
    assert ("averted", "p95") in frame.columns
    console = Console(record=True, width=200)
    console.print(cmp.table())
    text = console.export_text()
    assert "public-health" in text and "civilian_harm" in text  # caption names missing outputs
    axes = cmp.plot()
    assert len(axes) == 3


# ----------------------------------------------------------------------- with the real model
needs_demand = pytest.mark.skipif(not HAS_DEMAND, reason="fentsim.model.demand has not landed yet")


@pytest.fixture(scope="module")
def real():
    args = {"runs": 40, "seed": 7, "window": (2026, 2030), "exposure": "observed"}
    return compare(["status-quo", "public-health"], **args), args


@needs_demand
def test_real_model_public_health_averts_deaths_with_tight_contrasts(real):
    out = real[0].to_json()["portfolios"]["public-health"]
    assert out["averted"]["p05"] > 0
    spread = lambda s: s["p95"] - s["p05"]  # noqa: E731
    assert spread(out["averted"]) < 0.5 * spread(out["deaths"])
    assert out["cost_usd"]["mean"] > 0 and out["cost_per_death_averted_usd"]["mean"] > 0


@needs_demand
def test_real_model_comparison_is_reproducible_bit_for_bit(real):
    cmp, args = real
    again = compare(["status-quo", "public-health"], **args)
    assert again.to_json() == cmp.to_json()
    for name in cmp.names:
        assert np.array_equal(again.samples[name]["deaths"], cmp.samples[name]["deaths"])
