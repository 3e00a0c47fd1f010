"""The bottleneck is the saturated resource that waits on no other saturated one."""

from __future__ import annotations

from redline.demo.systems import SYSTEMS, Config
from redline.sources.scan import scan
from redline.verify.bottleneck import pool_resource, root_bottleneck


def test_a_full_pool_in_front_of_a_full_callee_is_a_symptom_and_the_callee_the_cause() -> None:
    system = scan(SYSTEMS[Config.BACK_BOUND].folder)
    pool = pool_resource("front", "back")
    assert pool == "front pool back"
    assert root_bottleneck(system, {"front": 0.95, pool: 0.99, "back": 0.97}) == "back"
    assert root_bottleneck(system, {"front": 0.2, pool: 0.95, "back": 0.6}) == pool
    assert root_bottleneck(system, {"front": 0.96, pool: 0.3, "back": 0.5}) == "front"
    assert root_bottleneck(system, {"front": 0.5, pool: 0.3, "back": 0.89}) is None
