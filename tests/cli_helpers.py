"""Running the ``fentsim`` command line from tests (one helper for every CLI test file)."""

from __future__ import annotations

import os
import subprocess
import sys

#: generous: real-model CLI runs compile kernels on first use and the CI machine has 2 cores
TIMEOUT_S = 600


def run_cli(
    *args: str, timeout: float = TIMEOUT_S, env: dict | None = None
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
