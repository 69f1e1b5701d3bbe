from celery import shared_task

from emails.outbox import outbox_deliver, outbox_relay


# Idempotent (the row is skipped once sent), so it is safe to acknowledge late and redeliver if a worker dies.
@shared_task(name="emails.outbox_deliver", acks_late=True, reject_on_worker_lost=True)
def outbox_deliver_task(message_id: str) -> bool:
    return outbox_deliver(message_id=message_id)


@shared_task(name="emails.outbox_relay", ignore_result=True)
def outbox_relay_task() -> int:
    return outbox_relay()
