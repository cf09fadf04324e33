"""Loading a shipped dataset as a DataFrame with a source and a provenance tag on every row.

The CSV files in ``fentsim/data/files`` are read as they are; the loader then

* drops exact duplicate rows (the upstream annual deaths file repeats one row);
* fills ``source`` where the file has none (``default_source`` or ``source_by_tag`` in the
  catalogue) and replaces the upstream ditto mark ``same`` by the source of the row above;
* applies the dataset's provenance rule (``catalogue.toml``) to give each row ``provenance``
  (one of V, S, P, M, W) and ``provenance_note``;
* for time series, parses the period column into ``period`` (the raw key), ``year`` (int) and
  ``annual`` (whether the figure covers one whole year; see :mod:`fentsim.data.periods`).

Example:
    >>> df = load("cbp_seizures")
    >>> df.loc[df["year"] == 2023, ["lb", "provenance"]].to_dict("records")
    [{'lb': 27023, 'provenance': 'W'}]
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from .catalogue import TAGS, DataError, Dataset, ProvenanceRule, load_catalogue
from .periods import parse_period

#: Upstream files use this word for "same source as the row above".
_DITTO = "same"


def _provenance(frame: pd.DataFrame, rule: ProvenanceRule, name: str) -> pd.DataFrame:
    tags: list[str] = []
    notes: list[str] = []
    annual: list[bool | None] = []
    for _, row in frame.iterrows():  # a few dozen rows: clarity over speed
        tag: str | None = None
        row_notes: list[str] = []
        row_annual: bool | None = None
        for case in rule.cases:
            if case.column not in row.index:
                raise DataError(
                    f"dataset {name}: provenance case names unknown column {case.column!r}"
                )
            if not case.matches(row[case.column]):
                continue
            if case.note:
                row_notes.append(case.note)
            if tag is None and case.tag is not None:
                tag = case.tag
            if case.annual is not None:
                row_annual = case.annual
        if rule.column is not None:
            raw = row[rule.column]
            raw = "" if pd.isna(raw) else str(raw).strip()
            if tag is None and rule.use_column_tag and raw[:1] in TAGS:
                tag = raw[:1]
            if raw and raw != tag:
                row_notes.insert(0, f"upstream flag {raw}")
        tags.append(tag or rule.default)
        notes.append("; ".join(row_notes))
        annual.append(row_annual)
    out = frame.drop(columns=[rule.column]) if rule.column is not None else frame.copy()
    out["provenance"] = tags
    out["provenance_note"] = notes
    out["_annual_override"] = annual
    return out


def _sources(frame: pd.DataFrame, ds: Dataset) -> pd.Series:
    if "source" in frame.columns:
        src = frame["source"].astype(object).where(frame["source"].notna(), "")
        src = src.where(src.astype(str).str.strip() != _DITTO, None).ffill()
        return src.astype(str)
    if ds.source_by_tag:
        missing = set(frame["provenance"]) - set(ds.source_by_tag)
        if missing:
            raise DataError(
                f"dataset {ds.name}: source_by_tag lacks tag(s) {', '.join(sorted(missing))}"
            )
        return frame["provenance"].map(ds.source_by_tag).astype(str)
    if ds.default_source is None:
        raise DataError(
            f"dataset {ds.name}: the file has no source column and the catalogue no default_source"
        )
    return pd.Series(ds.default_source, index=frame.index, dtype=object).astype(str)


def _periods(frame: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    col, kind = ds.period_column, ds.period_kind
    assert col is not None
    assert kind is not None
    if col not in frame.columns:
        raise DataError(f"dataset {ds.name}: period column {col!r} is not in {ds.file}")
    parsed = [parse_period(k, kind) for k in frame[col]]
    out = frame.copy()
    if col != "year" and out[col].astype(str).str.fullmatch(r"\d+").all():
        out[col] = out[col].astype("int64")  # read as text to keep odd keys; plain years are ints
    out["period"] = [p.key for p in parsed]
    out["year"] = pd.array([p.year for p in parsed], dtype="int64")
    override = out.pop("_annual_override")
    out["annual"] = [
        bool(p.annual if o is None else (o and p.annual))
        for p, o in zip(parsed, override, strict=True)
    ]
    return out


@cache
def _load_cached(name: str) -> pd.DataFrame:
    ds = load_catalogue()[name]
    path = resources.files("fentsim.data").joinpath("files", ds.file)
    with resources.as_file(path) as p:
        dtype = {ds.period_column: str} if ds.period_column else None
        frame = pd.read_csv(p, dtype=dtype, keep_default_na=True)
    frame = frame.drop_duplicates(ignore_index=True)
    frame = _provenance(frame, ds.provenance, name)
    frame["source"] = _sources(frame, ds)
    frame = _periods(frame, ds) if ds.period_column else frame.drop(columns="_annual_override")
    bad = sorted(set(frame["provenance"]) - set(TAGS))
    if bad:
        raise DataError(f"dataset {name}: provenance tag(s) {bad} not in {', '.join(TAGS)}")
    lead = [c for c in ("period", "year") if c in frame.columns]
    tail = ["source", "provenance", "provenance_note"] + (
        ["annual"] if "annual" in frame.columns else []
    )
    middle = [c for c in frame.columns if c not in lead + tail]
    return frame[lead + middle + tail]


def load(name: str) -> pd.DataFrame:
    """The shipped dataset ``name`` as a DataFrame with ``source`` and ``provenance`` per row.

    Raises :class:`fentsim.errors.UserError` (a :class:`~fentsim.data.catalogue.DataError`) for an
    unknown name, listing the valid names.

    Example:
        >>> load("mexico_homicides").query("year == 2024")[["homicides_inegi", "provenance"]].values.tolist()
        [[33241, 'P']]
    """
    return _load_cached(name).copy()
