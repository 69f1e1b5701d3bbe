"""Catalog metrics: the public read cache's hits, misses and fills; products at or below their low-stock threshold
(read at scrape)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from catalog.selectors import product_low_stock_count
from core.metrics import CachedGauges

# view: product_detail | product_list | category_detail | category_list. Public reads only (staff reads bypass the
# cache); hits answered before Django (catalog.api.fastpath) are counted like those Django answers.
CACHE_REQUESTS = Counter(
    "catalog_cache_requests",
    "Public catalog reads answered from the cache (hit) or computed (miss), by view.",
    ["view", "result"],
)
CACHE_FILLS = Counter("catalog_cache_fills", "Public catalog responses computed from the database, by view.", ["view"])


@lru_cache(maxsize=16)
def _children(view: str) -> tuple[Any, Any, Any]:
    """The labelled series of ``view`` (hit, miss, fill), looked up once: ``labels()`` validates and locks."""
    return CACHE_REQUESTS.labels(view, "hit"), CACHE_REQUESTS.labels(view, "miss"), CACHE_FILLS.labels(view)


def cache_request_counted(view: str, *, hit: bool) -> None:
    """The one place a public catalog read is counted, whichever layer answered it (Django or the fast path before
    it): a hit, or a miss and the fill that computed the response."""
    hits, misses, fills = _children(view)
    if hit:
        hits.inc()
    else:
        misses.inc()
        fills.inc()


class LowStockGauge(CachedGauges):
    """One count query at most once per ``ttl`` seconds per process, however often and by whomever it is scraped."""

    def compute(self) -> list[Metric]:
        gauge = GaugeMetricFamily(
            "catalog_low_stock_products", "Products for sale at or below their low-stock threshold."
        )
        gauge.add_metric([], float(product_low_stock_count()))
        return [gauge]
