"""Security rules (``SE###``): secrets in plain sight, containers that can own their node, and exposure.

Two principles keep these findings trustworthy:

* A value is only secret material when it is *plaintext*: references (``secretKeyRef``), interpolation
  placeholders (``${VAR}``, ``$(VAR)``), file paths (``/run/secrets/db``) and secret-manager references
  are the fix, not the problem (see :mod:`redline.review.rules._util`). A well-known default password
  (``postgres``, ``changeme``) *is* reported: it is worse than a random one, since it needs no leak.
* No finding ever prints a secret: values are masked to their first two characters.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from redline.model import Component, Container, EnvVar, K8sObject, Probe
from redline.model.secrets import mask_args, mask_text
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    DEFAULT_PASSWORDS,
    SecretHit,
    app_containers,
    classify_value,
    is_datastore,
    is_long_running,
    is_reference,
    loc,
    looks_like_key,
    secrets_in_text,
    threshold,
    url_credentials,
    where,
)


def _plain_env(c: Component) -> Iterator[tuple[Container, EnvVar]]:
    """Env vars with a literal value (not a secretKeyRef / configMapKeyRef / fieldRef)."""
    for k in c.containers:
        for e in k.env:
            if e.value is None or e.secret_ref or e.field_ref:
                continue
            yield k, e


def _hits(ctx: Context, c: Component) -> Iterator[tuple[Container, EnvVar, SecretHit]]:
    min_len = int(threshold(ctx, "secret_min_length", 20))
    min_entropy = threshold(ctx, "secret_min_entropy", 4.0)
    for k, e in _plain_env(c):
        hit = classify_value(e.name, e.value, min_length=min_len, min_entropy=min_entropy)
        if hit is not None:
            yield k, e, hit


def _env_fix(c: Component, k: Container, e: EnvVar) -> str:
    if c.platform == "compose":
        return (
            f"{c.name}:\n  environment:\n    {e.name}_FILE: /run/secrets/{e.name.lower()}\n"
            f"  secrets: [{e.name.lower()}]\nsecrets:\n  {e.name.lower()}: {{file: "
            f"./secrets/{e.name.lower()}}}"
            f"   # or {e.name}: ${{{e.name}}} from an untracked .env"
        )
    return (
        f"# {c.name}, container {k.name}\nenv:\n  - name: {e.name}\n    valueFrom:\n"
        f"      secretKeyRef: {{name: {c.name.rsplit('/', 1)[-1]}-secrets, key: {e.name.lower()}}}"
    )


_ENV_TRADEOFF = (
    "One Secret (or secret file) to create and rotate per environment, outside the repository; "
    "Kubernetes Secrets are only base64 unless encryption at rest or an external store is configured."
)


def _where_from(e: EnvVar) -> str:
    return f" (from ConfigMap `{e.from_config}`)" if e.from_config else ""


@register
class SecretInEnv(Rule):
    """What it does:
    Flags an environment variable named like a credential (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`,
    `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`, ...) whose value is written in plaintext in a Kubernetes
    manifest or Compose file. References are not reported: `valueFrom.secretKeyRef`, `${VAR}` / `$(VAR)`
    placeholders, file paths (`/run/secrets/db`), secret-manager references, empty values. Names that
    describe a secret rather than hold it (`PASSWORD_FILE`, `TOKEN_TTL`, `AWS_ACCESS_KEY_ID`) are
    skipped. A well-known default password (`postgres`, `changeme`, `admin`) *is* reported, and said so.

    Why it matters:
    Everything in the repository is readable by everyone with access to it, its forks, its CI logs and
    every laptop that cloned it, forever (git history keeps it after the line is deleted). A plaintext
    credential cannot be rotated without a commit, is identical in every environment that uses the file,
    and a default one is the first thing an attacker tries.

    Example:
    env: [{name: DB_PASSWORD, value: "s3cr3t-pw"}]

    Fix:
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: db, key: password}

    Trade-offs:
    A Secret to create and rotate per environment, outside the repository. Kubernetes Secrets are only
    base64-encoded unless encryption at rest or an external secret store (External Secrets, Vault, SOPS)
    is used.
    """

    code = "SE001"
    name = "secret-in-env"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason not in ("named like a credential", "a well-known default password"):
                    continue
                default = " (a well-known default password)" if hit.default else ""
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` holds a plaintext credential "
                        f"`{hit.shown}`{default}{_where_from(e)}"
                    ),
                    why=(
                        f"Anyone who can read this file or its git history has the credential of `{c.name}`; "
                        "it cannot be rotated without a commit and is the same in every environment"
                        + ("; a default password needs no leak at all." if hit.default else ".")
                    ),
                    fix=_env_fix(c, k, e),
                    tradeoff=_ENV_TRADEOFF,
                )


@register
class CredentialsInUrl(Rule):
    """What it does:
    Flags an environment variable whose value embeds a password in a connection string, whatever the
    variable is called: `scheme://user:password@host` userinfo, or a `password=` / `pwd=` parameter of a
    JDBC or ADO.NET style string. A password part that is a placeholder (`${POSTGRES_PASSWORD}`) is not
    reported.

    Why it matters:
    Connection strings hide credentials under innocent names (`DATABASE_URL`, `BROKER_URL`) that name-based
    secret scanners skip, and they are printed whole in start-up logs, error messages and crash reports.

    Example:
    DATABASE_URL: postgres://app:hunter2@db:5432/app

    Fix:
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app   # or the whole URL from a Secret

    Trade-offs:
    The password must be assembled at start-up (interpolation, or a Secret holding the whole URL).
    """

    code = "SE002"
    name = "credentials-in-url"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason not in ("credentials in a URL", "a password parameter in a connection string"):
                    continue
                default = " (a well-known default password)" if hit.default else ""
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` embeds a password in "
                        f"`{hit.shown}`{default}{_where_from(e)}"
                    ),
                    why=(
                        "The password sits in the repository and is printed wherever the URL is logged: "
                        "start-up banners, connection errors, crash reports."
                    ),
                    fix=(
                        f"# {c.name}\n{e.name}: <scheme>://<user>:${{DB_PASSWORD}}@<host>/<db>"
                        "   # password from a Secret / untracked .env"
                    ),
                    tradeoff=_ENV_TRADEOFF,
                )


@register
class HighEntropyEnvValue(Rule):
    """What it does:
    Flags an environment variable whose name does not say "secret" but whose value is shaped like a
    generated key: a known credential format (AWS `AKIA...`, GitHub `ghp_...`, Slack `xox?-`, Stripe
    `sk_live_`, Google `AIza...`, a PEM private key), or a single token of at least 20 characters
    (`thresholds.secret_min_length`) mixing upper case, lower case and digits with a Shannon entropy of at
    least 4 bits per character (`thresholds.secret_min_entropy`). Hostnames, URLs, paths, UUIDs and
    numbers are excluded.

    Why it matters:
    Keys get pasted under whatever name the library wants (`STRIPE`, `MAPS`, `SENTRY`), where name-based
    checks miss them. The consequences are those of SE001.

    Example:
    env: [{name: MAPS, value: "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"}]

    Fix:
    env:
      - name: MAPS
        valueFrom: {secretKeyRef: {name: maps, key: api-key}}

    Trade-offs:
    Entropy is a heuristic: a random-looking build id or cache key can trigger it. Suppress the finding
    for that variable rather than lowering the threshold.
    """

    code = "SE003"
    name = "high-entropy-env-value"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason != "shaped like a generated key (high entropy)":
                    continue
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` holds a value shaped like a "
                        "key "
                        f"(`{hit.shown}`, {len((e.value or '').strip())} chars){_where_from(e)}"
                    ),
                    why=(
                        "If this is a credential, everyone who can read the repository has it, and it cannot "
                        "be rotated without a commit."
                    ),
                    fix=_env_fix(c, k, e),
                    tradeoff=_ENV_TRADEOFF + " Entropy is a heuristic: suppress it for a non-secret id.",
                )


@register
class SecretInConfigMap(Rule):
    """What it does:
    Flags secret material in a ConfigMap's data: a key named like a credential with a plaintext value, a
    value shaped like a generated key, a connection string with a password, or, inside a config file held
    in the ConfigMap, a `password: value` / `api_key = value` line whose value is plaintext.

    Why it matters:
    ConfigMaps are meant to be read: they are shown by `kubectl describe`, readable by any workload
    identity granted `get configmaps` (commonly broad), not covered by encryption at rest, and printed by
    GitOps diffs. Secret material there has the exposure of SE001 plus that of the cluster API.

    Example:
    kind: ConfigMap, data: {DB_PASSWORD: hunter2}

    Fix:
    kind: Secret
    type: Opaque
    stringData: {DB_PASSWORD: <from your secret store>}   # and envFrom: [{secretRef: {name: ...}}]

    Trade-offs:
    Secrets need their own creation and rotation path; config files that embed credentials must be split
    or templated at start-up.
    """

    code = "SE004"
    name = "secret-in-configmap"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        min_len = int(threshold(ctx, "secret_min_length", 20))
        min_entropy = threshold(ctx, "secret_min_entropy", 4.0)
        for o in ctx.system.objects:
            if o.kind != "ConfigMap":
                continue
            data = o.spec.get("data") or {}
            lines = o.spec.get("data_lines") or {}
            if not isinstance(data, dict):
                continue
            for key, value in data.items():
                if not isinstance(value, str):
                    continue
                for offset, inner, hit in secrets_in_text(
                    str(key), value, min_length=min_len, min_entropy=min_entropy
                ):
                    line = _configmap_line(o, lines.get(key), offset, multiline="\n" in value.strip())
                    where_in = f"key `{key}`" if inner == key else f"`{inner}` inside key `{key}`"
                    default = " (a well-known default password)" if hit.default else ""
                    yield self.finding(
                        component=None,
                        file=o.source.file,
                        line=line,
                        message=(
                            f"ConfigMap `{o.name}` holds {hit.reason} in {where_in}: `{hit.shown}`{default}"
                        ),
                        why=(
                            "ConfigMaps are shown by `kubectl describe`, readable by any identity allowed "
                            "to get "
                            "configmaps, not encrypted at rest, and printed in GitOps diffs."
                        ),
                        fix=(
                            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {o.name}-secret}}\ntype: "
                            "Opaque\n"
                            f"stringData: {{{inner}: <from your secret store>}}"
                        ),
                        tradeoff="A Secret needs its own creation and rotation path outside the repository.",
                    )


def _configmap_line(o: K8sObject, key_line: object, offset: int, *, multiline: bool) -> int | None:
    """The line of a finding inside a ConfigMap: the key's line, plus the offset into a block scalar."""
    if isinstance(key_line, int):
        return key_line + (offset + 1 if multiline else 0)
    return o.source.line


def _k8s_containers(ctx: Context) -> Iterator[tuple[Component, Container]]:
    for c in ctx.system.components:
        if c.platform != "kubernetes":
            continue
        for k in c.containers:
            yield c, k


def _sec_where(c: Component, k: Container) -> tuple[str | None, int | None]:
    return where(k.security.source if k.security else None, k.source, c.source)


@register
class PrivilegedContainer(Rule):
    """What it does:
    Flags a container that runs privileged (`securityContext.privileged: true`, or Compose
    `privileged: true`).

    Why it matters:
    A privileged container has every capability and every host device: a compromise of the application
    is a compromise of the node, and from the node of every pod and secret scheduled on it. It is the
    single setting that turns an application bug into a cluster incident.

    Example:
    securityContext: {privileged: true}

    Fix:
    securityContext:
      privileged: false
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}   # only what it needs

    Trade-offs:
    Finding the minimal capability set takes testing; some node agents (CNI, storage drivers) genuinely
    need privilege and should be isolated on dedicated nodes and suppressed here.
    """

    code = "SE005"
    name = "privileged-container"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if not (k.security and k.security.privileged):
                    continue
                file, line = _sec_where(c, k)
                init = "init container" if k.init else "container"
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=f"{init} `{k.name}` of `{c.name}` runs privileged",
                    why=(
                        f"Whoever compromises `{c.name}` gets every capability and host device: the node, "
                        "and "
                        "every pod and secret on it."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nsecurityContext:\n  privileged: false\n"
                        "  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}  # only what it needs"
                    ),
                    tradeoff=(
                        "Finding the minimal capabilities takes testing; true node agents need isolation."
                    ),
                )


@register
class RunsAsRoot(Rule):
    """What it does:
    Flags a container that is explicitly told to run as root: `runAsUser: 0` in Kubernetes, or
    `user: root` / `user: "0"` in Compose (as read into the model).

    Why it matters:
    Root in the container is root on the host's kernel surface: a container escape (a runtime or kernel
    bug, a writable host mount) lands as root on the node, and root inside the container can modify the
    image's binaries and read every mounted secret.

    Example:
    securityContext: {runAsUser: 0}

    Fix:
    securityContext:
      runAsUser: 10001
      runAsNonRoot: true

    Trade-offs:
    The image must work as a non-root user (file ownership, ports below 1024 need NET_BIND_SERVICE or a
    higher port).
    """

    code = "SE006"
    name = "runs-as-root"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if k.security is None or k.security.run_as_user != 0:
                    continue
                file, line = _sec_where(c, k)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=Severity.LOW if k.init else self.severity,
                    message=f"container `{k.name}` of `{c.name}` is set to run as root (user 0)",
                    why=(
                        f"A container escape from `{c.name}` lands as root on the node, and root inside "
                        "can read "
                        "every mounted secret and rewrite the image's binaries."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nsecurityContext:\n  runAsUser: 10001\n  "
                        "runAsNonRoot: true"
                    ),
                    tradeoff="The image must run as a non-root user (file ownership, ports >= 1024).",
                )


@register
class RunAsNonRootNotEnforced(Rule):
    """What it does:
    Flags a long-running Kubernetes container that neither sets `runAsNonRoot: true` nor a non-zero
    `runAsUser` (pod or container level). It then runs as whatever `USER` its image declares, which is
    root for many images. This is a weak signal, hence low severity: the image may well use a non-root
    user; the manifest just does not guarantee it.

    Why it matters:
    `runAsNonRoot: true` makes the kubelet refuse to start a container that would run as root, so a later
    image (or a base-image change) cannot silently bring root back. See SE006 for what root costs.

    Example:
    A container with no `securityContext` running `mongo`.

    Fix:
    securityContext:
      runAsNonRoot: true
      runAsUser: 10001   # needed when the image's USER is a name, not a number

    Trade-offs:
    Images that need root at start-up (chown of a data dir, binding port 80) must be adapted first; the
    kubelet refuses a named USER it cannot verify unless runAsUser is set.
    """

    code = "SE007"
    name = "run-as-non-root-not-enforced"
    category = Category.SECURITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c, k in _k8s_containers(ctx):
            if k.init or not is_long_running(c):
                continue
            s = k.security
            if s is not None and (s.run_as_non_root or (s.run_as_user is not None and s.run_as_user > 0)):
                continue
            if s is not None and (s.run_as_user == 0 or s.privileged):
                continue  # reported, more strongly, by SE006 / SE005
            file, line = _sec_where(c, k)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=(
                    f"container `{k.name}` of `{c.name}` does not enforce a non-root user (no runAsNonRoot, "
                    f"no runAsUser): it runs as the image's USER, root for many images"
                ),
                why=(
                    f"If `{k.image or 'the image'}` runs as root, a container escape from `{c.name}` lands "
                    "as root "
                    "on the node; nothing in the manifest prevents it."
                ),
                fix=(
                    f"# {c.name}, container {k.name}\nsecurityContext:\n  runAsNonRoot: true\n  runAsUser: "
                    "10001"
                ),
                tradeoff="Images that need root at start-up must be adapted first.",
            )


@register
class PrivilegeEscalationAllowed(Rule):
    """What it does:
    Flags a Kubernetes container that sets `allowPrivilegeEscalation: true` (medium), or that runs as a
    non-root user but leaves `allowPrivilegeEscalation` unset (low). Unset means the kernel's
    `no_new_privs` flag is not set, so escalation is allowed. Containers that may run as root are covered
    by SE006/SE007 instead, since escalation is moot for root; privileged containers by SE005.

    Why it matters:
    Running as non-root only helps if the process cannot become root again. Without `no_new_privs`, a
    setuid binary in the image (`su`, `sudo`, `ping` in older images, anything an attacker can exec) lets
    a compromised non-root process regain root, undoing `runAsNonRoot`. The Pod Security Standard
    "restricted" requires it to be `false`.

    Example:
    securityContext: {runAsNonRoot: true, runAsUser: 10001}     # allowPrivilegeEscalation unset

    Fix:
    securityContext:
      allowPrivilegeEscalation: false

    Trade-offs:
    Breaks processes that rely on setuid binaries at run time (rare in service images).
    """

    code = "SE008"
    name = "privilege-escalation-allowed"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c, k in _k8s_containers(ctx):
            s = k.security
            if s is None or s.privileged:
                continue
            non_root = bool(s.run_as_non_root) or (s.run_as_user is not None and s.run_as_user > 0)
            if s.allow_privilege_escalation is True:
                severity, state = self.severity, "sets allowPrivilegeEscalation: true"
            elif s.allow_privilege_escalation is None and non_root and not k.init and is_long_running(c):
                severity, state = Severity.LOW, "runs as non-root but leaves allowPrivilegeEscalation unset"
            else:
                continue
            file, line = _sec_where(c, k)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=severity,
                message=f"container `{k.name}` of `{c.name}` {state}, so setuid binaries can regain root",
                why=(
                    f"A compromised process in `{c.name}` can exec a setuid binary and become root again, "
                    "undoing the non-root user."
                ),
                fix=f"# {c.name}, container {k.name}\nsecurityContext:\n  allowPrivilegeEscalation: false",
                tradeoff="Breaks only processes that rely on setuid binaries at run time (rare).",
            )


@register
class HostNetwork(Rule):
    """What it does:
    Flags a workload that shares the host's network namespace (`hostNetwork: true`, or Compose
    `network_mode: host`).

    Why it matters:
    The container sees every interface of the node and can bind or sniff any of its ports, reaches
    node-local services (the kubelet, cloud metadata endpoints) from the host's identity, bypasses
    NetworkPolicies, and its own ports collide with anything else on the node (two replicas cannot share a
    node).

    Example:
    spec: {hostNetwork: true}

    Fix:
    spec:
      hostNetwork: false   # expose ports through a Service instead

    Trade-offs:
    Node agents that must see host traffic (CNI plugins, some monitoring) need it; isolate them and
    suppress. For services, a Service adds one kube-proxy hop.
    """

    code = "SE009"
    name = "host-network"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.host_network:
                continue
            prov = c.provenance.get("host_network")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=self.severity if c.platform == "kubernetes" else Severity.MEDIUM,
                message=f"`{c.name}` shares the host's network namespace",
                why=(
                    f"`{c.name}` can bind and sniff any port of its host, reach node-local endpoints "
                    "(kubelet, "
                    "cloud metadata) and bypasses NetworkPolicies."
                ),
                fix=(
                    f"# {c.name}\nspec:\n  hostNetwork: false  # publish ports through a Service"
                    if c.platform == "kubernetes"
                    else f"{c.name}:\n  # remove network_mode: host\n  ports: ['8080:8080']"
                ),
                tradeoff="Node agents may need it (isolate and suppress); a Service adds a kube-proxy hop.",
            )


@register
class HostPid(Rule):
    """What it does:
    Flags a workload that shares the host's process namespace (`hostPID: true`, Compose `pid: host`).

    Why it matters:
    The container sees every process on the node, can read their environment (`/proc/<pid>/environ`,
    where other pods' secrets live) and, with enough privilege, signal or ptrace them.

    Example:
    spec: {hostPID: true}

    Fix:
    spec:
      hostPID: false

    Trade-offs:
    Only node-level debugging and monitoring agents need it; run those separately.
    """

    code = "SE010"
    name = "host-pid"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.host_pid:
                continue
            prov = c.provenance.get("host_pid")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"`{c.name}` shares the host's process namespace",
                why=(
                    f"`{c.name}` can see every process on its node and read their environment, including "
                    "other workloads' secrets."
                ),
                fix=f"# {c.name}\nspec:\n  hostPID: false",
                tradeoff="Only node-level agents need it; run them separately and suppress.",
            )


_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock")
_SENSITIVE = ("/", "/etc", "/root", "/home", "/proc", "/sys", "/var/lib/kubelet", "/var/lib/docker", "/boot")


def _is_socket(path: str | None) -> bool:
    return path is not None and path.rstrip("/").endswith(_SOCKETS)


@register
class HostPathVolume(Rule):
    """What it does:
    Flags a Kubernetes `hostPath` volume. Sensitive paths (`/`, `/etc`, `/root`, `/proc`, `/sys`,
    `/var/lib/kubelet`, `/var/lib/docker`, ...) writable by the pod are high; a read-only mount of a
    non-sensitive path is low; other hostPath mounts are medium. Container runtime sockets are SE012.

    Why it matters:
    A hostPath ties the pod to what is on one node's disk and opens the node to the container: a writable
    mount of a system directory is a container escape (write a cron file, a kubelet config, an SSH key),
    and even a read-only one can leak other pods' data and credentials.

    Example:
    volumes: [{name: logs, hostPath: {path: /var/log}}]

    Fix:
    volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}   # or emptyDir for scratch space
    volumeMounts:
      - {name: logs, mountPath: /var/log, readOnly: true}   # when host access is the point

    Trade-offs:
    Log shippers and node agents need host paths by design: mount them read-only, narrow the path, and
    suppress the finding for that agent.
    """

    code = "SE011"
    name = "host-path-volume"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes":
                continue
            for v in c.volumes:
                if v.type != "hostPath" or _is_socket(v.host_path):
                    continue
                path = (v.host_path or "?").rstrip("/") or "/"
                sensitive = path in _SENSITIVE or path.startswith(("/etc/", "/root/", "/var/lib/kubelet"))
                if sensitive and not v.read_only:
                    severity = Severity.HIGH
                elif v.read_only and not sensitive:
                    severity = Severity.LOW
                else:
                    severity = self.severity
                mode = "read-only" if v.read_only else "writable"
                file, line = where(v.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=severity,
                    message=(
                        f"`{c.name}` mounts host path `{path}` ({mode}) as volume `{v.name}`"
                        + (f" at `{v.mount_path}`" if v.mount_path else "")
                    ),
                    why=(
                        f"`{c.name}` can reach its node's files: "
                        + (
                            "a writable system path is a container escape."
                            if sensitive and not v.read_only
                            else "it is pinned to one node's disk and can read other workloads' data."
                        )
                    ),
                    fix=(
                        f"# {c.name}\nvolumes:\n  - name: {v.name}\n    emptyDir: {{}}  # or a PVC\n"
                        f"# or, when host access is the point:\nvolumeMounts:\n"
                        f"  - {{name: {v.name}, mountPath: {v.mount_path or path}, readOnly: true}}"
                    ),
                    tradeoff="Node agents (log shippers) need host paths: mount read-only, narrow, suppress.",
                )


@register
class ContainerRuntimeSocket(Rule):
    """What it does:
    Flags a container that mounts the container runtime's socket (`/var/run/docker.sock`,
    `containerd.sock`, `crio.sock`, `podman.sock`) from the host, as a Kubernetes hostPath or a Compose
    bind mount, read-only or not.

    Why it matters:
    The socket is the runtime's full API. Whoever can talk to it can start a privileged container that
    mounts the host's root filesystem: it is root on the host. Mounting it `:ro` does not help, since
    read-only applies to the socket file, not to the API calls sent over it. A reverse proxy that reads
    labels through it (Traefik) turns every proxy vulnerability into host takeover.

    Example:
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]

    Fix:
    # Put a filtering proxy in front of the socket, exposing only the read endpoints the service needs:
    socket-proxy:
      image: tecnativa/docker-socket-proxy
      environment: {CONTAINERS: 1, POST: 0}
      volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]
    proxy:
      command: ["--providers.docker.endpoint=tcp://socket-proxy:2375"]

    Trade-offs:
    One more container, and the consumer must support a TCP endpoint. Or configure the proxy statically
    (file provider) and drop the socket entirely.
    """

    code = "SE012"
    name = "container-runtime-socket"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for v in c.volumes:
                if not _is_socket(v.host_path):
                    continue
                mode = " read-only (which does not restrict the API)" if v.read_only else ""
                file, line = where(v.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=f"`{c.name}` mounts the container runtime socket `{v.host_path}`{mode}",
                    why=(
                        f"Whoever compromises `{c.name}` can ask the runtime to start a privileged container "
                        "with the host's filesystem mounted: root on the host."
                    ),
                    fix=(
                        "socket-proxy:\n  image: tecnativa/docker-socket-proxy\n"
                        "  environment: {CONTAINERS: 1, POST: 0}\n"
                        '  volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]\n'
                        f"{c.name}:\n  # talk to tcp://socket-proxy:2375 instead of mounting the socket"
                    ),
                    tradeoff="One more container; the consumer must support a TCP endpoint.",
                )


_TLS_ANNOTATIONS = (
    "certificate-arn",
    "pre-shared-cert",
    "ssl-cert",
    "ssl-certificate",
    "managed-certificates",
    "tls-acme",
    "cert-manager.io/",
    "force-ssl-redirect",
)


@register
class IngressWithoutTls(Rule):
    """What it does:
    Flags an Ingress with no `spec.tls` section and no annotation that terminates TLS elsewhere (AWS
    `certificate-arn`, GKE `pre-shared-cert` / `managed-certificates`, cert-manager, `ssl-cert`,
    `force-ssl-redirect`).

    Why it matters:
    Traffic to the Ingress is plain HTTP: session cookies, bearer tokens and form posts cross every network
    between the user and the cluster in the clear, and can be modified in flight. Browsers mark the site
    as not secure.

    Example:
    kind: Ingress, spec: {rules: [{host: shop.example.com, http: ...}]}

    Fix:
    spec:
      tls:
        - hosts: [shop.example.com]
          secretName: shop-tls      # issued by cert-manager, for instance

    Trade-offs:
    Certificates to issue and renew (automated with cert-manager / ACME); TLS handshakes cost a little CPU
    and one round trip on new connections.
    """

    code = "SE013"
    name = "ingress-without-tls"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in ctx.system.objects:
            if o.kind != "Ingress" or o.spec.get("tls"):
                continue
            if any(marker in f"{k}={v}" for k, v in o.annotations.items() for marker in _TLS_ANNOTATIONS):
                continue
            hosts = sorted(
                {str(r["host"]) for r in (o.spec.get("rules") or []) if isinstance(r, dict) and r.get("host")}
            )
            host = hosts[0] if hosts else "<your host>"
            on = f" for {', '.join(hosts)}" if hosts else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                message=f"Ingress `{o.name}` serves plain HTTP{on}: it has no tls section",
                why=(
                    "Cookies, tokens and form posts to this Ingress cross the network in the clear and "
                    "can be "
                    "read or altered in flight."
                ),
                fix=(
                    f"spec:\n  tls:\n    - hosts: [{host}]\n      secretName: {o.name}-tls  # e.g. from "
                    "cert-manager"
                ),
                tradeoff=(
                    "Certificates to issue and renew (automate with cert-manager); a little handshake CPU."
                ),
            )


_LOCAL_IPS = ("127.0.0.1", "::1", "localhost", "[::1]")


@register
class DatastoreExposed(Rule):
    """What it does:
    Flags a datastore, cache or queue reachable from outside its network: a Compose `ports:` entry that
    publishes it on the host (not bound to 127.0.0.1), a Kubernetes `hostPort`, or a LoadBalancer or
    NodePort Service in front of it. High for a LoadBalancer, medium otherwise.

    Why it matters:
    Databases, Redis, RabbitMQ and friends are built to trust their network: default credentials, no TLS,
    and commands (`CONFIG SET`, `COPY ... PROGRAM`) that turn access into code execution. Internet scans find
    a published port within minutes; Docker-published ports bypass host firewalls such as ufw.

    Example:
    db: {image: postgres:16, ports: ["5432:5432"]}

    Fix:
    db:
      ports: ["127.0.0.1:5432:5432"]   # local debugging only; or drop ports: entirely

    Trade-offs:
    Developers who connected directly need a tunnel (`kubectl port-forward`, SSH) or a localhost-bound port.
    """

    code = "SE014"
    name = "datastore-exposed"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not is_datastore(c):
                continue
            reasons: list[str] = []
            first = None
            for k in c.containers:
                for p in k.ports:
                    if p.published is None or (p.host_ip or "").strip() in _LOCAL_IPS:
                        continue
                    reasons.append(
                        f"{'published port' if c.platform == 'compose' else 'hostPort'} "
                        f"{p.published}->{p.port}"
                    )
                    first = first or p.source
            for exp in c.exposure:  # published ports were judged above, with their host IP
                low = exp.lower()
                if "loadbalancer" in low or "nodeport" in low:
                    reasons.append(exp)
            if not reasons:
                continue
            lb = any("loadbalancer" in r.lower() for r in reasons)
            file, line = where(first, c.source)
            kind = c.engine or c.kind.value
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=Severity.HIGH if lb else self.severity,
                message=f"{kind} `{c.name}` is reachable from outside its network: {'; '.join(reasons)}",
                why=(
                    f"`{c.name}` trusts its network (default credentials, no TLS, commands that run code); "
                    "scanners find published datastore ports within minutes, and Docker-published ports "
                    "bypass host firewalls."
                ),
                fix=(
                    f"{c.name}:\n  ports: ['127.0.0.1:<port>:<port>']  # or remove ports:"
                    if c.platform == "compose"
                    else f"# Service in front of {c.name}\nspec:\n  type: ClusterIP"
                ),
                tradeoff="Direct access for humans needs a tunnel (kubectl port-forward, SSH).",
            )


@register
class NoNetworkPolicyForDatastore(Rule):
    """What it does:
    Flags a Kubernetes namespace that holds datastores, caches or queues and has no NetworkPolicy at all
    (one finding per namespace), and, where NetworkPolicies exist, a datastore that none of them selects.
    Only objects the scan saw count: policies applied from elsewhere are invisible to it.

    Why it matters:
    Without a NetworkPolicy every pod in the cluster can connect to the datastore: one compromised or
    buggy workload anywhere (a log shipper, a demo app, another team's service) can read or wipe it. A
    policy admitting only the services that use it turns "anything" into "its callers".

    Example:
    A namespace with Deployments `api` and `redis` and no `kind: NetworkPolicy`.

    Fix:
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: redis}
    spec:
      podSelector: {matchLabels: {app: redis}}
      policyTypes: [Ingress]
      ingress:
        - from: [{podSelector: {matchLabels: {app: api}}}]
          ports: [{port: 6379}]

    Trade-offs:
    Policies must follow the call graph as it changes (a missing allow rule is an outage), and only take
    effect with a CNI that enforces them (Calico, Cilium, GKE Dataplane V2...).
    """

    code = "SE015"
    name = "no-network-policy-for-datastore"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        by_ns: dict[str, list[Component]] = {}
        for c in ctx.system.components:
            if c.platform == "kubernetes" and is_datastore(c) and c.containers:
                by_ns.setdefault(c.namespace or "default", []).append(c)
        policies = ctx.objects("NetworkPolicy")
        for ns, stores in sorted(by_ns.items()):
            in_ns = [p for p in policies if p.namespace == ns]
            if not in_ns:
                names = ", ".join(f"`{c.name}`" for c in stores)
                file, line = where(stores[0].source)
                yield self.finding(
                    component=stores[0].name if len(stores) == 1 else None,
                    file=file,
                    line=line,
                    message=(
                        f"namespace `{ns}` holds {names} and no NetworkPolicy: any pod in the cluster "
                        f"can connect to {'them' if len(stores) > 1 else 'it'}"
                    ),
                    why=(
                        "One compromised or buggy workload anywhere in the cluster can read or wipe these "
                        "datastores; nothing limits them to their callers."
                    ),
                    fix=self._fix(ctx, stores[0]),
                    tradeoff=(
                        "Policies must follow the call graph as it changes, and need a CNI that enforces "
                        "them."
                    ),
                )
                continue
            for c in stores:
                if any(p.namespace == ns for p in ctx.objects_selecting(c.name, "NetworkPolicy")):
                    continue
                file, line = where(c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"no NetworkPolicy in namespace `{ns}` selects `{c.name}`: any pod can connect to it"
                    ),
                    why=(
                        f"Other pods are restricted but `{c.name}` is not: any workload in the cluster can "
                        "read or "
                        "wipe it."
                    ),
                    fix=self._fix(ctx, c),
                    tradeoff="The policy must follow the call graph as it changes.",
                )

    @staticmethod
    def _fix(ctx: Context, c: Component) -> str:
        label = next(iter(sorted(c.labels.items())), ("app", c.name))
        callers = sorted({e.from_ for e in ctx.system.calls_to(c.name) if not e.startup_only})
        port = next((p.port for k in app_containers(c) for p in k.ports), "<port>")
        sources = (
            "".join(
                f"\n        - podSelector: {{matchLabels: {{app: {caller.rsplit('/', 1)[-1]}}}}}"
                for caller in callers[:3]
            )
            or "\n        - podSelector: {matchLabels: {app: <caller>}}"
        )
        return (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: {c.name.rsplit('/', 1)[-1]}}}\nspec:\n"
            f"  podSelector: {{matchLabels: {{{label[0]}: {label[1]}}}}}\n  policyTypes: [Ingress]\n"
            f"  ingress:\n    - from:{sources}\n      ports: [{{port: {port}}}]"
        )


_DANGEROUS_CAPS = {
    "ALL": Severity.HIGH,
    "SYS_ADMIN": Severity.HIGH,
    "SYS_MODULE": Severity.HIGH,
    "SYS_PTRACE": Severity.HIGH,
    "SYS_RAWIO": Severity.HIGH,
    "DAC_READ_SEARCH": Severity.HIGH,
    "BPF": Severity.HIGH,
    "NET_ADMIN": Severity.MEDIUM,
    "SYS_BOOT": Severity.MEDIUM,
    "SYS_TIME": Severity.MEDIUM,
    "NET_RAW": Severity.LOW,
}


@register
class DangerousCapabilities(Rule):
    """What it does:
    Flags a container that adds Linux capabilities that amount to (or lead to) root on the node: `ALL`,
    `SYS_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`, `DAC_READ_SEARCH`, `BPF` (high); `NET_ADMIN`,
    `SYS_BOOT`, `SYS_TIME` (medium); `NET_RAW` (low). Common harmless additions (`NET_BIND_SERVICE`,
    `CHOWN`, `SETUID`...) are not reported.

    Why it matters:
    `SYS_ADMIN` is "the new root": mount filesystems, escape via cgroups. `SYS_PTRACE` reads other
    processes' memory, `SYS_MODULE` loads kernel code, `DAC_READ_SEARCH` reads any file by handle (the
    "shocker" escape), `NET_ADMIN` rewrites the pod's routing and firewall, `NET_RAW` allows ARP/DNS
    spoofing on the node network.

    Example:
    securityContext: {capabilities: {add: [SYS_ADMIN]}}

    Fix:
    securityContext:
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}   # only what the process needs

    Trade-offs:
    Tools that genuinely need a capability (a VPN sidecar needs NET_ADMIN) should run isolated and be
    suppressed explicitly.
    """

    code = "SE016"
    name = "dangerous-capabilities"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if k.security is None or k.security.privileged:
                    continue
                caps = [cap.upper().removeprefix("CAP_") for cap in k.security.capabilities_add]
                bad = [cap for cap in caps if cap in _DANGEROUS_CAPS]
                if not bad:
                    continue
                severity = min((_DANGEROUS_CAPS[cap] for cap in bad), key=lambda s: s.rank)
                file, line = _sec_where(c, k)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=severity,
                    message=f"container `{k.name}` of `{c.name}` adds capabilities {', '.join(bad)}",
                    why=(
                        f"With {', '.join(bad)}, a compromise of `{c.name}` reaches beyond its container: "
                        "kernel, other processes or the node network."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nsecurityContext:\n"
                        "  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}  # only what it needs"
                    ),
                    tradeoff="Tools that truly need a capability should run isolated and be suppressed.",
                    evidence=[f"{loc(k.security.source, k.source)} capabilities.add {caps}"],
                )


# --------------------------------------------------------------------------------------------------------
# Secrets on command lines, in probes, and in committed Secret manifests


def _argument_secrets(args: list[str]) -> list[str]:
    """The arguments of ``args`` that hold a credential, shown masked with the flag that precedes them.

    What counts is what :func:`redline.model.secrets.mask_args` masks (``--requirepass X``,
    ``--db-password=X``, ``-u user:pw``, ``redis-cli -a X``, ``mysql -pX``, URL userinfo, token formats):
    detection and masking are one piece of code, so whatever a finding reports is also never printed.
    """
    shown = mask_args(args)
    out = []
    for i, (raw, safe) in enumerate(zip(args, shown, strict=True)):
        if raw == safe:
            continue
        if mask_text(raw) == raw and i:  # masked because of the flag before it (`--requirepass`, `-a`)
            out.append(f"{args[i - 1]} {safe}")
        else:  # a script or a long argument: only the words that hold the credential
            out += _changed_words(raw, safe)
    return out


def _changed_words(raw: str, safe: str) -> list[str]:
    """The masked words of ``safe`` (each with the flag before it), or ``safe`` cut short when the
    masking changed the number of words (a private key block)."""
    raw_w, safe_w = raw.split(), safe.split()
    if len(raw_w) != len(safe_w):
        return [safe if len(safe) <= 80 else safe[:77] + "..."]
    out = []
    for j, (r, w) in enumerate(zip(raw_w, safe_w, strict=True)):
        if r != w:
            flag = safe_w[j - 1] if j and safe_w[j - 1].startswith("-") and not w.startswith("-") else ""
            out.append(f"{flag} {w}".strip())
    return out


def _command_fix(c: Component, shown: list[str]) -> str:
    """The flag that leaked, given its value from the environment (a Secret, or an untracked .env)."""
    first = shown[0].split(" ", 1)[0]
    flag = first.split("=", 1)[0]
    var = re.sub(r"[^A-Za-z0-9]+", "_", flag.lstrip("-")).strip("_").upper() if flag.startswith("--") else ""
    var = var or "SECRET_VALUE"
    ref = "${%s}" if c.platform == "compose" else "$(%s)"
    if not flag.startswith("--"):
        arg = f'"{ref % var}"'
    elif "=" in first:
        arg = f'"{flag}={ref % var}"'
    else:
        arg = f'"{flag}", "{ref % var}"'
    if c.platform == "compose":
        return f"{c.name}:\n  command: [..., {arg}]   # interpolated by compose from an untracked .env"
    return (
        f"# {c.name}\nenv:\n  - name: {var}\n    valueFrom:\n"
        f"      secretKeyRef: {{name: {c.name.rsplit('/', 1)[-1]}, key: {var.lower()}}}\n"
        f"args: [..., {arg}]   # expanded by the kubelet"
    )


_ARGS_TRADEOFF = (
    "The value must reach the process another way (an env var from a Secret, a mounted file); some "
    "programs only read a credential from a flag, and then the flag takes `$(VAR)` / `$VAR` instead."
)


@register
class SecretInArguments(Rule):
    """What it does:
    Flags a container whose command line (Kubernetes `command` / `args`, Compose `command`) carries a
    credential in plaintext: a flag named like one followed by its value (`--requirepass X`,
    `--db-password=X`, `--api-token X`, `-Dspring.datasource.password=X`), `curl -u user:pw`,
    `redis-cli -a X`, `mysql -pX`, a URL with a password (`amqp://u:pw@mq`), or a well-known token format
    (`ghp_...`, `AKIA...`). A reference is not reported: `$(VAR)` (expanded by the kubelet), `$VAR` /
    `$$VAR` / `${VAR}` (expanded by the shell or Compose), a file path (`--password-file /run/secrets/x`).

    Why it matters:
    Command lines are the least private place a process has: every user on the node reads them in
    `ps` and `/proc/<pid>/cmdline`, `kubectl describe pod` and `docker inspect` print them, and crash
    reporters and process monitors ship them. The credential is also in the repository, with the
    consequences of SE001.

    Example:
    args: ["--requirepass", "s3cr3t-pw"]

    Fix:
    env:
      - name: REDIS_PASSWORD
        valueFrom: {secretKeyRef: {name: redis, key: password}}
    args: ["--requirepass", "$(REDIS_PASSWORD)"]

    Trade-offs:
    The value must come from a Secret or an untracked file; with `$(VAR)` it still shows in the process
    list at run time (only a file or the environment avoids that), but no longer in the repository.
    """

    code = "SE017"
    name = "secret-in-arguments"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                shown = _argument_secrets(k.command)
                if not shown:
                    continue
                file, line = where(k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"container `{k.name}` of `{c.name}` passes a credential on its command line: "
                        + ", ".join(f"`{s}`" for s in shown)
                    ),
                    why=(
                        f"Anyone who can list processes on the node, describe the pod of `{c.name}` or read "
                        "this file has the credential; crash reporters and monitors ship command lines."
                    ),
                    fix=_command_fix(c, shown),
                    tradeoff=_ARGS_TRADEOFF,
                )


def _probes(c: Component) -> Iterator[tuple[str, Probe]]:
    """Every exec probe of ``c`` with its name: Kubernetes probes per container, the Compose healthcheck."""
    if c.healthcheck is not None:
        yield "healthcheck", c.healthcheck
    for k in c.containers:
        for kind, probe in (("readiness", k.readiness), ("liveness", k.liveness), ("startup", k.startup)):
            if probe is not None:
                yield f"{kind} probe of container `{k.name}`", probe


@register
class SecretInProbe(Rule):
    """What it does:
    Flags a health check that carries a credential in plaintext: a Kubernetes exec probe or a Compose
    `healthcheck.test` running `curl -u user:pw`, `redis-cli -a X`, `mysqladmin -pX`, a flag like
    `--password X`, or a URL with a password. References (`$REDIS_PASSWORD`, `${DB_PASSWORD}`,
    `$$VAR`) are not reported.

    Why it matters:
    A probe runs every few seconds for the life of the pod: its command line is in the process list of
    the node each time, in `kubectl describe pod`, `docker inspect` and the events of every failed
    check. The credential is also committed, with the consequences of SE001.

    Example:
    livenessProbe: {exec: {command: ["sh", "-c", "curl -fsu admin:s3cr3t http://localhost:8080/health"]}}

    Fix:
    livenessProbe:
      httpGet: {path: /health, port: 8080}   # an unauthenticated health endpoint
    # or, when the check must authenticate, read the secret from the environment:
    # exec: {command: ["sh", "-c", "redis-cli -a \"$REDIS_PASSWORD\" ping"]}

    Trade-offs:
    An unauthenticated health endpoint must reveal nothing but health; reading the secret from the
    environment keeps it out of the repository, not out of the process list (`REDISCLI_AUTH` does).
    """

    code = "SE018"
    name = "secret-in-probe"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for what, probe in _probes(c):
                shown = _argument_secrets(probe.command or [])
                if not shown:
                    continue
                file, line = where(probe.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"the {what} in `{c.name}` carries a credential: "
                        + ", ".join(f"`{s}`" for s in shown)
                    ),
                    why=(
                        f"The check runs every few seconds: the credential of `{c.name}` is in the node's "
                        "process list, `kubectl describe` / `docker inspect`, failed-check events, and the "
                        "repository."
                    ),
                    fix=_probe_fix(c, probe.command or []),
                    tradeoff=(
                        "An unauthenticated health endpoint must reveal nothing but health; a secret read "
                        "from the environment stays out of the repository, not out of the process list."
                    ),
                )


_MASKED = re.compile(r"[^\s:=@\"']*\*\*\*\*")


def _probe_fix(c: Component, command: list[str]) -> str:
    """The same check, reading the credential from the container's environment through a shell."""
    line = " ".join(a for a in mask_args(command) if a not in ("CMD", "CMD-SHELL"))
    if c.platform == "compose":
        line = _MASKED.sub("$$PROBE_SECRET", line).replace('"', '\\"')
        return (
            f"{c.name}:\n  environment:\n    PROBE_SECRET: ${{PROBE_SECRET}}   # from an untracked .env\n"
            f'  healthcheck:\n    test: ["CMD-SHELL", "{line}"]'
        )
    line = _MASKED.sub("$PROBE_SECRET", line.removeprefix("sh -c ")).replace('"', '\\"')
    return (
        f"# {c.name}\nenv:\n  - name: PROBE_SECRET\n    valueFrom:\n"
        f"      secretKeyRef: {{name: {c.name.rsplit('/', 1)[-1]}, key: probe-secret}}\n"
        f'livenessProbe:\n  exec:\n    command: ["sh", "-c", "{line}"]\n'
        "# better: an unauthenticated httpGet health endpoint"
    )


#: Keys of a Secret that name or locate something rather than hold a credential.
_DESCRIPTIVE_KEYS = re.compile(
    r"(?:^|[_.-])(?:user|username|login|host|hostname|port|database|db|dbname|name|region|endpoint|"
    r"url|uri|server|namespace|email|ca\.crt|tls\.crt|crt|cert|certificate)$",
    re.IGNORECASE,
)
#: Values a template leaves for a human to replace: not a committed secret (a default password *is*).
_FILL_ME = re.compile(
    r"(?:x{3,}|\*+|replace[_-]?me|todo|tbd|fixme|fill[_-]?me(?:[_-]?in)?|your[_-].*|dummy|fake|placeholder|"
    r"unused|redacted|none|null|notasecret|not-a-secret)",
    re.IGNORECASE,
)


def _decoded(value: str, base64_data: bool) -> str:
    """A Secret value as the pod sees it: ``data`` is base64 (kept as written when it is not valid)."""
    if not base64_data:
        return value
    try:
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value


def _committed_value(key: str, value: str) -> bool | None:
    """Whether a Secret entry holds a committed secret: None when not, else whether it is a default."""
    v = value.strip()
    if is_reference(v) or _FILL_ME.fullmatch(v.lower()) or v.startswith("-----BEGIN CERTIFICATE"):
        return None
    if _DESCRIPTIVE_KEYS.search(key) and url_credentials(v) is None and not looks_like_key(v):
        return None
    return v.lower() in DEFAULT_PASSWORDS


@register
class SecretManifestCommitted(Rule):
    """What it does:
    Flags a `kind: Secret` manifest committed with values: `stringData` in plaintext, or `data`, which is
    base64 (an encoding, not encryption: it is decoded to judge the value). Not reported: empty values,
    references and template placeholders (`${VAR}`, `<password>`, `{{ .Values.x }}`), values a human is
    meant to replace (`REPLACE_ME`, `xxx`, `dummy`, `your-token`), certificates (public), and keys that
    name rather than hold a credential (`username`, `host`, `port`, `database`) unless their value is a
    URL with a password or key-shaped. A well-known default password (`changeme`, `password`, `admin`)
    *is* reported, and said so: it works as written, and it is the first one an attacker tries.

    Why it matters:
    A Secret in the repository is a credential in the repository: readable by everyone with access, its
    forks and its CI logs, kept forever in git history, and the same in every environment the manifest
    is applied to. `kubectl apply` of the file is the leak; RBAC on the cluster protects nothing here.

    Example:
    kind: Secret, stringData: {password: s3cr3t-pw}   # or data: {password: czNjcjN0LXB3}

    Fix:
    # Commit an encrypted or external reference instead of the Secret:
    apiVersion: external-secrets.io/v1beta1
    kind: ExternalSecret          # or a SealedSecret / SOPS-encrypted file
    spec:
      target: {name: db}
      data: [{secretKey: password, remoteRef: {key: prod/db, property: password}}]

    Trade-offs:
    A secret store (or a sealing key) to run and grant access to, and one more controller in the
    cluster; local development needs its own way to create the Secret.
    """

    code = "SE019"
    name = "secret-manifest-committed"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in ctx.system.objects:
            found = _committed_entries(o) if o.kind == "Secret" else []
            if not found:
                continue
            line = (o.spec.get("data_lines") or {}).get(found[0][0])
            plural = "s" if len(found) > 1 else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=line if isinstance(line, int) else o.source.line,
                message=(
                    f"Secret `{o.name}` commits {len(found)} value{plural} to the repository: "
                    + ", ".join(
                        f"`{k}`" + (" (a well-known default password)" if d else "") for k, d in found
                    )
                ),
                why=(
                    "Everyone who can read the repository, its forks or its CI logs has these credentials, "
                    "git history keeps them, and base64 `data` is an encoding, not encryption."
                ),
                fix=_external_secret(o.name, found[0][0]),
                tradeoff=(
                    "A secret store or sealing key to run and grant access to; local development needs its "
                    "own way to create the Secret."
                ),
            )


def _committed_entries(o: K8sObject) -> list[tuple[str, bool]]:
    """``(key, is a default password)`` for every entry of a Secret that holds a committed secret."""
    found = []
    for field, b64 in (("data", True), ("stringData", False)):
        values = o.spec.get(field)
        for key, value in values.items() if isinstance(values, dict) else ():
            default = _committed_value(str(key), _decoded(str(value), b64))
            if default is not None:
                found.append((str(key), default))
    return found


def _external_secret(name: str, key: str) -> str:
    return (
        "apiVersion: external-secrets.io/v1beta1\n"
        "kind: ExternalSecret   # or a SealedSecret / SOPS-encrypted file\n"
        f"metadata: {{name: {name}}}\nspec:\n  target: {{name: {name}}}\n"
        f"  data: [{{secretKey: {key}, remoteRef: {{key: <store path>, property: {key}}}}}]"
    )
