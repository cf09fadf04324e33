"""Calibration targets: documented years, values matching the raw CSV, weights from provenance."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from fentsim.data import TAGS, observed_series, provenance_weights

FILES = Path(str(resources.files("fentsim.data").joinpath("files")))
TARGETS = observed_series()

# name: (first year, last year, number of figures)
DOCUMENTED = {
    "opioid_deaths": (1999, 2024, 26),
    "opioid_deaths_rx": (1999, 2020, 22),
    "opioid_deaths_heroin": (1999, 2020, 22),
    "opioid_deaths_synthetic": (1999, 2020, 22),
    "synthetic_opioid_deaths_t404": (1999, 2024, 26),
    "rx_misuse": (1999, 2020, 22),
    "rx_oud": (1999, 2020, 22),
    "heroin_use_disorder": (1999, 2020, 22),
    "heroin_use_nondisordered": (1999, 2020, 22),
    "buprenorphine_patients": (2003, 2020, 18),
    "methadone_clients": (1999, 2020, 22),
    "fentanyl_share_nflis": (2007, 2020, 13),
    "cbp_seizures_lb": (2013, 2024, 8),
    "dea_pills_ge_2mg_share": (2017, 2024, 5),
    "dea_powder_purity": (2022, 2024, 3),
    "mexico_homicides": (2006, 2024, 19),
    "criminal_groups": (2006, 2023, 8),
}


def raw(file: str) -> list[dict[str, str]]:
    with open(FILES / file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def at(name: str, year: int) -> tuple[float, str, float]:
    f = TARGETS[name].frame
    row = f[f["year"] == year]
    assert len(row) == 1, f"{name} {year}: {len(row)} rows"
    r = row.iloc[0]
    return float(r["value"]), str(r["provenance"]), float(r["weight"])


def test_the_documented_targets_exist():
    assert set(TARGETS) == set(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_target_years_and_shape(name):
    t = TARGETS[name]
    first, last, n = DOCUMENTED[name]
    assert (t.year.min(), t.year.max(), len(t.frame)) == (first, last, n)
    assert np.all(np.diff(t.year) >= 0)
    assert np.isfinite(t.value).all()
    assert t.frame["provenance"].isin(TAGS).all()
    weights = provenance_weights()
    assert (t.weight == t.frame["provenance"].map(weights).to_numpy()).all()
    assert t.title and t.unit and t.description


def test_total_opioid_deaths_splice():
    annual = {
        (r["year"], r["series"]): float(r["deaths"]) for r in raw("us_overdose_deaths_annual.csv")
    }
    prov = {r["period_end"]: r for r in raw("us_overdose_deaths_12mo_provisional.csv")}
    for y in range(1999, 2021):
        assert at("opioid_deaths", y)[:2] == (annual[(str(y), "any_opioid_source_extract")], "S")
    assert at("opioid_deaths", 2021) == (annual[("2021", "any_opioid")], "V", 1.0)
    assert at("opioid_deaths", 2022)[0] == annual[("2022", "any_opioid")]
    # 2023 any_opioid is absent from the annual file: the December provisional window fills it
    assert ("2023", "any_opioid") not in annual
    assert at("opioid_deaths", 2023) == (float(prov["2023-12"]["any_opioid"]), "P", 0.7)
    assert at("opioid_deaths", 2024) == (float(prov["2024-12"]["any_opioid"]), "P", 0.7)


def test_exclusive_categories_match_the_csv():
    rows = {int(r["year"]): r for r in raw("us_opioid_deaths_exclusive_1999_2020.csv")}
    for y, r in rows.items():
        assert at("opioid_deaths_rx", y)[0] == float(r["rx_alloc"])
        assert at("opioid_deaths_heroin", y)[0] == float(r["heroin_nosynth_alloc"])
        synth = float(r["synth_noheroin_alloc"]) + float(r["synth_plus_heroin_alloc"])
        assert at("opioid_deaths_synthetic", y) == (synth, "S", 1.0)
    assert at("opioid_deaths_synthetic", 2020)[0] == 48355 + 9191


def test_synthetic_t404_uses_upstream_tags_and_provisional_2024():
    annual = {
        int(r["year"]): (float(r["deaths"]), r["provenance"])
        for r in raw("us_overdose_deaths_annual.csv")
        if r["series"] == "synthetic_t404"
    }
    for y, (v, tag) in annual.items():
        assert at("synthetic_opioid_deaths_t404", y)[:2] == (v, tag)
    assert at("synthetic_opioid_deaths_t404", 2022) == (73838.0, "W", 0.3)
    assert at("synthetic_opioid_deaths_t404", 2024) == (48422.0, "P", 0.7)


def test_demand_targets_match_the_csv():
    rows = {int(r["year"]): r for r in raw("us_demand_series_1999_2021.csv")}
    assert at("rx_oud", 2010)[0] == float(rows[2010]["rx_oud_no_heroin_nsduh"]) + float(
        rows[2010]["rx_oud_with_heroin_nsduh"]
    )
    assert at("heroin_use_disorder", 2016)[0] == float(
        rows[2016]["heroin_use_disorder_rand_adjusted"]
    )
    assert at("heroin_use_nondisordered", 2020)[0] == float(
        rows[2020]["nondisordered_heroin_use_nsduh_raw"]
    )
    assert at("rx_misuse", 1999)[0] == float(rows[1999]["rx_misuse_no_heroin_nsduh"])
    assert at("buprenorphine_patients", 2003)[0] == float(
        rows[2003]["buprenorphine_patients_per_year"]
    )
    assert at("methadone_clients", 2020)[0] == float(rows[2020]["methadone_otp_clients_single_day"])
    share = TARGETS["fentanyl_share_nflis"]
    assert 2012 not in share.year and 2021 not in share.year  # SOURCE gap; partial year
    assert at("fentanyl_share_nflis", 2020)[0] == float(
        rows[2020]["fentanyl_share_heroin_fentanyl_nflis"]
    )


def test_supply_and_violence_targets_match_the_csv():
    cbp = {int(r["fiscal_year"]): float(r["lb"]) for r in raw("cbp_fentanyl_seizures.csv")}
    assert (
        dict(zip(TARGETS["cbp_seizures_lb"].year, TARGETS["cbp_seizures_lb"].value, strict=True))
        == cbp
    )
    pills = TARGETS["dea_pills_ge_2mg_share"]
    assert list(pills.year) == [2017, 2021, 2022, 2023, 2024]  # 2019Q1 excluded
    assert at("dea_powder_purity", 2024)[0] == pytest.approx(0.1136)
    assert at("mexico_homicides", 2020) == (36773.0, "W", 0.3)
    assert at("mexico_homicides", 2024) == (33241.0, "P", 0.7)
    groups = TARGETS["criminal_groups"].frame
    assert sorted(groups.loc[groups["year"] == 2006, "value"]) == [4.0, 7.0]


def test_targets_are_fresh_copies():
    t = observed_series()["opioid_deaths"]
    t.frame.loc[:, "value"] = 0.0
    assert observed_series()["opioid_deaths"].value.max() > 0
