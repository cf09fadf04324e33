"""End to end: ``fentsim levers``, ``portfolios`` and ``compare`` through a real subprocess."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run_cli as fentsim
from fentsim.analysis.compare import METRICS
from fentsim.cli import main
from fentsim.policy import levers, presets


def test_levers_json():
    proc = fentsim("levers", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [lv["name"] for lv in out["levers"]] == list(levers())
    nx = next(lv for lv in out["levers"] if lv["name"] == "naloxone")
    assert nx["range"] == [0.0, 30.0] and nx["unit"].startswith("additional kits")
    assert nx["cost_parameters"]["cost_naloxone_kit"]["value"] == 75
    assert nx["cost_parameters"]["cost_naloxone_kit"]["source"]
    mc = next(lv for lv in out["levers"] if lv["name"] == "military_campaign")
    assert mc["options"]["target_mix"]["keys"] == ["leadership", "labs", "nodes"]


def test_portfolios_json():
    proc = fentsim("portfolios", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [p["name"] for p in out["portfolios"]] == list(presets())
    essay = next(p for p in out["portfolios"] if p["name"] == "essay")
    assert essay["levers"]["military_campaign"]["schedule"][0]["intensity"] == 30
    assert essay["levers"]["military_campaign"]["options"]["consent"] is False
    assert essay["sources"] and essay["description"]


def test_tables_render_in_process(capsys):
    for cmd in (["levers"], ["portfolios"]):
        with pytest.raises(SystemExit) as exc:
            main(cmd)
        assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    assert "military_campaign" in out and "essay+public-health" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["compare"], "at least one PORTFOLIO"),
        (["compare", "status-quo", "--exposure", "imagined"], "--exposure"),
        (["compare", "status-quo", "--runs", "0"], "--runs"),
        (["compare", "status-quo", "esay"], "did you mean 'essay'"),
        (["compare", "status-quo", "--from", "2030", "--to", "2026", "--runs", "1"], "first year"),
    ],
)
def test_compare_argument_errors_exit_2(args, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and fragment in err and "Traceback" not in err


def test_compare_json_end_to_end(tmp_path):
    scenario = tmp_path / "cheap.toml"
    scenario.write_text(
        'name = "cheap-naloxone"\n[levers.naloxone]\nintensity = 5\n[overrides]\ncost_naloxone_kit = 30\n'
    )
    proc = fentsim(
        "compare", "status-quo", "essay", "--scenario", str(scenario),
        "--runs", "4", "--seed", "3", "--from", "2026", "--to", "2027", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert out["window"] == [2026, 2027] and out["reference"] == "status-quo"
    assert list(out["portfolios"]) == ["status-quo", "essay", "cheap-naloxone"]
    for metrics in out["portfolios"].values():
        assert list(metrics) == list(METRICS)
        assert set(metrics["deaths"]) == {"mean", "p05", "p95"}
    assert out["portfolios"]["cheap-naloxone"]["averted"]["mean"] > 0
    assert out["portfolios"]["essay"]["cost_usd"]["mean"] > 0
