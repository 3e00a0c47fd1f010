"""Kubernetes: workloads, selectors as the API server matches them, HPAs, PDBs, ConfigMaps, namespaces."""

from __future__ import annotations

from pathlib import Path

import redline
from redline import Kind

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}, tier: {tier}}}}}
    spec:
      containers:
        - name: main
          image: {image}
          env: {env}
"""


def deploy(
    name: str,
    *,
    ns: str = "default",
    replicas: int = 2,
    tier: str = "web",
    image: str = "x/app:1",
    env: str = "[]",
) -> str:
    return DEPLOY.format(name=name, ns=ns, replicas=replicas, tier=tier, image=image, env=env)


def test_selectors_hpa_pdb_and_cross_namespace_dns(tmp_path: Path) -> None:
    (tmp_path / "apps.yaml").write_text(
        "---\n".join(
            [
                deploy("web", env='[{name: API_URL, value: "http://api.backend.svc.cluster.local:8080"}]'),
                deploy(
                    "api",
                    ns="backend",
                    tier="api",
                    env='[{name: DB_ADDR, value: "db.data:5432"}, {name: CACHE, value: "cache:6379"}]',
                ),
                deploy("db", ns="data", replicas=1, tier="db", image="postgres:16"),
                "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: backend}\nspec: {selector: {app: api}}\n",
                "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: data}\nspec:\n  selector: {app: db}\n",
                "apiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: backend}\nspec: {selector: {app: nothing}}\n",
                "apiVersion: v1\nkind: Service\nmetadata: {name: web-lb}\nspec: {type: LoadBalancer, selector: {tier: web}}\n",
                "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
                "  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 8\n"
                "  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]\n",
                "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: gone}\nspec:\n"
                "  scaleTargetRef: {kind: Deployment, name: missing}\n  maxReplicas: 3\n",
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n"
                "  minAvailable: 1\n  selector:\n    matchExpressions: [{key: tier, operator: In, values: [web, edge]}]\n",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
            ]
        )
    )
    system = redline.scan(tmp_path)
    edges = {(e.from_, e.to) for e in system.edges}
    assert edges == {("web", "api"), ("api", "db")}
    (unresolved,) = system.unresolved
    assert unresolved.host == "cache" and "selects no pods" in unresolved.reason
    web = system.component("web")
    assert web is not None and web.autoscaling is not None
    assert (
        web.autoscaling.min_replicas,
        web.autoscaling.max_replicas,
        web.autoscaling.target_cpu_utilization,
    ) == (2, 8, 0.6)
    assert [b.name for b in web.disruption_budgets] == ["web"]
    assert web.exposure == ["LoadBalancer Service web-lb"]
    objects = {(o.kind, o.name): o for o in system.objects}
    assert objects[("HorizontalPodAutoscaler", "gone")].selects == []
    assert objects[("HorizontalPodAutoscaler", "gone")].refs == ["Deployment/missing"]
    assert objects[("Service", "cache")].selects == []
    assert objects[("Widget", "w")].spec == {"size": 3}  # unknown kinds are kept, opaque
    db = system.component("db")
    assert db is not None and db.kind == Kind.DATASTORE and db.namespace == "data"


def test_configmap_env_is_followed(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        deploy("api").replace(
            "env: []",
            "envFrom: [{configMapRef: {name: cfg}}]\n          env: [{name: ONE, valueFrom: {configMapKeyRef: {name: cfg, key: QUEUE}}}]",
        )
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  REDIS_URL: redis://cache:6379\n  QUEUE: mq:5672\n"
        + "---\n"
        + deploy("cache", image="redis:7", replicas=1)
        + "---\napiVersion: v1\nkind: Service\nmetadata: {name: cache}\nspec: {selector: {app: cache}}\n"
    )
    system = redline.scan(tmp_path)
    api = system.component("api")
    assert api is not None
    env = {e.name: e for e in api.env()}
    assert env["REDIS_URL"].from_config == "cfg" and env["REDIS_URL"].source is not None
    assert env["REDIS_URL"].source.line == 20  # the ConfigMap key, not the envFrom line
    assert env["ONE"].value == "mq:5672"
    (edge,) = system.edges
    assert (edge.from_, edge.to) == ("api", "cache")
    assert edge.evidence[0].kind == "config" and "ConfigMap cfg" in edge.evidence[0].reason


def test_workload_facts(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg}
spec:
  selector: {matchLabels: {app: pg}}
  updateStrategy: {type: RollingUpdate}
  template:
    metadata: {labels: {app: pg}}
    spec:
      terminationGracePeriodSeconds: 120
      hostNetwork: true
      securityContext: {runAsUser: 999}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname}]
      containers:
        - name: pg
          image: postgres@sha256:0123456789abcdef
          ports: [{name: pg, containerPort: 5432, hostPort: 5432}]
          readinessProbe: {tcpSocket: {port: pg}, periodSeconds: 5}
          livenessProbe: {exec: {command: [pg_isready]}}
          lifecycle: {preStop: {exec: {command: [sleep, "5"]}}}
          securityContext: {allowPrivilegeEscalation: false}
          resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 2Gi}}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: "x/job:1"}]
""")
    system = redline.scan(tmp_path)
    pg = system.component("pg")
    assert pg is not None
    assert pg.replicas == 1  # StatefulSet without replicas: the API default
    assert pg.termination_grace_s == 120 and pg.host_network is True
    assert pg.placement is not None and pg.placement.anti_affinity == "required"
    (c,) = pg.containers
    assert c.image_digest == "sha256:0123456789abcdef" and c.image_tag is None
    assert c.readiness is not None and c.readiness.type == "tcp" and c.readiness.port == "pg"
    assert c.liveness is not None and c.liveness.type == "exec"
    assert c.pre_stop is True
    assert (
        c.security is not None
        and c.security.run_as_user == 999
        and c.security.allow_privilege_escalation is False
    )
    assert (
        c.resources is not None and c.resources.cpu_request == 0.5 and c.resources.memory_limit == 2 * 2**30
    )
    assert c.ports[0].published == 5432
    assert [(v.type, v.access_modes) for v in pg.volumes] == [("persistentVolumeClaim", ["ReadWriteOnce"])]
    nightly = system.component("nightly")
    assert nightly is not None and nightly.is_batch and nightly.replicas is None
    assert (
        nightly.cron is not None
        and nightly.cron.concurrency_policy == "Forbid"
        and nightly.cron.starting_deadline_s is None
    )


def test_list_kind_and_names_shared_by_two_namespaces(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: Pod, metadata: {name: api, namespace: blue}, spec: {containers: [{name: c, image: i}]}}\n"
        "  - {apiVersion: v1, kind: Pod, metadata: {name: api, namespace: green}, spec: {containers: [{name: c, image: i}]}}\n"
    )
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["blue/api", "green/api"]
    assert all("api" in c.aliases for c in system.components)


def test_kustomization_lists_decide_what_is_read(tmp_path: Path) -> None:
    base = tmp_path / "base"
    comp = tmp_path / "components" / "extra"
    base.mkdir()
    comp.mkdir(parents=True)
    (base / "kustomization.yaml").write_text(
        "resources: [api.yaml]\nnamespace: shop\npatches: [{path: p.yaml}]\n"
    )
    (base / "api.yaml").write_text(deploy("api"))
    (base / "debug.yaml").write_text(deploy("debug"))  # beside the kustomization, not listed
    (comp / "kustomization.yaml").write_text("kind: Component\nresources: [extra.yaml]\n")
    (comp / "extra.yaml").write_text(deploy("extra"))
    system = redline.scan(tmp_path)
    assert [c.name for c in system.components] == ["api"]
    api = system.component("api")
    assert api is not None and api.namespace == "shop"  # the kustomization's namespace
    reasons = {s.file: s.reason for s in system.skipped}
    assert "not listed in base/kustomization.yaml" in reasons["base/debug.yaml"]
    assert "opt-in" in reasons["components/extra/extra.yaml"]
    # the kustomization is built (tests/sources/test_kustomize_build.py): its missing patch file is named
    assert ("base/kustomization.yaml", 3, "patch p.yaml: no such file; not applied") in [
        (w.file, w.line, w.message) for w in system.warnings
    ]
