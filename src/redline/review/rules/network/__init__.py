"""NetworkPolicies evaluated over the call graph, and credentials a client and its server disagree on.

Codes CN020-CN039.

Every decision is three-valued: allowed, blocked, or undecided (an ``ipBlock`` peer, which some network
plugins match against pod IPs; a namespaceSelector over a namespace whose labels the scan did not see; a
call whose port could not be worked out while the policy names ports). Only "blocked" is reported: a
false finding costs more than a missed one.
"""

from redline.review.rules.network import (
    cn020_network_policy_blocks_call,
    cn021_network_policy_blocks_dns,
    cn022_credentials_mismatch,
)

__all__ = [
    "cn020_network_policy_blocks_call",
    "cn021_network_policy_blocks_dns",
    "cn022_credentials_mismatch",
]
