"""The ``fentsim`` command line.

Each command module registers its commands on :data:`fentsim.cli.app.app`. ``main`` turns user
errors into a one-line message and exit status 2 (no traceback).
"""

from __future__ import annotations

import importlib
import sys

from ..errors import UserError
from .app import app

_COMMAND_MODULES = (
    "data_cmd",
    "run_cmd",
    "fit_cmd",
    "policy_cmd",
    "ensemble_cmd",
    "analysis_cmd",
    "calibrate_cmd",
    "report_cmd",
)

for _mod in _COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_mod}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``fentsim`` script."""
    try:
        app(args=argv, standalone_mode=True)
    except UserError as exc:
        print(f"fentsim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("fentsim: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
