"""What the web API asks of fentsim: the lever catalogue, the presets and a comparison.

:class:`Backend` is the small interface the API is written against; :class:`FentsimBackend`
implements it with :mod:`fentsim.policy` and :func:`fentsim.analysis.compare.compare`. Tests pass
a stand-in with the same three methods. Every input error is a :class:`~fentsim.errors.UserError`
(the API answers 422 with its message).

Example:
    >>> from fentsim.web.models import LeverSetting
    >>> lever_schedule(LeverSetting(lever="naloxone", intensity=2.0, start=2027, ramp=2))
    {'lever': 'naloxone', 'intensity': 2.0, 'start': 2027, 'end': None, 'ramp': 2.0}
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..errors import UserError
from ..report import inputs
from .models import JobRequest, LeverInfo, LeverSetting, PortfolioSpec, PresetInfo

Progress = Callable[[str, int, int], None]
log = logging.getLogger(__name__)


class Backend(Protocol):
    """The three things the API needs from the model side."""

    def levers(self) -> list[LeverInfo]: ...

    def presets(self) -> list[PresetInfo]: ...

    def check(self, request: JobRequest) -> list[Any]:
        """Portfolios ready for :meth:`compare` (raises ``UserError`` on a bad request)."""
        ...

    def compare(
        self,
        portfolios: Sequence[Any],
        runs: int,
        seed: int,
        window: tuple[int, int],
        progress: Progress,
    ) -> Any:
        """A comparison object with ``to_json()`` and ``results[name]`` (SimResults)."""
        ...


def lever_schedule(setting: LeverSetting) -> dict[str, Any]:
    """A lever setting as the plain dict a scenario file holds for one lever."""
    out: dict[str, Any] = {
        "lever": setting.lever,
        "intensity": float(setting.intensity),
        "start": setting.start,
        "end": setting.end,
        "ramp": float(setting.ramp),
    }
    if setting.options:
        out["options"] = dict(setting.options)
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v))
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v))


def scenario_text(spec: PortfolioSpec) -> str:
    """The scenario file (TOML) of a lever-by-lever portfolio; every lever entry is one phase.

    Names, keys and numbers were validated by the request model, so they are safe to write.

    Example:
        >>> spec = PortfolioSpec(name="mine", levers=[LeverSetting(lever="naloxone", intensity=2, end=2030)])
        >>> print(scenario_text(spec))
        name = "mine"
        <BLANKLINE>
        [[levers.naloxone]]
        intensity = 2.0
        start = "2026"
        ramp = 1.0
        end = "2030"
        <BLANKLINE>
    """
    lines = [f"name = {json.dumps(spec.name)}", ""]
    for s in spec.levers:
        d = lever_schedule(s)
        lines += [
            f"[[levers.{s.lever}]]",
            f"intensity = {_toml_value(d['intensity'])}",
            f'start = "{d["start"]}"',
            f"ramp = {_toml_value(d['ramp'])}",
        ]
        if d["end"] is not None:
            lines.append(f'end = "{d["end"]}"')
        lines += [f"{k} = {_toml_value(v)}" for k, v in (s.options or {}).items()]
        lines.append("")
    return "\n".join(lines)


class FentsimBackend:
    """The real backend: :mod:`fentsim.policy` and :func:`fentsim.analysis.compare.compare`.

    Model runs are serialised by one process-wide lock: the model's compiled kernels run on
    Numba's thread pool, whose default (workqueue) layer aborts the process when two Python
    threads enter it at once (a job, the start-up warm-up, a report recomputation).
    """

    model_lock = threading.Lock()

    def levers(self) -> list[LeverInfo]:
        out = []
        for name, lv in inputs.need("fentsim.policy", "levers")().items():
            d = lv.to_dict()
            out.append(
                LeverInfo(
                    name=name,
                    title=d["title"],
                    description=d["description"],
                    unit=d["unit"],
                    min=d["range"][0],
                    max=d["range"][1],
                    default=d["default"],
                    binary=d["binary"],
                    channels=[f"{c['channel']} ({c['direction']})" for c in d["channels"]],
                    options=d["options"],
                )
            )
        return out

    def presets(self) -> list[PresetInfo]:
        out = []
        for name, pf in inputs.need("fentsim.policy", "presets")().items():
            d = pf.to_dict()
            levers = [{"lever": k, **v} for k, v in d["levers"].items()]
            out.append(PresetInfo(name=name, description=d["description"], levers=levers))
        return out

    def check(self, request: JobRequest) -> list[Any]:
        known = {p.name for p in self.presets()}
        out: list[Any] = []
        for i, p in enumerate(request.portfolios):
            if isinstance(p, str):
                if p not in known:
                    raise UserError(
                        f"portfolios[{i}]: {p!r} is not a preset; allowed: {', '.join(sorted(known))}"
                    )
                out.append(p)
            elif p.name in known:
                raise UserError(
                    f"portfolios[{i}].name: {p.name!r} is a preset's name; choose another"
                )
            else:
                out.append(self.portfolio(p))
        return out

    def warm(self) -> None:
        """Load the catalogue and compile the model (a 2-run status-quo comparison); never raises."""
        try:
            self.levers()
            self.presets()
            self.compare(["status-quo"], 2, 0, (2026, 2035), lambda *a: None)
        except Exception:  # warming is an optimisation; a real request reports any error
            log.debug("warm-up failed", exc_info=True)

    def portfolio(self, spec: PortfolioSpec) -> Any:
        """A :class:`fentsim.policy.Portfolio` from a lever-by-lever spec (validated there)."""
        parse = inputs.need("fentsim.policy", "parse_scenario")
        return parse(scenario_text(spec), f"portfolio {spec.name!r}", name=spec.name)

    def compare(
        self,
        portfolios: Sequence[Any],
        runs: int,
        seed: int,
        window: tuple[int, int],
        progress: Progress,
    ) -> Any:
        from ..report.context import trajectory_outputs

        with self.model_lock:
            return inputs.run_comparison(
                portfolios, runs, seed, window, progress=progress, keep=trajectory_outputs()
            )
