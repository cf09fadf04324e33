"""Observed data shipped with fentsim: series with a source and a provenance tag on every figure.

* :func:`load` — one dataset as a DataFrame (``source``, ``provenance``, ``provenance_note`` per
  row; ``period``, ``year`` and ``annual`` for time series);
* :func:`datasets` — the catalogue entries (name, file, title, description, units, sources);
* :func:`observed_series` — the calibration targets (year, value, provenance, weight);
* :func:`provenance_weights` — calibration weight per provenance tag.

The files live in ``fentsim/data/files`` (copies of the project's reference data), described in
``catalogue.toml``; the package needs nothing outside itself.

Example:
    >>> from fentsim import data
    >>> sorted(d.name for d in data.datasets())[:3]
    ['cbp_seizures', 'criminal_groups', 'dea_purity']
    >>> data.load("dea_purity").query("period == '2019Q1'")["annual"].item()
    False
    >>> data.provenance_weights()["W"]
    0.3
"""

from __future__ import annotations

from .catalogue import TAGS, Catalogue, DataError, Dataset, load_catalogue
from .loader import load
from .periods import Period, parse_period
from .targets import Target, observed_series


def datasets() -> list[Dataset]:
    """The catalogue entries, in catalogue order.

    Example:
        >>> [d.file for d in datasets() if d.name == "deaths_exclusive"]
        ['us_opioid_deaths_exclusive_1999_2020.csv']
    """
    return list(load_catalogue().values())


def provenance_weights() -> dict[str, float]:
    """Calibration weight of each provenance tag, from the catalogue.

    Example:
        >>> provenance_weights()["V"], provenance_weights()["M"]
        (1.0, 0.5)
    """
    cat = load_catalogue()
    return {code: tag.weight for code, tag in cat.tags.items()}


__all__ = [
    "TAGS",
    "Catalogue",
    "DataError",
    "Dataset",
    "Period",
    "Target",
    "datasets",
    "load",
    "load_catalogue",
    "observed_series",
    "parse_period",
    "provenance_weights",
]
