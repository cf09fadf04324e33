"""The lever catalogue: every policy lever with its unit, valid range, channels, options and cost.

The catalogue is data (``fentsim/policy/levers.toml``); this module loads and validates it into
frozen :class:`Lever` objects. Effect sizes are not here: they belong to the model component that
reads the lever (``params/registry/demand.toml`` …). Costs are priced by
:mod:`fentsim.model.costs` from the parameters each lever's :class:`LeverCost` names.

Example:
    >>> cat = levers()
    >>> cat["naloxone"].unit, cat["naloxone"].range
    ('additional kits, millions per year', (0.0, 30.0))
    >>> [c.channel for c in cat["military_campaign"].channels][:3]
    ['leadership_removals', 'lab_capacity', 'node_disruption']
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import UserError

DIRECTIONS: tuple[str, ...] = ("+", "-")
OPTION_TYPES: tuple[str, ...] = ("mix", "bool")
MIX_TOLERANCE = 1e-6  #: how far a mix's shares may sum from 1 (float rounding of decimals)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LEVER_KEYS = {
    "title", "description", "unit", "range", "default", "binary", "acts_in",
    "needs_mexico_cooperation", "enables", "channels", "evidence", "cost", "options",
}  # fmt: skip
_COST_KEYS = {"recurring", "capital", "per_unit", "base", "base_signal", "quantity_signal"}


class CatalogueError(UserError):
    """The lever catalogue itself is malformed (a packaging bug, or an edited catalogue)."""


class UnknownLeverError(UserError):
    """A lever name that the catalogue does not know."""


@dataclass(frozen=True)
class Channel:
    """A model quantity a lever moves, and the documented direction (``+`` or ``-``)."""

    channel: str
    direction: str


@dataclass(frozen=True)
class LeverCost:
    """How a lever is priced (see :mod:`fentsim.model.costs`).

    Attributes:
        recurring: registry parameters summed into the cost per unit of the costed quantity per year.
        capital: registry parameters summed into a one-off cost per unit increase of the level.
        per_unit: units of the costed quantity per unit of intensity (a unit conversion).
        base: registry parameter (persons) a coverage-type intensity multiplies.
        base_signal: ctx signal that replaces ``base`` when a component publishes it.
        quantity_signal: ctx signal holding the costed quantity itself (replaces level × base).
    """

    recurring: tuple[str, ...] = ()
    capital: tuple[str, ...] = ()
    per_unit: float = 1.0
    base: str | None = None
    base_signal: str | None = None
    quantity_signal: str | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every registry parameter the cost reads."""
        return self.recurring + self.capital + ((self.base,) if self.base else ())


@dataclass(frozen=True)
class LeverOption:
    """A non-intensity option of a lever (``mix``: shares over ``keys`` summing to 1; ``bool``)."""

    name: str
    type: str
    default: Any
    description: str = ""
    keys: tuple[str, ...] = ()

    def check(self, value: Any) -> str | None:
        """``None`` when ``value`` is valid, else what is wrong and what is allowed."""
        if self.type == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        allowed = (
            "a table {"
            + ", ".join(f"{k} = …" for k in self.keys)
            + "} of shares in [0, 1] summing to 1"
        )
        if not isinstance(value, Mapping):
            return f"must be {allowed}, got {value!r}"
        unknown = sorted(set(value) - set(self.keys))
        missing = [k for k in self.keys if k not in value]
        if unknown:
            return f"has unknown key(s) {', '.join(unknown)}; allowed keys: {', '.join(self.keys)}"
        if missing:
            return f"is missing {', '.join(missing)}; it needs {allowed}"
        for k in self.keys:
            v = value[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
                return f"share {k} = {v!r} is not a number in [0, 1]"
        total = sum(float(value[k]) for k in self.keys)
        if abs(total - 1.0) > MIX_TOLERANCE:
            return f"shares sum to {total:g}; they must sum to 1"
        return None

    def normalise(self, value: Any) -> Any:
        """The option value in canonical form (a mix becomes ``{key: float}`` in key order)."""
        if self.type == "mix":
            return {k: float(value[k]) for k in self.keys}
        return bool(value)


@dataclass(frozen=True)
class Lever:
    """One policy lever of the catalogue."""

    name: str
    title: str
    description: str
    unit: str
    range: tuple[float, float]
    default: float
    acts_in: tuple[str, ...]
    channels: tuple[Channel, ...]
    cost: LeverCost
    needs_mexico_cooperation: bool = False
    binary: bool = False
    enables: tuple[str, ...] = ()
    evidence: str = ""
    options: Mapping[str, LeverOption] = field(default_factory=dict)

    def check_intensity(self, value: Any) -> str | None:
        """``None`` when ``value`` is a valid intensity, else what is wrong and what is allowed.

        Example:
            >>> levers()["naloxone"].check_intensity(-1)
            'is negative; allowed: 0 to 30 (additional kits, millions per year)'
        """
        lo, hi = self.range
        allowed = f"allowed: {lo:g} to {hi:g} ({self.unit})"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, got {type(value).__name__} {value!r}; {allowed}"
        if not math.isfinite(value):
            return f"is not finite; {allowed}"
        if value < 0:
            return f"is negative; {allowed}"
        if self.binary and value not in (0, 1):
            return f"must be 0 or 1 ({self.unit})"
        if not lo <= value <= hi:
            return f"is out of range; {allowed}"
        return None

    def default_options(self) -> dict[str, Any]:
        """Every option at its default value."""
        return {k: o.normalise(o.default) for k, o in self.options.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the lever."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "unit": self.unit,
            "range": list(self.range),
            "default": self.default,
            "binary": self.binary,
            "acts_in": list(self.acts_in),
            "needs_mexico_cooperation": self.needs_mexico_cooperation,
            "enables": list(self.enables),
            "channels": [{"channel": c.channel, "direction": c.direction} for c in self.channels],
            "evidence": self.evidence,
            "cost": {
                "recurring": list(self.cost.recurring),
                "capital": list(self.cost.capital),
                "per_unit": self.cost.per_unit,
                "base": self.cost.base,
                "base_signal": self.cost.base_signal,
                "quantity_signal": self.cost.quantity_signal,
            },
            "options": {
                k: {
                    "type": o.type,
                    "default": o.normalise(o.default),
                    "keys": list(o.keys),
                    "description": o.description,
                }
                for k, o in self.options.items()
            },
        }


def closest(name: str, names: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one (``None`` when nothing is close).

    Example:
        >>> closest("nalxone", ["naloxone", "prevention"]), closest("xyz", ["naloxone"])
        ('naloxone', None)
    """
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return match[0] if match else None


def _fail(where: str, msg: str) -> CatalogueError:
    return CatalogueError(f"lever catalogue [{where}]: {msg}")


def _str_tuple(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and _NAME.match(v) for v in value):
        raise _fail(where, f"{key} must be a list of snake_case names, got {value!r}")
    return tuple(value)


def _parse_cost(where: str, raw: Any) -> LeverCost:
    if not isinstance(raw, dict):
        raise _fail(where, "cost must be a table")
    unknown = set(raw) - _COST_KEYS
    if unknown:
        raise _fail(
            where,
            f"cost has unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_COST_KEYS))}",
        )
    per_unit = raw.get("per_unit", 1)
    if isinstance(per_unit, bool) or not isinstance(per_unit, int | float) or per_unit <= 0:
        raise _fail(where, f"cost.per_unit must be a positive number, got {per_unit!r}")
    cost = LeverCost(
        recurring=_str_tuple(where, "cost.recurring", raw.get("recurring", [])),
        capital=_str_tuple(where, "cost.capital", raw.get("capital", [])),
        per_unit=float(per_unit),
        base=raw.get("base"),
        base_signal=raw.get("base_signal"),
        quantity_signal=raw.get("quantity_signal"),
    )
    if not cost.recurring and not cost.capital:
        raise _fail(where, "cost needs recurring and/or capital parameters")
    if (cost.base_signal or cost.quantity_signal) and not cost.base:
        raise _fail(where, "cost signals need a base parameter to fall back on")
    return cost


def _parse_option(where: str, name: str, raw: Any) -> LeverOption:
    if not isinstance(raw, dict) or raw.get("type") not in OPTION_TYPES:
        raise _fail(where, f"option {name} needs type = one of {', '.join(OPTION_TYPES)}")
    opt = LeverOption(
        name=name,
        type=raw["type"],
        default=raw.get("default"),
        description=str(raw.get("description", "")),
        keys=tuple(raw.get("keys", ())),
    )
    problem = opt.check(opt.default)
    if problem:
        raise _fail(where, f"option {name} default {problem}")
    return opt


def _parse_lever(name: str, raw: Any) -> Lever:
    if not _NAME.match(name) or not isinstance(raw, dict):
        raise _fail(name, "a lever is a table with a snake_case name")
    unknown = set(raw) - _LEVER_KEYS
    if unknown:
        raise _fail(
            name,
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_LEVER_KEYS))}",
        )
    for key in ("title", "description", "unit", "range", "default", "channels", "cost"):
        if key not in raw:
            raise _fail(name, f"is missing {key}")
    rng = raw["range"]
    if not (
        isinstance(rng, list)
        and len(rng) == 2
        and all(isinstance(v, int | float) for v in rng)
        and 0 <= rng[0] < rng[1]
    ):
        raise _fail(name, f"range must be [min, max] with 0 <= min < max, got {rng!r}")
    channels = []
    for ch in raw["channels"]:
        if (
            not isinstance(ch, dict)
            or set(ch) != {"channel", "direction"}
            or ch["direction"] not in DIRECTIONS
        ):
            raise _fail(name, f"channel {ch!r} must be {{channel = NAME, direction = '+' or '-'}}")
        channels.append(Channel(str(ch["channel"]), ch["direction"]))
    if not channels:
        raise _fail(name, "needs at least one channel")
    options = {k: _parse_option(name, k, v) for k, v in raw.get("options", {}).items()}
    lever = Lever(
        name=name,
        title=str(raw["title"]),
        description=str(raw["description"]),
        unit=str(raw["unit"]),
        range=(float(rng[0]), float(rng[1])),
        default=float(raw["default"]),
        acts_in=_str_tuple(name, "acts_in", raw.get("acts_in", [])),
        channels=tuple(channels),
        cost=_parse_cost(name, raw["cost"]),
        needs_mexico_cooperation=bool(raw.get("needs_mexico_cooperation", False)),
        binary=bool(raw.get("binary", False)),
        enables=_str_tuple(name, "enables", raw.get("enables", [])),
        evidence=str(raw.get("evidence", "")),
        options=options,
    )
    problem = lever.check_intensity(lever.default)
    if problem:
        raise _fail(name, f"default {lever.default:g} {problem}")
    return lever


def parse_catalogue(text: str) -> dict[str, Lever]:
    """Parse and validate a catalogue TOML document (see ``fentsim/policy/levers.toml``).

    Example:
        >>> doc = '''[x]
        ... title = "X"
        ... description = "d"
        ... unit = "fraction"
        ... range = [0, 1]
        ... default = 0.5
        ... channels = [{ channel = "opioid_deaths", direction = "-" }]
        ... cost = { recurring = ["cost_x"] }'''
        >>> parse_catalogue(doc)["x"].channels[0].direction
        '-'
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"lever catalogue is not valid TOML ({exc})") from None
    cat = {name: _parse_lever(name, raw) for name, raw in doc.items()}
    for lv in cat.values():
        for other in lv.enables:
            if other not in cat:
                raise _fail(lv.name, f"enables unknown lever {other!r}")
    return cat


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Lever]:
    text = (resources.files("fentsim.policy") / "levers.toml").read_text(encoding="utf-8")
    return parse_catalogue(text)


def levers() -> dict[str, Lever]:
    """The shipped lever catalogue, ``{name: Lever}`` in the order of docs/architecture.md.

    Example:
        >>> "military_campaign" in levers() and levers()["terrorist_designation"].binary
        True
    """
    return dict(_shipped())


def lever(name: str) -> Lever:
    """One lever by name; an unknown name raises :class:`UnknownLeverError` with a suggestion.

    Example:
        >>> lever("naloxone").title
        'Naloxone distribution'
    """
    cat = _shipped()
    if name not in cat:
        close = closest(name, cat)
        hint = f"did you mean {close!r}? " if close else ""
        raise UnknownLeverError(f"unknown lever {name!r}; {hint}known levers: {', '.join(cat)}")
    return cat[name]
