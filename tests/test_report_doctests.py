"""The docstring examples of the report and web modules run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "fentsim.report.html",
    "fentsim.report.figures",
    "fentsim.report.inputs",
    "fentsim.report.context",
    "fentsim.report.sections_results",
    "fentsim.report.sections_analysis",
    "fentsim.report.sections_spec",
    "fentsim.report.build",
    "fentsim.web.models",
    "fentsim.web.backend",
    "fentsim.web.jobs",
    "fentsim.web.export",
    "fentsim.web.app",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
