"""End-to-end: ``fentsim claims`` run as a subprocess."""

from __future__ import annotations

import json

from cli_helpers import run_cli as fentsim

CLAIM = """
[[claims]]
id = "x1"
claim = "more than 100,000 fentanyl deaths in 2021"
quantity = {{ what = "T40.4 deaths 2021", asserted = {asserted}, unit = "deaths", compare = "at_least" }}
method = {{ fn = "value", dataset = "deaths_annual", column = "deaths", year = 2021, where = {{ series = "synthetic_t404" }} }}
tolerance = {{ supported = 0.0, roughly = 0.10 }}
sources = ["test fixture"]
"""


def test_claims_json_without_the_model():
    res = fentsim("claims", "--no-model", "--json")
    assert res.returncode == 0, res.stderr
    records = {r["id"]: r for r in json.loads(res.stdout)}
    for r in records.values():
        assert {"id", "claim", "verdict", "computed", "sources"} <= set(r)
        assert r["sources"]
    assert records["a"]["verdict"] == "wrong" and records["a"]["computed"] == 70601
    assert records["h2"]["verdict"] == "supported"
    assert records["i"]["verdict"] == "not evaluated" and "--no-model" in records["i"]["reason"]


def test_claims_table_without_the_model():
    res = fentsim("claims", "--no-model")
    assert res.returncode == 0, res.stderr
    assert "supported" in res.stdout and "not evaluated" in res.stdout


def test_claims_file_argument_and_computed_verdict(tmp_path):
    for asserted, verdict in ((100000, "wrong"), (70000, "supported")):
        path = tmp_path / f"c{asserted}.toml"
        path.write_text(CLAIM.format(asserted=asserted))
        res = fentsim("claims", str(path), "--json", "--no-model")
        assert res.returncode == 0, res.stderr
        (record,) = json.loads(res.stdout)
        assert (record["computed"], record["verdict"]) == (70601, verdict)


def test_malformed_claims_file_exits_2_naming_claim_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(CLAIM.format(asserted='"lots"'))
    res = fentsim("claims", str(path), "--no-model")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "x1" in lines[0] and "quantity.asserted" in lines[0]


def test_missing_claims_file_exits_2(tmp_path):
    res = fentsim("claims", str(tmp_path / "absent.toml"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "not found" in res.stderr
