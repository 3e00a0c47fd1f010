"""Will the pods be placed: affinity, quotas, LimitRanges, host ports, volumes (codes SD001-SD039)."""

from __future__ import annotations
