"""Will the containers start and stay up: references, memory and CPU floors, probes, state.

Codes ST001-ST039.
"""

from __future__ import annotations
