"""The rule catalog: importing this package registers every rule in :data:`redline.review.rule.REGISTRY`.

One module per category. Each module registers its rules with ``@register`` at import time, so adding a
category is one import line here.
"""

from redline.review.rules import (
    availability,
    connect,
    integrity,
    network,
    operability,
    resilience,
    scalability,
    schedule,
    security,
    start,
)

__all__ = [
    "availability",
    "connect",
    "integrity",
    "network",
    "operability",
    "resilience",
    "scalability",
    "schedule",
    "security",
    "start",
]
