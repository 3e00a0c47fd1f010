"""Shared test helpers: where the bundled example and the shared samples live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SAMPLES = REPO.parent / "shared" / "samples"

# Online Boutique's services in kubernetes-manifests/ (read off its kustomization.yaml and manifests):
# the ten gRPC/HTTP services, without redis-cart (a cache) and loadgenerator (not listed).
OB_SERVICES = frozenset(
    {
        "adservice",
        "cartservice",
        "checkoutservice",
        "currencyservice",
        "emailservice",
        "frontend",
        "paymentservice",
        "productcatalogservice",
        "recommendationservice",
        "shippingservice",
    }
)


def samples_dir(*parts: str) -> Path:
    """A folder of ../shared/samples, or a clean skip when the samples are absent (a user's clone)."""
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared samples not present ({path})")
    return path
