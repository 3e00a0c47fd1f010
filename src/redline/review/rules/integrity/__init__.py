"""Integrity rules (``IN###``): references between objects that point at nothing.

A Service that selects no pods, an HPA whose target does not exist, an Ingress routing to a missing
Service: each is a configuration that applies cleanly and then does nothing, which is why they survive
review. They are only certain when the scan saw the whole system; when it skipped files that could define
the missing side (Helm templates, unreadable manifests), severity drops one step and the message says so.
"""

from redline.review.rules.integrity import (
    in001_service_selects_no_pods,
    in002_hpa_target_missing,
    in003_ingress_backend_missing,
    in004_pdb_selects_nothing,
    in005_dangling_dependency,
    in006_network_policy_selects_nothing,
    in007_healthy_condition_without_healthcheck,
    in008_service_target_port_missing,
)

__all__ = [
    "in001_service_selects_no_pods",
    "in002_hpa_target_missing",
    "in003_ingress_backend_missing",
    "in004_pdb_selects_nothing",
    "in005_dangling_dependency",
    "in006_network_policy_selects_nothing",
    "in007_healthy_condition_without_healthcheck",
    "in008_service_target_port_missing",
]
