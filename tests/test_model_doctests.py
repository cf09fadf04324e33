"""The docstring examples of the model's kernel modules run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "fentsim.model.vmath",
    "fentsim.model.flows",
    "fentsim.model.demand_setup",
    "fentsim.model.demand_ledger",
    "fentsim.model.demand",
    "fentsim.model.blocks",
    "fentsim.model.recorder",
    "fentsim.model.table_pool",
    "fentsim.model.supply_io",
    "fentsim.model.coupled_run",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
