"""Will each call reach its callee: ports, names, DNS (codes CN001-CN019).

These rules decide, from the files alone, failures that live tools diagnose only after a deploy: a Service
that forwards to a port nothing listens on, a call to a workload scaled to zero. Each is certain only for
what the files say; where the files leave a fact open (a container that declares no ports, an image whose
default port is unknown), the rule stays silent.
"""

from redline.review.rules.connect import (
    cn001_service_port_not_listening,
    cn002_call_to_scaled_to_zero,
    cn003_cluster_names_without_cluster_dns,
)

__all__ = [
    "cn001_service_port_not_listening",
    "cn002_call_to_scaled_to_zero",
    "cn003_cluster_names_without_cluster_dns",
]
