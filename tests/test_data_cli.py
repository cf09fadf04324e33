"""End-to-end: ``fentsim data list|show|targets`` run as a subprocess."""

from __future__ import annotations

import json

from cli_helpers import run_cli as fentsim
from fentsim.data import datasets


def test_data_list_shows_every_dataset():
    res = fentsim("data", "list")
    assert res.returncode == 0, res.stderr
    for d in datasets():
        assert d.name in res.stdout


def test_data_list_json():
    res = fentsim("data", "list", "--json")
    assert res.returncode == 0, res.stderr
    entries = {e["name"]: e for e in json.loads(res.stdout)}
    assert entries["cbp_seizures"]["rows"] == 8
    assert all(e["sources"] and e["title"] for e in entries.values())


def test_data_show_json_has_source_and_provenance_per_row():
    res = fentsim("data", "show", "cbp_seizures", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["name"] == "cbp_seizures" and doc["sources"]
    assert len(doc["rows"]) == 8
    assert all(r["source"] and r["provenance"] in "VSPMW" for r in doc["rows"])
    fy2023 = next(r for r in doc["rows"] if r["year"] == 2023)
    assert (fy2023["lb"], fy2023["provenance"]) == (27023, "W")


def test_data_show_table():
    res = fentsim("data", "show", "dea_purity")
    assert res.returncode == 0, res.stderr
    assert "2019Q1" in res.stdout and "provenance" in res.stdout


def test_data_targets_json():
    res = fentsim("data", "targets", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["opioid_deaths"]["rows"][-1]["provenance"] == "P"
    assert {r["year"] for r in doc["opioid_deaths"]["rows"]} == set(range(1999, 2025))


def test_unknown_dataset_exits_2_with_one_line_and_no_traceback():
    res = fentsim("data", "show", "no_such_data")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "no_such_data" in lines[0] and "cbp_seizures" in lines[0] and "deaths_annual" in lines[0]
