"""NetworkPolicies evaluated over the call graph, and credentials a client and its server disagree on.

Codes CN020-CN039.
"""

from __future__ import annotations
