"""Kill an ensemble with a real SIGKILL mid-way, resume it, and get exactly the clean results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fentsim.ensemble import Experiment, LeverDesign, Store, SummarySpec, run_ensemble
from fentsim.model.clock import Clock
from fentsim.params import load_registry, sample
from test_ensemble_toy import COMPONENTS, TOY_REGISTRY, assert_bitwise

TESTS = Path(__file__).resolve().parent
RUNS, CHUNK = 300, 10
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "fentsim.cli", *args]


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{path}" if path else str(TESTS)}


def test_sigkill_mid_ensemble_then_resume_gives_the_clean_results(tmp_path):
    draws = sample(TOY_REGISTRY, RUNS, seed=8, method="mc")
    draws_file = tmp_path / "draws.parquet"
    pq.write_table(pa.table(dict(draws)), draws_file)
    root = tmp_path / "store"
    common = [
        "--draws",
        str(draws_file),
        "--components",
        COMPONENTS,
        "--end",
        "2005",
        "--lever",
        "naloxone=0:3",
        "--seed",
        "5",
    ]
    proc = subprocess.Popen(
        _cli(
            "ensemble",
            *common,
            "--chunk",
            str(CHUNK),
            "--run-id",
            "victim",
            "--store",
            str(root),
            "--commit-every",
            "0",
        ),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    store, n_chunks, done = Store(root), RUNS // CHUNK, set()
    deadline = time.monotonic() + 120
    try:
        while len(done) < 3:
            assert proc.poll() is None, (
                f"ensemble ended before it could be killed: {proc.communicate()}"
            )
            assert time.monotonic() < deadline, "no chunk committed in time"
            time.sleep(0.05)
            done = store.committed("victim")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill() if proc.poll() is None else None
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    committed = store.committed("victim")
    assert 3 <= len(committed) < n_chunks, "the kill must land mid-way"

    listing = subprocess.run(
        _cli("runs", "--json", "--store", str(root)),
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(listing.stdout)[0]
    assert row["id"] == "victim" and row["status"] == "interrupted"
    assert row["chunks_done"] == len(committed) and row["n_chunks"] == n_chunks

    res = subprocess.run(
        _cli("resume", "victim", "--store", str(root), "--json"),
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["status"] == "done" and info["chunks_done"] == n_chunks and info["attempts"] == 2
    assert not list(store.run_dir("victim").rglob("*.tmp"))

    resumed = store.load("victim")
    assert len(resumed) == RUNS * 1
    assert not resumed.duplicated(["run", "portfolio"]).any()
    assert resumed["run"].tolist() == list(range(RUNS))

    load_registry.cache_clear()  # hash the registry files as the subprocesses saw them
    clean_exp = Experiment(
        draws=draws,
        seed=5,
        clock=Clock(1999, 2005),
        levers=LeverDesign({"naloxone": (0.0, 3.0)}),
        summary=SummarySpec(None, ("opioid_deaths",)),
        components=COMPONENTS,
    )
    assert clean_exp.spec_hash == store.info("victim")["spec_hash"]
    clean_store = Store(tmp_path / "clean")
    clean = clean_store.load(run_ensemble(clean_exp, store=clean_store, chunk=64))
    assert_bitwise(resumed, clean)
    assert_bitwise(
        store.load("victim", "params"), clean_store.load(clean_store.list_runs()[0]["id"], "params")
    )
