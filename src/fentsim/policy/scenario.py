"""Scenario files: a user's portfolio in TOML, validated completely before anything runs.

Format (every key but one lever table optional; a preset is a scenario file too)::

    name = "my-portfolio"                  # default: the file name
    description = "what and why"
    include = ["public-health"]            # presets or scenario files to build on
    sources = ["where the intensities come from"]

    [levers.naloxone]                      # one table per lever ...
    intensity = 10                         # in the lever's unit (default: the catalogue default)
    start = "2026"                         # "YYYY" (January) or "YYYY-MM"; default 2026
    ramp = 2                               # years of linear ramp-up (default 0)
    end = "2030"                           # inclusive; a bare year means December (default: none)
    ramp_down = 1                          # years of linear ramp-down after end (needs end)
    source = "why this intensity"

    [[levers.military_campaign]]           # ... or an array of phases whose levels add up
    intensity = 30
    target_mix = { leadership = 0.5, labs = 0.3, nodes = 0.2 }
    consent = false

    [overrides]                            # registry parameters, inside their prior's support
    cost_naloxone_kit = 40

Every problem raises a :class:`ScenarioError` subclass whose one-line message names the file, the
field, the bad value and what is allowed.

Example:
    >>> pf = parse_scenario('[levers.naloxone]\\nintensity = 4\\nstart = "2027-07"', "demo.toml")
    >>> pf.name, pf.levers["naloxone"].phases[0].describe()
    ('demo', '4 from 2027-07, sustained')
    >>> parse_scenario('[levers.nalxone]\\nintensity = 4', "demo.toml")
    Traceback (most recent call last):
    ...
    fentsim.policy.scenario.UnknownLeverError: demo.toml: levers.nalxone: unknown lever 'nalxone'; did you mean 'naloxone'? ...
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import UserError
from .catalogue import Lever, closest, levers
from .portfolio import LeverPlan, Portfolio, merge
from .schedule import Schedule, ScheduleError, YearMonth, check_years

DEFAULT_START = "2026"  #: projections start in 2026 unless a schedule says otherwise
TOP_KEYS: tuple[str, ...] = ("name", "description", "include", "sources", "levers", "overrides")
SCHEDULE_KEYS: tuple[str, ...] = (
    "intensity",
    "start",
    "ramp",
    "end",
    "ramp_down",
    "source",
    "note",
)


class ScenarioError(UserError):
    """A scenario file that cannot be used (base class of the specific errors below)."""


class ScenarioSyntaxError(ScenarioError):
    """Missing, empty, unreadable or non-TOML file (duplicate keys included)."""


class ScenarioFieldError(ScenarioError):
    """A key that is not allowed, or a value of the wrong type."""


class UnknownLeverError(ScenarioError):
    """A lever name the catalogue does not know."""


class ScenarioScheduleError(ScenarioError):
    """A bad date, ramp, or an end before the start."""


class IntensityError(ScenarioError):
    """A negative, out-of-range or non-numeric intensity."""


class LeverOptionError(ScenarioError):
    """A bad lever option, such as a target mix that does not sum to 1."""


class OverrideError(ScenarioError):
    """An unknown parameter override, or a value outside its prior's support."""


def _unknown_key(
    origin: str, where: str, key: str, allowed: tuple[str, ...] | list[str]
) -> ScenarioFieldError:
    close = closest(key, allowed)
    hint = f"did you mean {close!r}? " if close else ""
    field = f"{where}.{key}" if where else key
    return ScenarioFieldError(
        f"{origin}: {field}: unknown key; {hint}allowed: {', '.join(allowed)}"
    )


def _text(origin: str, field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ScenarioFieldError(f"{origin}: {field} = {value!r} must be a string")
    return value


def _phase(
    origin: str, where: str, lv: Lever, raw: Any, options: dict[str, Any]
) -> tuple[Schedule, str]:
    if not isinstance(raw, dict):
        raise ScenarioFieldError(
            f'{origin}: {where} = {raw!r} must be a table such as {{ intensity = {lv.default:g}, start = "2026" }}'
        )
    allowed = [*SCHEDULE_KEYS, *lv.options]
    for key in raw:
        if key not in allowed:
            raise _unknown_key(origin, where, key, allowed)
    intensity = raw.get("intensity", lv.default)
    problem = lv.check_intensity(intensity)
    if problem:
        raise IntensityError(f"{origin}: {where}.intensity = {intensity!r} {problem}")
    for key, opt in lv.options.items():
        if key not in raw:
            continue
        problem = opt.check(raw[key])
        if problem:
            raise LeverOptionError(f"{origin}: {where}.{key} = {raw[key]!r} {problem}")
        value = opt.normalise(raw[key])
        if key in options and options[key] != value:
            raise LeverOptionError(
                f"{origin}: {where}.{key} differs from an earlier phase; phases share options"
            )
        options[key] = value
    for key in ("start", "end"):
        if key in raw:
            try:
                YearMonth.parse(raw[key], end=key == "end")
            except ScheduleError as exc:
                raise ScenarioScheduleError(f"{origin}: {where}.{key}: {exc}") from None
    for key in ("ramp", "ramp_down"):
        if key in raw:
            try:
                check_years(raw[key], f"{where}.{key}")
            except ScheduleError as exc:
                raise ScenarioScheduleError(f"{origin}: {exc}") from None
    try:
        sched = Schedule.build(
            intensity,
            raw.get("start", DEFAULT_START),
            ramp=raw.get("ramp", 0.0),
            end=raw.get("end"),
            ramp_down=raw.get("ramp_down", 0.0),
        )
    except ScheduleError as exc:
        raise ScenarioScheduleError(f"{origin}: {where}: {exc}") from None
    source = raw.get("source", raw.get("note", ""))
    return sched, _text(origin, f"{where}.source", source)


def _lever_plan(origin: str, name: str, raw: Any) -> LeverPlan:
    cat = levers()
    where = f"levers.{name}"
    if name not in cat:
        close = closest(name, cat)
        hint = f"did you mean {close!r}? " if close else ""
        raise UnknownLeverError(
            f"{origin}: {where}: unknown lever {name!r}; {hint}known levers: {', '.join(cat)}"
        )
    lv = cat[name]
    phases_raw = raw if isinstance(raw, list) else [raw]
    if not phases_raw:
        raise ScenarioFieldError(
            f"{origin}: {where} is an empty list; give at least one schedule table"
        )
    options: dict[str, Any] = {}
    phases, notes = [], []
    for i, ph in enumerate(phases_raw):
        label = f"{where}[{i}]" if isinstance(raw, list) else where
        sched, note = _phase(origin, label, lv, ph, options)
        phases.append(sched)
        if note:
            notes.append(note)
    _check_combined(origin, where, lv, phases)
    return LeverPlan(name, tuple(phases), options, " ".join(notes))


def _check_combined(origin: str, where: str, lv: Lever, phases: list[Schedule]) -> None:
    if len(phases) < 2:
        return
    import numpy as np

    first = min(p.start.index for p in phases)
    last = max(
        (p.last_index if p.last_index is not None else p.start.index + int(p.ramp * 12) + 1)
        for p in phases
    )
    idx = np.arange(first, last + 2)
    total = sum(p.levels_at(idx) for p in phases)
    peak = float(np.max(total))
    problem = lv.check_intensity(peak)
    if problem:
        raise IntensityError(f"{origin}: {where}: the phases add up to {peak:g}, which {problem}")


def _overrides(origin: str, raw: Any) -> dict[str, float]:
    from ..params import load_registry

    if not isinstance(raw, dict):
        raise ScenarioFieldError(
            f"{origin}: overrides = {raw!r} must be a table of parameter = number"
        )
    try:
        return load_registry().check_overrides(raw)
    except UserError as exc:
        raise OverrideError(f"{origin}: overrides: {exc}") from None


def _includes(
    origin: str, raw: Any, base_dir: Path | None, stack: tuple[str, ...]
) -> list[Portfolio]:
    from .portfolio import _preset_files

    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ScenarioFieldError(
            f"{origin}: include = {raw!r} must be a list of preset names or file paths"
        )
    files = _preset_files()
    out = []
    for item in raw:
        if item in files:
            token, path = f"preset:{item}", None
        elif item.endswith(".toml"):
            path = (
                (base_dir / item)
                if base_dir is not None and not Path(item).is_absolute()
                else Path(item)
            )
            token = f"file:{path.resolve()}"
        else:
            close = closest(item, files)
            hint = f"did you mean {close!r}? " if close else ""
            raise ScenarioFieldError(
                f"{origin}: include = {item!r} is not a preset; {hint}or give a .toml file path"
            )
        if token in stack:
            chain = " -> ".join(t.split(":", 1)[1] for t in (*stack, token))
            raise ScenarioFieldError(f"{origin}: include = {item!r} makes a cycle ({chain})")
        if path is None:
            text = files[item].read_text(encoding="utf-8")
            out.append(parse_scenario(text, f"preset {item}", name=item, _stack=(*stack, token)))
        else:
            out.append(load_scenario(path, _stack=(*stack, token)))
    return out


def parse_scenario(
    text: str,
    origin: str = "<scenario>",
    *,
    name: str | None = None,
    base_dir: Path | None = None,
    _stack: tuple[str, ...] = (),
) -> Portfolio:
    """Parse and validate a scenario document into a :class:`Portfolio`.

    Args:
        text: the TOML document.
        origin: how messages name the document (a file path).
        name: the portfolio name when the document gives none (default: ``origin``'s stem).
        base_dir: where relative ``include`` paths are resolved.

    Example:
        >>> pf = parse_scenario('include = ["essay"]\\n[overrides]\\ncost_military_operation = 5e7', "x.toml")
        >>> pf.lever_names, pf.overrides
        (['military_campaign', 'maritime_interdiction'], {'cost_military_operation': 50000000.0})
    """
    if not text.strip():
        raise ScenarioSyntaxError(
            f"{origin}: the file is empty; a scenario needs [levers.NAME] tables or include = [...]"
        )
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc).replace("\n", " ")
        hint = " (a key or table defined twice?)" if ("twice" in msg or "overwrite" in msg) else ""
        raise ScenarioSyntaxError(f"{origin}: not valid TOML: {msg}{hint}") from None
    if not doc:
        raise ScenarioSyntaxError(
            f"{origin}: the file holds only comments; a scenario needs [levers.NAME] tables or include = [...]"
        )
    for key in doc:
        if key not in TOP_KEYS:
            raise _unknown_key(origin, "", key, TOP_KEYS)
    default_name = name or Path(origin).stem
    pf_name = _text(origin, "name", doc.get("name", default_name)).strip()
    if not pf_name:
        raise ScenarioFieldError(f"{origin}: name is empty; give the portfolio a name")
    description = _text(origin, "description", doc.get("description", ""))
    sources = doc.get("sources", [])
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ScenarioFieldError(f"{origin}: sources = {sources!r} must be a list of strings")
    raw_levers = doc.get("levers", {})
    if not isinstance(raw_levers, dict):
        raise ScenarioFieldError(
            f"{origin}: levers = {raw_levers!r} must be a table of [levers.NAME] tables"
        )
    plans = {k: _lever_plan(origin, k, v) for k, v in raw_levers.items()}
    overrides = _overrides(origin, doc.get("overrides", {}))
    own = Portfolio(pf_name, plans, overrides, description, tuple(sources), origin)
    if "include" not in doc:
        return own
    parts = _includes(origin, doc["include"], base_dir, _stack)
    try:
        return merge(pf_name, parts, own, origin)
    except ScenarioError:
        raise
    except UserError as exc:
        raise ScenarioFieldError(str(exc)) from None


def load_scenario(path: str | Path, *, _stack: tuple[str, ...] = ()) -> Portfolio:
    """Read and validate a scenario file (see the module docstring for the format).

    Example:
        >>> load_scenario("no/such/file.toml")
        Traceback (most recent call last):
        ...
        fentsim.policy.scenario.ScenarioSyntaxError: no/such/file.toml: no such scenario file
    """
    path = Path(path)
    origin = str(path)
    if not path.exists():
        raise ScenarioSyntaxError(f"{origin}: no such scenario file")
    if not path.is_file():
        raise ScenarioSyntaxError(
            f"{origin}: is not a file; give the path of a scenario .toml file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioSyntaxError(
            f"{origin}: not a text file (not UTF-8); a scenario is a TOML text file"
        ) from None
    except OSError as exc:
        raise ScenarioSyntaxError(f"{origin}: cannot be read ({exc.strerror})") from None
    token = f"file:{path.resolve()}"
    stack = _stack if token in _stack else (*_stack, token)
    return parse_scenario(text, origin, base_dir=path.parent, _stack=stack)
