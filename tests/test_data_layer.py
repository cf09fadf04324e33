"""The observed-data layer: catalogue, loading, provenance per row, period keys."""

from __future__ import annotations

import csv
import doctest
import importlib
from importlib import resources
from pathlib import Path

import pytest

from fentsim import data
from fentsim.data import TAGS, DataError, load, load_catalogue, parse_period
from fentsim.data.catalogue import parse_catalogue
from fentsim.errors import UserError

FILES = Path(str(resources.files("fentsim.data").joinpath("files")))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NAMES = [d.name for d in data.datasets()]


def raw_rows(file: str) -> list[dict[str, str]]:
    with open(FILES / file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_catalogue_names_every_shipped_file():
    files = {d.file for d in data.datasets()}
    assert files == {p.name for p in FILES.glob("*.csv")}
    expected = {
        "deaths_exclusive", "deaths_annual", "deaths_provisional", "demand_series", "cbp_seizures",
        "dea_purity", "mexico_homicides", "criminal_groups", "effect_sizes", "prices",
        "policy_timeline", "reference_facts",
    }  # fmt: skip
    assert set(NAMES) == expected
    for d in data.datasets():
        assert d.title and d.description and d.sources and d.units and d.provenance.rule


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_loads_with_source_and_provenance_per_row(name):
    df = load(name)
    assert len(df) > 0
    assert df["provenance"].isin(TAGS).all()
    assert df["source"].map(lambda s: isinstance(s, str) and s.strip() != "").all()
    assert "provenance_note" in df.columns
    if load_catalogue()[name].period_column:
        assert df["year"].dtype.kind == "i"
        assert df["annual"].dtype == bool


@pytest.mark.parametrize("name", NAMES)
def test_rows_match_the_shipped_file(name):
    entry = load_catalogue()[name]
    rows = raw_rows(entry.file)
    unique = {tuple(r.values()) for r in rows}
    assert len(load(name)) == len(unique)  # only exact duplicates are dropped


def test_load_returns_a_copy():
    df = load("cbp_seizures")
    df.loc[:, "lb"] = 0
    assert load("cbp_seizures")["lb"].max() == 27023


def test_unknown_dataset_is_a_user_error_listing_the_names():
    with pytest.raises(UserError) as exc:
        load("deaths")
    msg = str(exc.value)
    assert "deaths" in msg
    for name in NAMES:
        assert name in msg


@pytest.mark.skipif(not SHARED.is_dir(), reason="the project's shared/data folder is not present")
@pytest.mark.parametrize("path", sorted(SHARED.glob("*.csv")), ids=lambda p: p.name)
def test_shipped_files_are_verbatim_copies_of_the_reference_data(path):
    assert (FILES / path.name).read_bytes() == path.read_bytes()


# --- provenance rules ---------------------------------------------------------------------------


def test_annual_deaths_keep_the_upstream_tag_and_note_odd_flags():
    df = load("deaths_annual")
    raw = {
        (r["year"], r["series"]): r["provenance"] for r in raw_rows("us_overdose_deaths_annual.csv")
    }
    for row in df.itertuples():
        assert row.provenance == raw[(row.period, row.series)][0]
    odd = df[(df["year"] == 2023) & (df["series"] == "psychostim_t436")].iloc[0]
    assert (odd["provenance"], odd["provenance_note"]) == ("V", "upstream flag V*")
    assert len(df[(df["year"] == 2024) & (df["series"] == "total_drug")]) == 1  # duplicate dropped
    extract = df[df["series"] == "any_opioid_source_extract"]
    assert set(extract["source"]) == {load_catalogue()["deaths_annual"].source_by_tag["S"]}


def test_provisional_counts_are_tagged_p_unless_seen_only_on_an_aggregator():
    df = load("deaths_provisional").set_index("period")
    assert df.loc["2024-04", "provenance"] == "W"
    others = df.drop(index="2024-04")
    assert (others["provenance"] == "P").all()
    assert df.loc["2023-09", "provenance_note"] == "upstream flag V(approx)"
    assert df["annual"].to_dict() == {p: p.endswith("-12") for p in df.index}


def test_row_rules_of_the_single_source_files():
    dea = load("dea_purity").set_index("period")
    assert dea.loc["2021", "provenance"] == "V"  # DEA public safety alert
    assert dea.loc["2022", "provenance"] == "W"  # DEA NDTA via a news site
    hom = load("mexico_homicides").set_index("year")
    assert hom.loc[2024, "provenance"] == "P" and hom.loc[2023, "provenance"] == "W"
    groups = load("criminal_groups")
    assert groups.loc[groups["source"].str.startswith("CRS"), "provenance"].eq("V").all()
    assert groups.loc[groups["source"] == "Reforma compilation", "provenance"].item() == "W"
    assert set(load("deaths_exclusive")["provenance"]) == {"S"}
    assert set(load("cbp_seizures")["provenance"]) == {"W"}
    timeline = load("policy_timeline")
    assert timeline.loc[timeline["lever"] == "security_aid", "provenance"].item() == "M"
    assert (
        timeline.loc[timeline["source"].str.contains("press reports"), "provenance"].eq("W").all()
    )
    effects = load("effect_sizes")
    assert effects.loc[1, "source"] == effects.loc[0, "source"]  # "same" resolved to the row above


def test_demand_series_flags_sources_caveats():
    df = load("demand_series").set_index("year")
    assert not df.loc[2021, "annual"]
    assert df.loc[2020, "annual"]
    assert "back-cast" in df.loc[1999, "provenance_note"]


# --- period keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kind", "year", "annual"),
    [
        ("2019", "year", 2019, True),
        ("2019.0", "year", 2019, True),
        ("FY2024", "fiscal_year", 2024, True),
        ("2019Q1", "year", 2019, False),
        ("FY2025_Oct-Jan", "fiscal_year", 2025, False),
        ("2025_Oct-Jan", "year", 2025, False),
        ("2023-12", "month_end", 2023, True),
        ("2024-09", "month_end", 2024, False),
    ],
)
def test_period_keys(key, kind, year, annual):
    p = parse_period(key, kind)
    assert (p.key, p.year, p.annual) == (key.removesuffix(".0"), year, annual)


@pytest.mark.parametrize(
    ("key", "kind"), [("~2019", "year"), ("2024-13", "month_end"), ("2024", "month_end")]
)
def test_unreadable_period_keys_are_refused(key, kind):
    with pytest.raises(DataError, match="cannot be read"):
        parse_period(key, kind)


def test_partial_period_is_kept_but_not_annual():
    dea = load("dea_purity")
    q1 = dea[dea["period"] == "2019Q1"].iloc[0]
    assert (q1["year"], bool(q1["annual"]), q1["share_pills_ge_2mg"]) == (2019, False, 0.27)


# --- catalogue validation -----------------------------------------------------------------------


def _minimal(**dataset_overrides):
    tags = {t: {"meaning": t, "weight": 1.0} for t in TAGS}
    ds = {
        "file": "cbp_fentanyl_seizures.csv",
        "title": "t",
        "description": "d",
        "units": {"lb": "lb"},
        "sources": ["s"],
        "provenance": {"rule": "r", "default": "W"},
    }
    ds.update(dataset_overrides)
    return {"tags": tags, "datasets": {"x": ds}}


def test_minimal_catalogue_parses():
    assert parse_catalogue(_minimal())["x"].provenance.default == "W"


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"file": "nope.csv"}, "file 'nope.csv'"),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"provenance": {"rule": "r", "default": "X"}}, "tag 'X'"),
        ({"period": {"column": "fiscal_year", "kind": "decade"}}, "period kind 'decade'"),
        (
            {"provenance": {"rule": "r", "default": "W", "cases": [{"column": "a", "tag": "V"}]}},
            "exactly one of",
        ),
    ],
)
def test_malformed_catalogue_entries_are_refused(override, fragment):
    with pytest.raises(DataError, match=r"datasets\.x") as exc:
        parse_catalogue(_minimal(**override))
    assert fragment in str(exc.value)


def test_tag_weights_must_be_in_unit_interval():
    raw = _minimal()
    raw["tags"]["W"]["weight"] = 1.5
    with pytest.raises(DataError, match=r"tags\.W"):
        parse_catalogue(raw)


def test_weights_come_from_the_catalogue():
    cat = load_catalogue()
    assert data.provenance_weights() == {t: cat.tags[t].weight for t in TAGS}
    assert data.provenance_weights() == {"V": 1.0, "S": 1.0, "P": 0.7, "M": 0.5, "W": 0.3}


@pytest.mark.parametrize(
    "module",
    [
        "fentsim.data",
        "fentsim.data.catalogue",
        "fentsim.data.loader",
        "fentsim.data.periods",
        "fentsim.data.targets",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0
