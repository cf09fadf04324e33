"""Shared fixtures: small clocks and parameter draws keep the suite fast on 2 cores."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ.setdefault(
    "FENTSIM_STORE", os.path.join(os.path.dirname(__file__), "..", ".pytest-store")
)


def run_cli(
    *args: str, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m fentsim.cli ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "fentsim.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def cli():
    return run_cli
