"""E-mail outbox metrics: deliveries counted where they happen; rows by state and the e-mail lag read at scrape."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from core.metrics import CachedGauges
from emails.models import OutboxMessage, OutboxState

DELIVERIES = Counter("outbox_deliveries", "Outbox e-mail delivery attempts, by result (sent, failed).", ["result"])


class OutboxGauges(CachedGauges):
    """Pending and dead rows and the age of the oldest pending row, in one query over the rows not yet sent."""

    def compute(self) -> list[Metric]:
        rows = GaugeMetricFamily("outbox_messages", "Outbox rows not sent, by state (pending, dead).", labels=["state"])
        lag = GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox row (the e-mail lag); 0 when none."
        )
        found = {
            row["state"]: row
            for row in OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.DEAD])
            .values("state")
            .annotate(rows=Count("id"), oldest=Min("created_at"))
            .order_by()
        }
        for state in (OutboxState.PENDING, OutboxState.DEAD):
            rows.add_metric([str(state)], float(found.get(state, {}).get("rows", 0)))
        oldest = found.get(OutboxState.PENDING, {}).get("oldest")
        lag.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        return [rows, lag]
