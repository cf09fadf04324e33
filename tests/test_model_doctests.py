"""The docstring examples of every model module run as tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fentsim.model

MODULES = sorted(m.name for m in pkgutil.iter_modules(fentsim.model.__path__, "fentsim.model."))
#: modules whose public functions must keep at least one example
WITH_EXAMPLES = (
    "fentsim.model.vmath", "fentsim.model.flows", "fentsim.model.demand_setup",
    "fentsim.model.demand_ledger", "fentsim.model.demand", "fentsim.model.blocks",
    "fentsim.model.recorder", "fentsim.model.table_pool", "fentsim.model.supply_io",
    "fentsim.model.coupled_run", "fentsim.model.inputs", "fentsim.model.heap",
    "fentsim.model.param_rows",
)  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0
