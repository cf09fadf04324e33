"""The data catalogue: every shipped dataset, its units, sources and provenance rule.

``catalogue.toml`` (next to this module) names each dataset and holds the provenance tags with
their calibration weights. Loading validates it: unknown keys, missing files, tags outside
:data:`TAGS` and malformed provenance rules are errors that name the dataset and the field.

Example:
    >>> cat = load_catalogue()
    >>> cat["cbp_seizures"].file
    'cbp_fentanyl_seizures.csv'
    >>> cat.weight("P")
    0.7
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import UserError

#: The provenance tags of the shared data README, strongest first.
TAGS: tuple[str, ...] = ("V", "S", "P", "M", "W")
#: How a time-series key is read: calendar year, federal fiscal year, or end month of a window.
PERIOD_KINDS: frozenset[str] = frozenset({"year", "fiscal_year", "month_end"})
_MATCHERS = ("equals", "contains", "prefix")


class DataError(UserError):
    """The catalogue, a shipped data file or a request for data is malformed."""


@dataclass(frozen=True)
class Case:
    """One provenance case: a condition on one column and what it implies for the row."""

    column: str
    matcher: str  # one of _MATCHERS
    values: tuple[str, ...]
    tag: str | None = None
    note: str = ""
    annual: bool | None = None

    def matches(self, cell: object) -> bool:
        """Whether the cell's text satisfies the condition."""
        text = "" if cell is None else str(cell)
        if self.matcher == "equals":
            return text in self.values
        if self.matcher == "contains":
            return any(v in text for v in self.values)
        return any(text.startswith(v) for v in self.values)


@dataclass(frozen=True)
class ProvenanceRule:
    """How each row of a dataset gets its provenance tag (see ``catalogue.toml``)."""

    rule: str
    default: str
    column: str | None = None
    use_column_tag: bool = True
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """One catalogue entry."""

    name: str
    file: str
    title: str
    description: str
    units: Mapping[str, str]
    sources: tuple[str, ...]
    provenance: ProvenanceRule
    period_column: str | None = None
    period_kind: str | None = None
    default_source: str | None = None
    source_by_tag: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tag:
    """A provenance tag, what it means and its calibration weight."""

    code: str
    meaning: str
    weight: float


class Catalogue(Mapping[str, Dataset]):
    """The validated catalogue: datasets by name, plus the provenance tags."""

    def __init__(self, datasets: Mapping[str, Dataset], tags: Mapping[str, Tag]):
        self._datasets = dict(datasets)
        self.tags: dict[str, Tag] = dict(tags)

    def __getitem__(self, name: str) -> Dataset:
        try:
            return self._datasets[name]
        except KeyError:
            allowed = ", ".join(sorted(self._datasets))
            raise DataError(f"unknown dataset {name!r}; allowed: {allowed}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._datasets)

    def __len__(self) -> int:
        return len(self._datasets)

    def weight(self, tag: str) -> float:
        """Calibration weight of a provenance tag (from ``[tags]`` in the catalogue)."""
        return self.tags[tag].weight


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise DataError(f"{where} must be a string or a non-empty list of strings, got {value!r}")


def _check_keys(raw: Mapping[str, Any], required: set[str], optional: set[str], where: str) -> None:
    unknown = set(raw) - required - optional
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise DataError(
            f"{where} has unknown key(s) {', '.join(sorted(unknown))}; allowed: {allowed}"
        )
    missing = required - set(raw)
    if missing:
        raise DataError(f"{where} is missing {', '.join(sorted(missing))}")


def _check_tag(tag: Any, where: str) -> str:
    if tag not in TAGS:
        raise DataError(f"{where} tag {tag!r} is not a provenance tag; allowed: {', '.join(TAGS)}")
    return str(tag)


def _parse_case(raw: Any, where: str) -> Case:
    if not isinstance(raw, dict):
        raise DataError(f"{where} must be a table")
    _check_keys(raw, {"column"}, {*_MATCHERS, "tag", "note", "annual"}, where)
    given = [m for m in _MATCHERS if m in raw]
    if len(given) != 1:
        raise DataError(f"{where} needs exactly one of {', '.join(_MATCHERS)}")
    tag = _check_tag(raw["tag"], where) if "tag" in raw else None
    annual = raw.get("annual")
    if annual is not None and not isinstance(annual, bool):
        raise DataError(f"{where} annual must be true or false")
    return Case(
        column=str(raw["column"]),
        matcher=given[0],
        values=_str_tuple(raw[given[0]], f"{where}.{given[0]}"),
        tag=tag,
        note=str(raw.get("note", "")),
        annual=annual,
    )


def _parse_provenance(raw: Any, where: str) -> ProvenanceRule:
    if not isinstance(raw, dict):
        raise DataError(f"{where} must be a table")
    _check_keys(raw, {"rule", "default"}, {"column", "use_column_tag", "cases"}, where)
    cases = tuple(_parse_case(c, f"{where}.cases[{i}]") for i, c in enumerate(raw.get("cases", [])))
    return ProvenanceRule(
        rule=str(raw["rule"]),
        default=_check_tag(raw["default"], f"{where}.default"),
        column=raw.get("column"),
        use_column_tag=bool(raw.get("use_column_tag", True)),
        cases=cases,
    )


def _parse_dataset(name: str, raw: Any, files: Any) -> Dataset:
    where = f"catalogue [datasets.{name}]"
    if not isinstance(raw, dict):
        raise DataError(f"{where} must be a table")
    _check_keys(
        raw,
        {"file", "title", "description", "units", "sources", "provenance"},
        {"period", "default_source", "source_by_tag"},
        where,
    )
    if not files.joinpath(raw["file"]).is_file():
        raise DataError(f"{where} file {raw['file']!r} is not in fentsim/data/files")
    period = raw.get("period")
    if period is not None:
        if not isinstance(period, dict) or set(period) != {"column", "kind"}:
            raise DataError(f"{where} period must be {{ column = NAME, kind = KIND }}")
        if period["kind"] not in PERIOD_KINDS:
            raise DataError(
                f"{where} period kind {period['kind']!r} is not allowed; allowed: {', '.join(sorted(PERIOD_KINDS))}"
            )
    by_tag = raw.get("source_by_tag", {})
    for tag in by_tag:
        _check_tag(tag, f"{where}.source_by_tag")
    return Dataset(
        name=name,
        file=str(raw["file"]),
        title=str(raw["title"]),
        description=" ".join(str(raw["description"]).split()),
        units=dict(raw["units"]),
        sources=_str_tuple(raw["sources"], f"{where}.sources"),
        provenance=_parse_provenance(raw["provenance"], f"{where}.provenance"),
        period_column=period["column"] if period else None,
        period_kind=period["kind"] if period else None,
        default_source=raw.get("default_source"),
        source_by_tag=dict(by_tag),
    )


def parse_catalogue(raw: Mapping[str, Any]) -> Catalogue:
    """Validate a parsed catalogue document (see :func:`load_catalogue`)."""
    _check_keys(raw, {"tags", "datasets"}, set(), "catalogue")
    tags: dict[str, Tag] = {}
    for code, entry in raw["tags"].items():
        _check_tag(code, "catalogue [tags]")
        weight = entry.get("weight") if isinstance(entry, dict) else None
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise DataError(
                f"catalogue [tags.{code}] weight must be a number in [0, 1], got {weight!r}"
            )
        tags[code] = Tag(code, str(entry.get("meaning", "")), float(weight))
    if set(tags) != set(TAGS):
        raise DataError(f"catalogue [tags] must define exactly {', '.join(TAGS)}")
    files = resources.files("fentsim.data").joinpath("files")
    datasets = {n: _parse_dataset(n, d, files) for n, d in raw["datasets"].items()}
    return Catalogue(datasets, tags)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The package's validated data catalogue (cached)."""
    text = resources.files("fentsim.data").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return parse_catalogue(tomllib.loads(text))
