"""The trust issue: one bad value costs only itself (with file:line, field, expected and found), odd YAML is
read as the platforms read it, and no input can hang a scan."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import redline
from redline.model import EnvVar
from redline.sources import compose, infer

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: good}
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: c, image: x/good:1}]
"""


def _scan(root: Path) -> redline.System:
    return redline.scan(root, render_helm=False)


def _warnings(system: redline.System, file: str) -> list[tuple[int | None, str]]:
    return [(w.line, w.message) for w in system.warnings if w.file == file]


def test_one_bad_field_drops_only_itself_not_the_object_or_the_file(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(
        GOOD
        + """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: 3
  template:
    spec:
      terminationGracePeriodSeconds: "30s"
      containers:
        - name: c
          image: x/bad:1
          readinessProbe: {httpGet: {port: 80}, periodSeconds: "x", timeoutSeconds: 2}
          securityContext: {privileged: !!bool maybe, runAsUser: 1000}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad}
spec:
  5: 10
  scaleTargetRef: {kind: Deployment, name: bad}
  minReplicas: 5
  maxReplicas: 2
---
apiVersion: v1
kind: Service
metadata: {name: bad}
spec: {5: 10, ports: 7, selector: {app: x}}
"""
    )
    system = _scan(tmp_path)
    assert not system.skipped
    good, bad = system.component("good"), system.component("bad")
    assert good is not None and good.replicas == 2
    assert bad is not None and bad.replicas == 3 and bad.termination_grace_s is None
    probe = bad.containers[0].readiness
    assert probe is not None and probe.period_s is None and probe.timeout_s == 2.0 and probe.port == 80
    security = bad.containers[0].security
    assert security is not None and security.privileged is None and security.run_as_user == 1000
    assert bad.autoscaling is not None
    assert (bad.autoscaling.min_replicas, bad.autoscaling.max_replicas) == (5, 2)
    service = next(o for o in system.objects if o.kind == "Service")
    assert service.spec["ports"] is None and service.spec["5"] == 10
    assert _warnings(system, "k.yaml") == [
        (22, "'maybe' cannot be read as !!bool; value dropped"),
        (21, "periodSeconds: expected a whole number, got 'x'; ignored"),
        (17, "terminationGracePeriodSeconds: expected a whole number, got '30s'; ignored"),
        (
            30,
            "minReplicas 5 is greater than maxReplicas 2 (line 31): "
            "the API server refuses this HorizontalPodAutoscaler",
        ),
        (36, "ports: expected a list, got 7; ignored"),
    ]


def test_replicas_beyond_int32_are_a_bad_value(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(GOOD.replace("replicas: 2", "replicas: 2147483648"))
    system = _scan(tmp_path)
    good = system.component("good")
    assert good is not None and good.replicas is None
    assert _warnings(system, "k.yaml") == [
        (5, "replicas: must be at most 2,147,483,647, got 2147483648; ignored")
    ]


def test_unknown_kinds_keep_their_whole_spec_bounded_by_size(tmp_path: Path) -> None:
    deep = "x"
    for i in range(60):
        deep = f"{{l{i}: {deep}}}"
    (tmp_path / "keda.yaml").write_text(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: worker}\nspec:\n"
        "  scaleTargetRef: {name: worker}\n"
        "  triggers:\n    - type: rabbitmq\n      metadata: {queueName: jobs, mode: QueueLength, value: '20'}\n"
        f"  deep: {deep}\n"
        "---\napiVersion: example.com/v1\nkind: Huge\nmetadata: {name: big}\nspec:\n  items: ["
        + ", ".join(str(i) for i in range(20_000))
        + "]\n"
    )
    system = _scan(tmp_path)
    scaled = next(o for o in system.objects if o.kind == "ScaledObject")
    assert scaled.spec["triggers"] == [
        {"type": "rabbitmq", "metadata": {"queueName": "jobs", "mode": "QueueLength", "value": "20"}}
    ]
    inner = scaled.spec["deep"]
    for i in reversed(range(60)):
        inner = inner[f"l{i}"]
    assert inner == "x"  # 60 levels: the old depth bound (40) cut it to None
    huge = next(o for o in system.objects if o.kind == "Huge")
    assert len(huge.spec["items"]) == 9_999  # the key "items" is the first of 10,000 values kept
    assert _warnings(system, "keda.yaml") == [
        (14, "Huge big: spec has more than 10,000 values; the rest is not kept")
    ]


def test_compose_tags_on_any_key_and_in_a_single_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services: !override\n"
        "  api:\n    image: shop/api:1\n    deploy: !override {replicas: 3}\n"
        "    ports: !reset ['8080:80']\n"
        "  db: !!omap\n    - image: postgres:16\n"
        "volumes: !reset {}\n"
    )
    system = _scan(tmp_path)
    assert not system.skipped
    api, db = system.component("api"), system.component("db")
    assert api is not None and api.replicas == 3 and api.exposure == []
    assert db is not None and db.image == "postgres:16"
    assert _warnings(system, "compose.yaml") == []


def test_override_file_can_override_and_reset_whole_services(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: a:1\n    environment: {A: '1'}\n  gone:\n    image: g:1\n"
    )
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  api: !override\n    image: a:2\n  gone: !reset null\n"
    )
    system = _scan(tmp_path)
    api = system.component("api")
    assert api is not None and api.image == "a:2" and api.env() == []
    assert system.component("gone") is None


def test_a_compose_file_that_includes_itself_warns_and_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("include:\n  - compose.yaml\nservices:\n  web: {image: w:1}\n")
    system = _scan(tmp_path)
    assert system.component("web") is not None
    assert _warnings(system, "compose.yaml") == [
        (2, "include compose.yaml: already included (an include cycle); skipped")
    ]


def test_duplicate_keys_warn_with_both_lines_and_keep_the_file(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(GOOD.replace("replicas: 2\n", "replicas: 2\n  replicas: 4\n"))
    system = _scan(tmp_path)
    good = system.component("good")
    assert good is not None and good.replicas == 4
    assert _warnings(system, "k.yaml") == [
        (6, "duplicate key 'replicas' (lines 5 and 6): YAML forbids it; the later value is used")
    ]


def test_tags_and_integer_keys_never_raise(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  5:\n    image: five:1\n    environment: {7: x, REDIS_HOST: !Ref cache}\n"
        "    deploy: {replicas: !!int many}\n    networks: {n: {aliases: 5}}\n    user: '²'\n"
        "    ports: ['²:80', 8080]\n"
        "  cache: {image: redis:7}\n"
    )
    system = _scan(tmp_path)
    assert not system.skipped
    five = system.component("5")
    assert five is not None and five.replicas == 1
    assert {e.name: e.value for e in five.env()} == {"7": "x", "REDIS_HOST": "cache"}
    assert [(p.port, p.published) for p in five.containers[0].ports] == [(80, "²"), (8080, None)]
    assert any(e.from_ == "5" and e.to == "cache" for e in system.edges)
    assert _warnings(system, "compose.yaml") == [
        (4, "unknown tag !Ref: read as an untagged value"),
        (5, "'many' cannot be read as !!int; value dropped"),
        (6, "aliases: expected a list, got 5; ignored"),
    ]


ENV_FILE = """\
# comment
export A=exported
REDIS_HOST=redis # cache host
B=VAL# not a comment
C="VAL # not a comment" # comment
D='$A literal'
E="$A and ${A}"
F=${MISSING:-fallback}
G="multi
line"
bad line here
H
"""


def test_env_file_follows_compose_rules(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    from redline.sources.diagnostics import Collector

    out = Collector()
    values = compose.read_env_file(tmp_path / ".env", out, ".env")
    assert values == {
        "A": "exported",
        "REDIS_HOST": "redis",  # Compose strips ` # comment` after a space
        "B": "VAL# not a comment",
        "C": "VAL # not a comment",
        "D": "$A literal",  # single quotes: literal (python-dotenv would interpolate it)
        "E": "exported and exported",  # $VAR too (python-dotenv only expands ${VAR})
        "F": "fallback",
        "G": "multi\nline",
    }
    assert [(w.file, w.line, w.message) for w in out.warnings] == [
        (".env", 11, "env file: expected KEY=VALUE, got 'bad line here'; ignored")
    ]


def test_env_file_comment_no_longer_makes_unresolved_hosts(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: a:1\n    env_file: [api.env]\n  redis: {image: redis:7}\n"
    )
    (tmp_path / "api.env").write_text("REDIS_HOST=redis # cache host\n")
    system = _scan(tmp_path)
    assert system.unresolved == []
    assert [(e.from_, e.to) for e in system.edges] == [("api", "redis")]


def _finishes(target: object, seconds: float) -> bool:
    done = threading.Event()

    def run() -> None:
        target()  # type: ignore[operator]
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def test_a_fifo_named_yaml_is_skipped_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / ".env")
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: w:1, env_file: .env}\n")
    result: list[redline.System] = []
    assert _finishes(lambda: result.append(_scan(tmp_path)), 20), "scan blocked on a FIFO"
    (system,) = result
    assert {c.name for c in system.components} == {"good", "web"}
    skipped = {s.file: s for s in system.skipped}
    assert skipped["pipe.yaml"].reason == (
        "not a regular file (a FIFO, socket or device): never opened, reading it could block"
    )
    assert skipped["pipe.yaml"].kind == redline.model.SkipKind.IGNORED


MB = 1_000_000


@pytest.mark.parametrize(
    "value",
    [
        "a" * MB,
        "1" * MB,
        "a:" * (MB // 2),
        "." * MB,
        "a." * (MB // 2),
        "${" * (MB // 2),
        "://" * (MB // 3),
        "${a:-" * (MB // 5),
        "$(" * (MB // 2),
        "x://a:" * (MB // 6),
    ],
    ids=[
        "letters",
        "digits",
        "a-colon",
        "dots",
        "a-dot",
        "dollar-brace",
        "scheme-sep",
        "default",
        "paren",
        "urls",
    ],
)
def test_inference_and_interpolation_are_linear_on_any_value(value: str) -> None:
    start = time.perf_counter()
    for name in ("SERVICE_URL", "REDIS_HOST", "PLAIN"):
        infer.candidates(EnvVar(name=name, value=value))
    compose._interpolate(value, {"a": "b"})
    assert time.perf_counter() - start < 1.0
