"""The shipped fitted baseline reproduces the CDC record (issue 2 acceptance criteria)."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.calibration.fit_report import series_fit, source_comparison
from fentsim.params.projection import fitted_values


@pytest.fixture(scope="module")
def fit():
    return series_fit()


def test_a_fit_is_shipped():
    assert len(fitted_values()) >= 10


def test_total_opioid_deaths_1999_2023(fit):
    s = fit["opioid_deaths"]
    years = np.array(s["years"])
    keep = years <= 2023
    obs, model = np.array(s["observed"])[keep], np.array(s["model"])[keep]
    r2 = 1 - ((obs - model) ** 2).sum() / ((obs - obs.mean()) ** 2).sum()
    mape = np.mean(np.abs(model - obs) / obs) * 100
    assert r2 >= 0.95
    assert mape <= 10.0


def test_synthetic_deaths_2014_2023_within_15_percent(fit):
    rows = {}
    for key in ("opioid_deaths_synthetic", "opioid_deaths_synthetic_t404"):
        s = fit[key]
        rows.update(dict(zip(s["years"], zip(s["observed"], s["model"], strict=True), strict=True)))
    for year in range(2014, 2024):
        obs, model = rows[year]
        assert abs(model / obs - 1) <= 0.15, (year, obs, model)


@pytest.mark.parametrize("series", ["opioid_deaths_rx", "opioid_deaths_heroin"])
def test_rx_and_heroin_categories_tracked_through_2020(fit, series):
    s = fit[series]
    obs, model = np.array(s["observed"]), np.array(s["model"])
    assert np.mean(np.abs(model - obs) / obs) < 0.35
    # the peak year is within three years of the observed peak
    assert abs(int(np.argmax(model)) - int(np.argmax(obs))) <= 3


def test_source_comparison_is_reported_not_forced():
    sc = source_comparison()
    assert sc["source_cumulative"] == 541_164
    assert sc["fentsim_cumulative"] > 0
    assert set(sc["fentsim_by_year"]) == set(range(2022, 2033))
