"""Names for generated things: file slugs, alert names, and severity labels from the review hierarchy."""

from __future__ import annotations

import hashlib
import re

from redline.review.rule import Severity

__all__ = ["camel", "page_or_ticket", "slug", "uid"]

_PARTS = re.compile(r"[A-Za-z0-9]+")


def slug(*parts: str) -> str:
    """``web``, ``shop/cart`` -> ``shop-cart``: lower-case words joined by ``-``, safe as a file name."""
    words = [w.lower() for p in parts for w in _PARTS.findall(p)]
    return "-".join(words) or "x"


def camel(*parts: str) -> str:
    """``api.stripe.com``, ``latency-p95`` -> ``ApiStripeComLatencyP95``: an alert-name fragment."""
    words = [w for p in parts for w in _PARTS.findall(p)]
    text = "".join(w[:1].upper() + w[1:] for w in words) or "X"
    return text if text[0].isalpha() else "X" + text


def uid(*parts: str) -> str:
    """A Grafana dashboard uid (at most 40 characters): the slug, or a stable hash of it when longer."""
    text = slug(*parts)
    if len(text) <= 40:
        return text
    return text[:27] + "-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def page_or_ticket(severity: Severity) -> str:
    """The ``severity`` label Alertmanager routes on: critical and high page someone now, medium and low
    open a ticket."""
    return "page" if severity.at_least(Severity.HIGH) else "ticket"
