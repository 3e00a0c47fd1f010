"""Private helpers shared by the operability, security and integrity rules.

Two concerns live here:

* **Secret detection.** Deciding whether a string is secret material is the part of the security rules
  most likely to be wrong in both directions, so it is written once, with the reasons spelled out, and
  unit-tested on its own. The bias is deliberate: a false finding costs more than a missed one, so a
  value must be *plaintext* (not a reference, placeholder or path) before any name or entropy signal
  counts, and a value is never printed whole (:func:`mask`).
* **Workload scope.** Which components a rule about long-running services applies to (not batch jobs,
  not external systems, not init containers). Blast radius itself is the shared
  :meth:`~redline.review.context.Context.severity_for`, so every rule weighs it the same way.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redline.model import Component, Container, Kind, Source

if TYPE_CHECKING:
    from redline.review.context import Context


# --------------------------------------------------------------------------------------------------------
# Locations


def where(*sources: Source | None) -> tuple[str | None, int | None]:
    """The first known ``(file, line)`` among ``sources``: the most specific fact wins."""
    for s in sources:
        if s is not None:
            return s.file, s.line
    return None, None


def loc(*sources: Source | None) -> str:
    """``file:line`` of the first known source, for evidence strings."""
    for s in sources:
        if s is not None:
            return str(s)
    return "?"


# --------------------------------------------------------------------------------------------------------
# Workload scope

#: Workloads that run until stopped: the ones probes, graceful shutdown and restart policies are about.
_LONG_RUNNING = {None, "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"}


def is_long_running(c: Component) -> bool:
    """A service-like workload: not a Job/CronJob, not an external system, not a Pod that runs once."""
    if c.kind == Kind.EXTERNAL or c.platform == "external" or c.is_batch:
        return False
    if c.workload == "Pod" and c.restart_policy in ("Never", "OnFailure"):
        return False
    return c.platform == "compose" or c.workload in _LONG_RUNNING or c.workload == "compose-service"


def app_containers(c: Component) -> list[Container]:
    """Containers that serve: init containers run to completion before the pod starts and are never probed."""
    return [k for k in c.containers if not k.init]


def is_datastore(c: Component) -> bool:
    """Datastores, caches and queues: the components whose exposure or loss hurts most."""
    return c.kind in (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE)


def threshold(ctx: Context, key: str, default: float) -> float:
    """A numeric threshold from the review configuration, falling back to the documented default."""
    value = ctx.threshold(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------------------------------------
# Secrets

#: Name fragments that say "this holds a credential". Matched on word boundaries of the env var name.
_SECRET_WORDS = re.compile(
    r"(?:^|[_.-])(?:PASSWORD|PASSWD|PASSPHRASE|PWD|PASS|SECRET|SECRETS|TOKEN|APIKEY|API_KEY|PRIVATE_KEY|"
    r"PRIVATEKEY|ACCESS_KEY|SECRET_KEY|SECRET_ACCESS_KEY|AUTH_KEY|CLIENT_SECRET|CREDENTIALS?|"
    r"ENCRYPTION_KEY|SIGNING_KEY|MASTER_KEY|SALT|WEBHOOK_SECRET|JWT_SECRET|COOKIE_SECRET|"
    r"SESSION_SECRET)(?:$|[_.-])",
)

#: Suffixes that make a secret-sounding name describe *about* the secret rather than hold it:
#: ``PASSWORD_FILE`` points at a file, ``TOKEN_TTL`` is a duration, ``AWS_ACCESS_KEY_ID`` is an id.
_NOT_SECRET_SUFFIX = re.compile(
    r"[_.-](?:FILE|PATH|DIR|NAME|TTL|EXPIRE|EXPIRES|EXPIRY|EXPIRATION|EXPIRE_MINUTES|LENGTH|MIN_LENGTH|"
    r"ENABLED|ENABLE|DISABLED|TIMEOUT|HEADER|TYPE|ALGORITHM|ALG|MODE|ENDPOINT|HOST|PORT|REF|ID|URL|URI|"
    r"KEY_ID|ISSUER|AUDIENCE|SCOPE|SCOPES|REGION|PREFIX|FORMAT|VERSION|POLICY|ROTATION|LIFETIME|AGE|"
    r"MINUTES|SECONDS|HOURS|DAYS|COUNT|RETRIES|SIZE|LOCATION|PROVIDER|KIND|USER|USERNAME)$",
)

#: Values that announce themselves as fake (``AWS_SECRET_ACCESS_KEY=dummy`` for an emulator): not secrets.
_DUMMY_VALUES = frozenset(
    {"dummy", "fake", "placeholder", "unused", "redacted", "notasecret", "not-a-secret", "none", "null"}
)

#: Passwords every scanner tries first. A default is worse than a random plaintext secret: it needs no leak.
DEFAULT_PASSWORDS = frozenset(
    {
        "admin",
        "changeme",
        "change_me",
        "changeit",
        "default",
        "example",
        "guest",
        "letmein",
        "mysql",
        "pass",
        "passw0rd",
        "password",
        "password1",
        "postgres",
        "qwerty",
        "redis",
        "root",
        "secret",
        "test",
        "toor",
        "123456",
        "12345678",
    }
)

_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{[^}]*\}                # ${VAR}, ${VAR:-x}, ${VAR:?msg}: interpolated by compose or the shell
      | \$\([A-Za-z_][A-Za-z0-9_]*\) # $(VAR): Kubernetes dependent env var
      | \$[A-Za-z_][A-Za-z0-9_]*   # $VAR
      | \{\{.*\}\}                 # {{ template }}
      | <[^>]*>                    # <your-token-here>
      | %\{[^}]*\}                 # %{terraform}
    )$""",
    re.VERBOSE,
)

#: Prefixes of references into a secret manager: the value names the secret, it is not the secret.
_SECRET_MANAGER_REF = re.compile(
    r"^(?:vault:|arn:aws:(?:secretsmanager|ssm|kms):|projects/[^/]+/secrets/|sm://|ref\+|secret://|"
    r"azurekeyvault:|akv:|op://|file:|k8s:|env:)",
    re.IGNORECASE,
)

#: Shapes of well-known credentials: worth reporting whatever the variable is called.
_KNOWN_TOKEN = re.compile(
    r"(?:^|[^A-Za-z0-9])(?:AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|"
    r"github_pat_[A-Za-z0-9_]{40,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|"
    r"rk_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----)"
)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_KEYLIKE = re.compile(r"^[A-Za-z0-9+/=_\-]+$")

#: ``scheme://user:password@host``: credentials in a connection string.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<user>[^:/@\s]*):(?P<pw>[^@\s]+)@")
#: ``...?password=x`` / ``;Password=x``: credentials as connection-string parameters (JDBC, ADO.NET).
_URL_PARAM = re.compile(r"[?&;](?:password|pwd|passwd)=(?P<pw>[^&;\s]+)", re.IGNORECASE)


def mask(value: str) -> str:
    """Show just enough of a secret to recognise it: the first two characters, then ``****``."""
    return (value[:2] if len(value) > 4 else "") + "****"


def is_reference(value: str | None) -> bool:
    """True when ``value`` is not itself secret material.

    Empty values, interpolation placeholders (``${VAR}``, ``$(VAR)``, ``{{ x }}``), file paths
    (``/run/secrets/db``) and secret-manager references (``vault:...``, ``arn:aws:secretsmanager:...``)
    point at a secret kept elsewhere, which is the fix this rule family recommends.
    """
    if value is None:
        return True
    v = value.strip().strip("'\"")
    if not v:
        return True
    if _PLACEHOLDER.match(v) or _SECRET_MANAGER_REF.match(v):
        return True
    if v.startswith(("/", "./", "../", "~/")):
        return True
    # A value that is mostly an interpolation (``${A}${B}``, ``prefix-${VAR}``) is still a reference.
    stripped = re.sub(r"\$\{[^}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\{\{[^}]*\}\}", "", v)
    return stripped != v and len(stripped) < 4


def is_secret_name(name: str) -> bool:
    """True when an env var or config key is named like a credential (``DB_PASSWORD``, ``API_KEY``)."""
    n = name.upper().replace("-", "_")
    if not _SECRET_WORDS.search(n):
        return False
    return not _NOT_SECRET_SUFFIX.search(n)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def looks_like_key(value: str, *, min_length: int = 20, min_entropy: float = 4.0) -> bool:
    """True for strings shaped like generated keys: long, one token, mixed character classes, high entropy.

    Hostnames, URLs, paths, image references, UUIDs, numbers and sentences are excluded first: they are
    long and varied but not secret. Known credential formats (AWS access keys, GitHub/Slack/Stripe
    tokens, PEM private keys) count whatever their entropy.
    """
    v = value.strip()
    if _KNOWN_TOKEN.search(v):
        return True
    if len(v) < min_length or not _KEYLIKE.match(v) or _UUID.match(v):
        return False
    if v.isdigit() or v.startswith("-"):  # numbers; command-line flags
        return False
    classes = sum(bool(re.search(p, v)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    is_hex = bool(re.fullmatch(r"[0-9a-fA-F]+", v))
    if is_hex:  # hex digests are keys when long; shorter ones are usually commit ids or versions
        return len(v) >= 32 and shannon_entropy(v) >= 3.0 and classes >= 2
    if classes < 3:
        return False
    return shannon_entropy(v) >= min_entropy


@dataclass(frozen=True)
class SecretHit:
    """Why a value was judged to be secret material, and a safe way to show it."""

    reason: str  # "named like a credential", "a well-known default password", "credentials in a URL", ...
    shown: str  # the masked value, or the URL with its password masked
    default: bool = False


def classify_value(
    name: str, value: str | None, *, min_length: int = 20, min_entropy: float = 4.0
) -> SecretHit | None:
    """The secret finding for one ``name=value`` pair, or None when the value is not plaintext secret.

    URL credentials are checked first (they hide under innocent names like ``DATABASE_URL``), then the
    name, then the value's shape. A reference or placeholder is never a finding.
    """
    if value is None:
        return None
    url = url_credentials(value)
    if url is not None:
        return url
    if is_reference(value):
        return None
    v = value.strip().strip("'\"")
    if is_secret_name(name):
        if v.lower() in DEFAULT_PASSWORDS:
            return SecretHit("a well-known default password", mask(v), default=True)
        if v.lower() in _DUMMY_VALUES or re.fullmatch(r"x{3,}|\*+", v.lower()):
            return None
        if v.lower() in ("true", "false", "yes", "no", "0", "1"):
            return None  # a flag, e.g. REDIS_PASSWORD_ENABLED-style switches named without the suffix
        return SecretHit("named like a credential", mask(v))
    if looks_like_key(v, min_length=min_length, min_entropy=min_entropy):
        return SecretHit("shaped like a generated key (high entropy)", mask(v))
    return None


def url_credentials(value: str) -> SecretHit | None:
    """Credentials embedded in a connection string, with the password masked in what is shown."""
    m = _URL_USERINFO.search(value)
    if m is not None:
        pw = m.group("pw")
        if not is_reference(pw):
            shown = value[: m.start("pw")] + mask(pw) + value[m.end("pw") :]
            default = pw.lower() in DEFAULT_PASSWORDS
            return SecretHit("credentials in a URL", shown, default=default)
    p = _URL_PARAM.search(value)
    if p is not None and (
        "://" in value or value.lower().startswith(("jdbc:", "server=", "host=", "data source="))
    ):
        pw = p.group("pw")
        if not is_reference(pw):
            shown = value[: p.start("pw")] + mask(pw) + value[p.end("pw") :]
            return SecretHit("a password parameter in a connection string", shown)
    return None


#: ``password: x`` / ``api_key = x`` inside a config file held in a ConfigMap.
_CONFIG_LINE = re.compile(
    r"""^\s*["']?(?P<key>[A-Za-z0-9_.\-]*?(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|
    access[_-]?key)[A-Za-z0-9_.\-]*)["']?\s*[:=]\s*["']?(?P<value>[^"'\s#]+)["']?\s*(?:\#.*)?$""",
    re.IGNORECASE | re.VERBOSE,
)


def secrets_in_text(
    key: str, text: str, *, min_length: int = 20, min_entropy: float = 4.0
) -> Iterable[tuple[int, str, SecretHit]]:
    """Secret material in one ConfigMap entry: ``(line offset, key or inner key, hit)`` per finding.

    A single-line entry is judged like an env var. A multi-line entry is a config file: each line is
    checked for URL credentials and ``password: value`` style assignments whose value is plaintext.
    """
    lines = text.splitlines() or [text]
    if len(lines) == 1:
        hit = classify_value(key, text, min_length=min_length, min_entropy=min_entropy)
        if hit is not None:
            yield 0, key, hit
        return
    for i, line in enumerate(lines):
        url = url_credentials(line)
        if url is not None:
            yield i, key, url
            continue
        m = _CONFIG_LINE.match(line)
        if m is None:
            continue
        inner, value = m.group("key"), m.group("value")
        if not is_secret_name(inner.replace(".", "_")) or is_reference(value):
            continue
        hit = classify_value(inner, value, min_length=min_length, min_entropy=min_entropy)
        if hit is not None:
            yield i, inner, hit


def as_int(value: Any) -> int | None:
    """An int, or None for anything that is not one (named ports, percentages)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
