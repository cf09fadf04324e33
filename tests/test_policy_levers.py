"""The lever catalogue: complete, validated, and priced by registry parameters with sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fentsim.params import load_registry
from fentsim.policy import Lever, lever, levers
from fentsim.policy.catalogue import CatalogueError, UnknownLeverError, parse_catalogue

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def architecture_levers() -> list[str]:
    """Lever names in the fixed table of docs/architecture.md, in order."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Lever names", 1)[1].split("##", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_catalogue_has_exactly_the_architecture_levers_in_order():
    names = architecture_levers()
    assert len(names) == 17
    assert list(levers()) == names


@pytest.mark.parametrize("name", list(levers()))
def test_every_lever_is_complete(name: str):
    lv = levers()[name]
    assert isinstance(lv, Lever)
    assert lv.title and lv.description and lv.unit and lv.evidence
    lo, hi = lv.range
    assert 0 <= lo < hi
    assert lo <= lv.default <= hi
    assert lv.channels and all(c.direction in "+-" for c in lv.channels)
    assert lv.acts_in


@pytest.mark.parametrize("name", list(levers()))
def test_every_cost_parameter_is_in_the_registry_with_a_source(name: str):
    reg = load_registry()
    for param in levers()[name].cost.parameters:
        p = reg[param]
        assert p.group.startswith("levers."), param
        assert p.source.strip(), param
        assert p.prior.contains(p.value)
        assert p.value > 0


def test_cost_parameters_are_owned_by_the_lever_registry_only():
    reg = load_registry()
    used = {p for lv in levers().values() for p in lv.cost.parameters}
    assert used == set(reg.group("levers."))


def test_military_campaign_options():
    mc = lever("military_campaign")
    mix = mc.options["target_mix"]
    assert mix.keys == ("leadership", "labs", "nodes")
    assert abs(sum(mc.default_options()["target_mix"].values()) - 1) < 1e-9
    assert mc.default_options()["consent"] is False
    assert mix.check({"leadership": 0.5, "labs": 0.5, "nodes": 0.0}) is None
    assert "sum to" in mix.check({"leadership": 0.5, "labs": 0.4, "nodes": 0.0})
    assert mc.options["consent"].check("yes")


def test_mexican_cooperation_and_enabling():
    assert lever("security_aid").needs_mexico_cooperation
    assert not lever("naloxone").needs_mexico_cooperation
    assert set(lever("terrorist_designation").enables) == {
        "financial_sanctions",
        "military_campaign",
    }
    assert lever("terrorist_designation").binary


def test_intensity_checks_name_what_is_allowed():
    nx = lever("naloxone")
    assert nx.check_intensity(5) is None
    assert "negative" in nx.check_intensity(-1)
    assert "out of range" in nx.check_intensity(31)
    assert "number" in nx.check_intensity("5")
    assert lever("terrorist_designation").check_intensity(0.5)


def test_unknown_lever_suggests_the_closest():
    with pytest.raises(UnknownLeverError, match="did you mean 'naloxone'"):
        lever("nalaxone")


def test_levers_returns_a_copy():
    cat = levers()
    cat.pop("naloxone")
    assert "naloxone" in levers()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[x]\ntitle='t'", "missing"),
        (
            "[x]\ntitle='t'\ndescription='d'\nunit='u'\nrange=[1,0]\ndefault=0\nchannels=[]\ncost={recurring=['c']}",
            "range",
        ),
        (
            "[x]\ntitle='t'\ndescription='d'\nunit='u'\nrange=[0,1]\ndefault=0\n"
            "channels=[{channel='a', direction='up'}]\ncost={recurring=['c']}",
            "channel",
        ),
        (
            "[x]\ntitle='t'\ndescription='d'\nunit='u'\nrange=[0,1]\ndefault=2\nchannels=[{channel='a', direction='+'}]\ncost={recurring=['c']}",
            "default",
        ),
        (
            "[x]\ntitle='t'\ndescription='d'\nunit='u'\nrange=[0,1]\ndefault=0\nchannels=[{channel='a', direction='+'}]\ncost={}",
            "cost",
        ),
        ("[x]\nfoo=1", "unknown key"),
        ("not toml =", "not valid TOML"),
    ],
)
def test_malformed_catalogue_is_refused(text: str, match: str):
    with pytest.raises(CatalogueError, match=match):
        parse_catalogue(text)
