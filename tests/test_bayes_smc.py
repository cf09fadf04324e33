"""The tempered SMC sampler on analytic targets: exact posterior moments and evidence, adaptive
temperatures, resampling, determinism and invariance to chunking and executors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fentsim.calibration.bayes import (
    CalibrationError,
    SMCSettings,
    ess,
    executor_map,
    next_beta,
    pool_z,
    smc,
    systematic,
)
from fentsim.ensemble.executors import SerialExecutor

D = 4
MU = np.array([1.0, -0.5, 0.3, 2.0])
PREC = np.diag([16.0, 4.0, 25.0, 9.0]) + 2.0  # correlated Gaussian likelihood in z-space


def gaussian_loglik(z: np.ndarray) -> np.ndarray:
    r = z - MU
    return -0.5 * np.einsum("ij,jk,ik->i", r, PREC, r)


def exact():
    cov = np.linalg.inv(PREC + np.eye(D))  # N(0, I) prior × Gaussian likelihood
    mean = cov @ PREC @ MU
    log_z = (
        0.5 * D * np.log(2 * np.pi)
        - 0.5 * np.linalg.slogdet(PREC)[1]
        + stats.multivariate_normal(np.zeros(D), np.eye(D) + np.linalg.inv(PREC)).logpdf(MU)
    )
    return mean, cov, log_z


@pytest.fixture(scope="module")
def run():
    return smc(gaussian_loglik, D, SMCSettings(draws=20_000, particles=4_000, groups=4, seed=11))


def test_conjugate_gaussian_posterior_is_exact(run):
    mean, cov, log_z = exact()
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(run.z.mean(axis=0), mean, atol=0.06 * sd.max() + 0.01)
    np.testing.assert_allclose(run.z.std(axis=0), sd, rtol=0.08)
    np.testing.assert_allclose(np.corrcoef(run.z.T), cov / np.outer(sd, sd), atol=0.08)
    assert np.all(np.abs(run.log_evidence - log_z) < 0.4)  # every replicate group
    assert np.all(run.loglik == gaussian_loglik(run.z))


def test_schedule_is_adaptive_and_ends_at_one(run):
    by_group = {}
    for r in run.stages:
        by_group.setdefault(r.group, []).append(r.beta)
        assert r.ess == pytest.approx(0.5 * 1_000, rel=1e-3) or r.beta == 1.0
        assert 0 < r.acceptance <= 1 and 1 <= r.moves <= 20
    for betas in by_group.values():
        assert betas[-1] == 1.0 and np.all(np.diff(betas) > 0)
    assert run.evaluations >= 20_000


def test_deterministic_and_chunk_and_executor_invariant():
    small = SMCSettings(draws=3_000, particles=300, groups=3, seed=5, max_moves=4)
    a = smc(gaussian_loglik, D, small)
    b = smc(gaussian_loglik, D, SMCSettings(**{**vars(small), "chunk": 77}))
    with SerialExecutor() as ex:
        c = smc(gaussian_loglik, D, small, mapper=executor_map(ex))
    for other in (b, c):
        np.testing.assert_array_equal(a.z, other.z)
        np.testing.assert_array_equal(a.log_evidence, other.log_evidence)
    d = smc(gaussian_loglik, D, SMCSettings(**{**vars(small), "seed": 6}))
    assert not np.array_equal(a.z, d.z)


def test_pool_rows_depend_only_on_seed_and_index():
    whole = pool_z(3, 10_000, 2, 0, 10_000)
    np.testing.assert_array_equal(pool_z(3, 10_000, 2, 4_000, 5_000), whole[4_000:5_000])
    assert abs(whole.mean()) < 0.05 and abs(whole.std() - 1) < 0.05


def test_next_beta_hits_the_target_ess():
    ll = np.random.default_rng(0).normal(scale=30.0, size=5_000)
    b = next_beta(ll, 0.0, 2_500)
    assert 0 < b < 1 and ess(b * ll) == pytest.approx(2_500, rel=1e-6)
    assert next_beta(np.zeros(100), 0.3, 50) == 1.0  # a flat likelihood: straight to beta = 1
    with pytest.raises(CalibrationError, match="zero likelihood"):
        next_beta(np.full(10, -np.inf), 0.0, 5)


def test_systematic_resampling_counts():
    w = np.array([0.1, 0.2, 0.3, 0.4])
    idx = systematic(np.log(w), 1_000, np.random.default_rng(1))
    assert np.all(np.diff(idx) >= 0)
    # systematic resampling: each count is within one of n × w
    assert np.all(np.abs(np.bincount(idx, minlength=4) - 1_000 * w) <= 1)
    assert ess(np.log(w)) == pytest.approx(1 / (w**2).sum())


def test_settings_are_checked():
    with pytest.raises(ValueError, match="draws"):
        SMCSettings(draws=10, particles=100)
    with pytest.raises(ValueError, match="particles per group"):
        SMCSettings(draws=100, particles=3, groups=2)
