"""Scenario files: valid ones load; every malformed fixture is refused by the CLI (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fentsim.cli import main
from fentsim.errors import UserError
from fentsim.model.clock import Clock
from fentsim.policy import compile_plan, load_scenario, parse_scenario
from fentsim.policy.scenario import ScenarioError

FIXTURES = Path(__file__).parent / "scenarios"

#: fixture → text the one-line message must contain (field, bad value or what is allowed)
EXPECTED: dict[str, list[str]] = {
    "unknown_lever": ["levers.nalxone", "did you mean 'naloxone'"],
    "unknown_lever_far": ["levers.teleportation", "known levers"],
    "negative_intensity": ["levers.naloxone.intensity = -3", "negative", "allowed: 0 to 30"],
    "intensity_above_max": ["levers.naloxone.intensity = 100", "out of range"],
    "intensity_string": ["levers.moud_access.intensity", "'lots'", "number"],
    "intensity_bool": ["levers.drug_checking.intensity", "number"],
    "intensity_nan": ["levers.prevention.intensity", "not finite"],
    "binary_fraction": ["levers.terrorist_designation.intensity = 0.5", "0 or 1"],
    "bad_start_month": ["levers.naloxone.start", "2026-13", "YYYY-MM"],
    "bad_start_format": ["levers.naloxone.start", "next year"],
    "start_before_model": ["levers.naloxone.start", "1990", "1999"],
    "start_float": ["levers.naloxone.start", "2026.5"],
    "bad_end_month": ["levers.naloxone.end", "2030-00"],
    "end_before_start": ["levers.security_aid", "end 2027-06 is before start 2030-01"],
    "ramp_negative": ["levers.naloxone.ramp = -1", "allowed: 0 to 50"],
    "ramp_string": ["levers.naloxone.ramp", "two years"],
    "ramp_down_without_end": ["levers.naloxone", "ramp_down needs an end"],
    "unknown_schedule_key": ["levers.naloxone.stat", "did you mean 'start'"],
    "unknown_top_key": ["lever", "did you mean 'levers'"],
    "levers_not_table": ["levers = 'naloxone'", "table"],
    "lever_not_table": ["levers.naloxone = 5", "table"],
    "empty_phase_list": ["levers.naloxone", "empty list"],
    "phases_exceed_max": ["levers.naloxone", "add up to 40", "allowed: 0 to 30"],
    "unknown_override": ["overrides", "cost_nalxone_kit", "did you mean 'cost_naloxone_kit'"],
    "override_out_of_support": ["overrides", "cost_naloxone_kit=1000", "[20, 140]"],
    "override_string": ["overrides", "cost_naloxone_kit", "'cheap'"],
    "overrides_not_table": ["overrides = 5", "table"],
    "duplicate_key": ["not valid TOML", "line 3", "defined twice"],
    "duplicate_table": ["not valid TOML", "twice"],
    "empty": ["empty"],
    "comments_only": ["only comments"],
    "not_toml_json": ["not valid TOML", "line 1"],
    "not_toml_yaml": ["not valid TOML"],
    "target_mix_sum": ["levers.military_campaign.target_mix", "sum to 0.9", "must sum to 1"],
    "target_mix_unknown_key": [
        "levers.military_campaign.target_mix",
        "ports",
        "leadership, labs, nodes",
    ],
    "target_mix_missing_key": ["levers.military_campaign.target_mix", "missing nodes"],
    "target_mix_negative": ["levers.military_campaign.target_mix", "[0, 1]"],
    "target_mix_not_table": ["levers.military_campaign.target_mix = 'labs'", "table"],
    "consent_string": ["levers.military_campaign.consent = 'yes'", "true or false"],
    "option_on_wrong_lever": ["levers.naloxone.target_mix", "unknown key"],
    "include_unknown": ["include = 'esay'", "did you mean 'essay'"],
    "include_conflict": ["military_campaign", "'essay'", "'all-levers'"],
    "name_not_string": ["name = 5", "string"],
}


def test_at_least_25_malformed_fixtures_and_each_has_expectations():
    names = sorted(p.stem for p in FIXTURES.glob("*.toml"))
    assert len(names) >= 25
    assert names == sorted(EXPECTED)


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_malformed_scenario_is_refused_by_the_cli(stem: str, capsys):
    path = str(FIXTURES / f"{stem}.toml")
    code, _, err = run_cli(["compare", "status-quo", path, "--runs", "1"], capsys)
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"fentsim: error: {path}:")
    for fragment in EXPECTED[stem]:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("stem", ["unknown_lever", "duplicate_key"])
def test_malformed_scenario_subprocess_exit_2_without_traceback(stem: str):
    path = str(FIXTURES / f"{stem}.toml")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fentsim.cli",
            "compare",
            "status-quo",
            "--scenario",
            path,
            "--runs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and path in proc.stderr


def test_errors_are_user_errors_with_one_line(tmp_path):
    for f in FIXTURES.glob("*.toml"):
        with pytest.raises(ScenarioError) as exc:
            load_scenario(f)
        assert isinstance(exc.value, UserError)
        assert "\n" not in str(exc.value)


def test_binary_missing_and_directory_files_are_refused(tmp_path, capsys):
    blob = tmp_path / "blob.toml"
    blob.write_bytes(b"\xff\xfe\x00\x01binary")
    missing = tmp_path / "missing.toml"
    for path, fragment in (
        (blob, "not a text file"),
        (missing, "no such scenario file"),
        (tmp_path, "not a file"),
    ):
        code, _, err = run_cli(["check-scenario", str(path)], capsys)
        assert code == 2 and fragment in err and "Traceback" not in err


def test_a_full_scenario_loads_and_compiles(tmp_path):
    text = """
name = "my-mix"
description = "naloxone now, a short military campaign later"
sources = ["test"]

[levers.naloxone]
intensity = 4
start = "2026"
ramp = 1
source = "a guess"

[[levers.military_campaign]]
intensity = 10
start = "2027-07"
end = "2028-06"
ramp_down = 0.5
target_mix = { leadership = 0.2, labs = 0.5, nodes = 0.3 }
consent = true

[[levers.military_campaign]]
intensity = 5
start = "2030"

[overrides]
cost_naloxone_kit = 40
"""
    path = tmp_path / "mix.toml"
    path.write_text(text)
    pf = load_scenario(path)
    assert pf.name == "my-mix" and pf.overrides == {"cost_naloxone_kit": 40.0}
    assert len(pf.levers["military_campaign"].phases) == 2
    clock = Clock(2026, 2031)
    plan = compile_plan(pf, clock)
    mc = plan.levels["military_campaign"]
    assert mc[clock.month(2027, 6)] == 0 and mc[clock.month(2027, 7)] == 10
    assert mc[clock.month(2028, 12)] == 0 and mc[clock.month(2030)] == 5
    assert plan.option("military_campaign", "target_mix") == {
        "leadership": 0.2,
        "labs": 0.5,
        "nodes": 0.3,
    }
    assert plan.option("military_campaign", "consent") is True
    np.testing.assert_allclose(plan.levels["naloxone"][11:], 4.0)


def test_defaults_include_and_relative_include(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text("[levers.prevention]\nintensity = 0.2\n")
    top = tmp_path / "top.toml"
    top.write_text('include = ["public-health", "base.toml"]\n[levers.naloxone]\nintensity = 8\n')
    pf = load_scenario(top)
    assert pf.levers["naloxone"].phases[0].intensity == 8  # the file's own setting wins
    assert pf.levers["prevention"].phases[0].start.year == 2026  # default start
    assert "moud_access" in pf.levers
    minimal = parse_scenario("[levers.naloxone]", "x.toml")
    assert minimal.levers["naloxone"].phases[0].intensity == 5  # catalogue default


def test_include_cycle_is_refused(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('include = ["b.toml"]\n')
    b.write_text('include = ["a.toml"]\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)


def test_check_scenario_command_accepts_a_valid_file(tmp_path, capsys):
    path = tmp_path / "ok.toml"
    path.write_text("[levers.naloxone]\nintensity = 3\n")
    code, out, _ = run_cli(["check-scenario", str(path)], capsys)
    assert code == 0 and "ok" in out and "naloxone" in out
