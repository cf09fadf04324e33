"""Presets, portfolios and their compilation into monthly plans."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.errors import UserError
from fentsim.model.clock import Clock
from fentsim.policy import (
    IntensityScaleError,
    PolicyPlan,
    Portfolio,
    UnknownPortfolioError,
    compile_plan,
    levers,
    preset,
    presets,
    resolve,
)

CLOCK = Clock(2020, 2032)
REQUIRED = [
    "status-quo", "merida-era", "border-first", "ports-and-sanctions", "essay",
    "public-health", "essay+public-health", "all-levers",
]  # fmt: skip


def test_every_required_preset_ships_with_a_description_and_sources():
    found = presets()
    assert list(found)[: len(REQUIRED)] == REQUIRED
    for name in REQUIRED:
        pf = found[name]
        assert pf.name == name
        assert pf.description
        assert pf.sources, name


def test_status_quo_is_the_empty_plan():
    plan = compile_plan("status-quo", CLOCK)
    assert isinstance(plan, PolicyPlan)
    assert plan.levels == {} and plan.options == {}
    assert preset("status-quo").is_status_quo


def test_essay_is_a_military_campaign_plus_maritime_interdiction():
    pf = preset("essay")
    assert set(pf.lever_names) == {"military_campaign", "maritime_interdiction"}
    plan = compile_plan(pf, CLOCK)
    mix = plan.option("military_campaign", "target_mix")
    assert set(mix) == {"leadership", "labs", "nodes"} and all(v > 0 for v in mix.values())
    assert plan.option("military_campaign", "consent") is False


def test_public_health_package():
    assert set(preset("public-health").lever_names) == {
        "naloxone",
        "moud_access",
        "moud_retention",
        "drug_checking",
    }


def test_combination_is_the_union_and_all_levers_has_every_lever():
    combo = preset("essay+public-health")
    assert set(combo.lever_names) == set(preset("essay").lever_names) | set(
        preset("public-health").lever_names
    )
    assert set(preset("all-levers").lever_names) == set(levers())
    # an ad-hoc combination of presets resolves the same way
    assert resolve("public-health+merida-era").lever_names == [
        "naloxone",
        "moud_access",
        "moud_retention",
        "drug_checking",
        "security_aid",
    ]


def test_projection_presets_start_in_2026():
    for name, pf in presets().items():
        for lp in pf.levers.values():
            assert all(ph.start.year >= 2026 for ph in lp.phases), name


def test_every_preset_stays_inside_lever_ranges_over_the_clock():
    cat = levers()
    for name in presets():
        plan = compile_plan(name, Clock(2020, 2040))
        for lever, arr in plan.levels.items():
            assert cat[lever].check_intensity(float(arr.max())) is None, (name, lever)


def test_compiled_levels_follow_the_schedule():
    plan = compile_plan("public-health", CLOCK)
    nx = plan.levels["naloxone"]
    start = CLOCK.month(2026)
    assert nx.shape == (CLOCK.n_months,)
    assert np.all(nx[:start] == 0)
    assert plan.level("naloxone", start + 23) == pytest.approx(5.0)
    assert plan.active("naloxone") and not plan.active("prevention")


def test_intensity_scale_gives_per_run_levels():
    scale = np.array([0.0, 0.5, 1.0, 2.0])
    plan = compile_plan("public-health", CLOCK, intensity_scale={"naloxone": scale})
    arr = plan.levels["naloxone"]
    assert arr.shape == (CLOCK.n_months, 4)
    shared = compile_plan("public-health", CLOCK).levels["naloxone"]
    np.testing.assert_allclose(arr, shared[:, None] * scale[None, :])
    assert plan.levels["moud_access"].ndim == 1
    assert plan.take(slice(1, 3)).levels["naloxone"].shape == (CLOCK.n_months, 2)


@pytest.mark.parametrize(
    ("scale", "match"),
    [
        ({"naloxone": np.array([1.0, 7.0])}, "range"),
        ({"naloxone": np.array([-1.0])}, ">= 0"),
        ({"naloxone": np.ones((2, 2))}, "1-D"),
        ({"naloxone": np.ones(3), "moud_access": np.ones(4)}, "runs"),
        ({"prevention": np.ones(3)}, "does not schedule"),
    ],
)
def test_bad_intensity_scales_are_refused(scale, match):
    with pytest.raises(IntensityScaleError, match=match):
        compile_plan("public-health", CLOCK, intensity_scale=scale)


def test_unknown_lever_in_intensity_scale_suggests():
    with pytest.raises(UserError, match="did you mean 'naloxone'"):
        compile_plan("public-health", CLOCK, intensity_scale={"nalxone": np.ones(2)})


def test_unknown_portfolio_suggests_the_closest_preset():
    with pytest.raises(UnknownPortfolioError, match="did you mean 'essay'"):
        resolve("esay")


def test_portfolio_to_dict_is_json_ready():
    import json

    d = preset("essay").to_dict()
    assert (
        json.loads(json.dumps(d))["levers"]["military_campaign"]["schedule"][0]["start"]
        == "2026-01"
    )


def test_a_portfolio_object_compiles_directly():
    pf = Portfolio("empty")
    assert compile_plan(pf, CLOCK).name == "empty"
