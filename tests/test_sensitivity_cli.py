"""``fentsim sensitivity`` end to end (subprocess): user errors exit 2 with one line; a tiny Sobol
run on the real model prints JSON (runs once the model and policy presets are installed)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run_cli as fentsim
from fentsim.cli import main


def two_params() -> list[str]:
    from fentsim.params import load_registry

    return load_registry().uncertain[:2]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--method", "fast"], ["method", "'fast'", "sobol, morris"]),
        (["--outcome", "lives"], ["outcome", "'lives'", "deaths"]),
        (["--outcome", "averted"], ["averted", "both 'status-quo'"]),
        (["--samples", "300", "--params", "x"], ["samples is 300", "power of two"]),
    ],
)
def test_user_errors_exit_2_with_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sensitivity", *args])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fentsim: error:")
    for w in words:
        assert w in lines[0]


def test_a_real_process_exits_2_on_a_user_error():
    out = fentsim("sensitivity", "--method", "fast")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "fentsim: error: method is 'fast'; allowed: sobol, morris"
    ]


def test_tiny_sobol_on_the_model(capsys):
    params = two_params()
    args = [
        "sensitivity",
        "--portfolio",
        "public-health",
        "--outcome",
        "averted",
        "--samples",
        "4",
        "--params",
        ",".join(params),
        "--seed",
        "3",
        "--from",
        "2026",
        "--to",
        "2027",
        "--exposure",
        "observed",
    ]
    out = fentsim(*args, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["method"] == "sobol"
    assert doc["evaluations"] == 4 * (2 + 2)
    assert doc["portfolio"] == "public-health"
    assert doc["against"] == "status-quo"
    assert doc["window"] == [2026, 2027]
    rows = doc["outputs"]["averted"]
    assert {r["parameter"] for r in rows} == set(params)
    assert set(rows[0]) == {"parameter", "S1", "S1_conf", "ST", "ST_conf"}
    with pytest.raises(SystemExit) as done:  # the table, in process
        main([*args[:5], "--method", "morris", "--samples", "2", *args[7:]])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "morris sensitivity of averted 2026–2027, public-health vs status-quo" in text
    assert all(p in text for p in params)
