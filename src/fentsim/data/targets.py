"""Calibration targets: the observed series the model is fitted to, with a weight per figure.

``targets.toml`` (next to this module) defines each target as pieces of catalogue datasets; the
weight of a figure is the calibration weight of its provenance tag (``[tags]`` in
``catalogue.toml``: V and S 1.0, P 0.7, M 0.5, W 0.3). Only figures covering one whole year enter.

=============================  ==========  =============================================
target                         years       what
=============================  ==========  =============================================
opioid_deaths                  1999-2024   total opioid deaths (S, V; 2023-2024 P)
opioid_deaths_rx               1999-2020   exclusive category: prescription only
opioid_deaths_heroin           1999-2020   exclusive: heroin without synthetic
opioid_deaths_synthetic        1999-2020   exclusive: synthetic with or without heroin
synthetic_opioid_deaths_t404   1999-2024   T40.4 multiple cause (2024 P)
rx_misuse                      1999-2020   NSDUH Rx misuse, no heroin
rx_oud                         1999-2020   NSDUH Rx OUD, with + without heroin
heroin_use_disorder            1999-2020   NSDUH HUD, RAND-adjusted
heroin_use_nondisordered       1999-2020   NSDUH non-disordered heroin use
buprenorphine_patients         2003-2020   IQVIA patients per year
methadone_clients              1999-2020   N-SSATS clients on the survey day
fentanyl_share_nflis           2007-2020   NFLIS fentanyl share (no 2012 gap)
cbp_seizures_lb                2013-2024   CBP seizures, lb, fiscal years
dea_pills_ge_2mg_share         2017-2024   DEA pills >= 2 mg (2019Q1 excluded)
dea_powder_purity              2022-2024   DEA powder purity (fraction)
mexico_homicides               2006-2024   INEGI homicides (2024 P)
criminal_groups                2006-2023   group counts (several per year allowed)
=============================  ==========  =============================================

Example:
    >>> t = observed_series()["opioid_deaths"]
    >>> int(t.value[t.year == 2024][0]), t.frame.loc[t.year == 2024, "provenance"].item()
    (54743, 'P')
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .catalogue import DataError, load_catalogue
from .loader import load

_PIECE_KEYS = {"dataset", "value", "years", "where", "scale", "skip_years"}
_TARGET_KEYS = {"title", "unit", "description", "pieces", "repeats"}
COLUMNS = ("year", "value", "provenance", "weight", "source", "dataset", "note")


@dataclass(frozen=True)
class Target:
    """One calibration target: metadata and a frame with :data:`COLUMNS`, sorted by year."""

    name: str
    title: str
    unit: str
    description: str
    frame: pd.DataFrame

    @property
    def year(self) -> np.ndarray:
        """Years (int array)."""
        return self.frame["year"].to_numpy(dtype=int)

    @property
    def value(self) -> np.ndarray:
        """Observed values (float array)."""
        return self.frame["value"].to_numpy(dtype=float)

    @property
    def weight(self) -> np.ndarray:
        """Calibration weights from the provenance tags (float array)."""
        return self.frame["weight"].to_numpy(dtype=float)


def _piece(raw: Mapping[str, Any], where: str) -> pd.DataFrame:
    unknown = set(raw) - _PIECE_KEYS
    if unknown or not {"dataset", "value", "years"} <= set(raw):
        raise DataError(
            f"{where} needs dataset, value, years (optional: where, scale, skip_years); got {sorted(raw)}"
        )
    df = load(raw["dataset"])
    if "annual" not in df.columns:
        raise DataError(f"{where}: dataset {raw['dataset']!r} is not a time series")
    for col, wanted in raw.get("where", {}).items():
        if col not in df.columns:
            raise DataError(f"{where}: where-column {col!r} is not in dataset {raw['dataset']!r}")
        df = df[df[col].astype(str) == str(wanted)]
    first, last = raw["years"]
    keep = (
        df["annual"] & df["year"].between(first, last) & ~df["year"].isin(raw.get("skip_years", []))
    )
    df = df[keep]
    cols = [raw["value"]] if isinstance(raw["value"], str) else list(raw["value"])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{where}: value column(s) {missing} not in dataset {raw['dataset']!r}")
    values = df[cols].astype(float)
    value = values.sum(axis=1, min_count=len(cols)) * float(raw.get("scale", 1.0))
    out = pd.DataFrame(
        {
            "year": df["year"].astype(int),
            "value": value,
            "provenance": df["provenance"],
            "source": df["source"],
            "dataset": raw["dataset"],
            "note": df["provenance_note"],
        }
    )
    return out[out["value"].notna()]


def _build(name: str, raw: Mapping[str, Any]) -> Target:
    where = f"targets.toml [{name}]"
    unknown = set(raw) - _TARGET_KEYS
    if unknown or not {"title", "unit", "description", "pieces"} <= set(raw):
        raise DataError(
            f"{where} needs title, unit, description, pieces; unknown: {sorted(unknown)}"
        )
    parts: list[pd.DataFrame] = []
    seen: set[int] = set()
    for i, piece in enumerate(raw["pieces"]):
        part = _piece(piece, f"{where}.pieces[{i}]")
        part = part[~part["year"].isin(seen)]
        seen |= set(part["year"])
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True).sort_values(
        "year", kind="stable", ignore_index=True
    )
    if not raw.get("repeats", False) and frame["year"].duplicated().any():
        dup = sorted(set(frame.loc[frame["year"].duplicated(), "year"]))
        raise DataError(
            f"{where} has several figures for year(s) {dup}; set repeats = true if intended"
        )
    cat = load_catalogue()
    frame["weight"] = frame["provenance"].map(cat.weight).astype(float)
    return Target(
        name, raw["title"], raw["unit"], " ".join(raw["description"].split()), frame[list(COLUMNS)]
    )


@lru_cache(maxsize=1)
def _targets() -> dict[str, Target]:
    text = resources.files("fentsim.data").joinpath("targets.toml").read_text(encoding="utf-8")
    return {name: _build(name, raw) for name, raw in tomllib.loads(text).items()}


def observed_series() -> dict[str, Target]:
    """All calibration targets by name (see the module table); each frame is a fresh copy.

    Example:
        >>> s = observed_series()["opioid_deaths_synthetic"]
        >>> int(s.value[s.year == 2020][0])  # 48355 + 9191
        57546
    """
    return {
        n: Target(t.name, t.title, t.unit, t.description, t.frame.copy())
        for n, t in _targets().items()
    }
