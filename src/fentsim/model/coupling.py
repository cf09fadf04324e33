"""The coupled model: supply chain → market → epidemic → violence → costs.

:func:`coupled_components` is what :func:`fentsim.model.engine.simulate` runs in ``coupled``
exposure mode. Order matters (components run in list order each month; a signal read before its
writer has run holds last month's value):

1. :class:`~fentsim.model.supply.Supply` reads ``illicit_users`` (last month), ``mexico_cooperation``
   (last month), ``potency`` (last month) and writes the fentanyl delivered this month;
2. :class:`~fentsim.model.market.Market` turns delivered supply and users into ``fentanyl_share``,
   ``potency`` and ``od_risk_supply`` for this month;
3. :class:`~fentsim.model.demand.Demand` advances the epidemic and writes ``illicit_users``;
4. :class:`~fentsim.model.violence.Violence` reads leadership removals and the cartel war, writes
   ``mexico_cooperation``;
5. :class:`~fentsim.model.costs.Costs`, when that module is present, prices the plan's levers.

Example:
    >>> [c.name for c in coupled_components()][:4]
    ['supply', 'market', 'demand', 'violence']
"""

from __future__ import annotations

from .market import Market
from .supply import Supply
from .violence import Violence


def coupled_components() -> list:
    """A fresh, ordered component list for one block of runs in coupled mode."""
    from .demand import Demand

    comps: list = [Supply(), Market(), Demand(), Violence()]
    try:
        from .costs import Costs
    except ImportError:  # the cost component is optional
        return comps
    comps.append(Costs())
    return comps
