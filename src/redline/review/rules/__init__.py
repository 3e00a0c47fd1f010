"""The rule catalog: importing this package registers every rule in :data:`redline.review.rule.REGISTRY`.

One module per category. Each module registers its rules with ``@register`` at import time, so adding a
category is one import line here.
"""

from redline.review.rules import availability, integrity, operability, resilience, scalability, security

__all__ = ["availability", "integrity", "operability", "resilience", "scalability", "security"]
