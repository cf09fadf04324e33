"""Shared fixtures: small clocks and parameter draws keep the suite fast on 2 cores."""

from __future__ import annotations

import os

import pytest

from cli_helpers import run_cli

os.environ.setdefault(
    "FENTSIM_STORE", os.path.join(os.path.dirname(__file__), "..", ".pytest-store")
)


@pytest.fixture
def cli():
    return run_cli
