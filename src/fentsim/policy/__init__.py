"""Policies: the lever catalogue, schedules, portfolios, presets and scenario files.

* :func:`levers` — the validated lever catalogue (``levers.toml``): unit, range, channels, cost.
* :class:`Schedule` — start, ramp, end, ramp-down and intensity; ``profile(clock)``.
* :class:`Portfolio` — scheduled levers plus parameter overrides; :func:`presets`, :func:`resolve`.
* :func:`load_scenario` — a user's portfolio from TOML, validated before anything runs.
* :func:`compile_plan` — the :class:`PolicyPlan` the model reads (levels in addition to the
  status quo, which is the empty plan).

Example:
    >>> from fentsim.model.clock import Clock
    >>> plan = compile_plan("public-health", Clock(2025, 2030))
    >>> round(plan.level("naloxone", 12 + 23), 6)  # December 2027: ramp complete
    5.0
"""

from .catalogue import Channel, Lever, LeverCost, LeverOption, UnknownLeverError, lever, levers
from .plan import STATUS_QUO, PolicyPlan
from .portfolio import (
    IntensityScaleError,
    LeverPlan,
    Portfolio,
    UnknownPortfolioError,
    compile_plan,
    load_portfolio,
    merge,
    preset,
    presets,
    resolve,
)
from .scenario import ScenarioError, load_scenario, parse_scenario
from .schedule import Schedule, ScheduleError, YearMonth

__all__ = [
    "STATUS_QUO",
    "Channel",
    "IntensityScaleError",
    "Lever",
    "LeverCost",
    "LeverOption",
    "LeverPlan",
    "PolicyPlan",
    "Portfolio",
    "ScenarioError",
    "Schedule",
    "ScheduleError",
    "UnknownLeverError",
    "UnknownPortfolioError",
    "YearMonth",
    "compile_plan",
    "lever",
    "levers",
    "load_portfolio",
    "load_scenario",
    "merge",
    "parse_scenario",
    "preset",
    "presets",
    "resolve",
]
