"""The burn-rate math: the SRE workbook's table, exactly, and the window model the tests are built on."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from redline.generate.selectors import parse
from redline.generate.sli import Objective, Sli
from redline.generate.slo import PAGE, TICKET, WINDOWS, build_slo, fires, pair_fires, window_text
from redline.model import Component, Entrypoint, Kind, Source


def test_burn_rates_are_the_workbooks_table_exactly() -> None:
    # 2 % of a 30-day budget in 1 h, 5 % in 6 h, 10 % in 1 d and in 3 d.
    assert [(p.burn, window_text(p.long), window_text(p.short)) for p in PAGE] == [
        (Fraction(72, 5), "1h", "5m"),
        (Fraction(6), "6h", "30m"),
    ]
    assert [(p.burn, window_text(p.long), window_text(p.short)) for p in TICKET] == [
        (Fraction(3), "1d", "2h"),
        (Fraction(1), "3d", "6h"),
    ]
    assert [p.burn_text() for p in (*PAGE, *TICKET)] == ["14.4", "6", "3", "1"]
    assert [window_text(w) for w in WINDOWS] == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


def test_a_window_averages_the_data_it_holds() -> None:
    page = PAGE[0]  # 14.4x over 1 h and 5 min
    budget = Fraction(1, 1000)
    just_above = Fraction(1512, 100000)  # 1.05 x 14.4 x 0.1 %
    # 30 minutes into the burn, the 1-hour window holds half of it: 0.756 % < 1.44 %.
    assert not pair_fires(page, budget, just_above, 30, healthy=360)
    assert pair_fires(page, budget, just_above, 60, healthy=360)
    # A series that began with the burn: every window holds only burning data.
    assert pair_fires(page, budget, just_above, 30, healthy=0)
    assert not fires(PAGE, budget, Fraction(1368, 100000), 60, healthy=360)  # 0.95 x 14.4: no page pair
    # 6.3x the budget: below the 1-hour pair, above the 6-hour one once it has filled.
    assert fires(PAGE, budget, Fraction(63, 10000), 360, healthy=180)
    assert not fires(PAGE, budget, Fraction(63, 10000), 180, healthy=180)


def test_a_pair_that_cannot_fire_is_left_out() -> None:
    sli = Sli(
        entrypoint=Entrypoint(name="api", component="api"),
        component=Component(name="api", kind=Kind.SERVICE, source=Source(file="k.yaml", line=1)),
        requests=None,
        errors=None,
        latency=parse('http_request_duration_seconds_bucket{job="api"}'),
        unit="s",
        buckets=None,
        origin="test",
    )
    p90 = Objective(key="latency-p90", target=Decimal("0.9"), limit_s=0.5, percentile="p90")
    built = build_slo(sli, p90, "")
    assert not isinstance(built, str)
    # 14.4 x a 10 % budget is more than every request: the 1 h / 5 m page pair is dropped, 6 h / 30 m kept.
    page, ticket = built.alerts
    assert [(p.long, p.short) for p in page.pairs] == [(360, 30)]
    assert [(p.long, p.short) for p in ticket.pairs] == [(1440, 120), (4320, 360)]
    assert built.notes == [
        "latency-p90: a 14.4× burn of a 10% budget needs more than every request to fail, so the 1h/5m "
        "pair can never fire and is left out"
    ]
    # No preset buckets: the bound is the limit itself, as Prometheus 2 and 3 write it.
    assert 'le=~"0\\\\.50*"' in built.rules[0]["expr"]
    assert built.rules[0]["expr"].startswith("1 - (sum(rate(http_request_duration_seconds_bucket{")
