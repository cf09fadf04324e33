"""The parameter registry: validation and deterministic designs."""

from __future__ import annotations

import numpy as np
import pytest

from fentsim.errors import UserError
from fentsim.params import RegistryError, load_registry, sample
from fentsim.params.registry import parse_registry_text

GOOD = """
[x]
group = "demand"
unit = "1/yr"
value = 0.5
prior = { dist = "uniform", low = 0.1, high = 1.0 }
source = "test"
"""


def test_shipped_registry_is_valid_and_sourced():
    reg = load_registry()
    assert len(reg) > 40
    for p in reg.values():
        assert p.source.strip()
        assert p.prior.contains(p.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('source = "test"', 'source = "test"\ncolour = "red"'), "unknown key"),
        (GOOD.replace('"1/yr"', '"furlongs"'), "unit 'furlongs' is not allowed"),
        (GOOD.replace("value = 0.5", "value = 2.0"), "outside its prior's support"),
        (GOOD.replace('dist = "uniform"', 'dist = "cauchy"'), "prior.dist"),
        (GOOD.replace("low = 0.1", "low = 2.0"), "low < high"),
        (GOOD.replace('source = "test"', ""), "missing source"),
        (GOOD.replace("value = 0.5", 'value = "half"'), "must be a number"),
        ("[x\nbad", "not valid TOML"),
    ],
)
def test_registry_errors_name_the_problem(text, message):
    with pytest.raises(RegistryError, match=message):
        parse_registry_text(text, "test.toml")


def test_registry_errors_are_user_errors():
    assert issubclass(RegistryError, UserError)


def test_overrides_checked_against_registry():
    reg = load_registry()
    with pytest.raises(RegistryError, match="did you mean"):
        reg.check_overrides({"od_rate_ilicit_oud": 0.2})
    with pytest.raises(RegistryError, match="outside its allowed range"):
        reg.check_overrides({"od_rate_illicit_oud": 5.0})


@pytest.mark.parametrize("method", ["lhs", "sobol", "mc"])
def test_designs_are_deterministic_per_run_index(method):
    reg = load_registry()
    whole = sample(reg, 64, seed=9, method=method)
    again = sample(reg, 64, seed=9, method=method)
    part = sample(reg, 64, seed=9, method=method, start=20, stop=45)
    other = sample(reg, 64, seed=10, method=method)
    for name in reg.uncertain:
        np.testing.assert_array_equal(whole[name], again[name])
        np.testing.assert_array_equal(whole[name][20:45], part[name])
    assert any(not np.array_equal(whole[n], other[n]) for n in reg.uncertain)


def test_draws_stay_inside_prior_support():
    reg = load_registry()
    ps = sample(reg, 256, seed=1)
    for name in reg.uncertain:
        lo, hi = reg[name].prior.support
        assert (ps[name] >= lo).all() and (ps[name] <= hi).all(), name


def test_latin_hypercube_stratifies_each_dimension():
    reg = load_registry()
    n = 50
    ps = sample(reg, n, seed=4, method="lhs", names=["od_rate_illicit_oud"])
    prior = reg["od_rate_illicit_oud"].prior
    lo, hi = prior.support
    strata = np.floor((ps["od_rate_illicit_oud"] - lo) / (hi - lo) * n).astype(int)
    assert sorted(strata.tolist()) == list(range(n))
