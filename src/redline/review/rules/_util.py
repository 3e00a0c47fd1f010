"""Private helpers shared by the rules.

Three concerns live here:

* **Secret detection.** Deciding whether a string is secret material is the part of the security rules
  most likely to be wrong in both directions, so it is written once, with the reasons spelled out, and
  unit-tested on its own. The bias is deliberate: a false finding costs more than a missed one, so a
  value must be *plaintext* (not a reference, placeholder or path) before any name or entropy signal
  counts, and a value is never printed whole (:func:`mask`).
* **Workload scope.** Which components a rule about long-running services applies to (not batch jobs,
  not external systems, not init containers). Blast radius itself is the shared
  :meth:`~redline.review.context.Context.severity_for`, so every rule weighs it the same way.
* **Path searches.** The heaviest simple path from a node (RS004, RS006, RS007) is exponential to find by
  trying every path once the call graph has cycles; :func:`longest_paths` is exact outside cycles, in
  linear time, and bounded inside them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from redline.model import Component, Container, Kind, Source
from redline.model.secrets import is_reference, is_secret_name, mask
from redline.model.units import parse_bytes, parse_cpu

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
_URL_USERINFO = re.compile(  # linear: a scheme starts only where none could have, and nothing backtracks
    r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{0,30}+)://"
    r"(?P<user>[^:/@\s]{0,256}+):(?P<pw>[^@\s]{1,1024}+)@"
)
#: ``...?password=x`` / ``;Password=x``: credentials as connection-string parameters (JDBC, ADO.NET).
_URL_PARAM = re.compile(r"[?&;](?:password|pwd|passwd)=(?P<pw>[^&;\s]+)", re.IGNORECASE)


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


# --------------------------------------------------------------------------------------------------------
# Path searches

#: Steps (a node pushed on a search path) one :func:`longest_paths` call may spend inside cycles, all
#: starts together. Acyclic parts cost nothing against it: they are solved exactly in one linear pass.
PATH_SEARCH_BUDGET = 50_000

#: Slack for float sums when asking whether a branch can still beat the best path (weights may be logs).
_ROUNDING = 1 + 1e-9


@dataclass(frozen=True)
class Chain:
    """The heaviest simple path found from one start: its total weight, its nodes, and whether it is
    certainly the heaviest (``False`` when :data:`PATH_SEARCH_BUDGET` ran out inside a cycle; the path is
    then a real path, and its weight a lower bound)."""

    value: float
    path: tuple[str, ...]
    exact: bool = True


def longest_paths(
    g: nx.DiGraph,
    starts: Iterable[str],
    weight: Callable[[str, str], float] = lambda _a, _b: 1.0,
    budget: int = PATH_SEARCH_BUDGET,
) -> dict[str, Chain]:
    """For each start in ``g``, the simple path from it with the largest sum of (non-negative) edge weights.

    The longest simple path is exponential to find by enumerating paths, so the search works on the DAG of
    strongly connected components. A path that leaves a component never comes back to it, so nodes outside
    cycles are solved exactly, sinks first, in one pass over the reachable graph, whatever the number of
    starts. Inside a cycle (a set of components that call each other) a depth-first search tries the simple
    paths that run through it and leave toward the best exit; it prunes branches that cannot beat the best
    found (remaining members × heaviest edge + best exit), and all such searches together stop after
    ``budget`` steps, keeping the best path found (``Chain.exact`` is then ``False``). Successors are tried
    in the graph's insertion order, so results are deterministic. Starts not in ``g`` get a one-node path.
    """
    wanted = list(dict.fromkeys(starts))
    present = {s for s in wanted if s in g}
    sub = g.subgraph(_reachable(g, present))
    search = _CycleSearch(sub, weight, budget)
    for members in _sinks_first(sub):
        search.solve(members, needed={m for m in members if m in present or _entered(sub, m, members)})
    return {s: search.chain(s) if s in present else Chain(0.0, (s,)) for s in wanted}


#: A chain longer than this many items is shown as its first and last few (messages stay bounded).
CHAIN_SHOWN = 13


def shown_chain(items: Sequence[str], sep: str = " → ") -> str:
    """``items`` joined by ``sep``; past :data:`CHAIN_SHOWN` items, the first 8 and the last 4 around a
    count of the others, so a 2,000-hop chain makes a message of one line, not of 2,000 names."""
    if len(items) <= CHAIN_SHOWN:
        return sep.join(items)
    return sep.join([*items[:8], f"… {len(items) - 12} more …", *items[-4:]])


def _reachable(g: nx.DiGraph, starts: set[str]) -> set[str]:
    """Every node reachable from any of ``starts`` (themselves included), in one pass."""
    seen = set(starts)
    stack = list(starts)
    while stack:
        for s in g.successors(stack.pop()):
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


def _sinks_first(g: nx.DiGraph) -> list[set[str]]:
    """Strongly connected components of ``g``, each after every component it can reach."""
    sccs = list(nx.strongly_connected_components(g))
    dag = nx.condensation(g, sccs)
    return [sccs[i] for i in reversed(list(nx.topological_sort(dag)))]


def _entered(g: nx.DiGraph, node: str, members: set[str]) -> bool:
    return any(p not in members for p in g.predecessors(node))


class _CycleSearch:
    """State of :func:`longest_paths`: per node, the best route inside its component and where it leaves."""

    def __init__(self, g: nx.DiGraph, weight: Callable[[str, str], float], budget: int) -> None:
        self.g = g
        self.weight = weight
        self.budget = budget
        self.value: dict[str, float] = {}
        self.route: dict[str, tuple[str, ...]] = {}  # nodes inside the component, from the node on
        self.then: dict[str, str | None] = {}  # first node after the route, in a later component
        self.exact: dict[str, bool] = {}

    def solve(self, members: set[str], needed: set[str]) -> None:
        """Solve the ``needed`` members of one component: the starts in it and those entered from outside
        (every component it reaches is solved already)."""
        exits = {m: self._exit(m, members) for m in members}
        if len(members) == 1:
            (m,) = members
            self._keep(m, exits[m][0], (m,), exits[m][1], exact=True)
            return
        heaviest = max(
            (self.weight(a, b) for a in members for b in self.g.successors(a) if b in members), default=0.0
        )
        bound = heaviest, max(v for v, _ in exits.values())
        for m in sorted(needed):
            self._walk(m, members, exits, bound)

    def _exit(self, node: str, members: set[str]) -> tuple[float, str | None]:
        """The best way out of ``node``'s component straight from ``node``: (weight from here, next node)."""
        best: tuple[float, str | None] = (0.0, None)
        for s in self.g.successors(node):
            if s not in members:
                cand = self.weight(node, s) + self.value[s]
                if cand > best[0]:
                    best = (cand, s)
        return best

    def _walk(
        self,
        start: str,
        members: set[str],
        exits: dict[str, tuple[float, str | None]],
        bound: tuple[float, float],
    ) -> None:
        """Depth-first over simple paths inside the component from ``start``, bounded by the budget.

        ``bound`` is (heaviest edge inside, best exit weight): no path can gain more than the members not on
        it times the first, plus the second, which is what prunes a branch."""
        heaviest, best_exit = bound
        best: tuple[float, tuple[str, ...]] = (exits[start][0], (start,))
        path, on_path, acc = [start], {start}, [0.0]
        stack = [iter([s for s in self.g.successors(start) if s in members])]
        exact = True
        while stack:
            if acc[-1] + (len(members) - len(path)) * heaviest + best_exit <= best[0] * _ROUNDING:
                nxt = None  # nothing below can beat the best: backtrack
            else:
                nxt = next((s for s in stack[-1] if s not in on_path), None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
                acc.pop()
                continue
            if self.budget <= 0:
                exact = False
                break
            self.budget -= 1
            total = acc[-1] + self.weight(path[-1], nxt)
            path.append(nxt)
            on_path.add(nxt)
            acc.append(total)
            if total + exits[nxt][0] > best[0]:
                best = (total + exits[nxt][0], tuple(path))
            stack.append(iter([s for s in self.g.successors(nxt) if s in members]))
        value, route = best
        self._keep(start, value, route, exits[route[-1]][1], exact=exact)

    def _keep(
        self, node: str, value: float, route: tuple[str, ...], then: str | None, *, exact: bool
    ) -> None:
        self.value[node] = value
        self.route[node] = route
        self.then[node] = then
        self.exact[node] = exact and (then is None or self.exact[then])

    def chain(self, start: str) -> Chain:
        """The path from ``start``: its route inside each component it crosses, joined."""
        nodes: list[str] = []
        node: str | None = start
        while node is not None:
            nodes.extend(self.route[node])
            node = self.then[node]
        return Chain(self.value[start], tuple(nodes), self.exact[start])


# --------------------------------------------------------------------------------------------------------
# LimitRange defaults (what the API server fills into a container that leaves a resource unset)


@dataclass(frozen=True)
class LimitDefaults:
    """One Container-type LimitRange item after the API server's own defaulting: ``limit`` is
    ``default`` completed by ``max``; ``request`` is ``defaultRequest`` completed by ``default`` and
    ``min``. Values are cores (cpu) and bytes (memory); ``None`` when the item cannot be parsed."""

    name: str
    source: Source
    limit: dict[str, float]
    request: dict[str, float]
    min: dict[str, float]
    max: dict[str, float]


def _quantities(raw: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if not isinstance(raw, dict):
        return out
    for key, parse in (("cpu", parse_cpu), ("memory", parse_bytes)):
        if key in raw:
            try:
                out[key] = parse(raw[key])
            except ValueError:
                continue
    return out


def limit_ranges(ctx: Context, namespace: str | None) -> list[LimitDefaults]:
    """The Container-type LimitRange items of ``namespace`` (``default`` when unset), defaulted as the
    API server defaults them (``SetDefaults_LimitRangeItem``)."""
    ns = namespace or "default"
    out: list[LimitDefaults] = []
    for o in ctx.objects("LimitRange"):
        if o.namespace != ns or not isinstance(o.spec.get("limits"), list):
            continue
        for item in o.spec["limits"]:
            if not isinstance(item, dict) or item.get("type") != "Container":
                continue
            mx, mn = _quantities(item.get("max")), _quantities(item.get("min"))
            limit = {**mx, **_quantities(item.get("default"))}
            request = {**mn, **limit, **_quantities(item.get("defaultRequest"))}
            out.append(LimitDefaults(o.name, o.source, limit, request, mn, mx))
    return out


def defaulted_limit(ctx: Context, namespace: str | None, resource: str) -> LimitDefaults | None:
    """The namespace LimitRange that gives a container without a ``resource`` limit one, if any."""
    return next((lr for lr in limit_ranges(ctx, namespace) if resource in lr.limit), None)


def defaulted_any(ctx: Context, namespace: str | None) -> LimitDefaults | None:
    """The namespace LimitRange that gives a container with no resources some request or limit."""
    return next((lr for lr in limit_ranges(ctx, namespace) if lr.limit or lr.request), None)


# --------------------------------------------------------------------------------------------------------
# Label selectors


def selector_matches(selector: Any, labels: dict[str, str], *, empty_matches: bool = True) -> bool:
    """Kubernetes label-selector semantics over ``labels``: ``matchLabels`` and ``matchExpressions`` (or a
    plain map). An empty selector (``{}``) matches everything when ``empty_matches`` (NetworkPolicy peers,
    namespaceSelector), nothing otherwise. The review-side twin of ``sources/link.selector_matches``."""
    if not isinstance(selector, dict):
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        ml = selector.get("matchLabels") or {}
        me = selector.get("matchExpressions") or []
    else:
        ml, me = selector, []
    if not isinstance(ml, dict) or not isinstance(me, list):
        return False
    if not ml and not me:
        return empty_matches
    if any(labels.get(str(k)) != str(v) for k, v in ml.items()):
        return False
    for expr in me:
        if not isinstance(expr, dict):
            return False
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = [str(v) for v in expr.get("values") or []]
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
            or op not in ("In", "NotIn", "Exists", "DoesNotExist")
        ):
            return False
    return True
