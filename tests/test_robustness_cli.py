"""``fentsim robustness`` end to end (subprocess): user errors exit 2 with one line; a tiny run on
the real model prints regret and the most robust portfolio (once the model and presets exist)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run_cli as fentsim
from fentsim.cli import main


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["essay"], ["portfolios: got 1", "at least two"]),
        (["essay", "essay"], ["twice"]),
        (["essay", "public-health", "--vsl", "1e7", "--cost-weight", "1e-7"], ["either"]),
        (["essay", "public-health", "--cost-weighted", "--vsl", "1e7"], ["--cost-weighted"]),
        (["essay", "public-health", "--vsl", "-1"], ["vsl is -1.0"]),
    ],
)
def test_user_errors_exit_2_with_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["robustness", *args])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fentsim: error:")
    for w in words:
        assert w in lines[0]


def test_a_real_process_exits_2_on_a_user_error():
    out = fentsim("robustness", "essay")
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "at least two" in out.stderr


def test_tiny_robustness_on_the_coupled_model(capsys):
    args = [
        "robustness",
        "status-quo",
        "essay",
        "public-health",
        "--runs",
        "6",
        "--seed",
        "1",
        "--from",
        "2026",
        "--to",
        "2027",
        "--satisfice",
        "1e9",
        "--source",
        "prior",
    ]
    out = fentsim(*args, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [r["portfolio"] for r in doc["portfolios"]] == ["status-quo", "essay", "public-health"]
    assert doc["runs"] == 6
    assert set(doc["most_robust"]) == {"minimax", "p90", "mean"}
    assert all(r["satisficing_share"] == 1.0 for r in doc["portfolios"])
    assert all(r["max_regret"] >= r["p90_regret"] >= 0.0 for r in doc["portfolios"])
    with pytest.raises(SystemExit) as done:  # the table, in process
        main([*args, "--exposure", "observed"])
    assert done.value.code == 0
    assert "most robust:" in capsys.readouterr().out
