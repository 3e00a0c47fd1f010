"""Will the pods be placed: affinity, quotas, LimitRanges, host ports, volumes (codes SD001-SD039).

Each rule decides something the API server or the scheduler will decide the same way at deploy time, from
the files alone: a container a namespace LimitRange rejects, pods a ResourceQuota refuses, a host port two
workloads cannot both bind. What depends on the cluster (node count, node labels, taints) is an
assumption, never a finding.
"""

from redline.review.rules.schedule import (
    sd001_limitrange_rejects_container,
    sd002_resourcequota_exceeded,
    sd003_host_port_clash,
    sd004_pod_affinity_unsatisfiable,
    sd005_pod_affinity_contradiction,
)

__all__ = [
    "sd001_limitrange_rejects_container",
    "sd002_resourcequota_exceeded",
    "sd003_host_port_clash",
    "sd004_pod_affinity_unsatisfiable",
    "sd005_pod_affinity_contradiction",
]
