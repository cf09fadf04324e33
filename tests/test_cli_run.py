"""``fentsim run`` end to end, and refusal of bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import json

import pytest

OUTCOMES = ("opioid_deaths", "opioid_deaths_rx", "opioid_deaths_heroin", "opioid_deaths_synthetic",
            "people_with_oud", "people_in_moud")  # fmt: skip


def test_run_json(cli):
    r = cli(
        "run", "--runs", "5", "--seed", "3", "--end", "2030", "--exposure", "observed", "--json"
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["years"][0] == 1999 and doc["years"][-1] == 2030
    for name in OUTCOMES:
        q = doc["outcomes"][name]
        assert set(q) >= {"mean", "p05", "p50", "p95"}
        assert len(q["mean"]) == len(doc["years"])
        assert all(lo <= hi + 1e-9 for lo, hi in zip(q["p05"], q["p95"], strict=True))


def test_run_is_reproducible(cli):
    args = (
        "run",
        "--runs",
        "4",
        "--seed",
        "8",
        "--end",
        "2027",
        "--exposure",
        "observed",
        "--json",
    )
    assert cli(*args).stdout == cli(*args).stdout


def test_run_table(cli):
    r = cli("run", "--runs", "3", "--end", "2026", "--exposure", "observed")
    assert r.returncode == 0, r.stderr
    assert "opioid_deaths" in r.stdout and "2026" in r.stdout


def test_run_scenario_file(cli, tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('name = "mine"\n[levers.naloxone]\nintensity = 2.0\nstart = "2026"\n')
    r = cli(
        "run",
        "--scenario",
        str(f),
        "--runs",
        "3",
        "--end",
        "2028",
        "--exposure",
        "observed",
        "--json",
    )
    assert r.returncode == 0, r.stderr


BAD_SCENARIOS = {
    "malformed.toml": "name = 'x'\n[levers.naloxone\nintensity = 1\n",
    "negative.toml": 'name = "x"\n[levers.naloxone]\nintensity = -1.0\nstart = "2026"\n',
    "override.toml": 'name = "x"\n[overrides]\nno_such_parameter = 1.0\n',
}


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--portfolio", "no-such-portfolio"),
        ("run", "--runs", "-3"),
        ("run", "--end", "1990"),
        ("run", "--exposure", "imagined"),
        (
            "run",
            "--outcomes",
            "happiness",
            "--runs",
            "2",
            "--end",
            "2025",
            "--exposure",
            "observed",
        ),
    ],
)
def test_bad_arguments_exit_2(cli, args):
    r = cli(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip()


@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_bad_scenarios_exit_2(cli, tmp_path, name):
    f = tmp_path / name
    f.write_text(BAD_SCENARIOS[name])
    r = cli("run", "--scenario", str(f), "--runs", "2", "--end", "2026", "--exposure", "observed")
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert name in lines[0] or "no_such_parameter" in lines[0] or "intensity" in lines[0]


def test_demo_compares_the_four_portfolios(cli):
    r = cli("demo", "--runs", "20", "--seed", "2", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    for name in ("status-quo", "essay", "public-health", "essay+public-health"):
        assert name in r.stdout
    assert "deaths averted" in r.stdout
