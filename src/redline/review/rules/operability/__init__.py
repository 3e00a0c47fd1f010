"""Operability rules (``OP###``): what decides whether the platform can run, restart, roll and stop a service.

These are the facts per-object linters also check, but here each finding is weighted by where the
component sits in the graph: a missing readiness probe on a component three entry points depend on is
worse than on a leaf nothing calls, and a batch job needs no readiness probe at all. Scope is stated per
rule: probes and graceful shutdown apply to long-running Kubernetes workloads; healthchecks and restart
policies to Compose services; deadlines to Jobs and CronJobs. Init containers are never probed.
"""

from redline.review.rules.operability import (
    op001_no_readiness_probe,
    op002_no_liveness_probe,
    op003_liveness_same_as_readiness,
    op004_probe_port_not_declared,
    op005_no_resources,
    op006_no_memory_limit,
    op007_mutable_image_tag,
    op008_termination_grace_too_short,
    op009_termination_grace_too_long,
    op010_no_prestop_hook,
    op011_compose_no_healthcheck,
    op012_compose_no_restart_policy,
    op013_cronjob_no_starting_deadline,
    op014_cronjob_no_concurrency_policy,
    op015_job_no_deadline,
)

__all__ = [
    "op001_no_readiness_probe",
    "op002_no_liveness_probe",
    "op003_liveness_same_as_readiness",
    "op004_probe_port_not_declared",
    "op005_no_resources",
    "op006_no_memory_limit",
    "op007_mutable_image_tag",
    "op008_termination_grace_too_short",
    "op009_termination_grace_too_long",
    "op010_no_prestop_hook",
    "op011_compose_no_healthcheck",
    "op012_compose_no_restart_policy",
    "op013_cronjob_no_starting_deadline",
    "op014_cronjob_no_concurrency_policy",
    "op015_job_no_deadline",
]
