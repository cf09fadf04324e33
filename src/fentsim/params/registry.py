"""The parameter registry: every model number with its unit, prior, point value and source.

The registry is one logical table split by model layer into TOML files in
``fentsim/params/registry/`` (``demand.toml``, ``supply.toml``, ``levers.toml`` …). Each entry:

.. code-block:: toml

    [od_rate_illicit_oud]
    group     = "demand.overdose"
    unit      = "1/yr"
    value     = 0.167
    prior     = { dist = "uniform", low = 0.10, high = 0.26 }
    source    = "SOURCE X8_params.tab: overdose rate base HUD 0.167 (5-95%: 0.115-0.200)"
    note      = "annual overdose incidence among people with illicit OUD before fentanyl"
    calibrate = true   # estimated against the observed series (default false)

Loading validates the whole table: unknown keys, units outside :data:`UNITS`, priors that cannot
be evaluated, and point values outside the prior's support are errors that name the entry.

Example:
    >>> reg = load_registry()
    >>> reg["od_rate_illicit_oud"].unit
    '1/yr'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError
from .priors import Prior, PriorError

#: Units a registry entry may declare. Rates are per year unless the unit says otherwise.
UNITS: frozenset[str] = frozenset(
    {
        "1/yr",  # hazard rate per year
        "1/month",
        "persons",
        "persons/yr",
        "fraction",  # a probability or share in [0, 1]
        "multiplier",  # dimensionless factor applied to a rate or level
        "elasticity",
        "yr",
        "months",
        "index",  # dimensionless index with a stated reference level
        "kg",
        "kg/month",
        "kg/yr",
        "USD",
        "USD/yr",
        "USD/kg",
        "USD/person/yr",
        "USD/unit/yr",
        "count",
        "count/yr",
        "homicides/yr",
        "miles",
        "per 100k",
        "mg",
    }
)

_KEYS_REQUIRED = {"group", "unit", "value", "prior", "source"}
_KEYS_OPTIONAL = {"note", "calibrate"}


class RegistryError(UserError):
    """The registry, or an override of it, is malformed."""


@dataclass(frozen=True)
class Parameter:
    """One registry entry."""

    name: str
    group: str
    unit: str
    value: float
    prior: Prior
    source: str
    note: str = ""
    calibrate: bool = False

    @property
    def uncertain(self) -> bool:
        """Whether the parameter varies across draws (its prior is not ``fixed``)."""
        return self.prior.dist != "fixed"


def _parse_entry(name: str, raw: Any, origin: str) -> Parameter:
    where = f"{origin}: [{name}]"
    if not isinstance(raw, dict):
        raise RegistryError(f"{where} must be a table")
    unknown = set(raw) - _KEYS_REQUIRED - _KEYS_OPTIONAL
    if unknown:
        allowed = ", ".join(sorted(_KEYS_REQUIRED | _KEYS_OPTIONAL))
        raise RegistryError(
            f"{where} has unknown key(s) {', '.join(sorted(unknown))}; allowed: {allowed}"
        )
    missing = _KEYS_REQUIRED - set(raw)
    if missing:
        raise RegistryError(f"{where} is missing {', '.join(sorted(missing))}")
    unit = raw["unit"]
    if unit not in UNITS:
        raise RegistryError(
            f"{where} unit {unit!r} is not allowed; allowed: {', '.join(sorted(UNITS))}"
        )
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistryError(f"{where} value must be a number, got {value!r}")
    try:
        prior = Prior.from_spec(raw["prior"]) if isinstance(raw["prior"], dict) else None
    except PriorError as exc:
        raise RegistryError(f"{where} {exc}") from None
    if prior is None:
        raise RegistryError(
            f"{where} prior must be a table such as {{ dist = 'uniform', low = 0, high = 1 }}"
        )
    if not prior.contains(float(value)):
        lo, hi = prior.support
        raise RegistryError(f"{where} value {value} lies outside its prior's support [{lo}, {hi}]")
    if unit == "fraction" and not 0.0 <= float(value) <= 1.0:
        raise RegistryError(f"{where} is a fraction but its value {value} is outside [0, 1]")
    if not str(raw["source"]).strip():
        raise RegistryError(f"{where} needs a non-empty source")
    calibrate = raw.get("calibrate", False)
    if not isinstance(calibrate, bool):
        raise RegistryError(f"{where} calibrate must be true or false")
    return Parameter(
        name=name,
        group=str(raw["group"]),
        unit=unit,
        value=float(value),
        prior=prior,
        source=str(raw["source"]),
        note=str(raw.get("note", "")),
        calibrate=calibrate,
    )


class Registry(Mapping[str, Parameter]):
    """An immutable, validated table of :class:`Parameter` entries, keyed by name."""

    def __init__(self, params: Iterable[Parameter]):
        self._params: dict[str, Parameter] = {}
        for p in params:
            if p.name in self._params:
                raise RegistryError(f"parameter {p.name!r} is defined twice")
            self._params[p.name] = p

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise RegistryError(f"unknown parameter {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    @property
    def uncertain(self) -> list[str]:
        """Names of parameters with a non-fixed prior, in registry order."""
        return [n for n, p in self._params.items() if p.uncertain]

    @property
    def calibrated(self) -> list[str]:
        """Names of parameters estimated against observed data, in registry order."""
        return [n for n, p in self._params.items() if p.calibrate]

    def group(self, prefix: str) -> list[str]:
        """Names whose group starts with ``prefix`` (e.g. ``"demand"``)."""
        return [n for n, p in self._params.items() if p.group.startswith(prefix)]

    def check_overrides(self, overrides: Mapping[str, Any]) -> dict[str, float]:
        """Validate ``{name: value}`` overrides: known names, numbers inside the prior support."""
        clean: dict[str, float] = {}
        for name, value in overrides.items():
            if name not in self._params:
                close = _closest(name, self._params)
                hint = f"; did you mean {close!r}?" if close else ""
                raise RegistryError(f"unknown parameter {name!r} in overrides{hint}")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not np.isfinite(value)
            ):
                raise RegistryError(f"override {name} must be a finite number, got {value!r}")
            prior = self._params[name].prior
            if not prior.contains(float(value)):
                lo, hi = prior.support
                raise RegistryError(
                    f"override {name}={value} is outside its allowed range [{lo:g}, {hi:g}]"
                )
            clean[name] = float(value)
        return clean

    def to_frame(self):  # pragma: no cover - thin presentation helper
        """The registry as a pandas DataFrame (one row per parameter)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "name": p.name,
                    "group": p.group,
                    "unit": p.unit,
                    "value": p.value,
                    "prior": p.prior.describe(),
                    "calibrate": p.calibrate,
                    "source": p.source,
                    "note": p.note,
                }
                for p in self._params.values()
            ]
        ).set_index("name")


def _closest(name: str, names: Iterable[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return match[0] if match else None


def parse_registry_text(text: str, origin: str = "<string>") -> list[Parameter]:
    """Parse one registry TOML document into parameters (validation included)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{origin}: not valid TOML ({exc})") from None
    return [_parse_entry(name, raw, origin) for name, raw in doc.items()]


def registry_files() -> list[Path]:
    """The TOML files that make up the shipped registry, in load order."""
    folder = resources.files("fentsim.params") / "registry"
    return sorted(Path(str(f)) for f in folder.iterdir() if str(f).endswith(".toml"))


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """Load and validate the shipped registry (cached: the registry is immutable)."""
    params: list[Parameter] = []
    for path in registry_files():
        params.extend(parse_registry_text(path.read_text(encoding="utf-8"), path.name))
    return Registry(params)
