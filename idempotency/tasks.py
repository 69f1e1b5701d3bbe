from celery import shared_task

from idempotency.services import idempotency_keys_purge as purge


@shared_task(name="idempotency.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    return purge()
