"""Provider classes registered through settings in tests (real classes, no mocks)."""

from decimal import Decimal

from payments.providers.base import ProviderError, RefundResult
from payments.providers.fake import FakeProvider


class RefundOutageProvider(FakeProvider):
    """Charges like the fake provider; refunds fail as during a provider outage."""

    def refund(self, *, transaction_id: str, amount: Decimal) -> RefundResult:
        raise ProviderError("refunds are down")
