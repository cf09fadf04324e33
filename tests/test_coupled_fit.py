"""The fitted coupled baseline meets the acceptance criteria of the supply side (issue 3).

One coupled run at the shipped fitted point (``demand_fitted.toml`` then ``supply_fitted.toml``).
"""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.calibration.fit_metrics import mape, r_squared
from fentsim.calibration.supply_fit import observations, pill_share, shipped_fitted_path
from fentsim.model.clock import Clock
from fentsim.model.coupling import coupled_components
from fentsim.model.engine import simulate
from fentsim.model.history import H
from fentsim.model.supply import Supply
from fentsim.params import ParamSet, load_registry
from fentsim.params.projection import base_values

CLOCK = Clock(1999, 2025)

pytestmark = pytest.mark.skipif(
    not shipped_fitted_path().exists(), reason="no fitted supply point shipped"
)


@pytest.fixture(scope="module")
def fitted():
    reg = load_registry()
    ps = ParamSet.point(reg, 1, base_values(reg))
    return ps, simulate(ps, clock=CLOCK)


def series(res, name, years):
    return res.outcomes[name][0, np.searchsorted(res.years, years)]


def test_fentanyl_share_tracks_nflis(fitted):
    _, res = fitted
    s = observations()["fentanyl_share"]
    pred = series(res, "fentanyl_share", s.years)
    assert r_squared(s.obs, pred) >= 0.9
    late = s.years >= 2016
    assert np.max(np.abs(pred[late] - s.obs[late])) < 0.15
    assert np.all(np.diff(pred) > 0)


def test_cbp_seizures_within_a_factor_of_1_5_each_fiscal_year(fitted):
    _, res = fitted
    s = observations()["cbp_seizures_lb"]
    ratio = series(res, "cbp_seizures_lb", s.years) / s.obs
    assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), dict(
        zip(s.years.tolist(), ratio.round(2).tolist(), strict=True)
    )


def test_most_seizures_are_at_ports_of_entry(fitted):
    _, res = fitted
    years = np.arange(2015, 2025)
    share = (
        series(res, "fentanyl_seized_poe_kg", years).sum()
        / series(res, "fentanyl_seized_kg", years).sum()
    )
    assert 0.85 <= share <= 0.95


def test_dea_purity_direction_and_rough_level(fitted):
    ps, res = fitted
    pills = observations()["dea_pills_ge_2mg"]
    pot = series(res, "potency_index", np.arange(2017, 2025))
    pred = pill_share(pot, ps["pill_mg_at_reference"][0], ps["pill_mg_gsd"][0])
    assert pred[6] > pred[0]  # 2023 above 2017: potency rose
    assert pred[7] < pred[6]  # and fell in 2024
    at = np.searchsorted(np.arange(2017, 2025), pills.years)
    assert np.max(np.abs(pred[at] - pills.obs)) < 0.3
    powder = observations()["powder_purity_index"]
    ref = series(res, "potency_index", np.array([2022, 2023])).mean()
    assert series(res, "potency_index", np.array([2024]))[0] / ref < 0.8  # DEA: 0.59
    assert abs(ref - 1.0) < 0.2  # the index is 1.0 over 2021-23
    assert powder.obs[-1] < 0.8


def test_us_consumption_2021_is_single_digit_tonnes(fitted):
    _, res = fitted
    kg = series(res, "fentanyl_consumed_kg", np.array([2021]))[0]
    assert 1000.0 <= kg < 10000.0


def test_mexican_homicides_and_the_2007_2011_surge(fitted):
    _, res = fitted
    s = observations()["mexico_homicides"]
    pred = series(res, "mexico_homicides", s.years)
    assert mape(s.obs, pred) <= 15.0
    h = dict(zip(s.years.tolist(), pred.tolist(), strict=True))
    assert h[2011] > 2.0 * h[2007]


def test_criminal_groups_rise_from_under_10_to_over_100(fitted):
    _, res = fitted
    g = dict(zip(res.years.tolist(), res.outcomes["criminal_groups"][0].tolist(), strict=True))
    assert g[2006] < 10.0
    assert max(g[y] for y in (2019, 2020, 2021, 2022, 2023)) > 100.0


def test_coupled_overdose_deaths_still_fit(fitted):
    _, res = fitted
    s = observations()["opioid_deaths"]
    keep = s.years <= 2023
    pred = series(res, "opioid_deaths", s.years[keep])
    assert r_squared(s.obs[keep], pred) >= 0.95
    assert mape(s.obs[keep], pred) <= 10.0


class NoSupplyShock(Supply):
    """Supply without the 2023-24 events (US-China cooperation, 2024 listings, Sinaloa war)."""

    def init(self, p, clock, ctx):
        super().init(p, clock, ctx)
        late = np.arange(clock.n_months) >= clock.month(2023, 1)
        for col in ("coop_steps", "listings", "war_start"):
            self.hist[late, H[col]] = 0.0


def test_the_2023_2024_fall_in_deaths_comes_from_the_supply_side(fitted):
    ps, res = fitted
    d = series(res, "opioid_deaths", np.array([2023, 2024]))
    change = d[1] / d[0] - 1.0
    assert change < -0.2  # observed: -34% (NCHS provisional)

    def no_shock():
        return [NoSupplyShock(), *coupled_components()[1:]]

    alt = simulate(ps, clock=CLOCK, components=no_shock)
    d_alt = series(alt, "opioid_deaths", np.array([2023, 2024]))
    assert d_alt[1] / d_alt[0] - 1.0 > change + 0.15
