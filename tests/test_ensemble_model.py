"""Ensembles of the real model (short clocks): chunk invariance and the CLI happy path."""

from __future__ import annotations

import json

import pytest

from fentsim.cli import main
from fentsim.ensemble import Experiment, LeverDesign, Store, evaluate
from fentsim.model.clock import Clock
from test_ensemble_toy import assert_bitwise


@pytest.mark.parametrize("exposure", ["observed", "coupled"])
def test_real_model_is_chunk_invariant(exposure):
    exp = Experiment(
        runs=6,
        seed=3,
        portfolios=["status-quo", "public-health"],
        clock=Clock(1999, 2002),
        exposure=exposure,
        levers=LeverDesign({"naloxone": (0.0, 5.0)}),
    )
    whole = evaluate(exp, chunk=6)
    assert len(whole) == 12 and "opioid_deaths_total" in whole
    assert (whole["opioid_deaths_total"] > 0).all()
    assert_bitwise(evaluate(exp, chunk=4), whole)
    assert_bitwise(evaluate(exp, chunk=1, kind="params"), evaluate(exp, chunk=6, kind="params"))


def test_cli_ensemble_of_the_real_model(tmp_path, capsys):
    store = tmp_path / "st"
    argv = ["ensemble", "-p", "status-quo", "-p", "public-health", "--runs", "5", "--end", "2001"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--chunk", "2", "--store", str(store), "--json"])
    out, err = capsys.readouterr()
    assert exc.value.code in (0, None), err
    info = json.loads(out)
    assert info["status"] == "done" and info["portfolios"] == ["status-quo", "public-health"]
    df = Store(store).load(info["id"])
    assert len(df) == 10 and not df.duplicated(["run", "portfolio"]).any()
    assert {"opioid_deaths_total", "opioid_deaths_1999", "opioid_deaths_2001"} <= set(df.columns)
