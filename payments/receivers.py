"""How the payments app plugs into the apps below it (connected by ``PaymentsConfig.ready``)."""

from orders.refunds import refund_handler_register
from payments.services import PaymentRefundHandler


def connect() -> None:
    # A staff cancellation refunds a paid order through this handler first (see ``orders.refunds``).
    refund_handler_register(PaymentRefundHandler())
