"""Helpers shared by the report, web and browser tests (imported explicitly; not a conftest).

* :class:`FakeBackend` — the real lever catalogue and presets (:mod:`fentsim.policy`) with a
  synthetic, deterministic comparison of the same shape as :func:`fentsim.analysis.compare.compare`
  (``to_json()`` and ``results[name]``), so the interface is tested independently of the model;
* :func:`fake_comparison` — that comparison on its own (for report tests);
* :class:`LiveServer` — uvicorn in a thread on a free port of 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fentsim.model.recorder import Output
from fentsim.model.result import SimResult
from fentsim.web.backend import FentsimBackend

YEARS = np.arange(1999, 2036)
OUTPUTS = {
    "opioid_deaths": Output("opioid_deaths", "flow", "deaths/yr", "opioid overdose deaths"),
    "mexico_homicides": Output(
        "mexico_homicides", "flow", "homicides/yr", "intentional homicides in Mexico"
    ),
    "civilian_harm": Output(
        "civilian_harm", "flow", "persons/yr", "civilians harmed by military operations"
    ),
    "fentanyl_delivered_kg": Output(
        "fentanyl_delivered_kg", "flow", "kg", "pure fentanyl delivered"
    ),
    "potency_index": Output("potency_index", "level", "index", "street potency"),
    "programme_cost_usd": Output("programme_cost_usd", "flow", "USD", "programme cost"),
}


def _name(p: Any) -> str:
    return p if isinstance(p, str) else str(getattr(p, "name", p))


def _summary(x: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(x.mean()),
        "p05": float(np.quantile(x, 0.05)),
        "p95": float(np.quantile(x, 0.95)),
    }


class FakeComparison:
    """A comparison with the contract's shape; outcomes are synthetic (common random numbers)."""

    def __init__(self, portfolios: Sequence[Any], runs: int, seed: int, window: tuple[int, int]):
        rng = np.random.default_rng(seed)
        t = (YEARS - 1999)[None, :]
        level = rng.lognormal(0.0, 0.15, (runs, 1))  # shared by every portfolio (CRN)
        base = 8000 + 70000 / (1 + np.exp(-(t - 20) / 2.5))
        self.window, self.names = window, [_name(p) for p in portfolios]
        self.results: dict[str, SimResult] = {}
        for i, name in enumerate(self.names):
            effect = 0.0 if i == 0 else 0.05 + (zlib.crc32(name.encode()) % 20) / 100
            ramp = np.clip((YEARS - 2025) / 3, 0, 1)[None, :]
            deaths = base * level * (1 - effect * ramp)
            out = {
                "opioid_deaths": deaths,
                "mexico_homicides": 30000 * level * (1 + 0.5 * effect * ramp),
                "civilian_harm": 100 * effect * ramp * level,
                "fentanyl_delivered_kg": 40 * t * level * (1 - effect * ramp),
                "potency_index": np.clip(t / 20, 0, 1.2) * level,
                "programme_cost_usd": 1e9 * effect * ramp * np.ones_like(level),
            }
            self.results[name] = SimResult(YEARS, out, OUTPUTS, name)

    def to_json(self) -> dict[str, Any]:
        w0, w1 = self.window
        sel = (w0 <= YEARS) & (w1 >= YEARS)
        ref = self.results[self.names[0]]
        tot = {
            n: {k: v[:, sel].sum(axis=1) for k, v in r.outcomes.items()}
            for n, r in self.results.items()
        }
        rt = tot[self.names[0]]
        out = {}
        for n in self.names:
            s = tot[n]
            averted = rt["opioid_deaths"] - s["opioid_deaths"]
            per = np.where(averted > 0, s["programme_cost_usd"] / np.maximum(averted, 1e-9), np.nan)
            out[n] = {
                "deaths": _summary(s["opioid_deaths"]),
                "averted": _summary(averted),
                "averted_share": _summary(averted / rt["opioid_deaths"]),
                "cost_usd": _summary(s["programme_cost_usd"]),
                "cost_per_death_averted_usd": None
                if np.isnan(per).all()
                else _summary(per[~np.isnan(per)]),
                "homicides": _summary(s["mexico_homicides"]),
                "homicides_change": _summary(s["mexico_homicides"] - rt["mexico_homicides"]),
                "civilian_harm": _summary(s["civilian_harm"]),
                "fentanyl_delivered_kg": _summary(s["fentanyl_delivered_kg"]),
            }
        assert ref is not None
        return {"window": [w0, w1], "reference": self.names[0], "portfolios": out}


def fake_comparison(
    portfolios: Sequence[Any] = ("status-quo", "essay"),
    runs: int = 50,
    seed: int = 1,
    window: tuple[int, int] = (2026, 2035),
) -> FakeComparison:
    return FakeComparison(portfolios, runs, seed, window)


class FakeBackend(FentsimBackend):
    """Real catalogue and validation; synthetic comparison; optional delay per progress step."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None):
        self.delay, self.fail_on, self.calls = delay, fail_on, 0

    def compare(self, portfolios, runs, seed, window, progress):  # type: ignore[override]
        self.calls += 1
        names = [_name(p) for p in portfolios]
        for i, name in enumerate(names):
            progress(f"simulating {name} ({runs:,} runs)", i, len(names))
            if self.fail_on == name:
                raise RuntimeError(f"synthetic failure in {name}")
            time.sleep(self.delay)
        progress("done", len(names), len(names))
        return FakeComparison(portfolios, runs, seed, window)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``with LiveServer(app) as url:`` — uvicorn serving ``app`` on 127.0.0.1 in a thread."""

    def __init__(self, app: Any):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
