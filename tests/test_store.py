"""The results store: round trip, idempotent commits, orphan files, SQL, catalogue fields."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fentsim
from fentsim.ensemble import Experiment, Store, evaluate, resume, run_ensemble
from fentsim.ensemble.chunk import run_chunk
from fentsim.errors import UserError
from fentsim.model.clock import Clock
from fentsim.params import sample
from test_ensemble_toy import COMPONENTS, TOY_REGISTRY, assert_bitwise, toy_experiment


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


def test_round_trip_equals_in_memory_results(store):
    exp = toy_experiment(runs=40, trajectories=True)
    rid = run_ensemble(exp, store=store, chunk=9, run_id="rt")
    assert rid == "rt"
    for kind in ("summary", "params", "trajectories"):
        loaded = store.load(rid, kind)
        expected = evaluate(exp, chunk=40, kind=kind)
        if "portfolio" in loaded:
            loaded["portfolio"] = loaded["portfolio"].astype(object)
        assert_bitwise(loaded, expected)
    df = store.load(rid)
    assert len(df) == 40 * 2
    assert not df.duplicated(["run", "portfolio"]).any()
    assert list(df["portfolio"].cat.categories) == ["status-quo", "naloxone"]


def test_catalogue_records_spec_seed_version_and_timings(store):
    exp = toy_experiment(runs=20)
    rid = run_ensemble(exp, store=store, chunk=8)
    info = store.info(rid)
    assert info["status"] == "done"
    assert info["version"] == fentsim.__version__
    assert info["seed"] == 11
    assert info["spec_hash"] == exp.spec_hash
    assert info["n_chunks"] == info["chunks_done"] == 3
    assert info["created"] <= info["finished"]
    assert Experiment.from_spec(info["spec"]).spec_hash == exp.spec_hash
    assert json.loads((store.run_dir(rid) / "spec.json").read_text()) == info["spec"]
    t = store.timings(rid)
    assert t["chunk"].tolist() == [0, 1, 2]
    assert (t["compute_s"] > 0).all() and (t["write_s"] >= 0).all()
    assert t["rows"].sum() == 40


def test_commit_is_idempotent_and_orphans_are_ignored(store):
    exp = toy_experiment(runs=30)
    rid = store.create(exp, 10, run_id="half")
    first = run_chunk(exp, 0, 0, 10)
    assert store.write_chunk(rid, first)
    assert not store.write_chunk(rid, first)  # already committed: nothing written
    store.write_chunk(rid, first, check=False)  # forced rewrite: same bits, one catalogue row
    assert store.committed(rid) == {0}
    # a writer killed after the rename but before the commit, and one killed mid-write
    orphan = run_chunk(exp, 2, 20, 30)
    path = store._chunk_path(store.run_dir(rid), "summary", 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage from a killed writer")
    (path.parent / ".chunk-000001.parquet.dead.tmp").write_bytes(b"partial")
    assert store.files(rid) == [store._chunk_path(store.run_dir(rid), "summary", 0)]
    with pytest.raises(UserError, match="incomplete"):
        store.load(rid)
    assert len(store.load(rid, partial=True)) == 10 * 2
    store.finish(rid, "interrupted")
    resume(rid, store=store)
    assert not list(store.run_dir(rid).rglob("*.tmp"))
    df = store.load(rid)
    assert_bitwise(df.assign(portfolio=df["portfolio"].astype(object)), evaluate(exp, chunk=7))
    assert orphan.summary.num_rows == 20


def test_supplied_draws_are_stored_and_reused(store):
    draws = sample(TOY_REGISTRY, 25, seed=4, method="mc")
    exp = Experiment(
        draws=draws, seed=1, clock=Clock(1999, 2002), registry=TOY_REGISTRY, components=COMPONENTS
    )
    assert exp.source == "draws" and exp.runs == 25
    rid = run_ensemble(exp, store=store, chunk=6)
    again = store.experiment(rid)
    assert again.spec_hash == exp.spec_hash
    params = store.load(rid, "params")
    for name in TOY_REGISTRY.uncertain:
        assert np.array_equal(params[name].to_numpy(), draws[name])


def test_sql_over_committed_chunks(store):
    rid = run_ensemble(toy_experiment(runs=12), store=store, chunk=5)
    q = store.query(
        rid,
        "SELECT portfolio, count(*) AS n, avg(toy_deaths_total) AS d "
        "FROM summary GROUP BY portfolio ORDER BY portfolio",
    )
    assert q["n"].tolist() == [12, 12]
    df = store.load(rid)
    assert np.isclose(
        q.set_index("portfolio").loc["naloxone", "d"],
        df[df.portfolio == "naloxone"]["toy_deaths_total"].mean(),
    )


def test_store_errors_are_user_errors(store, tmp_path, monkeypatch):
    with pytest.raises(UserError, match="no ensemble"):
        store.info("nope")
    rid = run_ensemble(toy_experiment(runs=4), store=store, run_id="dup")
    with pytest.raises(UserError, match="already"):
        run_ensemble(toy_experiment(runs=4), store=store, run_id=rid)
    with pytest.raises(UserError, match="run id"):
        store.create(toy_experiment(runs=4), 2, run_id="../escape")
    with pytest.raises(UserError, match="no trajectories"):
        store.load(rid, "trajectories")
    monkeypatch.setenv("FENTSIM_STORE", str(tmp_path / "env-store"))
    assert Store().root == tmp_path / "env-store"
    assert Store().list_runs() == []
