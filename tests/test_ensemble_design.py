"""Experiments: validation, spec round trip, seeding, common random numbers, lever designs."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.ensemble import (
    Experiment,
    LeverDesign,
    SummarySpec,
    default_chunk,
    evaluate,
    run_seed_sequence,
    summarise,
)
from fentsim.errors import UserError
from fentsim.model.clock import Clock
from fentsim.params import sample
from fentsim.policy.plan import PolicyPlan
from test_ensemble_toy import (
    COMPONENTS,
    TOY_REGISTRY,
    assert_bitwise,
    naloxone_plan,
    toy_experiment,
)


def test_spec_round_trip_keeps_everything_that_shapes_results():
    clock = Clock(1999, 2004)
    per_run = PolicyPlan("ramp", {"naloxone": np.linspace(0, 1, clock.n_months * 6).reshape(-1, 6)})
    exp = toy_experiment(
        runs=6,
        clock=clock,
        portfolios=("status-quo", naloxone_plan(clock, 1.5), per_run),
        method="mc",
        overrides={"toy_growth": 0.01},
        levers=LeverDesign({"moud_access": (0.1, 0.4)}, method="sobol", start_year=2001),
        summary=SummarySpec((2000, 2003), "all"),
        trajectories=True,
    )
    again = Experiment.from_spec(exp.spec())
    assert again.spec_hash == exp.spec_hash
    assert again.portfolio_names == ("status-quo", "naloxone", "ramp")
    assert_bitwise(evaluate(again, chunk=4), evaluate(exp, chunk=6))
    assert exp.spec()["params"]["registry"]["table"][0]["name"] == "toy_users0"
    changed = toy_experiment(runs=6, clock=clock, seed=12)
    assert changed.spec_hash != toy_experiment(runs=6, clock=clock).spec_hash


def test_portfolios_share_parameter_draws():
    exp = toy_experiment(runs=30, portfolios=("status-quo", naloxone_plan(Clock(1999, 2005), 0.0)))
    df = evaluate(exp, chunk=8)
    a, b = df[df.portfolio == "status-quo"], df[df.portfolio == "naloxone"]
    # a portfolio that changes nothing reproduces the status quo run by run: same draws
    np.testing.assert_array_equal(
        a["toy_deaths_total"].to_numpy(), b["toy_deaths_total"].to_numpy()
    )
    more = evaluate(toy_experiment(runs=30), chunk=8)
    sq, nal = more[more.portfolio == "status-quo"], more[more.portfolio == "naloxone"]
    assert (nal["toy_deaths_total"].to_numpy() < sq["toy_deaths_total"].to_numpy()).all()


def test_parameter_draws_follow_the_seed_and_ignore_lever_designs():
    base = evaluate(toy_experiment(runs=20), kind="params")
    with_levers = evaluate(
        toy_experiment(runs=20, levers=LeverDesign({"naloxone": (0.0, 2.0)})), kind="params"
    )
    assert_bitwise(base, with_levers)
    ref = sample(TOY_REGISTRY, 20, seed=11, method="lhs")
    np.testing.assert_array_equal(base["toy_growth"].to_numpy(), ref["toy_growth"])
    other = evaluate(toy_experiment(runs=20, seed=12), kind="params")
    assert not np.array_equal(other["toy_growth"].to_numpy(), base["toy_growth"].to_numpy())
    assert "toy_fixed" not in base.columns  # only parameters that vary are stored


def test_lever_design_sets_levels_per_run_from_its_start_year():
    design = LeverDesign({"naloxone": (0.0, 4.0)}, start_year=2001)
    clock = Clock(1999, 2002)
    vals = design.values(10, seed=3, start=2, stop=5)
    np.testing.assert_array_equal(vals["naloxone"], design.values(10, 3, 0, 10)["naloxone"][2:5])
    plan = design.apply(naloxone_plan(clock), vals, clock)
    lv = plan.levels["naloxone"]
    assert lv.shape == (48, 3)
    assert (lv[:24] == 0).all() and (lv[24:] == vals["naloxone"]).all()
    df = evaluate(toy_experiment(runs=10, levers=design), chunk=3)
    assert np.array_equal(
        df["lever_naloxone"].to_numpy()[::2], design.values(10, 11, 0, 10)["naloxone"]
    )


def test_chunks_cover_the_design_once():
    exp = toy_experiment(runs=23)
    chunks = exp.chunks(7)
    assert [c[0] for c in chunks] == [0, 1, 2, 3]
    assert sum(b - a for _, a, b in chunks) == 23
    assert chunks[-1] == (3, 21, 23)
    assert default_chunk(10) == 3 and default_chunk(10**6, workers=2) == 8192


def test_run_streams_depend_on_seed_and_run_only():
    draw = lambda s, r: np.random.default_rng(run_seed_sequence(s, r)).random(3)  # noqa: E731
    np.testing.assert_array_equal(draw(1, 7), draw(1, 7))
    assert not np.array_equal(draw(1, 7), draw(1, 8))
    assert not np.array_equal(draw(1, 7), draw(2, 7))


def test_summarise_sums_flows_and_averages_levels_over_the_window():
    years = np.array([2000, 2001, 2002])
    out = summarise(
        {"f": np.array([[1.0, 2.0, 4.0]]), "l": np.array([[3.0, 5.0, 7.0]])},
        years,
        {"f": "flow", "l": "level"},
        (2001, 2002),
        ("l", "missing"),
    )
    assert out["f_total"].tolist() == [6.0]
    assert out["l_mean"].tolist() == [6.0]
    assert out["l_2000"].tolist() == [3.0] and "f_2000" not in out and "missing_2000" not in out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runs": 0}, "runs must be"),
        ({"runs": 2.5}, "runs must be"),
        ({"seed": -1}, "seed"),
        ({"method": "grid"}, "method"),
        ({"exposure": "nowhere"}, "exposure"),
        ({"source": "oracle"}, "source"),
        ({"portfolios": ()}, "at least one portfolio"),
        ({"portfolios": ("status-quo", "status-quo")}, "unique"),
        ({"summary": SummarySpec((1990, 2000))}, "outside the simulated years"),
        ({"overrides": {"toy_growth": 9.0}}, "outside its allowed range"),
        (
            {"portfolios": (PolicyPlan("x", {"naloxone": np.zeros((84, 3))}),)},
            "per-run levels for 3 runs",
        ),
    ],
)
def test_bad_experiments_are_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message):
        toy_experiment(runs=kwargs.pop("runs", 5), **kwargs)


def test_components_must_be_importable_by_workers():
    def local_factory():
        return []

    with pytest.raises(UserError, match="module-level function"):
        toy_experiment(runs=3, components=local_factory)
    with pytest.raises(UserError, match="cannot be imported"):
        toy_experiment(runs=3, components="no_such_module:factory").component_factory()


def test_bad_designs_are_user_errors():
    with pytest.raises(UserError, match="supplied draws hold 4"):
        Experiment(runs=5, draws=sample(TOY_REGISTRY, 4, seed=1), components=COMPONENTS)
    with pytest.raises(UserError, match="low <= high"):
        LeverDesign({"naloxone": (3.0, 1.0)})
    with pytest.raises(UserError, match="did you mean 'naloxone'"):
        LeverDesign({"naloxon": (0.0, 1.0)})
    with pytest.raises(UserError, match="out of range"):
        LeverDesign({"naloxone": (0.0, 1e6)})
    with pytest.raises(UserError, match="chunk size"):
        toy_experiment(runs=5).chunks(0)
    with pytest.raises(UserError, match="run forward"):
        SummarySpec((2005, 2000))
    with pytest.warns(UserWarning, match="power of 2"):
        toy_experiment(runs=100, method="sobol")
