"""Helpers shared by the security rules."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from redline.model import Component, Container, EnvVar, K8sObject, Probe
from redline.model.secrets import mask_args, mask_text
from redline.review.context import Context
from redline.review.rule import Severity
from redline.review.rules._util import (
    DEFAULT_PASSWORDS,
    SecretHit,
    classify_value,
    is_reference,
    looks_like_key,
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


_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock")


_SENSITIVE = ("/", "/etc", "/root", "/home", "/proc", "/sys", "/var/lib/kubelet", "/var/lib/docker", "/boot")


def _is_socket(path: str | None) -> bool:
    return path is not None and path.rstrip("/").endswith(_SOCKETS)


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


_LOCAL_IPS = ("127.0.0.1", "::1", "localhost", "[::1]")


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


def _probes(c: Component) -> Iterator[tuple[str, Probe]]:
    """Every exec probe of ``c`` with its name: Kubernetes probes per container, the Compose healthcheck."""
    if c.healthcheck is not None:
        yield "healthcheck", c.healthcheck
    for k in c.containers:
        for kind, probe in (("readiness", k.readiness), ("liveness", k.liveness), ("startup", k.startup)):
            if probe is not None:
                yield f"{kind} probe of container `{k.name}`", probe


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
