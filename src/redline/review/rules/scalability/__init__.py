"""Scalability rules (``SC###``): what stops a component from growing with its traffic.

They read autoscalers (``Component.autoscaling``, filled from HPAs), the Services and Ingresses in front
of a workload, and the workload's resources. Compose has no autoscaler, so these rules are about
Kubernetes (and redline.yaml where it states autoscaling).

Not here yet: "single-writer database with no read replica under read-heavy traffic" needs a stated read
ratio, which the model does not carry; it is left out rather than guessed.
"""

from redline.review.rules.scalability import (
    sc001_no_autoscaling,
    sc002_hpa_min_equals_max,
    sc003_hpa_min_below_two,
    sc004_hpa_without_cpu_requests,
    sc005_sticky_sessions,
    sc006_hpa_target_too_high,
    sc007_autoscaled_datastore,
    sc008_single_writer_read_heavy,
)

__all__ = [
    "sc001_no_autoscaling",
    "sc002_hpa_min_equals_max",
    "sc003_hpa_min_below_two",
    "sc004_hpa_without_cpu_requests",
    "sc005_sticky_sessions",
    "sc006_hpa_target_too_high",
    "sc007_autoscaled_datastore",
    "sc008_single_writer_read_heavy",
]
