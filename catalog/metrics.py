"""Catalog metrics read at scrape: products at or below their low-stock threshold."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from catalog.selectors import product_low_stock_count
from core.metrics import CachedGauges


class LowStockGauge(CachedGauges):
    """One count query at most once per ``ttl`` seconds per process, however often and by whomever it is scraped."""

    def compute(self) -> list[Metric]:
        gauge = GaugeMetricFamily(
            "catalog_low_stock_products", "Products for sale at or below their low-stock threshold."
        )
        gauge.add_metric([], float(product_low_stock_count()))
        return [gauge]
