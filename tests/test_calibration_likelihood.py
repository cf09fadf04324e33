"""Likelihood families against hand-computed values and scipy; targets, provenance, binding."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fentsim.calibration.likelihood import SHARE_EPS, Likelihood, loglik, sample_obs
from fentsim.calibration.targets import DEFAULT_TARGETS, Target, bind, observed_frame, widen
from fentsim.model.result import SimResult


def test_lognormal_by_hand():
    # log y = log 100, log mu = log 110, sd 0.1: z = log(100/110)/0.1
    z = math.log(100 / 110) / 0.1
    expected = -0.5 * z**2 - math.log(0.1) - 0.5 * math.log(2 * math.pi) - math.log(100)
    got = loglik("lognormal", np.array([[110.0]]), np.array([100.0]), np.array([0.1]))
    assert got[0] == pytest.approx(expected, rel=1e-12)
    assert got[0] == pytest.approx(stats.lognorm.logpdf(100, 0.1, scale=110), rel=1e-12)


def test_negbin_matches_scipy_and_poisson_limit():
    pred, obs, cv = np.array([[800.0, 1200.0]]), np.array([760.0, 1300.0]), np.array([0.2, 0.2])
    r = 1 / 0.2**2
    expected = stats.nbinom.logpmf(obs, r, r / (r + pred[0])).sum()
    assert loglik("negbin", pred, obs, cv)[0] == pytest.approx(expected, rel=1e-10)
    tiny = np.array([1e-4, 1e-4])  # cv → 0: the negative binomial becomes Poisson
    assert loglik("negbin", pred, obs, tiny)[0] == pytest.approx(
        stats.poisson.logpmf(obs, pred[0]).sum(), rel=1e-5
    )


def test_logitnormal_and_beta_densities():
    y, mu = 0.3, 0.4
    lz = (math.log(y / (1 - y)) - math.log(mu / (1 - mu))) / 0.5
    expected = -0.5 * lz**2 - math.log(0.5) - 0.5 * math.log(2 * math.pi) - math.log(y * (1 - y))
    assert loglik("logitnormal", np.array([[mu]]), np.array([y]), np.array([0.5]))[
        0
    ] == pytest.approx(expected)
    phi = 20.0
    assert loglik("beta", np.array([[mu]]), np.array([y]), np.array([phi]))[0] == pytest.approx(
        stats.beta.logpdf(y, mu * phi, (1 - mu) * phi)
    )


def test_vectorised_over_runs_and_best_run_wins():
    obs = np.array([10.0, 20.0, 30.0])
    pred = np.array([[10.0, 20.0, 30.0], [12.0, 18.0, 33.0], [5.0, 40.0, 10.0]])
    for family in ("lognormal", "negbin"):
        ll = loglik(family, pred, obs, np.full(3, 0.2))
        assert ll.shape == (3,) and ll[0] > ll[1] > ll[2]
        # the joint likelihood of several points is the sum of single-point ones
        single = sum(loglik(family, pred[:, [j]], obs[[j]], np.array([0.2])) for j in range(3))
        np.testing.assert_allclose(ll, single)


def test_bad_runs_get_minus_infinity_and_zero_shares_stay_finite():
    ll = loglik("lognormal", np.array([[np.nan], [1.0]]), np.array([1.0]), np.array([0.1]))
    assert ll[0] == -np.inf and np.isfinite(ll[1])
    share = loglik("logitnormal", np.array([[0.0], [0.5]]), np.array([0.0]), np.array([0.5]))
    assert np.isfinite(share).all() and share[0] > share[1]  # 0 is read as "below SHARE_EPS"
    assert SHARE_EPS < 0.01
    with pytest.raises(ValueError, match="family"):
        loglik("poisson", np.ones((1, 1)), np.ones(1), np.ones(1))


def test_provenance_weight_widens_like_tempering():
    # Gaussian families: weight w multiplies the quadratic term by w (a point counts w times)
    s = widen("lognormal", 0.1, np.array([1.0, 0.25]))
    assert s.tolist() == pytest.approx([0.1, 0.2])
    pred_a, pred_b, obs = np.array([[100.0]]), np.array([[120.0]]), np.array([100.0])
    full = loglik("lognormal", pred_b, obs, np.array([0.1])) - loglik(
        "lognormal", pred_a, obs, np.array([0.1])
    )
    quarter = loglik("lognormal", pred_b, obs, widen("lognormal", 0.1, np.array([0.25]))) - loglik(
        "lognormal", pred_a, obs, widen("lognormal", 0.1, np.array([0.25]))
    )
    assert quarter[0] == pytest.approx(0.25 * full[0])
    assert widen("beta", 30.0, np.array([0.5])).tolist() == [15.0]
    with pytest.raises(ValueError, match="weights"):
        widen("lognormal", 0.1, np.array([0.0]))


def test_sample_obs_matches_the_family():
    rng = np.random.default_rng(3)
    pred = np.full((20000, 1), 500.0)
    y = sample_obs("negbin", pred, np.array([0.1]), rng)
    assert y.mean() == pytest.approx(500, rel=0.01)
    assert y.var() == pytest.approx(500 + (0.1 * 500) ** 2, rel=0.05)
    sh = sample_obs("beta", np.full((20000, 1), 0.3), np.array([50.0]), rng)
    assert sh.mean() == pytest.approx(0.3, abs=0.005)


def _frame():
    return pd.DataFrame(
        {
            "series": ["d", "d", "d", "g", "g", "g"],
            "year": [2001, 2000, 2002, 2006, 2006, 2010],
            "value": [11.0, 10.0, 12.0, 4.0, 7.0, 0.0],
            "provenance": ["V", "S", "P", "V", "W", "V"],
            "weight": [1.0, 1.0, 0.7, 1.0, 0.3, 1.0],
        }
    )


def test_bind_orders_filters_and_keeps_repeated_years():
    targets = [
        Target("deaths", "d", ("deaths",), "negbin", 0.1),
        Target("groups", "g", ("groups",), "lognormal", 0.7),
        Target("missing", "nothing", ("deaths",), "negbin", 0.1),
        Target("supply", "d", ("not_an_output",), "negbin", 0.1),
    ]
    parts = bind(targets, _frame(), through=2009, outputs=["deaths", "groups"])
    assert [p.name for p in parts] == ["deaths", "groups"]
    deaths, groups = parts
    assert deaths.years.tolist() == [2000, 2001, 2002] and deaths.obs.tolist() == [10.0, 11.0, 12.0]
    assert deaths.scale.tolist() == pytest.approx([0.1, 0.1, 0.1 / math.sqrt(0.7)])
    assert groups.years.tolist() == [
        2006,
        2006,
    ]  # two definitions in one year; 2010 is past `through`
    res = SimResult(
        np.arange(2000, 2011), {"deaths": np.full((2, 11), 11.0), "groups": np.full((2, 11), 5.0)}
    )
    assert groups.predict(res).shape == (2, 2)
    lik = Likelihood(parts)
    np.testing.assert_allclose(lik(res), deaths.loglik(res) + groups.loglik(res))
    assert lik.last_year == 2006 and lik.first_year == 2000
    assert deaths.until(2001).years.tolist() == [2000, 2001] and deaths.after(2002) is None


def test_target_checks_and_sum_of_outputs():
    with pytest.raises(ValueError, match="family"):
        Target("x", "x", ("x",), "gaussian", 0.1)
    with pytest.raises(ValueError, match="scale"):
        Target("x", "x", ("x",), "lognormal", 0.0)
    both = bind([Target("illicit", "d", ("a", "b"), "lognormal", 0.1, factor=2.0)], _frame())[0]
    res = SimResult(np.arange(2000, 2003), {"a": np.ones((1, 3)), "b": np.full((1, 3), 2.0)})
    assert both.predict(res).tolist() == [[6.0, 6.0, 6.0]]
    with pytest.raises(ValueError, match="not all simulated"):
        both.predict(SimResult(np.arange(2000, 2002), {"a": np.ones((1, 2)), "b": np.ones((1, 2))}))


def test_default_targets_bind_to_the_shipped_data():
    parts = {p.name: p for p in bind(DEFAULT_TARGETS, observed_frame())}
    assert {"opioid_deaths", "opioid_deaths_synthetic", "people_in_moud", "fentanyl_share"} <= set(
        parts
    )
    deaths = parts["opioid_deaths"]
    assert deaths.years[0] == 1999 and deaths.years[-1] >= 2024
    assert (
        parts["opioid_deaths_synthetic_t404"].years.min() == 2021
    )  # no overlap with the exclusive series
    for p in parts.values():
        assert np.all(p.scale > 0) and np.all(np.isfinite(p.obs))
