"""Request and response models of the dashboard's HTTP API (they define its OpenAPI schema).

Every request model forbids unknown fields and bounds every number, so a malformed request is a
422 with a message naming the field before anything runs.

Example:
    >>> req = JobRequest(portfolios=["status-quo", {"name": "mine", "levers": [
    ...     {"lever": "naloxone", "intensity": 2.0, "start": 2026}]}], runs=100)
    >>> req.portfolios[1].levers[0].end is None, req.window
    (True, (2026, 2035))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_RUNS = 5000  #: runs per job (the API's cap; the dashboard's slider stops here)
MAX_PORTFOLIOS = 6
MAX_LEVERS = 20
FIRST_YEAR, LAST_YEAR = 2000, 2035  #: schedules and windows must lie in these years

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 _+.\-]*$",
        description="letters, digits, space, _ + . - (starts with a letter or digit)",
        examples=["my-portfolio"],
    ),
]
LeverName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR, strict=True)]
OptionKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
#: an option is a switch (``consent = true``) or a mix of shares (``target_mix = {labs = 0.5, …}``)
OptionValue = bool | dict[OptionKey, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeverSetting(_Strict):
    """One lever of a custom portfolio, on its schedule."""

    lever: LeverName = Field(description="lever name from GET /api/levers")
    intensity: float = Field(
        ge=0, le=1e6, allow_inf_nan=False, description="in the lever's unit (see GET /api/levers)"
    )
    start: Year = Field(2026, description="first year the lever acts")
    end: Year | None = Field(None, description="last year it acts (default: to the horizon)")
    ramp: float = Field(
        1.0, ge=0, le=10, allow_inf_nan=False, description="years to reach full intensity"
    )
    options: dict[OptionKey, OptionValue] | None = Field(
        None,
        max_length=10,
        description="non-intensity options, e.g. a military campaign's target mix",
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> LeverSetting:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class PortfolioSpec(_Strict):
    """A custom portfolio built lever by lever."""

    name: Name
    levers: list[LeverSetting] = Field(max_length=MAX_LEVERS)


class JobRequest(_Strict):
    """A comparison: portfolios (the first is the reference) run on the same parameter draws."""

    portfolios: list[Name | PortfolioSpec] = Field(
        min_length=1,
        max_length=MAX_PORTFOLIOS,
        description="preset names (GET /api/presets) or custom portfolios; the first is the reference",
        examples=[["status-quo", "essay", "public-health"]],
    )
    runs: int = Field(
        500, ge=1, le=MAX_RUNS, strict=True, description=f"parameter draws (at most {MAX_RUNS})"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, strict=True)
    window: tuple[Year, Year] = Field(
        (2026, 2035), description="years over which outcomes are summed"
    )

    @model_validator(mode="after")
    def _check(self) -> JobRequest:
        if self.window[1] < self.window[0]:
            raise ValueError(f"window {self.window[0]}-{self.window[1]} ends before it starts")
        names = [p if isinstance(p, str) else p.name for p in self.portfolios]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"portfolio names must be unique; repeated: {', '.join(dup)}")
        return self

    def names(self) -> list[str]:
        return [p if isinstance(p, str) else p.name for p in self.portfolios]


class ErrorResponse(BaseModel):
    """Every 4xx answer: a one-line message naming the field, the value and what is allowed."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class LeverInfo(BaseModel):
    """A lever of the catalogue: what its intensity means and which values are allowed."""

    name: str
    title: str = ""
    description: str = ""
    unit: str = ""
    min: float
    max: float
    default: float
    binary: bool = False
    channels: list[str] = []
    options: dict[str, dict[str, Any]] = {}


class PresetInfo(BaseModel):
    """A preset portfolio."""

    name: str
    description: str = ""
    levers: list[dict[str, Any]] = []


JobState = Literal["queued", "running", "done", "failed"]


class JobStatus(BaseModel):
    """A job's state and progress (poll until ``state`` is ``done`` or ``failed``)."""

    id: str
    state: JobState
    progress: float = Field(ge=0, le=1)
    message: str = ""
    error: str | None = None
    created: float
    started: float | None = None
    finished: float | None = None
    elapsed_s: float | None = None
    request: JobRequest
    links: dict[str, str] = {}


class Summary(BaseModel):
    """Mean and 90% interval of a quantity across runs."""

    mean: float | None = None
    p05: float | None = None
    p95: float | None = None


class SeriesQuantiles(BaseModel):
    """Per-year mean and quantiles of one output."""

    mean: list[float]
    p05: list[float]
    p50: list[float]
    p95: list[float]


class PortfolioSeries(BaseModel):
    """Annual trajectories of one portfolio's key outputs."""

    years: list[int]
    outcomes: dict[str, SeriesQuantiles]
    units: dict[str, str] = {}


class Comparison(BaseModel):
    """The comparison table: per portfolio and outcome, mean and 90% interval (null if not modelled)."""

    model_config = ConfigDict(extra="allow")

    window: list[int]
    reference: str
    portfolios: dict[str, dict[str, Summary | None]]


class JobResult(BaseModel):
    """A finished comparison: the summary table (the ``compare --json`` contract) and trajectories."""

    id: str
    comparison: Comparison
    series: dict[str, PortfolioSeries]
    elapsed_s: float | None = None
