"""Stand-ins for the epidemic when only the supply and violence sides need to run.

:class:`UserTap` records the user count the supply component sees each month; :class:`UserReplay`
replays such a series into ``ctx["illicit_users"]``. The supply fit uses them to evaluate the
violence parameters without re-running the epidemic (violence does not feed back into history).

Example:
    >>> import numpy as np
    >>> from fentsim.model.clock import Clock
    >>> from fentsim.params import ParamSet, load_registry
    >>> r, ctx = UserReplay(np.arange(24.0)), {}
    >>> r.init(ParamSet.point(load_registry(), 2), Clock(2000, 2001), ctx)
    >>> r.step(5, None, ctx, None)
    >>> ctx["illicit_users"].tolist()
    [5.0, 5.0]
"""

from __future__ import annotations

import numpy as np


class UserTap:
    """Records ``ctx["illicit_users"]`` of the first run each month (place it first in the list)."""

    name = "user_tap"
    outputs = ()

    def init(self, p, clock, ctx) -> None:
        self.users = np.zeros(clock.n_months)

    def step(self, m, plan, ctx, rec) -> None:
        self.users[m] = ctx["illicit_users"][0]


class UserReplay:
    """Writes a recorded monthly user count (shape ``(n_months,)``) into ``ctx`` for every run."""

    name = "user_replay"
    outputs = ()

    def __init__(self, users: np.ndarray):
        self.users = users

    def init(self, p, clock, ctx) -> None:
        self.buf = np.full(p.n, self.users[0])
        ctx["illicit_users"] = self.buf

    def step(self, m, plan, ctx, rec) -> None:
        self.buf[:] = self.users[m]
