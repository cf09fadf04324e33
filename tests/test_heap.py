"""The C heap keeps freed memory for reuse (model/heap.py): measured in page faults."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from fentsim.model.heap import USER_SETTINGS, wanted

# allocate, write and free a simulation-like mix of 0.5-4 MB arrays; print the page faults of
# ten such cycles after two warm-up cycles
_CYCLES = textwrap.dedent(
    """
    import resource
    import numpy as np
    import fentsim.model  # noqa: F401  (applies the heap settings)

    def cycle():
        arrs = [np.ones(n) for n in (400_000, 150_000, 520_000, 90_000, 260_000, 480_000)]
        del arrs

    cycle(); cycle()
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        cycle()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    """
)


def _faults(**env: str) -> int:
    # without any malloc settings this process picked up (Dask, for one, exports
    # MALLOC_TRIM_THRESHOLD_ for its workers), which would rightly switch the tuning off
    clean = {k: v for k, v in os.environ.items() if k != "FENTSIM_HEAP" and k not in USER_SETTINGS}
    out = subprocess.run(
        [sys.executable, "-c", _CYCLES],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not wanted({}), reason="heap settings apply to glibc on Linux only")
def test_freed_arrays_are_reused_without_page_faults():
    pages = 10 * (400_000 + 150_000 + 520_000 + 90_000 + 260_000 + 480_000) * 8 // 4096
    tuned = _faults()
    system = _faults(FENTSIM_HEAP="system")
    assert system > pages // 2  # glibc's defaults hand the memory back and fault it in again
    assert tuned < pages // 50


def test_user_settings_and_opt_out_are_respected():
    assert not wanted({"FENTSIM_HEAP": "system"})
    assert not wanted({"FENTSIM_HEAP": " System "})
    for k in (
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_TOP_PAD_",
        "GLIBC_TUNABLES",
    ):
        assert not wanted({k: "1"})
