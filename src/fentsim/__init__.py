"""fentsim — a calibrated, uncertainty-aware policy laboratory for the illicit-fentanyl crisis.

Example:
    >>> import fentsim
    >>> fentsim.run("status-quo", runs=2, end=2025, exposure="observed").outcomes["opioid_deaths"].shape
    (2, 27)
"""

__version__ = "0.1.0"

from .api import compare, run  # noqa: E402

__all__ = ["__version__", "compare", "run"]
