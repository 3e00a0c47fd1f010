"""Will the containers start and stay up: references, memory and CPU floors, probes, state.

Codes ST001-ST039.

Each rule here decides, from the files alone, a failure that otherwise shows up only after deploy as a
pod stuck in ``CreateContainerConfigError`` / ``ContainerCreating`` or an ``OOMKilled`` restart loop. The
bias is the project's: a false finding costs more than a miss, so a reference counts as missing only when
the repository defines other objects of that kind in that namespace, and memory floors are the runtime's
own documented defaults, not tuning advice.
"""

from redline.review.rules.start import (
    st001_missing_object_reference,
    st002_heap_above_memory_limit,
    st003_datastore_memory_below_floor,
    st004_liveness_kills_slow_starter,
    st005_datastore_data_not_writable,
)

__all__ = [
    "st001_missing_object_reference",
    "st002_heap_above_memory_limit",
    "st003_datastore_memory_below_floor",
    "st004_liveness_kills_slow_starter",
    "st005_datastore_data_not_writable",
]
