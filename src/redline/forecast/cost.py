"""Monthly cost of a replica plan: ``Σ replicas × price per replica-hour × 730 h``.

Prices are never invented: a component without a stated (or ``defaults.cost``) price is listed as
unknown, and if no price is known at all the cost is reported as unknown rather than as zero.
"""

from __future__ import annotations

from redline.forecast.graph import Network
from redline.forecast.network import IntArray
from redline.forecast.result import CostForecast

__all__ = ["HOURS_PER_MONTH", "monthly_cost"]

HOURS_PER_MONTH = 730.0  # 365 × 24 / 12


def monthly_cost(net: Network, before: IntArray, after: IntArray) -> CostForecast:
    """Cost of the current replicas and of the planned ones."""
    known = [i for i, p in enumerate(net.price) if p is not None]
    unknown = [net.names[i] for i, p in enumerate(net.price) if p is None]
    if not known:
        return CostForecast(
            currency=net.currency,
            known=False,
            monthly_before=None,
            monthly_after=None,
            unknown_components=unknown,
            note="cost unknown: state cost.replica_hour per component or defaults.cost.replica_hour",
        )
    total_before = sum(int(before[i]) * float(net.price[i] or 0.0) for i in known) * HOURS_PER_MONTH
    total_after = sum(int(after[i]) * float(net.price[i] or 0.0) for i in known) * HOURS_PER_MONTH
    note = "all components priced" if not unknown else f"excludes {len(unknown)} unpriced components"
    return CostForecast(
        currency=net.currency,
        known=True,
        monthly_before=round(total_before, 2),
        monthly_after=round(total_after, 2),
        unknown_components=unknown,
        note=note,
    )
