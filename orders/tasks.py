from celery import shared_task


@shared_task(name="orders.order_expire_overdue")
def order_expire_overdue() -> int:
    from orders.services import order_expire_overdue as expire

    return expire()
