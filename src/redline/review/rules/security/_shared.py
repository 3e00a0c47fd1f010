"""Helpers shared by the security rules: what counts as secret material, and the typed fixes."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from typing import Any

from redline.fix.build import container_path, doc_of, not_editable, pod_spec_path
from redline.fix.edits import DocRef, Edit, Fix, Op, Path, advice, unsafe
from redline.model import Component, Container, EnvVar, K8sObject, Probe, Source
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


# --------------------------------------------------------------------------------------------------------
# Fixes. Two promises: a fix never carries a secret value (the value moves to a Secret or an untracked
# `.env` file the user creates; the fix only points at it), and an edit is made only where the model says
# the setting is written (the component's own document, the container's own securityContext).


def _doc_at(c: Component, src: Source | None) -> DocRef | None:
    """The document to edit for a setting of ``c`` written at ``src``: ``c``'s own document when the
    setting is in it; for Compose, the file that wrote it (an override file names the service too)."""
    doc = doc_of(c)
    if doc is None or src is None or src.file == doc.file:
        return doc
    if c.platform == "compose" and src.file.endswith((".yml", ".yaml")):
        return DocRef(file=src.file, platform="compose")
    return None


def _elsewhere(c: Component, setting: str, src: Source | None = None) -> str:
    """Why an edit cannot be offered for ``setting`` of ``c``, and where to make the change instead."""
    if doc_of(c) is None:
        return not_editable(c)
    at = f" (`{src}`)" if src is not None else ""
    return f"{setting} is not written in the workload's own document{at}: change it where it is set."


def _host_namespace_fix(c: Component, src: Source | None, key: str, compose_key: str, what: str) -> Fix:
    """Unsafe: the pod stops sharing the host's ``what`` namespace (``hostNetwork`` / ``hostPID`` set to
    false; Compose: ``network_mode`` / ``pid`` removed)."""
    title = f"stop sharing the host's {what} namespace"
    doc = _doc_at(c, src)
    if c.platform == "compose" and doc is not None:
        path: Path = ("services", c.object_name or c.name, compose_key)
        return unsafe(f"{title} in `{c.name}`", Edit(doc=doc, op=Op.REMOVE, path=path))
    pod = pod_spec_path(c)
    if doc is None or pod is None:
        return advice(f"{title} in `{c.name}`", _elsewhere(c, f"`{key}: false`", src))
    return unsafe(f"{title} in `{c.name}`", Edit(doc=doc, op=Op.SET, path=(*pod, key), value=False))


def _security_path(c: Component, k: Container) -> Path | None:
    """Where ``k``'s own security settings go: its ``securityContext`` (Kubernetes), the service (Compose)."""
    path = container_path(c, k)
    if path is None or c.platform == "compose":
        return path
    return (*path, "securityContext")


def _field_lines(k: Container) -> list[int]:
    """Lines of the settings written inside container ``k`` (probes, resources, env, ports, command)."""
    sources = [k.readiness, k.liveness, k.startup, k.resources]
    found = [s.source for s in sources if s is not None]
    found += [e.source for e in k.env if not e.from_config]
    found += [p.source for p in k.ports] + list(k.command_sources)
    return [s.line for s in found if s is not None and s.line is not None]


def _own_context(c: Component, k: Container) -> bool | None:
    """Whether ``k``'s security settings are written in its own securityContext (True) or the pod's
    (False); None when the model cannot tell (a pod securityContext may follow the container list)."""
    sec = k.security
    if sec is None or sec.source is None or k.source is None or sec.source.file != k.source.file:
        return None
    line, start = sec.source.line, k.source.line
    if line is None or start is None:
        return None
    if sec.privileged is not None or sec.allow_privilege_escalation is not None or sec.capabilities_add:
        return True  # settings only a container's securityContext has
    if line < start or any(
        x is not k and x.security and x.security.source == sec.source for x in c.containers
    ):
        return False
    later = [x.source.line for x in c.containers if x.source and x.source.line and x.source.line > start]
    if later:
        return min(later) > line  # before the next container starts: inside this one
    return True if any(n > line for n in _field_lines(k)) else None


def _untracked(var: str) -> str:
    """A Compose reference that stops ``docker compose up`` ("required variable ... is missing a value")
    when the variable is not set, rather than running with an empty credential."""
    return f"${{{var}:?}}"


def _secret_name(c: Component) -> str:
    return f"{c.object_name or c.name.rsplit('/', 1)[-1]}-secrets"


def _secret_key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-") or "value"


def _secret_env(name: str, secret: str) -> dict[str, Any]:
    """An env entry reading ``name`` from key ``name`` (lower-case, dashed) of Secret ``secret``."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": _secret_key(name)}}}


def _env_fix(c: Component, k: Container, e: EnvVar, compose_value: str, part: str = "value") -> Fix:
    """The env entry reads a Secret key instead of a literal (Kubernetes: an unsafe edit, since the pod
    does not start until the Secret exists); Compose and values from elsewhere: advice."""
    if c.platform == "compose":
        return _compose_env_advice(c, e, compose_value, part)
    secret = _secret_name(c)
    ref = _secret_env(e.name, secret)
    title = f"read `{e.name}` of container `{k.name}` from Secret `{secret}`, created outside the repository"
    if e.from_config:
        what = (
            f"`{e.name}` comes from ConfigMap `{e.from_config}`: move the key to a Secret created outside "
            "the repository and read it with secretKeyRef (or envFrom.secretRef) instead."
        )
        return advice(title, what, {"env": [ref]})
    doc, path = doc_of(c), container_path(c, k)
    if doc is None or path is None or e.source is None or e.source.file != doc.file:
        return advice(title, _elsewhere(c, f"`{e.name}`", e.source), {"env": [ref]})
    key = ref["valueFrom"]["secretKeyRef"]["key"]
    what = (
        f"First create Secret `{secret}` with key `{key}` outside the repository (`kubectl create secret "
        f"generic {secret} --from-literal={key}=…`, or your secret store), then make `{e.name}` read it as "
        "below. No edit is offered: applied before the Secret exists, the reference keeps the pod from "
        "starting, and no check of these files can see whether it exists."
    )
    return advice(title, what, {"env": [ref]})


def _compose_env_advice(c: Component, e: EnvVar, value: str, part: str) -> Fix:
    title = f"take `{e.name}` of `{c.name}` from an untracked .env file"
    file = e.source.file if e.source else c.source.file
    if not file.endswith((".yml", ".yaml")):
        what = (
            f"`{e.name}` is set in the committed env file `{file}`: remove it from there and keep the "
            "file with real values out of the repository (.gitignore); Compose reads `.env` beside the "
            "Compose file."
        )
        return advice(title, what)
    what = (
        f"In `{file}`, make `{e.name}` take its {part} from a variable set in an untracked `.env` file "
        f"(or the shell), as below. No edit is offered: the {part} must be written where only you see it."
    )
    return advice(title, what, {"services": {c.object_name or c.name: {"environment": {e.name: value}}}})


_ENV_TRADEOFF = (
    "One Secret (or secret file) to create and rotate per environment, outside the repository; "
    "Kubernetes Secrets are only base64 unless encryption at rest or an external store is configured."
)


#: A masked value as :func:`redline.model.secrets.mask` shows it: up to two characters, then ``****``.
_MASKED = re.compile(r"[^\s:=@\"'/]{0,2}\*\*\*\*")


def _referenced(shown: str, refs: str | Callable[[int], str]) -> str:
    """``shown`` with each masked value replaced by a reference: ``refs``, or ``refs(n)`` for the n-th."""
    if isinstance(refs, str):
        return _MASKED.sub(lambda _m: refs, shown)
    count = iter(range(1_000))
    return _MASKED.sub(lambda _m: refs(next(count)), shown)


def _flag_var(shown: str, i: int) -> str:
    """An environment variable name for the credential in ``shown``: from its ``--flag``, or from the
    scheme of a URL (``amqp://`` -> ``AMQP_PASSWORD``), else ``SECRET_VALUE``."""
    flag = shown.split(" ", 1)[0].split("=", 1)[0]
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", shown)
    if flag.startswith("--"):
        var = re.sub(r"[^A-Za-z0-9]+", "_", flag.lstrip("-")).strip("_").upper()
    else:
        var = re.sub(r"[^A-Za-z0-9]+", "_", scheme.group(1)).upper() + "_PASSWORD" if scheme else ""
    return var or ("SECRET_VALUE" if i == 0 else f"SECRET_VALUE_{i + 1}")


def _command_fix(c: Component, k: Container, shown: list[str]) -> Fix:
    """Advice: each credential on the command line becomes a reference (``$(VAR)`` from a Secret, or
    ``${VAR}`` from an untracked .env); the value has to be created where only its owner can see it."""
    names = [_flag_var(s, i) for i, s in enumerate(shown)]
    compose = c.platform == "compose"
    pattern = "${%s}" if compose else "$(%s)"
    swaps = [f"`{s}` with `{_referenced(s, pattern % v)}`" for s, v in zip(shown, names, strict=True)]
    where_ = f"the command of `{c.name}`" if compose else f"the command line of container `{k.name}`"
    source = (
        "an untracked .env file (Compose expands it)"
        if compose
        else (f"Secret `{_secret_name(c)}`, created outside the repository (the kubelet expands `$(VAR)`)")
    )
    plural = "s" if len(names) > 1 else ""
    what = f"In {where_}, replace {', '.join(swaps)}; give the value{plural} from {source}."
    title = f"pass the credential{plural} of `{c.name}` by reference, not on its command line"
    example = None if compose else {"env": [_secret_env(v, _secret_name(c)) for v in names]}
    return advice(title, what, example)


_ARGS_TRADEOFF = (
    "The value must reach the process another way (an env var from a Secret, a mounted file); some "
    "programs only read a credential from a flag, and then the flag takes `$(VAR)` / `$VAR` instead."
)


def _probes(c: Component) -> Iterator[tuple[str, str, Probe]]:
    """Every probe of ``c`` with its description and key: Kubernetes probes per container, the Compose
    healthcheck."""
    if c.healthcheck is not None:
        yield "healthcheck", "healthcheck", c.healthcheck
    for k in c.containers:
        for kind, probe in (("readiness", k.readiness), ("liveness", k.liveness), ("startup", k.startup)):
            if probe is not None:
                yield f"{kind} probe of container `{k.name}`", f"{kind}Probe", probe


def _probe_fix(c: Component, key: str, command: list[str]) -> Fix:
    """Advice: the same check, reading the credential from the container's environment through a shell."""
    line = " ".join(a for a in mask_args(command) if a not in ("CMD", "CMD-SHELL"))
    names = [f"PROBE_SECRET{f'_{n + 1}' if n else ''}" for n in range(len(_MASKED.findall(line)))]
    title = f"read the credential of the {key} of `{c.name}` from the container's environment"
    if c.platform == "compose":
        check = _referenced(line, lambda n: f"$${names[n]}")
        what = (
            "Run the check through a shell that reads the credential from the container's environment, "
            "and give the variable from an untracked .env file (`$$` keeps Compose from expanding it)."
        )
        service = {
            "environment": {v: _untracked(v) for v in names},
            "healthcheck": {"test": ["CMD-SHELL", check]},
        }
        return advice(title, what, {"services": {c.object_name or c.name: service}})
    check = _referenced(line.removeprefix("sh -c "), lambda n: f"${names[n]}")
    what = (
        "Prefer an unauthenticated health endpoint (httpGet). Otherwise run the check through a shell "
        "that reads the credential from the container's environment, given from Secret "
        f"`{_secret_name(c)}` created outside the repository."
    )
    example = {
        "env": [_secret_env(v, _secret_name(c)) for v in names],
        key: {"exec": {"command": ["sh", "-c", check]}},
    }
    return advice(title, what, example)


def _external_secret(name: str, namespace: str, keys: list[str]) -> dict[str, Any]:
    """An ExternalSecret that builds Secret ``name`` from a secret store: what to commit instead."""
    meta: dict[str, Any] = {"name": name}
    if namespace != "default":
        meta["namespace"] = namespace
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": meta,
        "spec": {
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "<your secret store>"},
            "target": {"name": name},
            "data": [
                {"secretKey": k, "remoteRef": {"key": "<path in your store>", "property": k}} for k in keys
            ],
        },
    }
