"""``fentsim discover`` end to end (subprocess): user errors exit 2 with one line; a tiny PRIM run on
the real model prints the trade-off and the box (runs once the model and presets are installed)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run_cli as fentsim
from fentsim.cli import main


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--portfolio", "essay"], ["exactly one of"]),
        (
            ["--portfolio", "essay", "--averted-share-at-least", "2"],
            ["averted_share_at_least is 2.0"],
        ),
        (["--portfolio", "essay", "--averted-share-at-least", "0.1", "--runs", "1"], ["runs is 1"]),
        (
            ["--portfolio", "essay", "--homicides-change-above", "0.1", "--threshold", "0"],
            ["threshold"],
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["discover", *args])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fentsim: error:")
    for w in words:
        assert w in lines[0]


def test_a_real_process_exits_2_on_a_user_error():
    out = fentsim("discover", "--portfolio", "essay")
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "exactly one of" in out.stderr


def test_tiny_discovery_on_the_model(capsys):
    args = [
        "discover",
        "--portfolio",
        "public-health",
        "--averted-share-at-least",
        "0.1",
        "--runs",
        "40",
        "--seed",
        "2",
        "--from",
        "2026",
        "--to",
        "2027",
        "--source",
        "prior",
        "--exposure",
        "observed",
    ]
    out = fentsim(*args, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["portfolio"], doc["against"], doc["runs"]) == ("public-health", "status-quo", 40)
    assert 0.0 <= doc["share_of_interest"] <= 1.0
    cov = [r["coverage"] for r in doc["trajectory"]]
    assert cov == sorted(cov, reverse=True)
    assert set(doc["box"]) >= {"coverage", "density", "mass", "limits"}
    with pytest.raises(SystemExit) as done:  # the tables, in process
        main(args)
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "peeling trajectory" in text
    assert "chosen box" in text
