"""``fentsim validate`` and ``fentsim calibrate`` end to end on the real epidemic model, with a
tiny sampler (few particles, few moves) so it takes seconds; user errors exit 2 with one line."""

from __future__ import annotations

import json

import pytest

from fentsim.calibration.bayes import SMCSettings
from fentsim.calibration.posterior_io import load_posterior
from fentsim.calibration.validate import CALIBRATED_LAYERS, calibrated_names
from fentsim.cli import main
from fentsim.cli.calibrate_cmd import SMC_MOVES
from fentsim.params import load_registry

TINY = ["--draws", "48", "--particles", "16", "--groups", "2", "--max-moves", "2", "--seed", "3"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_json_schema(capsys):
    code, out, err = run(capsys, "validate", "--through", "2019", "--json", *TINY)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["through"] == 2019
    assert {"through", "series", "coverage", "mape"} <= set(doc)
    deaths = doc["series"]["opioid_deaths"]
    assert set(deaths) == {"years", "observed", "mean", "p05", "p95"}
    assert deaths["years"][0] == 2020 and deaths["years"][-1] >= 2024
    n = len(deaths["years"])
    assert all(len(deaths[k]) == n for k in ("observed", "mean", "p05", "p95"))
    assert all(lo <= hi for lo, hi in zip(deaths["p05"], deaths["p95"], strict=True))
    assert set(doc["coverage"]) == set(doc["series"]) == set(doc["mape"])
    assert 0.0 <= doc["coverage"]["opioid_deaths"] <= 1.0 and doc["mape"]["opioid_deaths"] >= 0.0
    for series in doc["series"].values():  # only years after the cut-off are scored
        assert min(series["years"]) > 2019


def test_calibrate_stores_a_loadable_posterior(capsys, tmp_path):
    out_file = tmp_path / "post.npz"
    code, out, err = run(
        capsys, "calibrate", "--through", "2018", "--out", str(out_file), "--json", *TINY
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["posterior"] == str(out_file) and out_file.with_suffix(".json").exists()
    post = load_posterior(out_file)
    assert post.meta["through"] == 2018 and post.meta["seed"] == 3 and post.n_draws == 16
    assert post.values.shape == (16, len(post.names))
    assert {"opioid_deaths", "people_in_moud"} <= set(doc["fit"])
    # observed exposure: the demand layer's calibrate = true parameters, nothing else
    assert post.names == calibrated_names(load_registry(), CALIBRATED_LAYERS["observed"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "--through", "2030"], "--through 2030"),
        (["validate", "--through", "2019", "--exposure", "magic"], "--exposure"),
        (["calibrate", "--draws", "10", "--particles", "100"], "--draws"),
    ],
)
def test_user_errors_are_one_line(capsys, args, needle):
    code, _, err = run(capsys, *args)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_cli_default_moves_match_the_sampler():
    assert SMCSettings().max_moves == SMC_MOVES
