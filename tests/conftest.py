"""Shared fixtures: small clocks and parameter draws keep the suite fast on 2 cores."""

from __future__ import annotations

import os

import pytest

# tests make tables of many sizes: keep the output-table pool at 1 GiB, not a quarter of memory
os.environ.setdefault("FENTSIM_TABLE_POOL_BYTES", str(1 << 30))

from cli_helpers import run_cli  # after the pool limit is set

os.environ.setdefault(
    "FENTSIM_STORE", os.path.join(os.path.dirname(__file__), "..", ".pytest-store")
)


@pytest.fixture
def cli():
    return run_cli
