"""SLO alerting: SLI recording rules, multi-window multi-burn-rate alerts, a sloth spec, promtool tests.

The burn rates are the SRE workbook's (chapter 5, table 5-8), computed exactly from the share of a
30-day error budget each window may consume:

============  ============  ===========  =============  =========
severity      budget spent  long window  short window   burn rate
============  ============  ===========  =============  =========
page          2 %           1 h          5 min          14.4
page          5 %           6 h          30 min         6
ticket        10 %          1 d          2 h            3
ticket        10 %          3 d          6 h            1
============  ============  ===========  =============  =========

burn rate = budget spent × 30 d / long window. An alert fires when the error ratio over both windows of a
pair exceeds burn rate × budget: the long window makes it significant, the short one makes it stop
soon after the burn does. The page alert ORs the two page pairs, the ticket alert the two ticket pairs.

Every alert is proven by ``promtool test rules`` on both sides of each of its pairs: a burn just above
the pair's rate (×1.05) fires within the long window and not at half of it; one just below (×0.95) does
not fire. What the alert should do at each checked time is computed here (:func:`fires`), from the
window averages of a step in the error ratio, and a test whose expectations would not prove that is a
bug, refused before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from redline.generate.alert import Alert, AlertKind
from redline.generate.naming import camel, slug
from redline.generate.selectors import Matcher, Selector, matches
from redline.generate.sli import Objective, Sli
from redline.review.rule import Severity

__all__ = [
    "PAGE",
    "PERIOD_MINUTES",
    "TICKET",
    "BurnPair",
    "SloSet",
    "build_slo",
    "fires",
    "pair_fires",
    "promtool_tests",
    "record_name",
    "sloth_spec",
    "window_text",
]

#: The SLO period the budget is spent over: 30 days.
PERIOD_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class BurnPair:
    """A long and a short window (minutes) and the share of the 30-day budget the long one may spend."""

    budget_share: Fraction
    long: int
    short: int

    @property
    def burn(self) -> Fraction:
        """The burn rate: budget spent × period / long window (14.4 for 2 % in 1 h)."""
        return self.budget_share * PERIOD_MINUTES / self.long

    def burn_text(self) -> str:
        return _decimal_text(self.burn)


PAGE = (BurnPair(Fraction(2, 100), 60, 5), BurnPair(Fraction(5, 100), 360, 30))
TICKET = (BurnPair(Fraction(10, 100), 1440, 120), BurnPair(Fraction(10, 100), 4320, 360))
#: Every window a recording rule is written for, shortest first.
WINDOWS = tuple(sorted({w for p in (*PAGE, *TICKET) for w in (p.long, p.short)}))

#: A test's burn, as a multiple of the pair's threshold: just above, and just below.
ABOVE = Fraction(105, 100)
BELOW = Fraction(95, 100)
#: Synthetic traffic in the tests, requests per second.
TEST_RPS = 10


def window_text(minutes: int) -> str:
    """``5m``, ``1h``, ``3d``: a Prometheus duration."""
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def record_name(minutes: int) -> str:
    """The recording rule holding the error ratio over a window: ``slo:sli_error:ratio_rate1h``."""
    return f"slo:sli_error:ratio_rate{window_text(minutes)}"


def _decimal_text(x: Fraction | Decimal) -> str:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else x
    text = f"{d.normalize():f}"
    return text


def _percent(x: Fraction | Decimal) -> str:
    return _decimal_text(Fraction(x) * 100) + "%"


@dataclass
class BurnAlert:
    """A burn-rate alert and the window pairs it ORs (pairs that cannot fire are left out)."""

    alert: Alert
    pairs: tuple[BurnPair, ...]


@dataclass
class SloSet:
    """Everything written for one objective of one entry point."""

    sli: Sli
    objective: Objective
    le: str | None
    rules: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[BurnAlert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {"entrypoint": self.sli.entrypoint.name, "slo": self.objective.key}

    def series(self, minutes: int) -> str:
        """The recording rule's series for a window, as a selector."""
        inner = ", ".join(f'{k}="{v}"' for k, v in self.labels.items())
        return f"{record_name(minutes)}{{{inner}}}"

    def ratio(self, window: str) -> str:
        """The error ratio over ``window`` from the raw series (what the recording rules store)."""
        if self.objective.latency:
            assert self.sli.latency is not None and self.le is not None
            good = self.sli.latency.render(self.sli.le_matchers(self.le))
            total = self.sli.latency.render((Matcher("le", "=", "+Inf"),))
            return f"1 - (sum(rate({good}[{window}])) / sum(rate({total}[{window}])))"
        assert self.sli.errors is not None and self.sli.requests is not None
        errors, requests = self.sli.errors.render(), self.sli.requests.render()
        return f"sum(rate({errors}[{window}])) / sum(rate({requests}[{window}]))"

    def bad_events(self) -> str:
        """What fails the objective, in words."""
        if self.objective.latency:
            assert self.objective.limit_s is not None
            limit = self.objective.limit_s
            return f"were slower than {limit * 1000:g} ms" if limit < 1 else f"were slower than {limit:g} s"
        return "failed (5xx)"


def build_slo(sli: Sli, objective: Objective, runbook_base: str) -> SloSet | str:
    """Recording rules and the page and ticket alerts for one objective; or why none can be written."""
    le: str | None = None
    notes: list[str] = []
    if objective.latency:
        if sli.latency is None:
            return f"{objective.key}: no latency histogram selector ({sli.origin} states none)"
        if "le" in sli.latency.labels():
            return f"{objective.key}: the latency selector must not select `le`; redline adds the bound"
        le, note = sli.le(objective)
        notes += [note] if note else []
    elif sli.requests is None or sli.errors is None:
        missing = "requests" if sli.requests is None else "errors"
        return f"{objective.key}: no {missing} selector ({sli.origin} states none)"
    out = SloSet(sli=sli, objective=objective, le=le, notes=notes)
    for minutes in WINDOWS:
        out.rules.append(
            {"record": record_name(minutes), "expr": out.ratio(window_text(minutes)), "labels": out.labels}
        )
    for pairs, kind in ((PAGE, AlertKind.SLO_FAST_BURN), (TICKET, AlertKind.SLO_SLOW_BURN)):
        possible = tuple(p for p in pairs if p.burn * Fraction(objective.budget) < 1)
        for p in pairs:
            if p not in possible:
                out.notes.append(
                    f"{objective.key}: a {p.burn_text()}× burn of a {_percent(objective.budget)} budget "
                    "needs "
                    f"more than every request to fail, so the {window_text(p.long)}/{window_text(p.short)} "
                    "pair can never fire and is left out"
                )
        if possible:
            out.alerts.append(BurnAlert(_burn_alert(out, possible, kind, runbook_base), possible))
    return out


def _burn_alert(s: SloSet, pairs: tuple[BurnPair, ...], kind: AlertKind, runbook_base: str) -> Alert:
    fast = kind is AlertKind.SLO_FAST_BURN
    ep = s.sli.entrypoint.name
    budget = s.objective.budget
    conditions = [
        f"(\n  {s.series(p.long)} > ({p.burn_text()} * {_decimal_text(budget)})\n"
        f"  and\n  {s.series(p.short)} > ({p.burn_text()} * {_decimal_text(budget)})\n)"
        for p in pairs
    ]
    name = f"{camel(ep)}{camel(s.objective.key)}{'FastBurn' if fast else 'SlowBurn'}"
    rates = " or ".join(f"{p.burn_text()}× ({window_text(p.long)})" for p in pairs)
    spends = "; or ".join(
        f"more than {_percent(p.burn * Fraction(budget))} of requests {s.bad_events()} over both "
        f"{window_text(p.long)} and {window_text(p.short)} ({p.burn_text()}× the budget: at that rate the "
        f"30-day budget lasts {float(Fraction(30) / p.burn):.3g} days)"
        for p in pairs
    )
    description = (
        f"Entry point {ep} (enters at {s.sli.component.name}), objective {s.objective.describe()} "
        f"(budget {_percent(budget)}): {spends}. Measured from {s.sli.origin}."
    )
    if s.notes:
        description += " Note: " + "; ".join(n for n in s.notes if "bound" in n)
    return Alert(
        name=name,
        kind=kind,
        subject=ep,
        component=s.sli.component.name,
        expr="\n or\n".join(conditions),
        priority=Severity.CRITICAL if fast else Severity.MEDIUM,
        summary=f"{ep}: error budget of '{s.objective.describe()}' burning {rates} faster than it can last",
        description=description,
        runbook=f"runbooks/{slug(ep, s.objective.key, 'fast-burn' if fast else 'slow-burn')}.md",
        labels=dict(s.labels),
        entrypoint=ep,
        objective=s.objective,
        queries=(
            (f"error ratio over {window_text(pairs[0].long)}", s.ratio(window_text(pairs[0].long))),
            (
                "burn rate over 1h (1 = spending exactly the budget)",
                f"{s.series(60)} / {_decimal_text(budget)}",
            ),
        ),
        notes=tuple(s.notes),
    )


# ------------------------------------------------------------------------------------------ sloth


def sloth_spec(service: str, sets: list[SloSet], runbook_base: str) -> dict[str, Any]:
    """The same SLOs as a sloth ``prometheus/v1`` spec, so a team using sloth can take them over."""
    slos = []
    for s in sets:
        if s.objective.latency:
            assert s.sli.latency is not None and s.le is not None
            total = s.sli.latency.render((Matcher("le", "=", "+Inf"),))
            good = s.sli.latency.render(s.sli.le_matchers(s.le))
            error = f"sum(rate({total}[{{{{.window}}}}])) - sum(rate({good}[{{{{.window}}}}]))"
            events = {"error_query": error, "total_query": f"sum(rate({total}[{{{{.window}}}}]))"}
        else:
            assert s.sli.errors is not None and s.sli.requests is not None
            events = {
                "error_query": f"sum(rate({s.sli.errors.render()}[{{{{.window}}}}]))",
                "total_query": f"sum(rate({s.sli.requests.render()}[{{{{.window}}}}]))",
            }
        page = next((a.alert for a in s.alerts if a.alert.kind is AlertKind.SLO_FAST_BURN), None)
        slos.append(
            {
                "name": slug(s.sli.entrypoint.name, s.objective.key),
                "objective": float(s.objective.target * 100),
                "description": f"{s.sli.entrypoint.name}: {s.objective.describe()}",
                "sli": {"events": events},
                "alerting": {
                    "name": f"{camel(s.sli.entrypoint.name)}{camel(s.objective.key)}",
                    "labels": {"entrypoint": s.sli.entrypoint.name},
                    "annotations": {
                        "runbook_url": runbook_base + (page.runbook if page else "runbooks/README.md")
                    },
                    "page_alert": {"labels": {"severity": "page"}},
                    "ticket_alert": {"labels": {"severity": "ticket"}},
                },
            }
        )
    return {"version": "prometheus/v1", "service": service, "slos": slos}


# ------------------------------------------------------------------------------------------ tests


def pair_fires(p: BurnPair, budget: Fraction, ratio: Fraction, burning: int, healthy: int) -> bool:
    """Whether one window pair's condition holds ``burning`` minutes after the error ratio stepped from 0
    to ``ratio``, when the series began ``healthy`` minutes before the step. A window averages the data
    it holds: ``ratio × min(window, burning) / min(window, healthy + burning)`` (a window longer than the
    series sees only the series; rate() extrapolates both counters alike, so the ratio is exact)."""
    threshold = p.burn * budget
    return all(ratio * min(w, burning) / min(w, healthy + burning) > threshold for w in (p.long, p.short))


def fires(pairs: tuple[BurnPair, ...], budget: Fraction, ratio: Fraction, burning: int, healthy: int) -> bool:
    """Whether an alert ORing ``pairs`` fires (see :func:`pair_fires`)."""
    return any(pair_fires(p, budget, ratio, burning, healthy) for p in pairs)


@dataclass(frozen=True)
class _Traffic:
    """Synthetic counters, one sample every ``interval`` seconds: ``healthy`` steps with no errors, then
    ``burning`` steps at ``ratio``."""

    interval: int
    healthy: int
    burning: int
    ratio: Fraction

    @property
    def per_step(self) -> Fraction:
        return Fraction(TEST_RPS * self.interval)

    def total(self) -> str:
        return f"0+{_num(self.per_step)}x{self.healthy + self.burning}"

    def bad(self) -> str:
        step = self.per_step * self.ratio
        return f"0x{self.healthy} {_num(step)}+{_num(step)}x{self.burning - 1}"

    def good(self) -> str:
        a = self.per_step
        g = a * (1 - self.ratio)
        start = a * self.healthy + g
        return f"0+{_num(a)}x{self.healthy} {_num(start)}+{_num(g)}x{self.burning - 1}"


def _num(x: Fraction) -> str:
    return f"{float(x):.10g}"


#: Seconds between synthetic samples and rule evaluations: page windows are minutes long (the 5-minute
#: window still holds 2 samples), ticket windows hours to days (the 2-hour window holds 4).
TEST_INTERVAL_S = {AlertKind.SLO_FAST_BURN: 150, AlertKind.SLO_SLOW_BURN: 1800}


def promtool_tests(
    sets: list[SloSet], rule_file: str, runbook_base: str
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """``promtool test rules`` files for every burn-rate alert: one for page alerts and one for ticket
    alerts (their windows are days long, so their samples are further apart); and what could not be
    tested, with why."""
    groups: dict[AlertKind, list[dict[str, Any]]] = {k: [] for k in TEST_INTERVAL_S}
    keys: dict[AlertKind, list[tuple[tuple[int, int, Fraction, int], set[str]]]] = {
        k: [] for k in TEST_INTERVAL_S
    }
    untested: list[str] = []
    for s in sets:
        series = _series_shapes(s)
        if isinstance(series, str):
            untested.append(f"{s.sli.entrypoint.name} {s.objective.key}: {series}")
            continue
        for burn in s.alerts:
            kind = burn.alert.kind
            for key, group in _groups(s, burn, series, TEST_INTERVAL_S[kind], runbook_base):
                _pack(groups[kind], keys[kind], key, group)
    page, ticket = (
        {"rule_files": [rule_file], "evaluation_interval": f"{TEST_INTERVAL_S[k]}s", "tests": groups[k]}
        for k in (AlertKind.SLO_FAST_BURN, AlertKind.SLO_SLOW_BURN)
    )
    return page, ticket, untested


def _healthy(burn: BurnAlert, pair: BurnPair, budget: Fraction, ratio: Fraction, above: bool) -> int:
    """The shortest error-free lead-in (minutes) that makes the test prove ``pair``: no pair holds at half
    its long window; at its long window ``pair`` holds (above) or does not (below), and no other pair
    does, so changing another threshold cannot decide the test. A pair that spends the same share of the
    budget as a longer one (the 1 d / 2 h ticket pair and the 3 d / 6 h one: 10 % each) crosses with it
    by construction: its test then proves the alert fires within the pair's window, with both holding."""
    candidates = sorted({pair.long // 2, pair.long, max(p.long for p in burn.pairs)})
    for strict in (True, False):
        for healthy in candidates:
            half = [pair_fires(p, budget, ratio, pair.long // 2, healthy) for p in burn.pairs]
            full = [pair_fires(p, budget, ratio, pair.long, healthy) for p in burn.pairs]
            own = full[burn.pairs.index(pair)] == above
            others = [f for p, f in zip(burn.pairs, full, strict=True) if p != pair]
            if (
                not any(half)
                and own
                and not (any(others) and (strict or not above or not _shares(pair, burn)))
            ):
                return healthy
    raise AssertionError(f"{burn.alert.name}: no lead-in makes a test at {float(ratio):.6g} prove its pair")


def _shares(pair: BurnPair, burn: BurnAlert) -> bool:
    """Whether another pair of the alert spends the same budget share over a longer window."""
    return any(p.budget_share == pair.budget_share and p.long > pair.long for p in burn.pairs)


def _pack(
    groups: list[dict[str, Any]],
    keys: list[tuple[tuple[int, int, Fraction, int], set[str]]],
    key: tuple[int, int, Fraction, int],
    group: dict[str, Any],
) -> None:
    """Add a test group, or merge it into one with the same timing whose series it does not share:
    availability and latency tests read different series, so one evaluation run serves both."""
    names = {x["series"] for x in group["input_series"]}
    for i, (other, used) in enumerate(keys):
        if other == key and not used & names:
            groups[i]["input_series"].extend(group["input_series"])
            groups[i]["alert_rule_test"].extend(group["alert_rule_test"])
            used |= names
            return
    groups.append(group)
    keys.append((key, names))


def _groups(
    s: SloSet, burn: BurnAlert, series: list[tuple[dict[str, str], str]], interval: int, runbook_base: str
) -> list[tuple[tuple[int, int, Fraction, int], dict[str, Any]]]:
    budget = Fraction(s.objective.budget)
    alert = burn.alert
    expected = [{"exp_labels": alert.rule_labels(), "exp_annotations": alert.annotations(runbook_base)}]
    groups = []
    for p in burn.pairs:
        threshold = p.burn * budget
        for factor in (ABOVE, BELOW):
            ratio = min(threshold * factor, (1 + threshold) / 2) if factor > 1 else threshold * factor
            checks = [p.long // 2, p.long]
            want = [False, factor > 1]
            healthy = _healthy(burn, p, budget, ratio, factor > 1)
            traffic = _Traffic(interval, healthy * 60 // interval, p.long * 60 // interval, ratio)
            key = (p.long, p.short, factor, healthy)
            groups.append(
                (
                    key,
                    {
                        "interval": f"{interval}s",
                        "input_series": [
                            {"series": _series_text(labels), "values": getattr(traffic, shape)()}
                            for labels, shape in series
                        ],
                        "alert_rule_test": [
                            {
                                "eval_time": f"{healthy + t}m",
                                "alertname": alert.name,
                                "exp_alerts": expected if on else [],
                            }
                            for t, on in zip(checks, want, strict=True)
                        ],
                    },
                )
            )
    return groups


def _series_text(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")
    return f"{name}{{{rest}}}"


_CANDIDATES = ("500", "503", "200", "5xx", "error", "true", "1", "0", "GET", "ok", "redline")


def _witness(selectors: list[Selector], avoid: list[Selector]) -> dict[str, str] | None:
    """Labels of a series every selector in ``selectors`` matches and none in ``avoid`` does."""
    labels: dict[str, str] = {}
    names = {x.metric for x in selectors if x.metric}
    if len(names) > 1:
        return None
    if names:
        labels["__name__"] = names.pop()
    free: list[Matcher] = []
    for sel in selectors:
        for m in sel.matchers:
            if m.op == "=":
                if labels.get(m.label, m.value) != m.value:
                    return None
                labels[m.label] = m.value
            else:
                free.append(m)
    for m in free:
        if m.label in labels:
            continue
        options = (
            [*(p for p in m.value.split("|") if p.isalnum()), *_CANDIDATES] if m.op == "=~" else _CANDIDATES
        )
        for value in options:
            trial = {**labels, m.label: value}
            if all(matches(sel, trial) for sel in selectors):
                labels = trial
                break
    if not all(matches(sel, labels) for sel in selectors):
        return None
    if any(matches(sel, labels) for sel in avoid):
        for sel in avoid:
            for m in sel.matchers:
                if m.label in labels and m.op != "=":
                    for value in _CANDIDATES:
                        trial = {**labels, m.label: value}
                        if all(matches(x, trial) for x in selectors) and not any(
                            matches(x, trial) for x in avoid
                        ):
                            return trial
        return None
    return labels


def _series_shapes(s: SloSet) -> list[tuple[dict[str, str], str]] | str:
    """The synthetic series a test feeds: (labels, which counter shape) pairs; or why none can be built."""
    sli = s.sli
    if s.objective.latency:
        assert sli.latency is not None and s.le is not None
        good = _witness([sli.latency], [])
        if good is None:
            return f"no series can match {sli.latency.render()} (a regex with no simple witness)"
        return [({**good, "le": s.le}, "good"), ({**good, "le": "+Inf"}, "total")]
    assert sli.requests is not None and sli.errors is not None
    if sli.errors.metric == sli.requests.metric:
        bad = _witness([sli.requests, sli.errors], [])
        ok = _witness([sli.requests], [sli.errors])
        if bad is None or ok is None:
            return "no series found that the requests selector matches with and without the errors selector"
        return [(ok, "good"), (bad, "bad")]
    total = _witness([sli.requests], [])
    bad = _witness([sli.errors], [])
    if total is None or bad is None:
        return "no series can match the requests or errors selector (a regex with no simple witness)"
    return [(total, "total"), (bad, "bad")]
