"""The model: pure array functions and compiled kernels, coupled by the engine's monthly loop.

Importing it keeps freed C-heap memory for reuse by the next simulation (glibc only; opt out with
``FENTSIM_HEAP=system``, see :mod:`~fentsim.model.heap`).

Compiled kernels run their loop over runs on all cores with numba's ``workqueue`` threading layer
unless ``NUMBA_THREADING_LAYER`` says otherwise: measured on a loaded 2-core machine, OpenMP's
spinning workers made the demand kernel 3× slower than workqueue (24.8 vs 8.5 ms per call for
8,192 runs), while on an idle machine the two are alike.
"""

import os
import sys

if "NUMBA_THREADING_LAYER" not in os.environ:
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    if (
        "numba" in sys.modules
    ):  # already imported elsewhere: set it before the first parallel launch
        sys.modules["numba"].config.THREADING_LAYER = "workqueue"

from .heap import keep_freed_memory, wanted

if wanted():
    keep_freed_memory()
