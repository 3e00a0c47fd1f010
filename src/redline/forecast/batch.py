"""A parallel fan-out arrives as a batch: the M^X/M/c queue it meets and the time its block takes.

Why this module: a caller that makes ``n`` parallel calls to one callee sends them together. They are
not ``n`` independent Poisson arrivals: they land at the same instant, so the later ones of a batch
queue behind the earlier ones, the callee's queue is longer than an M/M/c queue at the same load, and
the calls of one batch see the *same* queue, so their times are correlated. The block ends when the
last call returns. Treating the calls as independent M/M/c visits put the reference system's p95 14–19%
low (two parallel calls to a 2-worker back; a discrete-event simulation is the judge in
``tests/forecast/test_batch_simulation.py``); this module's block lies within 1% of it there.

The model (docs/forecast.md, "Parallel fan-out: batch arrivals"):

* **The queue a batch meets.** Batches arrive as a compound Poisson stream (each caller's visit is one
  batch; sequential calls and entry traffic are batches of one) at a station of ``c`` servers with mean
  holding time ``H``. Its number in system ``N`` is the birth–death chain with jumps of the batch's size;
  level crossing gives it in one forward pass, exactly: ``π_{n+1}·μ·min(n+1, c) = Σ_i π_{n−i}·Λ_{>i}``,
  ``Λ_{>i}`` the rate of batches larger than ``i`` (:func:`occupancy`). A batch arriving sees ``π`` (PASTA).
  Above ``c`` the recursion is linear with constant coefficients; once the ratio of successive terms
  settles, the rest is a geometric tail in closed form.
* **Who waits how long.** FIFO: member ``j`` of a batch that finds ``N = n`` starts service at the
  ``(n + j − c)⁺``-th departure. While it waits every server is busy, so departures come every
  ``H/c`` (exponential holding times). The first ``(n − c + 1)⁺`` gaps are the queue ahead, scaled by
  Allen–Cunneen's ``(1 + cs²)/2`` as every other wait in the forecast; the gaps between members of one
  batch are not (each is a departure of a call of the same batch, or of one ahead, already in service).
* **The block.** ``T = max_j (W_j + R_j)``, ``R_j`` the member's own time once it starts (the callee's
  service and its own calls, the pool's wait, the overhead). The departure that lets the next member
  start is the latest member's own with probability ``1/c`` (every server busy, exponential holding):
  then all that is left of it is what follows its service (``F_rest``: the overhead, an async callee's
  calls); otherwise it runs on afresh. So with ``U_1 = F_R`` and
  ``U_k = gap ⊛ [(F_rest/c + (1 − 1/c)·F_R)·U_{k−1}]``, a batch of ``b`` that finds ``f`` servers free
  (``0 < f < b``) takes ``F_R^{f−1}·U_{b−f+1}``; one that finds ``f ≥ b`` free takes ``F_R^b``; one that
  finds all busy waits the queue ahead and then takes ``U_b`` (:func:`block_cdf`). ``b`` FFT
  convolutions per batch size, whatever the load. One server makes it exact (the members run one after
  another); many make it the independent max.
* **Moments** (:func:`queue_delay`): the same structure for exponential times is a small Markov chain
  (members waiting, members in service), solved exactly; the sweep adds what it adds over independent
  copies to its own moments.

What it leaves out: departures are exponential (a service's SCV enters through Allen–Cunneen on the
queue ahead only), and a caller whose held workers bound its callee keeps the layered model's finite
source (it counts the copies as tokens, not their coincidence). Batches larger than :data:`MAX_BATCH`
and stations with more than :data:`MAX_SERVERS` servers keep the independent model: there a batch is a
small part of the queue.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_BATCH",
    "MAX_SERVERS",
    "Batch",
    "Occupancy",
    "block_cdf",
    "call_batch",
    "occupancy",
    "queue_delay",
]

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]

#: The largest batch modelled as one: beyond it the block costs more than it changes.
MAX_BATCH = 64
#: Above this many servers the recursion's cost grows with ``c`` and a batch is a small part of the queue.
MAX_SERVERS = 10_000
_TAIL = 1e-13  # mass left out of the recursion's tail
_MAX_STEPS = 20_000  # recursion steps past c, at most (the tail is closed in form long before)


@dataclass(frozen=True)
class Batch:
    """A parallel call's batch: ``whole`` copies, one more with probability ``frac``."""

    whole: int
    frac: float

    @property
    def sizes(self) -> list[tuple[int, float]]:
        """(size, probability) of each batch size that sends at least one call."""
        out = [(self.whole, 1.0 - self.frac), (self.whole + 1, self.frac)]
        return [(b, p) for b, p in out if b > 0 and p > 0]

    @property
    def largest(self) -> int:
        return self.whole + (1 if self.frac > 0 else 0)


def call_batch(count: float) -> Batch:
    """The batch a parallel call of ``count`` calls per visit sends: ``⌊count⌋`` and a Bernoulli more."""
    whole = math.floor(count)
    return Batch(whole, count - whole)


@dataclass(frozen=True)
class Occupancy:
    """The number in system a batch finds at a ``servers``-server station, by level crossing.

    ``free[f − 1] = P(N = c − f)`` for ``f = 1 … len(free)``; ``busy[m] = P(N = c + m)`` for ``m`` below
    ``len(busy)``, then ``P(N = c + len(busy) + i) = busy_tail·z^i``.
    """

    servers: int
    gap: float  # mean time between departures when every server is busy: H / c
    ahead_scale: float  # Allen–Cunneen's (1 + cs²)/2 on the queue ahead
    free: FloatArray
    busy: FloatArray
    busy_tail: float
    z: float

    def p_busy(self) -> float:
        """``P(N ≥ c)``: a lone arrival waits."""
        return float(self.busy.sum()) + self.busy_tail / (1.0 - self.z)

    def ahead(self) -> tuple[float, float]:
        """``E[G]`` and ``E[G(G + 1)]``, ``G = (N − c + 1)⁺`` the departures the first member of a batch
        waits for: an Erlang of ``G`` unit gaps has mean ``G`` and second moment ``G(G + 1)``. The head
        summed, the geometric tail in closed form."""
        g = np.arange(1, len(self.busy) + 1, dtype=np.float64)
        first, second = float((g * self.busy).sum()), float((g * (g + 1.0) * self.busy).sum())
        k, z, t = float(len(self.busy) + 1), self.z, self.busy_tail
        s0, s1, s2 = 1.0 / (1.0 - z), z / (1.0 - z) ** 2, z * (1.0 + z) / (1.0 - z) ** 3  # Σ z^i·(1, i, i²)
        first += t * (k * s0 + s1)
        second += t * (k * (k + 1.0) * s0 + (2.0 * k + 1.0) * s1 + s2)
        return first, second

    def single_wait(self) -> tuple[float, float]:
        """A lone arrival's (sequential call, entry traffic) wait: probability and mean."""
        return self.p_busy(), self.ahead_scale * self.gap * self.ahead()[0]

    def member_wait(self, batch: Batch) -> tuple[float, float]:
        """A member's wait, averaged over the members of ``batch``: probability and mean."""
        p_busy, ahead = self.p_busy(), self.ahead_scale * self.gap * self.ahead()[0]
        members = p_sum = w_sum = 0.0
        for b, q in batch.sizes:
            for j in range(1, b + 1):
                free = self.free[: j - 1]
                f = np.arange(1, len(free) + 1, dtype=np.float64)
                p_sum += q * (p_busy + float(free.sum()))
                w_sum += q * (ahead + p_busy * (j - 1) * self.gap + self.gap * float(((j - f) * free).sum()))
            members += q * b
        return (p_sum / members, w_sum / members) if members else (0.0, 0.0)

    def first_wait(self, one_gap: ComplexArray) -> ComplexArray:
        """Transform of the queue ahead of a batch that finds every server busy (mass ``P(N ≥ c)``).

        ``Σ_m P(N = c + m)·x^(m+1)``, ``x`` the transform of one (scaled) gap: Horner over the head, the
        geometric tail in closed form.
        """
        x = one_gap
        out = np.zeros_like(x)
        k = len(self.busy)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            tail = self.busy_tail * x ** (k + 1) / (1.0 - self.z * x)
        for m in range(k - 1, -1, -1):
            out = (out + self.busy[m]) * x
        return np.asarray(out + np.nan_to_num(tail), dtype=np.complex128)


def occupancy(servers: int, larger: list[float], hold: float, scv: float = 1.0) -> Occupancy | None:
    """The stationary number in system at ``servers`` servers of mean holding time ``hold``.

    ``larger[i]`` is the rate of batches of more than ``i`` calls (``larger[0]``: all batches). ``None``
    when the station is saturated or too large to model here.
    """
    c, bmax = int(servers), len(larger)
    rate = sum(larger)  # calls per second: Σ_i Λ_{>i}
    if c < 1 or c > MAX_SERVERS or hold <= 0 or not rate * hold < c:
        return None
    mu = 1.0 / hold
    pi = [1.0]
    total, scale = 1.0, 1.0
    z, n = 0.0, 0
    while True:
        up = 0.0
        for i in range(min(bmax, n + 1)):
            up += pi[n - i] * larger[i]
        nxt = up / (mu * min(n + 1, c))
        pi.append(nxt)
        total += nxt
        n += 1
        if nxt > 1e200:  # rescale (the head's terms grow like a^n/n! before c)
            pi = [v / 1e200 for v in pi]
            total /= 1e200
            scale *= 1e200
        if n <= c + bmax:
            continue
        prev_z, z = z, nxt / pi[n - 1] if pi[n - 1] > 0 else 0.0
        settled = abs(z - prev_z) <= 1e-12 * max(z, 1e-300)
        if nxt <= _TAIL * total or (settled and z < 1.0) or n > c + _MAX_STEPS:
            break
    z = min(max(z, 0.0), 1.0 - 1e-12)
    tail_after = pi[n] * z  # P(N = n + 1) unnormalized: the tail's first term
    total += tail_after / (1.0 - z)
    arr = np.asarray(pi, dtype=np.float64) / total
    lo = max(c - bmax + 1, 0)
    free = arr[lo:c][::-1]  # P(N = c − 1), P(N = c − 2), …
    free = np.concatenate([free, np.zeros(max(bmax - 1 - len(free), 0))])[: max(bmax - 1, 0)]
    return Occupancy(
        servers=c,
        gap=hold / c,
        ahead_scale=(1.0 + scv) / 2.0,
        free=free,
        busy=arr[c:],
        busy_tail=tail_after / total,
        z=z,
    )


def block_cdf(
    occ: Occupancy,
    batch: Batch,
    r_cdf: FloatArray,
    rest_cdf: FloatArray,
    convolve: Callable[[FloatArray, ComplexArray], FloatArray],
    gap: ComplexArray,
    ahead_gap: ComplexArray,
) -> FloatArray:
    """The CDF of a parallel block of ``batch`` calls to a station in ``occ``, on the caller's grid.

    ``r_cdf`` is one member's time once it starts, ``rest_cdf`` the part of it after the callee's server
    is released (the overhead; 1 everywhere when nothing follows); ``convolve(cdf, lt)`` adds a delay of
    transform ``lt`` to a CDF; ``gap`` and ``ahead_gap`` are the transforms of one gap between members and
    of one gap of the queue ahead.
    """
    bmax = batch.largest
    # The departure that lets the next member start is the latest member's own w.p. 1/c: then all that
    # is left of it is what follows its service; otherwise it runs on afresh (exponential holding).
    own = rest_cdf / occ.servers + r_cdf * (1.0 - 1.0 / occ.servers)
    suffix: list[FloatArray] = [r_cdf]  # U_1 … U_bmax
    for _ in range(bmax - 1):
        suffix.append(convolve(own * suffix[-1], gap))
    first = occ.first_wait(ahead_gap)
    p_busy = occ.p_busy()
    out = np.zeros_like(r_cdf)
    for b, q in batch.sizes:
        free = occ.free[: b - 1]
        cdf = (1.0 - p_busy - float(free.sum())) * r_cdf**b
        for f in range(1, b):
            cdf = cdf + free[f - 1] * r_cdf ** (f - 1) * suffix[b - f]
        if p_busy > 0:
            cdf = cdf + convolve(suffix[b - 1], first)
        out = out + q * cdf
    return out


def _nested_moments(b: int, servers: int, hold: float, own: float) -> tuple[FloatArray, FloatArray]:
    """First and second moments of the time until ``u`` members waiting and ``v`` in service are all
    done, ``E[u, v]`` and ``E2[u, v]`` for ``u < b, v ≤ b`` (a CTMC, solved by dynamic programming).

    While members wait every server is busy: a member in service finishes at rate ``1/own`` (the next
    member takes its server: ``(u − 1, v)``), another customer at rate ``(c − v)/H`` (``(u − 1, v + 1)``).
    Once none waits, the ``v`` members finish at rate ``v/own``.
    """
    e1 = np.zeros((b, b + 1))
    e2 = np.zeros((b, b + 1))
    done, other = 1.0 / own, 1.0 / hold
    for u in range(b):
        for v in range(1, b + 1 - u):
            moves = [(v * done, (u - 1, v) if u else (0, v - 1))]
            if u:
                moves.append((max(servers - v, 0) * other, (u - 1, v + 1)))
            rate = sum(r for r, _ in moves)
            nxt1 = sum(r * e1[to] for r, to in moves) / rate
            nxt2 = sum(r * e2[to] for r, to in moves) / rate
            e1[u, v] = 1.0 / rate + nxt1
            e2[u, v] = 2.0 / rate**2 + 2.0 * nxt1 / rate + nxt2
    return e1, e2


def queue_delay(occ: Occupancy, batch: Batch, own: float) -> tuple[float, float]:
    """What the queue adds to a block's mean and variance, over the max of its members' own times.

    Exact for exponential holding and own times (:func:`_nested_moments`, the queue ahead from the
    occupancy's moments); the sweep adds it to its own (Clark) moments of the max
    of independent copies, so that the block's mean rises smoothly with load as every other wait does.
    """
    if own <= 0:
        return 0.0, 0.0
    busy, ahead_gap = occ.p_busy(), occ.ahead_scale * occ.gap
    a1, a2 = occ.ahead()
    e1, e2 = _nested_moments(batch.largest, occ.servers, occ.gap * occ.servers, own)
    d_mean = d_var = 0.0
    for b, q in batch.sizes:
        free = occ.free[: b - 1]
        iid1, iid2 = e1[0, b], e2[0, b]  # b members at once: the max of b exponentials
        m1 = (1.0 - busy - float(free.sum())) * iid1
        m2 = (1.0 - busy - float(free.sum())) * iid2
        for f in range(1, b):
            m1 += free[f - 1] * e1[b - f, f]
            m2 += free[f - 1] * e2[b - f, f]
        # All busy: the queue ahead (A), then the first member starts and the rest follow: A + T(b−1, 1).
        n1, n2 = e1[b - 1, 1], e2[b - 1, 1]
        m1 += busy * n1 + ahead_gap * a1
        m2 += busy * n2 + 2.0 * ahead_gap * a1 * n1 + ahead_gap**2 * a2
        d_mean += q * (m1 - iid1)
        d_var += q * ((m2 - m1**2) - (iid2 - iid1**2))
    return d_mean, d_var
