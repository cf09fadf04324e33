"""`fentsim ensemble`, `fentsim resume` and `fentsim runs` through the CLI entry point."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fentsim.cli import main
from fentsim.ensemble import Store
from fentsim.params import sample
from test_ensemble_toy import COMPONENTS, TOY_REGISTRY


@pytest.fixture
def draws_file(tmp_path):
    path = tmp_path / "draws.parquet"
    pq.write_table(pa.table(dict(sample(TOY_REGISTRY, 24, seed=2, method="mc"))), path)
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_ensemble_then_runs_json(tmp_path, capsys, draws_file):
    store = tmp_path / "st"
    code, out, err = _run(
        capsys,
        "ensemble",
        "--draws",
        str(draws_file),
        "--components",
        COMPONENTS,
        "--end",
        "2002",
        "--chunk",
        "5",
        "--window",
        "2000-2002",
        "--yearly",
        "all",
        "--trajectories",
        "--store",
        str(store),
        "--run-id",
        "cli1",
    )
    assert code == 0, err
    assert out.strip() == "cli1"
    code, out, _ = _run(capsys, "runs", "--json", "--store", str(store))
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["cli1"]
    assert rows[0]["status"] == "done" and rows[0]["chunks_done"] == rows[0]["n_chunks"] == 5
    assert (
        rows[0]["runs"] == 24
        and rows[0]["portfolios"] == ["status-quo"]
        and rows[0]["trajectories"]
    )
    df = Store(store).load("cli1")
    assert {"toy_deaths_total", "toy_users_mean", "toy_deaths_1999", "toy_users_2002"} <= set(
        df.columns
    )
    assert len(Store(store).load("cli1", "trajectories")) == 24 * 4
    code, out, _ = _run(capsys, "runs", "--store", str(store))
    assert code == 0 and "cli1" in out and "done" in out


def test_store_from_environment(tmp_path, capsys, monkeypatch, draws_file):
    monkeypatch.setenv("FENTSIM_STORE", str(tmp_path / "envstore"))
    code, out, err = _run(
        capsys,
        "ensemble",
        "--draws",
        str(draws_file),
        "--components",
        COMPONENTS,
        "--end",
        "2000",
        "--json",
    )
    assert code == 0, err
    info = json.loads(out)
    assert info["store"] == str(tmp_path / "envstore") and info["status"] == "done"
    code, out, _ = _run(capsys, "resume", info["id"], "--json")  # nothing left to do
    assert code == 0 and json.loads(out)["chunks_done"] == info["n_chunks"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--runs", "0"], "runs must be"),
        (["--exposure", "sideways"], "exposure"),
        (["--method", "grid"], "method"),
        (["--lever", "naloxone=5"], "--lever"),
        (["--window", "2030"], "--window"),
        (["--portfolio", "no-such-portfolio"], "no-such-portfolio"),
        (["--chunk", "0"], "chunk size"),
        (["--end", "1990"], "--start/--end"),
        (["--set", "not_a_parameter=1"], "not_a_parameter"),
        (["--executor", "gpu"], "executor"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    code, _, err = _run(
        capsys, "ensemble", *argv, "--store", str(tmp_path / "s"), "--source", "prior"
    )
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_resume_unknown_run_is_a_user_error(tmp_path, capsys):
    code, _, err = _run(capsys, "resume", "ghost", "--store", str(tmp_path))
    assert code == 2 and "no ensemble 'ghost'" in err
