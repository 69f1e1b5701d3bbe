from celery import shared_task

from orders import services


@shared_task(name="orders.order_expire_overdue")
def order_expire_overdue() -> int:
    return services.order_expire_overdue()
