"""Posterior storage: save/load round trip, store lookup, deterministic resampling by run index."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fentsim.calibration.posterior_io import (
    MAX_STORED_DRAWS,
    Posterior,
    PosteriorNotFoundError,
    load_posterior,
    save_posterior,
    store_dir,
)


@pytest.fixture
def post():
    rng = np.random.default_rng(0)
    k = 50
    return Posterior(
        ("a", "b", "c"),
        rng.normal(size=(k, 3)),
        rng.random(k),
        rng.normal(size=k),
        {"seed": 1, "through": 2020, "spec_hash": "abc", "stages": [{"stage": 0, "beta": 0.1}]},
    )


def test_round_trip(tmp_path, post):
    path = save_posterior(post, tmp_path / "p", report={"fit": {"opioid_deaths": {"r2": 0.9}}})
    assert path.suffix == ".npz" and path.with_suffix(".json").exists()
    back = load_posterior(path)
    assert back.names == post.names
    np.testing.assert_array_equal(back.values, post.values)
    np.testing.assert_array_equal(back.weights, post.weights)
    np.testing.assert_array_equal(back.loglik, post.loglik)
    assert back.meta == post.meta
    doc = json.loads(path.with_suffix(".json").read_text())
    assert doc["fit"]["opioid_deaths"]["r2"] == 0.9 and [r["name"] for r in doc["parameters"]] == [
        "a",
        "b",
        "c",
    ]
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically
    with np.load(path, allow_pickle=False) as f:  # plain arrays, no pickles
        assert set(f.files) == {"names", "values", "weights", "loglik", "meta"}


def test_store_lookup_by_name_and_latest(tmp_path, monkeypatch, post):
    monkeypatch.setenv("FENTSIM_STORE", str(tmp_path / "store"))
    save_posterior(post, store_dir() / "first")
    later = Posterior(post.names, post.values[:3], np.ones(3), meta={"seed": 2})
    save_posterior(later, store_dir() / "second")
    assert load_posterior("first").n_draws == 50
    assert load_posterior("latest").meta == {"seed": 2}
    with pytest.raises(PosteriorNotFoundError, match="nope"):
        load_posterior("nope")


def test_resampling_is_per_run_index(post):
    n, seed = 10_000, 42
    whole = post.indices(n, seed)
    chunks = np.concatenate(
        [post.indices(n, seed, a, min(a + 3_333, n)) for a in range(0, n, 3_333)]
    )
    np.testing.assert_array_equal(whole, chunks)  # any chunking gives the same draws
    np.testing.assert_array_equal(
        post.resample(n, seed, 4_095, 4_099), post.values[whole[4_095:4_099]]
    )
    assert not np.array_equal(whole, post.indices(n, seed + 1))
    freq = np.bincount(whole, minlength=post.n_draws) / n  # frequencies follow the weights
    assert np.abs(freq - post.weights).max() < 0.01
    # run i's draw does not depend on the ensemble size
    np.testing.assert_array_equal(post.indices(20_000, seed)[:n], whole)
    with pytest.raises(ValueError, match="not inside"):
        post.indices(10, seed, 5, 11)


def test_summary_and_validation(post):
    rows = {r["name"]: r for r in post.summary()}
    a = post.column("a")
    assert rows["a"]["mean"] == pytest.approx(float(a @ post.weights))
    assert rows["a"]["p05"] <= rows["a"]["p50"] <= rows["a"]["p95"]
    assert set(post.as_dict()) == {"a", "b", "c"}
    with pytest.raises(ValueError, match="weights"):
        Posterior(("a",), np.ones((2, 1)), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="match"):
        Posterior(("a", "b"), np.ones((2, 1)), np.ones(2))


def test_shipped_default_is_small_and_consistent():
    try:
        post = load_posterior()
    except PosteriorNotFoundError:
        pytest.skip("no shipped posterior in this tree yet")
    from fentsim.params import load_registry

    reg = load_registry()
    assert post.n_draws <= MAX_STORED_DRAWS
    assert all(name in reg for name in post.names)
    for j, name in enumerate(post.names):  # every draw inside its prior's support
        lo, hi = reg[name].prior.support
        assert np.all((post.values[:, j] >= lo) & (post.values[:, j] <= hi)), name
    assert {"seed", "version", "through", "spec_hash"} <= set(post.meta)


def test_shipped_default_matches_the_current_spec():
    """Fails when priors, fixed demand values, targets or data change after the shipped
    calibration: re-run `fentsim calibrate --draws 1000000 --particles 4000 --seed 20261129
    --out src/fentsim/calibration/posterior_default.npz` (and update the golden summary)."""
    from fentsim.calibration.validate import stale_reasons

    try:
        post = load_posterior()
    except PosteriorNotFoundError:
        pytest.skip("no shipped posterior in this tree yet")
    assert stale_reasons(post) == []


def test_stale_reasons_names_unknown_parameters(post):
    from fentsim.calibration.validate import stale_reasons

    assert "no longer in the registry" in stale_reasons(post)[0]
