from uuid import UUID

from celery import shared_task

from payments.errors import ProviderUnavailableError
from payments.services import payment_refund_unkeepable as refund


@shared_task(
    name="payments.payment_refund_unkeepable",
    autoretry_for=(ProviderUnavailableError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def payment_refund_unkeepable(*, payment_id: str) -> None:
    refund(payment_id=UUID(payment_id))
