"""Availability rules (``AV###``): what takes a user-facing path down when one thing fails.

These rules read the graph. A per-object linter can say "replicas: 1"; these say *whose* requests fail
with it. How the rules divide the work, so one component is reported once:

* AV002 reports datastores, caches and queues running as a single instance, with the entry points that
  depend on them.
* AV003 reports a single-replica *stateless* component that sits in front of most of what an entry point
  needs (a gateway every path goes through), with the share of the entry point it cuts off.
* AV001 reports every other single-replica stateless service that takes traffic.

Compose deployments are single-host by design: replica counts there are not an availability control (the
host is the failure domain), so the replica rules (AV001, AV003) skip them; the datastore rule (AV002)
still applies, because which entry points die with the database does not depend on the platform.
"""

from redline.review.rules.availability import (
    av001_single_replica_service,
    av002_single_instance_datastore,
    av003_single_point_of_failure,
    av004_missing_disruption_budget,
    av005_disruption_budget_blocks_eviction,
    av006_replicas_not_spread,
    av007_rwo_volume_on_deployment,
    av008_rollout_takes_all_down,
    av009_datastore_on_ephemeral_storage,
)

__all__ = [
    "av001_single_replica_service",
    "av002_single_instance_datastore",
    "av003_single_point_of_failure",
    "av004_missing_disruption_budget",
    "av005_disruption_budget_blocks_eviction",
    "av006_replicas_not_spread",
    "av007_rwo_volume_on_deployment",
    "av008_rollout_takes_all_down",
    "av009_datastore_on_ephemeral_storage",
]
