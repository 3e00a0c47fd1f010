"""`redline forecast --baseline`: exit 1 when saturation load or p95 at target got worse past a limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.forecast.baseline import (
    ForecastBaselineError,
    Metric,
    Verdict,
    compare,
    load_forecast,
)
from redline.forecast.result import Forecast

COMPOSE = """\
services:
  api:
    image: example/api:1.0
    ports: ["8080:8080"]
    environment:
      DB_HOST: db
  db:
    image: postgres:16.4
"""

REDLINE = """\
name: tiny
slo: {latency: {p95: 300ms}}
entrypoints:
  - {name: web, component: api, rps: 100}
components:
  api:
    workers: 8
    service_time: SERVICE_TIME
    calls:
      - {to: db, count: 2, timeout: 1s}
  db:
    workers: 4
    service_time: 2ms
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def system(folder: Path, service_time: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "compose.yaml").write_text(COMPOSE)
    (folder / "redline.yaml").write_text(REDLINE.replace("SERVICE_TIME", service_time))
    return folder


def web(path: Path) -> dict[str, Any]:
    return next(e for e in json.loads(path.read_text())["entrypoints"] if e["name"] == "web")


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    out = tmp_path / "baseline.json"
    code, _, _ = run("forecast", str(system(tmp_path / "sys", "10ms")), "-q", "-f", "json", "-o", str(out))
    assert code == 0
    return out


def test_an_unchanged_system_passes_its_baseline(baseline: Path, tmp_path: Path) -> None:
    before = web(baseline)
    code, _, err = run("forecast", str(tmp_path / "sys"), "-q", "-f", "json", "--baseline", str(baseline))
    assert code == 0
    sat, p95 = before["saturation_rps"], before["target_p95_ms"]
    assert err.splitlines() == [
        f"redline forecast: baseline {baseline}:",
        f"redline forecast:   web saturation_rps: ok: {sat:g} → {sat:g} rps: unchanged (limit 5.0%)",
        f"redline forecast:   web target_p95_ms: ok: {p95:g} → {p95:g} ms: unchanged (limit 5.0%)",
    ]


def test_a_slower_service_fails_unless_the_limits_allow_it(baseline: Path, tmp_path: Path) -> None:
    system(tmp_path / "sys", "12ms")  # 20% more service time
    now = tmp_path / "now.json"
    assert run("forecast", str(tmp_path / "sys"), "-q", "-f", "json", "-o", str(now))[0] == 0
    before, after = web(baseline), web(now)
    sat_worse = (before["saturation_rps"] - after["saturation_rps"]) / before["saturation_rps"]
    p95_worse = (after["target_p95_ms"] - before["target_p95_ms"]) / before["target_p95_ms"]
    assert 0.05 < sat_worse < 0.30 and 0.05 < p95_worse < 0.30

    code, out, err = run("forecast", str(tmp_path / "sys"), "-q", "-f", "json", "--baseline", str(baseline))
    assert code == 1
    assert json.loads(out)["entrypoints"][0]["name"] == "web"  # stdout stays the report, JSON intact
    assert err.splitlines()[1:] == [
        f"redline forecast:   web saturation_rps: regressed: {before['saturation_rps']:g} → "
        f"{after['saturation_rps']:g} rps: worse by {sat_worse:.1%} (limit 5.0%)",
        f"redline forecast:   web target_p95_ms: regressed: {before['target_p95_ms']:g} → "
        f"{after['target_p95_ms']:g} ms: worse by {p95_worse:.1%} (limit 5.0%)",
    ]
    code, _, err = run(
        "forecast",
        str(tmp_path / "sys"),
        "-q",
        "--baseline",
        str(baseline),
        "--max-regression",
        "30%",
        "--max-p95-regression",
        "0.3",
    )
    assert code == 0, err
    # One limit is enough to fail: the p95 limit alone.
    code, _, _ = run(
        "forecast", str(tmp_path / "sys"), "-q", "--baseline", str(baseline), "--max-regression", "30%"
    )
    assert code == 1


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--max-regression", "150%", "--max-regression: a percentage must lie between 0% and 100%"),
        (
            "--max-p95-regression",
            "5",
            "--max-p95-regression: a bare number above 1 is ambiguous: expected a percentage such as 99.9% or a "
            "fraction such as 0.999, got '5'; write 5% or 0.05\n",
        ),
        ("--max-regression", "lots", "--max-regression: not a percentage"),
    ],
)
def test_limits_are_percentages(
    baseline: Path, tmp_path: Path, option: str, value: str, message: str
) -> None:
    code, _, err = run("forecast", str(tmp_path / "sys"), "-q", "--baseline", str(baseline), option, value)
    assert code == 2
    assert err.startswith(f"redline: error: {message}")


def test_unusable_baselines_are_exit_2(tmp_path: Path) -> None:
    folder = system(tmp_path / "sys", "10ms")
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"format": "redline-review/1", "findings": []}))
    code, out, err = run("forecast", str(folder), "-q", "--baseline", str(review))
    assert code == 2 and out == ""
    assert err.startswith(f"redline: error: {review}: not a forecast of this redline version (")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    code, _, err = run("forecast", str(folder), "-q", "--baseline", str(garbage))
    assert code == 2
    assert err == (
        f"redline: error: {garbage}: not JSON; a forecast baseline is `redline forecast --format json` output\n"
    )


# ------------------------------------------------------------------------------------------- library


def forecast_with(base: Forecast, **changes: Any) -> Forecast:
    entry = base.entrypoints[0].model_copy(update=changes)
    return base.model_copy(update={"entrypoints": [entry]})


def test_unbounded_values_and_missing_entry_points(baseline: Path) -> None:
    base = load_forecast(baseline)
    never = forecast_with(base, saturation_rps=None)
    saturated = forecast_with(base, target_p95_ms=None)
    checks = compare(saturated, never, "b.json", max_saturation=0.05, max_p95=0.05).checks
    assert [(c.metric, c.verdict, c.worse_by) for c in checks] == [
        (Metric.SATURATION_RPS, Verdict.REGRESSED, None),  # the baseline never saturated
        (Metric.TARGET_P95_MS, Verdict.REGRESSED, None),  # saturated at the target now
    ]
    assert (
        checks[0].note
        == f"now saturates at {base.entrypoints[0].saturation_rps:g} rps; the baseline never did"
    )
    better = compare(never, saturated, "b.json", max_saturation=0.05, max_p95=0.05)
    assert [c.verdict for c in better.checks] == [Verdict.OK, Verdict.OK] and not better.regressed
    other_target = forecast_with(base, target_rps=200.0)
    (_, p95) = compare(other_target, base, "b.json", max_saturation=0.05, max_p95=0.05).checks
    assert p95.verdict is Verdict.NOT_COMPARABLE
    assert p95.note == "target loads differ (100 rps then, 200 rps now): not compared"
    renamed = forecast_with(base, name="shop")
    with pytest.raises(ForecastBaselineError, match="shares no entry point with this forecast"):
        compare(renamed, base, "b.json", max_saturation=0.05, max_p95=0.05)
    both = base.model_copy(update={"entrypoints": [*base.entrypoints, renamed.entrypoints[0]]})
    gone = compare(base, both, "b.json", max_saturation=0.05, max_p95=0.05)
    assert gone.missing == ["shop"] and gone.regressed  # an entry point that vanished is not a pass
