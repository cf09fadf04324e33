"""Bayesian calibration: sequential Monte Carlo with adaptive likelihood tempering.

The posterior over the ``calibrate = true`` parameters is reached through tempered targets
``prior(θ) · L(θ)^β`` with β rising from 0 to 1 (Del Moral, Doucet & Jasra 2006; adaptive β by
target ESS as in Jasra et al. 2011). The sampler works in a standard-normal space: each parameter is
``θ_j = F_j⁻¹(Φ(z_j))`` with ``F_j`` its registry prior, so the prior on ``z`` is N(0, I) whatever
the prior family, bounds are never violated, and the move kernel needs no Jacobian.

1. **Screening stage.** ``draws`` prior draws (index-based streams, evaluated chunk by chunk, only
   their log-likelihoods kept: memory O(draws)) give the first importance weights. β₁ is the
   largest value whose weights keep an effective sample size of ``ess_fraction × particles``;
   ``particles`` draws are resampled (systematic) from the pool and regenerated from their indices.
2. **Tempering stages.** Move, then pick the next β by the same ESS rule (bisection), reweight,
   resample (systematic), until β = 1.
3. **Move step.** Metropolis in z-space with a mixture kernel: half the particles propose
   independently from a Gaussian fitted to their group's population, half take a random-walk step
   with covariance ``scale² · Cov(z)``; all proposals of every group go through the model in one
   batch per step (chunked only to bound memory). The random-walk scale adapts toward the optimal
   acceptance rate; each stage repeats the move until a particle has moved at least once with
   probability :data:`MOVE_COVERAGE` (Drovandi & Pettitt 2011), at most ``max_moves`` times.

The population is split into ``groups`` independent replicate samplers (own pool slice, own β
schedule, own resampling), evaluated in the same batches; their agreement is the convergence
check (R-hat across groups, see :mod:`~fentsim.calibration.diagnostics`).

Every random number comes from streams keyed by (seed, stage) over the whole population, and the
model treats runs independently, so results do not depend on the chunk size.

Example:
    >>> import numpy as np
    >>> fn = lambda z: -0.5 * ((z[:, 0] - 1.0) / 0.5) ** 2     # N(0,1) prior, N(1, .5²) likelihood
    >>> res = smc(fn, 1, SMCSettings(draws=4000, particles=1000, groups=2, seed=3))
    >>> bool(abs(res.z[:, 0].mean() - 0.8) < 0.1)                # conjugate mean 1/(1 + .25) = 0.8
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import logsumexp, ndtri

from ..params.sampling import unit_design

#: Acceptance rate the random-walk step size adapts toward: 0.234 is optimal for random-walk
#: Metropolis in many dimensions (Roberts, Gelman & Gilks 1997).
TARGET_ACCEPT: float = 0.234
#: Initial random-walk scale 2.38/sqrt(d) times the population covariance (Gelman, Roberts &
#: Gilks 1996).
RWM_SCALE: float = 2.38
#: Share of proposals drawn independently from a Gaussian fitted to the group's particles (the
#: rest are random-walk steps): an accepted independent proposal is a fresh draw, which rejuvenates
#: a resampled population far faster than small steps when the posterior is near-Gaussian in z.
INDEPENDENT_SHARE: float = 0.5
#: The independent proposal's sd is the population's times ``1 + 0.5 / sqrt(d)``: a proposal wider
#: than the target keeps the importance ratio bounded in the tails (Robert & Casella 2004, §7.4),
#: while the acceptance of an exactly Gaussian target stays near 0.65 in any dimension (it decays
#: like exp(-d (c - 1)²): c = 1.5 would accept 4% of proposals at d = 27, c = 1.1 about 62%).
INDEPENDENT_SPREAD: float = 0.5
#: Probability that a particle moves at least once in a stage; sets the number of Metropolis
#: repeats from the first acceptance rate a: ceil(log(1 - 0.99) / log(1 - a)).
MOVE_COVERAGE: float = 0.99
#: Ridge added to the population covariance so that its Cholesky factor exists when particles
#: collapse onto a line (z-space is standardised, so 1e-10 is negligible).
COV_RIDGE: float = 1e-10
#: Bisection steps for the next temperature: 2^-60 is below double precision on [0, 1].
BISECTION_STEPS: int = 60
#: Seed-stream tags (arbitrary distinct constants) so that no two uses of a seed share a stream.
_TAG_POOL, _TAG_STAGE = 0x5C01, 0x5C02

Progress = Callable[[str, int, int, dict], None]


class CalibrationError(RuntimeError):
    """The sampler cannot proceed (e.g. every draw has zero likelihood)."""


@dataclass(frozen=True)
class SMCSettings:
    """Tuning of the sampler.

    Attributes:
        draws: prior draws screened in the first stage (chunked; may be 10^6 or more).
        particles: population size after screening (split across ``groups``).
        groups: independent replicate samplers, for the between-group convergence check.
        seed: the one seed every stream derives from.
        chunk: runs per model call (bounds memory, not results).
        ess_fraction: target ESS as a fraction of each group's population.
        max_moves: cap on Metropolis repeats per stage.
        max_stages: cap on tempering stages (an error when reached).
    """

    draws: int = 20_000
    particles: int = 2_000
    groups: int = 4
    seed: int = 0
    chunk: int = 20_000
    ess_fraction: float = 0.5
    max_moves: int = 20
    max_stages: int = 200

    def __post_init__(self) -> None:
        if self.groups < 1 or self.particles < 2 * self.groups:
            raise ValueError(
                f"need at least 2 particles per group, got {self.particles} for {self.groups}"
            )
        if self.draws < self.particles:
            raise ValueError(f"draws ({self.draws}) must be at least particles ({self.particles})")
        if not 0 < self.ess_fraction < 1:
            raise ValueError(f"ess_fraction must be in (0, 1), got {self.ess_fraction}")


@dataclass
class StageRecord:
    """Diagnostics of one tempering stage of one group."""

    stage: int
    group: int
    beta: float
    ess: float
    acceptance: float = float("nan")
    moves: int = 0
    scale: float = float("nan")


@dataclass
class SMCResult:
    """Final population (equally weighted) in z-space, with the run's diagnostics."""

    z: np.ndarray
    loglik: np.ndarray
    group: np.ndarray
    log_evidence: np.ndarray
    stages: list[StageRecord] = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0

    @property
    def weights(self) -> np.ndarray:
        return np.full(len(self.loglik), 1.0 / len(self.loglik))


def ess(logw: np.ndarray) -> float:
    """Effective sample size of log-weights (``-inf`` allowed).

    Example:
        >>> ess(np.zeros(10)), ess(np.array([0.0, -np.inf]))
        (10.0, 1.0)
    """
    w = np.exp(logw - np.max(logw))
    return float(w.sum() ** 2 / (w**2).sum())


def next_beta(ll: np.ndarray, beta: float, target: float) -> float:
    """The largest β' in (β, 1] whose incremental weights ``exp((β' - β) ll)`` keep ESS ≥ target."""
    finite = np.isfinite(ll)
    if not finite.any():
        raise CalibrationError("every draw has zero likelihood (all runs failed or fit nothing)")
    target = min(target, float(finite.sum()))
    x = np.where(finite, ll - ll[finite].max(), -np.inf)
    if ess((1.0 - beta) * x) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if ess((mid - beta) * x) >= target:
            lo = mid
        else:
            hi = mid
    return lo if lo > beta else hi


def systematic(logw: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling: ``n`` ascending indices with frequencies proportional to weights.

    Example:
        >>> systematic(np.array([0.0, -np.inf, 0.0]), 4, np.random.default_rng(0)).tolist()
        [0, 0, 2, 2]
    """
    w = np.exp(logw - np.max(logw))
    c = np.cumsum(w)
    u = (rng.random() + np.arange(n)) / n * c[-1]
    return np.minimum(np.searchsorted(c, u, side="right"), len(w) - 1)


def pool_z(seed: int, n: int, d: int, start: int, stop: int) -> np.ndarray:
    """Rows ``[start, stop)`` of the screening pool in z-space (depend only on seed and index)."""
    u = unit_design(
        "mc", n, d, int(np.random.SeedSequence([seed, _TAG_POOL]).generate_state(1)[0]), start, stop
    )
    return ndtri(u)


def evaluate(
    fn: Callable[[np.ndarray], np.ndarray], z: np.ndarray, chunk: int, mapper=map
) -> np.ndarray:
    """Log-likelihoods of all rows of ``z`` in chunks (``mapper`` may be a pool's ``map``)."""
    parts = [z[a : a + chunk] for a in range(0, len(z), chunk)]
    out = np.concatenate([np.asarray(r, dtype=float) for r in mapper(fn, parts)])
    return np.where(np.isnan(out), -np.inf, out)


@dataclass(frozen=True)
class _PoolTask:
    """Log-likelihoods of pool rows ``[a, b)``; workers regenerate the draws from the indices."""

    fn: Callable[[np.ndarray], np.ndarray]
    seed: int
    n: int
    d: int

    def __call__(self, span: tuple[int, int]) -> np.ndarray:
        return np.asarray(self.fn(pool_z(self.seed, self.n, self.d, *span)), dtype=float)


@dataclass(frozen=True)
class _Indexed:
    fn: Callable[[Any], Any]

    def __call__(self, task: tuple[int, Any]) -> tuple[int, Any]:
        return task[0], self.fn(task[1])


def executor_map(executor) -> Callable:
    """A lazy, order-preserving ``map`` over a :mod:`fentsim.ensemble.executors` executor.

    The executor yields results as chunks finish; this restores task order (buffering results
    that arrive early), so the sampler sees identical numbers whatever the executor.
    """

    def mapper(fn, tasks):
        done: dict[int, Any] = {}
        nxt = 0
        for i, result in executor.imap(_Indexed(fn), enumerate(tasks)):
            done[i] = result
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1

    return mapper


def _log_mean_exp(x: np.ndarray) -> float:
    return float(logsumexp(x) - np.log(len(x)))


def smc(
    fn: Callable[[np.ndarray], np.ndarray],
    d: int,
    settings: SMCSettings = SMCSettings(),
    *,
    progress: Progress | None = None,
    mapper=map,
) -> SMCResult:
    """Sample the posterior ``N(z; 0, I) · exp(fn(z))`` by tempered SMC.

    Args:
        fn: log-likelihood of a chunk ``(m, d) -> (m,)`` (vectorised over rows).
        d: dimension.
        settings: sampler tuning.
        progress: called as ``progress(phase, done, total, info)``.
        mapper: ``map``-like function to evaluate chunks (serial by default).
    """
    t0 = time.perf_counter()
    s = settings
    G = s.groups
    pg, ng = s.particles // G, s.draws // G
    n_pool = ng * G
    report = progress or (lambda *a: None)

    # stage 0: screen the prior pool, chunk by chunk, keeping only log-likelihoods
    ll_pool = np.empty(n_pool)
    spans = [(a, min(a + s.chunk, n_pool)) for a in range(0, n_pool, s.chunk)]
    for (a, b), part in zip(spans, mapper(_PoolTask(fn, s.seed, n_pool, d), spans), strict=True):
        ll_pool[a:b] = np.where(np.isnan(part), -np.inf, part)
        report("screen", b, n_pool, {})
    rng = np.random.default_rng([s.seed, _TAG_STAGE, 0])
    beta, logz = np.zeros(G), np.zeros(G)
    records: list[StageRecord] = []
    picks = []
    for g in range(G):
        llg = ll_pool[g * ng : (g + 1) * ng]
        beta[g] = next_beta(llg, 0.0, s.ess_fraction * pg)
        lw = np.where(np.isfinite(llg), beta[g] * llg, -np.inf)
        logz[g] += _log_mean_exp(lw)
        records.append(StageRecord(0, g, float(beta[g]), ess(lw)))
        picks.append(g * ng + systematic(lw, pg, rng))
    idx = np.concatenate(picks)
    z = np.empty((len(idx), d))
    for a in range(0, n_pool, s.chunk):
        b = min(a + s.chunk, n_pool)
        rows = (idx >= a) & (idx < b)
        if rows.any():
            z[rows] = pool_z(s.seed, n_pool, d, a, b)[idx[rows] - a]
    ll = ll_pool[idx]
    group = np.repeat(np.arange(G), pg)
    del ll_pool
    scale = np.full(G, RWM_SCALE / np.sqrt(d))
    evaluations = n_pool
    evaluations += _move(fn, z, ll, group, beta, np.arange(G), scale, rng, s, records, mapper)
    report("stage", 0, 0, {"beta": beta.copy(), "ess": [r.ess for r in records[-G:]]})

    stage = 0
    while (beta < 1.0).any():
        stage += 1
        if stage > s.max_stages:
            raise CalibrationError(f"tempering did not reach beta = 1 in {s.max_stages} stages")
        rng = np.random.default_rng([s.seed, _TAG_STAGE, stage])
        active = np.flatnonzero(beta < 1.0)
        for g in active:
            m = np.flatnonzero(group == g)
            new = next_beta(ll[m], beta[g], s.ess_fraction * pg)
            lw = np.where(np.isfinite(ll[m]), (new - beta[g]) * ll[m], -np.inf)
            logz[g] += _log_mean_exp(lw)
            records.append(StageRecord(stage, int(g), float(new), ess(lw)))
            pick = m[systematic(lw, pg, rng)]
            z[m], ll[m] = z[pick], ll[pick]
            beta[g] = new
        evaluations += _move(fn, z, ll, group, beta, active, scale, rng, s, records, mapper)
        report(
            "stage",
            stage,
            0,
            {"beta": beta.copy(), "ess": [r.ess for r in records[-len(active) :]]},
        )
    return SMCResult(z, ll, group, logz, records, evaluations, time.perf_counter() - t0)


def _move(fn, z, ll, group, beta, active, scale, rng, s: SMCSettings, records, mapper) -> int:
    """Metropolis moves (mixture kernel) of the particles of ``active`` groups, in place.

    Each particle, each repeat, picks (independently of its state, so the mixture is a valid
    kernel) an independent proposal from the group's fitted Gaussian with probability
    :data:`INDEPENDENT_SHARE`, else a random-walk step. Returns the number of model evaluations.
    """
    sel = np.flatnonzero(np.isin(group, active))
    zs, lls, gs = z[sel], ll[sel], group[sel]
    d = z.shape[1]
    inflate = 1.0 + INDEPENDENT_SPREAD / np.sqrt(d)
    mean, chol = {}, {}
    for g in active:
        mean[g] = zs[gs == g].mean(axis=0)
        cov = np.atleast_2d(np.cov(zs[gs == g], rowvar=False)) + COV_RIDGE * np.eye(d)
        chol[g] = np.linalg.cholesky(cov)

    def mahal(x: np.ndarray, g) -> np.ndarray:  # squared Mahalanobis distance to group g's fit
        w = np.linalg.solve(chol[g], (x - mean[g]).T)
        return (w**2).sum(axis=0) / inflate**2

    repeats, k, evals = 1, 0, 0
    acc_sum = dict.fromkeys(active, 0.0)
    while k < repeats:
        eps = rng.standard_normal(zs.shape)
        indep = rng.random(len(zs)) < INDEPENDENT_SHARE
        prop, log_q = zs.copy(), np.zeros(len(zs))
        for g in active:
            m = gs == g
            rw = m & ~indep
            prop[rw] += scale[g] * eps[rw] @ chol[g].T
            ind = m & indep
            prop[ind] = mean[g] + inflate * eps[ind] @ chol[g].T
            log_q[ind] = 0.5 * (mahal(prop[ind], g) - mahal(zs[ind], g))  # log q(z) - log q(z')
        llp = evaluate(fn, prop, s.chunk, mapper)
        evals += len(prop)
        with np.errstate(invalid="ignore"):
            log_a = beta[gs] * (llp - lls) - 0.5 * ((prop**2).sum(1) - (zs**2).sum(1)) + log_q
        ok = np.log(rng.random(len(prop))) < np.where(np.isfinite(llp), log_a, -np.inf)
        zs[ok], lls[ok] = prop[ok], llp[ok]
        for g in active:
            m = gs == g
            a = float(ok[m].mean())
            acc_sum[g] += a
            if k == 0:
                a_c = min(max(a, 1e-6), 1 - 1e-6)  # keep the log finite; the cap bounds repeats
                need = int(np.ceil(np.log(1 - MOVE_COVERAGE) / np.log1p(-a_c)))
                repeats = max(repeats, min(need, s.max_moves))
            if (m & ~indep).any():
                scale[g] *= np.exp(float(ok[m & ~indep].mean()) - TARGET_ACCEPT)
        k += 1
    z[sel], ll[sel] = zs, lls
    for r in records[-len(active) :]:
        r.acceptance, r.moves, r.scale = acc_sum[r.group] / k, k, float(scale[r.group])
    return evals
